"""The torch backend: native torch ops on CPU and CUDA, gradients from ``torch.autograd``.

torch is imported when the backend is created, never at module import.
"""

from __future__ import annotations

import functools
import math
import os
import re
import subprocess
import sys

import numpy as np

from impls.base import SAME_NAME_UNARY, Backend, BackendUnavailable
from impls.declare import Divergence, Unsupported, at_least
from impls.torch_activations import DECLARATIONS as ACTIVATION_DECLARATIONS
from impls.torch_activations import activation_ops
from impls.torch_attention import DECLARATIONS as ATTENTION_DECLARATIONS
from impls.torch_attention import attention_ops
from impls.torch_convolution import convolution_ops
from impls.torch_indexing import indexing_ops
from impls.torch_integers import INTEGER_DECLARATIONS, integer_ops
from impls.torch_linalg import LINALG_DECLARATIONS, linalg_ops
from impls.torch_mathfuncs import DECLARATIONS as MATHFUNC_DECLARATIONS
from impls.torch_mathfuncs import mathfunc_ops
from impls.torch_normalization import normalization_ops
from impls.torch_order import order_ops
from impls.torch_pointwise_losses import DECLARATIONS as POINTWISE_LOSS_DECLARATIONS
from impls.torch_pointwise_losses import pointwise_loss_ops
from impls.torch_reductions import DECLARATIONS as REDUCTION_DECLARATIONS
from impls.torch_reductions import reduction_ops
from impls.torch_resampling import DECLARATIONS as RESAMPLING_DECLARATIONS
from impls.torch_resampling import resampling_ops
from impls.torch_scans import DECLARATIONS as SCAN_DECLARATIONS
from impls.torch_scans import scan_ops
from impls.torch_similarity import similarity_ops
from reference._checks import normalize_axes
from reference.floats import numpy_dtype, round_values

NAN, INF = math.nan, math.inf


def _reduction(fn):
    """Adapt a torch reduction to NumPy's ``axis`` semantics.

    ``axis=()`` reduces nothing in NumPy but everything in torch (``dim=()`` means
    all dims), so an empty axis list reduces a new size-1 axis instead.
    """

    def reduce(x, axis, keepdims, **kw):
        dims = normalize_axes(axis, x.ndim)
        if not dims:
            return fn(x.unsqueeze(-1), dim=-1, keepdim=False, **kw)
        return fn(x, dim=dims, keepdim=keepdims, **kw)

    return reduce


def _slice(torch, x, index):
    """NumPy basic indexing; torch rejects negative steps, so those dims are gathered."""
    out, dim = x, 0
    for item in index:
        if not isinstance(item, slice):
            out = out.select(dim, item)
            continue
        start, stop, step = item.indices(out.shape[dim])
        if step > 0:
            out = out[(slice(None),) * dim + (slice(start, stop, step),)]
        else:
            # range(), not torch.arange: arange raises on empty ranges such as (0, 0, -1).
            indices = torch.tensor(list(range(start, stop, step)), dtype=torch.long, device=out.device)
            out = out.index_select(dim, indices)
        dim += 1
    return out


def set_tf32(torch, enabled: bool) -> None:
    """Let (or stop) float32 matmuls and cuDNN convolutions on CUDA use TensorFloat-32.

    TF32 keeps 10 mantissa bits of each float32 operand, so a product is accurate to ~1e-3 relative
    instead of ~1e-7: fast on Ampere and later GPUs, but not float32.  torch's defaults differ by op
    (matmul: off, cuDNN convolution: on), so loading the torch backend turns both off for the
    correctness checks; ``tests/test_gpu.py`` measures what turning them on changes.  Process-wide.
    """
    mode = "tf32" if enabled else "ieee"
    if hasattr(torch.backends.cuda.matmul, "fp32_precision"):  # torch >= 2.9
        torch.backends.cuda.matmul.fp32_precision = mode
        torch.backends.cudnn.conv.fp32_precision = mode
    else:
        torch.backends.cuda.matmul.allow_tf32 = enabled
        torch.backends.cudnn.allow_tf32 = enabled


def _ops(torch) -> dict:
    F = torch.nn.functional
    unary = {name: getattr(torch, name) for name in SAME_NAME_UNARY}
    binary = {
        "add": torch.add,
        "sub": torch.sub,
        "mul": torch.mul,
        "div": torch.div,
        "pow": torch.pow,
        "maximum": torch.maximum,
        "minimum": torch.minimum,
    }
    return {
        **unary,
        **binary,
        "leaky_relu": lambda x, negative_slope: F.leaky_relu(x, negative_slope),
        "gelu": lambda x: F.gelu(x, approximate="none"),
        # threshold=None is the reference's exact softplus; torch's own default threshold, 20, applies (declared)
        "softplus": lambda x, beta, threshold: F.softplus(x, beta, 20 if threshold is None else threshold),
        "sum": _reduction(torch.sum),
        "mean": _reduction(torch.mean),
        "var": lambda x, axis, correction, keepdims: _reduction(torch.var)(x, axis, keepdims, correction=correction),
        "max": _reduction(torch.amax),
        "min": _reduction(torch.amin),
        "logsumexp": _reduction(torch.logsumexp),
        "softmax": lambda x, axis: torch.softmax(x, dim=axis),
        "log_softmax": lambda x, axis: torch.log_softmax(x, dim=axis),
        "matmul": torch.matmul,
        "outer": torch.outer,
        "transpose": lambda x, axes: x.permute(tuple(range(x.ndim))[::-1] if axes is None else axes),
        "reshape": lambda x, shape: x.reshape(shape),
        "concatenate": lambda *xs, axis: torch.cat(xs, dim=axis),
        "slice": lambda x, index: _slice(torch, x, index),
        **_nn_ops(torch),
        **linalg_ops(torch),
        **reduction_ops(torch, _reduction),
        **scan_ops(torch),
        **order_ops(torch),
        **indexing_ops(torch),
        **integer_ops(torch),
        **attention_ops(torch),
        **pointwise_loss_ops(torch),
        **normalization_ops(torch),
        **similarity_ops(torch),
        **convolution_ops(torch),
        **resampling_ops(torch),
        **mathfunc_ops(torch),
        **activation_ops(torch),
    }


def _max_pool2d(F, x, kernel_size, stride, padding, dilation, ceil_mode):
    """torch's max_pool2d, refusing a geometry where a window holds only padding: torch gives that window an index
    past the input (measured with torch 2.13: return_indices shows it), so its backward writes out of bounds and
    corrupts the heap ("double free or corruption")."""
    from reference.layers import windows_without_input

    if windows_without_input(x, kernel_size, stride, padding, dilation, ceil_mode):
        raise ValueError(
            f"kernel_size={kernel_size}, padding={padding}, dilation={dilation}: a window holds no element of x "
            f"{tuple(x.shape)}, which torch's max_pool2d backward turns into an out-of-bounds write; refused"
        )
    return F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode)


def _nn_ops(torch) -> dict:
    """Layers and losses: torch.nn.functional with the reference's argument names."""
    F = torch.nn.functional

    def cross_entropy(input, target, weight=None, *, ignore_index, reduction, label_smoothing):
        return F.cross_entropy(
            input, target, weight, ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing
        )

    return {
        "linear": F.linear,
        "conv2d": F.conv2d,
        "max_pool2d": functools.partial(_max_pool2d, F),
        "avg_pool2d": lambda x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override: (
            F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        ),
        "batch_norm": lambda x, weight=None, bias=None, *, eps: F.batch_norm(
            x, None, None, weight, bias, training=True, eps=eps
        ),
        "batch_norm_eval": lambda x, mean, var, weight=None, bias=None, *, eps: F.batch_norm(
            x, mean, var, weight, bias, training=False, eps=eps
        ),
        "layer_norm": lambda x, weight=None, bias=None, *, normalized_shape, eps: F.layer_norm(
            x, normalized_shape, weight, bias, eps
        ),
        "flatten": lambda x, start_dim, end_dim: torch.flatten(x, start_dim, end_dim),
        # torch's F.dropout draws its own mask; the explicit-mask form checks its scaling convention
        "dropout": lambda x, mask, p: x * mask / (1.0 - p),
        "mse_loss": lambda input, target, reduction: F.mse_loss(input, target, reduction=reduction),
        "huber_loss": lambda input, target, reduction, delta: F.huber_loss(
            input, target, reduction=reduction, delta=delta
        ),
        "cross_entropy": cross_entropy,
        "cross_entropy_probs": cross_entropy,
        "nll_loss": lambda input, target, weight=None, *, ignore_index, reduction: F.nll_loss(
            input, target, weight, ignore_index=ignore_index, reduction=reduction
        ),
        "binary_cross_entropy_with_logits": lambda input, target, weight=None, pos_weight=None, *, reduction: (
            F.binary_cross_entropy_with_logits(input, target, weight, reduction=reduction, pos_weight=pos_weight)
        ),
    }


def onednn_probe(code: str, env: dict | None = None) -> tuple[str | None, str]:
    """Run ``code`` in a fresh Python with ONEDNN_VERBOSE on (it must precede oneDNN's first primitive) and
    ``env`` on top of this environment (ONEDNN_MAX_CPU_ISA lowers oneDNN's choice): the JIT oneDNN picked
    for the first elementwise primitive (``avx2``, ``avx512_core``, ... or ``ref``; None if none ran) and
    the output lines that are not oneDNN's."""
    full = {**os.environ, **(env or {}), "ONEDNN_VERBOSE": "1", "DNNL_VERBOSE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=300, check=True
    ).stdout
    found = re.search(r",eltwise,(?:jit:)?([a-z0-9_]+)", out)
    rest = "\n".join(line for line in out.splitlines() if not line.startswith(("onednn_verbose", "dnnl_verbose")))
    return (found.group(1) if found else None), rest


@functools.cache
def onednn_eltwise_isa() -> str | None:
    """The JIT oneDNN picks for an f32 elementwise primitive in this environment (what torch's CPU gelu runs)."""
    try:
        return onednn_probe("import torch; torch.nn.functional.gelu(torch.ones(64))")[0]
    except (OSError, subprocess.SubprocessError):
        return None


def _torch_facts(torch) -> dict:
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    facts = {
        "torch.cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch.onednn_isa": onednn_eltwise_isa if torch.backends.mkldnn.is_available() else "ref",
        "torch.blas": blas.group(1) if blas else None,
        "torch.threads": torch.get_num_threads(),
        "torch.cuda": torch.version.cuda,
        "torch.gpu": None,
        "torch.compute_capability": None,
        "torch.cudnn": None,
    }
    if torch.cuda.is_available():
        major, minor = torch.cuda.get_device_capability(0)
        facts.update(
            {
                "torch.gpu": torch.cuda.get_device_name(0),
                "torch.compute_capability": f"{major}.{minor}",
                "torch.cudnn": torch.backends.cudnn.version(),
            }
        )
    return facts


def _has_nan(inputs, params) -> bool:
    return bool(np.isnan(inputs[0]).any())


def _has_minus_inf(inputs, params) -> bool:
    return bool(np.isneginf(inputs[0]).any())


def _sums_nothing_but_negative_zeros(inputs, params) -> bool:
    """Some output of sum adds only -0.0s, or nothing (the empty sum), where torch's +0.0 start shows."""
    (x,) = inputs
    negative_zero = (x == 0) & np.signbit(x)
    return bool(np.all(negative_zero, axis=normalize_axes(params.get("axis"), x.ndim)).any())


def _window_of_padding_only(inputs, params) -> bool:
    from reference.layers import windows_without_input

    return inputs[0].ndim == 4 and windows_without_input(inputs[0], **params)


DECLARATIONS = (
    Unsupported(
        "max_pool2d",
        "a window that holds only padding gets an index past the input in torch (2.13: return_indices shows it), "
        "so its backward writes out of bounds and corrupts the heap; the adapter refuses such geometries",
        check="property",
        inputs=_window_of_padding_only,
    ),
    Divergence(
        "abs",
        "torch's abs backward is g * sgn(x) with sgn(NaN) = 0, so abs'(NaN) = 0; the reference propagates NaN",
        check="branches",
    ),
    Divergence(
        "relu",
        "torch's relu backward masks where x <= 0, which NaN is not, so relu'(NaN) passes g; the reference's mask "
        "x > 0 gives 0",
        check="branches",
    ),
    Divergence("gelu", "gelu(-inf) is NaN in torch (see the minus-inf special value)", check="branches"),
    Divergence(
        "sum",
        "torch.sum starts its accumulator at +0.0, so sum([-0., -0.]) is +0.0; IEEE 754 gives -0.0 "
        "(np.sum without initial=-0.0 does the same); so is the empty sum",
        check="special",
        variant="signed-zero",
        returns=0.0,
        inputs=_sums_nothing_but_negative_zeros,
    ),
    Divergence(
        "gelu",
        "torch evaluates x * 0.5 * (1 + erf(x / sqrt 2)) literally, so gelu(-inf) = -inf * 0 = NaN; the limit is 0",
        check="special",
        variant="minus-inf",
        returns=[NAN],
        inputs=_has_minus_inf,
    ),
    Divergence(
        "abs",
        "torch's abs backward is g * sgn(x) with sgn(NaN) = 0, so the gradient at NaN is 0; the reference "
        "propagates the NaN",
        check="special",
        variant="nan-grad",
        returns=[NAN, 2.0],
        grads=([0.0, -1.0],),
        inputs=_has_nan,
    ),
    Divergence(
        "relu",
        "torch's relu backward (threshold_backward: 0 where x <= 0, else g) passes the gradient through NaN, "
        "since NaN <= 0 is false; the reference, like JAX, lets it through only where x > 0",
        check="special",
        variant="nan-grad",
        returns=[NAN, 2.0],
        grads=([1.0, 1.0],),
        inputs=_has_nan,
    ),
    Divergence(
        "binary_cross_entropy_with_logits",
        "torch evaluates (1 - t) x + m + log(exp(-m) + exp(-x - m)) with m = max(-x, 0): an infinite logit gives "
        "inf - inf = NaN where the loss is 0 or +inf (all but x = +inf with t = 0); its gradients are right",
        check="special",
        variant="infinite-logits",
        returns=[NAN, NAN, INF, NAN],
        grads=([0.0, -1.0, 1.0, 0.0],),
        inputs=lambda inputs, params: not np.isfinite(inputs[0]).all(),
    ),
    Divergence(
        "gelu",
        "oneDNN's AVX-512 GELU kernel returns NaN at +inf; its SSE4.1/AVX/AVX2 kernels return +inf (measured with "
        "ONEDNN_MAX_CPU_ISA, whatever ATEN_CPU_CAPABILITY says).  torch's CPU gelu runs oneDNN for contiguous "
        "inputs of more than one element in float32, and in bfloat16 where the CPU has AVX-512 BW/VL/DQ "
        "(ATen's use_mkldnn: the same CPUs, so the same condition); float16 never goes there",
        check="special",
        variant="plus-inf",
        dtype=("float32", "bfloat16"),
        device="cpu",
        when=(at_least("torch.onednn_isa", "avx512_core"),),
        returns=[NAN, NAN],
    ),
    *LINALG_DECLARATIONS,
    *REDUCTION_DECLARATIONS,
    *SCAN_DECLARATIONS,
    *INTEGER_DECLARATIONS,
    *MATHFUNC_DECLARATIONS,
    *ACTIVATION_DECLARATIONS,
)


class TorchOptimizer:
    """torch.optim over leaf tensors; ``step(grads)`` sets ``.grad`` and steps in place."""

    def __init__(self, torch, cls, params, lr, hyper):
        self.params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
        self.optimizer = cls(list(self.params.values()), lr=lr, **hyper)
        self.torch = torch

    @property
    def lr(self) -> float:
        """The learning rate of the next step (a schedule sets it per step, as torch's schedulers do)."""
        return self.optimizer.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = value

    def step(self, grads):
        for key, param in self.params.items():
            param.grad = grads[key].detach()
        self.optimizer.step()


class TorchBackend(Backend):
    """torch tensors on ``cpu`` and ``cuda``."""

    name = "torch"
    devices = ("cpu", "cuda")
    autograd = True
    dtypes = ("float16", "bfloat16", "float32", "float64", "int32", "int64", "bool")
    # torch computes half-type reductions, matmuls and convolutions in at::opmath_type<Half/BFloat16> = float, on
    # the CPU and in CUDA (ATen's OpMathType.h); parity.accumulation measures that it does
    accumulates = {"float16": "float32", "bfloat16": "float32"}
    declarations = DECLARATIONS + ATTENTION_DECLARATIONS + POINTWISE_LOSS_DECLARATIONS + RESAMPLING_DECLARATIONS
    provides_facts = (
        "torch.cpu_capability",
        "torch.onednn_isa",
        "torch.blas",
        "torch.threads",
        "torch.cuda",
        "torch.gpu",
        "torch.compute_capability",
        "torch.cudnn",
    )

    def __init__(self):
        try:
            import torch
        except ImportError as error:
            raise BackendUnavailable(f"torch is not installed ({error}); pip install 'parity[torch]'") from error
        self.torch = torch
        self.ops = _ops(torch)
        set_tf32(torch, False)  # correctness first: float32 is float32 (see set_tf32)

    def facts(self):
        return _torch_facts(self.torch)

    def device_problem(self, device):
        problem = super().device_problem(device)
        if problem or device == "cpu":
            return problem
        if not self.torch.cuda.is_available():
            return f"torch.cuda.is_available() is False (torch {self.torch.__version__}: no usable CUDA device)"
        return None

    def _asarray(self, x, dtype, device):
        if dtype == "bfloat16":  # round once, to nearest even (torch goes float64 -> float32 -> bfloat16: twice)
            x = round_values(x, dtype).astype(np.float32)
        return self.torch.tensor(x, dtype=getattr(self.torch, dtype), device=device)

    def native(self, x):
        if str(x.dtype) == "bfloat16":
            return self.torch.from_numpy(x.view(np.int16).copy()).view(self.torch.bfloat16)
        return self.torch.tensor(x)

    def to_numpy(self, x) -> np.ndarray:
        host = x.detach().to("cpu", copy=True)
        if host.dtype == self.torch.bfloat16:  # NumPy has no bfloat16: the same bits as ml_dtypes.bfloat16
            return host.view(self.torch.int16).numpy().view(numpy_dtype("bfloat16"))
        return host.numpy()

    def device_name(self, device):
        return self.torch.cuda.get_device_name(0) if device == "cuda" and not self.device_problem(device) else None

    def synchronize(self, device="cpu"):
        if device.startswith("cuda"):
            self.torch.cuda.synchronize()

    def _check_array(self, x, name):
        if not isinstance(x, self.torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")

    def _check_same_device(self, inputs, names):
        for x, name in zip(inputs[1:], names[1:]):
            if x.device != inputs[0].device:
                raise ValueError(f"{name} is on {x.device} but {names[0]} is on {inputs[0].device}")

    def _forward(self, spec, inputs, params):
        return self.ops[spec.name](*inputs, **params)

    OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}

    def value_and_grad(self, fn, params):
        """torch.autograd over the whole function: one graph, one backward."""
        leaves = [p if p.requires_grad else p.detach().requires_grad_(True) for p in params]
        with self.torch.enable_grad():
            loss = fn(*leaves)
            grads = self.torch.autograd.grad(loss, leaves)
        return loss.detach(), grads

    def stop_gradient(self, x):
        return x.detach()

    differentiable_cast = True

    def cast(self, x, dtype, device):
        return x.to(getattr(self.torch, dtype))

    def make_optimizer(self, name, params, lr, hyper):
        return TorchOptimizer(self.torch, getattr(self.torch.optim, self.OPTIMIZERS[name]), params, lr, hyper)

    def run_optimizer(self, name, param0, grads, lrs, hyper, dtype, device):
        """torch.optim on one parameter; the learning rate is set per step through param_groups."""
        param = self.asarray(param0, dtype, device).requires_grad_(True)
        optimizer = getattr(self.torch.optim, self.OPTIMIZERS[name])([param], lr=lrs[0], **hyper)
        out = []
        for grad, lr in zip(grads, lrs):
            optimizer.param_groups[0]["lr"] = lr
            param.grad = self.asarray(grad, dtype, device)
            optimizer.step()
            out.append(self.to_numpy(param))
        return out

    def _vjp(self, spec, inputs, params, cotangent):
        torch = self.torch
        wanted = spec.differentiable(inputs)
        args = [x.detach().requires_grad_(True) if want else x for x, want in zip(inputs, wanted)]
        leaves = [x for x, want in zip(args, wanted) if want]
        with torch.enable_grad():
            out = self.ops[spec.name](*args, **params)
        grads = torch.autograd.grad(out, leaves, grad_outputs=cotangent, allow_unused=True)
        return tuple(torch.zeros_like(x) if g is None else g for g, x in zip(grads, leaves))
