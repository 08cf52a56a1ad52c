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

Sampler = Callable[[np.random.Generator, tuple[tuple[int, ...], ...]], tuple[np.ndarray, ...]]


def stable_seed(*parts) -> int:
    """A 32-bit seed from the string forms of ``parts`` (stable across processes and runs)."""
    return zlib.crc32("|".join(map(str, parts)).encode())


def _each(draw) -> Sampler:
    return lambda rng, shapes: tuple(None if s is None else draw(rng, s) for s in shapes)


def _real(rng, shape):
    return rng.uniform(-3.0, 3.0, shape)


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


DOMAINS: dict[str, Sampler] = {
    "class_indices": _class_indices,
    "class_probabilities": _class_probabilities,
    "binary_targets": _binary_targets,
    "batch_norm_eval": _batch_norm_eval,
    "dropout": _dropout,
    "real": _each(_real),
    "positive": _each(_positive),
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
}


def sample(domain: str, shapes, seed: int) -> tuple[np.ndarray, ...]:
    """Draw float64 inputs of ``shapes`` from ``domain`` with ``seed``."""
    try:
        sampler = DOMAINS[domain]
    except KeyError:
        raise KeyError(f"unknown input domain {domain!r}; known: {', '.join(DOMAINS)}") from None
    arrays = sampler(np.random.default_rng(seed), tuple(None if s is None else tuple(s) for s in shapes))
    return tuple(
        a if a is None or a.dtype.kind in "iu" else np.asarray(a, dtype=np.float64)
        for a in (None if a is None else np.asarray(a) for a in arrays)
    )


def cotangent_like(shape, seed: int) -> np.ndarray:
    """A random cotangent (standard normal), never all ones: ``sum()`` hides wrong VJPs."""
    return np.random.default_rng(seed ^ 0x5EED).standard_normal(shape)


def round_to(arrays, dtype: str) -> tuple[np.ndarray, ...]:
    """Round float arrays to ``dtype`` and back to float64 (the values a ``dtype`` backend sees, held
    exactly; :func:`reference.floats.round_values`: to nearest, ties to even, subnormals, overflow to inf,
    bfloat16 included); integer arrays (class indices) pass through unchanged."""
    return tuple(a if a is None or np.asarray(a).dtype.kind in "iu" else round_values(a, dtype) for a in arrays)
