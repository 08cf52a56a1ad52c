"""Forward values of every catalog case on every backend, device and dtype (parity/suite/test_matrix.py)."""

from parity.suite.test_matrix import (  # noqa: F401 - the shipped suite's tests, collected here
    test_forward,
)
