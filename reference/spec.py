"""The data types of the catalog: a spec per op, with its cases, special values and tolerances."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reference._op import differentiable

KINDS = ("op", "layer", "loss", "optimizer", "loop")


@dataclass(frozen=True)
class Tolerance:
    """Allowed error ``|actual - expected| <= atol + rtol * |expected|``, with the reason for it."""

    rtol: float
    atol: float
    reason: str = "default per-dtype tolerance (torch.testing.assert_close)"


# torch.testing.assert_close's defaults; per-op overrides live in the catalog with a reason.
DEFAULT_TOLERANCES: Mapping[str, Tolerance] = {
    "float64": Tolerance(1e-7, 1e-7),
    "float32": Tolerance(1.3e-6, 1e-5),
    "float16": Tolerance(1e-3, 1e-5),
    "bfloat16": Tolerance(1.6e-2, 1e-5),
}

# Unit roundoff u = 2**-p (half an ulp of 1): the bound on one correctly rounded operation.
UNIT_ROUNDOFF: Mapping[str, float] = {
    "float64": 2.0**-53,
    "float32": 2.0**-24,
    "float16": 2.0**-11,
    "bfloat16": 2.0**-8,
}


def _fmt(value) -> str:
    if isinstance(value, tuple):
        return "(" + ",".join(_fmt(v) for v in value) + ")"
    if isinstance(value, list):
        return "[" + ",".join(_fmt(v) for v in value) + "]"
    if isinstance(value, slice):
        start, stop = ("" if p is None else str(p) for p in (value.start, value.stop))
        return f"{start}:{stop}" + ("" if value.step is None else f":{value.step}")
    return str(value)


@dataclass(frozen=True)
class Case:
    """One sampled configuration of an op: input shapes and keyword parameters."""

    shapes: tuple[tuple[int, ...], ...]
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        shapes = ",".join("none" if s is None else "x".join(map(str, s)) or "0d" for s in self.shapes)
        params = ",".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        return f"{shapes}" + (f"-{params}" if params else "")


@dataclass(frozen=True)
class Special:
    """Inputs at special values with the expected result, stated from mathematics and IEEE 754.

    ``expected`` is written by hand (or from Python's ``math``), never produced by
    the code under test.  ``grads`` (with its ``cotangent``) states the gradient
    convention at the point, e.g. at a kink or a tie.
    """

    label: str
    inputs: tuple
    expected: Any
    params: Mapping[str, Any] = field(default_factory=dict)
    signed_zero: bool = False
    cotangent: Any = None
    grads: tuple | None = None
    note: str = ""

    def arrays(self) -> tuple[np.ndarray | None, ...]:
        """The inputs: integer arrays (class indices) as int64, the rest as float64, None kept."""
        return tuple(
            None if x is None else np.asarray(x, dtype=np.int64 if np.asarray(x).dtype.kind in "iu" else np.float64)
            for x in self.inputs
        )


Accumulation = Callable[..., tuple[int, np.ndarray]]


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer checked as a trajectory: ``steps`` updates on a seeded gradient sequence, the
    learning rate divided by ``lr_drop`` halfway (the SGD momentum forms differ only then)."""

    name: str
    step: Callable[..., tuple]
    cases: tuple[Case, ...]
    lr: float = 0.05
    lr_drop: float = 5.0
    steps: int = 50
    kind: str = "optimizer"
    category: str = "optimizer"
    dtypes: tuple[str, ...] = ("float32", "float64")
    specials: tuple = ()
    notes: str = ""

    def lrs(self) -> list[float]:
        half = self.steps // 2
        return [self.lr] * half + [self.lr / self.lr_drop] * (self.steps - half)

    def tolerance(self, dtype: str) -> Tolerance:
        return DEFAULT_TOLERANCES[dtype]

    def extra_atol(self, dtype: str, step: int, scale: float) -> float:
        """Rounding accumulated over ``step + 1`` updates: each adds ~8 roundings of the parameter's
        magnitude (no contraction is assumed), so the allowance grows linearly with the step."""
        return (step + 1) * 8 * UNIT_ROUNDOFF[dtype] * scale


@dataclass(frozen=True)
class LoopSpec:
    """A training loop checked as a trajectory against the NumPy reference run (float64, manual gradients).

    Tolerance: every step rounds each quantity ~``roundings`` times along its longest dependency path
    (forward sums of n terms cost ceil(log2 n) + 1, the backward the same, the update two); we assume
    the perturbations add up without amplification — true for gradient descent on the convex
    quadratics of poly and linreg at these learning rates, and measured for mlp/cnn, where float32
    drifts at most ~1.2 k u |loss| after k steps, an order of magnitude inside the bound.  After k
    steps the allowance is (k + 1) * roundings * u * (largest |value| of the reference trajectory).
    """

    name: str
    run: Callable[..., Any]
    cases: tuple[Case, ...]
    roundings: int = 16
    kind: str = "loop"
    category: str = "loop"
    dtypes: tuple[str, ...] = ("float32", "float64")
    specials: tuple = ()
    notes: str = ""

    def allowance(self, dtype: str, steps: int, scale: float) -> np.ndarray:
        """Extra absolute error allowed after each of ``steps`` steps."""
        return np.arange(1, steps + 1) * self.roundings * UNIT_ROUNDOFF[dtype] * scale


@dataclass(frozen=True)
class OpSpec:
    """Everything the suite needs to test one differentiable op on every backend.

    forward/vjp
        the NumPy reference (``forward.vjp`` is its hand-derived VJP).
    domain
        the name of the seeded sampler that draws inputs (``parity.inputs.DOMAINS``);
        non-smooth ops use samplers that stay away from their kinks.
    accumulation
        for ops whose outputs are sums of many rounded terms: ``(inputs, params) ->
        (terms, magnitude)``; the comparison then allows
        ``(ceil(log2 terms) + 2) * u * magnitude`` more absolute error (Higham's bound for
        pairwise/blocked summation, plus the final operations), so tolerances grow with
        the number of summed terms instead of being guessed.
    fd_step
        central-difference step; 1.0 is exact for ops that are (bi)linear in their inputs.
    """

    name: str
    forward: Callable[..., np.ndarray]
    category: str
    cases: tuple[Case, ...]
    domain: str = "real"
    kind: str = "op"
    dtypes: tuple[str, ...] = ("float32", "float64")
    tolerances: Mapping[str, Tolerance] = field(default_factory=dict)
    grad_tolerances: Mapping[str, Tolerance] = field(default_factory=dict)
    accumulation: Accumulation | None = None
    fd_step: float = 1e-6
    fd_step_reason: str = "central differences, truncation O(eps^2), rounding O(u/eps)"
    kinks: str = ""
    specials: tuple[Special, ...] = ()
    notes: str = ""

    @property
    def vjp(self) -> Callable[..., tuple[np.ndarray, ...]]:
        return self.forward.vjp

    @property
    def validate(self) -> Callable[..., None]:
        return self.forward.validate

    @property
    def arg_names(self) -> tuple[str, ...]:
        return self.forward.arg_names

    def differentiable(self, inputs) -> tuple[bool, ...]:
        """Which of ``inputs`` get a gradient."""
        return differentiable(self.forward, inputs)

    def tolerance(self, dtype: str, *, grad: bool = False) -> Tolerance:
        """The tolerance for ``dtype``: the catalog's override if any, else the default."""
        overrides = self.grad_tolerances if grad else self.tolerances
        return overrides.get(dtype, DEFAULT_TOLERANCES[dtype])

    def extra_atol(self, dtype: str, inputs, params) -> np.ndarray | float:
        """Absolute error allowed on top of the tolerance for accumulated rounding (see class doc)."""
        if self.accumulation is None:
            return 0.0
        with np.errstate(all="ignore"):
            terms, magnitude = self.accumulation(inputs, params)
        steps = math.ceil(math.log2(terms)) if terms > 1 else 0
        return (steps + 2) * UNIT_ROUNDOFF[dtype] * np.asarray(magnitude, dtype=np.float64)
