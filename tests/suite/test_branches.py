"""Every elementwise entry at NaN, ±inf, ±0 and ties, value and gradient, on every backend.

Each test is one call of the check (:mod:`parity.checks`) on a cell the catalog generates
(``@pytest.mark.parity``, see :mod:`parity.pytest_plugin`); its measurement goes to the matrix and the JSON
records.  Declared divergences are judged by what the machine showed.
"""

import pytest

from parity.checks import run_check


@pytest.mark.parity(check="branches", over="entries")
def test_backend_branches(cell, backend, record):
    """Every elementwise entry at every combination of NaN, ±inf, ±0 and ties, value and gradient: the branch a
    comparison picks there is checked for every op a catalog entry adds, not only where a special value says."""
    record(run_check(cell, backend))
