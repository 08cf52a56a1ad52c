"""Forward values of every catalog case on every backend, device and dtype."""

import pytest

from parity.checks import run_check


@pytest.mark.parity(check="forward")
def test_forward(cell, backend, record):
    record(run_check(cell, backend))
