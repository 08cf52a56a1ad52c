"""parity's own autograd engine: semantics, the seed demonstration, edge cases pinned against torch,
errors, memory, second order, modules and optimizers.  (Every catalog check also runs on it through
the matrix, as backend ``autograd``; tests/test_autograd_vs_torch.py pins its edge cases against torch.)"""

import gc
import math
import tracemalloc

import numpy as np
import pytest

from impls.autograd import Tensor, activations, grad, mathfuncs, nn, no_grad, ops, optim
from impls.autograd import functional as F

pytestmark = pytest.mark.autograd

RNG = np.random.default_rng(1234)


def leaf(values, dtype="float64"):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# ---------------------------------------------------------------- the seed demonstration
def test_derivative_of_sin_by_one_backward_and_by_one_hot_backwards():
    x = leaf(np.linspace(-2 * np.pi, 2 * np.pi, 100))
    y = ops.sin(x)
    y.backward(np.ones(100), retain_graph=True)
    np.testing.assert_allclose(x.grad.data, np.cos(x.data), rtol=0, atol=1e-15)
    rows = []
    for i in range(100):
        x.zero_grad()
        y.backward(np.eye(100)[i], retain_graph=True)
        rows.append(x.grad.data[i])
    np.testing.assert_allclose(rows, np.cos(x.data), rtol=0, atol=1e-15)


# ---------------------------------------------------------------- semantics
def test_gradients_accumulate_across_backward_calls_and_zero_grad_clears():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2 * 1 + 3, 2 * 2 + 3])
    x.zero_grad()
    assert x.grad is None


def test_a_tensor_used_several_times_gets_the_sum_of_its_uses():
    x = leaf([3.0])
    y = x * x * x + ops.exp(x) - x
    y.backward(np.ones(1))
    np.testing.assert_allclose(x.grad.data, 3 * 9 + math.exp(3) - 1)


def test_broadcast_gradients_are_summed_over_broadcast_axes():
    a, b = leaf(RNG.standard_normal((3, 1))), leaf(RNG.standard_normal((4,)))
    g = RNG.standard_normal((3, 4))
    (a * b).backward(g)
    np.testing.assert_allclose(a.grad.data, (g * b.data).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(b.grad.data, (g * a.data).sum(axis=0))


def test_detach_and_no_grad_build_no_graph():
    x = leaf([1.0, 2.0])
    assert not (x.detach() * 2.0).requires_grad
    with no_grad():
        y = x * 2.0
    assert not y.requires_grad and y.is_leaf


def test_grad_does_not_touch_dot_grad_and_gives_zeros_for_unused_inputs():
    x, unused = leaf([1.0, 2.0]), leaf([5.0])
    gx, gu = grad((x * x).sum(), [x, unused])
    np.testing.assert_array_equal(gx.data, [2.0, 4.0])
    np.testing.assert_array_equal(gu.data, [0.0])
    assert x.grad is None


def test_float32_stays_float32():
    x = leaf([1.0, 2.0], "float32")
    y = (x * 2.5 + 1.0).sum()
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


# ---------------------------------------------------------------- errors that say what to do
def test_backward_on_a_non_scalar_needs_a_gradient():
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar outputs.*shape \(2,\)"):
        (leaf([1.0, 2.0]) * 2.0).backward()


def test_upstream_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the output has shape \(2,\)"):
        (leaf([1.0, 2.0]) * 2.0).backward(np.ones(3))


def test_second_backward_through_a_freed_graph():
    x = leaf([1.0, 2.0])
    y = (ops.exp(x) * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time.*retain_graph=True"):
        y.backward()


def test_mixing_dtypes_is_refused():
    with pytest.raises(TypeError, match="mixing float32 and float64; cast explicitly"):
        leaf([1.0], "float32") + leaf([1.0], "float64")


def test_changing_a_saved_tensor_in_place_fails_at_backward():
    x = leaf([1.0, 2.0])
    h = x * 1.0  # a non-leaf that mul(h, h) saves
    y = (h * h).sum()
    h[0] = 5.0
    with pytest.raises(RuntimeError, match=r"modified in place after it was used \(version 1, expected 0\)"):
        y.backward()


def test_changing_an_unsaved_tensor_in_place_is_fine():
    x = leaf([1.0, 2.0])
    h = x * 1.0
    y = (h + 1.0).sum()  # add does not read h's values
    h[0] = 5.0
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_in_place_on_a_leaf_that_requires_grad_is_refused():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="in-place operation; use no_grad"):
        x[0] = 2.0


def test_non_float_data_is_refused():
    with pytest.raises(TypeError, match="floating point"):
        Tensor(np.array([1, 2]))


# ---------------------------------------------------------------- memory
def test_graph_is_freed_after_backward():
    x = leaf([1.0, 2.0])
    y = (ops.exp(x) * x).sum()
    node = y._node
    y.backward()
    assert node.backward is None  # closures, and the arrays they captured, are released


def test_a_thousand_step_training_loop_does_not_grow_memory():
    X, target = Tensor(RNG.standard_normal((64, 8))), Tensor(RNG.standard_normal((64, 1)))
    w = leaf(np.zeros((8, 1)))
    opt = optim.SGD([w], lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        err = X @ w - target
        (err * err).mean().backward()
        opt.step()

    for _ in range(100):
        step()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(1000):
        step()
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    growth = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert growth < 64 * 1024, f"{growth} bytes kept after 1000 steps"


# ---------------------------------------------------------------- second order against finite differences
def _second_order_fd(fn, x, v, u, eps=1e-5):
    """<w-projection> check: d/dt <v, grad_x <1, fn(x + t u)>> vs the autograd Hessian-vector product."""

    def first(values):
        t = leaf(values)
        (g,) = grad(fn(t).sum() if fn(t).size > 1 else fn(t), [t])
        return g.data

    numeric = (np.sum(v * first(x + eps * u)) - np.sum(v * first(x - eps * u))) / (2 * eps)
    t = leaf(x)
    out = fn(t)
    (g,) = grad(out.sum() if out.size > 1 else out, [t], create_graph=True)
    (h,) = grad((g * Tensor(v)).sum(), [t])
    return np.sum(h.data * u), numeric


SECOND_ORDER = {
    "exp": ops.exp,
    "log": lambda x: ops.log(ops.abs(x) + 0.5),
    "sqrt": lambda x: ops.sqrt(x * x + 1.0),
    "sin": ops.sin,
    "cos": ops.cos,
    "tanh": ops.tanh,
    "sigmoid": ops.sigmoid,
    "erf": ops.erf,
    "softplus": ops.softplus,
    "gelu": ops.gelu,
    "reciprocal": lambda x: ops.reciprocal(x * x + 1.0),
    "expm1": ops.expm1,
    "log1p": lambda x: ops.log1p(x * x),
    "square": ops.square,
    "mul": lambda x: x * ops.sin(x),
    "div": lambda x: ops.sin(x) / (x * x + 2.0),
    "pow": lambda x: ops.pow(x * x + 1.0, Tensor(np.full(x.shape, 1.7))),
    "matmul": lambda x: ops.tanh(ops.reshape(x, (2, 3)) @ Tensor(np.linspace(-1.0, 1.0, 12).reshape(3, 4))),
    "softmax": lambda x: ops.softmax(x) * Tensor(np.arange(6.0)),
    "logsumexp": lambda x: ops.logsumexp(x) * x,
    "mse_loss": lambda x: F.mse_loss(ops.tanh(x), Tensor(np.linspace(-1, 1, 6))),
    "cross_entropy": lambda x: F.cross_entropy(ops.reshape(x, (2, 3)), np.array([0, 2])),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, Tensor(np.linspace(0, 1, 6))),
    "huber_loss": lambda x: F.huber_loss(ops.sin(x), Tensor(np.zeros(6)), delta=0.5),
    # the families of #14
    "exp2": mathfuncs.exp2,
    "log2": lambda x: mathfuncs.log2(x * x + 0.5),
    "rsqrt": lambda x: mathfuncs.rsqrt(x * x + 0.5),
    "sinh": mathfuncs.sinh,
    "atan": mathfuncs.atan,
    "asinh": mathfuncs.asinh,
    "atanh": lambda x: mathfuncs.atanh(ops.tanh(x) * 0.5),
    "atan2": lambda x: mathfuncs.atan2(x, x * x + 1.0),
    "hypot": lambda x: mathfuncs.hypot(x, x * x + 1.0),
    "logaddexp": lambda x: mathfuncs.logaddexp(x, ops.sin(x)),
    "xlogy": lambda x: mathfuncs.xlogy(x, x * x + 1.0),
    "silu": activations.silu,
    "mish": activations.mish,
    "gelu_tanh": activations.gelu_tanh,
    "log_sigmoid": activations.log_sigmoid,
    "elu": lambda x: activations.elu(x, 0.7),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_order_matches_finite_differences_of_the_gradient(name):
    rng = np.random.default_rng(len(name))
    x, v, u = rng.standard_normal(6), rng.standard_normal(6), rng.standard_normal(6)
    analytic, numeric = _second_order_fd(SECOND_ORDER[name], x, v, u)
    assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-7)


def test_second_order_through_conv2d_says_it_is_not_implemented():
    x = leaf(RNG.standard_normal((1, 1, 4, 4)))
    out = F.conv2d(x, Tensor(RNG.standard_normal((1, 1, 2, 2))))
    (g,) = grad(out.sum(), [x], create_graph=False)
    assert g.shape == x.shape
    with pytest.raises(NotImplementedError, match="second-order gradients through conv2d"):
        grad(F.conv2d(x, Tensor(np.ones((1, 1, 2, 2)))).sum(), [x], create_graph=True)


# ---------------------------------------------------------------- modules
def engine_cnn(rng):
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1, bias=False, rng=rng),
        nn.BatchNorm2d(3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16, 3, rng=rng),
    )


def test_state_dict_round_trip_and_mismatch_errors():
    a, b = engine_cnn(np.random.default_rng(1)), engine_cnn(np.random.default_rng(2))
    b.load_state_dict(a.state_dict())
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[key], value)
    with pytest.raises(KeyError, match="missing"):
        b.load_state_dict({})
    bad = a.state_dict()
    bad["8.bias"] = np.zeros(5)
    with pytest.raises(ValueError, match=r"8.bias: shape \(5,\)"):
        b.load_state_dict(bad)


def test_dropout_module_is_identity_in_eval_and_scales_in_train():
    layer = nn.Dropout(0.25, rng=np.random.default_rng(0))
    x = Tensor(np.ones((200, 50)))
    kept = layer(x).data
    assert set(np.unique(kept)) <= {0.0, 1.0 / 0.75} and abs(kept.mean() - 1.0) < 0.05
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, x.data)


def test_optimizer_requires_tensors_that_need_grad():
    with pytest.raises(TypeError, match=r"params\[0\] must be a Tensor with requires_grad=True"):
        optim.Adam([Tensor(np.ones(2))], lr=0.1)


def test_the_engines_functions_default_their_parameters_as_the_reference_does():
    """A default that differs from the reference's (max_pool2d's dilation=0 for 1) hides while every caller passes
    the parameter, as the matrix does; a user's call without it then computes something else."""
    import inspect

    from impls.autograd import functional
    from reference import CATALOG

    compared = 0
    for name, spec in CATALOG.items():
        engine = getattr(functional, name, None)
        if not callable(engine):
            continue
        ours = {p.name: p.default for p in inspect.signature(engine).parameters.values() if p.default is not p.empty}
        for p in inspect.signature(spec.forward).parameters.values():
            if p.default is not p.empty and p.name in ours:
                compared += 1
                assert ours[p.name] == p.default and type(ours[p.name]) is type(p.default), (name, p.name)
    assert compared >= 10  # the engine's layers and losses with defaults are really compared


# ---------------------------------------------------------------- the create_graph path of every backward
def _engine_cases():
    from impls import load_backend
    from reference import CATALOG

    backend = load_backend("autograd")
    for name, spec in CATALOG.items():
        if name in backend.ops and spec.has_gradient and "float64" in spec.dtypes:
            yield pytest.param(backend, spec, id=name)


@pytest.mark.parametrize(("backend", "spec"), list(_engine_cases()))
def test_a_gradient_recorded_for_a_second_order_gives_the_first_order_values(backend, spec):
    """Every engine backward has two paths: plain NumPy, and with ``create_graph`` one built of differentiable
    engine ops (for a Hessian-vector product).  The second-order checks above cover a hand-picked list; here every
    catalog entry's case gives the same gradient both ways (random cotangent, float64), so a slip in a path that
    only second-order use takes (linear's reshape of x under create_graph) cannot pass."""
    from impls.base import bind_params
    from parity.checks import Cell, _to_backend
    from parity.inputs import cotangent_like, sample

    engine, checked = backend.engine, 0
    for index, case in enumerate(spec.cases):
        inputs = sample(spec.domain, case.shapes, Cell("vjp", spec.name, case=index).seed())
        params = bind_params(spec, inputs, case.params)
        wanted = spec.differentiable(inputs)
        if not any(wanted):
            continue
        placed = _to_backend(backend, inputs, "float64", "cpu")
        gradients = []
        for create_graph in (False, True):
            args = [Tensor(x.data, requires_grad=True) if want else x for x, want in zip(placed, wanted)]
            out = backend.ops[spec.name](*args, **params)
            cotangent = cotangent_like(out.shape, index)
            try:
                found = engine.grad(out, [a for a, want in zip(args, wanted) if want], grad_output=cotangent,
                                    create_graph=create_graph)  # fmt: skip
            except NotImplementedError:  # a backward without a second-order path says so (conv2d)
                break
            gradients.append([g.data for g in found])
        if len(gradients) == 2:
            for first, second in zip(*gradients):
                np.testing.assert_allclose(second, first, rtol=1e-9, atol=1e-12, err_msg=f"{spec.name} {case.id}")
            checked += 1
    if not checked:
        pytest.skip(f"{spec.name}: no case has a second-order path")
