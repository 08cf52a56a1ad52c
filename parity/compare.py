"""The one comparison helper: :func:`assert_close`.

It raises :class:`Mismatch` (an ``AssertionError``) with everything needed to
act on a failure, and on success returns the :class:`Measurement` that the
report records.  Order of checks: type, shape, dtype, NaN mask, inf positions
and signs, signed zeros (where the catalog says they matter), then the finite
values against ``atol + rtol * |expected|``.  NaN, inf and -0.0 are compared as
values; nothing is ever passed through ``nan_to_num``.

What the :class:`Measurement` reports, and why:

* ``max_excess`` -- the fraction of its allowance the worst element used,
  ``|actual - expected| / (atol + rtol * |expected|)`` (``atol`` includes the
  catalog's accumulation allowance).  A comparison passes exactly when it is
  <= 1, so it ranks accuracy across ops, dtypes and magnitudes: it is the
  report's headline.
* ``max_ulp`` -- the worst distance in units in the last place to the correctly
  rounded truth, counted only over elements whose ``|expected|`` is at least
  :func:`ulp_floor` (the dtype's smallest normal times ``2**nmant``).  From
  there up, one ULP is at least the smallest normal, so flushing any
  intermediate to zero (an error of at most the smallest normal) costs at most
  one ULP: the count reflects the op's arithmetic, not subnormal handling.
  Below it ULPs are ill-defined (subnormals have a fixed spacing); ``None``
  when no element qualifies.  Near zero an absolute error allowed by ``atol``
  can still be many ULPs: that is why ULPs are shown beside the headline, not
  as it.
* ``flushed_to_zero`` / ``subnormals_differ`` -- elements whose truth (rounded to
  the dtype) is a nonzero subnormal but came back as zero, and elements where
  the truth or the actual value is a nonzero subnormal and they differ
  otherwise.  Counted even when the tolerance passes them, so a flush-to-zero
  mode or lost gradual underflow is visible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from reference.floats import format_of, ordered_ints, round_values

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
    """Errors of the finite elements (see the module docstring for each field's meaning)."""

    max_abs: float = 0.0
    max_rel: float = 0.0
    max_ulp: float | None = None
    worst_index: tuple[int, ...] | None = None
    max_excess: float = 0.0
    flushed_to_zero: int = 0
    subnormals_differ: int = 0

    def worst(self, other: Measurement) -> Measurement:
        """The maximum of two measurements' errors (the worst index is the larger excess's); flags add up."""
        keep = self if self.max_excess >= other.max_excess else other
        ulps = [u for u in (self.max_ulp, other.max_ulp) if u is not None]
        return Measurement(
            max(self.max_abs, other.max_abs),
            max(self.max_rel, other.max_rel),
            max(ulps) if ulps else None,
            keep.worst_index,
            max(self.max_excess, other.max_excess),
            self.flushed_to_zero + other.flushed_to_zero,
            self.subnormals_differ + other.subnormals_differ,
        )

    def as_dict(self) -> dict:
        return asdict(self)


class Mismatch(AssertionError):
    """A comparison failed; ``measurement`` holds the errors that were measured."""

    def __init__(self, message: str, measurement: Measurement | None = None):
        super().__init__(message)
        inf = float("inf")
        self.measurement = measurement or Measurement(inf, inf, inf, max_excess=inf)


def ulp_floor(dtype: str) -> float:
    """The smallest ``|expected|`` at which ULP distances are counted: smallest normal * 2**nmant."""
    fmt = format_of(dtype)
    return fmt.smallest_normal * 2.0 ** (fmt.precision - 1)


def subnormal_flags(actual: np.ndarray, rounded: np.ndarray, dtype: str) -> tuple[int, int]:
    """(flushed to zero, other subnormal differences) among finite elements; ``rounded`` is the truth in dtype."""
    smallest_normal = format_of(dtype).smallest_normal
    finite = np.isfinite(actual) & np.isfinite(rounded)
    expected_sub = finite & (rounded != 0) & (np.abs(rounded) < smallest_normal)
    actual_sub = finite & (actual != 0) & (np.abs(actual) < smallest_normal)
    flushed = expected_sub & (actual == 0)
    differ = (expected_sub | actual_sub) & (actual != rounded) & ~flushed
    return int(np.sum(flushed)), int(np.sum(differ))


def ulp_distance(actual: np.ndarray, expected: np.ndarray, dtype: str) -> np.ndarray:
    """How many representable ``dtype`` values lie between ``actual`` and ``expected`` (finite inputs).

    +0.0 and -0.0 are 0 ulp apart.  Exact up to 2**53; beyond that (different
    signs at huge magnitudes) the float64 sum is reported.
    """
    a, e = ordered_ints(actual, dtype), ordered_ints(expected, dtype)
    same_sign = (a >= 0) == (e >= 0)
    near = np.abs(np.where(same_sign, a - e, 0)).astype(np.float64)
    far = np.abs(a).astype(np.float64) + np.abs(e).astype(np.float64)
    return np.where(same_sign, near, far)


def _ulp_text(ulp: float | None) -> str:
    return "n/a (every |expected| below the ULP floor)" if ulp is None else f"{ulp:.6g}"


def _fail(context: Context, what: str, measurement: Measurement | None = None) -> None:
    lines = [f"{context.describe()}: {what}"]
    if measurement is not None and measurement.worst_index is not None:
        lines.append(
            f"max abs error {measurement.max_abs:.3g}, max rel error {measurement.max_rel:.3g}, "
            f"max ULP distance {_ulp_text(measurement.max_ulp)}, {measurement.max_excess:.3g}x the allowed error"
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

    rounded = round_values(expected, dtype)
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
    with np.errstate(invalid="ignore"):  # rtol 0 (an exact special value) times an inf truth: masked out below
        allowed = atol_arr + rtol * np.abs(truth)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rel_err = np.where(finite & (truth != 0), abs_err / np.abs(truth), np.where(abs_err > 0, np.inf, 0.0))
        # how many allowances each error uses; an error where nothing is allowed is infinitely bad
        excess = np.where(allowed > 0, abs_err / allowed, np.where(abs_err > 0, np.inf, 0.0))
    ulps = np.where(finite, ulp_distance(np.where(finite, actual64, 0), np.where(finite, rounded, 0), dtype), 0.0)
    worst = np.unravel_index(int(np.argmax(excess)), actual.shape) if actual.ndim else ()
    worst = tuple(int(i) for i in worst)
    counted = finite & (np.abs(rounded) >= ulp_floor(dtype))
    measurement = Measurement(
        float(abs_err.max()),
        float(rel_err.max()),
        float(ulps[counted].max()) if np.any(counted) else None,
        worst,
        float(excess.max()),
        *subnormal_flags(actual64, rounded, dtype),
    )
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


def assert_exact(actual, expected, *, dtype: str, context: Context) -> Measurement:
    """Raise :class:`Mismatch` unless ``actual`` is exactly ``expected``: the same type of array, shape and dtype
    (``dtype``: integer, bool, or the float an integer op promotes to) and equal elements -- for floats the same
    NaN positions and signs of zero too.  The integer and bool columns' comparison: no tolerance.  ``expected``
    holds exact values (Python ints for int64 extremes, never through float64); it is cast to ``dtype``."""
    if not isinstance(actual, np.ndarray):
        _fail(context, f"result is a {type(actual).__name__}, not a numpy.ndarray (did to_numpy run?)")
    for observe in OBSERVERS:
        observe(context, actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        _fail(context, f"shape {actual.shape} differs from the expected {expected.shape}")
    if str(actual.dtype) != dtype:
        _fail(context, f"dtype {actual.dtype} differs from the expected {dtype}")
    expected = expected.astype(dtype)
    if actual.dtype.kind == "f":
        _check_masks(actual.astype(np.float64), expected.astype(np.float64), context, signed_zero=True)
        differ = ~(np.isnan(actual) & np.isnan(expected)) & (actual != expected)
    else:
        differ = actual != expected
    if np.any(differ):
        index = _first(differ)
        got, want = actual[index].item(), expected[index].item()  # Python ints, bools or floats: exact
        _fail(
            context,
            f"not exact at index {index}: actual {got!r}, expected {want!r} ({int(np.sum(differ))} element(s) differ)",
            Measurement(float(abs(got - want)), float("inf"), None, index, float("inf")),
        )
    return Measurement()
