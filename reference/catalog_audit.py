"""Audit plans for the entries of :mod:`reference.catalog`: ops and optimizers (``parity audit``).

Unary and binary ops, reductions and the softmax family get their plan from their category, so a new entry
of those categories is audited without new code; the other entries have a plan each.  A meta-test fails
when an entry has none (tests/meta/test_audit.py).
"""

from __future__ import annotations

import inspect
import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from impls.declare import Divergence, Unsupported
from reference import catalog, catalog_linalg_audit, optim, order
from reference._checks import normalize_axes
from reference.audit_kit import (
    AuditPlan,
    Config,
    OracleBug,
    Trajectory,
    arrays,
    cotangent_seeds,
    mask_rows,
    shapes,
    values,
)

# Keyword parameters of the elementwise ops, with every form torch accepts (declared below where the
# reference rejects one).
PARAMETERS = {
    "negative_slope": st.one_of(st.floats(-2.0, 2.0), st.sampled_from([0.0, 0.01, 1.0])),
    "beta": st.one_of(st.floats(0.1, 5.0), st.sampled_from([1.0, 2.0, 0.0, -1.5])),
    "threshold": st.one_of(st.none(), st.none(), st.none(), st.sampled_from([20.0, 5.0, 1.0])),
    # the elementwise families of #14 (a bound of None, and crossed bounds, included: torch accepts them)
    "alpha": st.one_of(st.floats(0.0, 3.0), st.sampled_from([1.0, 0.5, 0.0])),
    "min": st.one_of(st.none(), st.floats(-3.0, 3.0), st.sampled_from([-1.0, 0.0])),
    "max": st.one_of(st.none(), st.floats(-3.0, 3.0), st.sampled_from([1.0, 0.0])),
    "min_val": st.one_of(st.floats(-3.0, 3.0), st.sampled_from([-1.0, 0.0])),
    "max_val": st.one_of(st.floats(-3.0, 3.0), st.sampled_from([1.0, 0.0])),
}


def keyword_parameters(forward) -> tuple[str, ...]:
    """The reference signature's parameters with a default that are not array inputs (the ones a configuration
    sets in its params)."""
    arrays = {n.rstrip("?") for n in getattr(forward, "arg_names", ())}
    return tuple(
        name
        for name, p in inspect.signature(forward).parameters.items()
        if p.default is not inspect.Parameter.empty and name not in arrays
    )


def _signed_zero(spec) -> bool:
    return any(s.signed_zero for s in spec.specials)


def _elementwise_plan(spec, arity: int) -> AuditPlan:
    params = st.fixed_dictionaries({p: PARAMETERS[p] for p in keyword_parameters(spec.forward)})

    @st.composite
    def configs(draw):
        if arity == 1:
            input_shapes = [draw(shapes(max_dims=4))]
        else:
            input_shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4)).input_shapes
        inputs = tuple(draw(arrays(s, values(wide=True))) for s in input_shapes)
        return Config(inputs, draw(params), draw(cotangent_seeds()))

    return AuditPlan(
        configs,
        declarations=DECLARED.get(spec.name, ()),
        oracle_bugs=ORACLE_BUGS.get(spec.name, ()),
        signed_zero=_signed_zero(spec),
    )


def _axis(draw, ndim: int):
    """None, an int (sometimes out of range: both sides must reject it) or a tuple of axes (possibly empty)."""
    choices = [st.none(), hnp.valid_tuple_axes(ndim)]
    if ndim:
        choices.append(st.integers(-ndim - 1, ndim))
    return draw(st.one_of(*choices))


def _no_degrees_of_freedom(inputs, params):
    """Some output of var reduces no more elements than ``correction``."""
    (x,) = inputs
    return math.prod(x.shape[a] for a in normalize_axes(params.get("axis"), x.ndim)) < params["correction"]


def _centred_variance_vanishes(inputs, params):
    """Some step of a centred RMSprop run (the reference's) has square_avg - grad_avg**2 within rounding of 0."""
    if not params.get("centered"):
        return False
    hyper = {k: v for k, v in params.items() if k != "lrs"}
    param, state = inputs[0], {}
    with np.errstate(all="ignore"):
        for grad, lr in zip(inputs[1:], params["lrs"]):
            param, state = optim.rmsprop(param, grad, state, lr=lr, **hyper)
            square, mean = state["square_avg"], state["grad_avg"]
            if np.any(np.abs(square - mean * mean) <= 4 * 2.0**-53 * np.abs(square)):
                return True
    return False


def _quotient_over_y_overflows(inputs, params):
    x, y = (np.asarray(v, dtype=np.float64) for v in inputs[:2])
    with np.errstate(all="ignore"):
        return bool(np.any(np.isinf((x / y) / y) & np.isfinite(x) & np.isfinite(y) & (y != 0)))


def _quotient_overflows(inputs, params):
    x, y = (np.asarray(v, dtype=np.float64) for v in inputs[:2])
    with np.errstate(all="ignore"):
        return bool(np.any(np.isinf(x / y) & np.isfinite(x) & np.isfinite(y) & (y != 0)))


_VECTORISED_FMOD = (
    "torch's vectorised float64 {name} (ATen at CPU capability AVX2 or AVX512; the scalar DEFAULT path is right) "
    "returns NaN where x / y overflows although the result is finite (fmod(1, 1e-310) = 1.6e-311 in C and NumPy): "
    "measured with ATEN_CPU_CAPABILITY, on tensors of a vector's width or more"
)
_FMOD_TEST = "tests/test_divergences.py::test_torch_vectorised_float64_fmod_is_nan_where_the_quotient_overflows"

ORACLE_BUGS = {
    **{
        name: (OracleBug(_VECTORISED_FMOD.format(name=name), _FMOD_TEST, _quotient_overflows, check="forward"),)
        for name in ("fmod", "remainder")
    },
    "div": (
        OracleBug(
            "torch's div backward forms the y-gradient as -g * ((x / y) / y) (derivatives.yaml): where (x / y) / y "
            "overflows (x = y subnormal: 1 / y > 1.8e308) it is -inf although -g x / y**2 is finite for |g| < 0.4; "
            "the reference's -(g / y)(x / y) keeps it",
            "tests/test_divergences.py::test_torch_div_gradient_overflows_where_the_quotient_over_y_does",
            _quotient_over_y_overflows,
            check="vjp",
        ),
    ),
    "std": (
        OracleBug(
            "torch.std's backward divides by N - correction as it is (and by 2 std = inf), while its forward divides "
            "by max(N - correction, 0): over a dim, where correction > N, the gradient of an infinite std is 0",
            "tests/test_divergences_reductions.py::test_torch_std_gradient_ignores_the_clamp_of_its_forward",
            _no_degrees_of_freedom,
            check="vjp",
        ),
    ),
    "rmsprop": (
        OracleBug(
            "where centred RMSprop's variance estimate square_avg - grad_avg**2 vanishes (alpha ~ 0, repeated "
            "gradients), torch forms it in one addcmul, which may fuse the product and leave the negative residue "
            "of rounding: its square root is NaN",
            "tests/test_divergences.py::test_torch_centered_rmsprop_with_alpha_0_can_take_the_root_of_a_negative"
            "_variance",
            _centred_variance_vanishes,
        ),
    ),
    "var": (
        OracleBug(
            "torch.var's backward divides by N - correction as it is, while its forward divides by "
            "max(N - correction, 0): where correction > N the forward is inf or NaN and the gradient finite",
            "tests/test_divergences.py::test_torch_var_gradient_ignores_the_clamp_of_its_forward",
            _no_degrees_of_freedom,
            check="vjp",
        ),
    ),
}


def _reduction_plan(spec) -> AuditPlan:
    @st.composite
    def configs(draw):
        shape = draw(shapes(max_dims=3))
        x = draw(arrays(shape))
        params = {"axis": _axis(draw, len(shape)), "keepdims": draw(st.booleans())}
        if spec.name in ("var", "std"):
            params["correction"] = draw(st.one_of(st.integers(0, 3), st.sampled_from([0.5, 1.5])))
        if spec.name == "vector_norm":  # every order torch accepts; the reference's are 1, 2 and inf (declared)
            params["ord"] = draw(st.sampled_from([1, 2, math.inf, 1.0, 2.0, 0, 3, 0.5, -1, -math.inf]))
        if spec.name in ("max", "min", "logsumexp") and x.ndim:
            x = mask_rows(draw, x, draw(st.integers(0, x.ndim - 1)))
        return Config((x,), params, draw(cotangent_seeds()))

    return AuditPlan(
        configs,
        declarations=DECLARED.get(spec.name, ()),
        signed_zero=_signed_zero(spec),
        oracle_bugs=ORACLE_BUGS.get(spec.name, ()),
    )


def _scan_plan(spec) -> AuditPlan:
    @st.composite
    def configs(draw):
        shape = draw(shapes(max_dims=3))
        ndim = max(len(shape), 1)
        axis = draw(st.integers(-ndim - 1, ndim))  # sometimes out of range: both sides must reject it
        params = {"axis": axis}
        if "keepdims" in keyword_parameters(spec.forward):
            params["keepdims"] = draw(st.booleans())
        if spec.name in ("topk", "topk_indices"):  # k now and then out of range too: both sides must reject it
            n = shape[axis] if shape and -ndim <= axis < ndim else 1
            k = st.one_of(st.integers(0, n), st.integers(0, n), st.integers(0, n), st.sampled_from([-1, n + 1]))
            params.update(k=draw(k), largest=draw(st.booleans()))
        return Config((draw(arrays(shape)),), params, draw(cotangent_seeds()))

    return AuditPlan(configs, declarations=DECLARED.get(spec.name, ()), signed_zero=_signed_zero(spec))


def _softmax_plan(spec) -> AuditPlan:
    @st.composite
    def configs(draw):
        shape = draw(shapes(min_dims=1, max_dims=3))
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        x = mask_rows(draw, draw(arrays(shape)), axis)
        return Config((x,), {"axis": draw(st.one_of(st.just(axis), st.integers(-4, 3)))}, draw(cotangent_seeds()))

    return AuditPlan(configs, declarations=DECLARED.get(spec.name, ()))


# ---------------------------------------------------------------- linear algebra and shape
@st.composite
def _matmul(draw):
    pair = draw(hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=3, max_side=4))
    inputs = tuple(draw(arrays(s)) for s in pair.input_shapes)
    return Config(inputs, {}, draw(cotangent_seeds()))


@st.composite
def _outer(draw):
    inputs = tuple(draw(arrays((draw(st.integers(0, 5)),))) for _ in range(2))
    return Config(inputs, {}, draw(cotangent_seeds()))


@st.composite
def _transpose(draw):
    shape = draw(shapes(max_dims=4))
    perm = st.permutations(range(len(shape))).map(lambda p: tuple(a - len(shape) if a % 2 else a for a in p))
    return Config((draw(arrays(shape)),), {"axes": draw(st.one_of(st.none(), perm))}, draw(cotangent_seeds()))


@st.composite
def _reshape(draw):
    shape = draw(shapes(max_dims=3))
    size = math.prod(shape)
    targets = [(-1,), tuple(reversed(shape)), (1, *shape, 1), (size,), (-1, 1), (1, -1), (size + 1,), (-1, -1)]
    if size:
        targets.append((shape[0], -1) if shape else (1,))
    return Config((draw(arrays(shape)),), {"shape": draw(st.sampled_from(targets))}, draw(cotangent_seeds()))


@st.composite
def _concatenate(draw):
    shape = draw(shapes(min_dims=1, max_dims=3))
    axis = draw(st.integers(0, len(shape) - 1))
    sizes = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    inputs = tuple(draw(arrays(shape[:axis] + (n,) + shape[axis + 1 :])) for n in sizes)
    return Config(inputs, {"axis": draw(st.sampled_from([axis, axis - len(shape)]))}, draw(cotangent_seeds()))


@st.composite
def _slice(draw):
    shape = draw(shapes(min_dims=1, max_dims=3))
    index = []
    for n in shape[: draw(st.integers(1, len(shape)))]:
        if n and draw(st.booleans()):
            index.append(draw(st.integers(-n, n - 1)))
            continue
        bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
        step = st.one_of(st.none(), st.integers(-3, 3).filter(bool))
        index.append(slice(draw(bound), draw(bound), draw(step)))
    return Config((draw(arrays(shape)),), {"index": tuple(index)}, draw(cotangent_seeds()))


# ---------------------------------------------------------------- optimizers
def _unit(low=0.0, high=1.0):
    return st.one_of(st.just(low), st.floats(low, high))


OPTIMIZER_HYPER = {
    "sgd": {
        "momentum": _unit(0.0, 0.99),
        "dampening": _unit(0.0, 1.0),
        "nesterov": st.booleans(),
        "weight_decay": _unit(0.0, 0.1),
        "maximize": st.booleans(),
    },
    "adam": {
        "betas": st.tuples(st.floats(0.0, 0.99), st.floats(0.0, 0.9999)),
        "eps": st.floats(1e-10, 1e-2),
        "weight_decay": _unit(0.0, 0.1),
        "amsgrad": st.booleans(),
        "maximize": st.booleans(),
    },
    "rmsprop": {
        "alpha": st.floats(0.0, 0.999),
        "eps": st.floats(1e-10, 1e-2),
        "weight_decay": _unit(0.0, 0.1),
        "momentum": _unit(0.0, 0.99),
        "centered": st.booleans(),
        "maximize": st.booleans(),
    },
}
OPTIMIZER_HYPER["adamw"] = OPTIMIZER_HYPER["adam"]
OPTIMIZER_HYPER["adagrad"] = {
    "lr_decay": _unit(0.0, 1.0),
    "weight_decay": _unit(0.0, 0.1),
    "initial_accumulator_value": _unit(0.0, 1.0),
    "eps": st.floats(1e-10, 1e-2),
    "maximize": st.booleans(),
}


def _optimizer_plan(spec) -> AuditPlan:
    hyper = OPTIMIZER_HYPER[spec.name]

    @st.composite
    def configs(draw):
        shape = draw(shapes(max_dims=2))
        steps = draw(st.integers(1, 6))
        grads = tuple(draw(arrays(shape, values(1e2))) for _ in range(steps))
        lrs = tuple(draw(st.lists(st.floats(0.0, 1.0), min_size=steps, max_size=steps)))
        chosen = draw(st.lists(st.sampled_from(sorted(hyper)), unique=True))
        return Trajectory(draw(arrays(shape, values(1e2))), grads, lrs, {k: draw(hyper[k]) for k in sorted(chosen)})

    return AuditPlan(configs, declarations=DECLARED.get(spec.name, ()), oracle_bugs=ORACLE_BUGS.get(spec.name, ()))


# ---------------------------------------------------------------- the reference's deliberate differences
def _softplus_threshold(inputs, params):
    return params.get("threshold") is not None


def _non_positive_beta(inputs, params):
    return params.get("beta", 1.0) <= 0


def _beyond_torch_threshold(inputs, params):
    (x,) = inputs
    return bool(np.any(params.get("beta", 1.0) * x > 20))


def _nearly_constant_slice(inputs, params):
    """Some slice of std is constant up to rounding: its std is 0 or a rounding residue, the kink where the
    gradient is 0 by convention on one side and (x - mean) / (dof std) of residues on the other."""
    (x,) = inputs
    axes = normalize_axes(params.get("axis"), x.ndim)
    if not x.size:
        return False
    spread = np.max(x, axis=axes, initial=-np.inf) - np.min(x, axis=axes, initial=np.inf)
    scale = np.max(np.abs(x), axis=axes, initial=0.0)
    return bool(np.any(~(spread > 1e-12 * scale)))


def _norm_order_beyond_reference(inputs, params):
    return params.get("ord", 2) not in (1, 2, math.inf)


def _infinite_input(inputs, params):
    return bool(np.isinf(inputs[0]).any())


def _cube_overflows(inputs, params):
    return bool((np.abs(inputs[0]) > 5e102).any())  # x**3 overflows float64: torch's tanh form meets inf * 0


def _limits_at_infinity(name, formula, inputs=_infinite_input):
    return (
        Divergence(
            name,
            f"the reference takes the limits at +-inf; torch evaluates {formula} literally (NaN at -inf, NaN "
            "gradients at +-inf: inf * 0)",
            inputs=inputs,
        ),
    )


def _nan_in_eight(inputs, params):
    (x,) = inputs
    return x.size >= 8 and bool(np.isnan(x).any())


def _vectorised_nan_gradient(name):
    return (
        Divergence(
            name,
            "the gradient at NaN: the reference takes torch's scalar loop's (the right branch's slope); torch's "
            "vectorised CPU loop, from 8 float64 elements on AVX2, gives NaN (elu, selu) or 0 (hardtanh)",
            inputs=_nan_in_eight,
        ),
    )


def _k0_of_a_scalar(inputs, params):
    return np.ndim(inputs[0]) == 0 and params.get("k") == 0


def _topk_ties(inputs, params):
    """Whether, in some row, two of the k chosen values (or the k-th and the next) are equal (NaN equal to NaN)."""
    try:
        k = min(params["k"] + 1, np.shape(inputs[0])[params.get("axis", -1)] if np.ndim(inputs[0]) else 1)
        top = order.topk(inputs[0], **{**params, "k": k})
    except (ValueError, TypeError, IndexError):
        return False
    top = np.moveaxis(np.reshape(top, (1,)) if top.ndim == 0 else top, params.get("axis", -1), -1)
    same = (top[..., 1:] == top[..., :-1]) | (np.isnan(top[..., 1:]) & np.isnan(top[..., :-1]))
    return bool(np.any(same))


_TOPK_OF_NOTHING = "k=0 of a 0-d x is not supported: torch returns a 0-d result (one element) for no elements"
DECLARED = {
    **{name: (Unsupported(name, _TOPK_OF_NOTHING, inputs=_k0_of_a_scalar),) for name in ("topk_indices",)},
    "topk": (
        Unsupported("topk", _TOPK_OF_NOTHING, inputs=_k0_of_a_scalar),
        Divergence(
            "topk",
            "at tied values (among the k chosen, or the k-th and the next) which tied index takes which value's "
            "gradient is not promised: the reference takes the first, in index order; torch any of them (the values "
            "agree: compared exactly above)",
            check="vjp",
            inputs=_topk_ties,
        ),
    ),
    "std": (
        Divergence(
            "std",
            "at a constant slice std is 0 and its gradient 0/0: 0 by convention (torch's too), but torch and the "
            "reference round the mean differently, so one may see a residue where the other sees 0",
            inputs=_nearly_constant_slice,
        ),
    ),
    "vector_norm": (
        Unsupported(
            "vector_norm",
            "ord other than 1, 2 and inf is not supported (torch accepts any real order, 0 and -inf included)",
            inputs=_norm_order_beyond_reference,
        ),
    ),
    "silu": _limits_at_infinity("silu", "x * sigmoid(x)"),
    "mish": _limits_at_infinity("mish", "x * tanh(softplus(x))"),
    "gelu_tanh": _limits_at_infinity("gelu_tanh", "0.5 x (1 + tanh(u)) (also where x**3 overflows)", _cube_overflows),
    "elu": _vectorised_nan_gradient("elu"),
    "selu": _vectorised_nan_gradient("selu"),
    "hardtanh": _vectorised_nan_gradient("hardtanh"),
    "softplus": (
        Unsupported(
            "softplus",
            "the reference's softplus is exact for every x; torch's threshold switches to x itself above "
            "beta * x > threshold, so a threshold is rejected rather than half honoured",
            inputs=_softplus_threshold,
        ),
        Unsupported(
            "softplus",
            "beta <= 0 is not supported: softplus is defined for positive beta (torch computes its formula anyway)",
            inputs=_non_positive_beta,
        ),
        Divergence(
            "softplus",
            "exact beyond torch's threshold (20): torch returns x, the reference x + log1p(exp(-beta x)) / beta, "
            "a difference of at most 2.1e-9 / beta, inside the float64 tolerance",
            inputs=_beyond_torch_threshold,
        ),
    ),
}


# ---------------------------------------------------------------- the registry
def _plan(spec) -> AuditPlan:
    if spec.category == "unary":
        return _elementwise_plan(spec, 1)
    if spec.category == "binary":
        return _elementwise_plan(spec, 2)
    if spec.name in ("softmax", "log_softmax"):
        return _softmax_plan(spec)
    if spec.category == "reduction":
        return _reduction_plan(spec)
    if spec.name in catalog_linalg_audit.PLANS:
        return catalog_linalg_audit.PLANS[spec.name]
    if spec.category in ("scan", "order"):  # (#14) one int axis
        return _scan_plan(spec)
    if spec.name in SHAPED:
        return AuditPlan(SHAPED[spec.name], declarations=DECLARED.get(spec.name, ()), signed_zero=_signed_zero(spec))
    raise KeyError(f"no audit plan for {spec.name!r}: add one to {__name__}")


@st.composite
def _where(draw):
    condition, *shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4)).input_shapes
    inputs = (draw(hnp.arrays(np.bool_, condition)), *(draw(arrays(s)) for s in shapes))
    return Config(inputs, {}, draw(cotangent_seeds()))


SHAPED = {
    "where": _where,
    "matmul": _matmul,
    "outer": _outer,
    "transpose": _transpose,
    "reshape": _reshape,
    "concatenate": _concatenate,
    "slice": _slice,
}

# the categories planned here; a family with its own catalog module plans its entries beside it (catalog_*_audit.py)
CATEGORIES = ("unary", "binary", "ternary", "reduction", "scan", "order", "linalg", "shape")
PLANS: dict[str, AuditPlan] = {
    name: _plan(spec) for name, spec in catalog.CATALOG.items() if spec.kind == "op" and spec.category in CATEGORIES
} | {name: _optimizer_plan(spec) for name, spec in catalog.OPTIMIZER_SPECS.items()}

# Entries the audit does not run, with the reason (a meta-test requires one for every entry without a plan).
NOT_AUDITED = {
    name: "a training loop composes audited entries (layers, losses, optimizers); its run against the reference "
    "run is the matrix's `train` check on every backend, torch included"
    for name in catalog.LOOP_SPECS
}
