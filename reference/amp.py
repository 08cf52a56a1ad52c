"""Mixed precision, as torch defines it: autocast's per-op precision and GradScaler's dynamic loss scaling.

Autocast (``torch.autocast``) runs some ops in a low type (float16 or bfloat16) and some in float32, whatever
their inputs; every other op runs in the type of its inputs.  The lists below are torch's, for the catalog's
entries, from ``aten/src/ATen/autocast_mode.cpp`` (pytorch/pytorch; ``TORCH_LIBRARY_IMPL(aten, AutocastCPU, m)``
and, for CUDA, the ``AT_FORALL_LOWER_PRECISION_FP`` / ``AT_FORALL_FP32`` / ``AT_FORALL_FP32_SET_OPT_DTYPE``
lists), checked against torch 2.13 on this machine by the dtypes its ops return under autocast
(``tests/test_mixed_precision.py``):

* lower precision, CPU and CUDA: ``conv2d``, ``linear``, ``matmul``;
* float32 on the CPU: ``mse_loss``, ``nll_loss``, ``cross_entropy`` (``cross_entropy_loss``), ``huber_loss``,
  ``binary_cross_entropy_with_logits``;
* float32 on CUDA: those, and ``exp``, ``expm1``, ``log``, ``log1p``, ``reciprocal``, ``pow``, ``softplus``,
  ``layer_norm``, ``logsumexp``, and (``fp32_set_opt_dtype``) ``softmax``, ``log_softmax``, ``sum``.

An op outside the lists computes in the widest of its float inputs' types and returns its first input's type:
torch's batch_norm on a bfloat16 activation with float32 parameters and statistics computes in float32 and
returns bfloat16.

The reference has no bfloat16 arithmetic (NumPy has none): a backend without the low type *emulates* it --
:meth:`Autocast.cast` rounds to the low type (:func:`reference.floats.round_values`) and keeps the values in the
loop's dtype, and the op's result is rounded to the low type again; the reference run emulates always (the op
exact in float64 between low-type inputs and a low-type result).  That is the semantics autocast promises: the
op's inputs and its output are values of the low type; what happens in between (float32 accumulation,
:mod:`parity.accumulation`) is the kernel's business.

Dynamic loss scaling (``torch.amp.GradScaler``): the loss is multiplied by ``scale`` before the backward pass;
gradients are multiplied by ``1 / scale`` (in float32) before the step; if any is inf or NaN the step is skipped
and ``scale *= backoff_factor``; after ``growth_interval`` steps in a row without one, ``scale *= growth_factor``.
Defaults are torch's: init_scale 2**16, growth_factor 2, backoff_factor 0.5, growth_interval 2000.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reference.floats import FORMATS, round_values

LOW_TYPES = ("float16", "bfloat16")
LOWER_PRECISION = {"cpu": frozenset({"conv2d", "linear", "matmul"}), "cuda": frozenset({"conv2d", "linear", "matmul"})}
_FP32_CPU = frozenset(
    {"mse_loss", "nll_loss", "cross_entropy", "cross_entropy_probs", "huber_loss", "binary_cross_entropy_with_logits"}
)
FLOAT32 = {
    "cpu": _FP32_CPU,
    "cuda": _FP32_CPU
    | {"exp", "expm1", "log", "log1p", "reciprocal", "pow", "softplus", "layer_norm", "logsumexp"}
    | {"softmax", "log_softmax", "sum"},
}


def autocast_device(device: str) -> str:
    """The autocast op lists a parity device follows: CUDA's on GPUs (and the devices standing in for one)."""
    return "cpu" if device == "cpu" else "cuda"


def policy(op: str, device: str) -> str:
    """``"low"``, ``"float32"`` or ``"inputs"`` (the widest float input's type): autocast's rule for ``op``."""
    lists = autocast_device(device)
    if op in LOWER_PRECISION[lists]:
        return "low"
    return "float32" if op in FLOAT32[lists] else "inputs"


def widest(dtypes) -> str:
    """The float dtype of the most precision among ``dtypes`` (torch's type promotion for these)."""
    return max(dtypes, key=lambda d: (FORMATS[d].precision, FORMATS[d].max_exp))


@dataclass(frozen=True)
class Autocast:
    """Autocast to ``low`` on ``device``: which type each op computes in and returns, and how values get there.

    ``carrier`` is the loop's dtype (the master weights'): where the low type is emulated -- the backend lacks it,
    or ``emulate`` asks for it (the reference run: each low-type op exact on low-type inputs, its result rounded
    to the low type) -- low-type values are held in the carrier, and float32 ops run in the carrier."""

    low: str
    device: str
    carrier: str = "float32"
    emulate: bool = False

    def __post_init__(self):
        if self.low not in LOW_TYPES:
            raise ValueError(f"amp must be one of {', '.join(LOW_TYPES)}, got {self.low!r}")

    def compute_dtype(self, op: str, input_dtypes) -> str:
        rule = policy(op, self.device)
        return self.low if rule == "low" else "float32" if rule == "float32" else widest(input_dtypes)

    def result_dtype(self, op: str, input_dtypes) -> str:
        rule = policy(op, self.device)
        return input_dtypes[0] if rule == "inputs" else self.compute_dtype(op, input_dtypes)

    def emulated(self, backend, dtype: str) -> bool:
        """Whether ``dtype`` is held in the carrier rather than in the backend's own ``dtype``."""
        return self.emulate or dtype not in backend.dtypes

    def cast(self, backend, x, dtype: str):
        """``x`` as ``dtype``: the backend's own cast (torch's differentiable ``.to``), or, emulated, the values
        rounded to a low type (kept as they are for float32 and wider) and held in the carrier."""
        if not self.emulated(backend, dtype):
            return backend.cast(x, dtype, self.device)
        host = np.asarray(backend.to_numpy(x), dtype=np.float64)
        values = round_values(host, dtype) if dtype in LOW_TYPES else host
        return backend.asarray(values, self.carrier, self.device)


@dataclass
class LossScaler:
    """``torch.amp.GradScaler``'s state and rules (see the module docstring)."""

    scale: float = 2.0**16
    growth_factor: float = 2.0
    backoff_factor: float = 0.5
    growth_interval: int = 2000
    growth_tracker: int = 0
    skipped: list[int] = field(default_factory=list)
    scales: list[float] = field(default_factory=list)

    def inverse(self) -> float:
        """1 / scale rounded to float32, as torch computes it (``scale.double().reciprocal().float()``)."""
        return float(np.float32(1.0 / self.scale))

    def update(self, step: int, found_inf: bool) -> None:
        """After step ``step``: back off and record a skipped step on inf/NaN, else grow every growth_interval."""
        self.scales.append(self.scale)
        if found_inf:
            self.skipped.append(step)
            self.scale *= self.backoff_factor
            self.growth_tracker = 0
            return
        self.growth_tracker += 1
        if self.growth_tracker == self.growth_interval:
            self.scale *= self.growth_factor
            self.growth_tracker = 0


def scaler_from(params: dict | None) -> LossScaler | None:
    """A :class:`LossScaler` with ``params`` (torch's names: init_scale, growth_factor, backoff_factor,
    growth_interval), or None for no loss scaling."""
    if params is None:
        return None
    known = {"init_scale", "growth_factor", "backoff_factor", "growth_interval"}
    unknown = set(params) - known
    if unknown:
        raise TypeError(f"loss_scale has unknown keys {sorted(unknown)}; known: {sorted(known)}")
    args = dict(params)
    return LossScaler(scale=float(args.pop("init_scale", 2.0**16)), **args)
