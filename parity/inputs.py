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

Sampler = Callable[[np.random.Generator, tuple[tuple[int, ...], ...]], tuple[np.ndarray, ...]]


def stable_seed(*parts) -> int:
    """A 32-bit seed from the string forms of ``parts`` (stable across processes and runs)."""
    return zlib.crc32("|".join(map(str, parts)).encode())


def _each(draw) -> Sampler:
    return lambda rng, shapes: tuple(draw(rng, s) for s in shapes)


def _real(rng, shape):
    return rng.uniform(-3.0, 3.0, shape)


def _positive(rng, shape):
    return rng.uniform(0.1, 4.0, shape)


def _nonzero(rng, shape):
    # |x| >= 0.1, far from 0 compared with the finite-difference step.
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 3.0, shape)


def _above_minus_one(rng, shape):
    return rng.uniform(-0.9, 3.0, shape)


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


DOMAINS: dict[str, Sampler] = {
    "real": _each(_real),
    "positive": _each(_positive),
    "nonzero": _each(_nonzero),
    "above_minus_one": _each(_above_minus_one),
    "nonzero_denominator": _nonzero_denominator,
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
    arrays = sampler(np.random.default_rng(seed), tuple(tuple(s) for s in shapes))
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)


def cotangent_like(shape, seed: int) -> np.ndarray:
    """A random cotangent (standard normal), never all ones: ``sum()`` hides wrong VJPs."""
    return np.random.default_rng(seed ^ 0x5EED).standard_normal(shape)


def round_to(arrays, dtype: str) -> tuple[np.ndarray, ...]:
    """Round float64 arrays to ``dtype`` and back: the values a ``dtype`` backend sees, held exactly."""
    with np.errstate(over="ignore"):
        return tuple(np.asarray(a, dtype=np.float64).astype(dtype).astype(np.float64) for a in arrays)
