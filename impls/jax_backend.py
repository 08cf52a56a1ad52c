"""The JAX backend, eager (``jax``) and with every op jitted (``jax_jit``), written only against ``parity.api``.

It is the proof that the public API suffices: nothing here imports from ``impls``, ``reference`` or any
other parity module (``tests/test_jax_backend.py`` checks that), and jax is imported when a backend is
created, never at module import.  Ops are ``jax.numpy``/``jax.nn``/``jax.lax`` with torch.nn.functional's
conventions where the catalog asks for them (NCHW, cross-entropy's weights and label smoothing); gradients
come from ``jax.vjp`` with the given cotangent; the optimizers are torch.optim's update rules written in
JAX (not optax, see :class:`JaxOptimizer`).

Registered in ``impls.BACKENDS``; outside this repository the same classes would be found through the
``parity.backends`` entry point (the entry point's name equal to the class's ``name``)::

    [project.entry-points."parity.backends"]
    jax = "impls.jax_backend:JaxBackend"
    jax_jit = "impls.jax_backend:JaxJitBackend"

or without registering anything, ``--backend impls.jax_backend:JaxBackend``.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from parity.api import (
    Backend,
    BackendUnavailable,
    Divergence,
    Unsupported,
    entries,
    fact_is,
    numpy_dtype,
    to_numpy_dtype,
    version,
)

NAN, INF = math.nan, math.inf


# ---------------------------------------------------------------- geometry (torch's formulas)
def _pair(value) -> tuple[int, int]:
    """torch's int-or-pair: an int, or a tuple or list of one (used for both axes) or two."""
    if isinstance(value, (tuple, list)):
        return (value[0], value[0]) if len(value) == 1 else tuple(value)
    return (value, value)


def _conv_pads(padding, kernel, dilation):
    """``((top, bottom), (left, right))``; ``'same'`` puts the odd extra row/column at the bottom/right."""
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))
    return tuple((p, p) for p in _pair(padding))


def _pool_outputs(size, kernel, stride, pad, dilation, ceil_mode) -> int:
    """torch's pooled length: with ``ceil_mode`` the last window must start inside the input or left padding."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    n = (-(-span // stride) if ceil_mode else span // stride) + 1
    return n - 1 if ceil_mode and (n - 1) * stride >= size + pad else n


def _pool_window(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Per spatial axis: kernel, stride, dilation, (low, high) padding covering every window, output length."""
    kernel = _pair(kernel_size)
    stride = kernel if stride is None else _pair(stride)
    dims = []
    for size, k, s, p, d in zip(x.shape[2:], kernel, stride, _pair(padding), _pair(dilation)):
        n = _pool_outputs(size, k, s, p, d, ceil_mode)
        dims.append((k, s, d, (p, max(p, (n - 1) * s + d * (k - 1) + 1 - size - p)), n))
    return dims


def _avg_divisor(size, k, s, p, n, count_include_pad) -> np.ndarray:
    """torch's avg_pool2d divisor along one axis: the window clipped to the padded input, or to the input."""
    start = np.arange(n) * s - p
    end = np.minimum(start + k, size + p)
    return end - start if count_include_pad else np.minimum(end, size) - np.maximum(start, 0)


# ---------------------------------------------------------------- ops
def _ops(jax) -> dict:
    jnp, nn, lax = jax.numpy, jax.nn, jax.lax

    def reduction(fn):
        return lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims)

    def max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode):
        dims = _pool_window(x, kernel_size, stride, padding, dilation, ceil_mode)
        out = lax.reduce_window(
            x,
            -jnp.inf,
            lax.max,
            (1, 1, *(d[0] for d in dims)),
            (1, 1, *(d[1] for d in dims)),
            ((0, 0), (0, 0), *(d[3] for d in dims)),
            window_dilation=(1, 1, *(d[2] for d in dims)),
        )
        return out[:, :, : dims[0][4], : dims[1][4]]

    def avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
        dims = _pool_window(x, kernel_size, stride, padding, 1, ceil_mode)
        total = lax.reduce_window(
            x, 0.0, lax.add, (1, 1, *(d[0] for d in dims)), (1, 1, *(d[1] for d in dims)),
            ((0, 0), (0, 0), *(d[3] for d in dims)),
        )[:, :, : dims[0][4], : dims[1][4]]  # fmt: skip
        if divisor_override is not None:  # torch: every window divided by it, padding or not
            return total / jnp.asarray(divisor_override, x.dtype)
        rows, cols = (
            _avg_divisor(size, k, s, pads[0], n, count_include_pad)
            for size, (k, s, _, pads, n) in zip(x.shape[2:], dims)
        )
        return total / jnp.asarray(np.multiply.outer(rows, cols), x.dtype)

    def rounded_once(layer):
        """A layer with a bias in a half type computed in float32 and rounded to the dtype once, as the catalog
        defines it (and torch's addmm and convolution do): ``x @ w.T + b`` in float16 rounds the product, then
        the sum, and training amplifies the difference (mlp under float16 autocast: fc1.weight 4.3e-3 from the
        reference after 60 steps, 17x the float16 effect; rounded once, 2.0e-4, torch's to the bit)."""

        def run(x, weight, bias=None, **params):
            if x.dtype not in (jnp.float16, jnp.bfloat16):
                return layer(x, weight, bias, **params)
            wide = [None if a is None else a.astype(jnp.float32) for a in (x, weight, bias)]
            return layer(*wide, **params).astype(x.dtype)

        return run

    def linear(x, weight, bias=None):
        return x @ weight.T if bias is None else x @ weight.T + bias

    def conv2d(x, weight, bias=None, *, stride, padding, dilation, groups):
        out = lax.conv_general_dilated(
            x,
            weight,
            window_strides=_pair(stride),
            padding=_conv_pads(padding, weight.shape[2:], _pair(dilation)),
            rhs_dilation=_pair(dilation),
            dimension_numbers=("NCHW", "OIHW", "NCHW"),
            feature_group_count=groups,
        )
        return out if bias is None else out + bias[:, None, None]

    def channel(v, x):
        return v.reshape(1, -1, *([1] * (x.ndim - 2)))

    def affine(xhat, weight, bias, shape):
        out = xhat if weight is None else xhat * shape(weight)
        return out if bias is None else out + shape(bias)

    def batch_norm(x, weight=None, bias=None, *, eps):
        axes = (0, *range(2, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        return affine((x - mean) / jnp.sqrt(var + eps), weight, bias, lambda v: channel(v, x))

    def batch_norm_eval(x, running_mean, running_var, weight=None, bias=None, *, eps):
        xhat = (x - channel(running_mean, x)) / jnp.sqrt(channel(running_var, x) + eps)
        return affine(xhat, weight, bias, lambda v: channel(v, x))

    def layer_norm(x, weight=None, bias=None, *, normalized_shape, eps):
        axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        return affine((x - mean) / jnp.sqrt(var + eps), weight, bias, lambda v: v)

    def flatten(x, start_dim, end_dim):
        if x.ndim == 0:
            return x.reshape(1)
        start, end = start_dim % x.ndim, end_dim % x.ndim
        return x.reshape(*x.shape[:start], math.prod(x.shape[start : end + 1]), *x.shape[end + 1 :])

    return {
        "neg": jnp.negative,
        "abs": jnp.abs,
        "exp": jnp.exp,
        "expm1": jnp.expm1,
        "log": jnp.log,
        "log1p": jnp.log1p,
        "sqrt": jnp.sqrt,
        "square": jnp.square,
        "reciprocal": jnp.reciprocal,
        "sin": jnp.sin,
        "cos": jnp.cos,
        "tanh": jnp.tanh,
        "sigmoid": nn.sigmoid,
        "relu": nn.relu,
        "leaky_relu": lambda x, negative_slope: nn.leaky_relu(x, negative_slope),
        "gelu": lambda x: nn.gelu(x, approximate=False),
        # threshold: the reference refuses any but None (exact softplus, no switch to x), before this runs
        "softplus": lambda x, beta, threshold: nn.softplus(beta * x) / beta,
        "erf": jax.scipy.special.erf,
        "add": jnp.add,
        "sub": jnp.subtract,
        "mul": jnp.multiply,
        "div": jnp.true_divide,
        "pow": jnp.power,
        "maximum": jnp.maximum,
        "minimum": jnp.minimum,
        "sum": reduction(jnp.sum),
        "mean": reduction(jnp.mean),
        "var": lambda x, axis, correction, keepdims: jnp.var(x, axis=axis, ddof=correction, keepdims=keepdims),
        "max": reduction(jnp.max),
        "min": reduction(jnp.min),
        "logsumexp": reduction(jax.scipy.special.logsumexp),
        "softmax": lambda x, axis: nn.softmax(x, axis=axis),
        "log_softmax": lambda x, axis: nn.log_softmax(x, axis=axis),
        "matmul": jnp.matmul,
        "outer": jnp.outer,
        "transpose": lambda x, axes: jnp.transpose(x, axes),
        "reshape": lambda x, shape: jnp.reshape(x, shape),
        "concatenate": lambda *xs, axis: jnp.concatenate(xs, axis=axis),
        "slice": lambda x, index: x[index],
        "linear": rounded_once(linear),
        "conv2d": rounded_once(conv2d),
        "max_pool2d": max_pool2d,
        "avg_pool2d": avg_pool2d,
        "batch_norm": batch_norm,
        "batch_norm_eval": batch_norm_eval,
        "layer_norm": layer_norm,
        "flatten": flatten,
        "dropout": lambda x, mask, p: x * mask / (1.0 - p),
        **_losses(jax),
    }


def _losses(jax) -> dict:
    """torch.nn.functional's losses: class weights, ignore_index, label smoothing eps/C, 'mean' over weights."""
    jnp, nn = jax.numpy, jax.nn

    def reduce(loss, reduction):
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    def by_class(logp, target, weight, ignore_index, reduction, smoothing):
        """Loss per row for class indices: -(1 - eps) w[t] logp[t] - eps/C sum_c w[c] logp[c]."""
        axis = 1 if logp.ndim >= 2 else 0
        classes = logp.shape[axis]
        w = jnp.ones(classes, logp.dtype) if weight is None else weight
        keep = target != ignore_index
        safe = jnp.where(keep, target, 0)
        w_t = jnp.where(keep, w[safe], 0.0)
        picked = jnp.take_along_axis(logp, jnp.expand_dims(safe, axis), axis=axis).squeeze(axis)
        loss = -w_t * picked
        if smoothing:
            spread = jnp.sum(logp * w.reshape(-1, *([1] * (logp.ndim - axis - 1))), axis=axis)
            loss = (1.0 - smoothing) * loss - smoothing / classes * spread
        # an ignored row is left out (where), not multiplied by a zero weight: its gradient is then exactly 0,
        # where 0 * (g / 0) would be NaN when every row is ignored (the mean is 0 / 0)
        loss = jnp.where(keep, loss, 0.0)
        return loss.sum() / w_t.sum() if reduction == "mean" else reduce(loss, reduction)

    def cross_entropy(input, target, weight=None, *, ignore_index, reduction, label_smoothing):
        axis = 1 if input.ndim >= 2 else 0
        logp = nn.log_softmax(input, axis=axis)
        if jnp.issubdtype(target.dtype, jnp.integer):
            return by_class(logp, target, weight, ignore_index, reduction, label_smoothing)
        classes = input.shape[axis]
        coeff = target * (1.0 - label_smoothing) + label_smoothing / classes
        if weight is not None:
            coeff = coeff * weight.reshape(-1, *([1] * (input.ndim - axis - 1)))
        return reduce(-jnp.sum(coeff * logp, axis=axis), reduction)

    def nll_loss(input, target, weight=None, *, ignore_index, reduction):
        return by_class(input, target, weight, ignore_index, reduction, 0.0)

    def huber_loss(input, target, reduction, delta):
        d = input - target
        size = jnp.abs(d)
        return reduce(jnp.where(size <= delta, 0.5 * d * d, delta * (size - 0.5 * delta)), reduction)

    def bce_with_logits(input, target, weight=None, pos_weight=None, *, reduction):
        pw = 1.0 if pos_weight is None else pos_weight
        positive, negative = pw * target, 1.0 - target
        # the loss's definition: a term with a zero coefficient is absent (not 0 * softplus(+-inf) = NaN)
        loss = jnp.where(positive == 0, 0.0, positive * nn.softplus(-input)) + jnp.where(
            negative == 0, 0.0, negative * nn.softplus(input)
        )
        return reduce(loss if weight is None else loss * weight, reduction)

    def smooth_l1_loss(input, target, reduction, beta):
        z = jnp.abs(input - target)
        return reduce(z if beta == 0 else jnp.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta), reduction)

    def kl_div(input, target, reduction, log_target):
        if log_target:
            per = jnp.exp(target) * (target - input)
        else:
            per = jax.scipy.special.xlogy(target, target) - target * input  # xlogy(0, 0) = 0, as torch
        if reduction in ("none", "sum"):
            return reduce(per, reduction)
        return per.sum() / (per.size if reduction == "mean" else per.shape[0] if per.ndim else 1)

    def binary_cross_entropy(input, target, weight=None, *, reduction):
        # torch's: both logs clamped at -100, so a certain wrong answer costs 100
        loss = (target - 1.0) * jnp.maximum(jnp.log1p(-input), -100.0) - target * jnp.maximum(jnp.log(input), -100.0)
        return reduce(loss if weight is None else loss * weight, reduction)

    return {
        "l1_loss": lambda input, target, reduction: reduce(jnp.abs(input - target), reduction),
        "smooth_l1_loss": smooth_l1_loss,
        "kl_div": kl_div,
        "binary_cross_entropy": binary_cross_entropy,
        "mse_loss": lambda input, target, reduction: reduce((input - target) ** 2, reduction),
        "huber_loss": huber_loss,
        "cross_entropy": cross_entropy,
        "cross_entropy_probs": cross_entropy,
        "nll_loss": nll_loss,
        "binary_cross_entropy_with_logits": bce_with_logits,
    }


# ---------------------------------------------------------------- optimizers (torch.optim's update rules)
def _update_rules(jnp) -> dict:
    """``rule(param, grad, state, *step_scalars, **hyper) -> (param, state)``, in torch's single-tensor order of
    operations; ``state`` is a dict ({} before the first step), never modified in place."""

    def sgd(p, g, old, lr, *, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0, maximize=False):
        g = -g if maximize else g  # torch negates the gradient before anything else
        d = g + weight_decay * p if weight_decay else g
        if not momentum:
            return p - lr * d, old
        buf = old.get("momentum_buffer")
        buf = d if buf is None else momentum * buf + (1.0 - dampening) * d  # the first step copies d
        return p - lr * (d + momentum * buf if nesterov else buf), {"momentum_buffer": buf}

    def adam(p, g, old, lr, bias1, bias2_sqrt, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):  # fmt: skip
        g = -g if maximize else g
        if weight_decay and decoupled:
            p = p * (1.0 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        m = old.get("exp_avg", jnp.zeros_like(p))
        m = m + (1.0 - betas[0]) * (g - m)  # torch: exp_avg.lerp_(grad, 1 - beta1)
        v = old.get("exp_avg_sq", jnp.zeros_like(p)) * betas[1] + (1.0 - betas[1]) * g * g
        new = {"exp_avg": m, "exp_avg_sq": v}
        if amsgrad:  # the maximum of the raw second moment, bias-corrected afterwards
            v = new["max_exp_avg_sq"] = jnp.maximum(old.get("max_exp_avg_sq", jnp.zeros_like(p)), v)
        return p - (lr / bias1) * m / (jnp.sqrt(v) / bias2_sqrt + eps), new

    def rmsprop(p, g, old, lr, *, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False):  # fmt: skip
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        new = {"square_avg": old.get("square_avg", jnp.zeros_like(p)) * alpha + (1.0 - alpha) * g * g}
        spread = new["square_avg"]
        if centered:
            new["grad_avg"] = old.get("grad_avg", jnp.zeros_like(p)) * alpha + (1.0 - alpha) * g
            spread = spread - new["grad_avg"] * new["grad_avg"]
        avg = jnp.sqrt(spread) + eps
        if momentum > 0:
            new["momentum_buffer"] = old.get("momentum_buffer", jnp.zeros_like(p)) * momentum + g / avg
            return p - lr * new["momentum_buffer"], new
        return p - lr * g / avg, new

    def adagrad(p, g, old, clr, *, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                maximize=False):  # fmt: skip
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        total = old.get("sum", jnp.full_like(p, initial_accumulator_value)) + g * g
        return p - clr * (g / (jnp.sqrt(total) + eps)), {"sum": total}

    return {"sgd": sgd, "adam": adam, "adamw": functools.partial(adam, decoupled=True, weight_decay=1e-2),
            "rmsprop": rmsprop, "adagrad": adagrad}  # fmt: skip


def _check_hyper(hyper: dict) -> None:
    """torch.optim's argument checks: ValueError/TypeError naming the hyperparameter."""
    for key in ("momentum", "dampening", "weight_decay", "eps", "alpha"):
        value = hyper.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{key} must be a real number, got {type(value).__name__}")
        if key != "dampening" and value < 0:
            raise ValueError(f"{key} must be >= 0, got {value}")
    for key in ("nesterov", "amsgrad", "centered", "maximize"):
        if not isinstance(hyper.get(key, False), bool):
            raise TypeError(f"{key} must be a bool, got {type(hyper[key]).__name__}")
    if hyper.get("nesterov") and (hyper.get("momentum", 0.0) <= 0 or hyper.get("dampening", 0.0) != 0):
        raise ValueError("nesterov momentum requires momentum > 0 and dampening = 0")
    betas = hyper.get("betas", (0.9, 0.999))
    if not (isinstance(betas, tuple) and len(betas) == 2 and all(0.0 <= b < 1.0 for b in betas)):
        raise ValueError(f"betas must be a pair of floats in [0, 1), got {betas!r}")


def _step_scalars(name: str, hyper: dict, lr: float, step: int) -> tuple[float, ...]:
    """The per-step Python floats an update takes (torch computes Adam's bias corrections as Python floats)."""
    if name in ("adam", "adamw"):
        beta1, beta2 = hyper.get("betas", (0.9, 0.999))
        return lr, 1.0 - beta1**step, (1.0 - beta2**step) ** 0.5
    if name == "adagrad":  # torch's decayed rate, a Python float: lr / (1 + (k - 1) lr_decay)
        return (lr / (1.0 + (step - 1) * hyper.get("lr_decay", 0.0)),)
    return (lr,)


class JaxOptimizer:
    """torch.optim's update rules applied to jax arrays; ``.params`` holds the current values.

    Written out rather than taken from optax, whose rules are not torch.optim's (optax 0.2.8): its amsgrad keeps
    the maximum of the bias-corrected second moment, its RMSprop applies the learning rate before the momentum
    trace (so trajectories split when the learning rate changes), puts eps inside the square root by default and
    decays by 0.9, and its SGD has no dampening.  Those are design choices of another library, not JAX's
    arithmetic, which is what the trajectory and training checks measure here; and the `jax` extra stays
    jax and jaxlib alone."""

    def __init__(self, backend, name: str, params: dict, lr: float, hyper: dict):
        if name not in backend.update_rules:
            raise ValueError(f"name must be one of {', '.join(backend.update_rules)}, got {name!r}")
        _check_hyper(hyper)
        self.update = backend.compiled_update(name, hyper)
        self.name, self.lr, self.hyper, self.steps = name, lr, hyper, 0
        self.params = dict(params)
        self.state = {key: {} for key in params}

    def step(self, grads: dict) -> None:
        for key, grad in grads.items():
            if tuple(grad.shape) != tuple(self.params[key].shape):
                raise ValueError(f"grads[{key!r}] has shape {tuple(grad.shape)}, the parameter "
                                 f"{tuple(self.params[key].shape)}")  # fmt: skip
        self.steps += 1
        scalars = _step_scalars(self.name, self.hyper, self.lr, self.steps)
        for key, grad in grads.items():
            self.params[key], self.state[key] = self.update(self.params[key], grad, self.state[key], *scalars)


# ---------------------------------------------------------------- declarations
# Found by the suite with jax 0.10.2 on the CPU (AMD EPYC, AVX2), eager and jitted alike unless scoped.  Each states
# by hand what JAX gives at the special value; "since" is the version they were observed with.
SINCE = version("jax", ">=0.10.2")
FLUSHES = fact_is("jax.flushes_subnormals", True)
EAGER_DECLARATIONS = (
    Divergence(
        "abs",
        "jax.lax's abs JVP is select(x >= 0, g, -g), so |x|'(+0) = |x|'(-0) = +1 (-0.0 >= 0 holds); "
        "torch and the reference take the subgradient sign(0) = 0",
        check="special",
        variant="kink",
        returns=[0.0, 0.0, 2.0, 2.0],
        grads=([1.0, 1.0, 1.0, -1.0],),
    ),
    Divergence(
        "leaky_relu",
        "jax.nn.leaky_relu is where(x >= 0, x, slope * x), so its derivative at 0 is the right slope 1; "
        "torch and the reference take the left slope",
        check="special",
        variant="kink",
        returns=[0.0, -0.02, 2.0],
        grads=([1.0, 0.01, 1.0],),
    ),
    Divergence(
        "gelu",
        "jax.nn.gelu(approximate=False) evaluates x * 0.5 * erfc(-x / sqrt 2) literally: -inf * 0 = NaN at -inf "
        "(the limit is 0), as torch does",
        check="special",
        variant="minus-inf",
        returns=[NAN],
    ),
    Divergence(
        "pow",
        "JAX's d(x**y)/dx is y * x**(y - 1) for a float exponent (its y == 0 guard is for integer exponents "
        "only): 0 * 0**-1 = NaN at x = y = 0, where torch and the reference give 0; d/dy is 0 at x = 0 as theirs",
        check="special",
        variant="zero-base-grad",
        returns=[1.0, 0.0, 8.0],
        grads=([NAN, 0.0, 12.0], [0.0, 0.0, 8.0 * math.log(2.0)]),
    ),
    Divergence(
        "sum",
        "jnp.sum reduces from +0.0 (XLA's reduce with init 0), so the sum of negative zeros is +0.0; "
        "IEEE 754 gives -0.0 (np.sum and torch.sum do the same as JAX)",
        check="special",
        variant="signed-zero",
        returns=0.0,
    ),
    Divergence(
        "abs",
        "jax.lax's abs JVP is select(x >= 0, g, -g): at NaN the comparison is false, so |x|'(NaN) = -1 where the "
        "reference propagates NaN (torch gives 0)",
        check="special",
        variant="nan-grad",
        when=(SINCE,),
        returns=[NAN, 2.0],
        grads=([-1.0, -1.0],),
    ),
    Divergence(
        "abs",
        "abs'(+-0) = +1 and abs'(NaN) = -1 (see the kink and nan-grad special values)",
        check="branches",
        when=(SINCE,),
    ),
    Divergence(
        "leaky_relu",
        "leaky_relu'(+-0) is the right slope 1 (see the kink special value)",
        check="branches",
        when=(SINCE,),
    ),
    Divergence("gelu", "gelu(-inf) is NaN (see the minus-inf special value)", check="branches", when=(SINCE,)),
    Divergence(
        "pow",
        "JAX's d(x**y)/dx is y * x**(y - 1) whatever y (no y == 0 case for a float exponent): NaN**0 has x-gradient "
        "0 * NaN = NaN where the reference (and torch) give 0; the y-gradients agree",
        check="special",
        variant="nan-grad",
        when=(SINCE,),
        returns=[1.0, 1.0, 2.0],
        grads=([NAN, NAN, 5.0], [NAN, 0.0, 10.0 * math.log(2.0)]),
    ),
    Divergence(
        "pow",
        "d(x**y)/dx is NaN at 0**0 and NaN**0 (see the zero-base-grad and nan-grad special values), in every dtype",
        check="branches",
        when=(SINCE,),
    ),
    *(
        Divergence(
            name,
            f"jnp.{name}'s JVP passes nothing to either input where a NaN makes every comparison false (see the "
            "nan-inf-grad special value): at the branch points with a NaN both gradients are 0, not g",
            check="branches",
            when=(SINCE,),
        )
        for name in ("maximum", "minimum")
    ),
    Divergence(
        "maximum",
        "jnp.maximum's JVP sends g where x > y, g / 2 where x == y and nothing else: where a NaN makes every "
        "comparison false both inputs get 0; the reference (and torch) pass g to both",
        check="special",
        variant="nan-inf-grad",
        when=(SINCE,),
        returns=[NAN, NAN, INF, -INF],
        grads=([0.0, 0.0, 5.0, 3.5], [0.0, 0.0, 0.0, 3.5]),
    ),
    Divergence(
        "minimum",
        "jnp.minimum's JVP sends g where x < y, g / 2 where x == y and nothing else: where a NaN makes every "
        "comparison false both inputs get 0; the reference (and torch) pass g to both",
        check="special",
        variant="nan-inf-grad",
        when=(SINCE,),
        returns=[NAN, NAN, 2.0, -INF],
        grads=([0.0, 0.0, 0.0, 3.5], [0.0, 0.0, 5.0, 3.5]),
    ),
    Divergence(
        "max_pool2d",
        "lax.reduce_window pads with its -inf init value and the padding takes part in the max: where a window "
        "holds only -inf, its gradient goes to the first -inf in window order, a padding element for all but the "
        "window that starts inside, so each input element gets 1; torch and the reference never select padding",
        check="special",
        variant="minus-inf-window-at-padding",
        when=(SINCE,),
        returns=[[[[-INF, -INF, -INF], [-INF, -INF, -INF], [-INF, -INF, -INF]]]],
        grads=([[[[1.0, 1.0], [1.0, 1.0]]]],),
    ),
    Divergence(
        "max_pool2d",
        "reduce_window max's VJP (select_and_scatter_add with a >= select) passes over NaN (NaN >= m is false): "
        "the window's gradient goes to its largest non-NaN element, 2.0, while the output is NaN; torch and the "
        "reference give it to the last NaN",
        check="special",
        variant="two-nans",
        when=(SINCE,),
        returns=[[[[NAN]]]],
        grads=([[[[0.0, 0.0], [0.0, 1.0]]]],),
    ),
    Divergence(
        "mul",
        "XLA's CPU runtime flushes subnormals to zero (FTZ and DAZ; JAX's design on the CPU: jax-ml/jax#16200, "
        "#4042, the sharp bits): bfloat16 subnormals are float32 subnormals, so 2**-130 is 0",
        check="special",
        variant="bfloat16-subnormal",
        dtype="bfloat16",
        when=(FLUSHES,),
        returns=[0.0, 0.0],
    ),
    Divergence(
        "log",
        "XLA's CPU runtime flushes subnormals to zero (see mul): log of a subnormal input is log(0) = -inf, where "
        "the reference gives e.g. -744.44 for 5e-324 (hypothesis draws the domain's lower bound, the smallest "
        "subnormal)",
        check="property",
        dtype=("float32", "float64"),
        when=(FLUSHES,),
    ),
    Divergence(
        "pow",
        "with subnormals flushed (see mul), jnp.power at any subnormal base x gives what it gives at half the "
        "smallest subnormal, 2**-150 in float32 (e.g. x = 2**-149, y = -0.5: 2**75 = 3.78e22 for 2**74.5 = "
        "2.67e22, 4.9e6 ULP; y = 1: 0); normal bases are within 0.5 ULP of the exact power (measured on 200,000 "
        "float32 pairs), so not exp(y log x). Drawn by the ci profile; the dev profile may not draw such a base",
        check="property",
        dtype="float32",
        when=(FLUSHES,),
    ),
    Unsupported(
        "max_pool2d",
        "JAX has no VJP for max pooling with window dilation (lax.reduce_window's select_and_gather_add "
        "transpose raises NotImplementedError)",
        check="vjp",
        variant="1x2x9x8-kernel_size=(2,3),stride=(1,2),dilation=2",
    ),
)


def _at(entry, label, reason, returns, grads=None, **scope) -> Divergence:
    """What JAX gives at one of the catalog's special values (measured with jax 0.10.2 on the CPU, eager)."""
    return Divergence(entry, reason, check="special", variant=label, when=(SINCE,), returns=returns, grads=grads,
                      **scope)  # fmt: skip


ABS_JVP = "jnp.abs's JVP is select(x >= 0, g, -g): |d|'(0) = +1 and |d|'(NaN) = -1, where the reference takes sign(d)"
UNTAKEN_BRANCH = ("the gradient of jnp.where flows through both branches, masked by a multiplication: the untaken "
                  "branch's infinite or NaN derivative times 0 is NaN")  # fmt: skip
# Found by the suite's special values for the entries mapped in #19's third session (the values measured with
# jax 0.10.2 on the CPU, eager; the reasons read from jax/_src)
MAPPED_LATER_DECLARATIONS = (
    _at("l1_loss", "kink", ABS_JVP, [0.0, 2.0, 1.0], ([1.0, 1.0, -1.0],)),
    _at("l1_loss", "nan-grad", ABS_JVP, [NAN, 2.0], ([-1.0, 1.0],)),
    _at("smooth_l1_loss", "beta-zero-is-l1", ABS_JVP, [1.0, 2.0, 0.0], ([1.0, -1.0, 1.0],)),
    _at("smooth_l1_loss", "beta-zero-nan", ABS_JVP, [NAN, 1.0], ([-1.0, 1.0],)),
    _at("smooth_l1_loss", "infinite", UNTAKEN_BRANCH + " (0.5 z**2 / beta at z = inf)", [INF, INF], ([NAN, NAN],)),
    _at(
        "binary_cross_entropy",
        "log-clamp",
        "JAX differentiates the clamped loss itself: max(log(0), -100) has "
        "the derivative of log at 0 times the mask, inf * 0 = NaN; torch's (and the reference's) backward ignores "
        "the clamp, (x - t) / max(x (1 - x), 1e-12) = -1e12",
        [100.0, 100.0, 0.0, -0.0],
        ([NAN, NAN, NAN, NAN],),
    ),
)


def _hashable(value):
    """A cache key for an op's static parameters (slices and lists are not hashable; 1 and 1.0 stay apart)."""
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, *map(_hashable, value))
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(v)) for key, v in value.items()))
    return (type(value).__name__, value)


# The catalog entries this backend maps (its _ops, _nn_ops and update rules, and the loops built on them).  Every
# other entry (#14/#15 added them after this backend was written) is declared unsupported: a gap of ours, not
# JAX's (jax.numpy and jax.nn have nearly all of them); tests/test_jax_backend.py checks the list against _ops.
MAPPED = frozenset(
    """neg abs exp expm1 log log1p sqrt square reciprocal sin cos tanh sigmoid relu leaky_relu gelu softplus erf
    add sub mul div pow maximum minimum sum mean var max min logsumexp softmax log_softmax matmul outer transpose
    reshape concatenate slice linear conv2d max_pool2d avg_pool2d batch_norm batch_norm_eval layer_norm flatten
    dropout mse_loss huber_loss cross_entropy cross_entropy_probs nll_loss binary_cross_entropy_with_logits sgd adam
    adamw rmsprop poly linreg mlp cnn transformer adagrad l1_loss smooth_l1_loss kl_div binary_cross_entropy""".split()
)
PENDING = "not mapped to JAX yet: added to the catalog by #14/#15 after the JAX backend (#19) was written"


class JaxBackend(Backend):
    """jax.Array on the CPU, eager: each op dispatches its XLA primitives one by one; gradients by ``jax.vjp``.

    ``__init__`` turns on ``jax_enable_x64`` (process-wide): without it JAX stores every float64 array as
    float32 and int64 class indices as int32, so the float64 column would silently be float32.  Only the
    ``cpu`` device: a JAX GPU needs a CUDA jaxlib, which the ``jax`` extra does not install."""

    name = "jax"
    devices = ("cpu",)
    dtypes = ("float16", "bfloat16", "float32", "float64")
    autograd = True
    differentiable_cast = True  # astype is a JAX primitive jax.vjp differentiates (mixed precision, grad="auto")
    # No accumulation promise: jnp.sum, mean and var compute float16/bfloat16 in float32 (jax/_src/numpy/
    # reductions.py, _upcast_f16) and XLA's CPU backend runs half dots and convolutions in float32 (parity.accumulation
    # measures float32 for all three probes, jax 0.10.2), but the gradient of a broadcast input is summed by
    # lax.reduce_sum in the half type (mul's and div's VJP for a 0-d input fail the float32 bound in float16)
    declarations = EAGER_DECLARATIONS + MAPPED_LATER_DECLARATIONS
    unsupported = {name: PENDING for name in entries() if name not in MAPPED}

    provides_facts = ("jax.flushes_subnormals",)

    def __init__(self):
        try:
            import jax
        except ImportError as error:
            raise BackendUnavailable(f"jax is not installed ({error}); pip install 'parity[jax]'") from error
        jax.config.update("jax_enable_x64", True)
        self.jax = jax
        self.ops = _ops(jax)
        self.update_rules = _update_rules(jax.numpy)
        self.cpu = jax.devices("cpu")[0]

    def facts(self):
        return {"jax.flushes_subnormals": self.flushes_subnormals}

    def flushes_subnormals(self) -> bool:
        """Whether XLA's CPU runtime here flushes subnormals to zero: the smallest normal float32 halved, eagerly."""
        tiny = self.jax.device_put(np.array([np.finfo(np.float32).tiny], np.float32), self.cpu)
        return bool(np.asarray(self.jax.numpy.multiply(tiny, np.float32(0.5)))[0] == 0.0)

    # ------------------------------------------------------------ arrays
    def _asarray(self, x, dtype, device):
        # rounded on the host, once: XLA's CPU convert goes float64 -> float32 -> bfloat16 and flushes subnormals
        host = to_numpy_dtype(x, dtype) if dtype in self.dtypes else np.array(x, dtype=dtype, copy=True)
        return self.jax.device_put(host, self.cpu)

    def native(self, x):
        return self.jax.device_put(np.array(x, copy=True), self.cpu)

    def to_numpy(self, x) -> np.ndarray:
        return np.array(x, copy=True)

    def _check_array(self, x, name):
        if not isinstance(x, self.jax.Array):
            raise TypeError(f"{name} must be a jax.Array, got {type(x).__name__}")

    def device_of(self, x) -> str:
        platforms = {device.platform for device in x.devices()}
        return "cpu" if platforms == {"cpu"} else ",".join(sorted(platforms))

    def _check_same_device(self, inputs, names):
        placed = [(x, n) for x, n in zip(inputs, names) if not isinstance(x, self.jax.core.Tracer)]  # traced: no device
        for x, name in placed[1:]:
            if self.device_of(x) != self.device_of(placed[0][0]):
                raise ValueError(f"{name} is on {self.device_of(x)} but {placed[0][1]} is on "
                                 f"{self.device_of(placed[0][0])}")  # fmt: skip

    def wait(self, result, device="cpu"):
        self.jax.block_until_ready(result)

    # ------------------------------------------------------------ ops and gradients
    def function(self, name: str, params: dict):
        """The forward of entry ``name`` with its parameters bound: ``f(*inputs)``."""
        return functools.partial(self.ops[name], **params)

    def pullback(self, name: str, params: dict, wanted: tuple[bool, ...]):
        """``f(cotangent, *inputs)``: the gradients of ``<cotangent, op(*inputs)>`` for the ``wanted`` inputs."""
        forward = functools.partial(self.ops[name], **params)
        positions = [i for i, want in enumerate(wanted) if want]

        def gradients(cotangent, *inputs):
            def of_differentiable(*xs):
                args = list(inputs)
                for i, x in zip(positions, xs):
                    args[i] = x
                return forward(*args)

            return self.jax.vjp(of_differentiable, *(inputs[i] for i in positions))[1](cotangent)

        return gradients

    def _forward(self, spec, inputs, params):
        return self.function(spec.name, params)(*inputs)

    def _vjp(self, spec, inputs, params, cotangent):
        return tuple(self.pullback(spec.name, params, spec.differentiable(inputs))(cotangent, *inputs))

    # ------------------------------------------------------------ training
    def value_and_grad(self, fn, params):
        """``jax.value_and_grad`` over every parameter (the ops inside run as they do outside: eager or jitted)."""
        return self.jax.value_and_grad(fn, argnums=tuple(range(len(params))))(*params)

    def stop_gradient(self, x):
        return self.jax.lax.stop_gradient(x)

    def cast(self, x, dtype, device):
        return x.astype(numpy_dtype(dtype))

    def compiled_update(self, name: str, hyper: dict):
        """The update rule of optimizer ``name`` with its hyperparameters bound."""
        return functools.partial(self.update_rules[name], **hyper)

    def make_optimizer(self, name, params, lr, hyper):
        return JaxOptimizer(self, name, params, lr, hyper)

    def run_optimizer(self, name, param0, grads, lrs, hyper, dtype, device):
        optimizer = JaxOptimizer(self, name, {"param": self.asarray(param0, dtype, device)}, lrs[0], hyper)
        trajectory = []
        for grad, lr in zip(grads, lrs):
            optimizer.lr = lr
            optimizer.step({"param": self.asarray(grad, dtype, device)})
            trajectory.append(optimizer.params["param"])
        return [self.to_numpy(p) for p in trajectory]


# ---------------------------------------------------------------- jit
JIT_DECLARATIONS = (
    *EAGER_DECLARATIONS,
    *MAPPED_LATER_DECLARATIONS,
    Divergence(
        "max",
        "jitted, the gradient of a max that is NaN is 0, not NaN: jnp.max's VJP is g * (x == max) / count, "
        "0 * (g / 0) = NaN eagerly, but XLA's simplifier turns the product with a 0/1 mask into a select",
        check="special",
        variant="nan-grad",
        dtype=("float16", "float32", "float64"),  # in bfloat16 the NaN survives (observed)
        when=(version("jax", "==0.10.2"),),
        returns=NAN,
        grads=([0.0, 0.0],),
    ),
)


class JaxJitBackend(JaxBackend):
    """Every op, VJP and optimizer update through ``jax.jit``, compiled once per entry and static parameters
    (cached on the instance); XLA may fuse and reorder a jitted op's primitives, so its rounding can differ
    from eager's."""

    name = "jax_jit"
    declarations = JIT_DECLARATIONS

    def __init__(self):
        super().__init__()
        self.compiled: dict = {}

    def _jitted(self, key, build, *args):
        if key not in self.compiled:
            self.compiled[key] = self.jax.jit(build(self, *args))
        return self.compiled[key]

    def function(self, name, params):
        return self._jitted(("forward", name, _hashable(params)), JaxBackend.function, name, params)

    def pullback(self, name, params, wanted):
        return self._jitted(("vjp", name, _hashable(params), wanted), JaxBackend.pullback, name, params, wanted)

    def compiled_update(self, name, hyper):
        return self._jitted(("update", name, _hashable(hyper)), JaxBackend.compiled_update, name, hyper)
