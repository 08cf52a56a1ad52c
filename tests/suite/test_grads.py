"""Gradients: reference VJPs against central finite differences in float64, backends against the
reference VJP with random cotangents.

Each test is one call of the check (:mod:`parity.checks`) on a cell the catalog generates
(``@pytest.mark.parity``, see :mod:`parity.pytest_plugin`); its measurement goes to the matrix and the JSON
records.  Declared divergences are judged by what the machine showed.
"""

import pytest

from parity.checks import run_check


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
