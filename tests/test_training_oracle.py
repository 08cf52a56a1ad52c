"""An oracle for what the reference run and every backend's run share (issue #20: common-mode errors).

``check_training`` compares each backend's loop with the reference run, but both go through the same loop code
(``reference/loops.py``: the batch-norm running statistics, the recorded first-step gradient, the optimizer
bookkeeping of ``impls.base.HostOptimizer``), so a bug there moves both sides together.  Here torch's own
``nn`` modules and ``torch.optim`` run the same problem (the same data, initial parameters and mini-batches) with
none of that code, and the reference run must agree with them; ``poly`` and ``linreg``'s first-step gradients are
checked against central differences of their loss (exact for a quadratic).
"""

from __future__ import annotations

import numpy as np
import pytest

from parity.checks import reference_training
from parity.compare import Context, assert_close, assert_same_names
from reference import LOOP_SPECS, loops

ORACLE = "torch.nn + torch.optim"


def _torch_model(torch, model: str):
    nn = torch.nn
    if model == "mlp":
        return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, loops.CLASSES)).double()
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4, eps=1e-5, momentum=0.1), nn.ReLU(),
        nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(24, loops.CLASSES),
    ).double()  # fmt: skip


# parity's parameter names -> torch's state-dict keys (running statistics included)
NAMES = {
    "mlp": {"fc1.weight": "0.weight", "fc1.bias": "0.bias", "fc2.weight": "2.weight", "fc2.bias": "2.bias"},
    "cnn": {
        "conv1.weight": "0.weight",
        "bn.weight": "1.weight",
        "bn.bias": "1.bias",
        "conv2.weight": "4.weight",
        "conv2.bias": "4.bias",
        "fc.weight": "8.weight",
        "fc.bias": "8.bias",
        "bn.mean": "1.running_mean",
        "bn.var": "1.running_var",
    },  # fmt: skip
}


def torch_training(torch, model: str, optimizer: str):
    """The classifier loop written with torch alone: losses, first-step gradients, final parameters and running
    statistics (named as parity names them), and the eval-mode loss."""
    net = _torch_model(torch, model)
    names = NAMES[model]
    init = loops.init_params(model)
    net.load_state_dict({names[k]: torch.tensor(v) for k, v in init.items()}, strict=False)
    data = loops.classifier_data(model)
    steps, batch = loops.CLASSIFIER_DEFAULTS[model]["steps"], loops.CLASSIFIER_DEFAULTS[model]["batch"]
    hyper = dict(loops.OPTIMIZER_DEFAULTS[optimizer])
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[optimizer]
    opt = cls(net.parameters(), **hyper)
    by_key = dict(net.named_parameters())
    losses, first = [], None
    for index in loops._batches(len(data["y"]), batch, steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(torch.tensor(data["x"][index])), torch.tensor(data["y"][index]))
        loss.backward()
        if first is None:
            first = {k: by_key[v].grad.numpy().copy() for k, v in names.items() if v in by_key}
        losses.append(loss.item())
        opt.step()
    state = net.state_dict()
    net.eval()
    with torch.no_grad():
        logits = net(torch.tensor(data["x_eval"]))
        eval_loss = torch.nn.functional.cross_entropy(logits, torch.tensor(data["y_eval"])).item()
    final = {k: state[v].numpy() for k, v in names.items()}
    return np.array(losses), first, final, eval_loss


# mixed-precision cases have their own torch oracle (torch.autocast and GradScaler: tests/test_mixed_precision.py)
CLASSIFIER_CASES = [(loop, i) for loop in ("mlp", "cnn") for i, case in enumerate(LOOP_SPECS[loop].cases)
                    if "amp" not in case.params]  # fmt: skip


def compare_with_torch(loop: str, case: int) -> None:
    """Raise :class:`~parity.compare.Mismatch` unless the reference run of ``loop`` (case ``case``) agrees with
    torch's own modules and optimizers: every loss, the first-step gradient, the final parameters, the running
    statistics and the eval loss, within the loop's float64 trajectory allowance."""
    torch = pytest.importorskip("torch", reason="the independent oracle of the training loops is torch.nn")
    spec = LOOP_SPECS[loop]
    truth = reference_training(loop, case)
    losses, first, final, eval_loss = torch_training(torch, loop, spec.cases[case].params["optimizer"])
    steps = len(losses)

    def close(actual, expected, scale, k, what):
        atol = 1e-12 + spec.allowance("float64", k, scale)[-1]
        context = Context(loop, ORACLE, "cpu", "float64", "train", f"the reference run's {what} against {ORACLE}")
        assert_close(np.asarray(actual, dtype=np.float64), expected, dtype="float64", rtol=1e-9, atol=atol,
                     context=context)  # fmt: skip

    close(truth.losses, losses, float(np.max(np.abs(losses))), steps, "loss at each step")
    close(truth.extra["eval_loss"], eval_loss, abs(eval_loss), steps, "eval loss")
    for what, ours, theirs, k in (("first-step gradient", truth.first_step_grad, first, 1),
                                  ("final parameters", truth.params, final, steps)):  # fmt: skip
        assert_same_names(ours, theirs, what=what, context=Context(loop, ORACLE, "cpu", "float64", "train"))
        scale = max(float(np.max(np.abs(v))) for v in theirs.values())
        for name, value in theirs.items():
            close(ours[name], value, scale, k, f"{what} {name}")


@pytest.mark.torch
@pytest.mark.parametrize(("loop", "case"), CLASSIFIER_CASES, ids=[f"{lp}-{i}" for lp, i in CLASSIFIER_CASES])
def test_reference_classifier_run_agrees_with_torch_nn_and_optim(loop, case):
    compare_with_torch(loop, case)


def _fd_gradient(loss, params: dict, eps: float = 1e-3) -> dict:
    """Central differences of ``loss(params)``, element by element (exact up to rounding for a quadratic)."""
    out = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            plus, minus = {**params, name: value.copy()}, {**params, name: value.copy()}
            plus[name][i] += eps
            minus[name][i] -= eps
            grad[i] = (loss(plus) - loss(minus)) / (2 * eps)
        out[name] = grad
    return out


def _poly_loss(p):
    X, y = loops.poly_data()
    err = X @ p["w"] - y
    return float(np.sum(err * err) / loops.POLY_POINTS)


def _linreg_loss(p):
    x, y = next(iter(loops.linreg_batches(1, 1)))
    r = x @ p["w"] + p["b"] - y
    return float(np.sum(r * r))


@pytest.mark.parametrize(
    ("loop", "loss", "start"),
    [
        ("poly", _poly_loss, {"w": np.zeros((loops.POLY_DEGREE + 1, 1))}),
        ("linreg", _linreg_loss, {"w": np.ones((1, 1)), "b": np.ones((1, 1))}),
    ],  # fmt: skip
)
def test_first_step_gradient_is_the_derivative_of_the_first_loss(loop, loss, start):
    truth = reference_training(loop, 0)
    expected = _fd_gradient(loss, start)
    context = Context(loop, "finite differences", "cpu", "float64", "train", "first-step gradient")
    assert_same_names(truth.first_step_grad, expected, what="first-step gradient", context=context)
    assert truth.losses[0] == pytest.approx(loss(start), rel=1e-12)
    for name, value in expected.items():
        scale = float(np.max(np.abs(value)))
        assert_close(truth.first_step_grad[name], value, dtype="float64", rtol=1e-7, atol=1e-9 * scale,
                     context=context)  # fmt: skip
