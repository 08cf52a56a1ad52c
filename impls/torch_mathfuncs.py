"""torch's mappings for the math-function family (:mod:`reference.catalog_mathfuncs`), and where torch differs.

Merged into the torch backend's op table by ``**mathfunc_ops(torch)``; no torch import here (the backend passes it).
"""

from __future__ import annotations

import math

import numpy as np

from impls.declare import Divergence, fact_is, version

NAN, INF = math.nan, math.inf

SAME_NAME = ("sign", "floor", "ceil", "trunc", "round", "exp2", "log2", "log10", "rsqrt", "sinh", "cosh", "asin",
             "acos", "atan", "asinh", "acosh", "atanh")  # fmt: skip


def mathfunc_ops(torch) -> dict:
    """The family's ops as torch calls with the reference's argument names."""
    return {
        **{name: getattr(torch, name) for name in SAME_NAME},
        **{name: getattr(torch, name) for name in ("atan2", "hypot", "fmod", "remainder", "logaddexp", "xlogy")},
        # torch.floor_divide has no derivative; div(rounding_mode="floor") computes the same values (measured, torch
        # 2.13: -0.0 // 3, x // 0, x // inf, 1 // 0.1 alike) and has a zero gradient
        "floor_divide": lambda x, y: torch.div(x, y, rounding_mode="floor"),
        "clip": lambda x, min, max: torch.clamp(x, min, max),  # noqa: A006 - the catalog's names
        "where": lambda condition, x, y: torch.where(condition, x, y),
    }


def _has_nan(inputs, params) -> bool:
    return bool(np.isnan(inputs[0]).any())


def _squares_underflow(inputs, params) -> bool:
    """Some (x, y) off the origin whose x**2 + y**2 underflows to 0."""
    x, y = np.broadcast_arrays(*inputs)
    with np.errstate(all="ignore"):
        return bool(np.any((x * x + y * y == 0) & ((x != 0) | (y != 0))))


def _quotient_overflows(inputs, params) -> bool:
    """Some finite x over a nonzero y whose quotient overflows."""
    x, y = np.broadcast_arrays(*inputs)
    with np.errstate(all="ignore"):
        return bool(np.any(np.isinf(x / y) & np.isfinite(x) & (y != 0)))


def _zero_remainder(inputs, params) -> bool:
    with np.errstate(all="ignore"):
        return bool(np.any(np.fmod(*inputs) == 0))


def _vectorised_quotient_overflow(entry: str) -> Divergence:
    return Divergence(
        entry,
        f"torch's vectorised float64 {entry} on the CPU returns NaN where x / y overflows (1e300 / 1e-10, "
        "1 / 2**-1073), its scalar loop (a single element) the exact value: it computes x - trunc(x / y) y, inf - inf "
        "(measured with torch 2.13 on AVX2, 8 elements; float32 is exact)",
        check="special",
        variant="quotient-overflow",
        dtype="float64",
        device="cpu",
        when=(fact_is("torch.cpu_capability", "AVX2"), version("torch", "==2.13.*")),
        returns=[NAN] * 8,
        inputs=_quotient_overflows,
    )


DECLARATIONS = (
    Divergence(
        "sign",
        "torch.sign(NaN) is 0 (its kernel is (0 < x) - (x < 0), both comparisons false at NaN); NumPy and the Array "
        "API standard give NaN",
        check="special",
        variant="ieee",
        returns=[0.0, 0.0, 0.0, 1.0, -1.0, 1.0, -1.0],
        inputs=_has_nan,
    ),
    Divergence("sign", "torch.sign(NaN) is 0, not NaN (see the ieee special value)", check="branches"),
    Divergence(
        "sign",
        "torch.sign(NaN) is 0, not NaN (see the ieee special value); its gradient is 0 as stated",
        check="special",
        variant="zero-grad",
        returns=[0.0, -1.0, 0.0, 1.0],
        grads=([0.0, 0.0, 0.0, 0.0],),
    ),
    Divergence(
        "atan2",
        "torch's atan2_backward masks the origin by testing x**2 + y**2 == 0, which also holds where both squares "
        "underflow (|x|, |y| below ~1e-162): the gradient is 0 there instead of y / (x**2 + y**2) (1e200 at "
        "(0, 1e-200))",
        check="special",
        variant="tiny-grad",
        dtype="float64",
        returns=[0.0, math.pi / 4, math.atan2(3e-170, 4e-170)],
        grads=([0.0, 0.0, 0.0], [-0.0, -0.0, -0.0]),
        inputs=_squares_underflow,
    ),
    *(_vectorised_quotient_overflow(entry) for entry in ("fmod", "remainder")),
    Divergence(
        "remainder",
        "torch.remainder computes x - floor(x / y) y, whose zero keeps the sign of x (-0.0 % 3 = -0.0, 0.0 % -3 = "
        "0.0); NumPy and Python give a zero the sign of y",
        check="special",
        variant="signed-zero",
        returns=[-0.0, 0.0, -0.0, 0.0],
        inputs=_zero_remainder,
    ),
)
