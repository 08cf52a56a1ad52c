"""Gradients: reference VJPs against finite differences (float64), backends against reference VJPs."""

from parity.suite.test_matrix import (  # noqa: F401 - the shipped suite's tests, collected here
    test_backend_vjp,
    test_reference_vjp_full_jacobian,
    test_reference_vjp_projected,
)
