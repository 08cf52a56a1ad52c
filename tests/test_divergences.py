"""Known disagreements between NumPy and torch (../shared/DIVERGENCES.md), each pinned exactly.

If a library changes behaviour, the matching test fails and the catalog or adapter must follow.
Divergences at catalog cells are declared as data on the backend (``declarations``, with the machine
conditions where they hold) and judged in the matrix; the ones here concern library APIs the adapters
hide, and the dispatch knobs that decide a conditional divergence.
"""

import math

import numpy as np
import pytest

from parity.machine import machine_facts
from reference import get_spec, optim

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
X = np.array([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]])


def test_var_defaults_differ_ddof0_vs_correction1():
    # DIVERGENCES 2: np.var divides by N, torch.var by N - 1; the reference has no default at all.
    n = X.size
    assert np.isclose(torch.var(torch.tensor(X)).item(), np.var(X) * n / (n - 1))
    assert np.isclose(np.var(X), get_spec("var").forward(X, correction=0))
    assert np.isclose(torch.var(torch.tensor(X)).item(), get_spec("var").forward(X, correction=1))


def test_empty_axis_tuple_reduces_nothing_in_numpy_and_everything_in_torch():
    assert np.sum(X, axis=()).shape == X.shape
    assert torch.sum(torch.tensor(X), dim=()).shape == ()
    # the torch adapter restores NumPy's meaning
    from impls import load_backend

    backend = load_backend("torch")
    out = backend.run("sum", [backend.asarray(X, "float64")], {"axis": ()})
    assert tuple(out.shape) == X.shape


def test_sum_of_negative_zeros():
    # IEEE 754: -0 + -0 = -0.  Both libraries start their accumulators at +0.0.
    zeros = np.array([-0.0, -0.0])
    assert not np.signbit(np.sum(zeros))
    assert np.signbit(np.sum(zeros, initial=-0.0))
    assert not torch.sum(torch.tensor(zeros)).signbit().item()
    assert np.signbit(get_spec("sum").forward(zeros))


def test_max_over_dim_sends_the_gradient_to_one_tie_while_amax_splits_it():
    # DIVERGENCES 5: torch.max(dim) returns an index and routes the whole gradient there.
    x = torch.tensor([[3.0, 1.0, 3.0]], dtype=torch.float64, requires_grad=True)
    torch.max(x, dim=1).values.sum().backward()
    assert sorted(x.grad[0].tolist()) == [0.0, 0.0, 1.0]
    y = x.detach().clone().requires_grad_(True)
    torch.amax(y, dim=1).sum().backward()
    assert y.grad[0].tolist() == [0.5, 0.0, 0.5]


def test_nan_in_max_propagates_but_fmax_drops_it():
    # DIVERGENCES 6/18
    a, b = np.array([np.nan, 1.0]), np.array([1.0, np.nan])
    assert np.isnan(np.maximum(a, b)).all() and torch.isnan(torch.maximum(torch.tensor(a), torch.tensor(b))).all()
    assert np.fmax(a, b).tolist() == [1.0, 1.0]
    assert torch.fmax(torch.tensor(a), torch.tensor(b)).tolist() == [1.0, 1.0]


def test_torch_rejects_negative_slice_steps():
    with pytest.raises(ValueError, match="step must be greater than zero"):
        torch.arange(5)[::-1]
    assert np.arange(5)[::-1].tolist() == [4, 3, 2, 1, 0]


def test_torch_gelu_of_minus_inf_is_nan_everywhere():
    # Declared on the torch backend (gelu:minus-inf), unconditionally: -inf * 0 in the literal formula.
    f = torch.nn.functional.gelu
    assert math.isnan(f(torch.tensor([-math.inf], dtype=torch.float64)).item())
    assert math.isnan(f(torch.full((3,), -math.inf)).tolist()[0])
    assert f(torch.full((2,), math.inf, dtype=torch.float64)).tolist() == [math.inf, math.inf]


def _gelu_at_inf_under(isa_knob: str, dtype: str) -> tuple[str | None, list]:
    """In a fresh process with ONEDNN_MAX_CPU_ISA=``isa_knob``: oneDNN's elementwise JIT for a float32 gelu (the
    fact torch.onednn_isa, probed as impls.torch_backend does) and gelu(+inf) in ``dtype``."""
    from impls.torch_backend import onednn_probe

    gelu = "torch.nn.functional.gelu"
    at_inf = f"torch.full((4,), math.inf, dtype=torch.{dtype})"
    code = f"import math, torch; {gelu}(torch.ones(64)); print({gelu}({at_inf}).tolist())"
    isa, out = onednn_probe(code, {"ONEDNN_MAX_CPU_ISA": isa_knob})
    return isa, [float(v) for v in out.strip().strip("[]").split(",")]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_torch_gelu_at_plus_inf_follows_onednns_isa(dtype):
    """The gelu:plus-inf divergence is declared where oneDNN's ISA >= avx512_core.  Below that level (here
    forced with ONEDNN_MAX_CPU_ISA=AVX2, which every x86-64 CPU with AVX2 honours) gelu(+inf) is +inf;
    on a CPU with AVX-512 and no knob, it is NaN.  The verdict is the same on both kinds of CPU."""
    from impls.declare import at_least

    facts = machine_facts()
    if "avx2" not in (facts.get("cpu.flags") or []):
        pytest.skip(f"needs an x86-64 CPU with AVX2 (this one: {facts.get('cpu.model')})")
    isa, values = _gelu_at_inf_under("AVX2", dtype)
    assert isa == "avx2" and values == [math.inf] * 4
    isa, values = _gelu_at_inf_under("ALL", dtype)
    if at_least("torch.onednn_isa", "avx512_core").evaluate({"torch.onednn_isa": isa}):
        assert all(math.isnan(v) for v in values), (isa, values)
    else:
        assert values == [math.inf] * 4, (isa, values)


@pytest.mark.parametrize("name", ["fmod", "remainder"])
def test_torch_vectorised_float64_fmod_is_nan_where_the_quotient_overflows(name):
    """The audit's oracle bug (reference/catalog_audit.py): x / y overflows (1 / 1e-310, 1e300 / 1e-10) and torch's
    vectorised float64 kernel gives NaN where C's fmod (and the scalar DEFAULT kernel) give the finite result."""
    import os
    import subprocess
    import sys

    code = (
        "import torch; x = torch.tensor([1.0, 1e300] * 8, dtype=torch.float64); "
        "y = torch.tensor([1e-310, 1e-10] * 8, dtype=torch.float64); "
        f"print(torch.backends.cpu.get_cpu_capability(), torch.{name}(x, y)[:2].tolist())"
    )
    expected = [getattr(np, name)(1.0, 1e-310), getattr(np, name)(1e300, 1e-10)]
    assert all(math.isfinite(v) for v in expected)
    for knob in ("default", "avx2"):
        run = subprocess.run([sys.executable, "-c", code], env={**os.environ, "ATEN_CPU_CAPABILITY": knob},
                             capture_output=True, text=True, check=True)  # fmt: skip
        capability, values = run.stdout.split(" ", 1)
        values = [float(v) for v in values.strip().strip("[]").split(",")]
        if capability == "DEFAULT":
            assert values == expected, (knob, values)
        elif capability == "AVX2":  # the knob only lowers the capability: AVX2 where the CPU has it
            assert all(math.isnan(v) for v in values), (knob, values)


def test_pow_gradient_at_zero_base_follows_torchs_conventions():
    # DIVERGENCES 16: naive formulas give NaN; torch (and our reference) return 0.
    x = torch.tensor([0.0, 0.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    torch.pow(x, y).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0] and y.grad.tolist() == [0.0, 0.0]
    with np.errstate(all="ignore"):
        naive_dy = np.power(0.0, 2.0) * np.log(0.0)
        naive_dx = 0.0 * np.power(0.0, -1.0)
    assert math.isnan(naive_dy) and math.isnan(naive_dx)


def test_integer_division_rounding_modes():
    # DIVERGENCES 15: trunc vs floor for negative quotients.
    a, b = torch.tensor([-7]), torch.tensor([2])
    assert torch.div(a, b, rounding_mode="trunc").item() == -3
    assert torch.div(a, b, rounding_mode="floor").item() == -4
    assert np.floor_divide(-7, 2) == -4
    assert math.trunc(-7 / 2) == -3


def test_torch_integer_floor_divide_and_remainder_by_zero_raise_on_the_cpu_numpy_gives_0():
    # (#14) the catalog's int_floor_divide/int_remainder "by-zero" special values: torch is declared unsupported there
    x, zero = np.array([5, -5], dtype=np.int32), np.zeros(2, dtype=np.int32)
    with np.errstate(divide="ignore"):
        assert np.floor_divide(x, zero).tolist() == [0, 0] and np.remainder(x, zero).tolist() == [0, 0]
    for op in (torch.floor_divide, torch.remainder):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            op(torch.from_numpy(x), torch.from_numpy(zero))


def test_torch_wraps_a_python_int_past_int32_where_numpy_2_raises():
    # (#14) NEP 50: a Python int that int32 cannot hold is an OverflowError in NumPy 2; torch wraps it
    with pytest.raises(OverflowError):
        np.array([2**31 - 1], dtype=np.int32) + 2**31
    assert (torch.tensor([2**31 - 1], dtype=torch.int32) + 2**31).tolist() == [-1]


def test_int_true_division_and_python_floats_promote_to_float64_in_numpy_float32_in_torch():
    # (#14) declared on the torch backend for int_true_divide and int_add_float
    x = np.array([2**24 + 1], dtype=np.int32)
    assert (x / np.int32(1)).dtype == np.float64 and (x + 0.5).dtype == np.float64
    t = torch.from_numpy(x)
    assert torch.get_default_dtype() == torch.float32
    assert (t / 1).dtype == torch.float32 and (t + 0.5).dtype == torch.float32
    assert (t / 1).item() == 2**24  # float32 rounds 2**24 + 1


def test_logsumexp_of_all_minus_inf():
    # DIVERGENCES 13: a naive max shift gives NaN; both libraries get -inf.
    x = np.array([-np.inf, -np.inf])
    with np.errstate(invalid="ignore"):
        naive = np.max(x) + np.log(np.sum(np.exp(x - np.max(x))))
    assert math.isnan(naive)
    assert torch.logsumexp(torch.tensor(x), dim=0).item() == -math.inf


def _torch_trajectory(cls, grads, lrs, **hyper):
    p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = cls([p], lr=lrs[0], **hyper)
    for g, lr in zip(grads, lrs):
        opt.param_groups[0]["lr"] = lr
        p.grad = torch.tensor(g)
        opt.step()
    return p.detach().numpy()


def test_adam_weight_decay_is_l2_and_adamw_is_decoupled():
    # DIVERGENCES 3: same lr, betas and weight_decay, different trajectories; each matches its reference rule.
    from reference import optim

    rng = np.random.default_rng(3)
    grads = [rng.standard_normal(3) for _ in range(20)]
    lrs = [0.1] * 20
    adam = _torch_trajectory(torch.optim.Adam, grads, lrs, weight_decay=0.5)
    adamw = _torch_trajectory(torch.optim.AdamW, grads, lrs, weight_decay=0.5)
    assert np.max(np.abs(adam - adamw)) > 1e-3
    np.testing.assert_allclose(adam, optim.trajectory("adam", np.zeros(3), grads, lrs, {"weight_decay": 0.5})[-1])
    np.testing.assert_allclose(adamw, optim.trajectory("adamw", np.zeros(3), grads, lrs, {"weight_decay": 0.5})[-1])


def _sutskever(grads, lrs, mu):
    """v = mu v + lr g; p -= v (the form in Sutskever et al. 2013 and many other frameworks)."""
    p, v = np.zeros(3), np.zeros(3)
    for g, lr in zip(grads, lrs):
        v = mu * v + lr * g
        p = p - v
    return p


def test_sgd_momentum_forms_agree_until_the_learning_rate_changes():
    # DIVERGENCES 4
    rng = np.random.default_rng(4)
    grads = [rng.standard_normal(3) for _ in range(20)]
    constant, dropped = [0.1] * 20, [0.1] * 10 + [0.01] * 10
    np.testing.assert_allclose(
        _torch_trajectory(torch.optim.SGD, grads, constant, momentum=0.9), _sutskever(grads, constant, 0.9), rtol=1e-12
    )
    difference = _torch_trajectory(torch.optim.SGD, grads, dropped, momentum=0.9) - _sutskever(grads, dropped, 0.9)
    assert np.max(np.abs(difference)) > 1e-2


def test_batch_norm_normalises_with_biased_variance_but_stores_unbiased():
    # DIVERGENCES 1: torch, momentum 0.1, eps 1e-5.
    from reference import layers

    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3, 2, 2))
    mean, var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    out = torch.nn.functional.batch_norm(torch.tensor(x), mean, var, training=True, momentum=0.1, eps=1e-5)
    np.testing.assert_allclose(out.numpy(), layers.batch_norm(x), rtol=1e-12, atol=1e-12)
    new_mean, new_var = layers.batch_norm_running_stats(x, np.zeros(3), np.ones(3), momentum=0.1)
    np.testing.assert_allclose(mean.numpy(), new_mean, rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), new_var, rtol=1e-12)
    n = x.size // 3
    biased = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(var.numpy(), 0.9 + 0.1 * biased * n / (n - 1), rtol=1e-12)
    assert not np.allclose(var.numpy(), 0.9 + 0.1 * biased, rtol=1e-6)


def test_max_pool_sends_a_tied_gradient_to_one_element_amax_splits_it():
    # DIVERGENCES 5
    x = torch.ones(1, 1, 2, 2, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.max_pool2d(x, 2).sum().backward()
    assert x.grad.flatten().tolist() == [1.0, 0.0, 0.0, 0.0]
    y = torch.ones(1, 1, 2, 2, dtype=torch.float64, requires_grad=True)
    torch.amax(y, dim=(2, 3)).sum().backward()
    assert y.grad.flatten().tolist() == [0.25] * 4


def test_label_smoothing_spreads_eps_over_all_c_classes():
    # DIVERGENCES 8: torch gives every class eps/C (the true class too); other libraries use eps/(C-1).
    logits = np.array([[2.0, 0.5, -1.0]])
    log_p = logits - np.log(np.exp(logits).sum())
    eps, c = 0.3, 3
    torch_loss = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor([0]), label_smoothing=eps).item()
    eps_over_c = -((1 - eps) * log_p[0, 0] + eps / c * log_p[0].sum())
    eps_over_c_minus_1 = -((1 - eps) * log_p[0, 0] + eps / (c - 1) * log_p[0, 1:].sum())
    assert np.isclose(torch_loss, eps_over_c) and not np.isclose(torch_loss, eps_over_c_minus_1)


def test_cross_entropy_ignore_index_defaults_to_minus_100_and_mean_skips_it():
    logits = torch.tensor([[1.0, 2.0], [3.0, 0.0]], dtype=torch.float64)
    full = torch.nn.functional.cross_entropy(logits, torch.tensor([1, 0]), reduction="none")
    ignored = torch.nn.functional.cross_entropy(logits, torch.tensor([1, -100]))
    assert np.isclose(ignored.item(), full[0].item())  # the mean divides by the one kept row


def test_torch_div_gradient_overflows_where_the_quotient_over_y_does():
    """An oracle bug the audit found: at x = y = 2.2e-309 (subnormal) and g = 0.1257, d(x/y)/dy = -g x / y**2 =
    -g / y = -5.65e307, finite; torch computes -g * ((x / y) / y) = -g * inf = -inf.  The reference keeps it."""
    x = torch.tensor(2.225073858507203e-309, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(2.225073858507203e-309, dtype=torch.float64, requires_grad=True)
    (x / y).backward(torch.tensor(0.1257, dtype=torch.float64))
    assert y.grad.item() == -math.inf
    value = np.array(2.225073858507203e-309)
    reference = get_spec("div").vjp(np.array(0.1257), value, value)[1]
    assert math.isfinite(reference.item()) and math.isclose(reference.item(), -0.1257 / 2.225073858507203e-309)


def test_torch_var_gradient_ignores_the_clamp_of_its_forward():
    """An oracle bug the audit found: with correction > N, torch.var divides by max(N - correction, 0) = 0 in its
    forward (inf here) but not in its backward: over a dim, by N - correction = -1 (a finite gradient of an
    infinite value); over every element, it returns +inf for each.  The reference divides by 0 in both."""
    rows = torch.tensor([[1.0, 3.0]], dtype=torch.float64, requires_grad=True)
    torch.var(rows, dim=1, correction=3).sum().backward()
    assert rows.grad.tolist() == [[2.0, -2.0]]  # 2 / (2 - 3) * (x - mean)
    flat = torch.tensor([1.0, 3.0], dtype=torch.float64, requires_grad=True)
    out = torch.var(flat, correction=3)
    out.backward()
    assert out.item() == math.inf and flat.grad.tolist() == [math.inf, math.inf]
    x = np.array([1.0, 3.0])
    assert get_spec("var").forward(x, correction=3) == math.inf
    assert get_spec("var").vjp(np.array(1.0), x, correction=3)[0].tolist() == [-math.inf, math.inf]


def test_torch_conv2d_without_input_channels_drops_the_output_channels():
    """An oracle bug the audit found: 0 input channels give torch an output with 0 channels; the weight has 2
    filters, each an empty sum (0) plus its bias, which the reference returns."""
    x, w, bias = np.ones((1, 0, 3, 3)), np.ones((2, 0, 2, 2)), np.array([1.0, 2.0])
    out = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(bias))
    assert tuple(out.shape) == (1, 0, 2, 2)
    expected = np.broadcast_to(bias[None, :, None, None], (1, 2, 2, 2))
    np.testing.assert_array_equal(get_spec("conv2d").forward(x, w, bias), expected)


@pytest.mark.parametrize("training", [True, False])
def test_torch_batch_norm_without_channels_fails_with_a_weight_or_bias(training):
    """An oracle bug the audit found: with 0 channels every tensor has a valid empty shape, and torch computes the
    empty result without affine parameters, but raises IndexError with a weight or a bias."""
    x, empty = torch.zeros(2, 0, dtype=torch.float64), torch.zeros(0, dtype=torch.float64)
    stats = (None, None) if training else (empty, empty)
    assert tuple(torch.nn.functional.batch_norm(x, *stats, training=training).shape) == (2, 0)
    with pytest.raises(IndexError, match="index 0 out of range"):
        torch.nn.functional.batch_norm(x, *stats, empty, None, training=training)
    assert get_spec("batch_norm").forward(np.zeros((2, 0)), np.zeros(0)).shape == (2, 0)


def test_torch_centered_rmsprop_with_alpha_0_can_take_the_root_of_a_negative_variance():
    """An oracle bug the audit found: with alpha = 0 the centred variance g**2 - g**2 is exactly 0, but torch takes
    square_avg - grad_avg**2 in one addcmul, which may fuse the product (an FMA): the exact residue of rounding
    g**2, negative here, and its square root is NaN.  Without a fused product the result is 0, as in the reference."""
    from fractions import Fraction

    g = 1.6580945939938374
    residue = float(Fraction(g * g) - Fraction(g) ** 2)
    assert residue < 0
    fused = torch.addcmul(torch.tensor([g * g], dtype=torch.float64), *[torch.tensor([g], dtype=torch.float64)] * 2,
                          value=-1).item()  # fmt: skip
    assert fused in (0.0, residue)
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.RMSprop([p], lr=0.1, alpha=0.0, centered=True)
    p.grad = torch.tensor([g], dtype=torch.float64)
    optimizer.step()
    assert math.isnan(p.item()) == (fused < 0)
    new, _ = optim.rmsprop(np.zeros(1), np.array([g]), {}, lr=0.1, alpha=0.0, centered=True)
    assert np.isfinite(new).all()


def test_torch_batch_norm_with_an_infinite_weight():
    """An oracle bug the audit found: torch folds batch_norm into x * a + (b - mean * a), a = w / sqrt(var + eps),
    so an infinite weight gives NaN where (x - mean) * a is +-inf, or 0 * inf; the reference keeps (x - mean) * a."""
    x, inf = np.array([[1.0], [0.0], [-1.0]]), np.array([np.inf])
    out = (
        torch.nn.functional.batch_norm(*map(torch.tensor, (x, np.array([0.5]), np.ones(1), inf)), training=False)
        .flatten()
        .tolist()
    )
    assert math.isnan(out[0]) and math.isnan(out[1]) and out[2] == -math.inf
    expected = get_spec("batch_norm_eval").forward(x, np.array([0.5]), np.ones(1), inf).flatten().tolist()
    assert expected == [math.inf, -math.inf, -math.inf]
    training = torch.nn.functional.batch_norm(torch.tensor(x), None, None, torch.tensor(inf), training=True)
    assert np.isnan(training.numpy()).all()  # the batch mean is 0: a = inf meets 0 * inf in every output
    np.testing.assert_array_equal(get_spec("batch_norm").forward(x, inf).flatten(), [np.inf, np.nan, -np.inf])


def test_torch_nll_loss_backward_refuses_a_non_contiguous_4d_input():
    """An oracle bug the audit found: a permuted (channels-last-like) 4-D input of nll_loss has a forward, and its
    backward raises, although the gradient is as well defined as for a contiguous copy."""
    x = torch.zeros(2, 1, 2, 2, dtype=torch.float64).permute(0, 3, 1, 2).requires_grad_(True)
    target = torch.zeros(2, 1, 2, dtype=torch.long)
    out = torch.nn.functional.nll_loss(x, target, reduction="none")
    with pytest.raises(RuntimeError, match="grad_input must be contiguous"):
        torch.autograd.grad(out, [x], grad_outputs=torch.ones_like(out))
    contiguous = x.detach().contiguous().requires_grad_(True)
    torch.autograd.grad(torch.nn.functional.nll_loss(contiguous, target, reduction="none").sum(), [contiguous])


def test_torch_bce_with_logits_overflows_before_its_loss_does():
    """An oracle bug the audit found: torch multiplies softplus(-x) by (pos_weight - 1) t + 1 = 1.5 here and
    adds (1 - t) x afterwards; the product overflows, while the loss, pos_weight t softplus(-x), is 1.198e308."""
    x, t, pos_weight = np.array([-1.1984620899082105e308]), np.array([0.5]), np.array(2.0)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        *map(torch.tensor, (x, t)), pos_weight=torch.tensor(pos_weight), reduction="none"
    )
    assert loss.tolist() == [math.inf]
    expected = get_spec("binary_cross_entropy_with_logits").forward(x, t, None, pos_weight, reduction="none")
    assert expected.tolist() == [1.1984620899082105e308]


def test_torch_max_pool2d_indexes_past_the_input_for_a_window_of_padding():
    """An oracle bug the thorough audit found (it crashed the process): with kernel 2, dilation 2 and padding 1 on
    a 1 x 4 input every window's taps fall on the padding rows -1 and 1; torch returns -inf with index 5, past
    the 4 elements, and its backward writes there.  Only the forward runs here; the torch adapter refuses this."""
    from impls import load_backend
    from reference.layers import windows_without_input

    x = np.zeros((1, 1, 1, 4))
    out, index = torch.nn.functional.max_pool2d(torch.tensor(x), 2, None, 1, 2, return_indices=True)
    assert out.flatten().tolist() == [-math.inf, -math.inf] and int(index.max()) >= x.size
    assert windows_without_input(x, kernel_size=2, padding=1, dilation=2)
    np.testing.assert_array_equal(get_spec("max_pool2d").forward(x, kernel_size=2, padding=1, dilation=2), out.numpy())
    backend = load_backend("torch")
    with pytest.raises(ValueError, match="a window holds no element of x"):
        backend.run("max_pool2d", [backend.asarray(x, "float64")], {"kernel_size": 2, "padding": 1, "dilation": 2})
