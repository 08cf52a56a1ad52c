"""The JAX backend, eager (``jax``) and with every op jitted (``jax_jit``), written only against ``parity.api``.

It is the proof that the public API suffices: nothing here imports from ``impls``, ``reference`` or any
other parity module (``tests/test_jax_backend.py`` checks that), and jax is imported when a backend is
created, never at module import.  Ops are ``jax.numpy``/``jax.nn``/``jax.lax`` with torch.nn.functional's
conventions where the catalog asks for them (NCHW, cross-entropy's weights and label smoothing); gradients
come from ``jax.vjp`` with the given cotangent; the optimizers are torch.optim's update rules written in
JAX (not optax, see :class:`JaxOptimizer`).

Registered in ``impls.BACKENDS``; outside this repository the same classes would be found through the
``parity.backends`` entry point (the entry point's name equal to the class's ``name``)::

    [project.entry-points."parity.backends"]
    jax = "impls.jax_backend:JaxBackend"
    jax_jit = "impls.jax_backend:JaxJitBackend"

or without registering anything, ``--backend impls.jax_backend:JaxBackend``.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from parity.api import (
    Backend,
    BackendUnavailable,
    Divergence,
    Unsupported,
    fact_is,
    numpy_dtype,
    to_numpy_dtype,
    version,
)

NAN, INF = math.nan, math.inf
FLOATS = ("float16", "bfloat16", "float32", "float64")


# ---------------------------------------------------------------- geometry (torch's formulas)
def _pair(value) -> tuple[int, int]:
    """torch's int-or-pair: an int, or a tuple or list of one (used for both axes) or two."""
    if isinstance(value, (tuple, list)):
        return (value[0], value[0]) if len(value) == 1 else tuple(value)
    return (value, value)


def _conv_pads(padding, kernel, dilation):
    """``((top, bottom), (left, right))``; ``'same'`` puts the odd extra row/column at the bottom/right."""
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))
    return tuple((p, p) for p in _pair(padding))


def _pool_outputs(size, kernel, stride, pad, dilation, ceil_mode) -> int:
    """torch's pooled length: with ``ceil_mode`` the last window must start inside the input or left padding."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    n = (-(-span // stride) if ceil_mode else span // stride) + 1
    return n - 1 if ceil_mode and (n - 1) * stride >= size + pad else n


def _pool_window(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Per spatial axis: kernel, stride, dilation, (low, high) padding covering every window, output length."""
    kernel = _pair(kernel_size)
    stride = kernel if stride is None else _pair(stride)
    dims = []
    for size, k, s, p, d in zip(x.shape[2:], kernel, stride, _pair(padding), _pair(dilation)):
        n = _pool_outputs(size, k, s, p, d, ceil_mode)
        dims.append((k, s, d, (p, max(p, (n - 1) * s + d * (k - 1) + 1 - size - p)), n))
    return dims


def _avg_divisor(size, k, s, p, n, count_include_pad) -> np.ndarray:
    """torch's avg_pool2d divisor along one axis: the window clipped to the padded input, or to the input."""
    start = np.arange(n) * s - p
    end = np.minimum(start + k, size + p)
    return end - start if count_include_pad else np.minimum(end, size) - np.maximum(start, 0)


# ---------------------------------------------------------------- ops
def _ops(jax) -> dict:
    jnp, nn, lax = jax.numpy, jax.nn, jax.lax

    def reduction(fn):
        return lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims)

    def max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode):
        dims = _pool_window(x, kernel_size, stride, padding, dilation, ceil_mode)
        out = lax.reduce_window(
            x,
            -jnp.inf,
            lax.max,
            (1, 1, *(d[0] for d in dims)),
            (1, 1, *(d[1] for d in dims)),
            ((0, 0), (0, 0), *(d[3] for d in dims)),
            window_dilation=(1, 1, *(d[2] for d in dims)),
        )
        return out[:, :, : dims[0][4], : dims[1][4]]

    def avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
        dims = _pool_window(x, kernel_size, stride, padding, 1, ceil_mode)
        total = lax.reduce_window(
            x, 0.0, lax.add, (1, 1, *(d[0] for d in dims)), (1, 1, *(d[1] for d in dims)),
            ((0, 0), (0, 0), *(d[3] for d in dims)),
        )[:, :, : dims[0][4], : dims[1][4]]  # fmt: skip
        if divisor_override is not None:  # torch: every window divided by it, padding or not
            return total / jnp.asarray(divisor_override, x.dtype)
        rows, cols = (
            _avg_divisor(size, k, s, pads[0], n, count_include_pad)
            for size, (k, s, _, pads, n) in zip(x.shape[2:], dims)
        )
        return total / jnp.asarray(np.multiply.outer(rows, cols), x.dtype)

    def rounded_once(layer):
        """A layer with a bias in a half type computed in float32 and rounded to the dtype once, as the catalog
        defines it (and torch's addmm and convolution do): ``x @ w.T + b`` in float16 rounds the product, then
        the sum, and training amplifies the difference (mlp under float16 autocast: fc1.weight 4.3e-3 from the
        reference after 60 steps, 17x the float16 effect; rounded once, 2.0e-4, torch's to the bit)."""

        def run(x, weight, bias=None, **params):
            if x.dtype not in (jnp.float16, jnp.bfloat16):
                return layer(x, weight, bias, **params)
            wide = [None if a is None else a.astype(jnp.float32) for a in (x, weight, bias)]
            return layer(*wide, **params).astype(x.dtype)

        return run

    def linear(x, weight, bias=None):
        return x @ weight.T if bias is None else x @ weight.T + bias

    def conv2d(x, weight, bias=None, *, stride, padding, dilation, groups):
        out = lax.conv_general_dilated(
            x,
            weight,
            window_strides=_pair(stride),
            padding=_conv_pads(padding, weight.shape[2:], _pair(dilation)),
            rhs_dilation=_pair(dilation),
            dimension_numbers=("NCHW", "OIHW", "NCHW"),
            feature_group_count=groups,
        )
        return out if bias is None else out + bias[:, None, None]

    def channel(v, x):
        return v.reshape(1, -1, *([1] * (x.ndim - 2)))

    def affine(xhat, weight, bias, shape):
        out = xhat if weight is None else xhat * shape(weight)
        return out if bias is None else out + shape(bias)

    def batch_norm(x, weight=None, bias=None, *, eps):
        axes = (0, *range(2, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        return affine((x - mean) / jnp.sqrt(var + eps), weight, bias, lambda v: channel(v, x))

    def batch_norm_eval(x, running_mean, running_var, weight=None, bias=None, *, eps):
        xhat = (x - channel(running_mean, x)) / jnp.sqrt(channel(running_var, x) + eps)
        return affine(xhat, weight, bias, lambda v: channel(v, x))

    def layer_norm(x, weight=None, bias=None, *, normalized_shape, eps):
        axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        return affine((x - mean) / jnp.sqrt(var + eps), weight, bias, lambda v: v)

    def flatten(x, start_dim, end_dim):
        if x.ndim == 0:
            return x.reshape(1)
        start, end = start_dim % x.ndim, end_dim % x.ndim
        return x.reshape(*x.shape[:start], math.prod(x.shape[start : end + 1]), *x.shape[end + 1 :])

    return {
        "neg": jnp.negative,
        "abs": jnp.abs,
        "exp": jnp.exp,
        "expm1": jnp.expm1,
        "log": jnp.log,
        "log1p": jnp.log1p,
        "sqrt": jnp.sqrt,
        "square": jnp.square,
        "reciprocal": jnp.reciprocal,
        "sin": jnp.sin,
        "cos": jnp.cos,
        "tanh": jnp.tanh,
        "sigmoid": nn.sigmoid,
        "relu": nn.relu,
        "leaky_relu": lambda x, negative_slope: nn.leaky_relu(x, negative_slope),
        "gelu": lambda x: nn.gelu(x, approximate=False),
        # threshold: the reference refuses any but None (exact softplus, no switch to x), before this runs
        "softplus": lambda x, beta, threshold: nn.softplus(beta * x) / beta,
        "erf": jax.scipy.special.erf,
        "add": jnp.add,
        "sub": jnp.subtract,
        "mul": jnp.multiply,
        "div": jnp.true_divide,
        "pow": jnp.power,
        "maximum": jnp.maximum,
        "minimum": jnp.minimum,
        "sum": reduction(jnp.sum),
        "mean": reduction(jnp.mean),
        "var": lambda x, axis, correction, keepdims: jnp.var(x, axis=axis, ddof=correction, keepdims=keepdims),
        "max": reduction(jnp.max),
        "min": reduction(jnp.min),
        "logsumexp": reduction(jax.scipy.special.logsumexp),
        "softmax": lambda x, axis: nn.softmax(x, axis=axis),
        "log_softmax": lambda x, axis: nn.log_softmax(x, axis=axis),
        "matmul": jnp.matmul,
        "outer": jnp.outer,
        "transpose": lambda x, axes: jnp.transpose(x, axes),
        "reshape": lambda x, shape: jnp.reshape(x, shape),
        "concatenate": lambda *xs, axis: jnp.concatenate(xs, axis=axis),
        "slice": lambda x, index: x[index],
        "linear": rounded_once(linear),
        "conv2d": rounded_once(conv2d),
        "max_pool2d": max_pool2d,
        "avg_pool2d": avg_pool2d,
        "batch_norm": batch_norm,
        "batch_norm_eval": batch_norm_eval,
        "layer_norm": layer_norm,
        "flatten": flatten,
        "dropout": lambda x, mask, p: x * mask / (1.0 - p),
        **_losses(jax),
        **_mathfuncs(jax),
        **_reductions(jax),
        **_linalg(jax),
        **_indexing(jax),
        **_layers(jax, affine, rounded_once(conv2d)),
        "conv_transpose2d": rounded_once(_conv_transpose2d(jax)),
        **_integers(jax),
    }


def _conv_transpose2d(jax):
    """torch's conv_transpose2d as XLA writes a transposed convolution: the input dilated by the stride, padded by
    ``d (k - 1) - p`` (plus ``output_padding`` at the bottom and right), correlated with the kernel flipped and its
    channel axes swapped within each group.  A padding beyond ``d (k - 1)`` crops (a negative pad)."""
    lax = jax.lax

    def conv_transpose2d(x, weight, bias=None, *, stride, padding, output_padding, groups, dilation):
        (sh, sw), (ph, pw), (oh, ow), (dh, dw) = map(_pair, (stride, padding, output_padding, dilation))
        cin, cout_g, kh, kw = weight.shape
        kernel = weight.reshape(groups, cin // groups, cout_g, kh, kw).swapaxes(1, 2)
        kernel = kernel.reshape(groups * cout_g, cin // groups, kh, kw)[:, :, ::-1, ::-1]
        pads = [(d * (k - 1) - p, d * (k - 1) - p + o) for k, d, p, o in ((kh, dh, ph, oh), (kw, dw, pw, ow))]
        out = lax.conv_general_dilated(
            x,
            kernel,
            window_strides=(1, 1),
            padding=[(max(lo, 0), max(hi, 0)) for lo, hi in pads],
            lhs_dilation=(sh, sw),
            rhs_dilation=(dh, dw),
            dimension_numbers=("NCHW", "OIHW", "NCHW"),
            feature_group_count=groups,
        )
        (top, bottom), (left, right) = ((max(-lo, 0), max(-hi, 0)) for lo, hi in pads)
        out = out[:, :, top : out.shape[2] - bottom, left : out.shape[3] - right]
        return out if bias is None else out + bias[:, None, None]

    return conv_transpose2d


def _bilinear_taps(size: int, out: int, align_corners: bool, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """torch's source indices i0, i1 and weight lam of i1 along one axis (ATen's area_pixel_compute_source_index
    and guard_index_and_lambda), computed in ``dtype`` on the host: static for a given shape."""
    t = np.dtype(dtype).type
    if size == out:  # ATen copies: x[i] * 1 + x[i] * 0
        same = np.arange(out)
        return same, same, np.zeros(out, dtype)
    if align_corners:
        src = (t(size - 1) / t(out - 1) if out > 1 else t(0)) * np.arange(out, dtype=dtype)
    else:
        src = np.maximum(t(size) / t(out) * (np.arange(out, dtype=dtype) + t(0.5)) - t(0.5), t(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    return i0, np.minimum(i0 + 1, size - 1), np.clip(src - i0.astype(dtype), t(0), t(1))


def _layers(jax, affine, conv2d) -> dict:
    """Group and instance norm, conv1d (conv2d on a height of 1), attention and cosine similarity (#15)."""
    jnp, nn = jax.numpy, jax.nn

    def group_norm(x, weight=None, bias=None, *, num_groups, eps):
        grouped = x.reshape(x.shape[0], num_groups, -1)
        mean = grouped.mean(axis=-1, keepdims=True)
        var = ((grouped - mean) ** 2).mean(axis=-1, keepdims=True)  # biased, as torch
        xhat = ((grouped - mean) / jnp.sqrt(var + eps)).reshape(x.shape)
        return affine(xhat, weight, bias, lambda v: v.reshape(1, -1, *([1] * (x.ndim - 2))))

    def conv1d(x, weight, bias=None, *, stride, padding, dilation, groups):
        def height_one(value, fill):
            return value if isinstance(value, str) else (fill, _pair(value)[0])

        out = conv2d(x[:, :, None], weight[:, :, None], bias, stride=height_one(stride, 1),
                     padding=height_one(padding, 0), dilation=height_one(dilation, 1), groups=groups)  # fmt: skip
        return out[:, :, 0]

    def in_float32_if_half(fn):
        """``fn`` on half-type data computed in float32 and rounded once (as torch's CPU attention, whose math
        kernel accumulates in float32): this composition of ours in float16 rounds the scores, the softmax and its
        backward's dP = g V^T each in the half type (the key gradient 1.14x the allowance at one element).  A
        float mask joins the scores in float32; a bool mask stays as it is."""

        def run(query, key, value, attn_mask=None, **params):
            if query.dtype not in (jnp.float16, jnp.bfloat16):
                return fn(query, key, value, attn_mask, **params)
            wide = [a.astype(jnp.float32) for a in (query, key, value)]
            mask = attn_mask if attn_mask is None or attn_mask.dtype.kind in "biu" else attn_mask.astype(jnp.float32)
            return fn(*wide, mask, **params).astype(query.dtype)

        return run

    def attention(query, key, value, attn_mask=None, *, is_causal, scale):
        factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
        scores = query @ jnp.swapaxes(key, -1, -2) * jnp.asarray(factor, query.dtype)
        allowed = None
        if is_causal:
            allowed = jnp.tril(jnp.ones((query.shape[-2], key.shape[-2]), bool))
        elif attn_mask is not None and attn_mask.dtype.kind in "biu":
            allowed = attn_mask != 0
        elif attn_mask is not None:
            scores = scores + attn_mask
        if allowed is not None:  # torch adds -inf (a NaN score stays NaN), it does not replace the score
            scores = scores + jnp.where(allowed, 0.0, -jnp.inf).astype(scores.dtype)
        masked_row = jnp.all(scores == -jnp.inf, axis=-1, keepdims=True)  # torch's safe softmax: a dead row is 0
        weights = jnp.where(masked_row, 0.0, nn.softmax(jnp.where(masked_row, 0.0, scores), axis=-1))
        return weights @ value

    def cosine_similarity(x1, x2, dim, eps):
        """torch's gradient convention: the clamp max(|v|, eps) is invisible to the gradient (d|v|/dv = v / |v|,
        0 at a zero vector), where jnp.maximum would stop it and sqrt'(0) make it NaN."""
        x1, x2 = jnp.broadcast_arrays(x1, x2)

        def unit(v):
            squares = jnp.sum(v * v, axis=dim, keepdims=True)
            norm = jnp.where(squares > 0, jnp.sqrt(jnp.where(squares > 0, squares, 1.0)), 0.0)
            clamped = norm + jax.lax.stop_gradient(jnp.maximum(norm, eps) - norm)
            return v / clamped

        return jnp.sum(unit(x1) * unit(x2), axis=dim)

    def resampled(x, size):
        """torch's int-or-pair output size; None keeps that axis."""
        pair = (size, size) if isinstance(size, int) else tuple(size)
        return tuple(n if s is None else s for n, s in zip(x.shape[2:], pair))

    def adaptive_avg_pool2d(x, output_size):
        """Each of torch's uneven windows [floor(i n / out), ceil((i + 1) n / out)) summed, divided by its height,
        then its width (ATen's CPU kernel)."""
        (h, w), (oh, ow) = x.shape[2:], resampled(x, output_size)
        rows = [((i * h) // oh, -(-(i + 1) * h // oh)) for i in range(oh)]
        cols = [((j * w) // ow, -(-(j + 1) * w // ow)) for j in range(ow)]
        by_rows = jnp.stack([x[:, :, a:b].sum(axis=2) for a, b in rows], axis=2)
        total = jnp.stack([by_rows[..., a:b].sum(axis=3) for a, b in cols], axis=3)
        heights = jnp.asarray([[b - a] for a, b in rows], x.dtype)
        return total / heights / jnp.asarray([b - a for a, b in cols], x.dtype)

    def interpolate_nearest(x, size):
        """torch's mode="nearest": source min(floor(dst * (n / out)), n - 1), the scale and product in float32."""
        index = [np.minimum(np.floor(np.arange(o, dtype=np.float32) * (np.float32(n) / np.float32(o))).astype(int),
                            n - 1) for n, o in zip(x.shape[2:], resampled(x, size))]  # fmt: skip
        return x[:, :, index[0]][..., index[1]]

    def interpolate_bilinear(x, size, align_corners=False):
        """Along the width, then the height (ATen's order): ``x[i0] (1 - lam) + x[i1] lam`` in float32 for float32
        and half data (float64 for float64), rounded to the data's type once."""
        compute = jnp.float64 if x.dtype == jnp.float64 else jnp.float32
        out = x.astype(compute)
        for axis in (3, 2):
            n, o = x.shape[axis], resampled(x, size)[axis - 2]
            i0, i1, lam = _bilinear_taps(n, o, align_corners, compute)
            shape = (o,) if axis == 3 else (o, 1)
            keep, lam = jnp.asarray((1 - lam).reshape(shape)), jnp.asarray(lam.reshape(shape))
            out = jnp.take(out, i0, axis=axis) * keep + jnp.take(out, i1, axis=axis) * lam
        return out.astype(x.dtype)

    return {
        "adaptive_avg_pool2d": adaptive_avg_pool2d,
        "interpolate_nearest": interpolate_nearest,
        "interpolate_bilinear": interpolate_bilinear,
        "group_norm": group_norm,
        "instance_norm": lambda x, weight=None, bias=None, *, eps: group_norm(
            x, weight, bias, num_groups=x.shape[1], eps=eps
        ),
        "conv1d": conv1d,
        "scaled_dot_product_attention": in_float32_if_half(attention),
        "scaled_dot_product_attention_bool_mask": in_float32_if_half(attention),
        "cosine_similarity": cosine_similarity,
    }


def _integers(jax) -> dict:
    """Integer and bool arithmetic (reference/integers.py): jax.numpy's, wrapping modulo 2**bits as NumPy's."""
    jnp = jax.numpy
    return {
        "int_add": jnp.add,
        "int_sub": jnp.subtract,
        "int_mul": jnp.multiply,
        "int_floor_divide": jnp.floor_divide,
        "int_remainder": jnp.remainder,
        "int_true_divide": jnp.true_divide,
        "int_eq": jnp.equal,
        "int_lt": jnp.less,
        "int_abs": jnp.abs,
        "int_add_float": lambda x, scalar: x + scalar,
    }


def _indexing(jax) -> dict:
    """Gathers, accumulating scatters (``.at[].add``: repeated indices add up), and F.pad."""
    jnp = jax.numpy
    modes = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}

    def scatter_add(x, index, src, axis):
        """torch.scatter_add: out[..., index[i], ...] += src[i] along ``axis``, over index's own extent."""
        grid = list(jnp.indices(index.shape, sparse=True))
        grid[axis] = index
        return x.at[tuple(grid)].add(src[tuple(slice(n) for n in index.shape)])

    def pad(x, pad, mode, value):
        """F.pad: ``pad`` names the last axis first; a negative width crops."""
        widths = [(0, 0)] * x.ndim
        for i in range(len(pad) // 2):
            widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        x = x[tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape, widths))]
        kept = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        fill = {"constant_values": 0.0 if value is None else value} if mode == "constant" else {}
        return jnp.pad(x, kept, mode=modes[mode], **fill)

    @jax.custom_vjp
    def scaled_gradient(rows, scale):
        """``rows`` itself, its gradient times ``scale`` (how torch's embedding backward treats padding_idx and
        scale_grad_by_freq: a semantic of the layer, not arithmetic)."""
        return rows

    scaled_gradient.defvjp(lambda rows, scale: (rows, scale), lambda scale, g: (g * scale, jnp.zeros_like(scale)))

    def embedding(weight, indices, padding_idx, scale_grad_by_freq):
        rows = weight[indices]
        if padding_idx is None and not scale_grad_by_freq:
            return rows
        scale = jnp.ones(indices.shape, weight.dtype)
        if scale_grad_by_freq:  # each row's gradient divided by how often its index occurs in the batch
            scale = scale / jnp.bincount(indices.ravel(), length=weight.shape[0])[indices].astype(weight.dtype)
        if padding_idx is not None:  # the padding row gets no gradient
            scale = jnp.where(indices == padding_idx % weight.shape[0], 0.0, scale).astype(weight.dtype)
        return scaled_gradient(rows, scale[..., None])

    def one_hot(indices, num_classes):
        classes = int(indices.max()) + 1 if num_classes == -1 else num_classes  # -1: a shape from the values
        return (indices[..., None] == jnp.arange(classes)).astype(indices.dtype)

    def take_along_axis(x, indices, axis):
        """torch.gather: off ``axis`` the indices may be shorter than x (x's leading part is read); jnp's
        take_along_axis broadcasts the two instead, so x is cut to the indices' extent there first."""
        axis = axis % x.ndim
        cut = tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(indices.shape))
        return jnp.take_along_axis(x[cut], indices, axis=axis)

    return {
        "embedding": embedding,
        "one_hot": one_hot,
        "take_along_axis": take_along_axis,
        "index_select": lambda x, index, axis: jnp.take(x, index, axis=axis),
        "scatter_add": scatter_add,
        "index_add": lambda x, index, src, axis, alpha: x.at[(slice(None),) * (axis % x.ndim) + (index,)].add(
            alpha * src
        ),
        "pad": pad,
    }


def _linalg(jax) -> dict:
    """jax.numpy.linalg (LAPACK through XLA on the CPU) with the catalog's names: one entry per factor."""
    jnp, linalg = jax.numpy, jax.numpy.linalg
    return {
        "solve": linalg.solve,
        "inv": linalg.inv,
        "det": linalg.det,
        "slogdet_sign": lambda a: linalg.slogdet(a)[0],
        "slogdet_logabsdet": lambda a: linalg.slogdet(a)[1],
        "cholesky": linalg.cholesky,
        "einsum": lambda *arrays, subscripts: jnp.einsum(subscripts, *arrays),
        "tensordot": lambda a, b, axes: jnp.tensordot(a, b, axes),
        "matrix_norm": lambda x, ord: linalg.matrix_norm(x, ord=ord),
        "svdvals": linalg.svdvals,
        "svd_u": lambda a: linalg.svd(a, full_matrices=False)[0],
        "svd_vh": lambda a: linalg.svd(a, full_matrices=False)[2],
        "eigvalsh": linalg.eigvalsh,
        "eigh_vectors": lambda a: linalg.eigh(a)[1],
        "qr_q": lambda a: linalg.qr(a)[0],
        "qr_r": lambda a: linalg.qr(a)[1],
    }


def _reductions(jax) -> dict:
    """Reductions, scans and order statistics (#14): jax.numpy with torch's choices where they differ from NumPy's
    (one index per max_dim/min_dim/median, the lower median, stable sorts, NaN larger than every number)."""
    jnp = jax.numpy

    def along(x, index, axis, keepdims):
        """x at ``index`` (an index per slice along ``axis``, kept as a size-1 axis): the gradient goes there only."""
        out = jnp.take_along_axis(x, index, axis=axis)
        return out if keepdims else out.squeeze(axis)

    def extremum(arg):
        def select(x, axis, keepdims):
            if x.ndim == 0:
                return x
            return along(x, arg(x, axis=axis, keepdims=True), axis, keepdims)

        return select

    def median(x, axis, keepdims):
        if x.ndim == 0:
            return x
        order = jnp.argsort(x, axis=axis, stable=True)  # NaN last
        lower = jnp.take(order, (x.shape[axis] - 1) // 2, axis=axis)
        nan = jnp.isnan(x)
        index = jnp.where(nan.any(axis=axis), jnp.argmax(nan, axis=axis), lower)  # NaN propagates: the first NaN
        return along(x, jnp.expand_dims(index, axis), axis, keepdims)

    def topk_indices(x, k, axis, largest):
        return jnp.take(jnp.argsort(x, axis=axis, stable=True, descending=largest), jnp.arange(k), axis=axis)

    def scan(fn):
        return lambda x, axis: x if x.ndim == 0 else fn(x, axis=axis)

    def one_element_if_0d(fn):
        """torch's rule for a 0-d x: one element along the axis (0 or -1), the result 0-d (jnp refuses the axis)."""

        def run(x, *, axis, **params):
            return fn(x, axis=axis, **params) if x.ndim else fn(x.reshape(1), axis=0, **params).reshape(())

        return run

    return {
        "prod": lambda x, axis, keepdims: jnp.prod(x, axis=axis, keepdims=keepdims),
        "std": lambda x, axis, correction, keepdims: jnp.std(x, axis=axis, ddof=correction, keepdims=keepdims),
        "vector_norm": lambda x, ord, axis, keepdims: jnp.linalg.vector_norm(x, ord=ord, axis=axis, keepdims=keepdims),
        "nansum": lambda x, axis, keepdims: jnp.nansum(x, axis=axis, keepdims=keepdims),
        "nanmean": lambda x, axis, keepdims: jnp.nanmean(x, axis=axis, keepdims=keepdims),
        "cumsum": scan(jnp.cumsum),
        "cumprod": scan(jnp.cumprod),
        "max_dim": extremum(jnp.argmax),
        "min_dim": extremum(jnp.argmin),
        "median": median,
        "sort": lambda x, axis: x if x.ndim == 0 else jnp.sort(x, axis=axis, stable=True),
        "topk": one_element_if_0d(
            lambda x, k, axis, largest: jnp.take_along_axis(x, topk_indices(x, k, axis, largest), axis=axis)
        ),
        "topk_indices": one_element_if_0d(topk_indices),
        "argmax": one_element_if_0d(lambda x, axis, keepdims: jnp.argmax(x, axis=axis, keepdims=keepdims)),
        "argmin": one_element_if_0d(lambda x, axis, keepdims: jnp.argmin(x, axis=axis, keepdims=keepdims)),
        "argsort": one_element_if_0d(lambda x, axis: jnp.argsort(x, axis=axis, stable=True)),
    }


def _mathfuncs(jax) -> dict:
    """The math-function family and the activations added with it: jax.numpy and jax.nn, torch's parameters."""
    jnp, nn, lax = jax.numpy, jax.nn, jax.lax
    same = """sign floor ceil trunc round exp2 log2 log10 sinh cosh atan2 hypot fmod remainder floor_divide
        logaddexp""".split()
    arc = {"asin": jnp.arcsin, "acos": jnp.arccos, "atan": jnp.arctan, "asinh": jnp.arcsinh, "acosh": jnp.arccosh,
           "atanh": jnp.arctanh}  # fmt: skip
    return {
        **{name: getattr(jnp, name) for name in same},
        **arc,
        "rsqrt": lax.rsqrt,
        "xlogy": jax.scipy.special.xlogy,
        "clip": lambda x, min, max: jnp.clip(x, min, max),  # noqa: A006 - the catalog's names
        "where": jnp.where,
        "silu": nn.silu,
        "elu": lambda x, alpha: nn.elu(x, alpha),
        "selu": nn.selu,
        "hardtanh": lambda x, min_val, max_val: jnp.clip(x, min_val, max_val),
        "log_sigmoid": nn.log_sigmoid,
        "mish": nn.mish,
        "gelu_tanh": lambda x: nn.gelu(x, approximate=True),
    }


def _losses(jax) -> dict:
    """torch.nn.functional's losses: class weights, ignore_index, label smoothing eps/C, 'mean' over weights."""
    jnp, nn = jax.numpy, jax.nn

    def reduce(loss, reduction):
        return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss

    def by_class(logp, target, weight, ignore_index, reduction, smoothing):
        """Loss per row for class indices: -(1 - eps) w[t] logp[t] - eps/C sum_c w[c] logp[c]."""
        axis = 1 if logp.ndim >= 2 else 0
        classes = logp.shape[axis]
        w = jnp.ones(classes, logp.dtype) if weight is None else weight
        keep = target != ignore_index
        safe = jnp.where(keep, target, 0)
        w_t = jnp.where(keep, w[safe], 0.0)
        picked = jnp.take_along_axis(logp, jnp.expand_dims(safe, axis), axis=axis).squeeze(axis)
        loss = -w_t * picked
        if smoothing:
            spread = jnp.sum(logp * w.reshape(-1, *([1] * (logp.ndim - axis - 1))), axis=axis)
            loss = (1.0 - smoothing) * loss - smoothing / classes * spread
        # an ignored row is left out (where), not multiplied by a zero weight: its gradient is then exactly 0,
        # where 0 * (g / 0) would be NaN when every row is ignored (the mean is 0 / 0)
        loss = jnp.where(keep, loss, 0.0)
        return loss.sum() / w_t.sum() if reduction == "mean" else reduce(loss, reduction)

    def cross_entropy(input, target, weight=None, *, ignore_index, reduction, label_smoothing):
        axis = 1 if input.ndim >= 2 else 0
        logp = nn.log_softmax(input, axis=axis)
        if jnp.issubdtype(target.dtype, jnp.integer):
            return by_class(logp, target, weight, ignore_index, reduction, label_smoothing)
        classes = input.shape[axis]
        coeff = target * (1.0 - label_smoothing) + label_smoothing / classes
        if weight is not None:
            coeff = coeff * weight.reshape(-1, *([1] * (input.ndim - axis - 1)))
        return reduce(-jnp.sum(coeff * logp, axis=axis), reduction)

    def nll_loss(input, target, weight=None, *, ignore_index, reduction):
        return by_class(input, target, weight, ignore_index, reduction, 0.0)

    def huber_loss(input, target, reduction, delta):
        d = input - target
        size = jnp.abs(d)
        return reduce(jnp.where(size <= delta, 0.5 * d * d, delta * (size - 0.5 * delta)), reduction)

    def bce_with_logits(input, target, weight=None, pos_weight=None, *, reduction):
        pw = 1.0 if pos_weight is None else pos_weight
        positive, negative = pw * target, 1.0 - target
        # the loss's definition: a term with a zero coefficient is absent (not 0 * softplus(+-inf) = NaN)
        loss = jnp.where(positive == 0, 0.0, positive * nn.softplus(-input)) + jnp.where(
            negative == 0, 0.0, negative * nn.softplus(input)
        )
        return reduce(loss if weight is None else loss * weight, reduction)

    def smooth_l1_loss(input, target, reduction, beta):
        z = jnp.abs(input - target)
        return reduce(z if beta == 0 else jnp.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta), reduction)

    def kl_div(input, target, reduction, log_target):
        if log_target:
            per = jnp.exp(target) * (target - input)
        else:
            per = jax.scipy.special.xlogy(target, target) - target * input  # xlogy(0, 0) = 0, as torch
        if reduction in ("none", "sum"):
            return reduce(per, reduction)
        return per.sum() / (per.size if reduction == "mean" else per.shape[0] if per.ndim else 1)

    def binary_cross_entropy(input, target, weight=None, *, reduction):
        # torch's: both logs clamped at -100, so a certain wrong answer costs 100
        loss = (target - 1.0) * jnp.maximum(jnp.log1p(-input), -100.0) - target * jnp.maximum(jnp.log(input), -100.0)
        return reduce(loss if weight is None else loss * weight, reduction)

    return {
        "l1_loss": lambda input, target, reduction: reduce(jnp.abs(input - target), reduction),
        "smooth_l1_loss": smooth_l1_loss,
        "kl_div": kl_div,
        "binary_cross_entropy": binary_cross_entropy,
        "mse_loss": lambda input, target, reduction: reduce((input - target) ** 2, reduction),
        "huber_loss": huber_loss,
        "cross_entropy": cross_entropy,
        "cross_entropy_probs": cross_entropy,
        "nll_loss": nll_loss,
        "binary_cross_entropy_with_logits": bce_with_logits,
    }


# ---------------------------------------------------------------- optimizers (torch.optim's update rules)
def _update_rules(jnp) -> dict:
    """``rule(param, grad, state, *step_scalars, **hyper) -> (param, state)``, in torch's single-tensor order of
    operations; ``state`` is a dict ({} before the first step), never modified in place."""

    def sgd(p, g, old, lr, *, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0, maximize=False):
        g = -g if maximize else g  # torch negates the gradient before anything else
        d = g + weight_decay * p if weight_decay else g
        if not momentum:
            return p - lr * d, old
        buf = old.get("momentum_buffer")
        buf = d if buf is None else momentum * buf + (1.0 - dampening) * d  # the first step copies d
        return p - lr * (d + momentum * buf if nesterov else buf), {"momentum_buffer": buf}

    def adam(p, g, old, lr, bias1, bias2_sqrt, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             maximize=False, decoupled=False):  # fmt: skip
        g = -g if maximize else g
        if weight_decay and decoupled:
            p = p * (1.0 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        m = old.get("exp_avg", jnp.zeros_like(p))
        m = m + (1.0 - betas[0]) * (g - m)  # torch: exp_avg.lerp_(grad, 1 - beta1)
        v = old.get("exp_avg_sq", jnp.zeros_like(p)) * betas[1] + (1.0 - betas[1]) * g * g
        new = {"exp_avg": m, "exp_avg_sq": v}
        if amsgrad:  # the maximum of the raw second moment, bias-corrected afterwards
            v = new["max_exp_avg_sq"] = jnp.maximum(old.get("max_exp_avg_sq", jnp.zeros_like(p)), v)
        return p - (lr / bias1) * m / (jnp.sqrt(v) / bias2_sqrt + eps), new

    def rmsprop(p, g, old, lr, *, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                maximize=False):  # fmt: skip
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        new = {"square_avg": old.get("square_avg", jnp.zeros_like(p)) * alpha + (1.0 - alpha) * g * g}
        spread = new["square_avg"]
        if centered:
            new["grad_avg"] = old.get("grad_avg", jnp.zeros_like(p)) * alpha + (1.0 - alpha) * g
            spread = spread - new["grad_avg"] * new["grad_avg"]
        avg = jnp.sqrt(spread) + eps
        if momentum > 0:
            new["momentum_buffer"] = old.get("momentum_buffer", jnp.zeros_like(p)) * momentum + g / avg
            return p - lr * new["momentum_buffer"], new
        return p - lr * g / avg, new

    def adagrad(p, g, old, clr, *, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                maximize=False):  # fmt: skip
        g = -g if maximize else g
        if weight_decay:
            g = g + weight_decay * p
        total = old.get("sum", jnp.full_like(p, initial_accumulator_value)) + g * g
        return p - clr * (g / (jnp.sqrt(total) + eps)), {"sum": total}

    return {"sgd": sgd, "adam": adam, "adamw": functools.partial(adam, decoupled=True, weight_decay=1e-2),
            "rmsprop": rmsprop, "adagrad": adagrad}  # fmt: skip


def _check_hyper(hyper: dict) -> None:
    """torch.optim's argument checks: ValueError/TypeError naming the hyperparameter."""
    for key in ("momentum", "dampening", "weight_decay", "eps", "alpha"):
        value = hyper.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{key} must be a real number, got {type(value).__name__}")
        if key != "dampening" and value < 0:
            raise ValueError(f"{key} must be >= 0, got {value}")
    for key in ("nesterov", "amsgrad", "centered", "maximize"):
        if not isinstance(hyper.get(key, False), bool):
            raise TypeError(f"{key} must be a bool, got {type(hyper[key]).__name__}")
    if hyper.get("nesterov") and (hyper.get("momentum", 0.0) <= 0 or hyper.get("dampening", 0.0) != 0):
        raise ValueError("nesterov momentum requires momentum > 0 and dampening = 0")
    betas = hyper.get("betas", (0.9, 0.999))
    if not (isinstance(betas, tuple) and len(betas) == 2 and all(0.0 <= b < 1.0 for b in betas)):
        raise ValueError(f"betas must be a pair of floats in [0, 1), got {betas!r}")


def _step_scalars(name: str, hyper: dict, lr: float, step: int) -> tuple[float, ...]:
    """The per-step Python floats an update takes (torch computes Adam's bias corrections as Python floats)."""
    if name in ("adam", "adamw"):
        beta1, beta2 = hyper.get("betas", (0.9, 0.999))
        return lr, 1.0 - beta1**step, (1.0 - beta2**step) ** 0.5
    if name == "adagrad":  # torch's decayed rate, a Python float: lr / (1 + (k - 1) lr_decay)
        return (lr / (1.0 + (step - 1) * hyper.get("lr_decay", 0.0)),)
    return (lr,)


class JaxOptimizer:
    """torch.optim's update rules applied to jax arrays; ``.params`` holds the current values.

    Written out rather than taken from optax, whose rules are not torch.optim's (optax 0.2.8): its amsgrad keeps
    the maximum of the bias-corrected second moment, its RMSprop applies the learning rate before the momentum
    trace (so trajectories split when the learning rate changes), puts eps inside the square root by default and
    decays by 0.9, and its SGD has no dampening.  Those are design choices of another library, not JAX's
    arithmetic, which is what the trajectory and training checks measure here; and the `jax` extra stays
    jax and jaxlib alone."""

    def __init__(self, backend, name: str, params: dict, lr: float, hyper: dict):
        if name not in backend.update_rules:
            raise ValueError(f"name must be one of {', '.join(backend.update_rules)}, got {name!r}")
        _check_hyper(hyper)
        self.update = backend.compiled_update(name, hyper)
        self.name, self.lr, self.hyper, self.steps = name, lr, hyper, 0
        self.params = dict(params)
        self.state = {key: {} for key in params}

    def step(self, grads: dict) -> None:
        for key, grad in grads.items():
            if tuple(grad.shape) != tuple(self.params[key].shape):
                raise ValueError(f"grads[{key!r}] has shape {tuple(grad.shape)}, the parameter "
                                 f"{tuple(self.params[key].shape)}")  # fmt: skip
        self.steps += 1
        scalars = _step_scalars(self.name, self.hyper, self.lr, self.steps)
        for key, grad in grads.items():
            self.params[key], self.state[key] = self.update(self.params[key], grad, self.state[key], *scalars)


# ---------------------------------------------------------------- declarations
# Found by the suite with jax 0.10.2 on the CPU (AMD EPYC, AVX2), eager and jitted alike unless scoped.  Each states
# by hand what JAX gives at the special value; "since" is the version they were observed with.
SINCE = version("jax", ">=0.10.2")
FLUSHES = fact_is("jax.flushes_subnormals", True)
EAGER_DECLARATIONS = (
    Divergence(
        "abs",
        "jax.lax's abs JVP is select(x >= 0, g, -g), so |x|'(+0) = |x|'(-0) = +1 (-0.0 >= 0 holds); "
        "torch and the reference take the subgradient sign(0) = 0",
        check="special",
        variant="kink",
        returns=[0.0, 0.0, 2.0, 2.0],
        grads=([1.0, 1.0, 1.0, -1.0],),
    ),
    Divergence(
        "leaky_relu",
        "jax.nn.leaky_relu is where(x >= 0, x, slope * x), so its derivative at 0 is the right slope 1; "
        "torch and the reference take the left slope",
        check="special",
        variant="kink",
        returns=[0.0, -0.02, 2.0],
        grads=([1.0, 0.01, 1.0],),
    ),
    Divergence(
        "gelu",
        "jax.nn.gelu(approximate=False) evaluates x * 0.5 * erfc(-x / sqrt 2) literally: -inf * 0 = NaN at -inf "
        "(the limit is 0), as torch does",
        check="special",
        variant="minus-inf",
        returns=[NAN],
    ),
    Divergence(
        "pow",
        "JAX's d(x**y)/dx is y * x**(y - 1) for a float exponent (its y == 0 guard is for integer exponents "
        "only): 0 * 0**-1 = NaN at x = y = 0, where torch and the reference give 0; d/dy is 0 at x = 0 as theirs",
        check="special",
        variant="zero-base-grad",
        returns=[1.0, 0.0, 8.0],
        grads=([NAN, 0.0, 12.0], [0.0, 0.0, 8.0 * math.log(2.0)]),
    ),
    Divergence(
        "sum",
        "jnp.sum reduces from +0.0 (XLA's reduce with init 0), so the sum of negative zeros is +0.0; "
        "IEEE 754 gives -0.0 (np.sum and torch.sum do the same as JAX)",
        check="special",
        variant="signed-zero",
        returns=0.0,
    ),
    Divergence(
        "abs",
        "jax.lax's abs JVP is select(x >= 0, g, -g): at NaN the comparison is false, so |x|'(NaN) = -1 where the "
        "reference propagates NaN (torch gives 0)",
        check="special",
        variant="nan-grad",
        when=(SINCE,),
        returns=[NAN, 2.0],
        grads=([-1.0, -1.0],),
    ),
    Divergence(
        "abs",
        "abs'(+-0) = +1 and abs'(NaN) = -1 (see the kink and nan-grad special values)",
        check="branches",
        when=(SINCE,),
    ),
    Divergence(
        "leaky_relu",
        "leaky_relu'(+-0) is the right slope 1 (see the kink special value)",
        check="branches",
        when=(SINCE,),
    ),
    Divergence("gelu", "gelu(-inf) is NaN (see the minus-inf special value)", check="branches", when=(SINCE,)),
    Divergence(
        "pow",
        "JAX's d(x**y)/dx is y * x**(y - 1) whatever y (no y == 0 case for a float exponent): NaN**0 has x-gradient "
        "0 * NaN = NaN where the reference (and torch) give 0; the y-gradients agree",
        check="special",
        variant="nan-grad",
        when=(SINCE,),
        returns=[1.0, 1.0, 2.0],
        grads=([NAN, NAN, 5.0], [NAN, 0.0, 10.0 * math.log(2.0)]),
    ),
    Divergence(
        "pow",
        "d(x**y)/dx is NaN at 0**0 and NaN**0 (see the zero-base-grad and nan-grad special values), in every dtype",
        check="branches",
        when=(SINCE,),
    ),
    *(
        Divergence(
            name,
            f"jnp.{name}'s JVP passes nothing to either input where a NaN makes every comparison false (see the "
            "nan-inf-grad special value): at the branch points with a NaN both gradients are 0, not g",
            check="branches",
            when=(SINCE,),
        )
        for name in ("maximum", "minimum")
    ),
    Divergence(
        "maximum",
        "jnp.maximum's JVP sends g where x > y, g / 2 where x == y and nothing else: where a NaN makes every "
        "comparison false both inputs get 0; the reference (and torch) pass g to both",
        check="special",
        variant="nan-inf-grad",
        when=(SINCE,),
        returns=[NAN, NAN, INF, -INF],
        grads=([0.0, 0.0, 5.0, 3.5], [0.0, 0.0, 0.0, 3.5]),
    ),
    Divergence(
        "minimum",
        "jnp.minimum's JVP sends g where x < y, g / 2 where x == y and nothing else: where a NaN makes every "
        "comparison false both inputs get 0; the reference (and torch) pass g to both",
        check="special",
        variant="nan-inf-grad",
        when=(SINCE,),
        returns=[NAN, NAN, 2.0, -INF],
        grads=([0.0, 0.0, 0.0, 3.5], [0.0, 0.0, 5.0, 3.5]),
    ),
    Divergence(
        "max_pool2d",
        "lax.reduce_window pads with its -inf init value and the padding takes part in the max: where a window "
        "holds only -inf, its gradient goes to the first -inf in window order, a padding element for all but the "
        "window that starts inside, so each input element gets 1; torch and the reference never select padding",
        check="special",
        variant="minus-inf-window-at-padding",
        when=(SINCE,),
        returns=[[[[-INF, -INF, -INF], [-INF, -INF, -INF], [-INF, -INF, -INF]]]],
        grads=([[[[1.0, 1.0], [1.0, 1.0]]]],),
    ),
    Divergence(
        "max_pool2d",
        "reduce_window max's VJP (select_and_scatter_add with a >= select) passes over NaN (NaN >= m is false): "
        "the window's gradient goes to its largest non-NaN element, 2.0, while the output is NaN; torch and the "
        "reference give it to the last NaN",
        check="special",
        variant="two-nans",
        when=(SINCE,),
        returns=[[[[NAN]]]],
        grads=([[[[0.0, 0.0], [0.0, 1.0]]]],),
    ),
    Divergence(
        "mul",
        "XLA's CPU runtime flushes subnormals to zero (FTZ and DAZ; JAX's design on the CPU: jax-ml/jax#16200, "
        "#4042, the sharp bits): bfloat16 subnormals are float32 subnormals, so 2**-130 is 0",
        check="special",
        variant="bfloat16-subnormal",
        dtype="bfloat16",
        when=(FLUSHES,),
        returns=[0.0, 0.0],
    ),
    Divergence(
        "log",
        "XLA's CPU runtime flushes subnormals to zero (see mul): log of a subnormal input is log(0) = -inf, where "
        "the reference gives e.g. -744.44 for 5e-324 (hypothesis draws the domain's lower bound, the smallest "
        "subnormal)",
        check="property",
        dtype=("float32", "float64"),
        when=(FLUSHES,),
    ),
    *(
        Divergence(
            name,
            f"XLA's CPU runtime flushes subnormals to zero (see mul): {name} of a subnormal input is {name}(0) = "
            f"{value}, where the reference gives {example} (hypothesis draws the domain's lower bound, the smallest "
            "subnormal)",
            check="property",
            dtype=("float32", "float64"),
            when=(FLUSHES,),
        )
        for name, value, example in (
            ("log2", "-inf", "-1074 for 5e-324"),
            ("log10", "-inf", "-323.3 for 5e-324"),
            ("rsqrt", "inf", "2.67e22 for the float32 subnormal 1.4e-45"),
            ("xlogy", "-inf (x log 0, for x > 0)", "-744.44 for y = 5e-324"),
        )
    ),
    Divergence(
        "pow",
        "with subnormals flushed (see mul), jnp.power at any subnormal base x gives what it gives at half the "
        "smallest subnormal, 2**-150 in float32 (e.g. x = 2**-149, y = -0.5: 2**75 = 3.78e22 for 2**74.5 = "
        "2.67e22, 4.9e6 ULP; y = 1: 0); normal bases are within 0.5 ULP of the exact power (measured on 200,000 "
        "float32 pairs), so not exp(y log x). Drawn by the ci profile; the dev profile may not draw such a base",
        check="property",
        dtype="float32",
        when=(FLUSHES,),
    ),
    Divergence(
        "sign",
        "with subnormals flushed (see mul), sign(+-5e-324) is sign(+-0) = +-0, not +-1",
        check="special",
        variant="subnormal",
        when=(FLUSHES,),
        returns=[0.0, -0.0],
    ),
    *(
        Divergence(
            "exp2",
            f"lax.exp2 lowers to exp(log(2) x) with log(2) a constant of x's type and the product rounded to it "
            f"(jax 0.10.2, jax/_src/lax/lax.py _exp2_lower): in {dtype} exp2(10) = {ten:g} and exp2(-3) = {minus3:g}, "
            "where the reference (and torch) give 1024 and 0.125",
            check="special",
            variant="ieee",
            dtype=dtype,
            when=(SINCE,),
            returns=[0.0, INF, NAN, 1.0, ten, minus3, INF, 0.0],
        )
        for dtype, ten, minus3 in (("float16", 1026.0, 0.12493896484375), ("bfloat16", 1000.0, 0.125))
    ),
    *(
        Divergence(
            "exp2",
            f"lax.exp2 is exp(log(2) x) with the product rounded to {dtype} (see the ieee special value): on the "
            f"generated inputs {example}",
            check="property",
            dtype=dtype,
            when=(SINCE,),
        )
        for dtype, example in (
            ("float16", "4.76171875 where the reference gives 4.7568 (1 ULP, past torch's rtol of 1e-3)"),
            ("bfloat16", "74.5 where the reference gives 76.11 (3 ULP)"),
        )
    ),
    Unsupported(
        "max_pool2d",
        "JAX has no VJP for max pooling with window dilation (lax.reduce_window's select_and_gather_add "
        "transpose raises NotImplementedError)",
        check="vjp",
        variant="1x2x9x8-kernel_size=(2,3),stride=(1,2),dilation=2",
    ),
)


def _at(entry, label, reason, returns, grads=None, **scope) -> Divergence:
    """What JAX gives at one of the catalog's special values (measured with jax 0.10.2 on the CPU, eager)."""
    return Divergence(entry, reason, check="special", variant=label, when=(SINCE,), returns=returns, grads=grads,
                      **scope)  # fmt: skip


ABS_JVP = "jnp.abs's JVP is select(x >= 0, g, -g): |d|'(0) = +1 and |d|'(NaN) = -1, where the reference takes sign(d)"
UNTAKEN_BRANCH = ("the gradient of jnp.where flows through both branches, masked by a multiplication: the untaken "
                  "branch's infinite or NaN derivative times 0 is NaN")  # fmt: skip
LITERAL = "{formula} evaluated literally: -inf * 0 = NaN at -inf (the limit is 0), and its derivative NaN at +-inf"
CLIP_TIES = ("jnp.clip is minimum(maximum(x, lo), hi), whose JVPs split g evenly at a tie: x at a bound gets g / 2 "
             "(the reference passes g, torch's clamp too) and NaN (every comparison false) gets 0")  # fmt: skip
# Found by the suite's special values for the entries mapped in #19's third session (float64, eager; the values
# were measured, the reasons read from jax/_src: lax.py's JVP rules, nn/functions.py, numpy/ufuncs.py)
MAPPED_LATER_DECLARATIONS = (
    _at("l1_loss", "kink", ABS_JVP, [0.0, 2.0, 1.0], ([1.0, 1.0, -1.0],)),
    _at("l1_loss", "nan-grad", ABS_JVP, [NAN, 2.0], ([-1.0, 1.0],)),
    _at("smooth_l1_loss", "beta-zero-is-l1", ABS_JVP, [1.0, 2.0, 0.0], ([1.0, -1.0, 1.0],)),
    _at("smooth_l1_loss", "beta-zero-nan", ABS_JVP, [NAN, 1.0], ([-1.0, 1.0],)),
    _at("smooth_l1_loss", "infinite", UNTAKEN_BRANCH + " (0.5 z**2 / beta at z = inf)", [INF, INF], ([NAN, NAN],)),
    _at("clip", "bounds-grad", CLIP_TIES, [-1.0, 1.5, 0.5, NAN, 1.5, -1.0], ([0.5, 0.5, 1.0, 0.0, 0.0, 0.0],)),
    _at(
        "hardtanh",
        "bounds-grad",
        CLIP_TIES + " (the reference: 0 at the bounds, torch's hardtanh_backward)",
        [-1.0, 1.0, 0.5, NAN, 1.0],
        ([0.5, 0.5, 1.0, 0.0, 0.0],),
    ),  # fmt: skip
    _at("hardtanh", "nan-grad-long", CLIP_TIES, [NAN] * 8, ([0.0] * 8,)),
    *(
        _at(
            name,
            label,
            f"jax.nn.{name} is where(x > 0, x, ... expm1(where(x > 0, 0, x))): at NaN the comparison is "
            "false and the negative branch's derivative exp(NaN) is NaN; the reference (torch's kernel) takes slope "
            f"{slope:g} there",
            returns,
            grads,
        )  # fmt: skip
        for name, slope, label, returns, grads in (
            (
                "elu",
                1.0,
                "kink",
                [0.0, -0.0, NAN, -0.31606027941427883, 2.0],
                ([0.5, 0.5, NAN, 0.18393972058572117, 1.0],),
            ),
            ("elu", 1.0, "nan-grad-long", [NAN] * 8, ([NAN] * 8,)),
            (
                "selu",
                1.0507009873554805,
                "kink",
                [0.0, NAN, 1.0507009873554805],
                ([1.7580993408473766, NAN, 1.0507009873554805],),
            ),
            ("selu", 1.0507009873554805, "nan-grad-long", [NAN] * 8, ([NAN] * 8,)),
        )  # fmt: skip
    ),
    _at("silu", "infinite", LITERAL.format(formula="jax.nn.silu, x * sigmoid(x),"), [NAN, INF], ([NAN, NAN],)),
    _at(
        "mish", "infinite", LITERAL.format(formula="jax.nn.mish, x * tanh(softplus(x)),"), [NAN, INF], ([NAN, NAN],)
    ),  # fmt: skip
    _at(
        "gelu_tanh",
        "infinite",
        LITERAL.format(formula="jax.nn.gelu(approximate=True), 0.5 x (1 + tanh(...)),"),
        [NAN, INF],
        ([NAN, NAN],),
    ),  # fmt: skip
    _at(
        "atan2",
        "origin-grad",
        "atan2's JVP is (x dy - y dx) / (x**2 + y**2) unmasked: 0 / 0 = NaN at the origin, "
        "where the reference (and torch) give 0",
        [0.0, -0.0, 1.5707963267948966, 0.0],
        ([NAN, NAN, 0.0, 0.5], [NAN, NAN, -1.0, -0.0]),
    ),  # fmt: skip
    _at(
        "atan2",
        "tiny-grad",
        "atan2's JVP divides by x**2 + y**2 computed unscaled, which underflows to 0 below "
        "~1e-162: inf (or 0 / 0 = NaN) where the derivative is 1e200",
        [0.0, 0.7853981633974483, 0.6435011087932844],
        ([INF, INF, INF], [NAN, -INF, -INF]),
    ),  # fmt: skip
    _at(
        "hypot",
        "origin-grad",
        "jnp.hypot's gradient at the origin is 0.5 for each input (measured; cause not "
        "traced), where the reference states NaN (x / hypot = 0 / 0)",
        [0.0, 5.0, 5.0],
        ([0.5, 0.6000000000000001, -0.6000000000000001], [0.5, 0.7999999999999999, 0.7999999999999999]),
    ),  # fmt: skip
    *(
        _at(
            name,
            "quotient-overflow",
            f"jnp.{name} on the CPU is NaN where x / y overflows to inf (1 / 1e-323), "
            "exact where it does not (1e300 / 1e-10)",
            [5.476641984772742e-11] * 4 + [NAN] * 4,
            dtype="float64",
        )
        for name in ("fmod", "remainder")
    ),
    _at(
        "remainder",
        "signed-zero",
        "jnp.remainder's zero keeps the sign of x (-0.0 % 3 = -0.0, 0.0 % -3 = 0.0), "
        "as torch's; NumPy and Python give a zero the sign of y",
        [-0.0, 0.0, -0.0, 0.0],
    ),  # fmt: skip
    _at(
        "floor_divide",
        "ieee",
        "jnp.floor_divide(-0.0, 3) is +0.0 (measured), where IEEE 754's floor(-0.0 / 3) and Python give -0.0",
        [-2.0, -2.0, 0.0, -0.0, INF, -INF, NAN, 0.0, -1.0, NAN],
    ),
    *(
        _at(
            "logaddexp",
            "grad",
            "jnp.logaddexp's gradient is exp(x - out) with out = logaddexp(x, y) rounded to the working type, so at "
            "x = y = 1000 each softmax weight is off 0.5 by the rounding of out: 0.5000000000000275 (float64), "
            "0.4999854564666748 (float32), 0.6064453125 (float16), 1.0 (bfloat16, where out rounds to 1000 and the "
            "two weights sum to 2), where the reference gives 0.5; and its y-gradient at (inf, 1) is e (its "
            "amax-shifted form meets inf - inf there), where the limit is 0 (measured, both variants)",
            [0.6931471805599453, 1000.6931471805599, 0.0, -INF, INF],
            ([0.5, weight, 0.0, NAN, 1.0], [0.5, weight, 1.0, NAN, e]),
            dtype=(dtype,),
        )
        for dtype, weight, e in (
            ("float64", 0.5000000000000275, 2.7182818284590455),
            ("float32", 0.4999854564666748, 2.7182817459106445),
            ("float16", 0.6064453125, 2.71875),
            ("bfloat16", 1.0, 2.71875),
        )
    ),
    _at(
        "xlogy",
        "zero-grad",
        "jax.scipy.special.xlogy's x-derivative is log(y) unguarded: -inf at (0, 0) and NaN "
        "at (0, -1), where the reference (torch) gives 0; its y-derivative is x / y = 0 / 0 = NaN at (0, 0), as the "
        "reference's",
        [0.0, 0.0, 0.0, 2.1972245773362196],
        ([-INF, NAN, 0.6931471805599453, 1.0986122886681098], [NAN, -0.0, 0.0, 0.6666666666666666]),
    ),
    _at(
        "std",
        "constant",
        "jnp.std's gradient is that of sqrt at 0: g / (2 * 0) * 0 = NaN for a constant slice, "
        "where the reference (torch) masks it to 0",
        0.0,
        ([NAN, NAN, NAN],),
    ),  # fmt: skip
    _at(
        "vector_norm",
        "zero-vector-1",
        ABS_JVP + " (ord 1: the gradient of a zero vector is 1, not 0)",
        0.0,
        ([1.0, 1.0, 1.0],),
    ),  # fmt: skip
    _at("vector_norm", "nan-grad-1", ABS_JVP + " (ord 1)", NAN, ([1.0, -1.0, -1.0],)),
    _at(
        "vector_norm",
        "zero-vector-2",
        "jnp.linalg.vector_norm(ord=2) is sqrt(sum(x x)) unmasked: x / 0 = NaN "
        "for a zero vector, where the reference (torch) gives 0",
        0.0,
        ([NAN, NAN, NAN],),
    ),  # fmt: skip
    _at(
        "vector_norm",
        "zero-vector-inf",
        "ord=inf is max(abs(x)), whose gradient at a zero vector is 1/6 per "
        "element (measured: max's VJP splits g among the tied zeros, abs'(0) = +1), where the reference gives 0",
        0.0,
        ([0.16666666666666666] * 3,),
    ),  # fmt: skip
    _at(
        "vector_norm",
        "nan-grad-inf",
        "ord=inf is max(abs(x)): with a NaN maximum, max's VJP g * (x == max) / "
        "count is 0 * (g / 0) = NaN everywhere, where the reference gives NaN only at the NaN",
        NAN,
        ([NAN, NAN, NAN],),
    ),  # fmt: skip
    _at(
        "vector_norm",
        "overflow",
        "jnp.linalg.vector_norm(ord=2) is sqrt(sum(x x)) unscaled: x**2 overflows from "
        "|x| ~ 1.3e154 in float64, so the norm of (3e200, -4e200) is inf, not 5e200",
        INF,
        dtype="float64",
    ),
    _at(
        "nanmean",
        "all-nan",
        "jnp.nanmean replaces NaNs by 0 before summing, so an all-NaN slice's gradient is "
        "0 (measured), where the reference gives NaN (g / 0 count)",
        [NAN, 2.0],
        ([[0.0, 0.0], [0.5, 0.5]],),
    ),  # fmt: skip
    _at(
        "cumsum",
        "signed-zero",
        "jnp.cumsum's running sum starts from +0.0 (XLA's reduce-window with init 0), "
        "so -0.0 + -0.0 gives +0.0; IEEE 754 and np.cumsum give -0.0 (torch on the CPU as JAX)",
        [0.0, 0.0],
    ),
    _at(
        "binary_cross_entropy",
        "log-clamp",
        "JAX differentiates the clamped loss itself: max(log(0), -100) has "
        "the derivative of log at 0 times the mask, inf * 0 = NaN; torch's (and the reference's) backward ignores "
        "the clamp, (x - t) / max(x (1 - x), 1e-12) = -1e12",
        [100.0, 100.0, 0.0, -0.0],
        ([NAN, NAN, NAN, NAN],),
    ),
    _at(
        "solve",
        "nan",
        "JAX's LU (LAPACK getrf through XLA) leaves the unpivoted row of a NaN matrix finite, "
        "(NaN, 1) as NumPy, where the reference makes a NaN matrix's solution all NaN",
        [NAN, 1.0],
    ),
    _at("inv", "nan", "as solve's nan: the row without the NaN stays finite", [[NAN, NAN], [0.0, 1.0]]),
    _at(
        "matrix_norm",
        "diagonal-1",
        "ord=1 is the max of abs column sums: abs'(0) = +1 sends g to the zero in "
        "the largest column, where the reference's subgradient sign(0) gives 0",
        4.0,
        ([[0.0, 1.0], [0.0, -1.0]],),
    ),  # fmt: skip
    _at(
        "matrix_norm",
        "diagonal-inf",
        "ord=inf is the max of abs row sums: abs'(0) = +1 (see diagonal-1)",
        4.0,
        ([[0.0, 0.0], [1.0, -1.0]],),
    ),  # fmt: skip
    *(
        Divergence(name, reason, check="branches", when=(SINCE,))
        for name, reason in (
            ("rsqrt", "rsqrt'(-0.0) is +inf in JAX, -inf in the reference (measured at the branch points)"),
            ("atan2", "atan2's gradient at the origin is NaN (see the origin-grad special value)"),
            (
                "hypot",
                "hypot's gradient is NaN at 12 branch points where the reference gives 0 (measured: an "
                "infinite input against a finite or zero one), and 0.5 at the origin",
            ),
            (
                "remainder",
                "remainder's y-gradient -floor(x / y) g is -inf at 4 branch points (an infinite quotient) "
                "where the reference gives NaN (measured)",
            ),
            (
                "logaddexp",
                "logaddexp's x-gradient is finite (-0.018) at a branch point where the reference gives "
                "NaN, and e at (inf, 1) (see the grad special value)",
            ),
            ("xlogy", "xlogy's x-gradient is log(y) unguarded at x = 0 (see the zero-grad special value)"),
            ("silu", "silu(-inf) is NaN (see the infinite special value)"),
            ("mish", "mish(-inf) is NaN (see the infinite special value)"),
            ("gelu_tanh", "gelu_tanh(-inf) is NaN (see the infinite special value)"),
            ("elu", "elu'(NaN) is NaN (see the kink special value)"),
            ("selu", "selu'(NaN) is NaN (see the kink special value)"),
            ("hardtanh", "hardtanh's gradient is g / 2 at the bounds and 0 at NaN (see the bounds-grad special value)"),
            ("clip", "clip's gradient is g / 2 at the bounds and 0 at NaN (see the bounds-grad special value)"),
        )
    ),
    _at(
        "matrix_norm",
        "zero-fro",
        "the Frobenius norm is sqrt(sum(x x)) unmasked: x / 0 = NaN for a zero matrix, "
        "where the reference (torch) gives 0",
        0.0,
        ([[NAN, NAN], [NAN, NAN]],),
    ),  # fmt: skip
)


# Integer true division (measured with jax 0.10.2 on this CPU; both variants)
MAPPED_LATER_DECLARATIONS += (
    Divergence(
        "int_true_divide",
        "jnp.true_divide promotes int32 (and bool) to float32, an integer type's inexact type of its own width "
        "(int64 to float64), where NumPy gives float64: the result's dtype differs, and float32 rounds past 2**24",
        dtype=("int32",),
        when=(SINCE,),
    ),
    Divergence(
        "int_true_divide",
        "XLA's CPU backend divides by a broadcast divisor as a product with its reciprocal, so the quotient is not "
        "correctly rounded: -2147483647 / 3 with the divisor broadcast from (3, 1) is -715827882.3333333, the "
        "correctly rounded -715827882.3333334 (1 ULP; unbroadcast, jnp divides exactly)",
        variant=1,
        dtype=("int64",),
        when=(SINCE,),
    ),
)


# Library functions that compute a half type primitive by primitive (measured with jax 0.10.2 on this CPU, both
# variants): each XLA op rounds to float16, where torch computes in float32 and rounds once
HALF_BY_PRIMITIVE = "{fn} evaluates {formula} in float16 with each primitive rounded to float16 ({measured})"


def _half_by_primitive(entry, fn, formula, measured, **scope) -> Divergence:
    """A float16 divergence of a JAX library function that rounds primitive by primitive (both variants)."""
    return Divergence(entry, HALF_BY_PRIMITIVE.format(fn=fn, formula=formula, measured=measured),
                      dtype=("float16",), when=(SINCE,), **scope)  # fmt: skip


SELU = ("jax.nn.selu", "scale * where(x > 0, x, alpha * expm1(x))")
MAPPED_LATER_DECLARATIONS += (
    _half_by_primitive(
        "logaddexp",
        "jnp.logaddexp",
        "max + log1p(exp(-|x - y|))",
        "2.41x the allowance at one element of the broadcast case: -0.033203125 for -0.0330994, 3 ULP",
        check="forward",
        variant=1,
    ),
    _half_by_primitive(
        "selu",
        *SELU,
        "1.04x the allowance at one element: -1.21484375 for -1.2161184, 1 ULP off the correctly rounded value",
        check="forward",
        variant=2,
    ),
)


# Overflow, and integer division by zero (measured with jax 0.10.2 on this CPU, both variants)
MAPPED_LATER_DECLARATIONS += (
    _at(
        "vector_norm",
        "float16-overflow",
        "jnp.linalg.vector_norm(ord=2) squares in the data's type: 300**2 overflows float16 (65504), so the norm of "
        "(300, -400) is inf and its gradient NaN (inf / inf in the VJP), where the reference (torch, which accumulates "
        "in float32) gives 500",
        INF,
        ([NAN, NAN],),
        dtype=("float16",),
    ),
    _at(
        "slogdet_logabsdet",
        "huge",
        "jnp.linalg.slogdet's log|det| of diag(1e30, 1e30) in float32 is inf (measured; the determinant 1e60 "
        "overflows float32 on the way, though neither the LU factors nor log|det| = 138.2 do) and its gradient NaN",
        INF,
        ([[NAN, NAN], [NAN, NAN]],),
        dtype=("float32",),
    ),
    _at(
        "int_floor_divide",
        "by-zero",
        "XLA defines integer x / 0 as -1 and x % 0 as x, and jnp.floor_divide's floor correction (one less where the "
        "remainder is nonzero and its sign differs from the divisor's) then gives 5 // 0 = -2, -5 // 0 = -2 and "
        "0 // 0 = -1, where NumPy gives 0 (and torch raises)",
        [-2, -2, -1],
        dtype=("int32", "int64"),
    ),
)


# Half-type activations on generated inputs (measured with jax 0.10.2, both variants)
MAPPED_LATER_DECLARATIONS += (
    Divergence(
        "silu",
        "jax.nn.silu is x * sigmoid(x) and lax.logistic computes 1 / (1 + exp(-x)) in float16, whose exp(-x) "
        "overflows below x = -11.09: there silu(x) is -0.0 where the reference gives e.g. -7.37e-5 (1237 ULP)",
        check="property",
        dtype=("float16",),
        when=(SINCE,),
    ),
    _half_by_primitive(
        "selu",
        *SELU,
        "on the generated inputs -0.69092 for -0.69176, 2 ULP",
        check="property",
    ),
)


# Eager only (jitted, XLA fuses the squares into a reduction that accumulates in float32 for these draws)
EAGER_ONLY_DECLARATIONS = (
    Divergence(
        "vector_norm",
        "jnp.linalg.vector_norm(ord=2) squares in float16 (see the float16-overflow special value): hypothesis draws "
        "a vector whose norm is 256 and whose squares overflow, and eager JAX gives inf (measured; the jitted "
        "variant passes)",
        check="property",
        dtype=("float16",),
        when=(SINCE,),
    ),
)


def _hashable(value):
    """A cache key for an op's static parameters (slices and lists are not hashable; 1 and 1.0 stay apart)."""
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, *map(_hashable, value))
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(v)) for key, v in value.items()))
    return (type(value).__name__, value)


class JaxBackend(Backend):
    """jax.Array on the CPU, eager: each op dispatches its XLA primitives one by one; gradients by ``jax.vjp``.

    ``__init__`` turns on ``jax_enable_x64`` (process-wide): without it JAX stores every float64 array as
    float32 and int64 class indices as int32, so the float64 column would silently be float32.  Only the
    ``cpu`` device: a JAX GPU needs a CUDA jaxlib, which the ``jax`` extra does not install."""

    name = "jax"
    devices = ("cpu",)
    dtypes = ("float16", "bfloat16", "float32", "float64", "int32", "int64", "bool")  # jax_enable_x64: int64 stays
    autograd = True
    differentiable_cast = True  # astype is a JAX primitive jax.vjp differentiates (mixed precision, grad="auto")
    # No accumulation promise: jnp.sum, mean and var compute float16/bfloat16 in float32 (jax/_src/numpy/
    # reductions.py, _upcast_f16) and XLA's CPU backend runs half dots and convolutions in float32 (parity.accumulation
    # measures float32 for all three probes, jax 0.10.2), but the gradient of a broadcast input is summed by
    # lax.reduce_sum in the half type (mul's and div's VJP for a 0-d input fail the float32 bound in float16)
    declarations = EAGER_DECLARATIONS + MAPPED_LATER_DECLARATIONS + EAGER_ONLY_DECLARATIONS

    provides_facts = ("jax.flushes_subnormals",)

    def __init__(self):
        try:
            import jax
        except ImportError as error:
            raise BackendUnavailable(f"jax is not installed ({error}); pip install 'parity[jax]'") from error
        jax.config.update("jax_enable_x64", True)
        self.jax = jax
        self.ops = _ops(jax)
        self.update_rules = _update_rules(jax.numpy)
        self.cpu = jax.devices("cpu")[0]

    def facts(self):
        return {"jax.flushes_subnormals": self.flushes_subnormals}

    def flushes_subnormals(self) -> bool:
        """Whether XLA's CPU runtime here flushes subnormals to zero: the smallest normal float32 halved, eagerly."""
        tiny = self.jax.device_put(np.array([np.finfo(np.float32).tiny], np.float32), self.cpu)
        return bool(np.asarray(self.jax.numpy.multiply(tiny, np.float32(0.5)))[0] == 0.0)

    # ------------------------------------------------------------ arrays
    def _asarray(self, x, dtype, device):
        # rounded on the host, once: XLA's CPU convert goes float64 -> float32 -> bfloat16 and flushes subnormals
        host = to_numpy_dtype(x, dtype) if dtype in FLOATS else np.array(x, dtype=dtype, copy=True)
        return self.jax.device_put(host, self.cpu)

    def native(self, x):
        return self.jax.device_put(np.array(x, copy=True), self.cpu)

    def to_numpy(self, x) -> np.ndarray:
        return np.array(x, copy=True)

    def _check_array(self, x, name):
        if not isinstance(x, self.jax.Array):
            raise TypeError(f"{name} must be a jax.Array, got {type(x).__name__}")

    def device_of(self, x) -> str:
        platforms = {device.platform for device in x.devices()}
        return "cpu" if platforms == {"cpu"} else ",".join(sorted(platforms))

    def _check_same_device(self, inputs, names):
        placed = [(x, n) for x, n in zip(inputs, names) if not isinstance(x, self.jax.core.Tracer)]  # traced: no device
        for x, name in placed[1:]:
            if self.device_of(x) != self.device_of(placed[0][0]):
                raise ValueError(f"{name} is on {self.device_of(x)} but {placed[0][1]} is on "
                                 f"{self.device_of(placed[0][0])}")  # fmt: skip

    def wait(self, result, device="cpu"):
        self.jax.block_until_ready(result)

    # ------------------------------------------------------------ ops and gradients
    def function(self, name: str, params: dict):
        """The forward of entry ``name`` with its parameters bound: ``f(*inputs)``."""
        return functools.partial(self.ops[name], **params)

    def pullback(self, name: str, params: dict, wanted: tuple[bool, ...]):
        """``f(cotangent, *inputs)``: the gradients of ``<cotangent, op(*inputs)>`` for the ``wanted`` inputs."""
        forward = functools.partial(self.ops[name], **params)
        positions = [i for i, want in enumerate(wanted) if want]

        def gradients(cotangent, *inputs):
            def of_differentiable(*xs):
                args = list(inputs)
                for i, x in zip(positions, xs):
                    args[i] = x
                return forward(*args)

            return self.jax.vjp(of_differentiable, *(inputs[i] for i in positions))[1](cotangent)

        return gradients

    def _forward(self, spec, inputs, params):
        out = self.function(spec.name, params)(*inputs)
        if spec.name == "cholesky" and bool(self.jax.numpy.isnan(out).any()):
            # jnp.linalg.cholesky (LAPACK potrf under XLA) returns NaN for a matrix that is not positive definite, and
            # a jitted function cannot raise on a value: the result is checked here, on the host, for both variants
            raise ValueError("a is not positive definite: cholesky is undefined (jnp.linalg.cholesky returned NaN)")
        return out

    def _vjp(self, spec, inputs, params, cotangent):
        return tuple(self.pullback(spec.name, params, spec.differentiable(inputs))(cotangent, *inputs))

    # ------------------------------------------------------------ training
    def value_and_grad(self, fn, params):
        """``jax.value_and_grad`` over every parameter (the ops inside run as they do outside: eager or jitted)."""
        return self.jax.value_and_grad(fn, argnums=tuple(range(len(params))))(*params)

    def stop_gradient(self, x):
        return self.jax.lax.stop_gradient(x)

    def cast(self, x, dtype, device):
        return x.astype(numpy_dtype(dtype))

    def compiled_update(self, name: str, hyper: dict):
        """The update rule of optimizer ``name`` with its hyperparameters bound."""
        return functools.partial(self.update_rules[name], **hyper)

    def make_optimizer(self, name, params, lr, hyper):
        return JaxOptimizer(self, name, params, lr, hyper)

    def run_optimizer(self, name, param0, grads, lrs, hyper, dtype, device):
        optimizer = JaxOptimizer(self, name, {"param": self.asarray(param0, dtype, device)}, lrs[0], hyper)
        trajectory = []
        for grad, lr in zip(grads, lrs):
            optimizer.lr = lr
            optimizer.step({"param": self.asarray(grad, dtype, device)})
            trajectory.append(optimizer.params["param"])
        return [self.to_numpy(p) for p in trajectory]


# ---------------------------------------------------------------- jit
JIT_DECLARATIONS = (
    *EAGER_DECLARATIONS,
    *MAPPED_LATER_DECLARATIONS,
    Divergence(
        "max",
        "jitted, the gradient of a max that is NaN is 0, not NaN: jnp.max's VJP is g * (x == max) / count, "
        "0 * (g / 0) = NaN eagerly, but XLA's simplifier turns the product with a 0/1 mask into a select",
        check="special",
        variant="nan-grad",
        dtype=("float16", "float32", "float64"),  # in bfloat16 the NaN survives (observed)
        when=(version("jax", "==0.10.2"),),
        returns=NAN,
        grads=([0.0, 0.0],),
    ),
)


JIT_DECLARATIONS += (
    Divergence(
        "vector_norm",
        "jitted, ord=inf's gradient at a NaN maximum is 0, not NaN (see max's nan-grad: XLA turns the product with "
        "max's 0/1 mask into a select)",
        check="special",
        variant="nan-grad-inf",
        dtype=("float16", "float32", "float64"),  # in bfloat16 the NaN survives (observed)
        when=(version("jax", "==0.10.2"),),
        returns=NAN,
        grads=([0.0, 0.0, 0.0],),
    ),
)


VALUE_SHAPED = (
    "jax.jit traces with abstract values, and one_hot with num_classes=-1 takes its output's shape from the largest "
    "index, a value (int() of a tracer: ConcretizationTypeError); the eager backend runs it"
)
JIT_DECLARATIONS += (
    Unsupported("one_hot", VALUE_SHAPED, variant="6-num_classes=-1"),
    Unsupported("one_hot", VALUE_SHAPED, check="special", variant="inferred"),
)


class JaxJitBackend(JaxBackend):
    """Every op, VJP and optimizer update through ``jax.jit``, compiled once per entry and static parameters
    (cached on the instance); XLA may fuse and reorder a jitted op's primitives, so its rounding can differ
    from eager's."""

    name = "jax_jit"
    declarations = JIT_DECLARATIONS

    def __init__(self):
        super().__init__()
        self.compiled: dict = {}

    def _jitted(self, key, build, *args):
        if key not in self.compiled:
            self.compiled[key] = self.jax.jit(build(self, *args))
        return self.compiled[key]

    def function(self, name, params):
        return self._jitted(("forward", name, _hashable(params)), JaxBackend.function, name, params)

    def pullback(self, name, params, wanted):
        return self._jitted(("vjp", name, _hashable(params), wanted), JaxBackend.pullback, name, params, wanted)

    def compiled_update(self, name, hyper):
        return self._jitted(("update", name, _hashable(hyper)), JaxBackend.compiled_update, name, hyper)
