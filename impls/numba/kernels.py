"""Numba kernels over rows - the backward kernels of the reductions, the classification losses - plus the
fused optimizer updates and the compiled training loops.  The forward reductions and the summation they
all share (within the catalog's accumulation bound) are in :mod:`impls.numba.reductions`.

``parallel=True`` (prange) only where the work pays for the threads: the forward reductions, the optimizer
updates on large arrays (and matmul, in :mod:`impls.numba.matmul`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from impls.numba import vecmath32 as V32
from impls.numba.reductions import row_log_softmax, row_logsumexp, row_softmax, vector_sum


@njit(cache=True)
def row_var_vjp(a, g, correction):
    out = np.empty_like(a)
    n = a.shape[1]
    dof = n - correction
    for i in range(a.shape[0]):
        mean = vector_sum(a[i]) / n
        scale = 2.0 * g[i] / dof if dof > 0 else 2.0 * g[i] * np.inf
        for j in range(n):
            out[i, j] = scale * (a[i, j] - mean)
    return out


@njit(cache=True)
def row_extremum_vjp(a, out, g):
    """Ties share the gradient evenly; a NaN extremum gets NaN for the whole row."""
    grad = np.zeros_like(a)
    for i in range(a.shape[0]):
        count = 0
        for v in a[i]:
            if v == out[i]:
                count += 1
        for j in range(a.shape[1]):
            if count == 0:
                grad[i, j] = np.nan
            elif a[i, j] == out[i]:
                grad[i, j] = g[i] / count
    return grad


@njit(cache=True)
def row_logsumexp_vjp(a, g):
    out = np.empty_like(a)
    lse = row_logsumexp(a)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[i, j] = g[i] * V32.exp(a[i, j] - lse[i])
    return out


@njit(cache=True)
def row_softmax_vjp(a, g):
    p = row_softmax(a)
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        dot = vector_sum(g[i] * p[i])
        out[i] = p[i] * (g[i] - dot)
    return out


@njit(cache=True)
def row_log_softmax_vjp(a, g):
    lse = row_logsumexp(a)
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        total = vector_sum(g[i])
        for j in range(a.shape[1]):
            out[i, j] = g[i, j] - V32.exp(a[i, j] - lse[i]) * total
    return out


# ---------------------------------------------------------------- losses over rows of logits
@njit(cache=True)
def ce_coefficients(n_classes, target, weight, eps, ignore_index):
    """Per row: the class coefficients a (loss_i = -Σ a_ic log_softmax_ic) and its weight (torch's rules)."""
    rows = target.shape[0]
    coeff = np.zeros((rows, n_classes), dtype=weight.dtype)
    row_weight = np.zeros(rows, dtype=weight.dtype)
    for i in range(rows):
        t = target[i]
        if t == ignore_index:
            continue
        row_weight[i] = weight[t]
        for c in range(n_classes):
            coeff[i, c] = eps / n_classes * weight[c]
        coeff[i, t] += (1.0 - eps) * weight[t]
    return coeff, row_weight


@njit(cache=True)
def ce_rows(logits, coeff):
    lsm = row_log_softmax(logits)
    out = np.empty(logits.shape[0], dtype=logits.dtype)
    for i in range(logits.shape[0]):
        terms = coeff[i] * lsm[i]
        for c in range(terms.size):  # a zero coefficient (another class, an ignored row) never meets a -inf log p
            if coeff[i, c] == 0:
                terms[c] = 0
        out[i] = -vector_sum(terms)
    return out


@njit(cache=True)
def ce_rows_vjp(logits, coeff, g):
    p = row_softmax(logits)
    out = np.empty_like(logits)
    for i in range(logits.shape[0]):
        total = vector_sum(coeff[i])
        out[i] = g[i] * (p[i] * total - coeff[i])
    return out


# ---------------------------------------------------------------- fused optimizer updates (one pass per step)
@njit(cache=True, parallel=True)
def sgd_step(p, g, buf, lr, momentum, dampening, nesterov, weight_decay, first):
    out = np.empty_like(p)
    for i in prange(p.size):
        d = g.flat[i] + weight_decay * p.flat[i]
        if momentum != 0.0:
            b = d if first else momentum * buf.flat[i] + (1.0 - dampening) * d
            buf.flat[i] = b
            d = d + momentum * b if nesterov else b
        out.flat[i] = p.flat[i] - lr * d
    return out


@njit(cache=True, parallel=True)
def adam_step(p, g, m, v, vmax, lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled, step):
    out = np.empty_like(p)
    bias1 = 1.0 - beta1**step
    bias2_sqrt = math.sqrt(1.0 - beta2**step)
    for i in prange(p.size):
        param, grad = p.flat[i], g.flat[i]
        if decoupled:
            param = param * (1.0 - lr * weight_decay)
        else:
            grad = grad + weight_decay * param
        mi = m.flat[i] + (1.0 - beta1) * (grad - m.flat[i])
        vi = v.flat[i] * beta2 + (1.0 - beta2) * grad * grad
        m.flat[i], v.flat[i] = mi, vi
        second = vi
        if amsgrad:
            second = max(vmax.flat[i], vi)
            vmax.flat[i] = second
        out.flat[i] = param - (lr / bias1) * mi / (math.sqrt(second) / bias2_sqrt + eps)
    return out


@njit(cache=True, parallel=True)
def rmsprop_step(p, g, sq, gavg, buf, lr, alpha, eps, weight_decay, momentum, centered):
    out = np.empty_like(p)
    for i in prange(p.size):
        grad = g.flat[i] + weight_decay * p.flat[i]
        s = sq.flat[i] * alpha + (1.0 - alpha) * grad * grad
        sq.flat[i] = s
        if centered:
            a = gavg.flat[i] * alpha + (1.0 - alpha) * grad
            gavg.flat[i] = a
            avg = math.sqrt(s - a * a) + eps
        else:
            avg = math.sqrt(s) + eps
        if momentum > 0.0:
            b = buf.flat[i] * momentum + grad / avg
            buf.flat[i] = b
            out.flat[i] = p.flat[i] - lr * b
        else:
            out.flat[i] = p.flat[i] - lr * grad / avg
    return out


@njit(cache=True, parallel=True)
def adagrad_step(p, g, acc, clr, eps, weight_decay):
    """torch.optim.Adagrad's step at the step's decayed learning rate ``clr``; ``acc`` (sum of squares) in place."""
    out = np.empty_like(p)
    for i in prange(p.size):
        grad = g.flat[i] + weight_decay * p.flat[i]
        s = acc.flat[i] + grad * grad
        acc.flat[i] = s
        out.flat[i] = p.flat[i] - clr * (grad / (math.sqrt(s) + eps))
    return out


# ---------------------------------------------------------------- the poly loop, compiled as a whole
# fastmath is limited to {"reassoc", "contract"}: reordering the 100-term sums and fusing multiply-adds
# changes rounding by a few u per step, inside the loop's trajectory allowance ((k+1) * 16 u * scale);
# the flags that assume no NaN/inf ("nnan", "ninf") stay off.
@njit(cache=True, fastmath={"reassoc", "contract"})
def poly_loop(XT, y, w, lr, steps):
    """Gradient descent on mean((X w - y)**2), step for step, with X given transposed (features, points)
    so that every inner loop runs over contiguous points and vectorises."""
    k, n = XT.shape
    losses = np.empty(steps, dtype=XT.dtype)
    first = np.empty(k, dtype=XT.dtype)
    err = np.empty(n, dtype=XT.dtype)
    w = w.copy()
    scale = XT.dtype.type(2.0 / n)
    for step in range(steps):
        for i in range(n):
            err[i] = -y[i]
        for j in range(k):
            wj = w[j]
            for i in range(n):
                err[i] += XT[j, i] * wj
        total = XT.dtype.type(0.0)
        for i in range(n):
            total += err[i] * err[i]
        losses[step] = total / n
        for j in range(k):
            acc = XT.dtype.type(0.0)
            for i in range(n):
                acc += XT[j, i] * err[i]
            g = scale * acc
            if step == 0:
                first[j] = g
            w[j] -= lr * g
    return losses, w, first


@njit(cache=True, fastmath={"reassoc", "contract"})
def linreg_step(x, y, w, b, lr):
    """One step of sum-of-squares linear regression: loss, gradients, then the update (one pass over x)."""
    n, k = x.shape
    gw = np.zeros(k, dtype=x.dtype)
    gb = x.dtype.type(0.0)
    loss = x.dtype.type(0.0)
    for i in range(n):
        pred = b
        for j in range(k):
            pred += x[i, j] * w[j]
        r = pred - y[i]
        loss += r * r
        gb += 2.0 * r
        for j in range(k):
            gw[j] += 2.0 * r * x[i, j]
    return loss, gw, gb, w - lr * gw, b - lr * gb
