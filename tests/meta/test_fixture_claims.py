"""What the docs say the fixtures do, asserted (issue #20): a fixture that stops doing it fails here."""

import numpy as np
import pytest

from parity.checks import Cell
from parity.inputs import cotangent_like, round_to, sample
from reference import CATALOG, OPTIMIZER_SPECS
from reference.spec import DEFAULT_TOLERANCES, INTEGER_DTYPES, UNIT_ROUNDOFF


@pytest.mark.parametrize("spec", CATALOG.values(), ids=list(CATALOG))
def test_seeded_data_is_the_same_for_every_backend_and_dtype_and_differs_between_cases(spec):
    cells = [Cell("forward", spec.name, b, "cpu", d, case=i) for i in range(len(spec.cases))
             for b in ("numpy", "torch") for d in ("float32", "float64")]  # fmt: skip
    by_case = {}
    for cell in cells:
        by_case.setdefault(cell.case, set()).add(cell.seed())
    assert all(len(seeds) == 1 for seeds in by_case.values()), "one seed per case, whatever backend or dtype"
    seeds = [s for (s,) in by_case.values()]
    assert len(set(seeds)) == len(seeds), "every case draws its own data"
    case = spec.cases[0]
    first, again = sample(spec.domain, case.shapes, seeds[0]), sample(spec.domain, case.shapes, seeds[0])
    for a, b in zip(first, again):
        if a is not None:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 1, 5)])
def test_cotangents_are_random_not_all_ones(shape):
    g = cotangent_like(shape, seed=3)
    assert g.shape == shape and len(np.unique(g)) == g.size and np.any(g < 0) and np.any(g > 0)
    assert not np.array_equal(g, cotangent_like(shape, seed=4))


def test_the_branch_cotangent_is_random_and_no_element_is_small():
    from parity.inputs import cotangent_away_from_zero

    g = cotangent_away_from_zero((49,), seed=7)
    assert np.all(np.abs(g) >= 0.5) and np.any(g < 0) and np.any(g > 0) and len(np.unique(g)) == g.size
    assert not np.array_equal(g, cotangent_away_from_zero((49,), seed=8))


def test_every_seed_gets_its_own_cotangent_and_never_its_inputs_stream():
    """The seed -> cotangent map is one to one and never the inputs' own stream: seeds 0..255 give 256 different
    cotangents, none of them the standard normal draw the inputs of that seed start from.  Cells take 32-bit CRC
    seeds (parity.inputs.stable_seed); a map that merges seeds (``seed | mask``) gives two cells one cotangent, and
    one that can return the seed itself, the inputs' draw."""
    cotangents = {cotangent_like((6,), seed).tobytes() for seed in range(256)}
    assert len(cotangents) == 256
    assert all(not np.array_equal(cotangent_like((6,), s), np.random.default_rng(s).standard_normal(6)) for s in
               range(256))  # fmt: skip


GAP = 0.25 - 1e-9  # parity.inputs.SEPARATION, less the rounding of an eigen- or singular value decomposition


def _within(x, low, high) -> bool:
    return x is None or bool(np.all((low <= x) & (x <= high)))


def _gaps(values) -> np.ndarray:
    """The gaps between neighbouring values along the last axis (sorted)."""
    return np.diff(np.sort(values, axis=-1), axis=-1)


def _no_ties(xs) -> bool:
    return all(x.size < 2 or _gaps(x.ravel()).min() >= 0.2 for x in xs)


def _indices_below(index, bound) -> bool:
    return index.dtype == np.int64 and _within(index, 0, bound - 1)


def _symmetric(a) -> bool:
    return np.array_equal(a, np.swapaxes(a, -1, -2))


def _well_conditioned(x) -> bool:
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        return _within(x, -3, 3)  # a right-hand side
    return _within(np.linalg.svd(x, compute_uv=False), 1 - 1e-9, 2.5 + 1e-9)


def _separated_norms(x) -> bool:
    s = np.linalg.svd(x, compute_uv=False)
    lines = [np.sort(np.abs(x).sum(axis=axis), axis=-1) for axis in (-2, -1)]
    return (s.min() >= 0.5 - 1e-9 and (s.shape[-1] < 2 or _gaps(s).min() >= GAP)
            and all(line.shape[-1] < 2 or np.all(line[..., -1] - line[..., -2] >= GAP) for line in lines))  # fmt: skip


def _separated_spectrum(a) -> bool:
    w = np.linalg.eigvalsh(a)
    k = np.arange(1, a.shape[-1] + 1)
    in_bounds = np.all((-1.5 + k / 2 - 1e-9 <= w) & (w <= -1.5 + k + 1e-9))
    return _symmetric(a) and bool(in_bounds) and (w.shape[-1] < 2 or _gaps(w).min() >= GAP)


def _class_indices(xs) -> bool:
    logits, target, *weights = xs
    classes = logits.shape[1] if logits.ndim >= 2 else logits.shape[0]
    in_range = (target == -100) | ((0 <= target) & (target < classes))
    return (target.dtype == np.int64 and bool(np.all(in_range)) and (target.size <= 2 or -100 in target)
            and all(_within(w, 0.5, 2.0) for w in weights))  # fmt: skip


def _class_probabilities(xs) -> bool:
    _, target, *weights = xs
    axis = 1 if target.ndim >= 2 else 0
    return bool(np.all(target > 0) and np.allclose(target.sum(axis=axis), 1.0)) and all(_within(w, 0.5, 2.0) for w in
                                                                                         weights)  # fmt: skip


def _attention_mask(xs) -> bool:
    mask = xs[-1]
    return mask.dtype == np.int64 and set(np.unique(mask)) <= {0, 1} and bool(np.all(mask.max(axis=-1) == 1))


# Every domain the catalog draws from, with the promise its sampler (parity.inputs) makes in its comment or docstring
DOMAIN_CLAIMS = {
    "real": lambda xs: all(_within(x, -3, 3) for x in xs),
    "positive": lambda xs: all(np.all(x > 0) for x in xs),
    "unit": lambda xs: all(np.all(np.abs(x) <= 1) for x in xs),
    "nonzero": lambda xs: all(np.all(np.abs(x) >= 0.1) for x in xs),
    "above_minus_one": lambda xs: all(np.all(x > -1) for x in xs),
    "nonzero_denominator": lambda xs: np.all(np.abs(xs[1]) >= 0.1),
    "distinct_pair": lambda xs: np.all(np.abs(np.subtract(*np.broadcast_arrays(*xs))) >= 0.25),
    "pow": lambda xs: np.all(xs[0] > 0),
    "unit_interval": lambda xs: all(np.all(np.abs(x) <= 0.9) for x in xs),
    "above_one": lambda xs: all(np.all(x >= 1.1) for x in xs),
    "between_steps": lambda xs: all(np.all(np.abs(2 * x - np.round(2 * x)) >= 0.099) for x in xs),
    "quotient_between_steps": lambda xs: np.all(np.abs(xs[0] / xs[1] - np.round(xs[0] / xs[1])) >= 0.024),
    "log_argument": lambda xs: np.all(xs[1] > 0),
    "no_ties": _no_ties,
    "well_conditioned": lambda xs: all(_well_conditioned(x) for x in xs),
    "symmetric_positive_definite": lambda xs: all(
        _symmetric(a) and _within(np.linalg.eigvalsh(a), 0.5 - 1e-9, 3 + 1e-9) for a in xs
    ),  # fmt: skip
    "separated_norms": lambda xs: all(_separated_norms(x) for x in xs),
    "separated_spectrum": lambda xs: all(_separated_spectrum(a) for a in xs),
    "class_indices": _class_indices,
    "class_probabilities": _class_probabilities,
    "binary_targets": lambda xs: _within(xs[1], 0, 1) and all(_within(w, 0.5, 3) for w in xs[2:]),
    "probabilities": lambda xs: (
        _within(xs[0], 0.05, 0.95) and _within(xs[1], 0, 1) and all(_within(w, 0.5, 3) for w in xs[2:])
    ),  # fmt: skip
    "batch_norm_eval": lambda xs: np.all(xs[2] > 0),
    "dropout": lambda xs: set(np.unique(xs[1])) <= {0.0, 1.0},
    "attention_bool_mask": _attention_mask,
    "condition": lambda xs: xs[0].dtype == np.bool_,
    "index_second": lambda xs: _indices_below(xs[1], min(xs[0].shape, default=1)),
    "embedding": lambda xs: _indices_below(xs[1], xs[0].shape[0]),
    "class_labels": lambda xs: all(_indices_below(x, 3) for x in xs),
    "integers": lambda xs: all(x.dtype == np.int64 for x in xs),
    "integer_divisors": lambda xs: np.all(xs[1] != 0) and _within(xs[1], -(2**31), 2**31 - 1),
}


def test_every_domain_the_catalog_draws_from_has_its_promise_asserted():
    assert {spec.domain for spec in CATALOG.values()} - set(DOMAIN_CLAIMS) == set()


@pytest.mark.parametrize("spec", CATALOG.values(), ids=list(CATALOG))
def test_samplers_keep_the_promises_of_their_domain(spec):
    for i, case in enumerate(spec.cases):
        assert DOMAIN_CLAIMS[spec.domain](sample(spec.domain, case.shapes, 100 + i)), case.id


def test_no_ties_sampler_keeps_elements_apart():
    (x,) = sample("no_ties", ((6, 7),), 5)
    gaps = np.diff(np.sort(x.ravel()))
    assert gaps.min() >= 0.2


def test_class_index_targets_are_in_range_and_include_ignore_index():
    logits, target, *_ = sample("class_indices", ((5, 3), (5,)), 1)
    assert set(np.unique(target)) <= {-100, 0, 1, 2} and -100 in target and target.dtype == np.int64


def test_rounded_inputs_are_exactly_representable():
    (x,) = round_to((np.linspace(-3.0, 3.0, 101) / 7,), "float32")
    np.testing.assert_array_equal(x.astype(np.float32).astype(np.float64), x)


def test_unit_roundoff_is_half_an_ulp_of_one_and_default_tolerances_are_torchs():
    for dtype in ("float16", "float32", "float64"):
        assert UNIT_ROUNDOFF[dtype] == np.finfo(dtype).eps / 2
    assert (DEFAULT_TOLERANCES["float64"].rtol, DEFAULT_TOLERANCES["float64"].atol) == (1e-7, 1e-7)
    assert (DEFAULT_TOLERANCES["float32"].rtol, DEFAULT_TOLERANCES["float32"].atol) == (1.3e-6, 1e-5)


def test_accumulation_allowance_is_highams_bound():
    spec = CATALOG["sum"]
    x = np.ones((8,))
    assert spec.extra_atol("float32", (x,), {"axis": None}) == pytest.approx((3 + 2) * 2.0**-24 * 8)


def test_optimizer_trajectories_change_the_learning_rate_once_halfway():
    for spec in OPTIMIZER_SPECS.values():
        lrs = spec.lrs()
        changes = [k for k in range(1, len(lrs)) if lrs[k] != lrs[k - 1]]
        assert changes == [spec.steps // 2] and lrs[-1] < lrs[0]


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_integer_draws_reach_each_integer_columns_limits(dtype):
    """parity.inputs promises integer draws at and next to the int32 and int64 limits (where wrap-around shows): a
    large draw, in each integer column, holds the column's minimum and maximum, and for int32 their neighbours."""
    from parity.inputs import to_integral

    (x,) = sample("integers", ((6000,),), 3)
    values = set(to_integral(x, dtype).tolist())
    info = np.iinfo(dtype)
    limits = {info.min, info.max} | ({info.min + 1, info.max - 1} if dtype == "int32" else set())
    assert limits <= values, sorted(limits - values)


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
def test_integer_columns_get_inputs_of_their_own_dtype(dtype):
    """parity.inputs.round_to promises that in an integer or bool column every integer array becomes that dtype:
    for every integer entry's cases (else an int32 or bool column would silently run int64 data)."""
    from parity.inputs import round_to

    specs = [s for s in CATALOG.values() if dtype in s.dtypes]
    assert specs, dtype
    for spec in specs:
        for i, case in enumerate(spec.cases):
            arrays = round_to(sample(spec.domain, case.shapes, i), dtype)
            kinds = [np.asarray(a).dtype.name for a in arrays if a is not None and np.asarray(a).dtype.kind in "iub"]
            assert kinds and set(kinds) == {dtype}, (spec.name, case.id, kinds)


def test_every_hypothesis_domain_is_an_interval_with_room():
    """Each generated-input domain (parity.strategies: per input domain, and per input of the paired ops) is an
    interval low < high: a bound mutated into its partner (pow's exponent (-5, 5) become (5, 5)) would still pass
    every property, on one value."""
    from parity.strategies import BOUNDS, PAIR_BOUNDS

    intervals = {**BOUNDS, **{f"{op}[{i}]": b for op, pair in PAIR_BOUNDS.items() for i, b in enumerate(pair)}}
    assert {name: (low, high) for name, (low, high) in intervals.items() if not low < high} == {}


def _geometry_choices():
    """(entry, what, predicate on a drawn (shapes, params)): every choice the layers' generated geometries
    (parity.strategies.GEOMETRY) promise to make, along each spatial axis."""
    for entry in ("max_pool2d", "avg_pool2d"):
        for axis in (0, 1):
            for param, values in (("kernel_size", (1, 2, 3)), ("stride", (1, 2, 3)), ("padding", (0, 1))):
                for v in values:
                    yield entry, f"{param}[{axis}]={v}", lambda d, p=param, a=axis, v=v: d[1][p][a] == v
        yield entry, "ceil_mode", lambda d: d[1]["ceil_mode"]
        yield entry, "not ceil_mode", lambda d: not d[1]["ceil_mode"]
    for axis in (0, 1):
        yield "max_pool2d", f"dilation[{axis}]=2", lambda d, a=axis: d[1]["dilation"][a] == 2
        for k in (1, 2, 3):
            yield "conv2d", f"kernel[{axis}]={k}", lambda d, a=axis, k=k: d[0][1][2 + a] == k
    yield "avg_pool2d", "count_include_pad=False", lambda d: not d[1]["count_include_pad"]
    for padding in ("valid", "same"):
        yield "conv2d", f"padding={padding}", lambda d, p=padding: d[1]["padding"] == p
    yield "conv2d", "groups=2", lambda d: d[1]["groups"] == 2
    yield "conv2d", "no bias", lambda d: len(d[0]) == 2


@pytest.mark.parametrize(("entry", "what", "predicate"), list(_geometry_choices()),
                         ids=[f"{e}-{w}" for e, w, _ in _geometry_choices()])  # fmt: skip
def test_generated_geometries_make_every_choice_they_promise(entry, what, predicate):
    """A strategy that stopped drawing a kernel of 1, a stride of 3 or padding on one axis would still pass every
    property, on fewer geometries: hypothesis must be able to find each choice."""
    from hypothesis import HealthCheck, find, settings

    from parity.strategies import GEOMETRY

    quiet = settings(max_examples=2000, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    find(GEOMETRY[entry](), predicate, settings=quiet)


def test_integer_draws_fill_the_whole_int64_range_beside_the_edges():
    """parity.inputs promises a third of the integer draws anywhere in int64: beyond the listed edges, both
    quarters of the range farthest from zero are reached (above 2**62 and below -2**62)."""
    from parity.inputs import INTEGER_EDGES

    (x,) = sample("integers", ((6000,),), 3)
    anywhere = x[~np.isin(x, INTEGER_EDGES) & (np.abs(x) > 20)]
    assert np.any(anywhere > 2**62) and np.any(anywhere < -(2**62))
