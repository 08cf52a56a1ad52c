"""Linear algebra: matmul (NumPy semantics: 1-D promotion, batched, broadcast batch dims), outer, solve, inv, det,
cholesky, einsum, tensordot and matrix norms."""

from __future__ import annotations

import math

import numpy as np

from reference._checks import (
    broadcast_shapes,
    normalize_axis,
    require_float_array,
    require_ndim,
    require_same_dtype,
)
from reference._op import reference_op, unbroadcast, vjp_of


def _check_matmul(a, b) -> None:
    require_float_array(a, "a")
    require_float_array(b, "b")
    require_same_dtype((a, b), ("a", "b"))
    require_ndim(a, "a", at_least=1)
    require_ndim(b, "b", at_least=1)
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k_b:
        raise ValueError(
            f"a and b have mismatched inner dimensions: a.shape[-1] = {a.shape[-1]}, "
            f"b's contracted dimension = {k_b} (a {tuple(a.shape)}, b {tuple(b.shape)})"
        )
    if a.ndim > 2 or b.ndim > 2:
        broadcast_shapes(("a batch", tuple(a.shape[:-2])), ("b batch", tuple(b.shape[:-2])))


@reference_op(("a", "b"), _check_matmul)
def matmul(a, b):
    """a @ b with NumPy's rules (1-D operands are promoted, then the added axis removed)."""
    return np.matmul(a, b)


@vjp_of(matmul)
def matmul_vjp(g, a, b):
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2 if b.ndim > 1 else 0)
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    ga = unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape)
    gb = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g2), b2.shape)
    return ga.reshape(a.shape), gb.reshape(b.shape)


def _check_outer(x, y) -> None:
    require_float_array(x, "x")
    require_float_array(y, "y")
    require_same_dtype((x, y), ("x", "y"))
    require_ndim(x, "x", exactly=1)
    require_ndim(y, "y", exactly=1)


@reference_op(("x", "y"), _check_outer)
def outer(x, y):
    """Outer product of two vectors: out[i, j] = x[i] * y[j]."""
    return np.multiply.outer(x, y)


@vjp_of(outer)
def outer_vjp(g, x, y):
    return g @ y, x @ g


# ---------------------------------------------------------------- square systems: solve, inv, det, cholesky
# The VJPs are the standard matrix-calculus results (M. B. Giles, "An extended collection of matrix derivative
# results for forward and reverse mode algorithmic differentiation", 2008, section 2.2; torch's
# tools/autograd/derivatives.yaml and FunctionsManual.cpp use the same formulas).  Every body runs on CuPy
# arrays too (the cupy backend runs them): NumPy calls only, arrays created with ``like=``.
def _require_square(a, name: str) -> None:
    require_float_array(a, name)
    require_ndim(a, name, at_least=2)
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name} must be a square matrix (or a batch of them), got shape {tuple(a.shape)}")


def _mT(x):  # noqa: N802 - the matrix transpose of the last two axes, named as torch's Tensor.mT
    return np.swapaxes(x, -1, -2)


def _check_solve(a, b) -> None:
    _require_square(a, "a")
    require_float_array(b, "b")
    require_same_dtype((a, b), ("a", "b"))
    n = a.shape[-1]
    if b.ndim == 1:
        if b.shape[0] != n:
            raise ValueError(
                f"b of shape {tuple(b.shape)} does not match a of shape {tuple(a.shape)}: b needs {n} rows"
            )
        return
    if b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1]):
        raise ValueError(
            f"b of shape {tuple(b.shape)} is ambiguous against a of shape {tuple(a.shape)}: torch reads it as a batch "
            "of vectors, NumPy as a matrix; give b a trailing axis of size 1 (not supported as it is)"
        )
    if b.ndim < 2 or b.shape[-2] != n:
        raise ValueError(
            f"b must be a vector ({n},) or a batch of matrices (..., {n}, k), got shape {tuple(b.shape)} for a of "
            f"shape {tuple(a.shape)}"
        )
    broadcast_shapes(("a batch", tuple(a.shape[:-2])), ("b batch", tuple(b.shape[:-2])))


def nan_where_nan(result, a, result_axes: int):
    """``result`` with every element NaN that belongs to a matrix of ``a`` holding a NaN (``result_axes``: how
    many trailing axes of ``result`` one matrix of a produces).  Where a NaN lands in an LU factorisation
    depends on how the LAPACK at hand compares it while pivoting (OpenBLAS's solve of [[NaN, 0], [0, 1]] x =
    (1, 1) gives (NaN, 1), torch's (NaN, NaN)); the reference states the one answer every implementation can
    give: a matrix with an unknown entry has an unknown inverse."""
    poisoned = np.isnan(a).any(axis=(-2, -1))
    return np.where(np.reshape(poisoned, poisoned.shape + (1,) * result_axes), np.nan, result)


def _singular(error, name: str):
    return ValueError(f"{name} is singular ({error}): the result is undefined")


@reference_op(("a", "b"), _check_solve)
def solve(a, b):
    """x with a @ x = b: b a vector (n,) or matrices (..., n, k); batch dimensions broadcast.  A NaN in a matrix
    of a makes its whole solution NaN."""
    try:
        return nan_where_nan(np.linalg.solve(a, b), a, 1 if b.ndim == 1 else 2)
    except np.linalg.LinAlgError as error:
        raise _singular(error, "a") from None


@vjp_of(solve)
def solve_vjp(g, a, b):
    # Giles 2008, 2.2.3: x = a^-1 b, so gb = a^-T g and ga = -gb x^T
    x = solve(a, b)
    if b.ndim == 1:  # x and g are (..., n): one vector per matrix of a
        gx = np.linalg.solve(_mT(a), g[..., None])[..., 0]
        return -gx[..., :, None] * x[..., None, :], unbroadcast(gx, b.shape)
    gb = np.linalg.solve(_mT(a), g)
    return unbroadcast(-np.matmul(gb, _mT(x)), a.shape), unbroadcast(gb, b.shape)


def _check_square(a) -> None:
    _require_square(a, "a")


@reference_op(("a",), _check_square)
def inv(a):
    """The inverse of a square matrix (batched); a matrix with a NaN has an all-NaN inverse."""
    try:
        return nan_where_nan(np.linalg.inv(a), a, 2)
    except np.linalg.LinAlgError as error:
        raise _singular(error, "a") from None


@vjp_of(inv)
def inv_vjp(g, a):
    # Giles 2008, 2.2.3: y = a^-1, dy = -y da y, so ga = -y^T g y^T
    y = np.linalg.inv(a)
    return (-np.matmul(np.matmul(_mT(y), g), _mT(y)),)


@reference_op(("a",), _check_square)
def det(a):
    """The determinant of a square matrix (batched); NaN for a matrix with a NaN."""
    return nan_where_nan(np.linalg.det(a), a, 0)


def cofactor(a):
    """The cofactor matrix det(a) a^-T, the gradient of det, computed through the SVD a = U diag(s) V^T as
    det(U V^T) U diag(prod_{j != i} s_j) V^T: defined at singular a too (where det(a) a^-T is not)."""
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    ones = np.ones_like(s[..., :1])
    before = np.concatenate([ones, np.cumprod(s, axis=-1)[..., : n - 1]], axis=-1)
    after = np.flip(np.concatenate([ones, np.cumprod(np.flip(s, axis=-1), axis=-1)[..., : n - 1]], axis=-1), -1)
    others = before * after  # prod_{j != i} s_j, without dividing by s_i
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * np.matmul(u * others[..., None, :], vh)


@vjp_of(det)
def det_vjp(g, a):
    # Jacobi's formula (Giles 2008, 2.2.4): d det(a) = det(a) tr(a^-1 da), so ga = g det(a) a^-T = g cofactor(a)
    return (g[..., None, None] * cofactor(a),)


@reference_op(("a",), _check_square)
def cholesky(a):
    """The lower-triangular L with L L^T = a, for symmetric positive-definite a.

    a is read through its symmetric part (a + a^T) / 2: on the symmetric inputs the op is defined for, that is a
    itself (torch and LAPACK read one triangle instead); the gradient is then the symmetric one torch returns.
    A matrix that is not positive definite is a ValueError (torch raises torch.linalg.LinAlgError, NumPy
    LinAlgError; CuPy's cholesky returns NaN without raising, which this body turns into the same ValueError).
    """
    symmetric = (a + _mT(a)) * 0.5
    try:
        lower = np.linalg.cholesky(symmetric)
    except np.linalg.LinAlgError:
        lower = None
    if lower is None or bool(np.isnan(lower).any()):
        raise ValueError("a is not positive definite: cholesky is undefined (a NaN or a non-positive pivot)")
    return lower


@vjp_of(cholesky)
def cholesky_vjp(g, a):
    # Murray, "Differentiation of the Cholesky decomposition" (2016), as torch's cholesky_backward:
    # ga = L^-T Phi(L^T g) L^-1 with Phi(P) = (tril(P) + tril(P, -1)^T) / 2, a symmetric matrix
    lower = np.linalg.cholesky((a + _mT(a)) * 0.5)
    p = np.tril(np.matmul(_mT(lower), g))
    phi = (p + _mT(np.tril(p, -1))) * 0.5
    inverse = np.linalg.inv(lower)  # L is triangular and well conditioned where the op is
    return (np.matmul(np.matmul(_mT(inverse), phi), inverse),)


# ---------------------------------------------------------------- einsum and tensordot
def parse_subscripts(subscripts, shapes) -> tuple[tuple[str, ...], str]:
    """The operands' subscripts and the output's, for explicit (``"ij,jk->ik"``) or implicit (``"ij,jk"``:
    the letters that occur once, sorted) Einstein notation; ValueError naming what is wrong.  Ellipses are not
    supported."""
    if not isinstance(subscripts, str):
        raise TypeError(f"subscripts must be a str, got {type(subscripts).__name__}")
    text = subscripts.replace(" ", "")
    if "." in text:
        raise ValueError(f"subscripts={subscripts!r}: ellipsis ('...') is not supported; name every axis")
    left, arrow, output = text.partition("->")
    inputs = tuple(left.split(","))
    letters = "".join(inputs)
    if not all(c.isalpha() and c.isascii() for c in letters + output):
        raise ValueError(f"subscripts={subscripts!r}: subscripts are ASCII letters, commas and one '->'")
    if len(inputs) != len(shapes):
        raise ValueError(f"subscripts={subscripts!r} names {len(inputs)} operand(s), got {len(shapes)} array(s)")
    if not arrow:
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    sizes: dict[str, int] = {}
    for i, (subs, shape) in enumerate(zip(inputs, shapes)):
        if len(subs) != len(shape):
            raise ValueError(f"arrays[{i}] has {len(shape)} dimension(s) but subscripts {subs!r} name {len(subs)}")
        for c, n in zip(subs, shape):
            if sizes.setdefault(c, n) != n:
                raise ValueError(f"arrays[{i}]: subscript {c!r} has size {n} here and {sizes[c]} elsewhere")
    if len(set(output)) != len(output) or not set(output) <= set(letters):
        raise ValueError(f"subscripts={subscripts!r}: output subscripts must be distinct letters of the operands")
    return inputs, output


def _check_einsum(*arrays, subscripts) -> None:
    if not arrays:
        raise TypeError("einsum needs at least one array")
    for i, x in enumerate(arrays):
        require_float_array(x, f"arrays[{i}]")
    require_same_dtype(arrays, [f"arrays[{i}]" for i in range(len(arrays))])
    parse_subscripts(subscripts, [tuple(x.shape) for x in arrays])


@reference_op(("*arrays",), _check_einsum)
def einsum(*arrays, subscripts):
    """Einstein summation (explicit or implicit mode, no ellipsis), e.g. ``"ij,jk->ik"``, ``"bij,bjk->bik"``,
    ``"ii->"`` (trace), ``"i,j->ij"`` (outer), ``"ij->ji"``."""
    return np.einsum(subscripts, *arrays)


def einsum_operand_grad(g, arrays, subscripts, i: int):
    """The gradient of <g, einsum(subscripts, *arrays)> with respect to ``arrays[i]``: the einsum of the cotangent
    with the other operands onto operand i's letters, broadcast over the letters only operand i has (they were
    summed), and placed on the diagonal where operand i repeats a letter (``"ii->"``: g times the identity)."""
    inputs, output = parse_subscripts(subscripts, [tuple(x.shape) for x in arrays])
    subs, x = inputs[i], arrays[i]
    unique = "".join(dict.fromkeys(subs))
    others = [j for j in range(len(arrays)) if j != i]
    available = set(output).union(*(inputs[j] for j in others))
    kept = "".join(c for c in unique if c in available)
    partial = np.einsum(",".join([output, *(inputs[j] for j in others)]) + "->" + kept, g, *(arrays[j] for j in others))
    size = {c: x.shape[subs.index(c)] for c in unique}
    full = np.broadcast_to(
        np.reshape(partial, [size[c] if c in kept else 1 for c in unique]), [size[c] for c in unique]
    )
    first = {c: subs.index(c) for c in unique}
    grad = np.reshape(full, [size[c] if p == first[c] else 1 for p, c in enumerate(subs)])
    for p, c in enumerate(subs):
        if p != first[c]:  # a repeated letter: only the diagonal of axes (first[c], p) is an element of the input
            eye_shape = [size[c] if q in (first[c], p) else 1 for q in range(len(subs))]
            line = np.arange(size[c], like=x)  # np.eye(like=) passes device=, which CuPy's eye lacks
            grad = grad * np.reshape(line[:, None] == line, eye_shape)
    return np.broadcast_to(grad, x.shape)


@vjp_of(einsum)
def einsum_vjp(g, *arrays, subscripts):
    return tuple(einsum_operand_grad(g, arrays, subscripts, i) for i in range(len(arrays)))


def tensordot_axes(axes, a_ndim: int, b_ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The contracted axes of a and b (non-negative, paired in order) for ``axes`` as NumPy and torch take it:
    an int n (a's last n with b's first n) or a pair of sequences of axes."""
    if isinstance(axes, bool):
        raise TypeError("axes must be an int or a pair of sequences of ints, got bool")
    if isinstance(axes, int):
        if not 0 <= axes <= min(a_ndim, b_ndim):
            raise ValueError(f"axes={axes} must be between 0 and min(a.ndim, b.ndim) = {min(a_ndim, b_ndim)}")
        return tuple(range(a_ndim - axes, a_ndim)), tuple(range(axes))
    if not (isinstance(axes, (tuple, list)) and len(axes) == 2 and all(isinstance(s, (tuple, list)) for s in axes)):
        raise TypeError(f"axes must be an int or a pair of sequences of ints, got {axes!r}")
    if len(axes[0]) != len(axes[1]):
        raise ValueError(f"axes={axes!r} pairs {len(axes[0])} axes of a with {len(axes[1])} of b")
    ca = tuple(normalize_axis(x, a_ndim, "axes[0]") for x in axes[0])
    cb = tuple(normalize_axis(x, b_ndim, "axes[1]") for x in axes[1])
    if len(set(ca)) != len(ca) or len(set(cb)) != len(cb):
        raise ValueError(f"axes={axes!r} repeats an axis")
    return ca, cb


def _check_tensordot(a, b, axes=2) -> None:
    require_float_array(a, "a")
    require_float_array(b, "b")
    require_same_dtype((a, b), ("a", "b"))
    ca, cb = tensordot_axes(axes, a.ndim, b.ndim)
    for i, j in zip(ca, cb):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"a's axis {i} (size {a.shape[i]}) and b's axis {j} (size {b.shape[j]}) cannot contract")


@reference_op(("a", "b"), _check_tensordot)
def tensordot(a, b, axes=2):
    """Sum of products over the paired axes: a's free axes, then b's (NumPy's and torch's convention)."""
    return np.tensordot(a, b, axes=tensordot_axes(axes, a.ndim, b.ndim))


@vjp_of(tensordot)
def tensordot_vjp(g, a, b, axes=2):
    ca, cb = tensordot_axes(axes, a.ndim, b.ndim)
    fa = [i for i in range(a.ndim) if i not in ca]
    fb = [j for j in range(b.ndim) if j not in cb]
    g_a, g_b = list(range(len(fa))), list(range(len(fa), len(fa) + len(fb)))
    # g's b-part contracted with b's free axes leaves a's free axes, then b's contracted ones in b's order
    ga = np.tensordot(g, b, axes=(g_b, fb))
    a_order = fa + [ca[cb.index(j)] for j in sorted(cb)]
    gb = np.tensordot(a, g, axes=(fa, g_a))  # b's contracted axes in a's order of ca, then b's free axes
    b_order = [cb[ca.index(i)] for i in sorted(ca)] + fb
    return np.transpose(ga, _inverse_permutation(a_order)), np.transpose(gb, _inverse_permutation(b_order))


def _inverse_permutation(order) -> tuple[int, ...]:
    return tuple(sorted(range(len(order)), key=order.__getitem__))


# ---------------------------------------------------------------- matrix norms
MATRIX_NORMS = ("fro", "nuc", 2, 1, math.inf)


def _check_matrix_norm(x, ord="fro") -> None:
    require_float_array(x, "x")
    require_ndim(x, "x", at_least=2)
    if isinstance(ord, bool) or ord not in MATRIX_NORMS:
        raise ValueError(f"ord={ord!r} is not supported: one of 'fro', 'nuc', 2, 1, inf")
    if 0 in x.shape[-2:]:
        raise ValueError(f"x of shape {tuple(x.shape)} has no rows or no columns: its matrix norm is not supported")


def _singular_values(x):
    if not bool(np.isfinite(x).all()):
        raise ValueError("x has non-finite values: its singular values (ord 2 and 'nuc') are undefined")
    return np.linalg.svd(x, compute_uv=False)


@reference_op(("x",), _check_matrix_norm)
def matrix_norm(x, ord="fro"):
    """The norm of each matrix over the last two axes (torch.linalg.matrix_norm): 'fro' (sqrt of the sum of
    squares), 'nuc' (sum of the singular values), 2 (the largest), 1 (largest column sum of |x|), inf (largest
    row sum of |x|)."""
    if ord == "fro":
        return np.sqrt(np.sum(x * x, axis=(-2, -1)))
    if ord == "nuc":
        return np.sum(_singular_values(x), axis=-1)
    if ord == 2:
        return np.max(_singular_values(x), axis=-1)
    return np.max(np.sum(np.abs(x), axis=-2 if ord == 1 else -1), axis=-1)


def _largest_line_grad(g, x, axis: int):
    # max over lines of sum_k |x|: sign(x) on the largest line(s), a tie splitting g evenly (as torch's amax)
    sums = np.sum(np.abs(x), axis=axis, keepdims=True)
    largest = sums == np.max(sums, axis=-1 if axis == -2 else -2, keepdims=True)
    share = largest / np.sum(largest, axis=-1 if axis == -2 else -2, keepdims=True)
    return g[..., None, None] * np.sign(x) * share


@vjp_of(matrix_norm)
def matrix_norm_vjp(g, x, ord="fro"):
    if ord == "fro":
        norm = np.sqrt(np.sum(x * x, axis=(-2, -1), keepdims=True))
        return (np.where(norm == 0, 0.0, g[..., None, None] * x / np.where(norm == 0, 1.0, norm)),)
    if ord in ("nuc", 2):
        # d sigma_i = u_i^T dx v_i (simple singular values; torch's svd_backward): nuc sums them, 2 takes the first
        u, _, vh = np.linalg.svd(x, full_matrices=False)
        if ord == 2:
            u, vh = u[..., :, :1], vh[..., :1, :]
        return (g[..., None, None] * np.matmul(u, vh),)
    return (_largest_line_grad(g, x, -2 if ord == 1 else -1),)


# ---------------------------------------------------------------- slogdet: its two outputs as two entries
# The harness compares one array per entry, so slogdet's (sign, logabsdet) are two entries of one computation;
# the VJP of the pair is the sum of theirs (sign's is 0: it is piecewise constant).
@reference_op(("a",), _check_square)
def slogdet_sign(a):
    """The sign of det(a) (batched): -1, 0 (a singular matrix) or 1; NaN for a matrix with a NaN."""
    return nan_where_nan(np.linalg.slogdet(a)[0], a, 0)


@vjp_of(slogdet_sign)
def slogdet_sign_vjp(g, a):
    return (np.zeros_like(a),)  # piecewise constant: 0 wherever it is differentiable (det(a) != 0)


@reference_op(("a",), _check_square)
def slogdet_logabsdet(a):
    """log |det(a)| (batched), without the overflow of det itself: -inf for a singular matrix."""
    return nan_where_nan(np.linalg.slogdet(a)[1], a, 0)


@vjp_of(slogdet_logabsdet)
def slogdet_logabsdet_vjp(g, a):
    # d log|det a| = tr(a^-1 da) (Giles 2008, 2.2.4): ga = g a^-T, the cofactor matrix over det(a)
    return (g[..., None, None] * cofactor(a) / np.linalg.det(a)[..., None, None],)


# ---------------------------------------------------------------- factorisations unique up to signs: svd, eigh, qr
# Each output is an entry of its own (the harness compares one array per entry); the VJP of the tuple is the sum of
# the entries' VJPs.  Singular vectors, eigenvectors and QR factors are unique only up to the sign of each column
# (and the matching row of the other factor): the entries' ``gauge`` (reference.spec.OpSpec) maps each to a
# canonical form, and their VJPs are the gradients of gauge-invariant functions (reference.spec.OpSpec.gauge).
def column_signs(x, axis: int = -2):
    """A +-1 multiplier of x's shape making, in every column (``axis=-2``: each column's elements run along the
    rows) or row (``axis=-1``), the element of largest magnitude positive (the first of equal ones); NaN where the
    line holds a NaN."""
    picked = np.take_along_axis(x, np.expand_dims(np.argmax(np.abs(x), axis=axis), axis), axis=axis)
    signs = np.where(picked < 0, -1.0, 1.0)
    return np.broadcast_to(np.where(np.isnan(picked), np.nan, signs), x.shape).astype(x.dtype)


def _require_matrix(x, name: str) -> None:
    require_float_array(x, name)
    require_ndim(x, name, at_least=2)
    if 0 in x.shape[-2:]:
        raise ValueError(f"{name} of shape {tuple(x.shape)} has no rows or no columns: not supported")


def _check_matrix(a) -> None:
    _require_matrix(a, "a")


def finite_svd(a):
    """NumPy's thin SVD (U, s, Vh) of a matrix without NaN or infinity (ValueError otherwise)."""
    if not bool(np.isfinite(a).all()):
        raise ValueError("a has non-finite values: its SVD is undefined (LAPACK does not converge)")
    return np.linalg.svd(a, full_matrices=False)


def _reciprocal_gaps(values, what: str):
    """F[i, j] = 1 / (values[j] - values[i]) off the diagonal, 0 on it; ValueError where two values are equal."""
    gaps = values[..., None, :] - values[..., :, None]
    eye = np.arange(values.shape[-1], like=values)
    off = eye[:, None] != eye
    if bool(np.any((gaps == 0) & off)):
        raise ValueError(f"the gradient is undefined at repeated {what} (it divides by their difference)")
    return np.where(off, 1.0 / np.where(off, gaps, 1.0), 0.0)


def svd_grad(a, gu=None, gs=None, gvh=None):
    """The VJP of the thin SVD a = U diag(s) V^T (k = min(m, n) singular values, simple and nonzero) for the
    cotangents of U, s and Vh (None: zero), as torch's svd_backward and J. Townsend, "Differentiating the singular
    value decomposition" (2016):
    ga = U [J S + diag(gs) + S K] V^T + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T),
    J = F o (U^T gU - gU^T U), K = F o (V^T gV - gV^T V), F_ij = 1 / (s_j^2 - s_i^2)."""
    u, s, vh = finite_svd(a)
    v = _mT(vh)
    inner = np.zeros(s.shape + s.shape[-1:], dtype=a.dtype, like=a)
    if gs is not None:
        inner = inner + gs[..., None] * (np.arange(s.shape[-1], like=a)[:, None] == np.arange(s.shape[-1], like=a))
    ga = np.zeros_like(a)
    if gu is not None or gvh is not None:
        f = _reciprocal_gaps(s * s, "singular values")
    if gu is not None:
        utg = np.matmul(_mT(u), gu)
        inner = inner + (f * (utg - _mT(utg))) * s[..., None, :]
        ga = ga + np.matmul(gu - np.matmul(u, utg), _mT(v) / s[..., :, None]) if a.shape[-2] > s.shape[-1] else ga
    if gvh is not None:
        gv = _mT(gvh)
        vtg = np.matmul(_mT(v), gv)
        inner = inner + s[..., :, None] * (f * (vtg - _mT(vtg)))
        ga = ga + np.matmul(u / s[..., None, :], _mT(gv - np.matmul(v, vtg))) if a.shape[-1] > s.shape[-1] else ga
    return ga + np.matmul(np.matmul(u, inner), vh)


@reference_op(("a",), _check_matrix)
def svdvals(a):
    """The singular values of a (batched), descending; a with a NaN or an infinity is a ValueError."""
    return finite_svd(a)[1]


@vjp_of(svdvals)
def svdvals_vjp(g, a):
    return (svd_grad(a, gs=g),)  # U diag(g) V^T


@reference_op(("a",), _check_matrix)
def svd_u(a):
    """U of the thin SVD a = U diag(s) Vh (m x min(m, n)); unique up to the sign of each column."""
    return finite_svd(a)[0]


@vjp_of(svd_u)
def svd_u_vjp(g, a):
    return (svd_grad(a, gu=g),)


@reference_op(("a",), _check_matrix)
def svd_vh(a):
    """Vh of the thin SVD a = U diag(s) Vh (min(m, n) x n); unique up to the sign of each row."""
    return finite_svd(a)[2]


@vjp_of(svd_vh)
def svd_vh_vjp(g, a):
    return (svd_grad(a, gvh=g),)


def symmetric_eigh(a):
    """NumPy's eigendecomposition (w ascending, V) of (a + a^T) / 2, finite (ValueError otherwise)."""
    symmetric = (a + _mT(a)) * 0.5
    if not bool(np.isfinite(symmetric).all()):
        raise ValueError("a has non-finite values: its eigendecomposition is undefined")
    return np.linalg.eigh(symmetric)


def eigh_grad(a, gw=None, gv=None):
    """The VJP of a's symmetric eigendecomposition (a + a^T) / 2 = V diag(w) V^T (simple eigenvalues) for the
    cotangents of w and V (Giles 2008, 3.1; torch's linalg_eig_backward for Hermitian input):
    ga = sym(V (diag(gw) + F o (V^T gV)) V^T), F_ij = 1 / (w_j - w_i), sym(x) = (x + x^T) / 2 (a is read through its
    symmetric part, so its gradient is symmetric, as torch's)."""
    w, v = symmetric_eigh(a)
    n = w.shape[-1]
    inner = np.zeros(w.shape + (n,), dtype=a.dtype, like=a)
    if gw is not None:
        inner = inner + gw[..., None] * (np.arange(n, like=a)[:, None] == np.arange(n, like=a))
    if gv is not None:
        inner = inner + _reciprocal_gaps(w, "eigenvalues") * np.matmul(_mT(v), gv)
    ga = np.matmul(np.matmul(v, inner), _mT(v))
    return (ga + _mT(ga)) * 0.5


def _check_square_matrix(a) -> None:
    _require_square(a, "a")


@reference_op(("a",), _check_square_matrix)
def eigvalsh(a):
    """The eigenvalues of the symmetric matrix (a + a^T) / 2 (batched), ascending."""
    return symmetric_eigh(a)[0]


@vjp_of(eigvalsh)
def eigvalsh_vjp(g, a):
    return (eigh_grad(a, gw=g),)


@reference_op(("a",), _check_square_matrix)
def eigh_vectors(a):
    """The eigenvectors (columns, in the order of ascending eigenvalues) of the symmetric (a + a^T) / 2; unique up to
    the sign of each column where the eigenvalues are simple."""
    return symmetric_eigh(a)[1]


@vjp_of(eigh_vectors)
def eigh_vectors_vjp(g, a):
    return (eigh_grad(a, gv=g),)


def _check_qr(a) -> None:
    _require_matrix(a, "a")
    if a.shape[-2] < a.shape[-1]:
        raise ValueError(
            f"a of shape {tuple(a.shape)} has fewer rows than columns: the reduced QR of a wide matrix is not "
            "supported (its R is not square, and its gradient needs the complete factorisation)"
        )


def qr_grad(a, gq=None, gr=None):
    """The VJP of the reduced QR a = Q R (m >= n, R invertible): ga = (gQ + Q copyltu(M)) R^-T with
    M = R gR^T - gQ^T Q and copyltu(M) = tril(M) + tril(M, -1)^T (M. Seeger et al., "Auto-differentiating linear
    algebra", 2017; torch's linalg_qr_backward for m >= n)."""
    q, r = np.linalg.qr(a)
    gq = np.zeros_like(q) if gq is None else gq
    m = -np.matmul(_mT(gq), q) if gr is None else np.matmul(r, _mT(gr)) - np.matmul(_mT(gq), q)
    x = gq + np.matmul(q, np.tril(m) + _mT(np.tril(m, -1)))
    return _mT(np.linalg.solve(r, _mT(x)))  # x R^-T


@reference_op(("a",), _check_qr)
def qr_q(a):
    """Q of the reduced QR a = Q R (m >= n), orthonormal columns; unique up to the sign of each column."""
    return np.linalg.qr(a)[0]


@vjp_of(qr_q)
def qr_q_vjp(g, a):
    return (qr_grad(a, gq=g),)


@reference_op(("a",), _check_qr)
def qr_r(a):
    """R of the reduced QR a = Q R (m >= n), upper triangular; unique up to the sign of each row."""
    return np.linalg.qr(a)[1]


@vjp_of(qr_r)
def qr_r_vjp(g, a):
    return (qr_grad(a, gr=g),)


def qr_q_gauge(q, a):
    """The multiplier making diag(R) = diag(Q^T a) positive, applied to Q's columns (LAPACK leaves its sign free)."""
    d = np.diagonal(np.matmul(_mT(q), a), axis1=-2, axis2=-1)
    return np.broadcast_to(np.where(d < 0, -1.0, 1.0)[..., None, :], q.shape).astype(q.dtype)


def qr_r_gauge(r, a):
    """The multiplier making diag(R) positive, applied to R's rows."""
    d = np.diagonal(r, axis1=-2, axis2=-1)
    return np.broadcast_to(np.where(d < 0, -1.0, 1.0)[..., :, None], r.shape).astype(r.dtype)
