"""Training loops, written once for every backend.

The loops only use what every backend offers (the contract in docs/backend-api.md): ``asarray``/``to_numpy``,
``@``, ``.T``, ``.sum()`` and arithmetic on its arrays (``poly``, ``linreg``), or the catalog's layers through
``backend.run``/``backend.vjp`` (``mlp``, ``cnn``).  They never assign into a backend array (immutable
arrays, JAX's among them, cannot be): per-step losses are kept in a list and copied to the host after the
timed loop.  Gradients come from the backend's autograd (``grad="auto"``,
``backend.value_and_grad``) or by hand (``grad="manual"``: closed forms, or the per-layer VJPs
chained in reverse).  Data and initial parameters are drawn on the host from seeded NumPy
generators, so every backend trains on exactly the same numbers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from reference import amp as reference_amp

GRAD_MODES = ("auto", "manual")


def require_grad_mode(grad) -> None:
    """A loop's ``grad`` must name a mode: anything else (a typo such as "Auto") would silently train by hand."""
    if grad not in GRAD_MODES:
        raise ValueError(f"grad must be one of {', '.join(map(repr, GRAD_MODES))}, got {grad!r}")


@dataclass
class TrainResult:
    """What a loop returns; ``losses`` has one entry per step."""

    loop: str
    backend: str
    device: str
    dtype: str
    grad: str
    steps: int
    seconds: float
    losses: np.ndarray
    params: dict[str, np.ndarray]
    first_step_grad: dict[str, np.ndarray]
    extra: dict = field(default_factory=dict)

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    def summary(self) -> dict:
        """JSON-ready: scalars, parameters and first-step gradients as lists (large ones summarised)."""

        def listed(arrays):
            return {
                k: v.tolist() if v.size <= 64 else {"shape": list(v.shape), "norm": float(np.linalg.norm(v))}
                for k, v in arrays.items()
            }

        return {
            "loop": self.loop,
            "backend": self.backend,
            "device": self.device,
            "dtype": self.dtype,
            "grad": self.grad,
            "steps": self.steps,
            "seconds": self.seconds,
            "final_loss": self.final_loss,
            "first_step_grad": listed(self.first_step_grad),
            "params": listed(self.params),
            **self.extra,
        }


def _timed(backend, device, fn):
    backend.synchronize(device)
    start = time.perf_counter()
    out = fn()
    backend.wait(out, device)
    return out, time.perf_counter() - start


def _to_host(backend, x) -> np.ndarray:
    """``x`` in host memory, in the dtype it was computed in (so ULPs are counted in that dtype); a NumPy array
    (a loop's own bookkeeping, or what a compiled loop returned) is already there."""
    return x if isinstance(x, np.ndarray) else backend.to_numpy(x)


def _host(backend, arrays):
    """:func:`_to_host` of each array of a dict."""
    return {k: _to_host(backend, v) for k, v in arrays.items()}


def _losses_to_host(backend, losses, dtype) -> np.ndarray:
    """The per-step losses as one host array: a compiled loop's array as it is, a list of backend scalars
    copied one by one (after the timed loop, so no step waits for a device)."""
    if isinstance(losses, np.ndarray):
        return losses
    return np.array([_to_host(backend, loss) for loss in losses], dtype=dtype).reshape(len(losses))


def _result(loop, backend, device, dtype, grad, steps, seconds, losses, params, first, extra=None) -> TrainResult:
    """A finished loop's :class:`TrainResult`, with host copies of its losses, parameters and first gradient."""
    losses, params, first = _losses_to_host(backend, losses, dtype), _host(backend, params), _host(backend, first)
    return TrainResult(loop, backend.name, device, dtype, grad, steps, seconds, losses, params, first, extra or {})


# ---------------------------------------------------------------- poly
POLY_DEGREE, POLY_POINTS, POLY_LR, POLY_STEPS = 4, 100, 1e-5, 200_000


def poly_data() -> tuple[np.ndarray, np.ndarray]:
    """100 points evenly spaced on [0, 5]; features 1, x, ..., x**4 (a column each); target sin(x)."""
    x = np.linspace(0.0, 5.0, POLY_POINTS)[:, None]
    return x ** np.arange(POLY_DEGREE + 1), np.sin(x)


def poly(backend, *, device="cpu", dtype="float64", steps=POLY_STEPS, grad="manual", lr=POLY_LR) -> TrainResult:
    """Gradient descent on mean((X w - y)**2) from w = 0 (a backend may run its compiled version)."""
    require_grad_mode(grad)
    features, target = poly_data()
    compiled = backend.compiled_loop("poly") if grad == "manual" else None
    if compiled is not None:
        (losses, w, first), seconds = _timed(
            backend,
            device,
            lambda: compiled(
                features=features, target=target, w0=np.zeros((POLY_DEGREE + 1, 1)), lr=lr, steps=steps, dtype=dtype
            ),
        )
        return _result("poly", backend, device, dtype, grad, steps, seconds, losses, {"w": w}, {"w": first})
    X, y = backend.asarray(features, dtype, device), backend.asarray(target, dtype, device)
    w = backend.asarray(np.zeros((POLY_DEGREE + 1, 1)), dtype, device)
    losses = []
    scale = 2.0 / POLY_POINTS

    def loss_of(w):
        err = X @ w - y
        return (err * err).sum() / POLY_POINTS

    def gradient(w):
        if grad == "auto":
            loss, (g,) = backend.value_and_grad(loss_of, [w])
            return loss, g
        err = X @ w - y
        return (err * err).sum() / POLY_POINTS, scale * (X.T @ err)

    def run():
        nonlocal w
        first = None
        for _ in range(steps):
            loss, g = gradient(w)
            first = g if first is None else first
            losses.append(loss)
            w = w - lr * g
        return first

    first, seconds = _timed(backend, device, run)
    return _result("poly", backend, device, dtype, grad, steps, seconds, losses, {"w": w}, {"w": first})


# ---------------------------------------------------------------- linreg
LINREG_SAMPLES, LINREG_LR, LINREG_STEPS, LINREG_SEED = 20, 0.01, 10, 2024


def linreg_batches(features: int, steps: int, seed: int = LINREG_SEED):
    """Fresh standard-normal samples every step (scaled by 1/sqrt(N) so that |x| ~ 1 for any N);
    target y = 3 * sum(x) - 2, i.e. y = 3x - 2 when N = 1."""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = rng.standard_normal((LINREG_SAMPLES, features)) / math.sqrt(features)
        yield x, 3.0 * x.sum(axis=1, keepdims=True) - 2.0


def linreg(
    backend, *, device="cpu", dtype="float64", steps=LINREG_STEPS, grad="manual", features=1, lr=LINREG_LR
) -> TrainResult:
    """Sum-of-squares linear regression from w = b = 1 (``linreg-large``: features = 10,000,000)."""
    require_grad_mode(grad)
    w = backend.asarray(np.ones((features, 1)), dtype, device)
    b = backend.asarray(np.ones((1, 1)), dtype, device)
    losses = []
    batches = (
        [
            (backend.asarray(x, dtype, device), backend.asarray(y, dtype, device))
            for x, y in linreg_batches(features, steps)
        ]
        if features <= 100_000
        else None
    )

    def loss_of(x, y):
        return lambda w, b: ((x @ w + b - y) * (x @ w + b - y)).sum()

    compiled = backend.compiled_loop("linreg") if grad == "manual" else None

    def run():
        nonlocal w, b
        first = None
        # a 10,000,000-feature batch is 1.6 GB in float64: generate each one when it is needed
        source = batches or (
            (backend.asarray(x, dtype, device), backend.asarray(y, dtype, device))
            for x, y in linreg_batches(features, steps)
        )
        for x, y in source:
            if compiled is not None:  # a backend's compiled step (numba): loss, gradients and update at once
                loss, gw, gb, w_next, b_next = compiled(x, y, w, b, lr)
            elif grad == "auto":
                loss, (gw, gb) = backend.value_and_grad(loss_of(x, y), [w, b])
            else:
                r = x @ w + b - y
                loss, gw, gb = (r * r).sum(), 2.0 * (x.T @ r), 2.0 * r.sum() + 0.0 * b
            first = first or {"w": gw, "b": gb}
            losses.append(loss)
            w, b = (w_next, b_next) if compiled is not None else (w - lr * gw, b - lr * gb)
        return first

    first, seconds = _timed(backend, device, run)
    name = "linreg" if features == 1 else "linreg-large"
    params = {"w": w, "b": b}
    return _result(name, backend, device, dtype, grad, steps, seconds, losses, params, first, {"features": features})


# ---------------------------------------------------------------- classifiers: mlp and cnn
@dataclass(frozen=True)
class Layer:
    """One step of a model: a catalog entry, its parameter names (in input order after x), its keyword
    arguments, and for BatchNorm the entry used in eval mode with its running statistics."""

    op: str
    params: tuple[str, ...] = ()
    kwargs: dict = field(default_factory=dict)
    eval_op: str | None = None
    running: str | None = None


MLP = (Layer("linear", ("fc1.weight", "fc1.bias")), Layer("relu"), Layer("linear", ("fc2.weight", "fc2.bias")))
CNN = (
    # no bias before BatchNorm: BN subtracts the channel mean, so such a bias has an exactly zero gradient
    # whose computed value is rounding noise, which Adam turns into full-size steps (see test_training)
    Layer("conv2d", ("conv1.weight",), {"padding": 1}),
    Layer("batch_norm", ("bn.weight", "bn.bias"), {}, eval_op="batch_norm_eval", running="bn"),
    Layer("relu"),
    Layer("max_pool2d", (), {"kernel_size": 2}),
    Layer("conv2d", ("conv2.weight", "conv2.bias"), {"padding": 1}),
    Layer("relu"),
    Layer("avg_pool2d", (), {"kernel_size": 2}),
    Layer("flatten"),
    Layer("linear", ("fc.weight", "fc.bias")),
)
CLASSES = 3
SHAPES = {
    "mlp": {"fc1.weight": (16, 4), "fc1.bias": (16,), "fc2.weight": (CLASSES, 16), "fc2.bias": (CLASSES,)},
    "cnn": {
        "conv1.weight": (4, 1, 3, 3),
        "bn.weight": (4,),
        "bn.bias": (4,),
        "conv2.weight": (6, 4, 3, 3),
        "conv2.bias": (6,),
        "fc.weight": (CLASSES, 24),
        "fc.bias": (CLASSES,),
    },
}
OPTIMIZER_DEFAULTS = {
    "sgd": {"lr": 0.05, "momentum": 0.9},
    "adam": {"lr": 0.01},
    "adamw": {"lr": 0.01, "weight_decay": 0.01},
}
CLASSIFIER_DEFAULTS = {"mlp": {"steps": 60, "batch": 32}, "cnn": {"steps": 30, "batch": 16}}


def init_params(model: str, seed: int = 7) -> dict[str, np.ndarray]:
    """torch-like init: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)); BatchNorm weight 1, bias 0."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape in SHAPES[model].items():
        if name.startswith("bn."):
            params[name] = np.ones(shape) if name.endswith("weight") else np.zeros(shape)
            continue
        weight = SHAPES[model][name.replace("bias", "weight")]
        bound = 1.0 / math.sqrt(math.prod(weight[1:]))
        params[name] = rng.uniform(-bound, bound, shape)
    return params


def classifier_data(model: str, seed: int = 11) -> dict[str, np.ndarray]:
    """Seeded synthetic data, generated by code (no downloads).

    mlp: three Gaussian blobs in 4-D.  cnn: 8x8 one-channel images of a horizontal bar, a vertical bar
    or a diagonal, at a random position, plus noise.  240 / 96 training and 60 / 48 evaluation samples.
    """
    rng = np.random.default_rng(seed)
    if model == "mlp":
        n = 300
        centres = rng.normal(scale=2.0, size=(CLASSES, 4))
        labels = rng.permutation(np.arange(n) % CLASSES)
        x = centres[labels] + rng.standard_normal((n, 4))
        split = 240
    else:
        n = 144
        labels = rng.permutation(np.arange(n) % CLASSES)
        x = 0.3 * rng.standard_normal((n, 1, 8, 8))
        for i, label in enumerate(labels):
            k = rng.integers(1, 7)
            if label == 0:
                x[i, 0, k, :] += 1.0
            elif label == 1:
                x[i, 0, :, k] += 1.0
            else:
                x[i, 0] += np.eye(8)[:, ::-1] if rng.integers(2) else np.eye(8)
        split = 96
    labels = labels.astype(np.int64)
    return {"x": x[:split], "y": labels[:split], "x_eval": x[split:], "y_eval": labels[split:]}


def _batches(n: int, batch: int, steps: int, seed: int = 5):
    """Mini-batch indices: a seeded permutation per epoch, cycled for ``steps`` batches."""
    rng = np.random.default_rng(seed)
    order: list[np.ndarray] = []
    while len(order) < steps:
        perm = rng.permutation(n)
        order.extend(perm[i : i + batch] for i in range(0, n - batch + 1, batch))
    return order[:steps]


@dataclass(frozen=True)
class Step:
    """One op run on the tape: the inputs it received (after any autocast), their dtypes before the autocast,
    the dtype it computed in and the dtype of its result (all equal without autocast)."""

    op: str
    inputs: list
    layer: Layer
    dtypes: tuple = ()
    compute: str | None = None
    result: str | None = None


def _float_dtypes(inputs, dtypes):
    return [d for x, d in zip(inputs, dtypes) if x is not None and d is not None]


def _run(backend, op, inputs, dtypes, kwargs, *, autocast=None, device="cpu"):
    """``op`` on ``inputs`` (their dtypes: ``dtypes``, None for class indices), under ``autocast`` if given
    (:mod:`reference.amp`): inputs cast to the type the op computes in, the result cast to the type it returns
    (rounded to the low type where the backend emulates it).  Returns (result, its dtype, the :class:`Step`)."""
    if autocast is None:
        return backend.run(op, inputs, kwargs), dtypes[0], Step(op, inputs, None)
    floats = _float_dtypes(inputs, dtypes)
    compute, result = autocast.compute_dtype(op, floats), autocast.result_dtype(op, floats)
    cast_inputs = [x if d is None or x is None or d == compute else autocast.cast(backend, x, compute)
                   for x, d in zip(inputs, dtypes)]  # fmt: skip
    out = backend.run(op, cast_inputs, kwargs)
    if result != compute or autocast.emulated(backend, result):  # the output cast (or rounding, where emulated)
        out = autocast.cast(backend, out, result)
    return out, result, Step(op, cast_inputs, None, tuple(dtypes), compute, result)


def _forward(backend, layers, x, params, running, *, training, tape=None, autocast=None, device="cpu", dtype=None):
    """The model on ``x`` (of ``dtype``; parameters and running statistics are of ``dtype`` too)."""
    x_dtype = dtype
    for layer in layers:
        op = layer.op if training or layer.eval_op is None else layer.eval_op
        inputs = [x, *(params[p] for p in layer.params)]
        dtypes = [x_dtype, *(dtype for _ in layer.params)]
        if layer.running and not training:
            inputs = [x, running[layer.running + ".mean"], running[layer.running + ".var"], *inputs[1:]]
            dtypes = [x_dtype, dtype, dtype, *dtypes[1:]]
        if layer.running and training:
            key = layer.running
            stats_input = backend.stop_gradient(x)
            if autocast is not None and x_dtype != dtype:  # torch updates float32 statistics in float32
                stats_input = autocast.cast(backend, stats_input, dtype)
            running[key + ".mean"], running[key + ".var"] = backend.batch_norm_running_stats(
                stats_input, running[key + ".mean"], running[key + ".var"], momentum=0.1
            )
        x, x_dtype, step = _run(backend, op, inputs, dtypes, layer.kwargs, autocast=autocast, device=device)
        if tape is not None:
            tape.append(replace(step, layer=layer))
    return x, x_dtype


def _step_vjp(backend, step: Step, g, kwargs, autocast=None):
    """The gradients of one tape step for cotangent ``g`` (of the step's result dtype), each in the dtype of the
    input it belongs to: the output cast's VJP, the op's VJP in the dtype it computed in (rounded to the low
    type where emulated), the input casts' VJPs."""
    if step.compute is None:
        return backend.vjp(step.op, step.inputs, kwargs, g)
    if step.result != step.compute:
        g = autocast.cast(backend, g, step.compute)
    grads = backend.vjp(step.op, step.inputs, kwargs, g)
    if autocast.emulated(backend, step.compute):
        grads = [autocast.cast(backend, gi, step.compute) for gi in grads]
    wanted = [d for x, d in zip(step.inputs, step.dtypes) if x is not None and d is not None]
    return [gi if d == step.compute else autocast.cast(backend, gi, d) for gi, d in zip(grads, wanted)]


def _manual_gradients(backend, tape, loss_step, seed, autocast=None):
    """Backpropagation by hand: the loss's VJP for the cotangent ``seed`` (1, or the loss scale), then every
    layer's VJP in reverse order."""
    (g, *_) = _step_vjp(backend, loss_step, seed, {}, autocast)
    grads = {}
    for step in reversed(tape):
        gx, *gparams = _step_vjp(backend, step, g, step.layer.kwargs, autocast)
        grads.update(zip(step.layer.params, gparams))
        g = gx
    return grads


def _dtype_of(backend, x):
    return str(x.dtype).removeprefix("torch.")


def _unscale(backend, grads: dict, scaler) -> tuple[dict, bool]:
    """GradScaler's unscale: every gradient times 1/scale (float32), and whether any is inf or NaN."""
    inverse = scaler.inverse()
    unscaled = {k: g * inverse for k, g in grads.items()}
    found_inf = any(not np.all(np.isfinite(np.asarray(backend.to_numpy(g), dtype=np.float64)))
                    for g in unscaled.values())  # fmt: skip
    return unscaled, found_inf


def classifier(
    backend,
    model: str,
    *,
    device="cpu",
    dtype="float64",
    steps=None,
    grad="manual",
    optimizer="sgd",
    batch=None,
    amp=None,
    loss_scale=None,
    emulate_amp=False,
) -> TrainResult:
    """Mini-batch training with cross-entropy, then the eval-mode loss and accuracy on held-out data.

    ``amp`` ("bfloat16" or "float16"): the parameters stay in ``dtype`` (float32 master weights) and every op
    runs under autocast to that type (:class:`reference.amp.Autocast`, torch's op lists); ``loss_scale``: a dict
    of GradScaler settings (``{}`` for torch's defaults) -- the loss is scaled before the backward pass, the
    gradients unscaled, and a step whose gradients hold inf or NaN is skipped (``extra["skipped_steps"]``).
    ``emulate_amp``: the low type emulated even where the backend has it (the reference run's autocast semantics:
    every low-type op exact between low-type values)."""
    require_grad_mode(grad)
    layers = {"mlp": MLP, "cnn": CNN}[model]
    steps = steps or CLASSIFIER_DEFAULTS[model]["steps"]
    batch = batch or CLASSIFIER_DEFAULTS[model]["batch"]
    autocast = None if amp is None else reference_amp.Autocast(amp, device, dtype, emulate_amp)
    scaler = reference_amp.scaler_from(loss_scale)
    data = classifier_data(model)
    hyper = dict(OPTIMIZER_DEFAULTS[optimizer])
    lr = hyper.pop("lr")
    params = {k: backend.asarray(v, dtype, device) for k, v in init_params(model).items()}
    running = {}
    for layer in layers:
        if layer.running:
            channels = SHAPES[model][layer.params[0]][0]
            running[layer.running + ".mean"] = backend.asarray(np.zeros(channels), dtype, device)
            running[layer.running + ".var"] = backend.asarray(np.ones(channels), dtype, device)
    opt = backend.make_optimizer(optimizer, params, lr, hyper)
    batches = [
        (backend.asarray(data["x"][i], dtype, device), backend.asarray(data["y"][i], "int64", device))
        for i in _batches(len(data["y"]), batch, steps)
    ]
    losses = []
    names = list(params)
    context = {"autocast": autocast, "device": device, "dtype": dtype}

    def loss_of_logits(logits, logits_dtype, y):
        return _run(backend, "cross_entropy", [logits, y], [logits_dtype, None], {}, autocast=autocast, device=device)

    def loss_and_grads(x, y):
        scale = 1.0 if scaler is None else scaler.scale
        if grad == "auto":

            def loss_of(*values):
                logits, logits_dtype = _forward(backend, layers, x, dict(zip(names, values)), running, training=True,
                                                **context)  # fmt: skip
                loss = loss_of_logits(logits, logits_dtype, y)[0]
                return loss if scaler is None else loss * scale

            loss, gs = backend.value_and_grad(loss_of, [opt.params[n] for n in names])
            return (loss if scaler is None else loss * (1.0 / scale)), dict(zip(names, gs))
        tape = []
        logits, logits_dtype = _forward(backend, layers, x, opt.params, running, training=True, tape=tape, **context)
        loss, loss_dtype, loss_step = loss_of_logits(logits, logits_dtype, y)
        seed_dtype = dtype if autocast is not None and autocast.emulated(backend, loss_dtype) else loss_dtype
        seed = backend.asarray(np.full((), scale), seed_dtype, device)
        return loss, _manual_gradients(backend, tape, replace(loss_step, layer=None), seed, autocast)

    def run():
        first = None
        for k, (x, y) in enumerate(batches):
            loss, grads = loss_and_grads(x, y)
            found_inf = False
            if scaler is not None:
                grads, found_inf = _unscale(backend, grads, scaler)
                scaler.update(k, found_inf)
            first = first or grads
            losses.append(loss)
            if not found_inf:
                opt.step(grads)
        return first

    first, seconds = _timed(backend, device, run)
    x_eval = backend.asarray(data["x_eval"], dtype, device)
    logits, logits_dtype = _forward(backend, layers, x_eval, opt.params, running, training=False, **context)
    y_eval = backend.asarray(data["y_eval"], "int64", device)
    eval_loss = float(np.asarray(backend.to_numpy(loss_of_logits(logits, logits_dtype, y_eval)[0]), dtype=np.float64))
    predicted = np.argmax(np.asarray(backend.to_numpy(logits), dtype=np.float64), axis=1)
    accuracy = float(np.mean(predicted == data["y_eval"]))
    final = {**_host(backend, opt.params), **_host(backend, running)}
    extra = {"optimizer": optimizer, "eval_loss": eval_loss, "eval_accuracy": accuracy}
    if amp is not None:
        extra["amp"] = amp
    if scaler is not None:
        extra.update(skipped_steps=list(scaler.skipped), loss_scales=list(scaler.scales), final_scale=scaler.scale)
    return _result(model, backend, device, dtype, grad, steps, seconds, losses, final, first, extra)


def _transformer(backend, **kw) -> TrainResult:
    """The causal transformer language model (:mod:`reference.transformer`, imported when first run: it imports
    this module)."""
    from reference.transformer import transformer

    return transformer(backend, **kw)


LOOPS = {
    "poly": poly,
    "linreg": linreg,
    "linreg-large": lambda backend, **kw: linreg(backend, features=10_000_000, **kw),
    "mlp": lambda backend, **kw: classifier(backend, "mlp", **kw),
    "cnn": lambda backend, **kw: classifier(backend, "cnn", **kw),
    "transformer": _transformer,
}
