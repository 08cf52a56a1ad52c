"""parity's autograd engine against torch: edge semantics (kinks, ties, x**0 at 0) and the nn modules."""

import math

import numpy as np
import pytest

from impls.autograd import Tensor, ops
from impls.autograd import functional as F
from tests.test_autograd import RNG, engine_cnn, leaf

pytestmark = pytest.mark.autograd
torch = pytest.importorskip("torch")


def _both(fn_engine, fn_torch, values, *more):
    ours = leaf(values)
    fn_engine(ours, *more).sum().backward()
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    fn_torch(theirs, *more).sum().backward()
    return ours.grad.data, theirs.grad.numpy()


@pytest.mark.parametrize(
    ("name", "engine", "reference", "values", "expected"),
    [
        (
            "x**0 at 0",
            lambda x: ops.pow(x, Tensor(np.zeros(2))),
            lambda x: torch.pow(x, torch.zeros(2, dtype=torch.float64)),
            [0.0, 2.0],
            [0.0, 0.0],
        ),
        ("relu'(0)", ops.relu, torch.relu, [0.0, 1.0, -1.0], [0.0, 1.0, 0.0]),
        ("abs'(0)", ops.abs, torch.abs, [0.0, -2.0, 2.0], [0.0, -1.0, 1.0]),
        ("sqrt'(0)", ops.sqrt, torch.sqrt, [0.0, 4.0], [math.inf, 0.25]),
        ("max ties split evenly", lambda x: ops.max(x), torch.amax, [3.0, 1.0, 3.0], [0.5, 0.0, 0.5]),
        (
            "maximum ties split",
            lambda x: ops.maximum(x, Tensor(np.array([1.0, 1.0]))),
            lambda x: torch.maximum(x, torch.tensor([1.0, 1.0], dtype=torch.float64)),
            [1.0, 2.0],
            [0.5, 1.0],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_edge_semantics_match_torch(name, engine, reference, values, expected):
    ours, theirs = _both(engine, reference, values)
    np.testing.assert_array_equal(ours, expected)
    np.testing.assert_array_equal(theirs, expected)


# ---------------------------------------------------------------- modules against torch.nn
def _torch_cnn():
    T = torch.nn
    return T.Sequential(
        T.Conv2d(1, 3, 3, padding=1, bias=False),
        T.BatchNorm2d(3),
        T.ReLU(),
        T.MaxPool2d(2),
        T.Conv2d(3, 4, 3, padding=1),
        T.ReLU(),
        T.AvgPool2d(2),
        T.Flatten(),
        T.Linear(16, 3),
    ).double()


def _load_torch(model, state):
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)


def test_modules_match_torch_nn_in_train_and_eval_mode():
    ours = engine_cnn(np.random.default_rng(0))
    theirs = _torch_cnn()
    state = ours.state_dict()
    torch_keys = set(theirs.state_dict()) - {"1.num_batches_tracked"}
    assert set(state) == torch_keys
    _load_torch(theirs, state)
    x = RNG.standard_normal((5, 1, 8, 8))
    target = np.array([0, 1, 2, 1, 0])
    loss = F.cross_entropy(ours(Tensor(x)), target)
    loss.backward()
    t_loss = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(target))
    t_loss.backward()
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-12)
    torch_grads = {k: p.grad.numpy() for k, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, torch_grads[name], rtol=1e-10, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(ours.state_dict()["1.running_var"], theirs.state_dict()["1.running_var"].numpy())
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
