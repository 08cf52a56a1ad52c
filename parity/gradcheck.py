"""Reference VJPs against central finite differences, in float64.

Two modes:

* :func:`check_vjp_projected` (fast): for a random cotangent v and random
  directions u, compares ``<vjp(v), u>`` with the central difference of
  ``<v, f(x + t u)>`` at ``t = 0``.  One forward pair per direction, whatever the size.
* :func:`check_vjp_full` (slow): builds the whole Jacobian twice, column by
  column from finite differences and row by row from one-hot cotangents, and
  compares the matrices element by element.

Error budget for a step ``eps`` (float64, unit roundoff u ~ 1.1e-16): truncation
is O(eps**2 |f'''|) and relative, rounding is ~ u * S / eps with S the magnitude
of the summed terms.  With eps = 1e-6 the rounding term is ~1e-10 * S; we allow
1e-8 * S (a conditioning factor of 100) plus rtol 1e-6 for truncation.  For
(bi)linear ops the catalog sets eps = 1: central differences are then exact.
"""

from __future__ import annotations

import numpy as np

from parity.compare import Context, Measurement, Mismatch, assert_close, assert_count
from reference._op import differentiable

FD_RTOL = 1e-6
FD_ROUNDING = 1e-8


def _perturbed(inputs, directions, t):
    """Inputs moved by ``t * u``; inputs without a direction (``None``: no gradient) stay as they are."""
    return tuple(x if u is None else np.asarray(x + t * u) for x, u in zip(inputs, directions))


def check_vjp_projected(
    forward, vjp, inputs, params, *, eps: float, seed: int, context: Context, directions: int = 3
) -> Measurement:
    """Raise :class:`Mismatch` unless ``<vjp(v), u> == d/dt <v, f(x + t u)>`` for random v, u."""
    rng = np.random.default_rng(seed)
    out = forward(*inputs, **params)
    v = rng.standard_normal(out.shape)
    grads = vjp(v, *inputs, **params)
    worst = Measurement()
    wanted = differentiable(forward, inputs)
    assert_count(grads, sum(wanted), what="gradients from the VJP", context=context)
    for k in range(directions):
        us = tuple(rng.standard_normal(x.shape) if want else None for x, want in zip(inputs, wanted))
        plus = forward(*_perturbed(inputs, us, eps), **params)
        minus = forward(*_perturbed(inputs, us, -eps), **params)
        numeric = (np.sum(v * plus) - np.sum(v * minus)) / (2 * eps)
        analytic = sum(np.sum(g * u) for g, u in zip(grads, (u for u in us if u is not None)))
        scale = (np.sum(np.abs(v * plus)) + np.sum(np.abs(v * minus))) / eps
        ctx = Context(**{**context.__dict__, "detail": f"direction {k}: <vjp(v), u> vs finite difference"})
        measured = assert_close(
            np.asarray(analytic, dtype=np.float64),
            np.asarray(numeric),
            dtype="float64",
            rtol=FD_RTOL,
            atol=FD_ROUNDING * scale + 1e-12,
            context=ctx,
        )
        worst = worst.worst(measured)
    return worst


def jacobian_fd(forward, inputs, params, *, eps: float) -> np.ndarray:
    """The Jacobian (outputs x all input elements) by central differences."""
    out_size = forward(*inputs, **params).size
    columns = []
    for i, (x, want) in enumerate(zip(inputs, differentiable(forward, inputs))):
        if not want:
            continue
        for j in range(x.size):
            step = np.zeros(x.size)
            step[j] = eps
            step = step.reshape(x.shape)
            plus = [*inputs]
            minus = [*inputs]
            plus[i], minus[i] = np.asarray(x + step), np.asarray(x - step)
            diff = forward(*plus, **params) - forward(*minus, **params)
            columns.append(diff.reshape(out_size) / (2 * eps))
    return np.stack(columns, axis=1) if columns else np.zeros((out_size, 0))


def jacobian_vjp(forward, vjp, inputs, params) -> np.ndarray:
    """The Jacobian built from the VJP applied to every one-hot cotangent."""
    out = forward(*inputs, **params)
    rows = []
    for k in range(out.size):
        e = np.zeros(out.size)
        e[k] = 1.0
        grads = vjp(e.reshape(out.shape), *inputs, **params)
        rows.append(np.concatenate([g.reshape(-1) for g in grads]) if grads else np.zeros(0))
    width = sum(x.size for x, want in zip(inputs, differentiable(forward, inputs)) if want)
    return np.stack(rows, axis=0) if rows else np.zeros((0, width))


def check_vjp_full(forward, vjp, inputs, params, *, eps: float, context: Context) -> Measurement:
    """Raise :class:`Mismatch` unless the VJP's Jacobian equals the finite-difference Jacobian."""
    numeric = jacobian_fd(forward, inputs, params, eps=eps)
    analytic = jacobian_vjp(forward, vjp, inputs, params)
    out = forward(*inputs, **params)
    scale = 2 * np.max(np.abs(out), initial=1.0) / eps
    try:
        return assert_close(analytic, numeric, dtype="float64", rtol=FD_RTOL, atol=FD_ROUNDING * scale, context=context)
    except Mismatch as error:
        raise Mismatch(
            f"{error}\n(Jacobian index = (output element, flattened input element))", error.measurement
        ) from None
