"""The floating-point formats parity checks: float64, float32, float16 and bfloat16.

Each is described by its precision and exponent range (IEEE 754 binary formats; bfloat16 is float32 with
the mantissa cut to 7 stored bits), and :func:`round_values` rounds float64 values to any of them the IEEE
way -- to nearest, ties to even, with gradual underflow (subnormals) and overflow to infinity -- returning
float64 arrays that hold the rounded values exactly.  NumPy has no bfloat16, so that case is computed here
rather than by a cast; float64 -> float32 -> bfloat16 would round twice and get ties wrong.

Arrays of bfloat16 on the host are ``ml_dtypes.bfloat16`` arrays (the NumPy dtype JAX uses too):
:func:`numpy_dtype` imports ml_dtypes only when a bfloat16 array is actually made.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Format:
    """A binary floating-point format: ``precision`` significant bits (the implicit one included), normal
    exponents ``min_exp`` .. ``max_exp`` (values in [2**min_exp, 2**(max_exp + 1)))."""

    name: str
    precision: int
    min_exp: int
    max_exp: int
    bits: int

    @property
    def unit_roundoff(self) -> float:
        """u = 2**-precision: the relative error bound of one correctly rounded operation."""
        return 2.0**-self.precision

    @property
    def max(self) -> float:
        """The largest finite value."""
        return (2.0 - 2.0 ** (1 - self.precision)) * 2.0**self.max_exp

    @property
    def smallest_normal(self) -> float:
        return 2.0**self.min_exp

    @property
    def smallest_subnormal(self) -> float:
        return 2.0 ** (self.min_exp - self.precision + 1)

    @property
    def eps(self) -> float:
        """The gap between 1 and the next value (2u)."""
        return 2.0 ** (1 - self.precision)


FORMATS: dict[str, Format] = {
    "float64": Format("float64", 53, -1022, 1023, 64),
    "float32": Format("float32", 24, -126, 127, 32),
    "float16": Format("float16", 11, -14, 15, 16),
    "bfloat16": Format("bfloat16", 8, -126, 127, 16),
}
HALF_DTYPES = ("float16", "bfloat16")


def format_of(dtype) -> Format:
    """The :class:`Format` of a dtype name (or anything whose ``str`` is one, e.g. a NumPy dtype)."""
    name = str(getattr(dtype, "dtype", dtype)).removeprefix("torch.")
    try:
        return FORMATS[name]
    except KeyError:
        raise TypeError(f"dtype must be one of {', '.join(FORMATS)}, got {name!r}") from None


@functools.cache
def _bfloat16():
    try:
        import ml_dtypes
    except ImportError as error:
        raise TypeError(
            f"bfloat16 arrays on the host need the ml_dtypes package ({error}); pip install ml_dtypes"
        ) from None
    return np.dtype(ml_dtypes.bfloat16)


def numpy_dtype(dtype: str) -> np.dtype:
    """The NumPy dtype that holds ``dtype`` on the host (``ml_dtypes.bfloat16`` for bfloat16)."""
    format_of(dtype)
    return _bfloat16() if dtype == "bfloat16" else np.dtype(dtype)


def round_values(x, dtype: str) -> np.ndarray:
    """``x`` rounded to ``dtype`` (nearest, ties to even; subnormals; overflow to +-inf), as float64.

    NaN stays NaN, infinities and signed zeros are kept.  float64/float32/float16 use NumPy's casts, which
    round correctly from float64; bfloat16 is rounded here: scale each value to an integer number of its
    quantum 2**(e - precision + 1) (e the exponent, at least min_exp, so that subnormals share the smallest
    normal's quantum), round that to even with ``np.rint``, scale back; results at or past 2**(max_exp + 1)
    overflow to infinity.
    """
    values = np.asarray(x, dtype=np.float64)
    fmt = format_of(dtype)
    if dtype != "bfloat16":
        with np.errstate(over="ignore"):
            return values.astype(dtype).astype(np.float64)
    finite = np.isfinite(values) & (values != 0)
    safe = np.where(finite, values, 1.0)
    exponent = np.maximum(np.frexp(safe)[1] - 1, fmt.min_exp)  # frexp: |x| = m 2**e with m in [0.5, 1), exactly
    quantum = np.ldexp(1.0, exponent - (fmt.precision - 1))
    rounded = np.rint(safe / quantum) * quantum  # both steps exact: quantum is a power of two
    rounded = np.where(np.abs(rounded) >= 2.0 ** (fmt.max_exp + 1), np.copysign(np.inf, safe), rounded)
    rounded = np.copysign(rounded, safe)  # a value that rounds to zero keeps its sign
    return np.where(finite, rounded, values)


def to_numpy_dtype(x, dtype: str) -> np.ndarray:
    """A host array of ``dtype`` holding ``x`` rounded to it (bfloat16 through :func:`round_values`, exactly)."""
    target = numpy_dtype(dtype)
    if dtype == "bfloat16":
        return round_values(x, dtype).astype(np.float32).astype(target)  # exact: already representable
    with np.errstate(over="ignore"):
        return np.asarray(x).astype(target)


def ordered_ints(values, dtype: str) -> np.ndarray:
    """int64 codes of ``values`` (already representable in ``dtype``) whose differences count the ``dtype``
    values between them: adjacent floats differ by 1, +0 and -0 are both 0."""
    fmt = format_of(dtype)
    values = np.asarray(values, dtype=np.float64)
    if dtype == "bfloat16":  # a bfloat16 is the upper half of the float32 with the same value
        bits = values.astype(np.float32).view(np.int32).astype(np.int64) >> 16
        sign_bit = 15
    else:
        int_type = {16: np.int16, 32: np.int32, 64: np.int64}[fmt.bits]
        bits = np.ascontiguousarray(values.astype(dtype)).view(int_type).astype(np.int64)
        sign_bit = fmt.bits - 1
    bits = bits.reshape(np.shape(values))
    magnitude = bits & np.int64((1 << sign_bit) - 1)
    return np.where(bits < 0, -magnitude, magnitude)
