"""Training loops: every backend's loss at each step and final parameters against the reference run."""

import json
import math

import numpy as np
import pytest

from impls import load_backend
from reference import LOOP_SPECS, loops


def test_poly_data_is_the_specified_problem():
    X, y = loops.poly_data()
    assert (
        X.shape == (100, 5) and np.allclose(X[:, 1], np.linspace(0, 5, 100)) and np.allclose(y[:, 0], np.sin(X[:, 1]))
    )


def test_reference_classifiers_learn():
    """A loop that trains nothing would agree across backends too: the classifiers must beat chance (1/3)."""
    numpy = load_backend("numpy")
    for model in ("mlp", "cnn"):
        result = loops.LOOPS[model](numpy)
        assert result.extra["eval_accuracy"] > 0.7, model
        assert result.losses[-5:].mean() < 0.6 * result.losses[:5].mean(), model


@pytest.mark.parametrize("loop", ["poly", "linreg", "mlp", "cnn", "transformer"])
def test_loops_never_assign_into_backend_arrays(loop):
    """docs/backend-api.md promises loops need no item assignment: a backend with read-only arrays trains."""
    from tests.meta.planted import ReadOnlyArrays

    result = loops.LOOPS[loop](ReadOnlyArrays(), grad="manual", steps=3)
    assert result.losses.shape == (3,) and np.all(np.isfinite(result.losses))


def test_linreg_recovers_the_line():
    result = loops.linreg(load_backend("numpy"), steps=300)
    assert abs(result.params["w"][0, 0] - 3.0) < 1e-3 and abs(result.params["b"][0, 0] + 2.0) < 1e-3


@pytest.mark.parametrize("loop", ["poly", "linreg", "mlp", "cnn", "transformer"])
def test_a_loop_refuses_a_gradient_mode_it_does_not_know(loop):
    """Before this check, grad="Auto" (or any typo) silently trained with hand-written gradients."""
    with pytest.raises(ValueError, match=r"grad must be one of 'auto', 'manual', got 'Auto'"):
        loops.LOOPS[loop](load_backend("numpy"), grad="Auto", steps=1)


def test_numpy_has_no_autograd_and_says_so():
    with pytest.raises(NotImplementedError, match="numpy has no autograd"):
        loops.poly(load_backend("numpy"), steps=1, grad="auto")


@pytest.mark.slow
@pytest.mark.selftest
def test_full_poly_runs_agree_between_numpy_and_torch(tmp_path):
    """The acceptance run: `parity train poly --json` for 200,000 steps on numpy and torch."""
    pytest.importorskip("torch")
    from parity.cli import main

    results = {}
    for name in ("numpy", "torch"):
        out = tmp_path / f"{name}.json"
        assert main(["train", "poly", "--backend", name, "--json", "--output", str(out)]) == 0
        results[name] = json.loads(out.read_text())
    numpy, torch = results["numpy"], results["torch"]
    assert numpy["steps"] == torch["steps"] == 200_000
    spec = LOOP_SPECS["poly"]
    allowed = spec.allowance("float64", 200_000, 1.0)[-1]
    assert math.isclose(numpy["final_loss"], torch["final_loss"], rel_tol=0, abs_tol=allowed)
    w_np, w_t = np.array(numpy["params"]["w"]), np.array(torch["params"]["w"])
    assert np.max(np.abs(w_np - w_t)) <= allowed * np.max(np.abs(w_np))


def test_a_bias_before_batch_norm_gets_only_rounding_noise_as_gradient():
    """Why the cnn's first convolution has no bias: BatchNorm removes any per-channel shift."""
    from reference import layers, losses

    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((8, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    target = rng.integers(0, 3, 8)

    def loss(bias):
        h = layers.batch_norm(layers.conv2d(x, w, bias, padding=1))
        return losses.cross_entropy(h.mean(axis=(2, 3)), target)

    h = layers.conv2d(x, w, b, padding=1)
    g_h = layers.batch_norm.vjp(np.ones_like(h), h)[0]
    assert np.max(np.abs(g_h.sum(axis=(0, 2, 3)))) < 1e-12  # d/db of anything after BN is exactly zero
    assert abs(float(loss(b)) - float(loss(b + 5.0))) < 1e-12


def test_a_summary_lists_arrays_of_at_most_64_elements_and_gives_shape_and_norm_beyond():
    """What ``parity train`` writes (TrainResult.summary): every value of a small array, the shape and the norm of
    a large one (the 64-element boundary on both sides)."""
    arrays = {"small": np.arange(64.0).reshape(8, 8), "large": np.full((5, 13), 2.0)}
    result = loops.TrainResult("poly", "numpy", "cpu", "float64", "manual", 1, 0.0, np.array([1.5]), arrays, arrays)
    summary = json.loads(json.dumps(result.summary()))
    for part in ("params", "first_step_grad"):
        assert summary[part]["small"] == arrays["small"].tolist()
        assert summary[part]["large"] == {"shape": [5, 13], "norm": math.sqrt(65 * 4.0)}
    assert summary["final_loss"] == 1.5 and summary["loop"] == "poly"
