"""Seeded input samplers, one per catalog domain.

Every sampler returns float64 arrays; :func:`round_to` then rounds them to the
dtype under test, and the float64 reference is evaluated on those rounded
values, so a float32 backend is judged on the inputs it actually received.
Seeds come from a stable hash of the check's identity (never from ``hash()``,
which is randomised per process), so a check sees the same data in every run,
under xdist too.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable

import numpy as np

from reference.floats import round_values
from reference.spec import is_integral

Sampler = Callable[[np.random.Generator, tuple[tuple[int, ...], ...]], tuple[np.ndarray, ...]]


def stable_seed(*parts) -> int:
    """A 32-bit seed from the string forms of ``parts`` (stable across processes and runs)."""
    return zlib.crc32("|".join(map(str, parts)).encode())


def _each(draw) -> Sampler:
    return lambda rng, shapes: tuple(None if s is None else draw(rng, s) for s in shapes)


def _real(rng, shape):
    return rng.uniform(-3.0, 3.0, shape)


def _unit(rng, shape):
    # |x| <= 1: every partial product of any number of them stays within range (prod: no order-dependent overflow)
    return rng.uniform(-1.0, 1.0, shape)


def _positive(rng, shape):
    return rng.uniform(0.1, 4.0, shape)


def _nonzero(rng, shape):
    # |x| >= 0.1, far from 0 compared with the finite-difference step.
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 3.0, shape)


def _above_minus_one(rng, shape):
    return rng.uniform(-0.9, 3.0, shape)


def _unit_interval(rng, shape):
    # inside (-1, 1) by 0.1: asin, acos and atanh have poles in their derivatives at +-1
    return rng.uniform(-0.9, 0.9, shape)


def _above_one(rng, shape):
    # acosh's derivative has a pole at 1
    return rng.uniform(1.1, 4.0, shape)


def _between_steps(rng, shape):
    # at least 0.05 from every integer and half-integer: where floor, ceil, trunc, round, sign, clip, hardtanh and
    # the activations' kinks at 0 jump, finite differences see a step
    whole = rng.integers(-3, 3, shape)
    return whole + rng.choice([0.0, 0.5], shape) + rng.uniform(0.05, 0.45, shape)


def _quotient_between_steps(rng, shapes):
    # fmod, remainder and floor_divide: x between steps, y in {+-0.5, +-1, +-2}, so that x / y is at least 0.025
    # from every integer under any broadcasting (trunc(x / y) and floor(x / y), the quotient itself and the
    # gradients in y, jump at integers)
    x, y = shapes
    return _between_steps(rng, x), rng.choice([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], y)


def _log_argument(rng, shapes):
    # xlogy: any x, y > 0
    x, y = shapes
    return _real(rng, x), _positive(rng, y)


def _nonzero_denominator(rng, shapes):
    x, y = shapes
    return _real(rng, x), _nonzero(rng, y)


def _pow(rng, shapes):
    base, exponent = shapes
    return _positive(rng, base), rng.uniform(-2.0, 2.0, exponent)


def _distinct_pair(rng, shapes):
    # x on the grid k/2, y on k/2 + 1/4: |x - y| >= 1/4 under any broadcasting.
    x, y = shapes
    return rng.integers(-6, 6, x) / 2.0, rng.integers(-6, 6, y) / 2.0 + 0.25


def _no_ties(rng, shapes):
    # A shuffled grid with spacing 0.25 plus jitter below 0.05: no two elements closer than 0.2.
    out = []
    for shape in shapes:
        n = math.prod(shape)
        grid = (rng.permutation(n) - n / 2) * 0.25 + rng.uniform(0.0, 0.05, n)
        out.append(grid.reshape(shape))
    return tuple(out)


def _class_indices(rng, shapes):
    # logits (N, C, d...), int64 targets in [0, C) with one ignore_index (-100) when N > 2, positive weights
    logits, target, *rest = shapes
    n_classes = logits[1] if len(logits) >= 2 else logits[0]
    t = rng.integers(0, n_classes, target)
    if t.size > 2:
        t.flat[1] = -100
    return (_real(rng, logits), t.astype(np.int64), *(rng.uniform(0.5, 2.0, s) for s in rest))


def _class_probabilities(rng, shapes):
    logits, target, *rest = shapes
    z = rng.standard_normal(target)
    axis = 1 if len(target) >= 2 else 0
    p = np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)
    return (_real(rng, logits), p, *(rng.uniform(0.5, 2.0, s) for s in rest))


def _binary_targets(rng, shapes):
    logits, target, *rest = shapes
    return (
        _real(rng, logits),
        rng.uniform(0.0, 1.0, target),
        *(None if s is None else rng.uniform(0.5, 3.0, s) for s in rest),
    )


def _batch_norm_eval(rng, shapes):
    x, mean, var, *affine = shapes
    return (_real(rng, x), _real(rng, mean) / 3, _positive(rng, var), *(_real(rng, s) for s in affine))


def _dropout(rng, shapes):
    x, mask = shapes
    return _real(rng, x), (rng.uniform(size=mask) > 0.3).astype(np.float64)


# ---------------------------------------------------------------- linear algebra (reference/catalog_linalg.py)
def _orthogonal(rng, batch, n):
    """Haar-distributed orthogonal matrices (QR of a Gaussian matrix with the signs of R's diagonal fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((*batch, n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def _well_conditioned(rng, shape):
    """Square matrices U diag(s) V^T with singular values in [1, 2.5] and a random sign (condition number at
    most 2.5, determinant at least 1 in magnitude); any other shape (a right-hand side): uniform in [-3, 3]."""
    if len(shape) < 2 or shape[-1] != shape[-2]:
        return _real(rng, shape)
    batch, n = shape[:-2], shape[-1]
    s = rng.uniform(1.0, 2.5, (*batch, n)) * rng.choice([-1.0, 1.0], (*batch, n))
    return _orthogonal(rng, batch, n) @ (s[..., None] * _orthogonal(rng, batch, n))


def _symmetric_positive_definite(rng, shape):
    """Q diag(w) Q^T with eigenvalues w in [0.5, 3] (condition number at most 6), exactly symmetric."""
    batch, n = shape[:-2], shape[-1]
    q = _orthogonal(rng, batch, n)
    a = (q * rng.uniform(0.5, 3.0, (*batch, 1, n))) @ np.swapaxes(q, -1, -2)
    return (a + np.swapaxes(a, -1, -2)) / 2


SEPARATION = 0.25  # the gap the linalg samplers keep between the values a max or an SVD picks from


def _separated_norms(rng, shape):
    """U diag(s) V^T with singular values at least SEPARATION apart (the largest simple, the smallest >= 0.5)
    and the largest column and row sums of |x| at least SEPARATION above the others (redrawn until so): every
    matrix norm is smooth there."""
    batch, (m, n) = shape[:-2], shape[-2:]
    k = min(m, n)
    while True:
        s = 0.5 + np.cumsum(rng.uniform(SEPARATION, 1.0, (*batch, k)), axis=-1)[..., ::-1]
        x = _orthogonal(rng, batch, m)[..., :k] @ (s[..., None] * _orthogonal(rng, batch, n)[..., :k, :])
        lines = [np.sort(np.abs(x).sum(axis=axis), axis=-1) for axis in (-2, -1)]
        if all(line.shape[-1] < 2 or np.all(line[..., -1] - line[..., -2] >= SEPARATION) for line in lines):
            return x


def _separated_spectrum(rng, shape):
    """Symmetric Q diag(w) Q^T with eigenvalues at least SEPARATION apart (simple eigenvalues: the eigenvectors are
    unique up to sign and differentiable), the k-th smallest in [-1.5 + k / 2, -1.5 + k] for k = 1..n: the smallest
    negative, from the third on positive."""
    batch, n = shape[:-2], shape[-1]
    w = -1.5 + np.cumsum(rng.uniform(SEPARATION + 0.25, 1.0, (*batch, n)), axis=-1)
    q = _orthogonal(rng, batch, n)
    a = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
    return (a + np.swapaxes(a, -1, -2)) / 2


def _attention_bool_mask(rng, shapes):
    # query, key, value real; a 0/1 int64 mask (True: attend) in which every query row sees at least one key (a
    # fully masked row is a special value of its own)
    *qkv, mask = shapes
    allowed = rng.uniform(size=mask) < 0.6
    allowed[..., rng.integers(0, mask[-1])] = True
    return (*(_real(rng, s) for s in qkv), allowed.astype(np.int64))


def _condition(rng, shapes):
    # where: a bool condition (about half True), x and y real
    condition, *operands = shapes
    return (rng.uniform(size=condition) < 0.5, *(_real(rng, s) for s in operands))


def _probabilities(rng, shapes):
    # binary_cross_entropy: probabilities away from 0 and 1 (its logs' poles), soft targets, positive weights
    input, target, *rest = shapes
    return rng.uniform(0.05, 0.95, input), rng.uniform(0.0, 1.0, target), *(rng.uniform(0.5, 3.0, s) for s in rest)


DOMAINS: dict[str, Sampler] = {
    "class_indices": _class_indices,
    "class_probabilities": _class_probabilities,
    "binary_targets": _binary_targets,
    "batch_norm_eval": _batch_norm_eval,
    "dropout": _dropout,
    "real": _each(_real),
    "positive": _each(_positive),
    "unit": _each(_unit),
    "nonzero": _each(_nonzero),
    "above_minus_one": _each(_above_minus_one),
    "nonzero_denominator": _nonzero_denominator,
    "unit_interval": _each(_unit_interval),
    "above_one": _each(_above_one),
    "between_steps": _each(_between_steps),
    "quotient_between_steps": _quotient_between_steps,
    "log_argument": _log_argument,
    "pow": _pow,
    "distinct_pair": _distinct_pair,
    "no_ties": _no_ties,
    "well_conditioned": _each(_well_conditioned),
    "symmetric_positive_definite": _each(_symmetric_positive_definite),
    "separated_norms": _each(_separated_norms),
    "separated_spectrum": _each(_separated_spectrum),
    "attention_bool_mask": _attention_bool_mask,
    "probabilities": _probabilities,
    "condition": _condition,
}


def sample(domain: str, shapes, seed: int) -> tuple[np.ndarray, ...]:
    """Draw float64 inputs of ``shapes`` from ``domain`` with ``seed``."""
    try:
        sampler = DOMAINS[domain]
    except KeyError:
        raise KeyError(f"unknown input domain {domain!r}; known: {', '.join(DOMAINS)}") from None
    arrays = sampler(np.random.default_rng(seed), tuple(None if s is None else tuple(s) for s in shapes))
    return tuple(
        a if a is None or a.dtype.kind in "iub" else np.asarray(a, dtype=np.float64)
        for a in (None if a is None else np.asarray(a) for a in arrays)
    )


def cotangent_like(shape, seed: int) -> np.ndarray:
    """A random cotangent (standard normal), never all ones: ``sum()`` hides wrong VJPs."""
    return np.random.default_rng(seed ^ 0x5EED).standard_normal(shape)


def cotangent_away_from_zero(shape, seed: int) -> np.ndarray:
    """A random cotangent whose every element is at least 0.5 in magnitude (random signs, magnitudes uniform in
    [0.5, 2)).  Where each output element's gradient is its own (an elementwise op at its branch points), a
    standard normal element near 0 would scale that element's gradient below the comparison's allowance and hide a
    wrong branch there (a factor-2 error passed in bfloat16 at a cotangent element of -0.055)."""
    rng = np.random.default_rng(seed ^ 0xB4A4C)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


def round_to(arrays, dtype: str) -> tuple[np.ndarray, ...]:
    """Round float arrays to ``dtype`` and back to float64 (the values a ``dtype`` backend sees, held
    exactly; :func:`reference.floats.round_values`: to nearest, ties to even, subnormals, overflow to inf,
    bfloat16 included); integer arrays (class indices) pass through unchanged.  In an integer or bool column
    (``reference.spec.INTEGER_DTYPES``) every integer or bool array becomes that dtype instead (:func:`to_integral`)."""
    if is_integral(dtype):
        return tuple(a if a is None or np.asarray(a).dtype.kind not in "iub" else to_integral(a, dtype) for a in arrays)
    return tuple(a if a is None or np.asarray(a).dtype.kind in "iub" else round_values(a, dtype) for a in arrays)


def to_integral(values, dtype: str) -> np.ndarray:
    """Integers (drawn as int64) in the integer column ``dtype``: int32 keeps the low 32 bits (two's complement
    wrap-around, NumPy's cast), bool is whether the value is odd (so about half of a draw is True); bools stay."""
    values = np.asarray(values)
    if values.dtype == np.bool_ or dtype != "bool":
        return values.astype(dtype)
    return np.asarray((values & 1) != 0)  # 0-d stays an array


# ---------------------------------------------------------------- indices (reference/indexing.py, issue #14)
def _indices(rng, shape, bound: int) -> np.ndarray:
    """int64 indices in [0, bound): repeats wherever the index has more elements than ``bound``."""
    return rng.integers(0, max(bound, 1), shape).astype(np.int64)


def _index_second(rng, shapes):
    # (x, index, src...): the index addresses x's shortest axis in full (catalog cases index that axis), so every
    # index in range is drawn, and repeats whenever the index is longer than the axis
    x, index, *rest = shapes
    return (_real(rng, x), _indices(rng, index, min(x, default=1)), *(_real(rng, s) for s in rest))


DOMAINS["index_second"] = _index_second


# ---------------------------------------------------------------- integers (reference/integers.py, issue #14)
# values at and next to the int32 and int64 limits, where wrap-around shows
INTEGER_EDGES = np.array(
    [2**31 - 1, 2**31 - 2, -(2**31), -(2**31) + 1, 2**63 - 1, -(2**63), 2**62 + 3, -(2**62) - 5, 65536, -65537],
    dtype=np.int64,
)


def _integers(rng, shape):
    # int64 draws: a third small (-20..20), a third at the edges above, a third anywhere in int64; the int32 column
    # keeps their low 32 bits and the bool column their parity (parity.inputs.to_integral)
    small = rng.integers(-20, 21, shape)
    edges = rng.choice(INTEGER_EDGES, shape)
    anywhere = rng.integers(-(2**63), 2**63 - 1, shape, dtype=np.int64, endpoint=True)
    which = rng.integers(0, 3, shape)
    return np.where(which == 0, small, np.where(which == 1, edges, anywhere)).astype(np.int64)


def _integer_divisors(rng, shapes):
    # (x, y) with y nonzero in every column: small divisors of both signs, -1 (INT_MIN // -1 wraps) and int32's
    # limits, all inside int32's range so that the int32 cast keeps them nonzero
    x, y = shapes
    divisors = np.array([-7, -3, -2, -1, 1, 2, 3, 5, 2**31 - 1, -(2**31), 65536], dtype=np.int64)
    return _integers(rng, x), rng.choice(divisors, y)


DOMAINS["integers"] = _each(_integers)
DOMAINS["integer_divisors"] = _integer_divisors


def _embedding(rng, shapes):
    # (weight, indices): every row of weight named, with repeats when there are more indices than rows
    weight, indices = shapes
    return _real(rng, weight), _indices(rng, indices, weight[0])


DOMAINS["embedding"] = _embedding
# one_hot's classes: the cases take num_classes >= 3 (or -1, inferred)
DOMAINS["class_labels"] = _each(lambda rng, shape: _indices(rng, shape, 3))
