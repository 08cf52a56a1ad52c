"""The one comparison helper: :func:`assert_close`.

It raises :class:`Mismatch` (an ``AssertionError``) with everything needed to
act on a failure, and on success returns the :class:`Measurement` that the
report records.  Order of checks: type, shape, dtype, NaN mask, inf positions
and signs, signed zeros (where the catalog says they matter), then the finite
values against ``atol + rtol * |expected|``.  NaN, inf and -0.0 are compared as
values; nothing is ever passed through ``nan_to_num``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

_INT_FOR_FLOAT = {"float16": np.int16, "float32": np.int32, "float64": np.int64}

# Called as observer(context, actual) with every array assert_close receives (after the type check): the
# dispatch sweep saves outputs this way to compare their bits between CPU dispatch levels.
OBSERVERS: list = []


@dataclass(frozen=True)
class Context:
    """What was compared: shown in every failure message and stored with every record."""

    op: str
    backend: str
    device: str
    dtype: str
    check: str
    detail: str = ""
    reproduce: str = ""

    def describe(self) -> str:
        where = f"{self.op} [{self.check}] on {self.backend}/{self.device}/{self.dtype}"
        return where + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Measurement:
    """Errors of the finite elements: worst absolute, relative and ULP distance."""

    max_abs: float = 0.0
    max_rel: float = 0.0
    max_ulp: float = 0.0
    worst_index: tuple[int, ...] | None = None

    def worst(self, other: Measurement) -> Measurement:
        """The element-wise maximum of two measurements (the worst index is the larger ULP's)."""
        keep = self if self.max_ulp >= other.max_ulp else other
        return Measurement(
            max(self.max_abs, other.max_abs),
            max(self.max_rel, other.max_rel),
            max(self.max_ulp, other.max_ulp),
            keep.worst_index,
        )

    def as_dict(self) -> dict:
        return asdict(self)


class Mismatch(AssertionError):
    """A comparison failed; ``measurement`` holds the errors that were measured."""

    def __init__(self, message: str, measurement: Measurement | None = None):
        super().__init__(message)
        self.measurement = measurement or Measurement(float("inf"), float("inf"), float("inf"))


def _ordered_ints(values: np.ndarray, dtype: str) -> np.ndarray:
    """Map floats to integers whose order is the floats' order (adjacent floats differ by 1)."""
    int_type = _INT_FOR_FLOAT[dtype]
    # ascontiguousarray makes 0-d arrays 1-d: reshape back so indices stay valid.
    bits = np.ascontiguousarray(values.astype(dtype)).view(int_type).astype(np.int64).reshape(np.shape(values))
    magnitude = bits & np.int64(np.iinfo(int_type).max)
    return np.where(bits < 0, -magnitude, bits)


def ulp_distance(actual: np.ndarray, expected: np.ndarray, dtype: str) -> np.ndarray:
    """How many representable ``dtype`` values lie between ``actual`` and ``expected`` (finite inputs).

    +0.0 and -0.0 are 0 ulp apart.  Exact up to 2**53; beyond that (different
    signs at huge magnitudes) the float64 sum is reported.
    """
    a, e = _ordered_ints(actual, dtype), _ordered_ints(expected, dtype)
    same_sign = (a >= 0) == (e >= 0)
    near = np.abs(np.where(same_sign, a - e, 0)).astype(np.float64)
    far = np.abs(a).astype(np.float64) + np.abs(e).astype(np.float64)
    return np.where(same_sign, near, far)


def _fail(context: Context, what: str, measurement: Measurement | None = None) -> None:
    lines = [f"{context.describe()}: {what}"]
    if measurement is not None and measurement.worst_index is not None:
        lines.append(
            f"max abs error {measurement.max_abs:.3g}, max rel error {measurement.max_rel:.3g}, "
            f"max ULP distance {measurement.max_ulp:.6g}"
        )
    if context.reproduce:
        lines.append(f"reproduce: {context.reproduce}")
    raise Mismatch("\n".join(lines), measurement)


def assert_count(items, expected: int, *, what: str, context: Context) -> None:
    """Raise :class:`Mismatch` unless ``items`` holds exactly ``expected`` things: a comparison of "each of
    N things" zipped against a shorter list would otherwise check only the shorter list's part of them."""
    if len(items) != expected:
        _fail(context, f"{len(items)} {what} where {expected} were expected")


def assert_same_names(actual, expected, *, what: str, context: Context) -> None:
    """Raise :class:`Mismatch` unless the names in ``actual`` are exactly those in ``expected`` (a loop over the
    expected names would silently skip extra ones, a loop over the actual names missing ones)."""
    if sorted(actual) != sorted(expected):
        _fail(context, f"{what}: got {sorted(actual)}, expected {sorted(expected)}")


def _first(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()


def _check_masks(actual, rounded, context: Context, signed_zero: bool) -> None:
    checks = [
        ("NaN mask differs", np.isnan(actual) != np.isnan(rounded)),
        ("inf positions or signs differ", (np.isinf(actual) | np.isinf(rounded)) & (actual != rounded)),
    ]
    if signed_zero:
        zeros = (actual == 0) & (rounded == 0)
        checks.append(("sign of zero differs", zeros & (np.signbit(actual) != np.signbit(rounded))))
    for what, bad in checks:
        if np.any(bad):
            index = _first(bad)
            _fail(
                context,
                f"{what} at index {index}: actual {float(actual[index])!r}, expected {float(rounded[index])!r} "
                f"({int(np.sum(bad))} element(s))",
            )


def assert_close(
    actual,
    expected,
    *,
    dtype: str,
    rtol: float,
    atol,
    context: Context,
    signed_zero: bool = False,
) -> Measurement:
    """Raise :class:`Mismatch` unless ``actual`` (a ``dtype`` array) matches ``expected``.

    ``expected`` is the float64 truth.  NaN/inf masks and signed zeros are
    compared against ``expected`` rounded to ``dtype`` (so a float32 overflow to
    inf is expected exactly where float64's value exceeds float32's range); the
    finite values are compared against the unrounded truth with
    ``|actual - expected| <= atol + rtol * |expected|``.  ``atol`` may be an array
    broadcastable to the output (see ``OpSpec.extra_atol``).  Returns the
    :class:`Measurement`, whose ULP distance is to the correctly rounded value.
    """
    if not isinstance(actual, np.ndarray):
        _fail(context, f"result is a {type(actual).__name__}, not a numpy.ndarray (did to_numpy run?)")
    for observe in OBSERVERS:
        observe(context, actual)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        _fail(context, f"shape {actual.shape} differs from the expected {expected.shape}")
    if str(actual.dtype) != dtype:
        _fail(context, f"dtype {actual.dtype} differs from the expected {dtype}")

    with np.errstate(over="ignore", invalid="ignore"):
        rounded = expected.astype(dtype).astype(np.float64)
    actual64 = actual.astype(np.float64)
    _check_masks(actual64, rounded, context, signed_zero)

    finite = np.isfinite(actual64) & np.isfinite(rounded)
    if not np.any(finite):
        return Measurement()
    atol_arr = np.broadcast_to(np.asarray(atol, dtype=np.float64), actual.shape)
    # Overflow of the truth beyond dtype's range already matched as inf above; compare to the
    # rounded value only where the unrounded one is out of range.
    truth = np.where(np.isfinite(expected), expected, rounded)
    with np.errstate(invalid="ignore", over="ignore"):
        abs_err = np.where(finite, np.abs(actual64 - truth), 0.0)
    allowed = atol_arr + rtol * np.abs(truth)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rel_err = np.where(finite & (truth != 0), abs_err / np.abs(truth), np.where(abs_err > 0, np.inf, 0.0))
        # how many allowances each error uses; an error where nothing is allowed is infinitely bad
        excess = np.where(allowed > 0, abs_err / allowed, np.where(abs_err > 0, np.inf, 0.0))
    ulps = np.where(finite, ulp_distance(np.where(finite, actual64, 0), np.where(finite, rounded, 0), dtype), 0.0)
    worst = np.unravel_index(int(np.argmax(excess)), actual.shape) if actual.ndim else ()
    worst = tuple(int(i) for i in worst)
    measurement = Measurement(float(abs_err.max()), float(rel_err.max()), float(ulps.max()), worst)
    bad = finite & (abs_err > allowed)
    if np.any(bad):
        _fail(
            context,
            f"{int(np.sum(bad))} of {actual.size} element(s) outside rtol={float(rtol):g}, "
            f"atol={float(atol_arr[worst]):.3g}; worst element at index {worst}: "
            f"actual {float(actual64[worst])!r}, expected {float(truth[worst])!r} "
            f"(abs error {float(abs_err[worst]):.3g}, {float(ulps[worst]):.6g} ULP)",
            measurement,
        )
    return measurement
