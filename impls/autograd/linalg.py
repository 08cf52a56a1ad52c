"""Linear algebra for the engine: LAPACK-based primitives over NumPy's linalg, each backward beside its forward
(first order: the backward closures compute with NumPy), and tensordot and the line-sum norms composed from
differentiable primitives.  The formulas are Giles' ("An extended collection of matrix derivative results",
2008); where a helper of the reference is the formula itself (the SVD cofactor matrix, einsum's operand
gradient, the parsing of subscripts and axes), the engine calls it rather than keep a second copy.
"""

from __future__ import annotations

import math

import numpy as np

from impls.autograd import ops
from impls.autograd.tensor import Tensor, make
from reference import linalg as ref

__all__ = [
    "solve",
    "inv",
    "det",
    "slogdet_sign",
    "slogdet_logabsdet",
    "cholesky",
    "einsum",
    "tensordot",
    "matrix_norm",
    "svdvals",
    "svd_u",
    "svd_vh",
    "eigvalsh",
    "eigh_vectors",
    "qr_q",
    "qr_r",
]


def _mT(x):  # noqa: N802 - the transpose of the last two axes, named as torch's Tensor.mT
    return np.swapaxes(x, -1, -2)


def _first_order(name, back):
    def backward(g, cg):
        if cg:
            raise NotImplementedError(f"second-order gradients through {name} are not implemented")
        return back(g)

    return backward


def _linalg_call(fn, *args):
    try:
        return fn(*args)
    except np.linalg.LinAlgError as error:
        raise ValueError(f"a is singular ({error}): the result is undefined") from None


def solve(a, b):
    """x with a @ x = b (b a vector or a batch of matrices); gb = a^-T g, ga = -gb x^T."""
    a, b = ops.tensor(a), ops.tensor(b)
    vector = b.ndim == 1
    x = ref.nan_where_nan(_linalg_call(np.linalg.solve, a.data, b.data), a.data, 1 if vector else 2)

    def back(g):
        if vector:
            gx = np.linalg.solve(_mT(a.data), g[..., None])
            return -gx * x[..., None, :], ops._sum_to(gx[..., 0], b.shape)
        gb = np.linalg.solve(_mT(a.data), g)
        return ops._sum_to(-gb @ _mT(x), a.shape), ops._sum_to(gb, b.shape)

    return make(x, (a, b), _first_order("solve", back), "solve")


def inv(a):
    """a^-1; ga = -y^T g y^T."""
    a = ops.tensor(a)
    y = ref.nan_where_nan(_linalg_call(np.linalg.inv, a.data), a.data, 2)

    def back(g):
        return (-_mT(y) @ g @ _mT(y),)

    return make(y, (a,), _first_order("inv", back), "inv")


def det(a):
    """det(a); ga = g times the cofactor matrix (finite at singular a too)."""
    a = ops.tensor(a)
    d = ref.nan_where_nan(np.linalg.det(a.data), a.data, 0)

    def back(g):
        return (g[..., None, None] * ref.cofactor(a.data),)

    return make(np.asarray(d, dtype=a.dtype), (a,), _first_order("det", back), "det")


def slogdet_sign(a):
    """The sign of det(a); a constant to the engine (its gradient is 0 wherever it has one)."""
    a = ops.tensor(a)
    sign = ref.nan_where_nan(np.linalg.slogdet(a.data)[0], a.data, 0)
    return make(
        np.asarray(sign, dtype=a.dtype),
        (a,),
        _first_order("slogdet_sign", lambda g: (np.zeros_like(a.data),)),
        "slogdet_sign",
    )


def slogdet_logabsdet(a):
    """log |det(a)|; ga = g a^-T."""
    a = ops.tensor(a)
    value = ref.nan_where_nan(np.linalg.slogdet(a.data)[1], a.data, 0)

    def back(g):
        return (g[..., None, None] * _mT(_linalg_call(np.linalg.inv, a.data)),)

    return make(np.asarray(value, dtype=a.dtype), (a,), _first_order("slogdet_logabsdet", back), "slogdet_logabsdet")


def cholesky(a):
    """L with L L^T = (a + a^T) / 2; ga = L^-T Phi(L^T g) L^-1 with Phi(P) = (tril(P) + tril(P, -1)^T) / 2."""
    a = ops.tensor(a)
    try:
        lower = np.linalg.cholesky((a.data + _mT(a.data)) * 0.5)
    except np.linalg.LinAlgError:
        raise ValueError("a is not positive definite: cholesky is undefined") from None

    def back(g):
        p = np.tril(_mT(lower) @ g)
        inverse = np.linalg.inv(lower)
        return (_mT(inverse) @ ((p + _mT(np.tril(p, -1))) * 0.5) @ inverse,)

    return make(lower, (a,), _first_order("cholesky", back), "cholesky")


def einsum(*arrays, subscripts):
    """Einstein summation (no ellipsis); each operand's gradient is the einsum of g with the others."""
    arrays = tuple(ops.tensor(x) for x in arrays)
    data = [x.data for x in arrays]
    out = np.einsum(subscripts, *data)

    def back(g):
        return tuple(ref.einsum_operand_grad(g, data, subscripts, i).astype(x.dtype) for i, x in enumerate(data))

    return make(np.asarray(out, dtype=data[0].dtype), arrays, _first_order("einsum", back), "einsum")


def tensordot(a, b, axes=2):
    """Composed: a's free axes first and its contracted ones last, b's contracted first, both flattened to
    matrices, one matmul, then the free shapes restored (differentiable to any order)."""
    a, b = ops.tensor(a), ops.tensor(b)
    ca, cb = ref.tensordot_axes(axes, a.ndim, b.ndim)
    fa = [i for i in range(a.ndim) if i not in ca]
    fb = [j for j in range(b.ndim) if j not in cb]
    k = math.prod(a.shape[i] for i in ca)
    left = ops.reshape(ops.transpose(a, (*fa, *ca)), (math.prod(a.shape[i] for i in fa), k))
    right = ops.reshape(ops.transpose(b, (*cb, *fb)), (k, math.prod(b.shape[j] for j in fb)))
    return ops.reshape(ops.matmul(left, right), tuple(a.shape[i] for i in fa) + tuple(b.shape[j] for j in fb))


def _frobenius(x: Tensor) -> Tensor:
    norm = np.sqrt(np.sum(x.data * x.data, axis=(-2, -1)))

    def back(g):
        scale = np.where(norm == 0, 0.0, g / np.where(norm == 0, 1.0, norm))  # 0 at the zero matrix, as torch
        return (scale[..., None, None] * x.data,)

    return make(norm.astype(x.dtype), (x,), _first_order("matrix_norm", back), "frobenius_norm")


def _spectral(x: Tensor, ord) -> Tensor:
    if not np.isfinite(x.data).all():
        raise ValueError("x has non-finite values: its singular values (ord 2 and 'nuc') are undefined")
    u, s, vh = np.linalg.svd(x.data, full_matrices=False)
    largest = ord == 2

    def back(g):  # d sigma_i = u_i^T dx v_i
        pick = slice(0, 1) if largest else slice(None)
        return (g[..., None, None] * (u[..., :, pick] @ vh[..., pick, :]),)

    value = s[..., 0] if largest else s.sum(axis=-1)
    return make(value.astype(x.dtype), (x,), _first_order("matrix_norm", back), f"matrix_norm({ord})")


def matrix_norm(x, ord="fro"):
    """'fro' and the singular-value norms as primitives; 1 and inf composed: max over lines of sum |x|."""
    x = ops.tensor(x)
    if ord == "fro":
        return _frobenius(x)
    if ord in ("nuc", 2):
        return _spectral(x, ord)
    return ops.max(ops.sum_(ops.abs(x), axis=-2 if ord == 1 else -1), axis=-1)


# ---------------------------------------------------------------- factorisations: one primitive per output
def _factor(name, forward, grad, cotangent_of):
    """A primitive returning one output of a factorisation (``forward(a)``), whose backward is the factorisation's
    VJP with this output's cotangent and the others zero (``grad(a, **cotangent_of(g))``)."""

    def op(a):
        a = ops.tensor(a)
        out = np.asarray(forward(a.data), dtype=a.dtype)

        def back(g):
            return (grad(a.data, **cotangent_of(g)).astype(a.dtype),)

        return make(out, (a,), _first_order(name, back), name)

    op.__name__ = name
    op.__doc__ = f"{name}: the matching output of NumPy's factorisation; backward through reference.linalg's VJP."
    return op


def _svd(index):
    return lambda x: ref.finite_svd(x)[index]


svdvals = _factor("svdvals", _svd(1), ref.svd_grad, lambda g: {"gs": g})
svd_u = _factor("svd_u", _svd(0), ref.svd_grad, lambda g: {"gu": g})
svd_vh = _factor("svd_vh", _svd(2), ref.svd_grad, lambda g: {"gvh": g})
eigvalsh = _factor("eigvalsh", lambda x: ref.symmetric_eigh(x)[0], ref.eigh_grad, lambda g: {"gw": g})
eigh_vectors = _factor("eigh_vectors", lambda x: ref.symmetric_eigh(x)[1], ref.eigh_grad, lambda g: {"gv": g})
qr_q = _factor("qr_q", lambda x: np.linalg.qr(x)[0], ref.qr_grad, lambda g: {"gq": g})
qr_r = _factor("qr_r", lambda x: np.linalg.qr(x)[1], ref.qr_grad, lambda g: {"gr": g})
