"""parity selftest's test selection (parity.mutation): a mutant runs the cells of the catalog entries that own the
mutated line, then its module's selection; a line no entry owns runs the module's selection.  Fast: no mutant runs."""

import json

import pytest

from parity import mutation
from parity.mutation import ROOT, entries_owning, stages
from parity.pytest_plugin import Selection, generate_cells


def _line(module: str, text: str) -> int:
    """The line of ``module`` that holds ``text`` (exactly one)."""
    lines = [i for i, line in enumerate((ROOT / module).read_text().splitlines(), 1) if text in line]
    assert len(lines) == 1, (module, text, lines)
    return lines[0]


def test_a_vjp_line_belongs_to_its_entry():
    assert entries_owning("reference/binary.py", _line("reference/binary.py", "_reduce_to_inputs(g * y, g * x")) == [
        "mul"
    ]


def test_a_helper_belongs_to_every_entry_that_uses_it_decorators_included():
    owners = entries_owning("reference/binary.py", _line("reference/binary.py", 'require_float_array(y, "y")'))
    assert {"add", "sub", "mul", "div", "pow", "maximum", "minimum"} <= set(owners)


def test_an_engine_function_belongs_to_the_entry_of_its_name_and_its_callers_to_theirs():
    module = "impls/autograd/functional.py"
    assert "conv2d" in entries_owning(module, _line(module, "def _im2col("))
    assert {"cross_entropy", "nll_loss"} <= set(entries_owning(module, _line(module, "def _class_last(")))


@pytest.mark.parametrize("module", ["reference/binary.py", "impls/autograd/functional.py"])
def test_an_owned_line_runs_its_entries_first_then_the_module(module):
    line = _line(module, "def mul(" if module.startswith("reference") else "def _im2col(")
    names = [kind for kind, _ in stages(module, line)]
    assert names == ["entries", "module quick"]
    narrow = stages(module, line)[0][1]
    assert "--parity-entry" in narrow and stages(module, line)[-1][1] == [*mutation.tests_for(module), "--parity-quick"]


def test_a_line_no_entry_owns_runs_the_module_selection():
    module = "impls/autograd/tensor.py"
    line = _line(module, "class Tensor")
    assert [kind for kind, _ in stages(module, line)] == ["module quick"]
    harness = "parity/compare.py"
    assert stages(harness, 1) == [("module quick", [*mutation.tests_for(harness), "--parity-quick"])]


def test_parity_entry_generates_only_the_named_entries_cells():
    selection = Selection(("numpy",), None, True, False, frozenset({"mul", "exp"}))
    ops = {cell.op for cell, _ in generate_cells("forward", "cases", True, selection)}
    assert ops == {"mul", "exp"}
    everything = Selection(("numpy",), None, True, False)
    assert len({cell.op for cell, _ in generate_cells("forward", "cases", True, everything)}) > 100


def test_a_harness_line_runs_the_tests_that_name_its_function_first():
    module = "parity/compare.py"
    line = _line(module, "def assert_count(")
    first_kind, first = stages(module, line + 1)[0]
    assert first_kind == "callers" and "tests/meta/test_blind_spots.py" in first


def test_reclassify_counts_a_classified_survivor_as_its_class(tmp_path):
    """A survivor classified after the run counts as killed, equivalent or accepted; timeouts are no kills."""
    mutants = [("reference/binary.py:a", "killed"), ("reference/binary.py:b", "survived"),
               ("reference/binary.py:c", "survived"), ("reference/binary.py:d", "timeout")]  # fmt: skip
    results = {
        "modules": {"reference/binary.py": {"generated": 9}},
        "survivors": [{"key": k} for k, outcome in mutants if outcome == "survived"],
        "mutants": [{"key": k, "line": 1, "outcome": outcome, "seconds": 1.0} for k, outcome in mutants],
    }
    (tmp_path / "r.json").write_text(json.dumps(results))
    (tmp_path / "c.json").write_text(json.dumps({"survivors": {"reference/binary.py:b": {"class": "equivalent"}}}))
    out = mutation.reclassify(tmp_path / "r.json", tmp_path / "c.json")
    row = out["modules"]["reference/binary.py"]
    assert (row["run"], row["killed"], row["survived"], row["equivalent"], row["timeout"]) == (4, 1, 1, 1, 1)
    assert out["score"] == 1 / 2 and out["score_timeouts_as_survivors"] == 1 / 3


def test_a_resumed_sample_keeps_what_was_measured_and_refuses_another_seed():
    """As the tool meets them: the sampled mutants have not run (no diff, so no key yet); the results file has
    keys with their mutated lines."""
    done = mutation.Mutant("1", "reference/binary.py", "core/Op", 0, 10, "mul")
    pending = mutation.Mutant("2", "reference/binary.py", "core/Op", 0, 20, "add")
    twins = [mutation.Mutant(str(i), "reference/binary.py", "core/Op", i, 30, "sub") for i in (0, 1)]
    rows = [
        {"key": "reference/binary.py:mul:core/Op:return x * y", "line": 10, "outcome": "survived", "seconds": 8.0,
         "selection": "entries"},
        {"key": "reference/binary.py:add:core/Op:return x + y", "line": 20, "outcome": "pending", "seconds": 0.0,
         "selection": ""},
        {"key": "reference/binary.py:sub:core/Op:return x - y", "line": 30, "outcome": "killed", "seconds": 1.0,
         "selection": "entries"},
    ]  # fmt: skip
    mutation._resume([done, pending, *twins], {"seed": 20, "mutants": rows}, seed=20)
    assert (done.outcome, done.seconds, done.selection) == ("survived", 8.0, "entries")
    assert done.key == rows[0]["key"]  # so that its hand classification still applies
    assert pending.outcome == "pending" and [t.outcome for t in twins] == ["pending", "pending"]  # ambiguous: rerun
    with pytest.raises(ValueError, match="--seed 21"):
        mutation._resume([pending], {"seed": 20, "mutants": rows}, seed=21)
