"""Every elementwise entry at NaN, ±inf, ±0 and ties, value and gradient, on every backend (the suite's test)."""

from parity.suite.test_matrix import test_backend_branches  # noqa: F401 - the shipped suite's test, collected here
