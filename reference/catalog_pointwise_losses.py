"""Catalog entries for the pointwise losses (kind "loss"): l1_loss, smooth_l1_loss (beta, beta = 0), kl_div
(log_target; 'batchmean' against 'mean') and binary_cross_entropy on probabilities (logs clamped at -100)."""

from __future__ import annotations

import math

from reference import pointwise_losses
from reference.catalog_nn import _mean_loss_terms
from reference.spec import Case, OpSpec, Special

INF, NAN = math.inf, math.nan
# torch's binary_cross_entropy backward at x = 0, t = 1: -1 / EPSILON with EPSILON the float 1e-12 as a double
BCE_EDGE_GRAD = 1.0 / 9.999999960041972e-13
LN_HALF = math.log(0.5)

REGRESSION_CASES = (
    Case(((4, 5), (4, 5))),
    Case(((6,), (6,)), {"reduction": "sum"}),
    Case(((3, 2), (3, 2)), {"reduction": "none"}),
    Case(((), ())),
)

ENTRIES = (
    OpSpec(
        "l1_loss",
        pointwise_losses.l1_loss,
        "loss",
        REGRESSION_CASES,
        kind="loss",
        accumulation=_mean_loss_terms,
        kinks="not differentiable at input == target (sign(0) = 0 is stated there); sampled away from it",
        specials=(
            Special(
                "kink",
                ([0.0, 2.0, -1.0], [0.0, 0.0, 0.0]),
                [0.0, 2.0, 1.0],
                params={"reduction": "none"},
                cotangent=[1.0, 1.0, 1.0],
                grads=([0.0, 1.0, -1.0],),
                note="sign(0) = 0: no gradient at the kink (torch)",
            ),
            Special(
                "nan-grad",
                ([NAN, 3.0], [0.0, 1.0]),
                [NAN, 2.0],
                params={"reduction": "none"},
                cotangent=[1.0, 1.0],
                grads=([NAN, 1.0],),
                note="the gradient at NaN is NaN (the reference, as for abs); torch's sgn(NaN) = 0 gives 0 (declared)",
            ),
            Special("inf-minus-inf", ([INF, 1.0], [INF, 0.0]), NAN, note="inf - inf is NaN, and so is the mean"),
        ),
    ),
    OpSpec(
        "smooth_l1_loss",
        pointwise_losses.smooth_l1_loss,
        "loss",
        (
            Case(((4, 5), (4, 5))),
            Case(((6,), (6,)), {"reduction": "sum", "beta": 0.5}),
            Case(((3, 2), (3, 2)), {"reduction": "none", "beta": 2.0}),
            Case(((2, 3), (2, 3)), {"beta": 0.0}),
        ),
        kind="loss",
        accumulation=_mean_loss_terms,
        kinks="C1 at |d| = beta (the second derivative jumps); with beta = 0 the l1 kink at d = 0, sampled away from",
        specials=(
            Special(
                "branches",
                ([0.25, 0.5, -2.0, 0.0], [0.0, 0.0, 0.0, 0.0]),
                [0.0625, 0.25, 1.75, 0.0],
                params={"reduction": "none", "beta": 0.5},
                cotangent=[1.0, 1.0, 1.0, 1.0],
                grads=([0.5, 1.0, -1.0, 0.0],),
                note="0.5 d^2 / beta inside |d| < beta, |d| - beta / 2 from |d| = beta on: both 0.25 at the seam",
            ),
            Special(
                "beta-zero-is-l1",
                ([1.0, -2.0, 0.0], [0.0, 0.0, 0.0]),
                [1.0, 2.0, 0.0],
                params={"reduction": "none", "beta": 0.0},
                cotangent=[1.0, 1.0, 1.0],
                grads=([1.0, -1.0, 0.0],),
                note="beta = 0 is |d| (torch calls l1_loss): never 0 / 0",
            ),
            Special(
                "beta-zero-nan",
                ([NAN, 1.0], [0.0, 0.0]),
                [NAN, 1.0],
                params={"reduction": "none", "beta": 0.0},
                cotangent=[1.0, 1.0],
                grads=([NAN, 1.0],),
                note="with beta = 0 the gradient at NaN is sign(NaN) = NaN; torch's l1 path gives 0 (declared)",
            ),
            Special(
                "infinite",
                ([INF, -INF], [0.0, 0.0]),
                [INF, INF],
                params={"reduction": "none"},
                cotangent=[1.0, 1.0],
                grads=([1.0, -1.0],),
                note="the linear branch: infinite loss, gradient +-1",
            ),
        ),
    ),
    OpSpec(
        "kl_div",
        pointwise_losses.kl_div,
        "loss",
        (
            Case(((4, 5), (4, 5))),
            Case(((4, 5), (4, 5)), {"reduction": "batchmean"}),
            Case(((3, 2, 2), (3, 2, 2)), {"reduction": "batchmean", "log_target": True}),
            Case(((6,), (6,)), {"reduction": "sum", "log_target": True}),
            Case(((3, 2), (3, 2)), {"reduction": "none"}),
        ),
        domain="positive",
        kind="loss",
        fd_step=1.0,
        fd_step_reason="linear in the input (the target is a constant): central differences are exact",
        accumulation=_mean_loss_terms,
        specials=(
            Special(
                "batchmean",
                ([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [[0.5, 0.5, 0.0], [0.25, 0.25, 0.5]]),
                2.5 * LN_HALF / 2.0,
                params={"reduction": "batchmean"},
                note="Σ t log t = 2.5 log(1/2) over the batch of 2: the KL divergence per sample",
            ),
            Special(
                "mean-divides-by-every-element",
                ([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [[0.5, 0.5, 0.0], [0.25, 0.25, 0.5]]),
                2.5 * LN_HALF / 6.0,
                note="'mean' divides by all 6 elements, not by the batch size (torch warns; a port that maps "
                "'batchmean' to a mean is off by the number of classes)",
            ),
            Special(
                "zero-target",
                ([-1.0, -INF], [0.0, 0.0]),
                [0.0, NAN],
                params={"reduction": "none"},
                cotangent=[1.0, 1.0],
                grads=([0.0, 0.0],),
                note="xlogy(0, 0) = 0, so a zero target costs nothing -- but 0 * -inf of the -t x term is NaN (torch)",
            ),
            Special(
                "log-target",
                ([0.0, -1.0], [0.0, -INF]),
                [0.0, NAN],
                params={"reduction": "none", "log_target": True},
                cotangent=[1.0, 1.0],
                grads=([-1.0, 0.0],),
                note="exp(t) (t - x): a log-target of -inf is exp(-inf) * -inf = 0 * -inf = NaN (torch)",
            ),
            Special(
                "batchmean-0d",
                (-1.0, 0.5),
                0.5 * (LN_HALF + 1.0),
                params={"reduction": "batchmean"},
                note="a 0-d input has no batch axis: 'batchmean' is the sum (torch divides only when input.dim() > 0)",
            ),
        ),
        notes="input holds log-probabilities; the target gets no gradient",
    ),
    OpSpec(
        "binary_cross_entropy",
        pointwise_losses.binary_cross_entropy,
        "loss",
        (
            Case(((4, 3), (4, 3))),
            Case(((4, 3), (4, 3), (3,)), {"reduction": "sum"}),
            Case(((5,), (5,), (5,)), {"reduction": "none"}),
            Case(((2, 3, 2), (2, 3, 2))),
        ),
        domain="probabilities",
        kind="loss",
        accumulation=_mean_loss_terms,
        specials=(
            Special(
                "log-clamp",
                ([0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]),
                [100.0, 100.0, 0.0, 0.0],
                params={"reduction": "none"},
                cotangent=[1.0, 1.0, 1.0, 1.0],
                grads=([-BCE_EDGE_GRAD, BCE_EDGE_GRAD, 0.0, 0.0],),
                dtypes=("float64", "float32"),
                note="a certain wrong answer costs 100, not inf: both logs are clamped at -100; the gradient "
                "(x - t) / max(x (1 - x), 1e-12) ignores the clamp: +-1e12 (1e-12 is a C float in torch), which "
                "float16 cannot hold",
            ),
            Special(
                "weights",
                ([0.5, 0.5], [1.0, 0.0], [2.0, 0.0]),
                math.log(2.0),
                note="each element's loss is scaled by its weight, and 'mean' still divides by the element count: "
                "(2 log 2 + 0) / 2",
            ),
            Special(
                "soft-target",
                ([0.5], [0.25]),
                math.log(2.0),
                note="a target between 0 and 1: -(t log x + (1 - t) log(1 - x)) = log 2 at x = 1/2, whatever t",
            ),
        ),
        notes="input and target must be probabilities in [0, 1] (NaN is not): both sides raise otherwise",
    ),
)
