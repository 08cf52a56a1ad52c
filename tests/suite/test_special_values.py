"""Special values (±0, ±inf, NaN, ties, huge logits): the catalog states the expected value and gradient.

Each test is one call of the check (:mod:`parity.checks`) on a cell the catalog generates
(``@pytest.mark.parity``, see :mod:`parity.pytest_plugin`); its measurement goes to the matrix and the JSON
records.  Declared divergences are judged by what the machine showed.
"""

import pytest

from parity.checks import run_check


@pytest.mark.parity(check="special", over="specials", backends=False)
def test_reference_special_value(cell, backend, record):
    """The reference meets the catalog's stated value and gradient convention."""
    record(run_check(cell, backend))


@pytest.mark.parity(check="special", over="specials")
def test_backend_special_value(cell, backend, record):
    """Each backend meets them too, or the difference is a declared divergence."""
    record(run_check(cell, backend))
