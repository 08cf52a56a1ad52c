"""Elementwise ops as Numba ufuncs, each forward beside its hand-written derivative ufunc.

``@vectorize`` with explicit float32/float64 signatures compiles eagerly and caches on disk
(``cache=True``); NumPy's ufunc machinery then does the broadcasting.  No ``fastmath``: it would
let LLVM assume no NaN/inf, and NaN, inf and -0.0 are values the catalog checks.
"""

from __future__ import annotations

import math

from numba import vectorize

SIG1 = ["float32(float32)", "float64(float64)"]
SIG2 = ["float32(float32, float32)", "float64(float64, float64)"]
SIG3 = ["float32(float32, float32, float32)", "float64(float64, float64, float64)"]
INV_SQRT2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _u(fn):
    return vectorize(SIG1, cache=True)(fn)


def _b(fn):
    return vectorize(SIG2, cache=True)(fn)


def _t(fn):
    return vectorize(SIG3, cache=True)(fn)


# ---------------------------------------------------------------- unary: forward(x), derivative(x, g)
@_u
def neg(x):
    return -x


@_b
def neg_d(x, g):
    return -g


@_u
def abs_(x):
    return abs(x)


@_b
def abs_d(x, g):
    if x != x:
        return x
    return g if x > 0 else (-g if x < 0 else 0.0 * g)  # sign(0) = 0, as torch


@_u
def exp(x):
    return math.exp(x)


@_b
def exp_d(x, g):
    return g * math.exp(x)


@_u
def expm1(x):
    return math.expm1(x)


@_u
def log(x):
    if x < 0:
        return math.nan
    return -math.inf if x == 0 else math.log(x)


@_b
def log_d(x, g):
    return g / x


@_u
def log1p(x):
    if x < -1:
        return math.nan
    return -math.inf if x == -1 else math.log1p(x)


@_b
def log1p_d(x, g):
    return g / (1.0 + x)


@_u
def sqrt(x):
    return math.sqrt(x) if x >= 0 else math.nan


@_b
def sqrt_d(x, g):
    return g / (2.0 * math.sqrt(x)) if x >= 0 else math.nan


@_u
def square(x):
    return x * x


@_b
def square_d(x, g):
    return 2.0 * x * g


@_u
def reciprocal(x):
    return 1.0 / x if x != 0 else math.copysign(math.inf, x)


@_b
def reciprocal_d(x, g):
    r = 1.0 / x if x != 0 else math.inf
    return -g * r * r


@_u
def sin(x):
    return math.sin(x)


@_b
def sin_d(x, g):
    return g * math.cos(x)


@_u
def cos(x):
    return math.cos(x)


@_b
def cos_d(x, g):
    return -g * math.sin(x)


@_u
def tanh(x):
    return math.tanh(x)


@_b
def tanh_d(x, g):
    t = math.tanh(x)
    return g * (1.0 - t * t)


@_u
def sigmoid(x):
    e = math.exp(-abs(x))  # never overflows
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)


@_b
def sigmoid_d(x, g):
    e = math.exp(-abs(x))
    s = 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
    return g * s * (1.0 - s)


@_u
def relu(x):
    return x if (x > 0 or x != x) else 0.0


@_b
def relu_d(x, g):
    return g if x > 0 else 0.0 * g  # relu'(0) = 0


@_b
def leaky_relu(x, slope):
    return x if x > 0 else x * slope


@_t
def leaky_relu_d(x, slope, g):
    return g if x > 0 else g * slope


@_u
def erf(x):
    return math.erf(x)


@_b
def erf_d(x, g):
    return g * TWO_OVER_SQRT_PI * math.exp(-x * x)


@_u
def gelu(x):
    if x == -math.inf:
        return -0.0  # the limit; -inf * Phi(-inf) would be -inf * 0 = NaN
    return 0.5 * x * (1.0 + math.erf(x * INV_SQRT2))


@_b
def gelu_d(x, g):
    if x == -math.inf:
        return 0.0 * g
    return g * (0.5 * (1.0 + math.erf(x * INV_SQRT2)) + x * INV_SQRT_2PI * math.exp(-0.5 * x * x))


@_b
def softplus(x, beta):
    bx = beta * x
    return (max(bx, 0.0) + math.log1p(math.exp(-abs(bx)))) / beta if bx == bx else bx


@_t
def softplus_d(x, beta, g):
    bx = beta * x
    e = math.exp(-abs(bx))
    return g * (1.0 / (1.0 + e) if bx >= 0 else e / (1.0 + e))


# ---------------------------------------------------------------- binary: forward(x, y), d/dx(x, y, g), d/dy(x, y, g)
@_b
def add(x, y):
    return x + y


@_b
def sub(x, y):
    return x - y


@_b
def mul(x, y):
    return x * y


@_b
def div(x, y):
    if y == 0:
        if x == 0 or x != x:
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


@_b
def pow_(x, y):
    return x**y if not (x < 0 and y != math.floor(y)) else math.nan


@_t
def pass_d(x, y, g):
    return g


@_t
def neg_pass_d(x, y, g):
    return -g


@_t
def mul_dx(x, y, g):
    return g * y


@_t
def mul_dy(x, y, g):
    return g * x


@_t
def div_dx(x, y, g):
    return g / y if y != 0 else g * math.inf


@_t
def div_dy(x, y, g):
    return -g * x / (y * y) if y != 0 else -g * x * math.inf


@_t
def pow_dx(x, y, g):
    if y == 0:
        return 0.0 * g  # torch: d/dx x**0 = 0, even at x = 0
    if x == 0 and y < 1:
        return g * y * math.inf if y != 0 else 0.0
    return g * y * x ** (y - 1.0)


@_t
def pow_dy(x, y, g):
    if x == 0 and y >= 0:
        return 0.0 * g  # torch: 0**y * log 0 taken as 0
    if x < 0:
        return math.nan
    return g * x**y * math.log(x) if x > 0 else -g * math.inf


@_b
def maximum(x, y):
    if x != x or y != y:
        return x + y  # NaN propagates
    return x if x >= y else y


@_b
def minimum(x, y):
    if x != x or y != y:
        return x + y
    return x if x <= y else y


@_t
def maximum_dx(x, y, g):
    if x == y:
        return 0.5 * g
    return 0.0 * g if x < y else g  # NaN: both get g (torch's formula)


@_t
def maximum_dy(x, y, g):
    if x == y:
        return 0.5 * g
    return 0.0 * g if x > y else g


@_t
def minimum_dx(x, y, g):
    return maximum_dy(x, y, g)


@_t
def minimum_dy(x, y, g):
    return maximum_dx(x, y, g)


UNARY = {  # op -> (forward, derivative, parameter name or None)
    "neg": (neg, neg_d, None),
    "abs": (abs_, abs_d, None),
    "exp": (exp, exp_d, None),
    "expm1": (expm1, exp_d, None),
    "log": (log, log_d, None),
    "log1p": (log1p, log1p_d, None),
    "sqrt": (sqrt, sqrt_d, None),
    "square": (square, square_d, None),
    "reciprocal": (reciprocal, reciprocal_d, None),
    "sin": (sin, sin_d, None),
    "cos": (cos, cos_d, None),
    "tanh": (tanh, tanh_d, None),
    "sigmoid": (sigmoid, sigmoid_d, None),
    "relu": (relu, relu_d, None),
    "erf": (erf, erf_d, None),
    "gelu": (gelu, gelu_d, None),
    "leaky_relu": (leaky_relu, leaky_relu_d, "negative_slope"),
    "softplus": (softplus, softplus_d, "beta"),
}
BINARY = {  # op -> (forward, d/dx, d/dy)
    "add": (add, pass_d, pass_d),
    "sub": (sub, pass_d, neg_pass_d),
    "mul": (mul, mul_dx, mul_dy),
    "div": (div, div_dx, div_dy),
    "pow": (pow_, pow_dx, pow_dy),
    "maximum": (maximum, maximum_dx, maximum_dy),
    "minimum": (minimum, minimum_dx, minimum_dy),
}


# ---------------------------------------------------------------- per-element losses: value(x, t, p), d/dx(x, t, p)
@_t
def mse_elem(x, t, unused):
    return (x - t) * (x - t)


@_t
def mse_elem_d(x, t, unused):
    return 2.0 * (x - t)


@_t
def huber_elem(x, t, delta):
    d = abs(x - t)
    return 0.5 * d * d if d <= delta else delta * (d - 0.5 * delta)


@_t
def huber_elem_d(x, t, delta):
    d = x - t
    return max(-delta, min(delta, d))


@_t
def bce_elem(x, t, pos_weight):
    sp_pos = max(-x, 0.0) + math.log1p(math.exp(-abs(x)))  # -log sigmoid(x)
    sp_neg = max(x, 0.0) + math.log1p(math.exp(-abs(x)))  # -log(1 - sigmoid(x))
    return pos_weight * t * sp_pos + (1.0 - t) * sp_neg


@_t
def bce_elem_d(x, t, pos_weight):
    e = math.exp(-abs(x))
    s = 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
    return (1.0 - t) * s - pos_weight * t * (1.0 - s)


LOSSES = {  # op -> (value, derivative, parameter name)
    "mse_loss": (mse_elem, mse_elem_d, None),
    "huber_loss": (huber_elem, huber_elem_d, "delta"),
    "binary_cross_entropy_with_logits": (bce_elem, bce_elem_d, "pos_weight"),
}
