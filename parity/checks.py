"""The checks, as plain functions: tests, meta-tests and ``parity check`` all call these.

A :class:`Cell` names one check of the matrix (op x case-or-special x backend x
device x dtype x check kind); :func:`run_check` runs it and returns the
:class:`~parity.compare.Measurement`, or raises :class:`~parity.compare.Mismatch`.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, replace

import numpy as np

from impls.base import Backend, bind_params
from parity.compare import Context, Measurement, assert_close, assert_count, assert_exact, assert_same_names
from parity.gradcheck import check_vjp_full, check_vjp_projected
from parity.inputs import cotangent_away_from_zero, cotangent_like, round_to, sample, stable_seed
from reference import get_entry, optim
from reference._op import input_names
from reference.floats import HALF_DTYPES, round_values
from reference.spec import (
    DEFAULT_TOLERANCES,
    HALF_GRAD_NORMWISE,
    UNIT_ROUNDOFF,
    OpSpec,
    Special,
    Tolerance,
    is_integral,
)

REFERENCE = "reference"
CHECK_KINDS = (
    "forward", "vjp", "special", "branches", "property", "vjp_fd", "vjp_fd_full", "trajectory", "train"
)  # fmt: skip
# the backend checks each kind of catalog entry gets (vjp_fd and vjp_fd_full check the reference alone)
CHECKS_BY_KIND = {
    "op": ("forward", "vjp", "special", "branches", "property"),
    "layer": ("forward", "vjp", "special", "property"),
    "loss": ("forward", "vjp", "special", "property"),
    "optimizer": ("trajectory",),
    "loop": ("train",),
}


@dataclass(frozen=True)
class Cell:
    """One check: ``case`` indexes ``spec.cases``; ``special`` is a special value's label."""

    check: str
    op: str
    backend: str = REFERENCE
    device: str = "cpu"
    dtype: str = "float64"
    case: int | None = None
    special: str | None = None

    @property
    def spec(self):
        """The catalog entry (an OpSpec, or an OptimizerSpec for trajectory checks)."""
        return get_entry(self.op)

    @property
    def variant(self) -> str:
        """The case id or special label this cell runs ('' for whole-op checks)."""
        if self.case is not None:
            return self.spec.cases[self.case].id
        return self.special or ""

    @property
    def id(self) -> str:
        parts = [self.op, self.variant, self.backend, self.device, self.dtype]
        return "-".join(p for p in parts if p)

    def reproduce(self) -> str:
        """A shell command that reruns exactly this check (in a fresh process: a backend loaded by path is
        named by its path)."""
        from impls import reproducible_name

        where = f"--case {self.case}" if self.case is not None else f"--special {self.special}" if self.special else ""
        return (
            f"parity check {self.op} --check {self.check} {where} --backend {reproducible_name(self.backend)} "
            f"--device {self.device} --dtype {self.dtype}"
        ).replace("  ", " ")

    def scope(self) -> dict:
        """What declarations (:mod:`impls.declare`) match against: entry, check, variant, case, dtype, device."""
        return {"entry": self.op, "check": self.check, "variant": self.variant or None, "case": self.case,
                "dtype": self.dtype, "device": self.device}  # fmt: skip

    def context(self, detail: str = "") -> Context:
        return Context(self.op, self.backend, self.device, self.dtype, self.check, detail, self.reproduce())

    def seed(self) -> int:
        """Same seed for every backend and dtype, so all columns see the same data."""
        return stable_seed(self.op, self.variant)


def _stated(expected, dtype: str) -> np.ndarray:
    """A stated value as the comparison takes it: float64, or exact (ints, bools) in an integer or bool column."""
    return np.asarray(expected) if is_integral(dtype) else np.asarray(expected, dtype=np.float64)


def special_of(spec: OpSpec, label: str) -> Special:
    """The special value ``label`` of ``spec``."""
    for special in spec.specials:
        if special.label == label:
            return special
    raise KeyError(f"{spec.name} has no special value {label!r}")


# ---------------------------------------------------------------- backend comparisons
def _to_backend(backend: Backend, arrays, dtype: str, device: str):
    """Float arrays at ``dtype``; integer arrays (class indices) as int64 and bool arrays (where's condition) as bool,
    or at ``dtype`` in an integer column."""

    def dtype_of(x):  # ml_dtypes' bfloat16 (a benchmark's host array) is of kind "V", not "f": a float all the same
        if is_integral(dtype) or x.dtype.kind not in "biu":
            return dtype
        return "bool" if x.dtype.kind == "b" else "int64"

    return [None if x is None else backend.asarray(x, dtype_of(x), device) for x in arrays]


def is_exact_result(truth) -> bool:
    """Whether a reference result is compared exactly: integers and bools (an integer column's result, or an index
    from a float input: argmax, argsort, topk's indices)."""
    return np.asarray(truth).dtype.kind in "iub"


def _compare_exact(backend, spec, rounded, params, *, truth, dtype, device, context, expected=None) -> Measurement:
    """An integer or bool column, or an index-valued result: the backend's result equals the reference's ``truth``
    (or the stated ``expected``) exactly, in the reference result's dtype (bool for comparisons, the float a
    division promotes to, int64 for indices); where ties make several indices correct, both sides in the entry's
    canonical form (``OpSpec.ties``)."""
    out = backend.run(spec.name, _to_backend(backend, rounded, dtype, device), params)
    backend.wait(out, device)
    stated = truth if expected is None else expected
    actual = backend.to_numpy(out)
    if spec.ties is not None and isinstance(actual, np.ndarray) and actual.shape == np.shape(stated):
        actual, stated = spec.tie_canonical(actual, rounded, params), spec.tie_canonical(stated, rounded, params)
    return assert_exact(actual, stated, dtype=str(truth.dtype), context=context)


def compare_forward(
    backend: Backend,
    spec: OpSpec,
    inputs,
    params,
    *,
    dtype: str,
    device: str,
    context: Context,
    expected=None,
    signed_zero: bool = False,
    tolerance: Tolerance | None = None,
) -> Measurement:
    """Run ``spec`` on ``backend`` at ``dtype`` and compare it with the float64 truth.

    The truth is the reference on the dtype-rounded inputs (or ``expected``, for
    stated special values); the tolerance is the catalog's for ``dtype`` (or ``tolerance``, a special
    value's own) plus the accumulation allowance, at the bound of the accumulator the backend promises.
    """
    rounded = round_to(inputs, dtype)
    params = bind_params(spec, rounded, params)
    truth = spec.canonical_forward(*rounded, **params)
    if is_integral(dtype) or is_exact_result(truth):
        return _compare_exact(backend, spec, rounded, params, truth=truth, dtype=dtype, device=device,
                              context=context, expected=expected)  # fmt: skip
    if expected is None:
        expected = truth
    out = backend.run(spec.name, _to_backend(backend, rounded, dtype, device), params)
    backend.wait(out, device)
    tolerance = tolerance or spec.tolerance(dtype)
    atol = tolerance.atol + spec.extra_atol(dtype, rounded, params, backend.accumulator(dtype, device))
    actual = backend.to_numpy(out)
    return assert_close(
        actual * spec.gauge_of(actual, rounded, params) if spec.gauge else actual,  # its own canonical form
        expected,
        dtype=dtype,
        rtol=tolerance.rtol,
        atol=atol,
        context=context,
        signed_zero=signed_zero,
    )


def compare_vjp(
    backend: Backend,
    spec: OpSpec,
    inputs,
    params,
    cotangent,
    *,
    dtype: str,
    device: str,
    context: Context,
    expected=None,
    tolerance: Tolerance | None = None,
) -> Measurement:
    """Compare the backend's gradients of ``<cotangent, f(inputs)>`` with the reference VJP (or ``expected``).

    Computed gradients get the accumulation allowance of a sum of products (``OpSpec.grad_extra_atol``) and, in
    the half types, the norm-wise allowance (``reference.spec.HALF_GRAD_NORMWISE``); stated ones neither."""
    stated = expected is not None
    rounded = round_to(inputs, dtype)
    params = bind_params(spec, rounded, params)
    (g,) = round_to((cotangent,), dtype)
    if expected is None:
        expected = spec.canonical_vjp(g, *rounded, **params)
    arrays = _to_backend(backend, rounded, dtype, device)
    if spec.gauge is not None:  # <g, canonical(f)>: the backend's VJP at g times its own output's multiplier
        out = backend.to_numpy(backend.run(spec.name, arrays, params))
        (g,) = round_to((g * spec.gauge_of(out, rounded, params),), dtype)
    grads = backend.vjp(spec.name, arrays, params, backend.asarray(g, dtype, device))
    backend.wait(grads, device)
    tolerance = tolerance or spec.tolerance(dtype, grad=True)
    worst = Measurement()
    names = [n for n, d in zip(input_names(spec.arg_names, len(rounded)), spec.differentiable(rounded)) if d]
    assert_count(grads, len(names), what="gradients from the backend", context=context)
    assert_count(expected, len(names), what="expected gradients", context=context)
    accumulator = backend.accumulator(dtype, device)
    extra = (0.0,) * len(names) if stated else spec.grad_extra_atol(dtype, g, rounded, params, accumulator)
    for name, actual, truth, accumulated in zip(names, grads, expected, extra):
        measured = assert_close(
            backend.to_numpy(actual),
            truth,
            dtype=dtype,
            rtol=tolerance.rtol,
            atol=tolerance.atol + accumulated + (0.0 if stated else _normwise_allowance(truth, dtype, tolerance)),
            context=replace(context, detail=f"gradient with respect to {name}"),
        )
        worst = worst.worst(measured)
    return worst


def _normwise_allowance(truth, dtype: str, tolerance: Tolerance) -> float:
    """The half types' norm-wise gradient allowance (``reference.spec.HALF_GRAD_NORMWISE``); 0 elsewhere."""
    if dtype not in HALF_DTYPES:
        return 0.0
    finite = np.abs(np.asarray(truth, dtype=np.float64))
    finite = finite[np.isfinite(finite)]
    return HALF_GRAD_NORMWISE * tolerance.rtol * float(finite.max(initial=0.0))


def _case_inputs(cell: Cell):
    spec = cell.spec
    case = spec.cases[cell.case]
    return spec, case, sample(spec.domain, case.shapes, cell.seed())


def check_forward(cell: Cell, backend: Backend) -> Measurement:
    """Forward values of one case against the float64 reference."""
    spec, case, inputs = _case_inputs(cell)
    return compare_forward(
        backend, spec, inputs, case.params, dtype=cell.dtype, device=cell.device, context=cell.context()
    )


def check_vjp(cell: Cell, backend: Backend) -> Measurement:
    """Backend gradients against the reference VJP, with a random cotangent."""
    spec, case, inputs = _case_inputs(cell)
    out_shape = spec.forward(*inputs, **case.params).shape
    cotangent = cotangent_like(out_shape, cell.seed())
    return compare_vjp(
        backend, spec, inputs, case.params, cotangent, dtype=cell.dtype, device=cell.device, context=cell.context()
    )


def check_special(cell: Cell, backend: Backend, *, stated=None) -> Measurement:
    """The backend at a special point against the catalog's stated value (and gradient convention), or
    against ``stated`` (a :class:`~impls.declare.Divergence`'s ``returns`` and ``grads``) when given."""
    spec = cell.spec
    special = special_of(spec, cell.special)
    if stated is not None:
        special = replace(special, expected=stated.returns, grads=stated.grads, note=f"declared: {stated.reason}")
    measured = compare_forward(
        backend,
        spec,
        special.arrays(),
        special.params,
        dtype=cell.dtype,
        device=cell.device,
        context=cell.context(special.note),
        expected=_stated(special.expected, cell.dtype),
        signed_zero=special.signed_zero,
        tolerance=special.tolerance,
    )
    if special.grads is not None:
        measured = measured.worst(
            compare_vjp(
                backend,
                spec,
                special.arrays(),
                special.params,
                np.asarray(special.cotangent, dtype=np.float64),
                dtype=cell.dtype,
                device=cell.device,
                context=cell.context(special.note),
                expected=tuple(np.asarray(gr, dtype=np.float64) for gr in special.grads),
                tolerance=special.tolerance,
            )
        )
    return measured


# ---------------------------------------------------------------- branches at special values
# NaN and ±inf on either side, ±0, and ties (every equal pair: 1.5 = 1.5, inf = inf, 0 = -0): the points where an
# elementwise op's forward or VJP picks a branch by comparison.  Every pair of them, for every elementwise entry, on
# every backend, against the reference; the reference's own conventions there are the catalog's stated specials.
BRANCH_VALUES = (math.nan, math.inf, -math.inf, 0.0, -0.0, 1.5, -2.0)
BRANCH_ARITY = {"unary": 1, "binary": 2}


def branch_inputs(spec) -> tuple[np.ndarray, ...]:
    """Every combination of :data:`BRANCH_VALUES` for an elementwise entry's inputs (one element each)."""
    arity = BRANCH_ARITY[spec.category]
    grid = np.array(list(itertools.product(BRANCH_VALUES, repeat=arity)), dtype=np.float64)
    return tuple(np.ascontiguousarray(grid[:, i]) for i in range(arity))


GRADIENT_CHECKS = ("vjp", "vjp_fd", "vjp_fd_full", "branches", "property")


def _has_float_dtype(spec) -> bool:
    return any(not is_integral(d) for d in spec.dtypes)


def applies_to(check: str, spec) -> bool:
    """Whether catalog entry ``spec`` gets check kind ``check`` (cells are generated, declarations may name it):
    the kind's checks (``CHECKS_BY_KIND``); ``branches`` only for elementwise entries."""
    if check in GRADIENT_CHECKS and not _has_float_dtype(spec):
        return False  # an entry checked only in integer and bool columns has no gradients (and no hypothesis draws)
    if check in ("vjp", "vjp_fd", "vjp_fd_full") and spec.kind in ("op", "layer", "loss") and not spec.has_gradient:
        return False  # an index-valued result (argmax, argsort) has no gradient: its values are checked exactly
    if check in ("vjp_fd", "vjp_fd_full"):
        return spec.kind in ("op", "layer", "loss")
    if check not in CHECKS_BY_KIND[spec.kind]:
        return False
    return check != "branches" or spec.category in BRANCH_ARITY


def check_branches(cell: Cell, backend: Backend) -> Measurement:
    """Forward and gradients of an elementwise entry at every combination of NaN, ±inf, ±0 and ties, against the
    reference evaluated at the same points; the cotangent is random with every element at least 0.5 in magnitude
    (each point's gradient is its own element: a small one would hide that point's branch)."""
    spec = cell.spec
    inputs, params = branch_inputs(spec), dict(spec.cases[0].params)
    where = "at every combination of NaN, ±inf, ±0, 1.5 and -2 (ties included)"
    common = {"dtype": cell.dtype, "device": cell.device}
    measured = compare_forward(backend, spec, inputs, params, context=cell.context("value " + where), **common)
    cotangent = cotangent_away_from_zero(inputs[0].shape, cell.seed())
    return measured.worst(
        compare_vjp(backend, spec, inputs, params, cotangent, context=cell.context("gradients " + where), **common)
    )


# ---------------------------------------------------------------- reference-only checks
def check_reference_special(cell: Cell, backend: Backend | None = None) -> Measurement:
    """The reference itself at a special point: the stated value and gradient, exactly (float64).  A special
    value scoped to dtypes states its value in the cell's dtype: the reference's float64 result on the inputs
    rounded to that dtype, rounded to it too (the correctly rounded answer a backend in that dtype owes)."""
    spec = cell.spec
    special = special_of(spec, cell.special)
    inputs = special.arrays()
    if special.dtypes is not None:
        inputs = round_to(inputs, cell.dtype)
    params = bind_params(spec, inputs, special.params)
    value = spec.forward(*inputs, **params)
    if is_integral(cell.dtype) or is_exact_result(value):  # stated exactly, in the dtype of the reference's result
        stated = special.expected
        if spec.ties is not None:
            value, stated = spec.tie_canonical(value, inputs, params), spec.tie_canonical(stated, inputs, params)
        return assert_exact(value, stated, dtype=str(value.dtype), context=cell.context(special.note))
    tolerance = special.tolerance or spec.tolerance("float64")
    value = spec.canonical_forward(*inputs, **params)
    measured = assert_close(
        value if special.dtypes is None else round_values(value, cell.dtype),
        special.expected,
        dtype="float64",
        rtol=tolerance.rtol,
        atol=tolerance.atol,
        context=cell.context(special.note),
        signed_zero=special.signed_zero,
    )
    if special.grads is not None:
        (cotangent,) = round_to((special.cotangent,), cell.dtype if special.dtypes else "float64")
        grads = spec.canonical_vjp(cotangent, *inputs, **params)
        assert_count(grads, len(special.grads), what="gradients from the reference VJP", context=cell.context())
        for grad, stated in zip(grads, special.grads):
            measured = measured.worst(
                assert_close(
                    grad if special.dtypes is None else round_values(grad, cell.dtype),
                    stated,
                    dtype="float64",
                    rtol=tolerance.rtol,
                    atol=tolerance.atol,
                    context=cell.context("gradient: " + special.note),
                )
            )
    return measured


def _canonical(spec):
    """The reference forward and VJP, or for an entry with a gauge those of the gauge-invariant
    ``<v, canonical(f)>`` (:attr:`reference.spec.OpSpec.gauge`), with the forward's input names."""
    if spec.gauge is None:
        return spec.forward, spec.vjp

    def forward(*inputs, **params):
        return spec.canonical_forward(*inputs, **params)

    forward.arg_names, forward.nondiff = spec.forward.arg_names, spec.forward.nondiff
    return forward, spec.canonical_vjp


def check_reference_vjp(cell: Cell, backend: Backend | None = None) -> Measurement:
    """The reference VJP against central finite differences (projected, or the full Jacobian)."""
    spec, case, inputs = _case_inputs(cell)
    params = bind_params(spec, inputs, case.params)
    forward, vjp = _canonical(spec)
    if cell.check == "vjp_fd_full":
        return check_vjp_full(forward, vjp, inputs, params, eps=spec.fd_step, context=cell.context())
    return check_vjp_projected(forward, vjp, inputs, params, eps=spec.fd_step, seed=cell.seed(), context=cell.context())


def check_trajectory(cell: Cell, backend: Backend) -> Measurement:
    """An optimizer's parameters after every step, against the float64 reference on the same inputs."""
    spec = cell.spec
    case = spec.cases[cell.case]
    rng = np.random.default_rng(cell.seed())
    shape = case.shapes[0]
    param0, *grads = round_to([rng.standard_normal(shape) for _ in range(spec.steps + 1)], cell.dtype)
    lrs = spec.lrs()
    expected = optim.trajectory(spec.name, param0, grads, lrs, dict(case.params))
    actual = backend.run_optimizer(spec.name, param0, grads, lrs, dict(case.params), cell.dtype, cell.device)
    for items, what in ((lrs, "learning rates"), (expected, "reference steps"), (actual, "steps from the backend")):
        assert_count(items, spec.steps, what=what, context=cell.context("the trajectory's length"))
    tolerance = spec.tolerance(cell.dtype)
    worst = Measurement()
    for k, (got, truth) in enumerate(zip(actual, expected)):
        atol = tolerance.atol + spec.extra_atol(cell.dtype, k, float(np.max(np.abs(truth))) + max(lrs))
        measured = assert_close(
            got,
            truth,
            dtype=cell.dtype,
            rtol=tolerance.rtol,
            atol=atol,
            context=cell.context(f"parameters after step {k + 1} of {spec.steps}"),
        )
        worst = worst.worst(measured)
    return worst


@functools.lru_cache(maxsize=32)
def reference_training(loop: str, case: int, without_amp: bool = False):
    """The reference trajectory: the loop on the NumPy backend, float64, manual gradients (cached); a mixed-precision
    case runs under the same autocast with the low type emulated exactly (``reference.amp``), or without autocast
    and loss scaling when ``without_amp``."""
    from impls.numpy_backend import NumpyBackend

    params = {**get_entry(loop).cases[case].params, "grad": "manual"}
    if without_amp:
        params = {k: v for k, v in params.items() if k not in ("amp", "loss_scale")}
    elif params.get("amp"):
        params["emulate_amp"] = True
    return get_entry(loop).run(NumpyBackend(), **params)


def _compare_named(
    actual: dict, truth: dict, *, dtype: str, atol: float, what: str, cell: Cell, extra=None
) -> Measurement:
    """Every named array of ``truth`` against ``actual`` (the same names, no more, no fewer); ``extra`` adds an
    allowance per name."""
    assert_same_names(actual, truth, what=what, context=cell.context(what))
    tolerance = DEFAULT_TOLERANCES[dtype]
    worst = Measurement()
    for name, value in truth.items():
        context = cell.context(f"{what} {name}")
        allowed = atol + (extra or {}).get(name, 0.0)
        measured = assert_close(actual[name], value, dtype=dtype, rtol=tolerance.rtol, atol=allowed, context=context)
        worst = worst.worst(measured)
    return worst


def _largest(arrays: dict) -> float:
    return max(float(np.max(np.abs(v), initial=0.0)) for v in arrays.values())


def check_training(cell: Cell, backend: Backend) -> Measurement:
    """A training loop's loss at every step, its first-step gradient and its final parameters (running
    statistics included) against the reference trajectory."""
    spec = cell.spec
    params = spec.cases[cell.case].params
    truth = reference_training(cell.op, cell.case)
    result = spec.run(backend, device=cell.device, dtype=cell.dtype, **params)
    tolerance = DEFAULT_TOLERANCES[cell.dtype]
    steps = len(truth.losses)
    loss_atol = tolerance.atol + spec.allowance(cell.dtype, steps, float(np.max(np.abs(truth.losses))))
    amp = {}  # mixed precision: the low type's own effect on the reference, twice (LoopSpec's doc)
    if params.get("amp"):
        plain = reference_training(cell.op, cell.case, without_amp=True)
        loss_atol = loss_atol + spec.amp_allowance(truth.losses, plain.losses, per_step=True)
        amp = {name: spec.amp_allowance(truth.params[name], plain.params[name]) for name in truth.params}
        first, plain_first, ulp = truth.first_step_grad, plain.first_step_grad, 2 * UNIT_ROUNDOFF[params["amp"]]
        amp.update({f"grad:{n}": spec.amp_allowance(v, plain_first[n]) + ulp * np.abs(v) for n, v in first.items()})
    worst = assert_close(
        result.losses,
        truth.losses,
        dtype=cell.dtype,
        rtol=tolerance.rtol,
        atol=loss_atol,
        context=cell.context("loss at each step"),
    )
    first_atol = tolerance.atol + spec.allowance(cell.dtype, 1, _largest(truth.first_step_grad))[0]
    worst = worst.worst(
        _compare_named(
            result.first_step_grad, truth.first_step_grad, dtype=cell.dtype, atol=first_atol,
            what="first-step gradient of", cell=cell,
            extra={n.removeprefix("grad:"): v for n, v in amp.items() if n.startswith("grad:")},
        )
    )  # fmt: skip
    param_atol = tolerance.atol + spec.allowance(cell.dtype, steps, _largest(truth.params))[-1]
    return worst.worst(
        _compare_named(
            result.params, truth.params, dtype=cell.dtype, atol=param_atol, what="final", cell=cell, extra=amp
        )  # fmt: skip
    )


CHECKS = {
    "forward": check_forward,
    "vjp": check_vjp,
    "special": check_special,
    "branches": check_branches,
    "vjp_fd": check_reference_vjp,
    "vjp_fd_full": check_reference_vjp,
    "trajectory": check_trajectory,
    "train": check_training,
}


def check_declared_behaviour(cell: Cell, backend: Backend, divergence) -> Measurement | None:
    """Confirm that a mismatch is the declared divergence: at a special value, the backend must give
    what the declaration states (raises :class:`Mismatch` otherwise); elsewhere a declaration states no
    values, so any mismatch of the covered cell is the divergence (returns None)."""
    if cell.check != "special" or divergence.returns is None:
        return None
    return check_special(cell, backend, stated=divergence)


def run_check(cell: Cell, backend: Backend | None) -> Measurement:
    """Run ``cell``: backend checks need ``backend``; reference checks ignore it."""
    if cell.backend == REFERENCE and cell.check == "special":
        return check_reference_special(cell)
    return CHECKS[cell.check](cell, backend)
