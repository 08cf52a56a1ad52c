"""The reference's learning-rate schedules and gradient clipping (:mod:`reference.schedules`) against torch's own
``torch.optim.lr_scheduler`` and ``torch.nn.utils.clip_grad_norm_``, step by step; and the three together with
AdamW against torch's training step (the machinery of the transformer loop, issue #15)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from parity.compare import Context, assert_close
from reference import optim, schedules

U64 = 2.0**-53


def _context(what: str, dtype: str = "float64") -> Context:
    return Context("schedules", "torch", "cpu", dtype, "train", what)


def _torch_rates(torch, make_scheduler, base_lr: float, steps: int) -> list[float]:
    """The rate each of ``steps`` optimizer steps uses under torch's scheduler (read before each step)."""
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([param], lr=base_lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def _assert_rates(ours, theirs, base_lr: float, what: str) -> None:
    """torch multiplies the previous rate by a ratio each step (one rounding or a few per step, each of at most u
    relative to the rate: the cosine ratio's cancellation in 1 + cos near pi costs u relative to 1, which the ratio
    then scales by the rate, so u of base_lr absolutely); the closed form rounds a fixed number of times.  After k
    steps they differ by at most (k + 1) * 8 u * base_lr -- an off-by-one step differs by a whole step's change."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    atol = (np.arange(len(ours)) + 1) * 8 * U64 * base_lr
    assert_close(ours, theirs, dtype="float64", rtol=0.0, atol=atol, context=_context(what))


STEP_CONFIGS = [
    {"base_lr": 0.1, "step_size": 3, "gamma": 0.5},
    {"base_lr": 1.0, "step_size": 1, "gamma": 0.9},
    {"base_lr": 0.01, "step_size": 7, "gamma": 0.1},
]


@pytest.mark.torch
@pytest.mark.parametrize("config", STEP_CONFIGS, ids=lambda c: f"size{c['step_size']}-gamma{c['gamma']}")
def test_step_lr_matches_torch_step_by_step(config):
    torch = pytest.importorskip("torch")
    steps = 25
    theirs = _torch_rates(torch, lambda o: torch.optim.lr_scheduler.StepLR(o, config["step_size"], config["gamma"]),
                          config["base_lr"], steps)  # fmt: skip
    _assert_rates(schedules.schedule("step", steps, **config), theirs, config["base_lr"], "StepLR")


WARMUP_CONFIGS = [
    {"base_lr": 0.01, "warmup_steps": 5, "total_steps": 40, "start_factor": 0.1, "eta_min": 0.0},
    {"base_lr": 1.0, "warmup_steps": 1, "total_steps": 10, "start_factor": 0.5, "eta_min": 0.05},
    {"base_lr": 3e-4, "warmup_steps": 10, "total_steps": 100, "start_factor": 1e-3, "eta_min": 1e-5},
]


@pytest.mark.torch
@pytest.mark.parametrize("config", WARMUP_CONFIGS, ids=lambda c: f"warmup{c['warmup_steps']}-of{c['total_steps']}")
def test_warmup_cosine_matches_torch_sequential_linear_then_cosine(config):
    """Up to and past total_steps (torch's cosine is periodic there, and so is the reference's)."""
    torch = pytest.importorskip("torch")
    lr_scheduler = torch.optim.lr_scheduler
    warmup, total = config["warmup_steps"], config["total_steps"]

    def make(optimizer):
        return lr_scheduler.SequentialLR(optimizer, [
            lr_scheduler.LinearLR(optimizer, start_factor=config["start_factor"], end_factor=1.0, total_iters=warmup),
            lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup, eta_min=config["eta_min"]),
        ], milestones=[warmup])  # fmt: skip

    steps = total + total // 2
    theirs = _torch_rates(torch, make, config["base_lr"], steps)
    _assert_rates(schedules.schedule("warmup_cosine", steps, **config), theirs, config["base_lr"], "SequentialLR")


@pytest.mark.torch
def test_warmup_cosine_from_zero_matches_torch_lambda_lr():
    """start_factor 0 (LinearLR refuses it): the usual LambdaLR, its factor written here independently."""
    torch = pytest.importorskip("torch")
    base_lr, warmup, total = 0.02, 4, 30

    def factor(k):
        if k < warmup:
            return k / warmup
        return 0.5 * (1.0 + math.cos(math.pi * (k - warmup) / (total - warmup)))

    theirs = _torch_rates(torch, lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor), base_lr, total + 5)
    ours = schedules.schedule("warmup_cosine", total + 5, base_lr=base_lr, warmup_steps=warmup, total_steps=total)
    _assert_rates(ours, theirs, base_lr, "LambdaLR")


def test_warmup_cosine_at_its_landmarks():
    """Stated by hand: start_factor * base_lr at step 0, base_lr at the end of the warmup, halfway between base_lr
    and eta_min halfway through the decay, eta_min at total_steps."""
    config = {"base_lr": 0.5, "warmup_steps": 4, "total_steps": 24, "start_factor": 0.25, "eta_min": 0.1}
    lr = schedules.schedule("warmup_cosine", 25, **config)
    assert lr[0] == 0.125 and lr[2] == 0.5 * (0.25 + 0.75 * 0.5)
    assert lr[4] == 0.5 and lr[14] == pytest.approx(0.3, rel=1e-15) and lr[24] == pytest.approx(0.1, rel=1e-15)
    assert all(a < b for a, b in zip(lr[:4], lr[1:5])) and all(a > b for a, b in zip(lr[4:24], lr[5:25]))


@pytest.mark.parametrize(
    ("name", "config", "error", "match"),
    [
        ("warmup_cosine", {"base_lr": 0.1, "warmup_steps": 5, "total_steps": 5}, ValueError, "warmup_steps < total"),
        (
            "warmup_cosine",
            {"base_lr": 0.1, "warmup_steps": 1, "total_steps": 5, "start_factor": 1.5},
            ValueError,
            "start_factor must be in",
        ),
        ("warmup_cosine", {"base_lr": 0.1, "warmup_steps": 1.0, "total_steps": 5}, TypeError, "warmup_steps must be"),
        ("step", {"base_lr": 0.1, "step_size": 0}, ValueError, "step_size must be >= 1"),
        ("step", {"base_lr": -0.1, "step_size": 2}, ValueError, "base_lr must be >= 0"),
        ("cosine", {}, ValueError, "name must be one of"),
    ],  # fmt: skip
)
def test_schedules_reject_bad_arguments(name, config, error, match):
    with pytest.raises(error, match=match):
        schedules.schedule(name, 3, **config)


# ---------------------------------------------------------------- clipping
def _torch_clip(torch, grads: dict, max_norm: float, dtype: str, **kw):
    params = []
    for g in grads.values():
        p = torch.nn.Parameter(torch.zeros(g.shape, dtype=getattr(torch, dtype)))
        p.grad = torch.tensor(g, dtype=getattr(torch, dtype))
        params.append(p)
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm, **kw)
    return {k: p.grad.numpy() for k, p in zip(grads, params)}, float(norm)


def _gradients(seed: int, dtype: str) -> dict:
    rng = np.random.default_rng(seed)
    shapes = {"w": (4, 3), "b": (3,), "e": (2, 2, 2), "empty": (0, 2)}
    return {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("max_norm", "norm_type"), [(1.0, 2.0), (100.0, 2.0), (0.5, math.inf), (0.3, 1.0)])
def test_clip_grad_norm_matches_torch(dtype, max_norm, norm_type):
    """Clipped (max_norm below the norm, ~4) and untouched (100: coefficient clamped to 1) alike."""
    torch = pytest.importorskip("torch")
    grads = _gradients(3, dtype)
    if norm_type == math.inf:  # an empty gradient has no infinity norm (test below)
        del grads["empty"]
    ours, norm = schedules.clip_grad_norm(grads, max_norm, norm_type=norm_type)
    theirs, their_norm = _torch_clip(torch, grads, max_norm, dtype, norm_type=norm_type)
    tolerance = {"float64": 1e-12, "float32": 1e-6}[dtype]  # a few roundings of sums of 12 terms
    assert norm == pytest.approx(their_norm, rel=tolerance)
    for name in grads:
        assert_close(ours[name], theirs[name], dtype=dtype, rtol=tolerance, atol=0.0,
                     context=_context(f"clipped gradient {name}", dtype))  # fmt: skip
    if max_norm == 100.0:
        assert all(np.array_equal(ours[k], grads[k]) for k in grads), "a coefficient of 1 changes nothing"


@pytest.mark.torch
@pytest.mark.parametrize(
    ("bad", "norm", "expected_w"),
    [
        # inf: the total norm is inf, the coefficient max_norm / inf = 0: finite elements become signed zeros,
        # the infinite one inf * 0 = NaN
        (math.inf, math.inf, [0.0, -0.0, math.nan]),
        (-math.inf, math.inf, [0.0, -0.0, math.nan]),
        # NaN: the total norm and the coefficient are NaN, every element of every gradient NaN
        (math.nan, math.nan, [math.nan, math.nan, math.nan]),
    ],
)
def test_clip_grad_norm_with_a_non_finite_gradient_does_what_torch_does(bad, norm, expected_w):
    torch = pytest.importorskip("torch")
    grads = {"w": np.array([1.0, -2.0, bad]), "b": np.array([3.0, -0.0])}
    expected_b = [0.0, -0.0] if math.isinf(bad) else [math.nan, math.nan]
    ours, our_norm = schedules.clip_grad_norm(grads, 1.0)
    theirs, their_norm = _torch_clip(torch, grads, 1.0, "float64")
    for name, expected in (("w", expected_w), ("b", expected_b)):
        for result, who in ((ours, "reference"), (theirs, "torch")):
            assert_close(result[name], expected, dtype="float64", rtol=0.0, atol=0.0, signed_zero=True,
                         context=Context("clip_grad_norm", who, "cpu", "float64", "special", name))  # fmt: skip
    assert (our_norm == their_norm == norm) or (math.isnan(our_norm) and math.isnan(their_norm) and math.isnan(norm))
    with pytest.raises(ValueError, match="error_if_nonfinite=True"):
        schedules.clip_grad_norm(grads, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        _torch_clip(torch, grads, 1.0, "float64", error_if_nonfinite=True)


@pytest.mark.torch
def test_clip_grad_norm_refuses_the_infinity_norm_of_an_empty_gradient_as_torch_does():
    torch = pytest.importorskip("torch")
    grads = {"w": np.ones(3), "empty": np.zeros((0, 2))}
    with pytest.raises(ValueError, match=r"grads\['empty'\] is empty"):
        schedules.clip_grad_norm(grads, 1.0, norm_type=math.inf)
    with pytest.raises(RuntimeError, match="infinity norm on an empty tensor"):
        _torch_clip(torch, grads, 1.0, "float64", norm_type=math.inf)


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (([1.0, 2.0], 1.0), TypeError, "grads must be a mapping"),
        (({"w": np.ones(2)}, "1"), TypeError, "max_norm must be a real number"),
        (({"w": np.ones(2, dtype=np.int64)}, 1.0), TypeError, r"grads\['w'\]"),
    ],
)
def test_clip_grad_norm_rejects_bad_arguments(args, error, match):
    with pytest.raises(error, match=match):
        schedules.clip_grad_norm(*args)


# ---------------------------------------------------------------- all three, step by step
@pytest.mark.torch
def test_adamw_with_warmup_cosine_and_clipping_matches_torch_step_by_step():
    """A least-squares problem trained by AdamW under the warmup-cosine schedule with clipping at 1 (the loop's
    machinery): the reference's parameters after every step against torch.optim.AdamW + SequentialLR +
    clip_grad_norm_, within the optimizers' trajectory allowance.  The gradient norm starts above max_norm and ends
    below it, so both sides of the clamp are taken."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
    start = {"w": rng.standard_normal((3, 2)), "b": np.zeros(2)}
    config = {"base_lr": 0.1, "warmup_steps": 3, "total_steps": 30, "start_factor": 0.2}
    steps, max_norm, hyper = 30, 1.0, {"weight_decay": 0.1}

    def gradients(p):
        r = x @ p["w"] + p["b"] - y
        return {"w": 2 * x.T @ r / len(x), "b": 2 * r.sum(axis=0) / len(x)}

    params, state, ours, norms = dict(start), {"w": {}, "b": {}}, [], []
    for lr in schedules.schedule("warmup_cosine", steps, **config):
        grads, norm = schedules.clip_grad_norm(gradients(params), max_norm)
        norms.append(norm)
        for k in params:
            params[k], state[k] = optim.adamw(params[k], grads[k], state[k], lr=lr, **hyper)
        ours.append(dict(params))
    assert max(norms) > max_norm > min(norms), "both branches of the clamp"

    tp = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in start.items()}
    opt = torch.optim.AdamW(list(tp.values()), lr=config["base_lr"], **hyper)
    lr_scheduler = torch.optim.lr_scheduler
    scheduler = lr_scheduler.SequentialLR(opt, [
        lr_scheduler.LinearLR(opt, start_factor=config["start_factor"], total_iters=config["warmup_steps"]),
        lr_scheduler.CosineAnnealingLR(opt, T_max=config["total_steps"] - config["warmup_steps"]),
    ], milestones=[config["warmup_steps"]])  # fmt: skip
    tx, ty = torch.tensor(x), torch.tensor(y)
    for k in range(steps):
        opt.zero_grad()
        loss = ((tx @ tp["w"] + tp["b"] - ty) ** 2).sum() / len(x)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tp.values(), max_norm)
        opt.step()
        scheduler.step()
        for name, p in tp.items():
            truth = p.detach().numpy()
            atol = (k + 1) * 8 * U64 * (float(np.max(np.abs(truth))) + config["base_lr"])
            assert_close(ours[k][name], truth, dtype="float64", rtol=1e-12, atol=atol,
                         context=_context(f"{name} after step {k + 1}"))  # fmt: skip
