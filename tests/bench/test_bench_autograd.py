"""The autograd engine against torch.autograd (and hand-written NumPy) on small problems.

Group ``poly step``: one step of the poly loop (forward, gradient, update) exactly as
``reference.loops.poly`` runs it, per backend; the goal is autograd <= 0.5x torch.
Groups ``op overhead``: forward + backward of one op on a 4x4 tensor.
"""

import numpy as np
import pytest

from impls import BackendUnavailable, load_backend
from reference import loops

BACKENDS = ("autograd", "torch", "numpy")


@pytest.fixture(params=BACKENDS)
def backend(request):
    try:
        return load_backend(request.param)
    except BackendUnavailable as error:
        pytest.skip(str(error))


def test_poly_step(benchmark, backend):
    benchmark.group = "poly step float64 (forward, gradient, update)"
    grad = "manual" if backend.name == "numpy" else "auto"
    features, target = loops.poly_data()
    X, y = backend.asarray(features, "float64", "cpu"), backend.asarray(target, "float64", "cpu")
    state = {"w": backend.asarray(np.zeros((5, 1)), "float64", "cpu")}

    def loss_of(w):
        err = X @ w - y
        return (err * err).sum() / 100

    def step():
        w = state["w"]
        if grad == "auto":
            loss, (g,) = backend.value_and_grad(loss_of, [w])
        else:
            err = X @ w - y
            loss, g = (err * err).sum() / 100, (2.0 / 100) * (X.T @ err)
        state["w"] = w - 1e-5 * g
        return loss

    benchmark.pedantic(step, rounds=200, iterations=50, warmup_rounds=10)


def _native(framework: str, op: str):
    """Forward + gradient of one op with a framework's own API (no parity interface in the way)."""
    x0 = np.random.default_rng(0).standard_normal((4, 4))
    if framework == "numpy":
        derivative = {
            "exp": lambda x, y, g: g * y,
            "mul": lambda x, y, g: 2 * g * x,
            "matmul": lambda x, y, g: g @ x.T + x.T @ g,
            "sum": lambda x, y, g: np.full_like(x, g),
        }[op]
        forward = {"exp": np.exp, "mul": lambda x: x * x, "matmul": lambda x: x @ x, "sum": np.sum}[op]

        def run():
            y = forward(x0)
            return derivative(x0, y, np.ones_like(y))

        return run
    if framework == "torch":
        torch = pytest.importorskip("torch")
        x = torch.tensor(x0, requires_grad=True)
        forward = {"exp": torch.exp, "mul": lambda x: x * x, "matmul": lambda x: x @ x, "sum": torch.sum}[op]
        return lambda: torch.autograd.grad(forward(x), x, torch.ones_like(forward(x).detach()))
    from impls.autograd import Tensor, grad, ops

    x = Tensor(x0, requires_grad=True)
    forward = {"exp": ops.exp, "mul": lambda x: x * x, "matmul": lambda x: x @ x, "sum": ops.sum_}[op]
    ones = np.ones(forward(x).shape)
    return lambda: grad(forward(x), [x], grad_output=ones)


@pytest.mark.parametrize("framework", BACKENDS)
@pytest.mark.parametrize("op", ["exp", "mul", "matmul", "sum"])
def test_op_overhead_forward_backward_4x4(benchmark, framework, op):
    """Per-op cost on a tiny tensor, where framework overhead is everything."""
    benchmark.group = f"op overhead: {op} forward+gradient 4x4 float64 (native APIs)"
    benchmark(_native(framework, op))
