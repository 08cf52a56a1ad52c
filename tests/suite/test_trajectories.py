"""Optimizer trajectories and training loops: every backend's run against the reference run.

Each test is one call of the check (:mod:`parity.checks`) on a cell the catalog generates
(``@pytest.mark.parity``, see :mod:`parity.pytest_plugin`); its measurement goes to the matrix and the JSON
records.  Declared divergences are judged by what the machine showed.
"""

import pytest

from parity.checks import run_check


@pytest.mark.parity(check="trajectory", entries="optimizers")
def test_optimizer_trajectory(cell, backend, record):
    """50 steps on a seeded gradient sequence, the learning rate cut at step 25."""
    record(run_check(cell, backend))


@pytest.mark.parity(check="train", entries="loops")
def test_training_trajectory(cell, backend, record):
    """A training loop's loss at every step and its final parameters against the reference run."""
    record(run_check(cell, backend))
