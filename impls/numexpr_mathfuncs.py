"""NumExpr expressions for the math-function family (:mod:`reference.catalog_mathfuncs`): forward and each input's
gradient (``g`` the cotangent), merged into the NumExpr backend's tables; what it cannot express is declared with
the reason.  Constants are the backend's typed ``zero``/``half``/``one``/``two`` (a float64 literal would promote
float32)."""

from __future__ import annotations

ZEROS = "where(x != x, zero, zero)"  # the gradient of a step function: 0 even for a NaN cotangent (torch)
UNIT_ROOT = "sqrt((one - x) * (one + x))"  # 1 - x**2 without cancellation near +-1

UNARY = {
    "sign": ("sign(x)", ZEROS),
    "floor": ("floor(x)", ZEROS),
    "ceil": ("ceil(x)", ZEROS),
    "trunc": ("trunc(x)", ZEROS),
    # numexpr 2.14's round() rounds half to even (measured: 0.5, 2.5, -2.5 -> 0, 2, -2), like np.rint; it returns
    # float64 for float32 x (the integer value exactly, cast back)
    "round": ("round(x)", ZEROS),
    "exp2": ("two ** x", "g * two ** x * log(two)"),  # powf/pow(2, x); log(two) is ln 2 rounded in the dtype
    "log2": ("log2(x)", "g / x / log(two)"),
    "log10": ("log10(x)", "g / x / log(two * two * two + two)"),  # ln 10
    "rsqrt": ("one / sqrt(x)", "-half * g * (one / sqrt(x)) * (one / sqrt(x)) * (one / sqrt(x))"),
    "sinh": ("sinh(x)", "g * cosh(x)"),
    "cosh": ("cosh(x)", "g * sinh(x)"),
    "asin": ("arcsin(x)", f"g / {UNIT_ROOT}"),
    "acos": ("arccos(x)", f"-g / {UNIT_ROOT}"),
    "atan": ("arctan(x)", "g / (one + x * x)"),
    "asinh": ("arcsinh(x)", "g / sqrt(one + x * x)"),
    # below 1 the formula's value, as torch (+ zero: +inf, not -inf, at -1)
    "acosh": ("arccosh(x)", "g / sqrt((x - one) * (x + one) + zero)"),
    "atanh": ("arctanh(x)", "g / ((one - x) * (one + x))"),
    # min and max are numexpr's reduction names: the bounds go in as lo and hi, an absent one as NaN ("no bound")
    "clip": (
        "where((hi == hi) & (where((lo == lo) & (x < lo), lo, x) > hi), hi, where((lo == lo) & (x < lo), lo, x))",
        "where(((lo != lo) | (x >= lo)) & ((hi != hi) | (x <= hi)), g, zero)",  # bounds included, NaN blocked
    ),
}
RENAMED = {"clip": {"min": "lo", "max": "hi"}}


def expression_params(op: str, params: dict) -> dict:
    """``params`` under the names the op's expressions use, an absent bound (None) as NaN."""
    names = RENAMED.get(op, {})
    return {names.get(k, k): (float("nan") if v is None else v) for k, v in params.items()}


# NumPy's npy_divmod from the exact fmod: numexpr's own % is x - floor(x / y) y (measured, numexpr 2.14: on
# 10^5 random pairs 93% of results differ from np.remainder, by up to the whole result where the quotient is large;
# 1 % inf is NaN there, 1 in NumPy), so remainder and floor_divide are built from fmod here instead
MOD = "fmod(x, y)"
ADJUST = f"(({MOD} != zero) & ((y < zero) != ({MOD} < zero)))"  # the signs of the remainder and y differ
QUOTIENT = f"((x - {MOD}) / y - where({ADJUST}, one, zero))"
REMAINDER = f"where({ADJUST}, {MOD} + y, where({MOD} == zero, copysign(zero, y), {MOD}))"  # fmod's NaN at y = 0
FLOOR_DIVIDE = (
    f"where(y == zero, x / y, where({QUOTIENT} != zero, floor({QUOTIENT}) + where({QUOTIENT} - floor({QUOTIENT}) > "
    f"half, one, zero), copysign(zero, x / y)))"
)
ORIGIN = "(x == zero) & (y == zero)"
# atan2's gradient with the squares scaled by the larger magnitude s (1 where s is 0, inf or NaN), as the reference:
# x * x + y * y underflows to 0 for |x|, |y| < 1e-162 and overflows above 1e154
SCALE = "where(abs(x) > abs(y), abs(x), abs(y))"
SAFE = f"where(({SCALE} == zero) | ({SCALE} - {SCALE} != zero), one, {SCALE})"
R2 = f"((x / {SAFE}) * (x / {SAFE}) + (y / {SAFE}) * (y / {SAFE})) * {SAFE}"
BINARY = {
    "atan2": (
        "arctan2(x, y)",
        f"where({ORIGIN}, zero, g * ((y / {SAFE}) / ({R2})))",  # 0 at the origin, as torch
        f"where({ORIGIN}, zero, g * ((-x / {SAFE}) / ({R2})))",
    ),
    "hypot": ("hypot(x, y)", "g * (x / hypot(x, y))", "g * (y / hypot(x, y))"),
    "fmod": ("fmod(x, y)", "g", "-g * trunc(x / y)"),
    "remainder": (REMAINDER, "g", f"-g * {FLOOR_DIVIDE}"),
    "floor_divide": (FLOOR_DIVIDE, "where(x != y, zero, zero)", "where(x != y, zero, zero)"),  # 0, broadcast
    "logaddexp": (
        "where(x == y, x + log(two), where(x - y > zero, x + log1p(exp(y - x)), where(x - y <= zero, "
        "y + log1p(exp(x - y)), x - y)))",
        "g / (one + exp(y - x))",
        "g / (one + exp(x - y))",
    ),
    "xlogy": (
        "where((x == zero) & (y == y), zero, x * log(y))",
        "where((x == zero) & (y <= zero), zero, where((g == zero) & (y == y), zero, g * log(y)))",
        "g * (x / y)",
    ),
}
UNSUPPORTED: dict = {}
