"""The benchmark ladder: the sizes each catalog entry is timed at, and the inputs for each rung.

One x-axis per entry kind, so that a plot of time against size means the same thing for every
backend: elements of the first input for elementwise ops, reductions and shape ops; the side n of
an n x n matrix for matmul (and of the vectors of ``outer``); the batch size for layers and losses,
on shapes of a realistic size (a 16-channel 32 x 32 image, a 512-wide feature vector, 1,000 classes)
rather than the catalog's tiny test cases.

``quick`` is the ladder CI and ``parity run`` use (under 5 minutes on a 2-core machine); ``full`` is
the ladder the issue asks for: elementwise 1e2 to 1e8 elements, matmul 64^2 to 4096^2, layers over
batch sizes 1 to 256.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from parity.inputs import sample, stable_seed
from reference import CATALOG
from reference.spec import OpSpec

LADDERS = ("quick", "full")

ELEMENTS = {"quick": (10**2, 10**4, 10**6), "full": tuple(10**k for k in range(2, 9))}
SIDES = {"quick": (64, 256), "full": (64, 128, 256, 512, 1024, 2048, 4096)}
BATCHES = {"quick": (1, 16), "full": (1, 4, 16, 64, 256)}
# the half types too: on CPUs many half ops are slower than float32 (converted element by element), measured
DTYPES = ("float16", "bfloat16", "float32", "float64")

IMAGE = (16, 32, 32)  # channels, height, width for the image layers
FEATURES = 512
CLASSES = 1000

# Shapes (with B for the batch) and parameters of the layer and loss benchmarks.
BATCHED: dict[str, tuple[tuple, dict]] = {
    "linear": ((("B", FEATURES), (256, FEATURES), (256,)), {}),
    "conv2d": ((("B", *IMAGE), (32, 16, 3, 3), (32,)), {"padding": 1}),
    "max_pool2d": ((("B", *IMAGE),), {"kernel_size": 2}),
    "avg_pool2d": ((("B", *IMAGE),), {"kernel_size": 2}),
    "batch_norm": ((("B", *IMAGE), (16,), (16,)), {}),
    "batch_norm_eval": ((("B", *IMAGE), (16,), (16,), (16,), (16,)), {}),
    "layer_norm": ((("B", FEATURES), (FEATURES,), (FEATURES,)), {"normalized_shape": (FEATURES,)}),
    "flatten": ((("B", *IMAGE),), {}),
    "dropout": ((("B", *IMAGE), ("B", *IMAGE)), {"p": 0.3}),
    "mse_loss": ((("B", FEATURES), ("B", FEATURES)), {}),
    "huber_loss": ((("B", FEATURES), ("B", FEATURES)), {}),
    "cross_entropy": ((("B", CLASSES), ("B",)), {}),
    "cross_entropy_probs": ((("B", CLASSES), ("B", CLASSES)), {}),
    "nll_loss": ((("B", CLASSES), ("B",)), {}),
    "binary_cross_entropy_with_logits": ((("B", FEATURES), ("B", FEATURES)), {}),
}


@dataclass(frozen=True)
class Rung:
    """One entry at one size: what to feed it, and where it sits on the entry's x-axis."""

    entry: str
    size: int
    axis: str  # what ``size`` counts: "elements", "n" (matrix side) or "batch"
    shapes: tuple[tuple[int, ...], ...]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.axis}={self.size:.0e}" if self.axis == "elements" else f"{self.axis}={self.size}"

    def inputs(self) -> tuple[np.ndarray, ...]:
        """Seeded float64 inputs from the entry's domain (the same for every backend)."""
        return sample(CATALOG[self.entry].domain, self.shapes, stable_seed("ladder", self.entry, self.size))

    def bytes_moved(self, dtype: str) -> int:
        """Bytes a memory-bound entry (elementwise op, reduction) must read and write at ``dtype``: every input
        once, the output once (its size from the reference run on ones of the rung's shapes)."""
        with np.errstate(all="ignore"):
            out = CATALOG[self.entry].forward(*(np.ones(s) for s in self.shapes), **self.params)
        return np.dtype(dtype).itemsize * (sum(int(np.prod(s)) for s in self.shapes) + int(np.size(out)))


def _matrix(n: int) -> tuple[int, int]:
    """A 2-D shape of about ``n`` elements with rows of at most 1,024 (reductions run over the last axis)."""
    cols = min(n, 1024)
    return (max(1, n // cols), cols)


def rungs(spec: OpSpec, ladder: str) -> list[Rung]:
    """The rungs of ``spec`` on ``ladder`` ("quick" or "full"); empty for entries that are not timed."""
    if ladder not in LADDERS:
        raise ValueError(f"ladder must be one of {', '.join(LADDERS)}, got {ladder!r}")
    name, category = spec.name, spec.category
    params = dict(spec.cases[0].params)
    if category == "unary":
        return [Rung(name, n, "elements", ((n,),), params) for n in ELEMENTS[ladder]]
    if category == "binary":
        return [Rung(name, n, "elements", ((n,), (n,)), params) for n in ELEMENTS[ladder]]
    if category == "reduction":
        out = []
        for n in ELEMENTS[ladder]:
            shape = _matrix(n)
            axis = params.get("axis")
            p = {**params, "axis": axis if axis is None or len(shape) > abs(axis) else -1}
            out.append(Rung(name, n, "elements", (shape,), p))
        return out
    if name == "matmul":
        return [Rung(name, n, "n", ((n, n), (n, n))) for n in SIDES[ladder]]
    if name == "outer":
        return [Rung(name, n, "n", ((n,), (n,))) for n in SIDES[ladder]]
    if category == "shape":
        return [_shape_rung(name, n, params) for n in ELEMENTS[ladder] if n >= 10**4]
    if name in BATCHED:
        shapes, fixed = BATCHED[name]
        return [
            Rung(name, b, "batch", tuple(tuple(b if d == "B" else d for d in s) for s in shapes), fixed)
            for b in BATCHES[ladder]
        ]
    return []


def _shape_rung(name: str, n: int, params: dict) -> Rung:
    rows, cols = _matrix(n)
    if name == "reshape":
        return Rung(name, n, "elements", ((rows, cols),), {"shape": (cols, rows)})
    if name == "concatenate":
        return Rung(name, n, "elements", ((rows, cols), (rows, cols)), {"axis": 0})
    if name == "slice":
        return Rung(name, n, "elements", ((rows, cols),), {"index": (slice(1, None), slice(None, None, 2))})
    return Rung(name, n, "elements", ((rows, cols),), params)


def ladder_rungs(ladder: str) -> list[Rung]:
    """Every timed rung of every catalog entry."""
    return [rung for spec in CATALOG.values() for rung in rungs(spec, ladder)]
