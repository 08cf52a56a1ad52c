"""Special values (±0, ±inf, NaN, ties, huge logits): the catalog states the expected result."""

import pytest

from parity.checks import run_check


@pytest.mark.parity(check="special", over="specials", backends=False)
def test_reference_special_value(cell, backend, record):
    """The reference meets the catalog's stated value and gradient convention."""
    record(run_check(cell, backend))


@pytest.mark.parity(check="special", over="specials")
def test_backend_special_value(cell, backend, record):
    """Each backend meets them too, or the difference is a declared (strict xfail) divergence."""
    record(run_check(cell, backend))
