"""The data types of the catalog: a spec per op, with its cases, special values and tolerances."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reference._op import differentiable, unbroadcast

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
# Gradients in the half types are compared norm-wise as well as element-wise: the check allows, on top of the
# element-wise tolerance, HALF_GRAD_NORMWISE * rtol * max|expected gradient|.  Why: a backward pass in a half
# type starts from the forward's outputs rounded to that type (torch saves tanh's, sigmoid's, exp's, softmax's
# outputs) and rounds the cotangent's products and sums again, so an element of a gradient carries absolute
# errors of ~u times the gradient's scale, not times itself: tanh' = 1 - y**2 from y rounded (relative error u)
# is off by 2 y**2 u absolutely -- 30 u relative where y = 0.96 -- and a sum of n cotangent terms by ~log2(n) u
# times their magnitudes.  An element-wise bound of 2u (float16's rtol 1e-3) is unattainable there for any
# implementation; 2 rtol = 4u (float16) / 8u (bfloat16) of the largest element is what two such roundings of the
# scale cost.  A wrong gradient (a missing term, a wrong sign, a factor) is off by O(1) of the scale and fails.
HALF_GRAD_NORMWISE = 2.0
DTYPES = tuple(DEFAULT_TOLERANCES)
# (#14) integer and bool columns: only entries that list them in ``dtypes`` get them (a float-only entry never does).
# Their results are exact, so they are compared for equality, value and dtype (parity.compare.assert_exact).
INTEGER_DTYPES = ("int32", "int64", "bool")
EXACT_INTEGERS = Tolerance(0.0, 0.0, "integer and bool results are exact: compared for equality, value and dtype")


def is_integral(dtype: str) -> bool:
    """Whether ``dtype`` is one of the exact columns (:data:`INTEGER_DTYPES`)."""
    return dtype in INTEGER_DTYPES


# Entries computed in every dtype; optimizers and loops stay in float32/float64 (see OptimizerSpec).
OP_DTYPES = ("float64", "float32", "float16", "bfloat16")


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

    ``dtypes`` scopes a special value to the dtypes where it means something (float16's overflow at 65504,
    a bfloat16 rounding of an integer); ``expected`` is then the value *in those dtypes*: the exact result
    rounded to the dtype (inf where it overflows), and the reference is checked at each of them, its float64
    result on the rounded inputs rounded to the dtype.  None: every dtype of the entry.  ``tolerance``
    overrides the entry's for this special value, with its reason (e.g. exactness for a subnormal result,
    which any default atol would hide).
    """

    label: str
    inputs: tuple
    expected: Any
    params: Mapping[str, Any] = field(default_factory=dict)
    signed_zero: bool = False
    cotangent: Any = None
    grads: tuple | None = None
    note: str = ""
    dtypes: tuple[str, ...] | None = None
    tolerance: Tolerance | None = None

    def applies_to(self, dtype: str) -> bool:
        """Whether this special value is checked at ``dtype``."""
        return self.dtypes is None or dtype in self.dtypes

    def arrays(self) -> tuple[np.ndarray | None, ...]:
        """The inputs: integer arrays (class indices, integer operands) as int64, bools as bool, the rest as float64,
        None kept."""
        return tuple(None if x is None else _stated_array(x) for x in self.inputs)


def _stated_array(x) -> np.ndarray:
    kind = np.asarray(x).dtype.kind
    return np.asarray(x, dtype=np.int64 if kind in "iu" else bool if kind == "b" else np.float64)


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
    # not the half types: an update lr * g below half an ulp of the parameter is lost (lr 0.05, g 1e-3 against
    # p = 1: 5e-5 < 2**-11 in float16), so half-precision training keeps float32 master weights -- the
    # mixed-precision loops (LoopSpec.amp) check exactly that.
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

    Mixed precision (cases with ``amp``: float32 master weights, autocast to float16 or bfloat16, ``loss_scale``
    for GradScaler) is checked at float32 against the reference run *under the same autocast* (NumPy, float64,
    every low-type op exact between low-type inputs and a low-type result: :mod:`reference.amp`).  A backend
    computes each low-type op in float32 or better and rounds once; where its float32 value and the exact one
    straddle a rounding boundary of the low type, its result lands one low-type ulp away -- a perturbation of the
    same kind and size as the low type's rounding itself, which training then carries (with BatchNorm and
    momentum it grows: the cnn in bfloat16 moves its loss by 1% where the mlp moves it by 1e-7).  So the allowance
    is the float32 one above plus AMP_EFFECTS times the low type's own effect on the reference trajectory,
    measured: the running maximum of |reference under autocast - reference without| up to step k (the same, per
    array, for the parameters), and for the first-step gradient, which no step has amplified yet, one low-type ulp
    of each element more (a rounding that went the other way).  AMP_EFFECTS = 4: on this machine the backends'
    runs differ from the reference under autocast by at most 1.6 times the low type's effect (torch's cnn in
    bfloat16, the BatchNorm bias after 30 steps), so 4 leaves a margin of 2.5 for other machines' roundings.  A
    run that does not train, or trains on a wrong gradient, is off by the size of the loss and fails.
    """

    AMP_EFFECTS = 4.0

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

    @classmethod
    def amp_allowance(cls, with_amp, without, per_step: bool = False) -> np.ndarray | float:
        """Mixed precision's part (see the class doc): AMP_EFFECTS times the low type's effect on the reference,
        ``|with_amp - without|``: its running maximum per step (``per_step``, for losses), else its largest
        element (for an array)."""
        effect = np.abs(np.asarray(with_amp, dtype=np.float64) - np.asarray(without, dtype=np.float64))
        return cls.AMP_EFFECTS * (np.maximum.accumulate(effect) if per_step else float(np.max(effect, initial=0.0)))

    @staticmethod
    def case_problem(params, dtype: str) -> str | None:
        """Why a case does not run at ``dtype``: mixed precision keeps float32 master weights."""
        if params.get("amp") and dtype != "float32":
            return "mixed precision trains float32 master weights under autocast: its cases run at float32"
        return None


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
    summation
        True when that allowance is the error of one sum of products and nothing else (sum, mean, matmul,
        linear, conv2d): a backend promising a wider accumulator than the dtype is then held to the wider
        accumulator's bound (see :meth:`extra_atol`).  Entries whose allowance also covers elementwise steps
        computed in the dtype (softmax's exp, a norm's division) keep the dtype's.
    products_vjp
        True when the VJP is a sum of products of the cotangent and the inputs (add, sub, mul, div, matmul,
        outer, linear, conv2d, sum, mean, avg_pool2d): its gradients then get the accumulation allowance of
        :meth:`grad_extra_atol` (a broadcast operand's gradient sums the cotangent over the broadcast axes).
    fd_step
        central-difference step; 1.0 is exact for ops that are (bi)linear in their inputs.
    gauge
        for an output unique only up to a sign per column or row (singular vectors, eigenvectors, QR factors):
        ``gauge(out, *inputs, **params)`` returns a +-1 multiplier of ``out``'s shape that maps it to a canonical
        form, ``out * gauge(out, ...)``, the same for every correct implementation (e.g. each column's largest
        element positive).  Every comparison -- forward values, special values, properties, the audit -- compares
        canonical forms, each side's output mapped by its own multiplier; every gradient check differentiates the
        gauge-invariant ``<g, canonical(f(x))>``, whose gradient is well defined: the multiplier is locally
        constant, so it is the VJP at the cotangent ``g * multiplier``, again with each side's own multiplier
        (:meth:`canonical_forward`, :meth:`canonical_vjp`).  A backend off by a sign passes; a wrong vector fails.
    ties
        for an index-valued result of which several are correct where the inputs tie (topk's indices: which of
        two equal values is taken is not promised): ``ties(out, *inputs, **params)`` maps an output to a canonical
        form, the same for every correct output and different for a wrong one (an index at another value, a
        repeated index).  The exact comparisons -- forward, special values, properties, the audit -- compare both
        sides' canonical forms (:meth:`tie_canonical`); without ties the indices themselves are compared.
    """

    name: str
    forward: Callable[..., np.ndarray]
    category: str
    cases: tuple[Case, ...]
    domain: str = "real"
    kind: str = "op"
    dtypes: tuple[str, ...] = OP_DTYPES
    tolerances: Mapping[str, Tolerance] = field(default_factory=dict)
    grad_tolerances: Mapping[str, Tolerance] = field(default_factory=dict)
    accumulation: Accumulation | None = None
    summation: bool = False
    products_vjp: bool = False
    fd_step: float = 1e-6
    fd_step_reason: str = "central differences, truncation O(eps^2), rounding O(u/eps)"
    kinks: str = ""
    specials: tuple[Special, ...] = ()
    notes: str = ""
    gauge: Callable[..., np.ndarray] | None = None
    ties: Callable[..., np.ndarray] | None = None

    @property
    def vjp(self) -> Callable[..., tuple[np.ndarray, ...]]:
        return self.forward.vjp

    @property
    def validate(self) -> Callable[..., None]:
        return self.forward.validate

    @property
    def arg_names(self) -> tuple[str, ...]:
        return self.forward.arg_names

    def gauge_of(self, out, inputs, params):
        """The multiplier mapping ``out`` (any side's output, as a NumPy array) to the canonical form; 1.0 for an
        entry without a gauge."""
        if self.gauge is None:
            return 1.0
        with np.errstate(all="ignore"):
            return self.gauge(np.asarray(out), *inputs, **params)

    def tie_canonical(self, out, inputs, params) -> np.ndarray:
        """An index-valued output (any side's, as a NumPy array) in the canonical form of ``ties``; itself without."""
        out = np.asarray(out)
        return out if self.ties is None else np.asarray(self.ties(out, *inputs, **params), dtype=out.dtype)

    def canonical_forward(self, *inputs, **params):
        """The reference's output in the canonical form (the forward itself for an entry without a gauge)."""
        out = self.forward(*inputs, **params)
        return out if self.gauge is None else out * self.gauge_of(out, inputs, params)

    def canonical_vjp(self, g, *inputs, **params):
        """The gradient of ``<g, canonical_forward(inputs)>``: the VJP at ``g`` times the reference's multiplier."""
        if self.gauge is None:
            return self.vjp(g, *inputs, **params)
        out = self.forward(*inputs, **params)
        return self.vjp(g * self.gauge_of(out, inputs, params), *inputs, **params)

    @property
    def has_gradient(self) -> bool:
        """Whether any input gets a gradient: False for an entry whose every input is ``nondiff`` (integer and bool
        ops, and index-valued results such as argmax: ``reference._op.no_gradient``)."""
        names = {n.rstrip("?") for n in self.arg_names}
        return names == {"*arrays"} or not names <= self.forward.nondiff

    def differentiable(self, inputs) -> tuple[bool, ...]:
        """Which of ``inputs`` get a gradient."""
        return differentiable(self.forward, inputs)

    def tolerance(self, dtype: str, *, grad: bool = False) -> Tolerance:
        """The tolerance for ``dtype``: the catalog's override if any, else the default."""
        if is_integral(dtype):
            return EXACT_INTEGERS
        overrides = self.grad_tolerances if grad else self.tolerances
        return overrides.get(dtype, DEFAULT_TOLERANCES[dtype])

    def grad_extra_atol(self, dtype: str, cotangent, inputs, params, accumulator: str | None = None) -> tuple:
        """Per differentiable input, the absolute error allowed on its gradient for accumulated rounding, where
        the VJP is a sum of products (``products_vjp``): every gradient element sums at most ``cotangent.size``
        products, whose magnitudes the VJP itself gives at ``(|g|, |inputs|)`` (each term's sign drops out
        of a product), so the bound is ``(ceil(log2 n) + 2) u |VJP(|g|, |x|)|`` (at the promised accumulator's
        ``u``, as :meth:`extra_atol`, plus one ``u`` of ``dtype`` where the accumulator is wider: each product is
        rounded to ``dtype`` before it is summed).  Zeros where the VJP is not of that form."""
        wanted = [i for i, d in enumerate(self.differentiable(inputs)) if d]
        if not self.products_vjp:
            return self._broadcast_sum_atol(dtype, cotangent, inputs, params, accumulator, wanted)
        n = max(int(np.size(cotangent)), 1)
        steps = math.ceil(math.log2(n)) if n > 1 else 0
        accumulated = self._unit_roundoff(dtype, accumulator, True)
        # the products themselves are array operations, rounded to dtype before a wider accumulator sums them
        # (torch's mul backward: g * y as a float16 tensor, then sum_to in float32): one u of dtype per term
        rounded_terms = UNIT_ROUNDOFF[dtype] if accumulated < UNIT_ROUNDOFF[dtype] else 0.0
        factor = (steps + 2) * accumulated + rounded_terms
        absolute = [x if x is None or np.asarray(x).dtype.kind in "iu" else np.asarray(np.abs(x)) for x in inputs]
        with np.errstate(all="ignore"):
            magnitudes = self.vjp(np.asarray(np.abs(cotangent)), *absolute, **params)
        bounds = (factor * np.abs(np.asarray(m, dtype=np.float64)) for m in magnitudes)
        return tuple(np.where(np.isfinite(b), b, 0.0) for b in bounds)  # inf/NaN gradients: compared by masks

    def _broadcast_sum_atol(self, dtype, cotangent, inputs, params, accumulator, wanted) -> tuple:
        """For an elementwise op (``binary``, ``ternary``) whose VJP is not a sum of products: the rounding of the
        sum that reduces a broadcast input's gradient, zero for an input of the output's shape.  Each of the
        input's gradient elements sums n = out.size / x.size terms t_i = g_i df/dx_i, each rounded to ``dtype``
        (u), in an order no backend promises: Higham's bound for recursive summation in any order,
        ``(n - 1) u_acc sum |t_i|`` (Accuracy and Stability of Numerical Algorithms, 2nd ed., (4.4)), at the
        promised accumulator's ``u_acc`` (a backend promising nothing sums in ``dtype``: XLA's CPU reduce of a
        float16 broadcast gradient, e.g. maximum's 0-d input against a 3x4 one, 10 ULP with jax 0.10.2).
        ``sum |t_i|`` is the reference VJP at the inputs broadcast to the output's shape (nothing summed), made
        absolute, then summed to the input's shape."""
        if self.category not in ("binary", "ternary"):
            return (0.0,) * len(wanted)
        arrays = [None if x is None else np.asarray(x) for x in inputs]
        shape = np.broadcast_shapes(*(x.shape for x in arrays if x is not None))
        if all(arrays[i].shape == shape for i in wanted):
            return (0.0,) * len(wanted)
        full = [None if x is None else np.array(np.broadcast_to(x, shape)) for x in arrays]
        with np.errstate(all="ignore"):
            terms = self.vjp(np.broadcast_to(np.asarray(cotangent), shape).copy(), *full, **params)
        accumulated = self._unit_roundoff(dtype, accumulator, True)
        bounds = []
        for i, t in zip(wanted, terms):
            n = math.prod(shape) // max(arrays[i].size, 1)
            magnitude = unbroadcast(np.abs(np.asarray(t, dtype=np.float64)), arrays[i].shape)
            bound = ((n - 1) * accumulated + UNIT_ROUNDOFF[dtype]) * magnitude if n > 1 else np.zeros(arrays[i].shape)
            bounds.append(np.where(np.isfinite(bound), bound, 0.0))  # inf/NaN gradients: compared by masks
        return tuple(bounds)

    def extra_atol(self, dtype: str, inputs, params, accumulator: str | None = None) -> np.ndarray | float:
        """Absolute error allowed on top of the tolerance for accumulated rounding (see class doc).

        ``accumulator``: the type a backend promises to accumulate ``dtype`` sums in (``Backend.accumulator``).
        Where it is wider than ``dtype`` and the entry's allowance is one sum of products (``summation``), the
        bound is the accumulator's, ``(ceil(log2 n) + 2) u_acc M``: the sum (bias and division by n included)
        is computed in the accumulator and rounded to ``dtype`` once, which the dtype's rtol (>= 2u) covers.
        A backend promising float32 accumulation is held to that, whatever n is.
        """
        if self.accumulation is None or is_integral(dtype):
            return 0.0
        with np.errstate(all="ignore"):
            terms, magnitude = self.accumulation(inputs, params)
        steps = math.ceil(math.log2(terms)) if terms > 1 else 0
        magnitude = np.asarray(magnitude, dtype=np.float64)
        return (steps + 2) * self._unit_roundoff(dtype, accumulator, self.summation) * magnitude

    @staticmethod
    def _unit_roundoff(dtype: str, accumulator: str | None, applies: bool) -> float:
        """u of the promised accumulator where it is wider and the bound is one sum of products, else dtype's."""
        u = UNIT_ROUNDOFF[dtype]
        return min(u, UNIT_ROUNDOFF[accumulator]) if applies and accumulator is not None else u
