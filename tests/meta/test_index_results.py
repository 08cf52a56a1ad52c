"""Index-valued results (argmax, argmin, argsort, topk's indices: int64 from float inputs) are compared exactly in
every float column, get no gradient checks, and where ties leave several answers correct (topk) compare what is
determined: each index at the right value, none repeated (reference.spec.OpSpec.ties)."""

import numpy as np
import pytest

from parity.checks import Cell, applies_to, run_check
from parity.compare import Mismatch
from reference import get_spec, order
from tests.meta import planted
from tests.meta.test_planted_bugs import mismatches

INDEX_ENTRIES = ("argmax", "argmin", "argsort", "topk_indices")


@pytest.mark.parametrize("entry", INDEX_ENTRIES)
def test_index_entries_get_value_checks_and_no_gradient_checks(entry):
    spec = get_spec(entry)
    assert not spec.has_gradient and all(applies_to(c, spec) for c in ("forward", "special", "property"))
    assert not any(applies_to(c, spec) for c in ("vjp", "vjp_fd", "vjp_fd_full"))
    with pytest.raises(TypeError, match="has no gradient: its result is an index"):
        spec.vjp(np.zeros(3), np.zeros((2, 3)), axis=0) if entry != "argsort" else spec.vjp(np.zeros(2), np.zeros(2))


def test_topk_values_keep_their_gradient_checks():
    assert get_spec("topk").has_gradient and applies_to("vjp", get_spec("topk"))


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_the_last_of_tied_maxima_is_caught_exactly_by_the_special_values(dtype):
    """No sampled case ties (a last-of-ties argmax is right on them); every stated special value ties (equal numbers,
    two NaNs, -0.0 and 0.0, two infinities), and each catches it, exactly."""
    assert mismatches(planted.ArgmaxLastOfTies(), "forward", dtype) == []
    found = mismatches(planted.ArgmaxLastOfTies(), "special", dtype)
    assert len(found) == len(get_spec("argmax").specials)
    assert "not exact at index ()" in str(found[0]) and "actual 2, expected 0" in str(found[0])


def test_indices_of_the_wrong_dtype_are_caught():
    found = mismatches(planted.ArgsortAsFloat(), "forward", "float32")
    assert len(found) == len(get_spec("argsort").cases)
    assert "dtype float32 differs from the expected int64" in str(found[0])


@pytest.mark.parametrize("check", ["forward", "special"])
def test_topk_indices_choosing_other_tied_positions_pass(check):
    assert mismatches(planted.TopkOtherTies(), check) == []


def test_topk_indices_with_a_repeated_index_fail():
    spec = get_spec("topk_indices")
    with pytest.raises(Mismatch, match="not exact"):
        run_check(Cell("special", "topk_indices", "planted-topk-repeats", special="ties"), planted.TopkRepeatsAnIndex())
    found = mismatches(planted.TopkRepeatsAnIndex(), "forward")
    assert len(found) == sum(case.params["k"] > 1 for case in spec.cases)


def test_the_canonical_form_tells_right_from_wrong_at_ties():
    x = np.array([2.0, np.nan, 2.0, 1.0, np.nan, 2.0])
    canonical = order.canonical_topk_indices
    right = [canonical(np.array(i), x, k=4) for i in ([1, 4, 0, 2], [4, 1, 5, 2], [1, 4, 2, 0])]
    assert all(np.array_equal(c, [1, 4, 0, 2]) for c in right)
    assert np.array_equal(canonical(np.array([1, 4, 0, 3]), x, k=4), [1, 4, 0, 3])  # a 1 where a 2 belongs
    assert np.array_equal(canonical(np.array([1, 1, 0, 2]), x, k=4), [-1, -1, -1, -1])  # repeated
    assert np.array_equal(canonical(np.array([1, 4, 0, 6]), x, k=4), [-1, -1, -1, -1])  # out of range
