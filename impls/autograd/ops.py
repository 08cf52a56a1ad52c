"""Primitive ops, each with its backward right beside its forward (micrograd's layout, for tensors).

Every backward is written with operations that work on ndarrays and on Tensors alike, so that the
same code gives first-order gradients on raw arrays and differentiable gradients under
``create_graph``.  ``_v(t, cg)`` picks a saved input's Tensor (second order) or its data (first order).
"""

from __future__ import annotations

import math

import numpy as np

from impls.autograd.tensor import Tensor, make
from reference._checks import broadcast_shapes, normalize_axes, normalize_axis

SQRT_2 = math.sqrt(2.0)
_erf = np.vectorize(math.erf, otypes=[np.float64])


def tensor(x) -> Tensor:
    """``x`` as a Tensor: float arrays keep their dtype, Python numbers become float64 constants."""
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    return Tensor(array if array.dtype.kind == "f" else array.astype(np.float64))


def _v(t: Tensor, cg: bool):
    return t if cg else t.data


def _same_dtype(a: Tensor, b: Tensor, op: str) -> None:
    if a.dtype != b.dtype:
        raise TypeError(f"{op}: mixing {a.dtype} and {b.dtype}; cast explicitly (parity never promotes silently)")


# ---------------------------------------------------------------- generic helpers (ndarray or Tensor)
def _sum(v, axis=None, keepdims=False):
    return sum_(v, axis=axis, keepdims=keepdims) if isinstance(v, Tensor) else np.sum(v, axis=axis, keepdims=keepdims)


def _reshape(v, shape):
    return reshape(v, shape) if isinstance(v, Tensor) else np.reshape(v, shape)


def _exp(v):
    return exp(v) if isinstance(v, Tensor) else np.exp(v)


def _sum_to(g, shape):
    """Undo broadcasting: sum ``g`` over the axes that were added or stretched to reach its shape."""
    if tuple(g.shape) == tuple(shape):
        return g
    extra = len(g.shape) - len(shape)
    axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
    return _reshape(_sum(g, axis=axes, keepdims=False), shape)


def _const(x, like: Tensor):
    """A Python scalar as a constant of ``like``'s dtype (weak scalars keep float32 float32)."""
    return like.data.dtype.type(x)


# ---------------------------------------------------------------- unary
def quiet(fn):
    """Run ``fn`` with NumPy's floating-point warnings off: derivatives at poles and kinks are IEEE
    values (sqrt'(0) = inf, 0**-1 = inf), as in torch.  Only the backward closures that can meet
    them pay for the switch."""

    def silent(*args):
        with np.errstate(all="ignore"):
            return fn(*args)

    return silent


def _unary(name, forward, derivative, saved=(0,), poles=False):
    """An elementwise op whose derivative is a function of (x, out, cg); ``poles``: it can divide by zero."""
    derivative = quiet(derivative) if poles else derivative

    def op(x):
        x = tensor(x)
        out = forward(x.data)
        return make(out, (x,), lambda g, cg: (g * derivative(x, out, cg),), name, saved)

    op.__name__ = name
    op.__doc__ = f"Elementwise {name}."
    return op


def _sigmoid_data(d):
    e = np.exp(-np.abs(d))
    return np.where(d >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(d.dtype)


neg = _unary("neg", np.negative, lambda x, out, cg: -1.0, saved=())
exp = _unary("exp", np.exp, lambda x, out, cg: exp(x) if cg else out)
expm1 = _unary("expm1", np.expm1, lambda x, out, cg: exp(x) if cg else out + 1.0)
log = _unary("log", np.log, lambda x, out, cg: 1.0 / _v(x, cg), poles=True)
log1p = _unary("log1p", np.log1p, lambda x, out, cg: 1.0 / (1.0 + _v(x, cg)), poles=True)
sqrt = _unary("sqrt", np.sqrt, lambda x, out, cg: 0.5 / (sqrt(x) if cg else out), poles=True)
square = _unary("square", np.square, lambda x, out, cg: 2.0 * _v(x, cg))
reciprocal = _unary(
    "reciprocal",
    lambda d: 1.0 / d,
    lambda x, out, cg: -(reciprocal(x) * reciprocal(x)) if cg else -out * out,
    poles=True,
)
sin = _unary("sin", np.sin, lambda x, out, cg: cos(x) if cg else np.cos(x.data))
cos = _unary("cos", np.cos, lambda x, out, cg: -sin(x) if cg else -np.sin(x.data))
tanh = _unary("tanh", np.tanh, lambda x, out, cg: 1.0 - tanh(x) * tanh(x) if cg else 1.0 - out * out)
sigmoid = _unary(
    "sigmoid", _sigmoid_data, lambda x, out, cg: sigmoid(x) * (1.0 - sigmoid(x)) if cg else out * (1.0 - out)
)
# kinks: abs'(0) = 0 (sign), relu'(0) = 0, as torch; the mask is a constant
abs = _unary("abs", np.abs, lambda x, out, cg: np.sign(x.data))  # noqa: A001
relu = _unary(
    "relu",
    lambda d: np.where(d > 0, d, np.where(np.isnan(d), d, 0.0)).astype(d.dtype),
    lambda x, out, cg: (x.data > 0).astype(x.dtype),
)
erf = _unary(
    "erf",
    lambda d: _erf(d).astype(d.dtype),
    lambda x, out, cg: (2.0 / math.sqrt(math.pi)) * _exp(-(_v(x, cg) * _v(x, cg))),
)


def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, negative_slope * x elsewhere (the left slope at 0); the slopes are built only when a
    gradient is asked for."""
    x = tensor(x)
    data, slope = x.data, _const(negative_slope, x)
    out = np.where(data > 0, data, data * slope)
    return make(out, (x,), lambda g, cg: (g * np.where(data > 0, 1.0, slope).astype(x.dtype),), "leaky_relu", (0,))


def gelu(x):
    """x * Phi(x) with the erf form (0 at -inf, like the reference)."""
    x = tensor(x)
    xs = where_finite_limit(x, x, -np.inf, 0.0)  # so that the product rule never meets 0 * -inf = NaN
    return where_finite_limit(xs * (0.5 * (1.0 + erf(xs * (1.0 / SQRT_2)))), x, -np.inf, 0.0)


def where_finite_limit(out: Tensor, x: Tensor, at: float, value: float) -> Tensor:
    """``out`` with the elements where ``x == at`` replaced by the limit ``value`` (gradient 0 there)."""
    mask = x.data == at
    if not mask.any():
        return out
    keep = (~mask).astype(out.dtype)
    patched = np.where(mask, value, out.data).astype(out.dtype)
    return make(patched, (out,), lambda g, cg: (g * keep,), "limit", ())


def softplus(x, beta=1.0):
    """(1/beta) log(1 + e**(beta x)) as max(bx, 0) + log1p(e**-|bx|): one primitive (instead of six graph
    nodes, each keeping its inputs), whose derivative is sigmoid(beta x); under ``create_graph`` the
    derivative is itself composed of primitives."""
    x = tensor(x)
    b = _const(beta, x)
    data = x.data
    bx = data * b
    out = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / b

    def back(g, cg):
        return (g * sigmoid(x * beta),) if cg else (g * _sigmoid_data(data * b),)

    return make(out, (x,), back, "softplus", (0,))


# ---------------------------------------------------------------- binary (broadcasting)
def _binary(name, forward, backward, saved=(0, 1)):
    def op(x, y):
        if type(x) is Tensor and type(y) is Tensor:
            pass  # the common case: no conversions
        elif type(x) is Tensor and isinstance(y, (int, float)):
            return _scalar_op(name, x, y)
        else:
            x = tensor(x) if isinstance(x, Tensor) or not isinstance(x, (int, float)) else Tensor(_const(x, y))
            y = tensor(y)
        xd, yd = x.data, y.data
        if xd.dtype != yd.dtype:
            _same_dtype(x, y, name)
        xs, ys = xd.shape, yd.shape
        if xs != ys:
            broadcast_shapes(("x", xs), ("y", ys))
        out = forward(xd, yd)

        def back(g, cg):
            gx, gy = backward(g, x, y, out, cg)
            if xs == ys and g.shape == xs:
                return gx, gy
            return (None if gx is None else _sum_to(gx, xs)), (None if gy is None else _sum_to(gy, ys))

        return make(out, (x, y), back, name, saved)

    op.__name__ = name
    return op


def _scalar_op(name, x: Tensor, c):
    """Tensor (op) Python scalar: the scalar is a constant of the Tensor's dtype (no promotion)."""
    c = _const(c, x)
    if name == "add":
        return make(x.data + c, (x,), lambda g, cg: (g,), "add_scalar", ())
    if name == "sub":
        return make(x.data - c, (x,), lambda g, cg: (g,), "sub_scalar", ())
    if name == "mul":
        return make(x.data * c, (x,), lambda g, cg: (g * c,), "mul_scalar", ())
    if name == "div":
        return make(x.data / c, (x,), lambda g, cg: (g * (1.0 / c),), "div_scalar", ())
    return {"pow": pow, "maximum": maximum, "minimum": minimum}[name](x, Tensor(np.asarray(c)))


add = _binary("add", np.add, lambda g, x, y, out, cg: (g, g), saved=())
sub = _binary("sub", np.subtract, lambda g, x, y, out, cg: (g, -g), saved=())
_mul = _binary("mul", np.multiply, lambda g, x, y, out, cg: (g * _v(y, cg), g * _v(x, cg)))


def mul(x, y):
    """x * y; ``x * x`` is a square (one gradient instead of two summed)."""
    return square(x) if x is y and type(x) is Tensor else _mul(x, y)


div = _binary(
    "div",
    np.divide,
    quiet(lambda g, x, y, out, cg: (g / _v(y, cg), -g * _v(x, cg) / (_v(y, cg) * _v(y, cg)))),
)


def _pow_back(g, x, y, out, cg):
    # torch's conventions where the naive formulas give NaN: d/dx = 0 where y == 0, d/dy = 0 where x == 0, y >= 0
    xv, yv = _v(x, cg), _v(y, cg)
    keep_x = (y.data != 0).astype(x.dtype)
    keep_y = ~((x.data == 0) & (y.data >= 0))
    safe_log = np.where(keep_y, np.log(np.where(keep_y, x.data, 1.0)), 0.0).astype(x.dtype)
    gx = g * yv * pow(xv, yv - 1.0) * keep_x if cg else g * np.where(keep_x, yv * np.power(xv, yv - 1), 0.0)
    gy = g * pow(xv, yv) * safe_log if cg else g * out * safe_log
    return gx, gy


pow = _binary("pow", np.power, quiet(_pow_back))  # noqa: A001


def _extremum_back(g, x, y, out, cg, sign):
    # a tie splits the gradient evenly; where a NaN makes every comparison false both get g (torch's rule)
    a, b = sign * x.data, sign * y.data
    share_x = np.where(a == b, 0.5, np.where(a < b, 0.0, 1.0)).astype(x.dtype)
    share_y = np.where(a == b, 0.5, np.where(a > b, 0.0, 1.0)).astype(x.dtype)
    return g * share_x, g * share_y


maximum = _binary("maximum", np.maximum, lambda g, x, y, out, cg: _extremum_back(g, x, y, out, cg, 1.0), saved=())
minimum = _binary("minimum", np.minimum, lambda g, x, y, out, cg: _extremum_back(g, x, y, out, cg, -1.0), saved=())


# ---------------------------------------------------------------- reductions
def _keep(g, shape, axes, keepdims):
    """Re-insert reduced axes into ``g`` (no-op when ``keepdims``), ready to broadcast against ``shape``."""
    if keepdims:
        return g
    kept = [1 if i in axes else n for i, n in enumerate(shape)]
    return _reshape(g, tuple(kept))


def sum_(x, axis=None, keepdims=False):
    """Sum over ``axis`` (the accumulator starts at -0.0, the IEEE additive identity, like the reference)."""
    x = tensor(x)
    axes = tuple(range(x.ndim)) if axis is None else normalize_axes(axis, x.ndim)
    out = np.add.reduce(x.data, axis=axes, keepdims=keepdims, initial=-0.0)  # skips np.sum's Python wrapper
    shape, dtype = x.shape, x.dtype

    def back(g, cg):
        kept = g if g.ndim == 0 else _keep(g, shape, axes, keepdims)
        if cg:
            return (broadcast_to(kept, shape),)
        filled = np.empty(shape, dtype=dtype)
        filled[...] = kept  # much cheaper than np.broadcast_to(...).copy()
        return (filled,)

    return make(np.asarray(out, dtype=x.dtype), (x,), back, "sum", ())


def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``."""
    x = tensor(x)
    count = math.prod(x.shape[a] for a in normalize_axes(axis, x.ndim))
    return sum_(x, axis, keepdims) * (1.0 / count)


def var(x, axis=None, *, correction, keepdims=False):
    """Σ(x - mean)² / max(N - correction, 0), composed of primitives."""
    x = tensor(x)
    axes = normalize_axes(axis, x.ndim)
    count = math.prod(x.shape[a] for a in axes)
    centred = x - mean(x, axes, keepdims=True)
    dof = count - correction  # this module's ``max`` is the op: no builtins here
    factor = 1.0 / dof if dof > 0 else np.inf  # sum / 0: inf, or NaN for 0 * inf = 0/0, as the reference
    return sum_(centred * centred, axes, keepdims) * factor


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``; the backward sums back."""
    x = tensor(x)
    out = np.broadcast_to(x.data, shape).copy()
    return make(out, (x,), lambda g, cg: (_sum_to(g, x.shape),), "broadcast_to", ())


def _extremum(x, axis, keepdims, reduce, name):
    x = tensor(x)
    axes = normalize_axes(axis, x.ndim)
    data = x.data
    out = np.asarray(reduce(data, axis=axes, keepdims=keepdims), dtype=x.dtype)

    def back(g, cg):
        # the tie mask is built here, when a gradient is asked for: the forward pass costs one reduction
        out_k = out if keepdims else np.expand_dims(out, axes)
        mask = data == out_k
        count = np.sum(mask, axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(count > 0, mask / count, np.nan).astype(x.dtype)  # ties split; NaN extremum: NaN
        return (_keep(g, x.shape, axes, keepdims) * share,)

    return make(out, (x,), back, name, (0,))


def max(x, axis=None, keepdims=False):  # noqa: A001
    """amax: ties share the gradient evenly; NaN propagates."""
    return _extremum(x, axis, keepdims, np.max, "max")


def min(x, axis=None, keepdims=False):  # noqa: A001
    """amin: ties share the gradient evenly; NaN propagates."""
    return _extremum(x, axis, keepdims, np.min, "min")


def logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x), shifted by the (finite) maximum; the shift is a constant, so gradients flow through exp."""
    x = tensor(x)
    axes = normalize_axes(axis, x.ndim)
    m = np.max(x.data, axis=axes, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0.0).astype(x.dtype)
    out = log(sum_(exp(x - Tensor(m)), axes, keepdims=True)) + Tensor(m)
    return out if keepdims else reshape(out, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along ``axis``."""
    x = tensor(x)
    return x - logsumexp(x, normalize_axis(axis, x.ndim), keepdims=True)


def softmax(x, axis=-1):
    """exp(x - max) / Σ exp(x - max) along ``axis`` (max shift as torch)."""
    x = tensor(x)
    axis = normalize_axis(axis, x.ndim)
    shifted = exp(x - Tensor(np.max(x.data, axis=axis, keepdims=True)))
    return shifted / sum_(shifted, axis, keepdims=True)


# ---------------------------------------------------------------- linear algebra and shape
def matmul(a, b):
    """a @ b with NumPy's rules: 1-D operands are promoted, batch dims broadcast."""
    if type(a) is not Tensor or type(b) is not Tensor:
        a, b = tensor(a), tensor(b)
    if a.data.dtype != b.data.dtype:
        _same_dtype(a, b, "matmul")
    out = np.matmul(a.data, b.data)

    def back(g, cg):
        if not cg and a.ndim == 2 and b.ndim == 2:  # the common case, without the promotions below
            return g @ b.data.T, a.data.T @ g
        av, bv = _v(a, cg), _v(b, cg)
        a2 = reshape(av, (1, -1)) if cg and a.ndim == 1 else (av[None, :] if a.ndim == 1 else av)
        b2 = reshape(bv, (-1, 1)) if cg and b.ndim == 1 else (bv[:, None] if b.ndim == 1 else bv)
        g_shape = list(g.shape)
        if a.ndim == 1:
            g_shape.insert(len(g_shape) - (1 if b.ndim > 1 else 0), 1)
        if b.ndim == 1:
            g_shape.append(1)
        g2 = _reshape(g, tuple(g_shape))
        ga = _sum_to(matmul(g2, swapaxes(b2, -1, -2)) if cg else np.matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape)
        gb = _sum_to(matmul(swapaxes(a2, -1, -2), g2) if cg else np.matmul(np.swapaxes(a2, -1, -2), g2), b2.shape)
        return _reshape(ga, a.shape), _reshape(gb, b.shape)

    return make(out, (a, b), back, "matmul")


def outer(x, y):
    """out[i, j] = x[i] * y[j]."""
    x, y = tensor(x), tensor(y)
    return reshape(x, (-1, 1)) * reshape(y, (1, -1))


def transpose(x, axes=None):
    """Permute axes (reverse when None)."""
    x = tensor(x)
    perm = tuple(range(x.ndim))[::-1] if axes is None else tuple(a % x.ndim for a in axes)
    inverse = tuple(np.argsort(perm))
    return make(
        np.transpose(x.data, perm).copy(),
        (x,),
        lambda g, cg: (transpose(g, inverse) if cg else np.transpose(g, inverse),),
        "transpose",
        (),
    )


def swapaxes(x, a, b):
    x = tensor(x)
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, tuple(perm))


def reshape(x, shape):
    """Same elements, new shape."""
    x = tensor(x)
    return make(np.reshape(x.data, shape).copy(), (x,), lambda g, cg: (_reshape(g, x.shape),), "reshape", ())


def concatenate(*arrays, axis=0):
    """Join along an existing axis; the backward splits the gradient."""
    arrays = [tensor(a) for a in arrays]
    for other in arrays[1:]:
        _same_dtype(arrays[0], other, "concatenate")
    axis = normalize_axis(axis, arrays[0].ndim)
    bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]

    def back(g, cg):
        if not cg:
            return tuple(np.split(g, bounds, axis=axis))
        edges = [0, *bounds, g.shape[axis]]
        return tuple(getitem(g, (slice(None),) * axis + (slice(lo, hi),)) for lo, hi in zip(edges, edges[1:]))

    return make(np.concatenate([a.data for a in arrays], axis=axis), tuple(arrays), back, "concatenate", ())


def getitem(x, index):
    """Basic indexing (slices of any step, ints); the backward scatters into zeros."""
    x = tensor(x)

    def back(g, cg):
        if cg:
            return (scatter_into_zeros(g, x.shape, index),)
        grad = np.zeros_like(x.data)
        grad[index] = g
        return (grad,)

    return make(x.data[index].copy(), (x,), back, "getitem", ())


def scatter_into_zeros(g, shape, index):
    """Zeros of ``shape`` with ``g`` placed at ``index`` (the adjoint of getitem, itself differentiable)."""
    g = tensor(g)
    out = np.zeros(shape, dtype=g.dtype)
    out[index] = g.data
    return make(out, (g,), lambda h, cg: (getitem(h, index) if cg else h[index],), "scatter", ())


def where_mask(mask: np.ndarray, a, b):
    """a where the constant boolean ``mask`` holds, else b (both differentiable)."""
    m = mask.astype(tensor(a).dtype)
    return a * m + b * (1.0 - m)


# Tensor operators
# operators are the op functions themselves (no extra frame on the hot path)
Tensor.__add__ = Tensor.__radd__ = add
Tensor.__sub__ = sub
Tensor.__rsub__ = lambda s, o: add(neg(s), o)
Tensor.__mul__ = Tensor.__rmul__ = mul
Tensor.__truediv__ = div
Tensor.__rtruediv__ = lambda s, o: mul(reciprocal(s), o)
Tensor.__neg__ = neg
Tensor.__pow__ = pow
Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda s, o: matmul(tensor(o), s)
Tensor.__getitem__ = lambda s, i: getitem(s, i)
Tensor.T = property(lambda s: transpose(s))
Tensor.sum = lambda s, axis=None, keepdims=False: sum_(s, axis, keepdims)
Tensor.mean = lambda s, axis=None, keepdims=False: mean(s, axis, keepdims)
Tensor.reshape = lambda s, *shape: reshape(s, shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape)
Tensor.exp = lambda s: exp(s)
Tensor.log = lambda s: log(s)
for _cmp in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
    # comparisons give plain boolean arrays: they are not differentiable
    setattr(
        Tensor, _cmp, (lambda name: lambda s, o: getattr(s.data, name)(o.data if isinstance(o, Tensor) else o))(_cmp)
    )
Tensor.__hash__ = object.__hash__
