"""The transformer loop's reference run (reference/transformer.py) against what it shares with no backend run.

The matrix's ``train`` check (tests/test_training.py) compares every backend's run with the reference run; both go
through the same loop code (the tape, the clipping helper, the schedule), so here the reference run is checked
against (1) the same training written with torch alone -- ``F.embedding``, ``F.scaled_dot_product_attention``
with ``is_causal=True``, ``torch.optim.AdamW``, ``SequentialLR(LinearLR, CosineAnnealingLR)`` and
``clip_grad_norm_`` -- and (2) central differences of its first loss; and it must learn.
"""

from __future__ import annotations

import numpy as np
import pytest

from impls import load_backend
from impls.base import HostOptimizer
from impls.numpy_backend import NumpyBackend
from parity.checks import Cell, reference_training, run_check
from parity.compare import Context, Mismatch, assert_close, assert_same_names
from reference import LOOP_SPECS, loops, schedules
from reference import transformer as T

ORACLE = "torch (F.scaled_dot_product_attention, AdamW, SequentialLR, clip_grad_norm_)"


def torch_training(torch, steps: int = T.STEPS):
    """The loop with torch alone: losses, first-step gradients (before clipping), final parameters."""
    F, sched = torch.nn.functional, torch.optim.lr_scheduler
    p = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in T.init_params().items()}
    opt = torch.optim.AdamW(p.values(), lr=T.LR, weight_decay=T.WEIGHT_DECAY)
    scheduler = sched.SequentialLR(opt, [sched.LinearLR(opt, start_factor=T.START_FACTOR, total_iters=T.WARMUP),
                                         sched.CosineAnnealingLR(opt, T_max=steps - T.WARMUP)],
                                   milestones=[T.WARMUP])  # fmt: skip
    tokens, b, t, d, heads = T.token_data(), T.BATCH, T.SEQ, T.D_MODEL, T.HEADS

    def split(x):
        return x.view(b, t, heads, d // heads).transpose(1, 2)

    def ln(x, name):
        return F.layer_norm(x, (d,), p[f"{name}.weight"], p[f"{name}.bias"])

    losses, first = [], None
    for index in loops._batches(T.SEQUENCES, T.BATCH, steps):
        x = F.embedding(torch.tensor(tokens[index, :-1]), p["wte"]) + p["wpe"]
        for i in range(T.BLOCKS):
            h, w = ln(x, f"h{i}.ln1"), lambda name, i=i: p[f"h{i}.{name}"]  # noqa: E731
            q, k, v = (split(F.linear(h, w(f"attn.{n}.weight"))) for n in "qkv")
            mixed = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
            x = x + F.linear(mixed, w("attn.out.weight"), w("attn.out.bias"))
            hidden = F.gelu(F.linear(ln(x, f"h{i}.ln2"), w("mlp.fc.weight"), w("mlp.fc.bias")))
            x = x + F.linear(hidden, w("mlp.proj.weight"), w("mlp.proj.bias"))
        logits = F.linear(ln(x, "ln_f"), p["wte"])
        loss = F.cross_entropy(logits.reshape(-1, T.VOCAB), torch.tensor(tokens[index, 1:]).reshape(-1))
        opt.zero_grad()
        loss.backward()
        first = first or {k: v.grad.numpy().copy() for k, v in p.items()}
        losses.append(loss.item())
        torch.nn.utils.clip_grad_norm_(p.values(), T.MAX_NORM)
        opt.step()
        scheduler.step()
    return np.array(losses), first, {k: v.detach().numpy() for k, v in p.items()}


@pytest.mark.torch
def test_reference_transformer_run_agrees_with_torch_alone():
    torch = pytest.importorskip("torch", reason="the independent oracle of the transformer loop is torch")
    spec, truth = LOOP_SPECS["transformer"], reference_training("transformer", 0)
    losses, first, final = torch_training(torch)
    steps = len(losses)

    def close(actual, expected, scale, k, what):
        atol = 1e-12 + spec.allowance("float64", k, scale)[-1]
        context = Context("transformer", ORACLE, "cpu", "float64", "train", f"the reference run's {what}")
        assert_close(np.asarray(actual, dtype=np.float64), expected, dtype="float64", rtol=1e-9, atol=atol,
                     context=context)  # fmt: skip

    close(truth.losses, losses, float(np.max(np.abs(losses))), steps, "loss at each step")
    for what, ours, theirs, k in (("first-step gradient", truth.first_step_grad, first, 1),
                                  ("final parameters", truth.params, final, steps)):  # fmt: skip
        assert_same_names(ours, theirs, what=what, context=Context("transformer", ORACLE, "cpu", "float64", "train"))
        scale = max(float(np.max(np.abs(v))) for v in theirs.values())
        for name, value in theirs.items():
            close(ours[name], value, scale, k, f"{what} {name}")


def test_first_step_gradient_is_the_derivative_of_the_first_loss():
    """<gradient, d> against central differences of the first loss along random directions d (all parameters)."""
    numpy = load_backend("numpy")
    truth = reference_training("transformer", 0)
    params = T.init_params()
    (onehot, targets), consts = T.batches(numpy, "float64", "cpu", 1)[0], T.constants(numpy, "float64", "cpu")
    assert truth.losses[0] == pytest.approx(float(T.loss(T.Direct(numpy, params), consts, onehot, targets)), rel=1e-14)
    # every parameter moves by eps * N(0, 1) against weights of ~0.02: eps = 1e-5 leaves a truncation error of 1e-6
    # relative (measured); at 1e-6 it is 1e-8, and rounding u * loss / eps ~ 6e-10 absolute
    rng, eps = np.random.default_rng(1), 1e-6
    for _ in range(3):
        direction = {k: rng.standard_normal(v.shape) for k, v in params.items()}

        def loss_at(s, direction=direction):
            moved = {k: v + s * direction[k] for k, v in params.items()}
            return float(T.loss(T.Direct(numpy, moved), consts, onehot, targets))

        fd = (loss_at(eps) - loss_at(-eps)) / (2 * eps)
        analytic = sum(float(np.sum(truth.first_step_grad[k] * direction[k])) for k in params)
        assert analytic == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_reference_transformer_learns_and_clips_some_steps_only():
    """A loop that trains nothing would agree across backends too; and a clipping threshold never reached (or
    always) would leave one side of the clamp untested."""
    truth = reference_training("transformer", 0)
    assert truth.losses[0] == pytest.approx(np.log(T.VOCAB), abs=0.01)  # GPT-2's init: logits near 0
    assert truth.losses[-10:].mean() < 0.8 * truth.losses[:5].mean()
    assert 0 < truth.extra["clipped_steps"] < truth.steps
    assert truth.extra["lrs"] == schedules.schedule("warmup_cosine", truth.steps, base_lr=T.LR,
                                                    warmup_steps=T.WARMUP, total_steps=truth.steps,
                                                    start_factor=T.START_FACTOR)  # fmt: skip


@pytest.mark.parametrize("bad", [None, np.inf, -np.inf, np.nan])
def test_the_loops_clipping_is_the_references(bad):
    """The loop clips backend arrays through sums of squares (reference/transformer.py ``_clip``); on NumPy it must
    give what :func:`reference.schedules.clip_grad_norm` (checked against torch) gives, inf and NaN included."""
    rng = np.random.default_rng(2)
    grads = {"a": rng.standard_normal((3, 4)), "b": np.array([-1.5, 0.25, -0.0])}
    if bad is not None:
        grads["b"][1] = bad
    for max_norm in (0.5, 100.0):
        ours, norm = T._clip(load_backend("numpy"), grads, max_norm)
        expected, expected_norm = schedules.clip_grad_norm(grads, max_norm)
        assert norm == pytest.approx(expected_norm, rel=1e-15, nan_ok=True)
        for name, value in expected.items():
            context = Context("transformer", "numpy", "cpu", "float64", "train", f"clipped {name}")
            assert_close(ours[name], value, dtype="float64", rtol=1e-15, atol=0.0, signed_zero=True, context=context)


# ---------------------------------------------------------------- the matrix's check catches a wrong run
class _ConstantLrOptimizer(HostOptimizer):
    """Ignores the schedule: keeps the rate it was made with."""

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = getattr(self, "_lr", value)


class ScheduleIgnored(NumpyBackend):
    name = "planted-schedule-ignored"

    def make_optimizer(self, name, params, lr, hyper):
        return _ConstantLrOptimizer(self, name, params, lr, hyper)


class TanhGeluGradient(NumpyBackend):
    """The exact GELU forward with the tanh approximation's derivative (a ~1e-3 relative slip)."""

    name = "planted-tanh-gelu-gradient"

    def _vjp(self, spec, inputs, params, cotangent):
        if spec.name != "gelu":
            return super()._vjp(spec, inputs, params, cotangent)
        (x,) = inputs
        inner = np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)
        t = np.tanh(inner)
        d_inner = np.sqrt(2.0 / np.pi) * (1.0 + 3 * 0.044715 * x**2)
        return (cotangent * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner),)


@pytest.mark.parametrize("backend", [ScheduleIgnored(), TanhGeluGradient()], ids=lambda b: b.name)
def test_the_train_check_catches_a_wrong_transformer_run(backend):
    """A schedule the optimizer ignores, a GELU gradient 1e-3 off: both move the losses far outside the allowance."""
    with pytest.raises(Mismatch, match=r"transformer \[train\] on planted-.* \(loss at each step\)"):
        run_check(Cell("train", "transformer", backend.name, "cpu", "float64", case=0), backend)
