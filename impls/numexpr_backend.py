"""The NumExpr backend: every op it can express as one NumExpr expression, gradients included.

Arrays are NumPy arrays.  Constants are passed as variables of the array's dtype: NumExpr types a
literal like ``0.5`` as float64, so ``x * 0.5`` with float32 x would come back float64 (the pinned
divergence in tests/test_divergences.py); ``x * half`` with ``half = float32(0.5)`` stays float32.
Reductions use NumExpr's own ``sum``/``max``/``min`` (one axis per call, applied axis by axis).
"""

from __future__ import annotations

import math

import numpy as np

from impls import numexpr_integers, numexpr_reductions
from impls.base import Backend, BackendUnavailable, HostArrays
from impls.declare import Divergence
from impls.numexpr_activations import CONSTANTS as ACTIVATION_CONSTANTS
from impls.numexpr_activations import UNARY as ACTIVATION_UNARY
from impls.numexpr_mathfuncs import BINARY as MATHFUNC_BINARY
from impls.numexpr_mathfuncs import UNARY as MATHFUNC_UNARY
from impls.numexpr_mathfuncs import UNSUPPORTED as MATHFUNC_UNSUPPORTED
from impls.numexpr_mathfuncs import expression_params
from reference._checks import normalize_axes
from reference.catalog import CATALOG
from reference.catalog_linalg import CONTRACTIONS, LAPACK_ENTRIES
from reference.pointwise_losses import BCE_EPSILON, LOG_FLOOR, _kl_divisor

NOT_ELEMENTWISE = "numexpr evaluates elementwise expressions and single-axis reductions; it has no {what}"
UNSUPPORTED = {
    "erf": "numexpr has no erf; substituting an approximation (e.g. a tanh form) would test a different function",
    "gelu": "the exact GELU needs erf, which numexpr lacks (the tanh approximation is a different function)",
    "logsumexp": "a stable logsumexp needs max, then sum(exp(x - max)): numexpr cannot nest a reduction in an "
    "expression, so it cannot be one expression",
    "softmax": "needs a reduction inside the expression (the max shift and the normaliser); numexpr cannot nest them",
    "log_softmax": "needs a stable logsumexp inside the expression; numexpr cannot nest reductions",
    "matmul": NOT_ELEMENTWISE.format(what="matrix product"),
    "outer": NOT_ELEMENTWISE.format(what="outer product (broadcasting would do, but not as the catalog's 1-D API)"),
    "transpose": NOT_ELEMENTWISE.format(what="axis permutation: it moves no values"),
    "reshape": NOT_ELEMENTWISE.format(what="reshape: it moves no values"),
    "concatenate": NOT_ELEMENTWISE.format(what="concatenation: it moves no values"),
    "slice": NOT_ELEMENTWISE.format(what="indexing: it moves no values"),
    "cross_entropy": "needs log_softmax (a nested reduction), which numexpr cannot express",
    "cross_entropy_probs": "needs log_softmax (a nested reduction), which numexpr cannot express",
    "nll_loss": "needs a gather by class index, which numexpr cannot express",
    **{
        op: NOT_ELEMENTWISE.format(what="linear algebra (factorisations, contractions)")
        for op in (*LAPACK_ENTRIES, *CONTRACTIONS)
    },
    **numexpr_reductions.UNSUPPORTED,
    **dict.fromkeys(
        ("take_along_axis", "index_select", "scatter_add", "index_add", "embedding", "one_hot", "pad"),
        NOT_ELEMENTWISE.format(what="indexed reads or writes (gathers, scatter-adds, padding)"),
    ),
    **MATHFUNC_UNSUPPORTED,
}
for _name, _spec in CATALOG.items():
    if _spec.kind == "layer":
        UNSUPPORTED.setdefault(_name, NOT_ELEMENTWISE.format(what="windows, matrix products or per-channel statistics"))
# Its arrays are NumPy arrays, so a loop written with `@` would run -- on NumPy, not numexpr: declared instead.
for _loop in ("poly", "linreg", "mlp", "cnn", "transformer"):
    UNSUPPORTED[_loop] = "every training loop needs matrix products, which numexpr cannot evaluate"


# forward expression, and the expression of each input's gradient (g is the cotangent)
UNARY = {
    "neg": ("-x", "-g"),
    "abs": ("abs(x)", "where(x != x, x, where(x > zero, g, where(x < zero, -g, zero * g)))"),  # NaN: NaN
    "exp": ("exp(x)", "g * exp(x)"),
    "expm1": ("expm1(x)", "g * exp(x)"),
    "log": ("log(x)", "g / x"),
    "log1p": ("log1p(x)", "g / (one + x)"),
    "sqrt": ("sqrt(x)", "g / (two * sqrt(x))"),
    "square": ("x * x", "two * x * g"),
    "reciprocal": ("one / x", "-g / (x * x)"),
    "sin": ("sin(x)", "g * cos(x)"),
    "cos": ("cos(x)", "-g * sin(x)"),
    "tanh": ("tanh(x)", "g * (one - tanh(x) * tanh(x))"),
    # exp(-x) overflows to inf for x < -88 (float32): 1 / (1 + inf) = 0 is still the right limit
    "sigmoid": ("one / (one + exp(-x))", "g * (one / (one + exp(-x))) * (one - one / (one + exp(-x)))"),
    "relu": ("where(x > zero, x, where(x != x, x, zero))", "where(x > zero, g, zero)"),
    "leaky_relu": ("where(x > zero, x, x * negative_slope)", "where(x > zero, g, g * negative_slope)"),
    "softplus": (
        "(where(x * beta > zero, x * beta, zero) + log1p(exp(-abs(x * beta)))) / beta",
        "g / (one + exp(-(x * beta)))",
    ),
}
BINARY = {
    "add": ("x + y", "g", "g"),
    "sub": ("x - y", "g", "-g"),
    "mul": ("x * y", "g * y", "g * x"),
    "div": ("x / y", "g / y", "-g * x / (y * y)"),
    "pow": (
        "x ** y",
        "where(y == zero, zero, g * y * x ** (y - one))",
        "where((x == zero) & (y >= zero), zero, g * x ** y * log(x))",
    ),
    # numexpr's own maximum/minimum (2.13.1+) propagate NaN like NumPy's: one function call per element where the
    # three nested where() this replaced cost three (measured 13.7 ms against 31 ms on 10^6 float32); ties
    # split the gradient evenly
    "maximum": (
        "maximum(x, y)",
        "where(x == y, g * half, where(x < y, zero, g))",
        "where(x == y, g * half, where(x > y, zero, g))",
    ),
    "minimum": (
        "minimum(x, y)",
        "where(x == y, g * half, where(x > y, zero, g))",
        "where(x == y, g * half, where(x < y, zero, g))",
    ),
}
UNARY.update(MATHFUNC_UNARY)
UNARY.update(ACTIVATION_UNARY)
BINARY.update(MATHFUNC_BINARY)
LOSSES = {  # per-element loss and its derivative in the input; then reduced
    "mse_loss": ("(x - t) * (x - t)", "two * (x - t)"),
    "huber_loss": (
        "where(abs(x - t) <= delta, half * (x - t) * (x - t), delta * (abs(x - t) - half * delta))",
        "where(x - t > delta, delta, where(x - t < -delta, -delta, x - t))",
    ),
    "binary_cross_entropy_with_logits": (  # a term with coefficient 0 costs nothing (not 0 * inf = NaN)
        "where(pw * t == zero, zero, pw * t * (where(-x > zero, -x, zero) + log1p(exp(-abs(x))))) "
        "+ where(one - t == zero, zero, (one - t) * (where(x > zero, x, zero) + log1p(exp(-abs(x)))))",
        "(one - t) / (one + exp(-x)) - pw * t / (one + exp(x))",
    ),
    # the pointwise losses of #15 (reference/pointwise_losses.py); sign(NaN) stays NaN through the nested where()
    "l1_loss": ("abs(x - t)", "where(x - t > zero, one, where(x - t < zero, -one, zero * (x - t)))"),
    "smooth_l1_loss": (
        "where(abs(x - t) < beta, half * (x - t) * (x - t) / beta, abs(x - t) - half * beta)",
        "where(x - t > beta, one, where(x - t < -beta, -one, where(beta == zero, zero * (x - t), (x - t) / beta)))",
    ),
    "kl_div": ("where(t == zero, zero, t * log(t)) - t * x", "-t"),
    "kl_div:log_target": ("exp(t) * (t - x)", "-exp(t)"),
    "binary_cross_entropy": (
        "(t - one) * where(log1p(-x) > lowest, log1p(-x), lowest) - t * where(log(x) > lowest, log(x), lowest)",
        "(x - t) / where((one - x) * x > eps, (one - x) * x, eps)",
    ),
}


# Measured reasons for the cells slower than 1.5x NumPy (parity.speed's verdict), from the quick ladder's
# largest rung (10^6 elements) on the shared 2-core AMD EPYC test machine, numexpr 2.14.2, NumPy 2.4.
_VM = (
    "numexpr's virtual machine: one opcode over blocks of 4096 elements, {ours} against NumPy's {numpy} "
    "(float32; the float64 cell is closer, the copy bandwidth dominating); measured with one numexpr thread too "
    "(x*x on 10^6 float32: 0.64 ms against NumPy's 0.16 ms), so it is the VM's loop, not threading"
)
_CALL = (
    "numexpr evaluates {what} by calling a C function per element (no SIMD): {ours} against NumPy's {numpy} "
    "(float32 at 10^6 elements)"
)
_REDUCE = (
    "numexpr's reductions run on one thread through the VM, without SIMD: {ours} against NumPy's {numpy} "
    "(10^6 float32){extra}"
)
_WHERE = (
    "an expression of several opcodes, function calls and where() (numexpr has no fused function for it), each a "
    "pass of the VM over blocks of 4096 elements without SIMD calls: logaddexp 160 ms against NumPy's 72 ms, "
    "hypot 53 ms against 13 ms, floor_divide (fmod and floor) 108 ms against 75 ms (10^6 float32, best of 15 in "
    "one process, 17:07 UTC, loaded machine)"
)
_SMALL = (
    "at the ladder's batch 16 x 512 (8192 elements) numexpr's fixed cost per evaluate() (expression lookup, the "
    "hand-off to its thread pool) and its single-threaded sum() dominate: mse_loss 0.275 ms against NumPy's "
    "0.031 ms (float32, best of 15 in one process)"
)
_LIBM_CALL = (
    "numexpr evaluates it by calling the C library's function per element through its VM (no SIMD), as it does "
    "sin: sin 10.6 ms against NumPy's 3.3 ms (10^6 float32, best of 15 in one process, 17:07 UTC)"
)
_LIBM_CALL_OPS = "acos acosh asin asinh atan atanh cosh sinh expm1 log1p log10 log2".split()
_WHERE_OPS = (
    "relu leaky_relu sigmoid "
    "clip exp2 hypot floor_divide remainder fmod logaddexp xlogy atan2 mish nanmean nansum std "
    "log_sigmoid selu elu silu gelu_tanh hardtanh pow"
).split()
SPEED_NOTES = {
    **{
        op: _VM.format(ours=ours, numpy=numpy)
        for op, ours, numpy in (
            ("neg", "0.36 ms", "0.11 ms"),
            ("add", "0.57 ms", "0.17 ms"),
            ("sub", "0.59 ms", "0.17 ms"),
            ("mul", "0.94 ms", "0.25 ms"),
            ("div", "0.54 ms", "0.21 ms"),
            ("square", "0.75 ms", "0.11 ms"),
            ("reciprocal", "0.57 ms", "0.14 ms"),
            ("sqrt", "1.9 ms", "0.41 ms"),
        )
    },
    **{
        op: _CALL.format(what=what, ours=ours, numpy=numpy)
        for op, what, ours, numpy in (
            ("abs", "abs", "0.98 ms", "0.11 ms"),
            (
                "maximum",
                "maximum (its NaN-propagating function, 13.7 ms, replaced three where() at 31 ms)",
                "12 ms",
                "0.18 ms",
            ),
            ("minimum", "minimum (its NaN-propagating function)", "11 ms", "0.21 ms"),
            ("sin", "sin", "13 ms", "1.8 ms"),
            ("cos", "cos", "13.6 ms", "2.0 ms"),
            ("tanh", "tanh", "34 ms", "2.8 ms"),
            ("log", "log", "2.9 ms", "1.8 ms"),
            ("exp", "exp (8.2 ms against 13.3 ms, 0.62x, in the run before: a borderline cell)", "6.8 ms", "4.4 ms"),
            ("softplus", "exp, log1p and abs", "20.6 ms", "11.6 ms"),
            ("huber_loss", "abs inside three where() (batch 16 x 512)", "0.21 ms", "0.037 ms"),
            ("binary_cross_entropy_with_logits", "exp, log1p and abs inside where()", "0.33 ms", "0.19 ms"),
        )
    },
    **{
        op: _CALL.format(what=what, ours=ours, numpy=numpy)
        for op, what, ours, numpy in (
            ("floor", "floor (ceil and trunc are the same kind of call)", "2.6 ms", "0.19 ms"),
            ("ceil", "ceil (measured on floor, the same kind of call)", "2.6 ms", "0.19 ms"),
            ("trunc", "trunc (measured on floor, the same kind of call)", "2.6 ms", "0.19 ms"),
            ("round", "round, whose result is float64 for float32 x and is cast back", "4.7 ms", "0.18 ms"),
            ("sign", "sign", "10.4 ms on one thread", "0.92 ms"),
        )
    },
    "rsqrt": _VM.format(ours="3.1 ms", numpy="0.93 ms") + "; one / sqrt(x) is two opcodes, one of them a call",
    **dict.fromkeys(_WHERE_OPS, _WHERE),
    **dict.fromkeys(_LIBM_CALL_OPS, _LIBM_CALL),
    **dict.fromkeys(("mse_loss", "binary_cross_entropy", "l1_loss", "smooth_l1_loss", "kl_div"), _SMALL),
    **{
        op: _REDUCE.format(ours=ours, numpy=numpy, extra=extra)
        for op, ours, numpy, extra in (
            ("sum", "1.08 ms", "0.27 ms", ""),
            ("mean", "1.08 ms", "0.29 ms", ": the sum, then one division"),
            ("var", "5.2 ms", "1.6 ms", ": two sums and the squares"),
            ("max", "2.4 ms", "0.10 ms", "; it also skips NaN (a declared divergence)"),
            ("min", "3.9 ms", "0.084 ms", "; it also skips NaN (a declared divergence)"),
        )
    },
}


class NumexprBackend(HostArrays, Backend):
    """NumPy arrays, computed by NumExpr's multithreaded virtual machine."""

    name = "numexpr"
    devices = ("cpu",)
    dtypes = ("float32", "float64", "int32", "int64", "bool")
    unsupported_dtypes = {
        "float16": "NumExpr's virtual machine has no float16 type (bool, int32, int64, float32, float64, complex): "
        "it computes float16 inputs in float32 and returns float32 (measured, NumExpr 2.14)",
        "bfloat16": "NumExpr's virtual machine has no bfloat16 type, and NumPy none to hand it",
    }
    unsupported = UNSUPPORTED
    speed_notes = SPEED_NOTES
    declarations = (
        Divergence(
            "max",
            "numexpr's max() reduction skips NaN (like np.nanmax): max([1, nan, 3]) is 3, not NaN",
            check="special",
            variant="nan",
            returns=3.0,
        ),
        Divergence(
            "max",
            "numexpr's max() skips NaN, so the maximum of [1, nan] is 1 and its gradient goes to the 1",
            check="special",
            variant="nan-grad",
            returns=1.0,
            grads=([1.0, 0.0],),
        ),
        Divergence(
            "min",
            "numexpr's min() reduction skips NaN (like np.nanmin): min([1, nan, 3]) is 1",
            check="special",
            variant="nan",
            returns=1.0,
        ),
        Divergence(
            "sum",
            "numexpr's sum() starts at +0.0, so the sum of negative zeros is +0.0 (IEEE: -0.0)",
            check="special",
            variant="signed-zero",
            returns=0.0,
        ),
    )

    def __init__(self):
        try:
            import numexpr
        except ImportError as error:
            raise BackendUnavailable(f"numexpr is not installed ({error}); pip install 'parity[numexpr]'") from error
        self.ne = numexpr
        numexpr.set_num_threads(numexpr.detect_number_of_cores())

    def implemented_ops(self):
        return (
            set(UNARY)
            | set(BINARY)
            | {k for k in LOSSES if ":" not in k}
            | {"sum", "mean", "var", "max", "min", "where", *numexpr_reductions.OPS, *numexpr_integers.EXPRESSIONS}
        )

    # ---------------------------------------------------------------- evaluation helpers
    def evaluate(self, expression: str, dtype, **arrays) -> np.ndarray:
        """Evaluate with the constants zero/half/one/two of ``dtype`` (never float64 literals)."""
        t = np.dtype(dtype).type
        constants = {"zero": t(0), "half": t(0.5), "one": t(1), "two": t(2)}
        constants.update({name: t(value) for name, value in ACTIVATION_CONSTANTS.items() if name in expression})
        typed = {k: (t(v) if np.isscalar(v) else v) for k, v in arrays.items()}
        return np.asarray(self.ne.evaluate(expression, local_dict={**constants, **typed}), dtype=dtype)

    def reduce(self, kind: str, x: np.ndarray, axes, keepdims: bool) -> np.ndarray:
        """NumExpr's sum/max/min over several axes, one axis per call (highest axis first)."""
        out = x
        for axis in sorted(axes, reverse=True):
            out = self.ne.evaluate(f"{kind}(a, axis={axis})", local_dict={"a": out})
        out = np.asarray(out, dtype=x.dtype)
        return out.reshape([1 if i in axes else n for i, n in enumerate(x.shape)]) if keepdims else out

    def _unbroadcast(self, g, shape):
        extra = g.ndim - len(shape)
        axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1)
        return self.reduce("sum", g, axes, keepdims=False).reshape(shape) if axes else g

    # ---------------------------------------------------------------- ops
    def _forward(self, spec, inputs, params):
        name, dtype = spec.name, inputs[0].dtype
        if name == "where":  # (#14) the bool condition first: the result has x's dtype
            condition, x, y = inputs
            return self.evaluate("where(c, x, y)", x.dtype, c=condition, x=x, y=y)
        if name in numexpr_integers.EXPRESSIONS:  # (#14) exact integer/bool arithmetic, NumExpr's result dtype
            return numexpr_integers.forward(self.ne, name, inputs, params)
        if name in UNARY:
            return self.evaluate(UNARY[name][0], dtype, x=inputs[0], **expression_params(name, params))
        if name in BINARY:
            return self.evaluate(BINARY[name][0], dtype, x=inputs[0], y=inputs[1])
        if name in LOSSES:
            return self._loss(name, inputs, params)
        return self._reduction(name, inputs[0], params)

    def _vjp(self, spec, inputs, params, cotangent):
        name, dtype, g = spec.name, inputs[0].dtype, cotangent
        if name == "where":  # g (the broadcast output's shape) to the branch taken, exactly 0 to the other
            condition, x, y = inputs
            gx = self.evaluate("where(c, g, zero)", x.dtype, c=condition, g=g)
            gy = self.evaluate("where(c, zero, g)", x.dtype, c=condition, g=g)
            return self._unbroadcast(gx, x.shape), self._unbroadcast(gy, y.shape)
        if name in UNARY:
            return (self.evaluate(UNARY[name][1], dtype, x=inputs[0], g=g, **expression_params(name, params)),)
        if name in BINARY:
            x, y = inputs
            # g has the broadcast output's shape already (zero * x would turn an infinite x into NaN)
            gx = self.evaluate(BINARY[name][1], dtype, x=x, y=y, g=g)
            gy = self.evaluate(BINARY[name][2], dtype, x=x, y=y, g=g)
            return self._unbroadcast(gx, x.shape), self._unbroadcast(gy, y.shape)
        if name in LOSSES:
            return (self._loss_grad(name, inputs, params, g),)
        return (self._reduction_grad(name, inputs[0], params, g),)

    def _loss_terms(self, name, inputs, params):
        x, t, *rest = inputs
        weight = rest[0] if rest else None
        pos_weight = rest[1] if len(rest) > 1 else None
        extra = {"delta": params.get("delta", 1.0), "pw": pos_weight if pos_weight is not None else 1.0}
        extra.update(beta=params.get("beta", 1.0), lowest=LOG_FLOOR, eps=BCE_EPSILON)
        key = f"{name}:log_target" if params.get("log_target") else name
        return x, t, weight, extra, key

    def _loss(self, name, inputs, params):
        x, t, weight, extra, key = self._loss_terms(name, inputs, params)
        expression = LOSSES[key][0] if weight is None else f"({LOSSES[key][0]}) * w"
        per = self.evaluate(expression, x.dtype, x=x, t=t, w=weight, **extra)
        return self._reduce_loss(per, params["reduction"])

    def _reduce_loss(self, per, reduction):
        if reduction == "none":
            return per
        total = self.reduce("sum", per, tuple(range(per.ndim)), keepdims=False)
        # 'mean' divides by every element, kl_div's 'batchmean' by the batch size (the reference's rule)
        if reduction == "sum":
            return total
        return self.evaluate("s / n", per.dtype, s=total, n=_kl_divisor(per, reduction))

    def _loss_grad(self, name, inputs, params, g):
        x, t, weight, extra, key = self._loss_terms(name, inputs, params)
        scale = "g" if params["reduction"] in ("none", "sum") else "g / n"
        expression = f"({LOSSES[key][1]}) * {scale}" + ("" if weight is None else " * w")
        # every derivative holds x and t (validated to share x's shape), so the result has x's shape without a
        # "+ zero * x", which would turn the finite gradients at infinite logits into NaN
        n = _kl_divisor(x, params["reduction"])
        return self.evaluate(expression, x.dtype, x=x, t=t, g=g, w=weight, n=n, **extra)

    def _reduction(self, name, x, params):
        if name in numexpr_reductions.OPS:
            return numexpr_reductions.forward(self, name, x, params)
        axes = normalize_axes(params.get("axis"), x.ndim)
        keep = params.get("keepdims", False)
        if name in ("max", "min"):
            return self.reduce(name, x, axes, keep)
        total = self.reduce("sum", x, axes, keep)
        count = math.prod(x.shape[a] for a in axes)
        if name == "sum":
            return total
        if name == "mean":
            return self.evaluate("s / n", x.dtype, s=total, n=count)
        mean = self.evaluate("s / n", x.dtype, s=self.reduce("sum", x, axes, True), n=count)
        squares = self.reduce("sum", self.evaluate("(x - m) * (x - m)", x.dtype, x=x, m=mean), axes, keep)
        dof = count - params["correction"]
        return self.evaluate("s / d", x.dtype, s=squares, d=dof if dof > 0 else 0)

    def _reduction_grad(self, name, x, params, g):
        if name in numexpr_reductions.OPS:
            return numexpr_reductions.gradient(self, name, x, params, g)
        axes = normalize_axes(params.get("axis"), x.ndim)
        kept = g if params.get("keepdims", False) else g.reshape([1 if i in axes else n for i, n in enumerate(x.shape)])
        count = math.prod(x.shape[a] for a in axes)
        if name == "sum":
            return self.evaluate("g + zero * x", x.dtype, g=kept, x=np.zeros_like(x))
        if name == "mean":
            return self.evaluate("g / n + zero * x", x.dtype, g=kept, n=count, x=np.zeros_like(x))
        if name == "var":
            mean = self.evaluate("s / n", x.dtype, s=self.reduce("sum", x, axes, True), n=count)
            dof = count - params["correction"]
            return self.evaluate("g * two * (x - m) / d", x.dtype, g=kept, x=x, m=mean, d=dof if dof > 0 else 0)
        extreme = self.reduce(name, x, axes, True)
        mask = self.evaluate("where(x == e, one, zero)", x.dtype, x=x, e=extreme)
        count_ties = self.reduce("sum", mask, axes, True)
        return self.evaluate("g * mask / c", x.dtype, g=kept, mask=mask, c=count_ties)

    # ---------------------------------------------------------------- fused optimizer updates
    def run_optimizer(self, name, param0, grads, lrs, hyper, dtype, device):
        """Each update as one NumExpr expression per state variable (reference update rules)."""
        from reference import optim

        step = FUSED.get(name)
        if step is None:
            return super().run_optimizer(name, param0, grads, lrs, hyper, dtype, device)
        param, state, out = np.array(param0, dtype=dtype), {}, []
        defaults = {k: v.default for k, v in _signature(optim.OPTIMIZERS[name]).items() if v.default is not v.empty}
        sign = -1 if {**defaults, **hyper}["maximize"] else 1  # torch negates the gradient before anything else
        for grad, lr in zip(grads, lrs):
            param, state = step(self, param, sign * np.asarray(grad, dtype=dtype), state, lr, {**defaults, **hyper})
            out.append(param.copy())
        return out


def _signature(fn):
    import inspect

    return dict(inspect.signature(fn).parameters)


def _sgd(b, p, g, state, lr, h):
    e = lambda expr, **kw: b.evaluate(expr, p.dtype, **kw)  # noqa: E731
    d = e("g + wd * p", g=g, p=p, wd=h["weight_decay"]) if h["weight_decay"] else g
    if h["momentum"]:
        buf = state.get("buf")
        buf = (
            d.copy()
            if buf is None
            else e("mu * buf + (one - damp) * d", mu=h["momentum"], buf=buf, damp=h["dampening"], d=d)
        )
        state = {"buf": buf}
        d = e("d + mu * buf", d=d, mu=h["momentum"], buf=buf) if h["nesterov"] else buf
    return e("p - lr * d", p=p, lr=lr, d=d), state


def _adam(b, p, g, state, lr, h, decoupled=False):
    e = lambda expr, **kw: b.evaluate(expr, p.dtype, **kw)  # noqa: E731
    beta1, beta2 = h["betas"]
    step = state.get("step", 0) + 1
    if h["weight_decay"] and decoupled:
        p = e("p * (one - lr * wd)", p=p, lr=lr, wd=h["weight_decay"])
    elif h["weight_decay"]:
        g = e("g + wd * p", g=g, p=p, wd=h["weight_decay"])
    m = e("m + (one - b1) * (g - m)", m=state.get("m", np.zeros_like(p)), b1=beta1, g=g)
    v = e("v * b2 + (one - b2) * g * g", v=state.get("v", np.zeros_like(p)), b2=beta2, g=g)
    second = v
    new_state = {"step": step, "m": m, "v": v}
    if h["amsgrad"]:
        prev = state.get("vmax", np.zeros_like(p))
        second = e("where(prev > v, prev, v)", prev=prev, v=v)
        new_state["vmax"] = second
    p = e(
        "p - (lr / c1) * m / (sqrt(s) / c2 + eps)",
        p=p,
        lr=lr,
        c1=1 - beta1**step,
        m=m,
        s=second,
        c2=(1 - beta2**step) ** 0.5,
        eps=h["eps"],
    )
    return p, new_state


def _rmsprop(b, p, g, state, lr, h):
    e = lambda expr, **kw: b.evaluate(expr, p.dtype, **kw)  # noqa: E731
    if h["weight_decay"]:
        g = e("g + wd * p", g=g, p=p, wd=h["weight_decay"])
    sq = e("s * a + (one - a) * g * g", s=state.get("sq", np.zeros_like(p)), a=h["alpha"], g=g)
    new_state = {"sq": sq}
    if h["centered"]:
        ga = e("m * a + (one - a) * g", m=state.get("ga", np.zeros_like(p)), a=h["alpha"], g=g)
        new_state["ga"] = ga
        avg = e("sqrt(s - m * m) + eps", s=sq, m=ga, eps=h["eps"])
    else:
        avg = e("sqrt(s) + eps", s=sq, eps=h["eps"])
    if h["momentum"] > 0:
        buf = e("buf * mu + g / avg", buf=state.get("buf", np.zeros_like(p)), mu=h["momentum"], g=g, avg=avg)
        new_state["buf"] = buf
        return e("p - lr * buf", p=p, lr=lr, buf=buf), new_state
    return e("p - lr * g / avg", p=p, lr=lr, g=g, avg=avg), new_state


def _adagrad(b, p, g, state, lr, h):
    e = lambda expr, **kw: b.evaluate(expr, p.dtype, **kw)  # noqa: E731
    if h["weight_decay"]:
        g = e("g + wd * p", g=g, p=p, wd=h["weight_decay"])
    step = state.get("step", 0) + 1
    clr = lr / (1.0 + (step - 1) * h["lr_decay"])  # Python floats, as torch
    start = state["sum"] if "sum" in state else np.full_like(p, h["initial_accumulator_value"])
    total = e("s + g * g", s=start, g=g)
    return e("p - clr * (g / (sqrt(s) + eps))", p=p, clr=clr, g=g, s=total, eps=h["eps"]), {"step": step, "sum": total}


FUSED = {
    "sgd": _sgd,
    "adam": _adam,
    "adamw": lambda *a: _adam(*a, decoupled=True),
    "rmsprop": _rmsprop,
    "adagrad": _adagrad,
}
