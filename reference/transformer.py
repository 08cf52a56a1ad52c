"""A small causal transformer language model and its training loop, written once for every backend (issue #15).

The model (GPT-2's layout, pre-norm): token embedding ``E`` (vocabulary x d_model) plus a learned positional
embedding ``P``; ``BLOCKS`` blocks of

    x = x + Wo(attention(LN1(x)))             multi-head causal self-attention, no q/k/v biases
    x = x + W2(gelu(W1(LN2(x))))              exact (erf) GELU, hidden 4 * d_model

then a final layer norm and a *tied* output layer (the logits are ``LN_f(x) @ E.T``, as GPT-2: ``E`` gets the
gradients of both its uses), cross-entropy over the next token at every position.  No biases on the query, key
and value projections: a key bias adds ``q . b_k`` to every score of a row, which the softmax removes, so its
gradient is exactly zero and its computed value rounding noise -- which Adam would turn into full-size steps
(the same reason the cnn's first convolution has no bias; see tests/test_training.py).

Built only from catalog ops that every backend on main has (``matmul``, ``linear``, ``reshape``, ``transpose``,
``add``, ``mul``, ``softmax``, ``layer_norm``, ``gelu``, ``cross_entropy``): the embedding is the product of the
one-hot tokens with ``E``; the causal mask is added to the scores as 0 / -inf (what ``masked_fill(-inf)`` and
``scaled_dot_product_attention(is_causal=True)`` do; the diagonal is never masked, so no row is all -inf).

Gradients: ``grad="auto"`` differentiates the whole loss with the backend's autograd; ``grad="manual"`` records
every op on a tape (:class:`Tape`) and runs the backward by hand: each op's VJP (``backend.vjp``: the reference's
hand-derived VJPs on numpy and cupy) in reverse order, the gradients of a value used twice (the residual
stream, ``E``) added up.  The step: gradients clipped to global norm ``MAX_NORM`` (:mod:`reference.schedules`,
torch's ``clip_grad_norm_``), then AdamW at the rate of linear warmup + cosine decay for that step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reference import loops, schedules
from reference.catalog import get_spec

VOCAB, SEQ, BATCH, D_MODEL, HEADS, BLOCKS = 16, 8, 4, 16, 2, 1
HIDDEN = 4 * D_MODEL
SEQUENCES, NOISE = 64, 0.1
STEPS, WARMUP, LR, START_FACTOR, WEIGHT_DECAY, MAX_NORM = 30, 5, 3e-2, 0.1, 0.01, 1.0
INIT_STD = 0.02  # GPT-2's


def _block_shapes(i: int) -> dict[str, tuple[int, ...]]:
    d = D_MODEL
    return {
        f"h{i}.ln1.weight": (d,), f"h{i}.ln1.bias": (d,),
        f"h{i}.attn.q.weight": (d, d), f"h{i}.attn.k.weight": (d, d), f"h{i}.attn.v.weight": (d, d),
        f"h{i}.attn.out.weight": (d, d), f"h{i}.attn.out.bias": (d,),
        f"h{i}.ln2.weight": (d,), f"h{i}.ln2.bias": (d,),
        f"h{i}.mlp.fc.weight": (HIDDEN, d), f"h{i}.mlp.fc.bias": (HIDDEN,),
        f"h{i}.mlp.proj.weight": (d, HIDDEN), f"h{i}.mlp.proj.bias": (d,),
    }  # fmt: skip


SHAPES = {
    "wte": (VOCAB, D_MODEL),
    "wpe": (SEQ, D_MODEL),
    **{k: v for i in range(BLOCKS) for k, v in _block_shapes(i).items()},
    "ln_f.weight": (D_MODEL,),
    "ln_f.bias": (D_MODEL,),
}


def init_params(seed: int = 17) -> dict[str, np.ndarray]:
    """GPT-2's init: weights and embeddings N(0, 0.02), biases 0, layer-norm weights 1."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape in SHAPES.items():
        if ".ln" in name or name.startswith("ln_f"):
            params[name] = np.ones(shape) if name.endswith("weight") else np.zeros(shape)
        elif name.endswith("bias"):
            params[name] = np.zeros(shape)
        else:
            params[name] = INIT_STD * rng.standard_normal(shape)
    return params


def token_data(seed: int = 13) -> np.ndarray:
    """``SEQUENCES`` sequences of ``SEQ + 1`` tokens: arithmetic progressions modulo ``VOCAB`` (a random start and a
    stride of 1, 2 or 3, so the next token depends on the two before it: attention has something to find), each
    token replaced by a random one with probability ``NOISE``."""
    rng = np.random.default_rng(seed)
    start, stride = rng.integers(0, VOCAB, SEQUENCES), rng.integers(1, 4, SEQUENCES)
    tokens = (start[:, None] + stride[:, None] * np.arange(SEQ + 1)) % VOCAB
    noisy = rng.random(tokens.shape) < NOISE
    return np.where(noisy, rng.integers(0, VOCAB, tokens.shape), tokens).astype(np.int64)


def causal_mask(dtype: str) -> np.ndarray:
    """0 on and below the diagonal, -inf above it (a query sees itself and the keys before it)."""
    return np.where(np.tri(SEQ, dtype=bool), 0.0, -np.inf).astype(dtype)


# ---------------------------------------------------------------- the two ways of running ops
@dataclass(frozen=True)
class Var:
    """A value on a :class:`Tape`: the backend array and where it came from (a parameter's name, a tape node's
    index, or None for a constant)."""

    value: object
    param: str | None = None
    node: int | None = None


class Tape:
    """Runs catalog ops and records them; :meth:`gradients` is the manual backward."""

    def __init__(self, backend, params: dict):
        self.backend, self.params, self.nodes = backend, params, []

    def param(self, name: str) -> Var:
        return Var(self.params[name], param=name)

    def const(self, value) -> Var:
        return Var(value)

    def __call__(self, op: str, *inputs: Var, **kwargs) -> Var:
        out = self.backend.run(op, [v.value for v in inputs], kwargs)
        self.nodes.append((op, inputs, kwargs))
        return Var(out, node=len(self.nodes) - 1)

    def gradients(self, out: Var, seed) -> dict:
        """The gradient of every parameter that ``out`` depends on, for the cotangent ``seed``: each op's VJP in
        reverse order of the forward, cotangents of a value used more than once summed."""
        pending, grads = {out.node: seed}, {}
        for index in range(len(self.nodes) - 1, -1, -1):
            g = pending.pop(index, None)
            if g is None:
                continue
            op, inputs, kwargs = self.nodes[index]
            arrays = [v.value for v in inputs]
            wanted = [v for v, d in zip(inputs, get_spec(op).differentiable(arrays)) if d]
            for var, gi in zip(wanted, self.backend.vjp(op, arrays, kwargs, g)):
                if var.param is not None:
                    grads[var.param] = gi if var.param not in grads else grads[var.param] + gi
                elif var.node is not None:
                    pending[var.node] = gi if var.node not in pending else pending[var.node] + gi
        return grads


class Direct:
    """Runs catalog ops on plain backend arrays (inside the backend's autograd for ``grad="auto"``)."""

    def __init__(self, backend, params: dict):
        self.backend, self.params = backend, params

    def param(self, name: str):
        return self.params[name]

    def const(self, value):
        return value

    def __call__(self, op: str, *inputs, **kwargs):
        return self.backend.run(op, list(inputs), kwargs)


# ---------------------------------------------------------------- the model
def _attention(f, x, i: int, consts: dict):
    """Multi-head causal self-attention of ``x`` (B, T, D): (B, T, D)."""
    b, t, dh = BATCH, SEQ, D_MODEL // HEADS

    def heads(name, axes):
        projected = f("linear", x, f.param(f"h{i}.attn.{name}.weight"))
        return f("transpose", f("reshape", projected, shape=(b, t, HEADS, dh)), axes=axes)

    q, k_t, v = heads("q", (0, 2, 1, 3)), heads("k", (0, 2, 3, 1)), heads("v", (0, 2, 1, 3))
    scores = f("add", f("mul", f("matmul", q, k_t), consts["scale"]), consts["mask"])  # (B, H, T, T)
    mixed = f("matmul", f("softmax", scores, axis=-1), v)  # (B, H, T, dh)
    merged = f("reshape", f("transpose", mixed, axes=(0, 2, 1, 3)), shape=(b, t, D_MODEL))
    return f("linear", merged, f.param(f"h{i}.attn.out.weight"), f.param(f"h{i}.attn.out.bias"))


def _layer_norm(f, x, name: str):
    return f("layer_norm", x, f.param(f"{name}.weight"), f.param(f"{name}.bias"), normalized_shape=(D_MODEL,))


def _block(f, x, i: int, consts: dict):
    x = f("add", x, _attention(f, _layer_norm(f, x, f"h{i}.ln1"), i, consts))
    hidden = f("gelu", f("linear", _layer_norm(f, x, f"h{i}.ln2"), f.param(f"h{i}.mlp.fc.weight"),
                         f.param(f"h{i}.mlp.fc.bias")))  # fmt: skip
    return f("add", x, f("linear", hidden, f.param(f"h{i}.mlp.proj.weight"), f.param(f"h{i}.mlp.proj.bias")))


def loss(f, consts: dict, onehot, targets):
    """Mean cross-entropy of the next token at every position of the batch (``onehot``: (B, T, V) inputs,
    ``targets``: (B * T,) class indices)."""
    wte = f.param("wte")
    x = f("add", f("matmul", onehot, wte), f.param("wpe"))
    for i in range(BLOCKS):
        x = _block(f, x, i, consts)
    logits = f("linear", _layer_norm(f, x, "ln_f"), wte)  # tied: the output layer is the token embedding
    return f("cross_entropy", f("reshape", logits, shape=(BATCH * SEQ, VOCAB)), targets)


def _clip(backend, grads: dict, max_norm: float) -> tuple[dict, float]:
    """:func:`reference.schedules.clip_grad_norm` on backend arrays: each gradient's sum of squares in its dtype
    on the backend, their norms and the coefficient on the host (a Python float: the gradients keep their dtype).
    Reading the norm back every step is what clipping costs everywhere (torch's clip_grad_norm_ does not, but its
    coefficient is a tensor the next kernels wait for)."""
    with np.errstate(over="ignore", invalid="ignore"):  # inf * 0 = NaN where a gradient is inf, as in torch
        squares = (np.asarray(loops._to_host(backend, (g * g).sum()), dtype=np.float64) for g in grads.values())
        norm = schedules.total_norm([math.sqrt(s) for s in squares])
        coefficient = schedules.clip_coefficient(norm, max_norm)
        return (grads if coefficient == 1.0 else {k: g * coefficient for k, g in grads.items()}), norm


def rates(steps: int) -> list[float]:
    """The learning rate of each step: linear warmup over ``WARMUP`` steps from ``START_FACTOR * LR``, then cosine
    decay to 0 at ``steps`` (a run shorter than the warmup: the first steps of a run of ``WARMUP + 1``)."""
    return schedules.schedule("warmup_cosine", steps, base_lr=LR, warmup_steps=WARMUP,
                              total_steps=max(steps, WARMUP + 1), start_factor=START_FACTOR)  # fmt: skip


def batches(backend, dtype: str, device: str, steps: int) -> list[tuple]:
    """The (one-hot inputs (B, T, V), next-token targets (B * T,)) of each step, as backend arrays."""
    tokens, eye = token_data(), np.eye(VOCAB)
    return [
        (backend.asarray(eye[tokens[i, :-1]], dtype, device), backend.asarray(tokens[i, 1:].ravel(), "int64", device))
        for i in loops._batches(SEQUENCES, BATCH, steps)
    ]


def constants(backend, dtype: str, device: str) -> dict:
    """The causal mask and the attention scale 1/sqrt(d_head), as backend arrays."""
    return {"mask": backend.asarray(causal_mask(dtype), dtype, device),
            "scale": backend.asarray(np.array(1.0 / math.sqrt(D_MODEL // HEADS)), dtype, device)}  # fmt: skip


def transformer(backend, *, device="cpu", dtype="float64", steps=STEPS, grad="manual") -> loops.TrainResult:
    """AdamW (weight decay ``WEIGHT_DECAY`` on every parameter) on mini-batches of ``BATCH`` sequences, the rate
    :func:`rates`, gradients clipped to ``MAX_NORM``.  ``extra``: the gradient norm before clipping at each step
    and how many steps clipped."""
    loops.require_grad_mode(grad)
    data, consts = batches(backend, dtype, device, steps), constants(backend, dtype, device)
    params = {k: backend.asarray(v, dtype, device) for k, v in init_params().items()}
    opt = backend.make_optimizer("adamw", params, LR, {"weight_decay": WEIGHT_DECAY})
    names, schedule = list(params), rates(steps)
    losses, norms = [], []
    seed = backend.asarray(np.ones(()), dtype, device)

    def loss_and_grads(onehot, targets):
        if grad == "auto":

            def loss_of(*values):
                f = Direct(backend, dict(zip(names, values)))
                return loss(f, consts, onehot, targets)

            value, gs = backend.value_and_grad(loss_of, [opt.params[n] for n in names])
            return value, dict(zip(names, gs))
        tape = Tape(backend, opt.params)
        out = loss(tape, {k: tape.const(v) for k, v in consts.items()}, tape.const(onehot), tape.const(targets))
        return out.value, tape.gradients(out, seed)

    def run():
        first = None
        for lr, (onehot, targets) in zip(schedule, data):
            value, grads = loss_and_grads(onehot, targets)
            first = first or grads
            losses.append(value)
            grads, norm = _clip(backend, grads, MAX_NORM)
            norms.append(norm)
            opt.lr = lr
            opt.step(grads)
        return first

    first, seconds = loops._timed(backend, device, run)
    clipped = sum(schedules.clip_coefficient(n, MAX_NORM) < 1.0 for n in norms)
    extra = {"optimizer": "adamw", "lrs": schedule, "grad_norms": norms, "clipped_steps": clipped}
    return loops._result("transformer", backend, device, dtype, grad, steps, seconds, losses, opt.params, first, extra)
