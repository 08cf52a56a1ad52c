"""Every elementwise entry at NaN, ±inf, ±0 and ties, value and gradient, on every backend (issue #20): the branch
a comparison picks there is checked for every op a catalog entry adds, not only where a special value was stated."""

import pytest

from parity.checks import has_branches, run_check
from parity.pytest_plugin import SELECTION, generate_cells


def pytest_generate_tests(metafunc):
    if "cell" in metafunc.fixturenames and metafunc.definition.get_closest_marker("parity") is None:
        cells = generate_cells("branches", "ops", True, metafunc.config.stash[SELECTION])
        params = [pytest.param(c, marks=m, id=c.id) for c, m in cells if has_branches(c.spec)]
        metafunc.parametrize("cell", params)


def test_backend_branches(cell, backend, record):
    record(run_check(cell, backend))
