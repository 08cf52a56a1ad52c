"""Gradients: reference VJPs against finite differences (float64), backends against reference VJPs."""

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
