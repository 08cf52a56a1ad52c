"""Issue #20: each class of bug that once survived the whole suite is caught by a general check, and reverting
that check lets the planted instance through (so the check, not luck, is what catches it)."""

from dataclasses import replace

import numpy as np
import pytest

from parity import checks
from parity.checks import Cell, run_check
from parity.compare import Mismatch
from parity.gradcheck import check_vjp_projected
from reference import OPTIMIZER_SPECS, get_spec
from reference.spec import OptimizerSpec
from tests.meta import planted
from tests.meta.test_planted_bugs import mismatches


def test_nan_branch_of_maximum_is_caught_by_the_branches_check_only():
    backend = planted.MaximumNanBranch()
    spec = get_spec("maximum")
    before = [s.label for s in spec.specials if s.label != "nan-inf-grad"]  # the specials the suite had
    assert mismatches(backend, "vjp") == []
    for label in before:
        run_check(Cell("special", "maximum", backend.name, special=label), backend)
    with pytest.raises(Mismatch, match="gradient with respect to x"):
        run_check(Cell("branches", "maximum", backend.name), backend)
    with pytest.raises(Mismatch, match="gradient with respect to x"):
        run_check(Cell("special", "maximum", backend.name, special="nan-inf-grad"), backend)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_a_wrong_branch_is_caught_in_every_dtype_because_no_cotangent_element_is_small(dtype, monkeypatch):
    """clip's gradient halved at its bounds (what jnp.clip does) is caught by the branches check in every dtype:
    its cotangent keeps every element at least 0.5 in magnitude.  With a standard normal cotangent, the element
    at the bound 1.5 is -0.055 for the bfloat16 cell's seed, and the factor-2 error there fits bfloat16's
    allowance."""
    backend, cell = planted.ClipHalvesAtBounds(), Cell("branches", "clip", "planted-clip-halves-at-bounds", dtype=dtype)
    with pytest.raises(Mismatch, match="gradient with respect to x"):
        run_check(cell, backend)
    if dtype == "bfloat16":
        monkeypatch.setattr(checks, "cotangent_away_from_zero", checks.cotangent_like)
        run_check(cell, backend)


def test_unbroadcasting_an_added_axis_and_a_size_one_axis_together_is_caught_by_the_new_case_only():
    backend = planted.MulUnbroadcastsLeadingAxesOnly()
    cases = get_spec("mul").cases
    caught = [i for i in range(len(cases)) if _fails(Cell("vjp", "mul", backend.name, case=i), backend)]
    assert [cases[i].id for i in caught] == ["2x1x5,3x1"]


def _fails(cell, backend) -> bool:
    try:
        run_check(cell, backend)
    except Mismatch:
        return True
    return False


def test_a_missing_gradient_is_caught_and_would_pass_without_the_count(monkeypatch):
    backend = planted.MulDropsLastGradient()
    cell = Cell("vjp", "mul", backend.name, case=0)
    with pytest.raises(Mismatch, match="1 gradients from the backend where 2 were expected"):
        run_check(cell, backend)
    monkeypatch.setattr(checks, "assert_count", lambda *a, **k: None)  # the check reverted
    run_check(cell, backend)


def test_a_short_trajectory_is_caught_and_would_pass_without_the_count(monkeypatch):
    backend = planted.OptimizerStopsEarly()
    cell = Cell("trajectory", "sgd", backend.name, case=1)
    with pytest.raises(Mismatch, match="49 steps from the backend where 50 were expected"):
        run_check(cell, backend)
    monkeypatch.setattr(checks, "assert_count", lambda *a, **k: None)
    run_check(cell, backend)


def test_an_ignored_learning_rate_schedule_is_caught_and_would_pass_with_a_constant_rate(monkeypatch):
    backend = planted.OptimizerIgnoresLrSchedule()
    cell = Cell("trajectory", "sgd", backend.name, case=1)
    with pytest.raises(Mismatch, match="parameters after step 26 of 50"):
        run_check(cell, backend)
    constant = {k: replace(v, lr_drop=1.0) for k, v in OPTIMIZER_SPECS.items()}
    monkeypatch.setitem(OPTIMIZER_SPECS, "sgd", constant["sgd"])
    run_check(cell, backend)


def test_a_gradient_check_given_fewer_gradients_than_inputs_fails():
    spec = get_spec("mul")
    x, y = np.linspace(-1.0, 1.0, 6).reshape(2, 3), np.linspace(0.5, 2.0, 6).reshape(2, 3)
    with pytest.raises(Mismatch, match="1 gradients from the VJP where 2 were expected"):
        check_vjp_projected(spec.forward, lambda g, a, b: spec.vjp(g, a, b)[:1], (x, y), {}, eps=1.0, seed=0,
                            context=Cell("vjp_fd", "mul").context())  # fmt: skip


def test_the_projected_check_allows_for_the_outputs_rounding_not_more():
    """check_vjp_projected's allowance for finite-difference rounding scales with |v * f(x +- t u)|: on outputs of
    1e-8 a VJP 0.1% wrong fails.  An allowance scaled by anything else (|v + f|, about the cotangent's own size)
    would pass it."""
    spec = get_spec("mul")
    rng = np.random.default_rng(5)
    x, y = 1e-4 * rng.uniform(1.0, 2.0, (3, 4)), 1e-4 * rng.uniform(1.0, 2.0, (3, 4))
    context = Cell("vjp_fd", "mul").context()
    check_vjp_projected(spec.forward, spec.vjp, (x, y), {}, eps=1e-6, seed=0, context=context)

    def off_by_a_thousandth(g, a, b):
        return tuple(1.001 * grad for grad in spec.vjp(g, a, b))

    with pytest.raises(Mismatch, match="finite difference"):
        check_vjp_projected(spec.forward, off_by_a_thousandth, (x, y), {}, eps=1e-6, seed=0, context=context)


def test_training_comparison_names_every_parameter(monkeypatch):
    """A run that loses a parameter (or gains one) fails, whatever the values of the others."""
    from impls.numpy_backend import NumpyBackend
    from reference import LOOP_SPECS

    spec = LOOP_SPECS["linreg"]
    truth = checks.reference_training("linreg", 0)

    def run_without_b(backend, **kw):
        result = spec.run(backend, **kw)
        return replace(result, params={"w": result.params["w"]}, first_step_grad=truth.first_step_grad)

    monkeypatch.setitem(LOOP_SPECS, "linreg", replace(spec, run=run_without_b))
    with pytest.raises(Mismatch, match=r"final: got \['w'\], expected \['b', 'w'\]"):
        run_check(Cell("train", "linreg", "numpy", case=0), NumpyBackend())


def test_optimizer_spec_cuts_the_learning_rate_halfway():
    for spec in OPTIMIZER_SPECS.values():
        assert isinstance(spec, OptimizerSpec) and spec.lr_drop > 1
        lrs, half = spec.lrs(), spec.steps // 2
        assert len(lrs) == spec.steps and set(lrs[:half]) == {spec.lr} and set(lrs[half:]) == {spec.lr / spec.lr_drop}


def test_a_common_mode_bug_in_the_running_statistics_is_caught_by_the_torch_oracle(monkeypatch):
    """Every backend's loop and the reference run share Backend.batch_norm_running_stats: a wrong momentum moves
    both sides together, so only an independent oracle (torch.nn.BatchNorm2d) sees it."""
    pytest.importorskip("torch", reason="the independent oracle of the training loops is torch.nn")
    from impls.base import Backend
    from tests.test_training_oracle import compare_with_torch

    shared = Backend.batch_norm_running_stats
    monkeypatch.setattr(Backend, "batch_norm_running_stats", lambda self, x, m, v, momentum=0.1: shared(self, x, m, v,
                        momentum=0.2))  # fmt: skip
    checks.reference_training.cache_clear()
    try:
        with pytest.raises(Mismatch, match="eval loss|bn.mean|bn.var"):
            compare_with_torch("cnn", 0)
    finally:
        checks.reference_training.cache_clear()
