"""What ``parity audit`` draws for a catalog entry: the data types of the audit plans and the hypothesis
building blocks they share.

The plans themselves live beside the catalog modules (:mod:`reference.catalog_audit` for the entries of
:mod:`reference.catalog`, :mod:`reference.catalog_nn_audit` for the layers and losses), each with the
reference's deliberate differences from the oracle's semantics, declared with the model of
:mod:`impls.declare`.  This module imports hypothesis; nothing imports it but the plans and the audit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

INF, NAN = math.inf, math.nan
TINY = np.finfo(np.float64).tiny  # the smallest normal float64; below it, the subnormals
SUBNORMAL = 5e-324
REDUCTIONS = ("none", "mean", "sum")


@dataclass(frozen=True)
class Config:
    """One generated configuration of an op, layer or loss: float64 arrays (int64 class indices, None for an
    absent optional input), keyword parameters, and the seed of the random cotangent."""

    inputs: tuple
    params: Mapping[str, Any] = field(default_factory=dict)
    cotangent_seed: int = 0

    def describe(self) -> str:
        return f"inputs ({', '.join(map(_describe_array, self.inputs))}), params {dict(self.params)}"


@dataclass(frozen=True)
class Trajectory:
    """One generated optimizer run: the initial parameter, one gradient and one learning rate per step."""

    param0: np.ndarray
    grads: tuple
    lrs: tuple
    hyper: Mapping[str, Any] = field(default_factory=dict)

    @property
    def inputs(self) -> tuple:
        return (self.param0, *self.grads)

    @property
    def params(self) -> Mapping[str, Any]:
        return {**self.hyper, "lrs": self.lrs}

    def describe(self) -> str:
        steps = f"{len(self.grads)} steps, lrs {list(self.lrs)}"
        return f"param {_describe_array(self.param0)}, {steps}, hyper {dict(self.hyper)}"


def _describe_array(x, most: int = 12) -> str:
    """dtype, shape, and the values of a small array."""
    if x is None:
        return "None"
    head = f"{x.dtype}{list(x.shape)}"
    return f"{head} {x.tolist()}" if 0 < x.size <= most else head


@dataclass(frozen=True)
class AuditPlan:
    """How the audit explores one entry.

    configs
        a zero-argument function returning the hypothesis strategy of :class:`Config` (or
        :class:`Trajectory` for an optimizer); called when the audit runs, so plans cost nothing at import.
    declarations
        the reference's deliberate differences from the oracle's semantics on this entry:
        :class:`~impls.declare.Divergence` (values differ) and :class:`~impls.declare.Unsupported` (a form the
        oracle accepts and the reference rejects, with an error that names the argument and says "not
        supported"), each with an ``inputs`` predicate saying which generated configurations it covers.
    signed_zero
        compare the sign of zero results (the catalog's special values state it for the entry).
    oracle_bugs
        wrong behaviours of the oracle found on this entry, each pinned by a test (:class:`OracleBug`).
    """

    configs: Callable[[], st.SearchStrategy]
    declarations: tuple = ()
    signed_zero: bool = False
    oracle_bugs: tuple[OracleBug, ...] = ()


@dataclass(frozen=True)
class OracleBug:
    """A wrong behaviour of the oracle that the audit found (not a convention of its own): ``inputs`` says which
    configurations show it, ``test`` names the test that pins exactly what the oracle does, so a fix upstream
    is noticed."""

    reason: str
    test: str
    inputs: Callable[[tuple, Mapping[str, Any]], bool]
    check: str | None = None

    def covers(self, check: str, config) -> bool:
        return (self.check is None or self.check == check) and bool(self.inputs(config.inputs, config.params))


# ---------------------------------------------------------------- values
SPECIALS = (0.0, -0.0, INF, -INF, NAN, 1.0, -1.0, 0.5, 2.0)


def values(bound: float = 1e3, *, wide: bool = False, specials=SPECIALS) -> st.SearchStrategy:
    """float64 elements: ordinary values in [-bound, bound] most of the time, the special values, subnormals
    (and their neighbours, the smallest normals), and with ``wide`` any finite float64 (tails and overflow).

    Entries that sum many terms keep ``wide`` off: products of huge values overflow in an order that differs
    between summation schemes (inf - inf = NaN in one, inf in the other), which is no bug of either side."""
    ordinary = st.floats(-bound, bound, allow_subnormal=True)
    subnormal = st.floats(-TINY * 4, TINY * 4, allow_subnormal=True)
    branches = [ordinary, ordinary, ordinary, st.sampled_from(specials), subnormal]
    if wide:
        branches.append(st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True))
    return st.one_of(*branches)


def arrays(shape, elements=None) -> st.SearchStrategy:
    """float64 arrays of ``shape``; most arrays repeat a fill value, so ties are common."""
    return hnp.arrays(np.float64, shape, elements=values() if elements is None else elements)


def shapes(min_dims=0, max_dims=3, min_side=0, max_side=4) -> st.SearchStrategy:
    """Array shapes with size-0 and size-1 sides."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def mask_rows(draw, x: np.ndarray, axis: int, value: float = -INF) -> np.ndarray:
    """``x`` with some of its slices along ``axis`` (rows of logits, lines of a pooling input) set to ``value``:
    fully masked rows and windows."""
    if x.ndim == 0 or x.shape[axis] == 0:
        return x
    moved = np.moveaxis(x.copy(), axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    chosen = draw(st.lists(st.integers(0, max(len(rows) - 1, 0)), max_size=2)) if len(rows) else []
    for r in chosen:
        rows[r] = value
    return np.moveaxis(rows.reshape(moved.shape), -1, axis)


def cotangent_seeds() -> st.SearchStrategy:
    return st.integers(0, 2**32 - 1)


def reductions() -> st.SearchStrategy:
    return st.sampled_from(REDUCTIONS)


def int_or_pair(low: int, high: int) -> st.SearchStrategy:
    """Every form torch accepts for a 2-D size: an int, a pair, a 1-tuple, a list of one or two."""
    one = st.integers(low, high)
    return st.one_of(
        one,
        st.tuples(one, one),
        st.tuples(one),
        st.lists(one, min_size=1, max_size=2),
    )


def as_pair(value) -> tuple[int, int]:
    """The (height, width) of an :func:`int_or_pair` value."""
    if isinstance(value, (tuple, list)):
        return (value[0], value[-1])
    return (value, value)
