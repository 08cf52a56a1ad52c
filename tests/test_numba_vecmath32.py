"""impls/numba/vecmath32.py: the float32 exp, expm1, log, log1p, tanh and sigmoid within their ulp bounds of a
float64 truth over the whole float32 range, IEEE special values as NumPy's float32 functions give them, and
float32 kernels compiled without a float64 operation (the point of the module: 16 lanes, not 8)."""

import numpy as np
import pytest

pytest.importorskip("numba")

from impls.numba import elementwise as E  # noqa: E402
from impls.numba import vecmath32 as V32  # noqa: E402

pytestmark = pytest.mark.numba

RNG_SEED = 20261202
# Measured maxima on these samples, in float32 ulps: exp 1.01, expm1 1.60, log 0.80, log1p 1.44, tanh 2.48,
# sigmoid 2.24.  tanh = -e/(e+2) doubles expm1's relative error as e -> -1; sigmoid adds a division to exp's.
ULP_BOUND = {"exp": 1.5, "expm1": 2.0, "log": 1.0, "log1p": 2.0, "tanh": 3.0, "sigmoid": 2.5}


def _truth(op: str, x: np.ndarray) -> np.ndarray:
    """The op in float64 (about 2^-29 of a float32 ulp: an exact reference at this resolution)."""
    x = x.astype(np.float64)
    if op == "sigmoid":
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return getattr(np, op)(x)


def _samples(op: str) -> np.ndarray:
    """Seeded float32 inputs: uniformly random bit patterns (every binade, subnormals included), a dense band
    over the range where the function is neither constant nor overflowing, and the neighbours of each edge."""
    rng = np.random.default_rng([RNG_SEED, len(op), ord(op[0])])
    bits = rng.integers(0, 2**32, 400_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    bits = bits[np.isfinite(bits)]
    dense = rng.uniform(-110.0, 110.0, 200_000).astype(np.float32)
    edges = np.array([88.72, -87.33, -103.97, 0.3466, -0.3466, 24 * 0.6931, 1e-7, 0.4142, -0.2929, 9.0], np.float32)
    edges = np.concatenate([np.nextafter(edges, np.float32(-np.inf)), edges, np.nextafter(edges, np.float32(np.inf))])
    x = np.concatenate([bits, dense, edges, -edges])
    if op == "log":
        x = np.abs(x)
    if op == "log1p":
        x = np.concatenate([x[x > -1.0], np.nextafter(np.float32(-1.0), np.float32(0.0), dtype=np.float32)[None]])
    return x


@pytest.mark.parametrize("op", sorted(ULP_BOUND))
def test_float32_vecmath_is_within_its_ulp_bound(op):
    x = _samples(op)
    with np.errstate(all="ignore"):
        truth = _truth(op, x)
        actual = E.apply_unary(op, x, ())  # more than PARALLEL_MIN_SIZE elements: the parallel loop
        rounded = truth.astype(np.float32)
    assert actual.dtype == np.float32
    finite = np.isfinite(rounded)
    np.testing.assert_array_equal(np.isfinite(actual), finite, err_msg=f"{op}: finite positions")
    ulp = np.spacing(np.abs(rounded[finite])).astype(np.float64)
    error = np.abs(actual[finite].astype(np.float64) - truth[finite]) / ulp
    worst = int(np.argmax(error))
    assert error[worst] <= ULP_BOUND[op], (
        f"{op}({x[finite][worst]!r}) = {actual[finite][worst]!r}: {error[worst]:.2f} float32 ulp"
    )


SPECIALS32 = np.array(
    [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1.1754944e-38, 1e-38, -1e-38, 1.0, -1.0, -2.0,
     88.72, 88.73, -87.33, -103.97, -103.98, -150.0, 3e38, -3e38, 9.0, -9.0, 17.0, 0.5, -0.5]
)  # fmt: skip


@pytest.mark.parametrize("op", sorted(ULP_BOUND))
@pytest.mark.parametrize("size", [len(SPECIALS32), E.PARALLEL_MIN_SIZE])
def test_float32_vecmath_special_values_match_numpy(op, size):
    """NaN positions, infinities, signed zeros and the over/underflow edges as NumPy's float32 functions give
    them, through the ufunc (small) and the parallel loop (large)."""
    x = np.resize(SPECIALS32.astype(np.float32), size)
    with np.errstate(all="ignore"):
        expected = _truth(op, x).astype(np.float32)
        actual = E.apply_unary(op, x, ())
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg=f"{op}: NaN positions")
    np.testing.assert_array_equal(np.isinf(actual), np.isinf(expected), err_msg=f"{op}: inf positions")
    number = ~np.isnan(expected)  # a NaN's sign bit is not specified by IEEE 754 for these operations
    np.testing.assert_array_equal(np.signbit(actual[number]), np.signbit(expected[number]), err_msg=f"{op}: signs")
    close = np.isfinite(expected)
    np.testing.assert_allclose(actual[close], expected[close], rtol=4 * np.finfo(np.float32).eps, atol=2e-45)


@pytest.mark.parametrize("op", sorted(ULP_BOUND))
def test_float32_functions_compile_without_a_float64_operation(op):
    """A float32 loop over the function has no double in its LLVM IR: a float64 constant in the construction
    would promote every operation after it (8 lanes, and the float64 polynomial's cost).  Compiled here, not
    loaded from the cache (cached code cannot be inspected), with the kernels' flags."""
    from numba import njit

    function = getattr(V32, op)

    def loop(x, out):
        for i in range(x.size):
            out[i] = function(x[i])

    compiled = njit(**{**E.PARALLEL_OPTIONS, "parallel": False, "cache": False})(loop)
    x = np.ones(8, np.float32)
    compiled(x, np.empty_like(x))
    llvm = next(iter(compiled.inspect_llvm().values()))
    doubles = [line.strip() for line in llvm.splitlines() if "double" in line and not line.startswith("declare")]
    assert not doubles, f"{op}: float64 operations in the float32 loop: {doubles[:3]}"
