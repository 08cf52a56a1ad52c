"""Audit plans for the linear-algebra entries of :mod:`reference.catalog_linalg` (``parity audit``).

The factorisations are audited on matrices built from a drawn seed and drawn shapes (elements drawn one by one
would be ill conditioned or singular almost always, where no two LAPACKs agree): diagonally dominant matrices
(condition number at most 2n + 1), exactly singular integer matrices for det, symmetric positive-definite ones
for cholesky, and for the 2 and nuclear norms matrices with separated singular values.  The contractions and the
line-sum norms draw their elements (special values included) as the other entries do.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from impls.declare import Unsupported
from reference.audit_kit import AuditPlan, Config, arrays, cotangent_seeds, values


def _rng(draw) -> np.random.Generator:
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def _batch(draw) -> tuple[int, ...]:
    return draw(st.sampled_from([(), (2,), (1,), (3, 1)]))


def _dominant(rng, batch, n):
    """Strictly diagonally dominant: |a_ii| = n + 1 + noise > sum of the row's other |a_ij| (each < 1)."""
    a = rng.uniform(-1.0, 1.0, (*batch, n, n))
    signs = rng.choice([-1.0, 1.0], (*batch, n))
    return a + np.eye(n) * (signs * (n + 1.0))[..., None, :]


@st.composite
def _solve(draw):
    rng, n = _rng(draw), draw(st.integers(1, 4))
    a = _dominant(rng, _batch(draw), n)
    form = draw(st.sampled_from(["vector", "vectors", "matrices"]))
    if form == "vector":
        b = rng.uniform(-5.0, 5.0, (n,))
    elif form == "vectors":  # (..., n) against (..., n, n): torch's batch of vectors, refused by the reference
        b = rng.uniform(-5.0, 5.0, a.shape[:-1])
    else:
        b = rng.uniform(-5.0, 5.0, (*draw(st.sampled_from([(), (1,), (2,)])), n, draw(st.integers(1, 3))))
    return Config((a, b), {}, draw(cotangent_seeds()))


@st.composite
def _square(draw, singular=False):
    rng, n = _rng(draw), draw(st.integers(1, 4))
    batch = _batch(draw)
    if singular and n > 1 and draw(st.booleans()):
        a = rng.integers(-3, 4, (*batch, n, n)).astype(np.float64)
        a[..., -1, :] = a[..., 0, :]  # two equal rows: det exactly 0 in any LU
        return Config((a,), {}, draw(cotangent_seeds()))
    return Config((_dominant(rng, batch, n),), {}, draw(cotangent_seeds()))


@st.composite
def _cholesky(draw):
    rng, n = _rng(draw), draw(st.integers(1, 4))
    m = rng.uniform(-1.0, 1.0, (*_batch(draw), n, n))
    a = m @ np.swapaxes(m, -1, -2) + n * np.eye(n)
    return Config(((a + np.swapaxes(a, -1, -2)) / 2,), {}, draw(cotangent_seeds()))


EINSUM_FORMS = (
    ("ij,jk->ik", lambda i, j, k: ((i, j), (j, k))),
    ("bij,bjk->bik", lambda i, j, k: ((2, i, j), (2, j, k))),
    ("bii->b", lambda i, j, k: ((j, i, i),)),
    ("ii", lambda i, j, k: ((i, i),)),
    ("i,j->ij", lambda i, j, k: ((i,), (j,))),
    ("ij->ji", lambda i, j, k: ((i, j),)),
    ("ij,ij->", lambda i, j, k: ((i, j), (i, j))),
    ("ij,jk", lambda i, j, k: ((i, j), (j, k))),
    ("ijk->kj", lambda i, j, k: ((i, j, k),)),
)


@st.composite
def _einsum(draw):
    subscripts, shapes_of = draw(st.sampled_from(EINSUM_FORMS))
    sides = [draw(st.integers(0, 4)) for _ in range(3)]
    inputs = tuple(draw(arrays(s)) for s in shapes_of(*sides))
    return Config(inputs, {"subscripts": subscripts}, draw(cotangent_seeds()))


@st.composite
def _tensordot(draw):
    a_shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3))
    count = draw(st.integers(0, len(a_shape)))
    contracted = draw(st.permutations(range(len(a_shape))))[:count]
    b_free = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    b_axes = draw(st.permutations(range(count + len(b_free))))
    b_shape = [0] * (count + len(b_free))
    for k, axis in enumerate(b_axes[:count]):
        b_shape[axis] = a_shape[contracted[k]]
    for k, axis in enumerate(b_axes[count:]):
        b_shape[axis] = b_free[k]
    trailing = list(range(len(a_shape) - count, len(a_shape)))
    if contracted == trailing and list(b_axes[:count]) == list(range(count)) and draw(st.booleans()):
        axes = count  # the int form: a's last `count` axes with b's first
    else:
        axes = (tuple(contracted), tuple(b_axes[:count]))
    inputs = (draw(arrays(a_shape)), draw(arrays(tuple(b_shape))))
    return Config(inputs, {"axes": axes}, draw(cotangent_seeds()))


def _separated(rng, batch, m, n):
    """U diag(s) V^T with singular values at least 0.25 apart, the smallest >= 0.5 (simple, nonzero)."""
    k = min(m, n)
    u = np.linalg.qr(rng.standard_normal((*batch, m, m)))[0][..., :k]
    v = np.linalg.qr(rng.standard_normal((*batch, n, n)))[0][..., :k]
    s = 0.5 + np.cumsum(rng.uniform(0.25, 1.0, (*batch, k)), axis=-1)
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


@st.composite
def _svd(draw):
    shape = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    return Config((_separated(_rng(draw), _batch(draw), *shape),), {}, draw(cotangent_seeds()))


@st.composite
def _qr(draw):
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))  # m < n: refused by the reference (declared below)
    return Config((_separated(_rng(draw), _batch(draw), m, n),), {}, draw(cotangent_seeds()))


@st.composite
def _symmetric(draw):
    rng, n = _rng(draw), draw(st.integers(1, 4))
    batch = _batch(draw)
    w = -2.0 + np.cumsum(rng.uniform(0.5, 1.5, (*batch, n)), axis=-1)
    q = np.linalg.qr(rng.standard_normal((*batch, n, n)))[0]
    a = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
    return Config(((a + np.swapaxes(a, -1, -2)) / 2,), {}, draw(cotangent_seeds()))


@st.composite
def _matrix_norm(draw):
    ord = draw(st.sampled_from(["fro", "nuc", 2, 1, math.inf]))
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = _batch(draw)
    if ord in ("nuc", 2):
        return Config((_separated(_rng(draw), batch, m, n),), {"ord": ord}, draw(cotangent_seeds()))
    return Config((draw(arrays((*batch, m, n), values(1e3))),), {"ord": ord}, draw(cotangent_seeds()))


CONFIGS = {
    "solve": _solve,
    "inv": _square,
    "det": lambda: _square(singular=True),
    "slogdet_sign": lambda: _square(singular=True),
    "slogdet_logabsdet": _square,
    "cholesky": _cholesky,
    "einsum": _einsum,
    "tensordot": _tensordot,
    "matrix_norm": _matrix_norm,
    "svdvals": _svd,
    "svd_u": _svd,
    "svd_vh": _svd,
    "eigvalsh": _symmetric,
    "eigh_vectors": _symmetric,
    "qr_q": _qr,
    "qr_r": _qr,
}


def _batch_of_vectors(inputs, params) -> bool:
    a, b = inputs
    return b.ndim == a.ndim - 1 and b.ndim > 1 and tuple(b.shape) == tuple(a.shape[:-1])


def _wide(inputs, params) -> bool:
    return inputs[0].shape[-2] < inputs[0].shape[-1]


WIDE_QR = "the reduced QR of a wide matrix (m < n) is not supported by the reference; torch computes it"

DECLARED = {
    "qr_q": (Unsupported("qr_q", WIDE_QR, inputs=_wide),),
    "qr_r": (Unsupported("qr_r", WIDE_QR, inputs=_wide),),
    "solve": (
        Unsupported(
            "solve",
            "b of shape (..., n) against a of shape (..., n, n) is read by torch as a batch of vectors and by NumPy "
            "as a matrix: the reference refuses the ambiguous form (a trailing axis of size 1 says which)",
            inputs=_batch_of_vectors,
        ),
    ),
}
PLANS = {name: AuditPlan(configs, declarations=DECLARED.get(name, ())) for name, configs in CONFIGS.items()}
