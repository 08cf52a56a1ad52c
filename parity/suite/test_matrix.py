"""Every cell of the matrix: catalog entry x case or special value x backend x device x dtype x check.

Cells come from the catalog (``@pytest.mark.parity``, see :mod:`parity.pytest_plugin`); each test is one
call of the check (:mod:`parity.checks`), whose measurement goes to the matrix and the JSON records.
Declared divergences are judged by what the machine showed (:func:`parity.pytest_plugin.pytest_runtest_call`).
"""

import pytest

from parity.checks import run_check


@pytest.mark.parity(check="forward")
def test_forward(cell, backend, record):
    """Forward values of every catalog case against the float64 reference on the same dtype-rounded inputs."""
    record(run_check(cell, backend))


@pytest.mark.parity(check="vjp_fd", backends=False)
def test_reference_vjp_projected(cell, backend, record):
    """Fast mode: <vjp(v), u> against the central difference of <v, f(x + t u)>."""
    record(run_check(cell, backend))


@pytest.mark.parity(check="vjp_fd_full", backends=False)
def test_reference_vjp_full_jacobian(cell, backend, record):
    """Slow mode: the whole Jacobian, from one-hot cotangents and from finite differences."""
    record(run_check(cell, backend))


@pytest.mark.parity(check="vjp")
def test_backend_vjp(cell, backend, record):
    """Backend gradients against the reference VJP with a random cotangent."""
    record(run_check(cell, backend))


@pytest.mark.parity(check="special", over="specials", backends=False)
def test_reference_special_value(cell, backend, record):
    """The reference meets the catalog's stated value and gradient convention."""
    record(run_check(cell, backend))


@pytest.mark.parity(check="special", over="specials")
def test_backend_special_value(cell, backend, record):
    """Each backend meets them too, or the difference is a declared divergence."""
    record(run_check(cell, backend))


@pytest.mark.parity(check="branches", over="entries")
def test_backend_branches(cell, backend, record):
    """Every elementwise entry at every combination of NaN, ±inf, ±0 and ties, value and gradient: the branch a
    comparison picks there is checked for every op a catalog entry adds, not only where a special value says."""
    record(run_check(cell, backend))


@pytest.mark.parity(check="trajectory", entries="optimizers")
def test_optimizer_trajectory(cell, backend, record):
    """50 steps on a seeded gradient sequence, the learning rate cut at step 25."""
    record(run_check(cell, backend))


@pytest.mark.parity(check="train", entries="loops")
def test_training_trajectory(cell, backend, record):
    """A training loop's loss at every step and its final parameters against the reference run."""
    record(run_check(cell, backend))
