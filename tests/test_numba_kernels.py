"""The numba backend's own numerics, below the catalog: the SIMD-friendly exp/expm1/log/log1p/tanh
(impls/numba/vecmath.py) against an extended-precision truth, the parallel loops against the ufuncs
(bit for bit), the packed matmul at shapes that exercise every padding and k-block remainder, and the
reductions: sums within the catalog's accumulation bound on cancelling terms, NaN from any lane."""

import numpy as np
import pytest

pytest.importorskip("numba")

from impls.numba import elementwise as E  # noqa: E402
from impls.numba import reductions as R  # noqa: E402
from impls.numba.matmul import KC, matmul2d  # noqa: E402

pytestmark = pytest.mark.numba

EXTENDED = np.finfo(np.longdouble).nmant >= 63  # x87 80-bit long double: 11 more bits than float64
RNG_SEED = 20261122


def _samples(op: str) -> np.ndarray:
    """Seeded float64 inputs over the op's whole finite domain, plus a dense band near zero."""
    rng = np.random.default_rng([RNG_SEED, len(op)])
    wide = {
        "exp": rng.uniform(-745.0, 709.7, 100_000),
        "expm1": rng.uniform(-40.0, 709.7, 100_000),
        "log": np.exp(rng.uniform(-744.0, 709.0, 100_000)),
        "log1p": np.expm1(rng.uniform(-36.0, 709.0, 100_000)),
        "tanh": rng.uniform(-25.0, 25.0, 100_000),
    }[op]
    near_zero = rng.standard_normal(20_000) * 10.0 ** rng.integers(-300, 0, 20_000)
    if op == "log":
        near_zero = np.abs(near_zero)
    return np.concatenate([wide, near_zero])


# Measured maxima on these samples: exp 0.99, log 0.81, expm1 1.78, log1p 1.07, tanh 2.50 ulp
# (NumPy's own: 0.70, 0.61, 0.52, 0.60, 1.19).  tanh = -e/(e+2) doubles expm1's relative error as e -> -1.
ULP_BOUND = {"exp": 1.0, "log": 1.0, "expm1": 2.0, "log1p": 1.5, "tanh": 3.0}


@pytest.mark.skipif(not EXTENDED, reason="np.longdouble is not the 80-bit extended type on this platform")
@pytest.mark.parametrize("op", sorted(ULP_BOUND))
def test_vecmath_is_within_its_ulp_bound_of_extended_precision(op):
    x = _samples(op)
    truth = getattr(np, op)(x.astype(np.longdouble))
    actual = E.apply_unary(op, x, ())
    ulp = np.spacing(np.abs(truth.astype(np.float64))).astype(np.longdouble)
    error = np.abs(actual.astype(np.longdouble) - truth) / ulp
    worst = int(np.argmax(error))
    assert error[worst] <= ULP_BOUND[op], f"{op}({x[worst]!r}) = {actual[worst]!r}: {float(error[worst]):.2f} ulp"


SPECIALS = np.array(
    [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, -1e-300,
     1.0, -1.0, -2.0, 709.78, 709.79, -708.5, -745.13, -745.14, 1e308, -1e308, 20.0, -20.0, 0.5, -0.5]
)  # fmt: skip


def _numpy_sigmoid(x):
    """The stable two-sided form: 1 / (1 + e^-x) would round to 0 where e^x / (1 + e^x) is subnormal."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@pytest.mark.parametrize("op", sorted(ULP_BOUND) + ["sigmoid"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_vecmath_special_values_match_numpy(op, dtype):
    """NaN positions, infinities and signed zeros exactly as NumPy's (an independent implementation)."""
    with np.errstate(all="ignore"):
        x = SPECIALS.astype(dtype)
        expected = _numpy_sigmoid(x) if op == "sigmoid" else getattr(np, op)(x)
        actual = E.apply_unary(op, x, ())
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg=f"{op}: NaN positions")
    finite_or_inf = ~np.isnan(expected)
    np.testing.assert_array_equal(np.isinf(actual), np.isinf(expected), err_msg=f"{op}: inf positions")
    zero = finite_or_inf & (expected == 0)
    np.testing.assert_array_equal(np.signbit(actual[zero]), np.signbit(expected[zero]), err_msg=f"{op}: zero signs")
    np.testing.assert_allclose(actual[finite_or_inf], expected[finite_or_inf], rtol=4 * np.finfo(dtype).eps)


def _loop_cases():
    from impls.numba import activations, mathfuncs

    for op, (forward, derivative) in {**E.LOOPS, **activations.LOOPS, **mathfuncs.LOOPS}.items():
        if forward is not None:
            yield op, False
        if derivative is not None:
            yield op, True


@pytest.mark.parametrize(("op", "grad"), list(_loop_cases()), ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parallel_loop_agrees_with_the_ufunc_bit_for_bit(op, grad, dtype):
    rng = np.random.default_rng([RNG_SEED, len(op), grad])
    x = (rng.standard_normal(E.PARALLEL_MIN_SIZE) * 30).astype(dtype)
    if op.startswith("log"):
        x = np.abs(x)
    with np.errstate(over="ignore"):
        x[: len(SPECIALS)] = SPECIALS.astype(dtype)
    g = rng.standard_normal(x.size).astype(dtype) if grad else None
    from impls.numba import activations, mathfuncs

    E.UNARY.update(activations.UNARY, **mathfuncs.UNARY)
    E.LOOPS.update(activations.LOOPS, **mathfuncs.LOOPS)  # as the backend registers them
    param = E.UNARY[op][2]
    bounds = (-1.5, 1.5) if isinstance(param, tuple) else (1.5,)  # hardtanh's and clip's two, or the one parameter
    extra = () if param is None else tuple(x.dtype.type(b) for b in bounds)
    with np.errstate(all="ignore"):
        looped = E.apply_unary(op, x, extra, g)  # contiguous and large: the parallel loop
        strided = E.apply_unary(op, np.repeat(x, 2)[::2], extra, None if g is None else np.repeat(g, 2)[::2])
    assert looped.dtype == x.dtype and strided.dtype == x.dtype
    uint = np.uint32 if dtype == "float32" else np.uint64
    differ = np.flatnonzero(looped.view(uint) != strided.view(uint))
    assert differ.size == 0, (
        f"{op}: loop and ufunc differ at x = {x[differ[:5]]}: {looped[differ[:5]]} vs {strided[differ[:5]]}"
    )


def _binary_loops() -> dict:
    from impls.numba import mathfuncs

    return {**E.BINARY_LOOPS, **mathfuncs.BINARY_LOOPS}


@pytest.mark.parametrize("op", sorted(_binary_loops()))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_parallel_loop_agrees_with_the_ufunc_bit_for_bit(op, dtype):
    """Large contiguous operands of one shape take the op's parallel loop, anything else its ufunc: the same bits,
    every pair of special values included."""
    from impls.numba import mathfuncs

    E.BINARY.update(mathfuncs.BINARY)
    E.BINARY_LOOPS.update(mathfuncs.BINARY_LOOPS)  # as the backend registers them
    rng = np.random.default_rng([RNG_SEED, len(op)])
    x, y = ((rng.standard_normal(E.PARALLEL_MIN_SIZE) * 30).astype(dtype) for _ in range(2))
    with np.errstate(over="ignore"):
        specials = SPECIALS.astype(dtype)
    sx, sy = (a.reshape(-1) for a in np.meshgrid(specials, specials))
    x[: sx.size], y[: sy.size] = sx, sy
    with np.errstate(all="ignore"):
        looped = E.apply_binary(op, x, y)
        strided = E.apply_binary(op, np.repeat(x, 2)[::2], np.repeat(y, 2)[::2])
    uint = np.uint32 if dtype == "float32" else np.uint64
    differ = np.flatnonzero(looped.view(uint) != strided.view(uint))
    assert differ.size == 0, f"{op}: loop and ufunc differ at {x[differ[:5]]}, {y[differ[:5]]}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_threaded_calls_cover_every_element_once_and_agree_with_one_call_bit_for_bit(dtype):
    """E.threaded_call cuts a large contiguous call into per-thread pieces: every element computed once, by the same
    kernel (a length off the pieces' alignment, specials included); broadcast operands stay one call."""
    import numba

    from impls.numba import mathfuncs

    rng = np.random.default_rng([RNG_SEED, 7])
    n = E.THREAD_MIN_SIZE + 131
    x, y = ((rng.standard_normal(n) * 30).astype(dtype) for _ in range(2))
    with np.errstate(over="ignore"):
        x[-len(SPECIALS) :] = SPECIALS.astype(dtype)
    uint = np.uint32 if dtype == "float32" else np.uint64
    previous = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        with np.errstate(all="ignore"):
            cases = ((E.UNARY["sin"][0], (x,)), (mathfuncs.UNARY["sinh"][0], (x,)), (E.BINARY["div"][0], (x, y)))
            for ufunc, args in cases:
                threaded = E.threaded_call(ufunc, *args)
                single = ufunc(*args)
                assert threaded.dtype == single.dtype and threaded.shape == single.shape
                np.testing.assert_array_equal(threaded.view(uint), single.view(uint))
            out = np.full(n, np.nan, dtype=dtype)
            assert E.threaded_call(E.BINARY["mul"][0], x, y, out=out) is out
            np.testing.assert_array_equal(out, x * y)
            broadcast = E.threaded_call(E.BINARY["add"][0], x.reshape(1, -1), y[:1].reshape(1, 1))
            np.testing.assert_array_equal(broadcast, (x + y[0]).reshape(1, -1))
    finally:
        numba.set_num_threads(previous)


MATMUL_SHAPES = [
    (0, 3, 4),
    (3, 0, 4),
    (1, 1, 1),
    (5, 7, 3),
    (33, 2 * KC + 1, 31),
    (64, 64, 64),
    (1, 1000, 1),
    (130, KC, 67),
]


@pytest.mark.parametrize(("m", "k", "n"), MATMUL_SHAPES, ids=lambda s: str(s))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_packed_matmul_handles_every_padding_and_k_block(m, k, n, dtype):
    rng = np.random.default_rng([RNG_SEED, m, k, n])
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    out = matmul2d(a, b)
    assert out.shape == (m, n) and out.dtype == dtype
    exact = a.astype(np.float64) @ b.astype(np.float64)
    # any summation order: |error| <= k u sum|a||b| (to first order), u the unit roundoff of dtype
    bound = k * np.finfo(dtype).eps / 2 * (np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64))
    assert np.all(np.abs(out - exact) <= bound), f"max error {np.abs(out - exact).max()}"


def test_packed_matmul_reads_any_strides():
    rng = np.random.default_rng(RNG_SEED)
    a, b = rng.standard_normal((90, 120)), rng.standard_normal((160, 70))
    a_view, b_view = a[::-1, ::2][:, :50], b.T[:, ::3][:50]  # reversed rows, step 2; transposed, step 3
    np.testing.assert_allclose(matmul2d(a_view, b_view), a_view @ b_view, rtol=1e-12, atol=1e-12)


def test_packed_matmul_propagates_nan_and_inf_like_blas():
    a = np.ones((40, 40))
    b = np.ones((40, 40))
    a[3, 5], b[5, 7], a[10, 0] = np.nan, np.inf, np.inf
    out = matmul2d(a, b)
    expected = a @ b
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    np.testing.assert_array_equal(np.isposinf(out), np.isposinf(expected))


# ------------------------------------------------------------------ the reductions (impls/numba/reductions.py)
def _cancelling(n: int, dtype: str, seed: int) -> np.ndarray:
    """Terms whose sum cancels: large values of both signs plus small ones (the hard case for summation)."""
    rng = np.random.default_rng([RNG_SEED, n, seed])
    big = rng.standard_normal(n) * 10.0 ** rng.integers(0, 8, n)
    return np.concatenate([big, -big[::-1], rng.standard_normal(n) * 1e-3])[rng.permutation(3 * n)].astype(dtype)


@pytest.mark.parametrize("n", [5, R.MIN_LANES_N - 1, 16 * R.PAIR_LANES + 7, 10_000, 2 * R.CHUNK + 13])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "chunks"])
def test_row_sums_meet_the_catalogs_accumulation_bound(n, dtype, parallel):
    """|sum - exact| <= (ceil(log2 n) + 2) u sum|x| (OpSpec.extra_atol), the exact sum from math.fsum."""
    import math

    rows = np.stack([_cancelling(n, dtype, seed) for seed in range(3)])
    kernel = R._row_totals_parallel if parallel else R._row_totals_serial
    sums = kernel(rows, dtype == "float64").astype(dtype)
    u = np.finfo(dtype).eps / 2
    for row, got in zip(rows, sums):
        exact = math.fsum(row.astype(np.float64))
        bound = (math.ceil(math.log2(row.size)) + 2) * u * math.fsum(np.abs(row.astype(np.float64)))
        assert abs(float(got) - exact) <= bound, f"n={row.size}: error {abs(float(got) - exact):.3g} > {bound:.3g}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sums_keep_ieee_special_values(dtype):
    cases = {(-0.0, -0.0): -0.0, (np.inf, 1.0): np.inf, (np.inf, -np.inf): np.nan, (np.nan, 1.0): np.nan}
    for terms, expected in cases.items():
        for n in (2, 16 * R.PAIR_LANES + 5):  # the scalar pairwise sum, and the lanes with a tail
            row = np.full(n, -0.0, dtype=dtype)
            row[: len(terms)] = terms
            got = R.row_sum(row[None, :])[0]
            np.testing.assert_array_equal(got, np.asarray(expected, dtype=dtype))
            if expected == 0:
                assert np.signbit(got) == np.signbit(expected), f"{terms}: sign of zero"


@pytest.mark.parametrize("is_max", [True, False], ids=["max", "min"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extrema_propagate_nan_from_every_lane_and_the_tail(is_max, dtype):
    n = 4 * R.MAX_EXTREMUM_LANES + 37  # full lanes, and a tail
    x = np.random.default_rng(RNG_SEED).standard_normal(n).astype(dtype)
    np.testing.assert_array_equal(R.row_extremum(x[None, :], is_max)[0], x.max() if is_max else x.min())
    for where in (0, 1, R.MAX_EXTREMUM_LANES - 1, R.MAX_EXTREMUM_LANES, 2 * R.MAX_EXTREMUM_LANES + 5, n - 1):
        y = x.copy()
        y[where] = np.nan
        assert np.isnan(R.row_extremum(y[None, :], is_max)[0]), f"NaN at {where} was dropped"


@pytest.mark.parametrize("entry", ["matmul", "linear", "conv2d"])
def test_the_packed_kernels_agree_with_blas(entry):
    """The hand-written kernels stay reachable (matmul="packed") and agree with the BLAS route."""
    from impls.numba_backend import NumbaBackend, _scipy_blas
    from parity.inputs import sample, stable_seed
    from reference import CATALOG

    if not _scipy_blas():
        pytest.skip("SciPy is not installed: numba has no BLAS to compare with")
    spec = CATALOG[entry]
    case = spec.cases[-1]
    inputs = sample(spec.domain, case.shapes, stable_seed("packed", entry))
    packed, blas = NumbaBackend(matmul="packed"), NumbaBackend()
    assert (packed.blas, blas.blas) == (False, True)
    args = [blas.asarray(x, "float64", "cpu") for x in inputs]
    np.testing.assert_allclose(
        packed.run(entry, args, case.params), blas.run(entry, args, case.params), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_row_softmax_family_over_threads_agrees_with_one_row_at_a_time_bit_for_bit(dtype):
    """softmax, log_softmax and logsumexp take their parallel driver from R.PARALLEL_MIN_SIZE elements (and two rows);
    each row alone takes the serial one: the same bits, special values included."""
    rng = np.random.default_rng([RNG_SEED, 11])
    a = (rng.standard_normal((600, 600)) * 30).astype(dtype)
    with np.errstate(over="ignore"):
        a[0, : len(SPECIALS)] = SPECIALS.astype(dtype)
    a[1] = -np.inf
    assert a.size >= R.PARALLEL_MIN_SIZE
    for kernel in (R.row_softmax, R.row_log_softmax, R.row_logsumexp):
        together = kernel(a)
        apart = np.concatenate([kernel(a[r : r + 1]) for r in range(a.shape[0])])
        uint = np.uint32 if dtype == "float32" else np.uint64
        np.testing.assert_array_equal(together.view(uint), apart.view(uint), err_msg=kernel.__name__)
