"""Deliberately wrong backends.  Each changes one op of the NumPy backend in a way real
implementations have got wrong; the meta-tests assert that the harness catches every one.

They are ordinary backends, so they also run through the whole suite, e.g.
``pytest --backend numpy --backend tests.meta.planted:SigmoidVjpOffByTwo -k sigmoid``.
"""

import numpy as np

from impls.declare import Divergence, fact_is
from impls.numpy_backend import NumpyBackend
from reference import elementwise, linalg, order, reductions
from reference.floats import to_numpy_dtype


class _Planted(NumpyBackend):
    """Replaces the forward and/or VJP of ``op``; everything else is the reference."""

    op: str = ""

    def bad_forward(self, *inputs, **params):
        return None

    def bad_vjp(self, g, *inputs, **params):
        return None

    def _forward(self, spec, inputs, params):
        with np.errstate(all="ignore"):
            out = self.bad_forward(*inputs, **params) if spec.name == self.op else None
        return super()._forward(spec, inputs, params) if out is None else out

    def _vjp(self, spec, inputs, params, cotangent):
        with np.errstate(all="ignore"):
            grads = self.bad_vjp(cotangent, *inputs, **params) if spec.name == self.op else None
        return super()._vjp(spec, inputs, params, cotangent) if grads is None else grads


class SigmoidVjpOffByTwo(_Planted):
    name, op = "planted-sigmoid-vjp", "sigmoid"

    def bad_vjp(self, g, x):
        s = 1.0 / (1.0 + np.exp(-x))
        return (2.0 * g * s * (1.0 - s),)


class TransposedMatmul(_Planted):
    """Computes (a @ b)^T when the result is square, a's transpose against b otherwise."""

    name, op = "planted-matmul", "matmul"

    def bad_forward(self, a, b):
        if a.ndim >= 2 and a.shape[-2] == a.shape[-1]:
            return np.swapaxes(a, -1, -2) @ b
        out = np.matmul(a, b)
        if out.ndim == 0:
            return out + 1.0
        return np.swapaxes(out, -1, -2) if out.ndim >= 2 else out[::-1].copy()


class NaiveLogsumexp(_Planted):
    """log(sum(exp(x))) without the max shift: right for small x, inf for logits of 1e3."""

    name, op = "planted-logsumexp", "logsumexp"

    def bad_forward(self, x, axis=None, keepdims=False):
        return np.log(np.sum(np.exp(x), axis=reductions.normalize_axes(axis, x.ndim), keepdims=keepdims))


class Float64Leak(_Planted):
    """A float32 op that returns float64 (computes in double and forgets to cast back)."""

    name, op = "planted-exp-dtype", "exp"

    def bad_forward(self, x):
        return np.exp(x.astype(np.float64))


class SoftmaxVjpOnlyRightForOnes(_Planted):
    """p * (g - mean(g)): exact when g is all ones (both sides are 0), wrong for any other g."""

    name, op = "planted-softmax-vjp", "softmax"

    def bad_vjp(self, g, x, axis=-1):
        p = reductions.softmax(x, axis=axis)
        return (p * (g - np.mean(g, axis=axis, keepdims=True)),)


class ReluGradOneAtZero(_Planted):
    """relu'(0) = 1 instead of 0: only a kink check sees it."""

    name, op = "planted-relu-kink", "relu"

    def bad_vjp(self, g, x):
        return (np.where(x >= 0, g, 0.0).astype(x.dtype),)


class AbsKeepsNegativeZero(_Planted):
    """abs(-0.0) = -0.0: equal under ==, caught only by the signed-zero check."""

    name, op = "planted-abs-zero", "abs"

    def bad_forward(self, x):
        return np.where(x < 0, -x, x)


class MaxIgnoresNan(_Planted):
    """nanmax instead of max: drops NaN (the fmax behaviour)."""

    name, op = "planted-max-nan", "max"

    def bad_forward(self, x, axis=None, keepdims=False):
        return np.asarray(np.nanmax(x, axis=reductions.normalize_axes(axis, x.ndim), keepdims=keepdims))


class InvVjpWithoutTransposes(_Planted):
    """-a^-1 g a^-1 for inv's gradient: right for symmetric a only (the transposes of -a^-T g a^-T dropped)."""

    name, op = "planted-inv-vjp", "inv"

    def bad_vjp(self, g, a):
        y = np.linalg.inv(a)
        return (-(y @ g @ y),)


class DetGradientVanishesWhereSingular(_Planted):
    """det's gradient g det(a) a^-T, with 0 wherever det(a) = 0 (torch 2.13's behaviour): right wherever a is
    invertible, wrong at singular matrices, where the derivative is the (finite) cofactor matrix."""

    name, op = "planted-det-singular", "det"

    def bad_vjp(self, g, a):
        d = np.linalg.det(a)
        if np.any(d == 0):
            return (np.zeros_like(a),)
        return (g[..., None, None] * d[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2),)


class SvdUFlipsSigns(_Planted):
    """svd_u with the sign of every other column flipped, and its VJP consistent with that choice: another valid
    SVD (U D, Vh D with D = diag(+-1)), which the gauge must accept."""

    name, op = "planted-svd-u-signs", "svd_u"

    @staticmethod
    def _flips(u):
        return np.where(np.arange(u.shape[-1]) % 2 == 0, -1.0, 1.0).astype(u.dtype)

    def bad_forward(self, a):
        u = linalg.svd_u(a)
        return u * self._flips(u)

    def bad_vjp(self, g, a):
        return linalg.svd_u.vjp(g * self._flips(g), a)


class SvdUMixesVectors(_Planted):
    """svd_u with its first two columns rotated by 45 degrees: still orthonormal columns spanning the same space, but
    not singular vectors (no sign flip can undo it)."""

    name, op = "planted-svd-u-mixed", "svd_u"

    def bad_forward(self, a):
        u = linalg.svd_u(a).copy()
        if u.shape[-1] > 1:
            first, second = u[..., 0].copy(), u[..., 1].copy()
            u[..., 0], u[..., 1] = (first + second) / np.sqrt(2), (second - first) / np.sqrt(2)
        return u


class SvdUVjpWithoutProjection(_Planted):
    """svd_u's gradient without the term (I - U U^T) gU S^-1 V^T, which only a tall matrix (m > n) has."""

    name, op = "planted-svd-u-vjp", "svd_u"

    def bad_vjp(self, g, a):
        u, s, vh = linalg.finite_svd(a)
        full = linalg.svd_grad(a, gu=g)
        if a.shape[-2] > s.shape[-1]:
            utg = np.swapaxes(u, -1, -2) @ g
            full = full - (g - u @ utg) @ (vh / s[..., :, None])
        return (full,)


class ReadOnlyArrays(NumpyBackend):
    """Arrays that refuse item assignment, as JAX's immutable arrays do: the loops must not need it."""

    name = "planted-read-only"

    def _asarray(self, x, dtype, device):
        out = super()._asarray(x, dtype, device)
        out.flags.writeable = False
        return out


class NoGpuHere(NumpyBackend):
    """A backend with a cuda device that is never usable: its GPU cells skip with this reason."""

    name = "planted-no-gpu"
    devices = ("cpu", "cuda")

    def device_problem(self, device):
        return "planted: no usable GPU" if device == "cuda" else super().device_problem(device)


class Unloadable(NumpyBackend):
    """A backend whose framework is missing: loading it raises BackendUnavailable."""

    name = "planted-unloadable"

    def __init__(self):
        from impls import BackendUnavailable

        raise BackendUnavailable("planted: this framework is not installed")


# ---------------------------------------------------------------- declared divergences with conditions
class _GeluAtInfinity(_Planted):
    """Declares that gelu(+inf) is NaN where the fact ``planted.isa`` is 'wide' (like oneDNN's AVX-512 kernel).

    ``isa`` is this machine's value of the fact (None: cannot be told); ``gives`` is what gelu(+inf)
    returns (None: the reference's +inf).  The meta-tests run one subclass per combination."""

    op = "gelu"
    isa: str | None = None
    gives: float | None = None
    provides_facts = ("planted.isa",)
    declarations = (
        Divergence(
            "gelu",
            "planted: the wide kernel returns NaN at +inf",
            check="special",
            variant="plus-inf",
            when=(fact_is("planted.isa", "wide"),),
            returns=[np.nan, np.nan],
        ),
    )

    def facts(self):
        return {"planted.isa": self.isa}

    def bad_forward(self, x):
        if self.gives is None or not np.any(x == np.inf):
            return None
        return np.where(x == np.inf, np.asarray(self.gives, x.dtype), elementwise.gelu(x))


class DivergesWhereDeclared(_GeluAtInfinity):
    name, isa, gives = "planted-div-holds", "wide", np.nan


class DeclaredButBehavesLikeTheReference(_GeluAtInfinity):
    name, isa, gives = "planted-div-stale", "wide", None


class DivergesWhereNotDeclared(_GeluAtInfinity):
    name, isa, gives = "planted-div-elsewhere", "narrow", np.nan


class AgreesWhereNotDeclared(_GeluAtInfinity):
    name, isa, gives = "planted-div-absent", "narrow", None


class DivergesWhereUnknown(_GeluAtInfinity):
    name, isa, gives = "planted-div-unknown", None, np.nan


class DivergesDifferently(_GeluAtInfinity):
    """Declares NaN at +inf, returns 0: a different wrong answer, a failure under any condition."""

    name, isa, gives = "planted-div-other", "narrow", 0.0


class PropertyDivergenceNotDrawn(_Planted):
    """Declares a divergence on generated inputs and behaves like the reference on every draw."""

    name, op = "planted-property-not-drawn", "exp"
    declarations = (Divergence("exp", "planted: some generated draw may differ", check="property"),)


DECLARED = [
    DivergesWhereDeclared,
    DeclaredButBehavesLikeTheReference,
    DivergesWhereNotDeclared,
    AgreesWhereNotDeclared,
    DivergesWhereUnknown,
    DivergesDifferently,
]


class CrashingExp(_Planted):
    """An exp whose kernel raises (a bug in the backend, not a wrong value): a crash, never a small mismatch."""

    name, op = "planted-crash", "exp"

    def bad_forward(self, x):
        raise RuntimeError("planted: the exp kernel crashed")


# ---------------------------------------------------------------- issue #20: one planted bug per class of survivor
class MaximumNanBranch(_Planted):
    """maximum's VJP with the winner test written ``a >= b``: identical except where a NaN makes every
    comparison false, where x's gradient becomes 0 instead of g (only the NaN branch differs)."""

    name, op = "planted-maximum-nan-branch", "maximum"

    def bad_vjp(self, g, x, y):
        from reference._op import unbroadcast

        gx = np.where(x == y, g / 2, np.where(x >= y, g, 0.0))
        gy = np.where(x == y, g / 2, np.where(x > y, 0.0, g))
        return unbroadcast(gx, x.shape), unbroadcast(gy, y.shape)


class ClipHalvesAtBounds(_Planted):
    """clip's VJP as jnp.clip's: g / 2 where x equals a bound (the reference, torch's clamp_backward: g)."""

    name, op = "planted-clip-halves-at-bounds", "clip"
    dtypes = (*_Planted.dtypes, "bfloat16")  # ml_dtypes' bfloat16 arrays: clip's forward and this VJP run on them

    def _asarray(self, x, dtype, device):
        return to_numpy_dtype(x, dtype) if dtype == "bfloat16" else super()._asarray(x, dtype, device)

    def bad_vjp(self, g, x, min=None, max=None):  # noqa: A002 - the catalog's names
        inside = (x >= (-np.inf if min is None else min)) & (x <= (np.inf if max is None else max))
        at_bound = (x == min) | (x == max)
        return (np.where(at_bound, g / 2, np.where(inside, g, 0.0)).astype(x.dtype),)


def _unbroadcast_leading_only(grad, shape):
    """Sums the added leading axes and forgets the stretched size-1 ones whenever it had leading axes to sum."""
    extra = grad.ndim - len(shape)
    if extra:
        return grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


class MulUnbroadcastsLeadingAxesOnly(_Planted):
    """mul's VJP whose un-broadcasting is right for added axes alone and for size-1 axes alone, not both at once."""

    name, op = "planted-mul-unbroadcast", "mul"

    def bad_vjp(self, g, x, y):
        return _unbroadcast_leading_only(g * y, x.shape), _unbroadcast_leading_only(g * x, y.shape)


class MulDropsLastGradient(_Planted):
    """Returns the gradient of x only: a comparison that zips gradients with expected ones would check x alone."""

    name, op = "planted-mul-one-gradient", "mul"

    def bad_vjp(self, g, x, y):
        from reference._op import unbroadcast

        return (unbroadcast(g * y, x.shape),)


class OptimizerStopsEarly(NumpyBackend):
    """An optimizer trajectory one step short (a zip with a shorter list would compare the steps it has)."""

    name = "planted-optimizer-short"

    def run_optimizer(self, name, param0, grads, lrs, hyper, dtype, device):
        return super().run_optimizer(name, param0, grads[:-1], lrs[:-1], hyper, dtype, device)


class OptimizerIgnoresLrSchedule(NumpyBackend):
    """Keeps the first learning rate for every step: only a trajectory that changes the learning rate sees it."""

    name = "planted-optimizer-constant-lr"

    def run_optimizer(self, name, param0, grads, lrs, hyper, dtype, device):
        return super().run_optimizer(name, param0, grads, [lrs[0]] * len(lrs), hyper, dtype, device)


class Float16SumAccumulatesInFloat16(_Planted):
    """Promises float32 accumulation for float16 (as torch does) but sums pairwise in float16, every partial sum
    rounded: within float16's own (pairwise) accumulation bound, outside the float32 bound it promised; the sum
    of 4096 ones stays exact (partial sums of ones are powers of two), so only the promise catches it."""

    name, op = "planted-float16-accumulation", "sum"
    accumulates = {"float16": "float32"}

    def bad_forward(self, x, axis=None, keepdims=False):
        if x.dtype != np.float16:
            return None
        axes = reductions.normalize_axes(axis, x.ndim)
        rest = [d for i, d in enumerate(x.shape) if i not in axes]
        rows = np.moveaxis(x, axes, tuple(range(len(axes)))).reshape((-1, *rest))
        while rows.shape[0] > 1:  # pairwise: halve the rows, adding in float16
            odd = rows[-1:] if rows.shape[0] % 2 else rows[:0]
            even = rows[: rows.shape[0] - len(odd)]
            rows = np.concatenate([even[0::2] + even[1::2], odd])
        total = rows[0] if rows.shape[0] else np.zeros(rest, dtype=np.float16)
        return np.expand_dims(total, axes) if keepdims else total


class Int32AddSaturates(_Planted):
    """(#14) int32 addition that saturates at the int32 limits instead of wrapping around (computed in int64 and
    clipped); int64 and bool are right.  Not in ALL, whose sweep runs the float columns:
    tests/meta/test_integer_columns.py runs it through the int32, int64 and bool columns."""

    name, op = "planted-int32-add-saturates", "int_add"

    def bad_forward(self, x, y):
        if x.dtype != np.int32:
            return None
        total = np.clip(x.astype(np.int64) + y.astype(np.int64), -(2**31), 2**31 - 1)
        return total.astype(np.int32)


class ArgmaxLastOfTies(_Planted):
    """argmax returning the last of tied maxima (np.argmax on the reversed slice): right wherever nothing ties."""

    name, op = "planted-argmax-last", "argmax"

    def bad_forward(self, x, axis, keepdims=False):
        if x.ndim == 0:
            return None
        n = x.shape[axis]
        return (n - 1 - np.argmax(np.flip(x, axis), axis=axis, keepdims=keepdims)).astype(np.int64)


class ArgsortAsFloat(_Planted):
    """argsort whose indices come back as floats of the input's dtype (the right numbers, the wrong dtype)."""

    name, op = "planted-argsort-float", "argsort"

    def bad_forward(self, x, axis=-1):
        return order.argsort(x, axis=axis).astype(x.dtype)


class TopkOtherTies(_Planted):
    """topk's indices taking the last of tied values, in reverse order: as correct as the reference's choice."""

    name, op = "planted-topk-other-ties", "topk_indices"

    def bad_forward(self, x, k, axis=-1, largest=True):
        flipped = np.flip(x, axis) if x.ndim else x
        picked = order.topk_indices(flipped, k=k, axis=axis, largest=largest)
        return picked if x.ndim == 0 else (x.shape[axis] - 1 - picked).astype(np.int64)


class TopkRepeatsAnIndex(_Planted):
    """topk's indices with the first one repeated where k > 1: the values at them look right where the first two
    tie, but an element was taken twice."""

    name, op = "planted-topk-repeats", "topk_indices"

    def bad_forward(self, x, k, axis=-1, largest=True):
        picked = order.topk_indices(x, k=k, axis=axis, largest=largest)
        if x.ndim == 0 or k < 2:
            return None
        picked = np.moveaxis(picked.copy(), axis, -1)
        picked[..., 1] = picked[..., 0]
        return np.moveaxis(picked, -1, axis)


class WhereGradientToBoth(_Planted):
    """where whose gradient passes g to x and y everywhere (the mask forgotten in the backward)."""

    name, op = "planted-where-both", "where"

    def bad_vjp(self, g, condition, x, y):
        from reference._op import unbroadcast

        return unbroadcast(g, x.shape), unbroadcast(g, y.shape)


ALL = [
    SigmoidVjpOffByTwo,
    TransposedMatmul,
    NaiveLogsumexp,
    Float64Leak,
    SoftmaxVjpOnlyRightForOnes,
    ReluGradOneAtZero,
    AbsKeepsNegativeZero,
    MaxIgnoresNan,
    InvVjpWithoutTransposes,
    DetGradientVanishesWhereSingular,
    ArgmaxLastOfTies,
    ArgsortAsFloat,
    TopkRepeatsAnIndex,
    WhereGradientToBoth,
]
