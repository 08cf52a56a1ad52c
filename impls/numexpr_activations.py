"""NumExpr expressions for the activation family (:mod:`reference.catalog_activations`): forward and gradient
(``g`` the cotangent), merged into the NumExpr backend's tables.  The constants below are handed to NumExpr as
variables of the array's dtype (a float64 literal would promote float32)."""

from __future__ import annotations

import math

CONSTANTS = {
    "selu_alpha": 1.6732632423543772848170429916717,
    "selu_scale": 1.0507009873554804934193349852946,
    "gelu_c": 2.0 * math.sqrt(2.0 / math.pi),  # 2 sqrt(2/pi): 1 + tanh(u) = 2 sigmoid(2u)
    "gelu_k": 0.044715,
    "gelu_3k": 3.0 * 0.044715,
    "thousand": 1e3,
}
NEG_INF = "((x < zero) & (x * half == x))"  # x * 0.5 == x only at 0 and +-inf
POS_INF = "((x > zero) & (x * half == x))"
SIGMOID = "(one / (one + exp(-x)))"
TANH_SOFTPLUS = "tanh(where(x > zero, x, zero) + log1p(exp(-abs(x))))"
TWO_U = "(gelu_c * (x + gelu_k * x * x * x))"

UNARY = {
    "silu": (
        f"where({NEG_INF}, -zero, x / (one + exp(-x)))",  # the limit at -inf, not -inf * 0
        f"where({NEG_INF}, zero, where({POS_INF}, g, g * {SIGMOID} * (one + x * (one - {SIGMOID}))))",
    ),
    "elu": ("where(x > zero, x, alpha * expm1(x))", "where(x <= zero, g * alpha * exp(x), g)"),
    "selu": (
        "selu_scale * where(x > zero, x, selu_alpha * expm1(x))",
        "where(x <= zero, g * selu_scale * selu_alpha * exp(x), g * selu_scale)",
    ),
    "hardtanh": (
        "where(x < min_val, min_val, where(x > max_val, max_val, x))",
        "where((x <= min_val) | (x >= max_val), zero, g)",  # the bounds excluded, NaN passes g (torch)
    ),
    "log_sigmoid": ("where(x < zero, x, zero) - log1p(exp(-abs(x)))", "g / (one + exp(x))"),
    "mish": (
        f"where({NEG_INF}, -zero, x * {TANH_SOFTPLUS})",
        f"where({NEG_INF}, zero, where({POS_INF}, g, g * ({TANH_SOFTPLUS} + x * (one - {TANH_SOFTPLUS} * "
        f"{TANH_SOFTPLUS}) * {SIGMOID})))",
    ),
    "gelu_tanh": (
        f"where({NEG_INF}, -zero, x / (one + exp(-{TWO_U})))",  # x sigmoid(2u): no cancellation in the tail
        f"where(abs(x) > thousand, where(x > zero, g, zero), g * (one / (one + exp(-{TWO_U})) + x / (one + "
        f"exp(-{TWO_U})) / (one + exp({TWO_U})) * gelu_c * (one + gelu_3k * x * x)))",
    ),
}
