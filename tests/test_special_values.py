"""Special values (±0, ±inf, NaN, ties, huge logits): the catalog states the expected result."""

from parity.suite.test_matrix import (  # noqa: F401 - the shipped suite's tests, collected here
    test_backend_special_value,
    test_reference_special_value,
)
