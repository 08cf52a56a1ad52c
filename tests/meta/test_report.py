"""The report on hand-made records: headlines, root causes, report.md and report.html's content."""

import json
import re

import pytest

from parity.findings import closest_to_limit, group_causes, message_shape, reproduce_line
from parity.html import page_model, render_html
from parity.matrix import build_matrix, format_excess, render_markdown, render_text
from parity.report import render_report, report_data
from tests.meta.helpers import mismatch_reason, record, sample_records


@pytest.fixture(scope="module")
def data():
    return report_data(sample_records(), command="parity run --quick", exit_code=1)


# ---------------------------------------------------------------- the matrix headline
def test_headline_is_the_allowance_used_and_never_above_one_unless_failed(data):
    matrix = build_matrix(data["records"])
    for (row, column), cell in matrix.cells.items():
        if cell.max_excess is not None and cell.max_excess > 1:
            assert cell.status in ("failed", "crashed"), (row, column)
    assert matrix.text("sigmoid", "planted-sigmoid-vjp/cpu/float32") == "FAIL 3e+04"
    assert matrix.text("exp", "numpy/cpu/float64") == "ok 0.25"
    assert matrix.text("exp", "numpy/cpu/float32") == "ok 0.25 ftz"
    assert matrix.text("exp", "planted-crash/cpu/float64") == "CRASH"
    assert matrix.text("sum", "torch/cpu/float64") == "div"


@pytest.mark.parametrize(
    ("reason", "excess", "text"),
    [
        ("[XPASS(strict)] known divergence: gelu(+inf) is NaN", 0.0, "FAIL xpass"),  # never a "FAIL 0"
        ("exp [forward] on numpy/cpu/float64: NaN mask differs at index (0,)", float("inf"), "FAIL NaN"),
        ("abs [special] on numpy/cpu/float64: sign of zero differs at index (0,)", float("inf"), "FAIL ±0"),
        ("exp [forward] on numpy/cpu/float64: 1 of 4 element(s) outside rtol=1e-07", 12.4, "FAIL 12"),
    ],
)
def test_a_failure_that_is_not_a_size_says_what_failed(reason, excess, text):
    records = [record(), record(outcome="failed", reason=reason, max_excess=excess)]
    assert build_matrix(records).text("exp", "numpy/cpu/float64") == text


def test_a_crash_outranks_a_failure_in_the_same_cell():
    records = [record(outcome="failed", max_excess=2.0), record(outcome="crashed", reason="KeyError: 'x'")]
    assert build_matrix(records).text("exp", "numpy/cpu/float64") == "CRASH"


@pytest.mark.parametrize(
    ("excess", "text"),
    [(0.0, "0"), (0.004, "<0.01"), (0.31, "0.31"), (12.4, "12"), (3e5, "3e+05"), (float("inf"), "inf")],
)
def test_format_excess(excess, text):
    assert format_excess(excess) == text


def test_the_terminal_matrix_hides_columns_where_everything_skipped(data):
    text = render_text(build_matrix(data["records"]))
    header = text.splitlines()[0]
    assert "torch/cpu/float32" in header and "torch/cuda/float32" not in header
    assert "not shown: 1 column(s) where every check was skipped: torch/cuda/float32" in text


def test_tests_outside_the_cells_stay_out_of_the_matrix(data):
    assert "tests/test_divergences.py" not in build_matrix(data["records"]).rows


def test_columns_are_grouped_by_machine_when_records_name_one():
    records = [record(machine="intel-avx512"), record(machine="amd-avx2"), record()]
    assert build_matrix(records).columns == [
        "numpy/cpu/float64",
        "amd-avx2:numpy/cpu/float64",
        "intel-avx512:numpy/cpu/float64",
    ]


# ---------------------------------------------------------------- root causes
def test_message_shape_takes_out_numbers_and_names():
    one = mismatch_reason("sigmoid", "planted-sigmoid-vjp", "float32", 0.5)
    other = mismatch_reason("sigmoid", "numba_cuda", "float64", 0.25)
    names = {"planted-sigmoid-vjp", "numba_cuda", "numba", "cpu", "float32", "float64"}
    assert message_shape(one, names) == message_shape(other, names)
    assert "numba" not in message_shape("numba_cuda failed", names)  # the longer name is taken out whole
    assert (
        message_shape("worst element at index (1, 2): actual -3.5e-07", ()) == "worst element at index (#, #): actual #"
    )


def test_one_bug_on_two_dtypes_is_one_root_cause_with_one_reproduce_line(data):
    causes = group_causes(r for r in data["records"] if r["kind"] != "test")
    assert [(c.outcome, c.entry, c.check, len(c.records)) for c in causes] == [
        ("crashed", "exp", "forward", 1),  # crashes first
        ("failed", "sigmoid", "vjp", 2),
    ]
    failure = causes[1]
    assert failure.columns == ["planted-sigmoid-vjp/cpu/float32", "planted-sigmoid-vjp/cpu/float64"]
    assert failure.reproduce.startswith("parity check sigmoid --check vjp")


def test_different_checks_or_messages_are_different_causes():
    a = record(outcome="failed", reason="exp [forward] on numpy/cpu/float64: NaN mask differs at index (0,)")
    b = record(outcome="failed", dtype="float32", reason="exp [forward] on numpy/cpu/float32: inf positions differ")
    c = record(outcome="failed", check="vjp", reason=a["reason"])
    assert len(group_causes([a, b, c])) == 3


def test_reproduce_line_falls_back_to_the_pytest_node():
    assert reproduce_line(record()) == "pytest 'tests/suite/test_forward.py::test_forward[exp-4x7-numpy-cpu-float64]'"
    assert reproduce_line(record(reproduce="parity check exp")) == "parity check exp"


def test_closest_to_limit_lists_passing_checks_by_allowance_used(data):
    closest = closest_to_limit(data["records"], 2)
    assert [(r["op"], r["max_excess"]) for r in closest] == [("sgd", 0.9), ("exp", 0.25)]


# ---------------------------------------------------------------- report.md
def test_markdown_is_a_summary_with_causes_and_reproduce_lines(data):
    text = render_report(data)
    assert "**Found 1 crash (1 check), 1 root cause of failure (2 checks), 1 failing test outside the matrix.**" in text
    assert "## Crashes, by root cause" in text and "RuntimeError: planted: the exp kernel crashed" in text
    assert (
        "reproduce: `parity check sigmoid --check vjp --case 0 --backend planted-sigmoid-vjp --dtype float32`" in text
    )
    assert (
        "## Failures outside the matrix\n\n1. `tests/test_divergences.py::test_torch_gelu_at_infinity` (failed)" in text
    )
    assert "reproduce: `pytest tests/test_divergences.py::test_torch_gelu_at_infinity`" in text
    assert "## Closest to the tolerance" in text and "| sgd | trajectory | `torch/cpu/float32` | 0.90 | 2 |" in text
    assert "| entry | `numpy/cpu/float32`" not in text  # no wide matrix: that is report.html's


def test_markdown_says_when_everything_agreed():
    data = report_data([record(), record(backend="torch")], command="parity run", exit_code=0)
    assert "**Every one of the 2 checks that ran agreed within its tolerance" in render_report(data)


# ---------------------------------------------------------------- report.html
def _model(page: str) -> dict:
    text = re.search(r'<script id="model" type="application/json">(.*?)</script>', page, re.S).group(1)
    return json.loads(text)  # strict JSON: no NaN/Infinity literals


def test_html_is_self_contained(data):
    page = render_html(data)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "an external resource"
    assert "<link" not in page and "@import" not in page
    assert page.count("<script") == 2 and "<style>" in page
    _model(page)


def test_html_model_has_every_table_row_and_a_reproduce_line_per_problem(data):
    model = page_model(data)
    tables = {t["id"]: t["rows"] for t in model["tables"]}
    assert tables["matrix"] == ["exp", "sigmoid", "gelu", "sum", "matmul"]  # catalog order
    assert tables["optimizers"] == ["sgd · 3x4"] and tables["loops"] == ["poly · grad=manual"]
    problems = [d for d in model["details"] if d["outcome"] in ("failed", "crashed")]
    assert len(problems) == 3 and all(d["reproduce"] for d in problems)


def test_html_infinite_measurements_survive_as_strict_json():
    data = report_data([record(outcome="failed", max_excess=float("inf"))], command="parity run", exit_code=1)
    (cell,) = _model(render_html(data))["cells"]
    assert cell["e"] == "Infinity"  # the page's script turns it back into a number


def test_html_shows_divergences_machine_facts_and_outside_failures(data):
    data = {**data, "machine": {**data["machine"], "facts": {"avx512": False, "oneDNN ISA": "AVX2"}}}
    page = render_html(data)
    assert "gelu(+inf) is NaN under AVX-512" in page and "does not hold here" in page and "as the reference" in page
    assert "<th>oneDNN ISA</th><td>AVX2</td>" in page
    assert "test_torch_gelu_at_infinity" in page and "Failures outside the matrix" in page


def test_html_model_keeps_exact_passes_and_groups_columns_by_machine():
    data = report_data([record(max_excess=0.0), record(machine="intel-avx512")], command="parity merge", exit_code=0)
    model = page_model(data)
    assert [(c["machine"], c["backend"]) for c in model["columns"]] == [("", "numpy"), ("intel-avx512", "numpy")]
    assert sorted(cell["e"] for cell in model["cells"]) == [0.0, 0.25]


def test_markdown_matrix_bolds_failures_and_crashes(data):
    table = render_markdown(build_matrix(data["records"]))
    assert "**FAIL 3e+04**" in table and "**CRASH**" in table and "| ok 0.25 |" in table
