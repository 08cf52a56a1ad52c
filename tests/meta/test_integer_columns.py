"""(#14) The integer and bool columns: generated only for entries that list those dtypes, compared exactly, and able
to catch an int32 addition that does not wrap around."""

import numpy as np
import pytest

from parity.checks import Cell, applies_to, run_check
from parity.compare import Context, Mismatch, assert_exact
from parity.pytest_plugin import Selection, generate_cells
from reference import CATALOG, get_spec
from reference.spec import INTEGER_DTYPES, is_integral
from tests.meta import planted

SELECTION = Selection(("numpy", "torch"), ("cpu",), explicit_backends=False, quick=False)


def _failures(backend, dtype: str, check: str) -> list[str]:
    spec = get_spec(backend.op)
    variants = [{"case": i} for i in range(len(spec.cases))] if check == "forward" else [
        {"special": s.label} for s in spec.specials if s.applies_to(dtype)]  # fmt: skip
    found = []
    for variant in variants:
        try:
            run_check(Cell(check, spec.name, backend.name, "cpu", dtype, **variant), backend)
        except Mismatch as error:
            found.append(str(error))
    return found


@pytest.mark.parametrize("check", ["forward", "special"])
def test_int32_add_that_saturates_is_caught_in_the_int32_column_only(check):
    backend = planted.Int32AddSaturates()
    caught = _failures(backend, "int32", check)
    assert caught and all("not exact" in message for message in caught)
    assert not _failures(backend, "int64", check) and not _failures(backend, "bool", check)


def test_the_exact_comparison_sees_int64_values_float64_cannot_tell_apart():
    context = Context("int_add", "planted", "cpu", "int64", "forward")
    with pytest.raises(Mismatch, match=r"actual 9007199254740993, expected 9007199254740992"):
        assert_exact(np.array([2**53 + 1]), [2**53], dtype="int64", context=context)
    with pytest.raises(Mismatch, match="dtype int64 differs from the expected int32"):
        assert_exact(np.array([1]), [1], dtype="int32", context=context)


def test_float_only_entries_grow_no_integer_columns_and_integer_ones_do():
    dtypes = {}
    for cell, _ in generate_cells("forward", "cases", True, SELECTION):
        dtypes.setdefault(cell.op, set()).add(cell.dtype)
    for name, spec in CATALOG.items():
        integral = set(INTEGER_DTYPES) & set(spec.dtypes)
        assert dtypes[name] & set(INTEGER_DTYPES) == integral, name
    assert dtypes["int_add"] >= {"int32", "int64", "bool"} and not dtypes["exp"] & set(INTEGER_DTYPES)


def test_integer_entries_have_no_gradient_checks_and_state_specials_per_dtype():
    for spec in (s for s in CATALOG.values() if all(is_integral(d) for d in s.dtypes)):
        assert not any(applies_to(c, spec) for c in ("vjp", "vjp_fd", "vjp_fd_full", "branches", "property"))
        assert all(s.dtypes and set(s.dtypes) <= set(spec.dtypes) for s in spec.specials), spec.name


@pytest.mark.parametrize("spec", CATALOG.values(), ids=list(CATALOG))
def test_special_labels_are_unique(spec):
    """A repeated label would hide the second special value (cells and lookups go by label)."""
    labels = [s.label for s in spec.specials]
    assert len(labels) == len(set(labels))
