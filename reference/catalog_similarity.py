"""Catalog entry for cosine_similarity (kind "layer")."""

from __future__ import annotations

import math

import numpy as np

from reference import similarity
from reference.spec import Case, OpSpec, Special

SQRT2 = math.sqrt(2.0)


def _cosine_terms(inputs, params):
    """Two norms and a dot product, each a sum of n products (Higham), then divisions: terms n along ``dim``,
    magnitude Σ |u| |v| + 2 (the dot product's terms, and a relative error of each norm on a cosine of at most 1)."""
    x1, x2 = np.broadcast_arrays(*inputs)
    dim = params.get("dim", 1)
    u, v = (np.abs(similarity._unit(x, dim, params.get("eps", 1e-8))[0]) for x in (x1, x2))
    return x1.shape[dim], np.sum(u * v, axis=dim) + 2.0


ENTRIES = (
    OpSpec(
        "cosine_similarity",
        similarity.cosine_similarity,
        "layer",
        (
            Case(((4, 3), (4, 3))),
            Case(((2, 3, 5), (3, 1)), {"dim": -2}),
            Case(((5,), (5,)), {"dim": 0}),
            Case(((1, 3), (4, 3)), {"eps": 0.5}),
        ),
        domain="nonzero",
        kind="layer",
        accumulation=_cosine_terms,
        specials=(
            Special("orthogonal", ([[1.0, 0.0]], [[0.0, 1.0]]), [0.0]),
            Special("parallel", ([[1.0, 2.0]], [[2.0, 4.0]]), [1.0], note="the scale of either input cancels"),
            Special(
                "eps-per-norm",
                ([[1e-9, 0.0]], [[1.0, 1.0]]),
                [0.1 / SQRT2],
                cotangent=[1.0],
                grads=([[0.9 / (1e-8 * SQRT2), 1.0 / (1e-8 * SQRT2)]], [[0.05 / SQRT2, -0.05 / SQRT2]]),
                dtypes=("float64",),
                note="each norm is clamped at eps on its own: 1e-9 / (1e-8 sqrt 2), where clamping the product of "
                "the norms (older torch) gives 0.1; the gradient differentiates the unclamped norm (torch clamps "
                "in place under no_grad), which is not the clamped forward's derivative (that would be 1 / (1e-8 "
                "sqrt 2) in the first element)",
            ),
            Special(
                "zero-vector",
                ([[0.0, 0.0]], [[1.0, 1.0]]),
                [0.0],
                cotangent=[1.0],
                grads=([[1.0 / (1e-8 * SQRT2), 1.0 / (1e-8 * SQRT2)]], [[0.0, 0.0]]),
                dtypes=("float64", "float32"),
                note="a zero vector has similarity 0 with anything (its norm clamps to eps), not 0/0; the norm's "
                "gradient at 0 is 0 (torch)",
            ),
            Special(
                "broadcast-then-norm",
                ([[3.0, 4.0]], [[1.0]]),
                [7.0 / (5.0 * SQRT2)],
                note="x2 is broadcast to [1, 1] before its norm is taken (sqrt 2, not 1)",
            ),
            Special("inf", ([[math.inf, 1.0]], [[1.0, 1.0]]), [math.nan], note="inf / inf is NaN"),
        ),
        notes="x1 and x2 broadcast (torch documents it); the gradient of a broadcast input is summed back",
    ),
)
