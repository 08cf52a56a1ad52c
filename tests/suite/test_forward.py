"""Forward values of every catalog case on every backend, device and dtype.

Each test is one call of the check (:mod:`parity.checks`) on a cell the catalog generates
(``@pytest.mark.parity``, see :mod:`parity.pytest_plugin`); its measurement goes to the matrix and the JSON
records.  Declared divergences are judged by what the machine showed.
"""

import pytest

from parity.checks import run_check


@pytest.mark.parity(check="forward")
def test_forward(cell, backend, record):
    """Forward values of every catalog case against the float64 reference on the same dtype-rounded inputs."""
    record(run_check(cell, backend))
