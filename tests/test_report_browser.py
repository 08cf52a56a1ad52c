"""report.html in a real browser (headless Chromium driven by Selenium, see tests/browser.py).

On a report that ``parity run --quick`` writes for a few entries on numpy and two planted backends (one
wrong, one crashing), and on one rendered from hand-made records: the page loads without console errors,
the matrix has one row per entry, a filter changes what is shown, a failing cell opens its reproduce line.
``PARITY_REPORT_HTML=path/report.html`` adds the same checks on that report (CI: the full quick run's).
Without a browser these tests skip with the reason, unless ``PARITY_REQUIRE_BROWSER`` is set (CI).
"""

import json
import os
from pathlib import Path

import pytest

from parity.findings import reproduce_line
from parity.report import report_data, write_report
from tests import browser
from tests.meta.helpers import run_pytest, sample_records

pytestmark = pytest.mark.selftest
MATRIX_KINDS = ("op", "layer", "loss")


@pytest.fixture(scope="module")
def driver():
    problem = browser.unavailable()
    if problem and os.environ.get("PARITY_REQUIRE_BROWSER"):
        pytest.fail(f"PARITY_REQUIRE_BROWSER is set, but {problem}")
    if problem:
        pytest.skip(problem)
    with browser.chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory) -> Path:
    """What ``parity run --quick`` writes, for sigmoid and exp on numpy and two planted backends (the checks run
    through the plugin on two test files, not the whole tests/ collection, to keep this test short)."""
    out = tmp_path_factory.mktemp("quick-report")
    planted = ["--backend", "tests.meta.planted:SigmoidVjpOffByTwo", "--backend", "tests.meta.planted:CrashingExp"]
    code, output, records = run_pytest(
        out, "tests/suite/test_forward.py", "tests/suite/test_grads.py", "--parity-quick", "-k", "[sigmoid- or [exp-",
        "--backend", "numpy", *planted,
    )  # fmt: skip
    assert code == 1, output
    return write_report(out, records, command="parity run --quick", exit_code=code)[2]


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory) -> Path:
    from parity.html import render_html

    ladder = [
        {"kind": "ladder", "entry": "exp", "axis": "elements", "size": size, "backend": name, "device": "cpu",
         "dtype": "float32", "variant": "resident", "median_s": seconds, "group": f"exp {size}"}
        for name, times in (("numpy", (1e-6, 1e-3)), ("torch", (4e-6, 2e-4)))
        for size, seconds in zip((100, 100_000), times)
    ]  # fmt: skip
    data = report_data(sample_records(), command="parity run", exit_code=1, benchmarks=ladder)
    page = tmp_path_factory.mktemp("sample-report") / "report.html"
    page.write_text(render_html(data), encoding="utf-8")
    (page.parent / "report.json").write_text(json.dumps(data, default=str))
    return page


def _load(driver, page: Path) -> dict:
    driver.get(page.resolve().as_uri())
    assert browser.console_errors(driver) == []
    return json.loads((page.parent / "report.json").read_text())


def _rows(driver) -> int:
    return len(driver.find_elements("css selector", "#table-matrix tbody tr"))


def _columns(driver) -> list[str]:
    return [th.get_attribute("title") for th in driver.find_elements("css selector", "#table-matrix thead tr.sub th")][
        1:
    ]


def _check_rows_and_filter(driver, data: dict) -> None:
    entries = {r["op"] for r in data["records"] if r["kind"] in MATRIX_KINDS}
    assert _rows(driver) == len(entries)
    before = _columns(driver)
    assert any(c.endswith("/float64") for c in before)
    driver.find_element("css selector", 'input[data-filter="dtype"][value="float64"]').click()
    after = _columns(driver)
    assert after and len(after) < len(before) and not any(c.endswith("/float64") for c in after)
    driver.find_element("css selector", 'input[data-filter="dtype"][value="float64"]').click()
    assert _columns(driver) == before


def _open_cell(driver, status: str) -> str:
    driver.find_element("css selector", f"#table-matrix td.cell.{status}").click()
    dialog = driver.find_element("id", "detail")
    assert dialog.get_attribute("open") is not None
    text = dialog.text
    driver.execute_script("document.getElementById('detail').close()")
    return text


def test_quick_report_loads_filters_and_opens_a_failure(driver, quick_report):
    data = _load(driver, quick_report)
    _check_rows_and_filter(driver, data)
    failed = [r for r in data["records"] if r["outcome"] == "failed"]
    assert failed and all(r["backend"] == "planted-sigmoid-vjp" for r in failed)
    assert any(reproduce_line(r) in _open_cell(driver, "failed") for r in failed)
    crash = _open_cell(driver, "crashed")
    assert "RuntimeError: planted: the exp kernel crashed" in crash and "reproduce:" in crash
    assert "CRASH" in driver.find_element("css selector", "#table-matrix td.cell.crashed").text


def test_sample_report_hides_skipped_columns_with_their_reason(driver, sample_report):
    data = _load(driver, sample_report)
    _check_rows_and_filter(driver, data)
    assert "torch/cuda/float32" not in _columns(driver)
    notice = driver.find_element("css selector", "#matrix details.hidden-cols")
    assert "1 column(s) hidden" in notice.text and "torch.cuda.is_available()" not in notice.text
    notice.find_element("tag name", "summary").click()
    assert "torch/cuda/float32: torch.cuda.is_available() is False" in notice.text


def test_sample_report_filters_by_check_kind_and_backend(driver, sample_report):
    _load(driver, sample_report)
    assert _rows(driver) == 5
    for check in ("forward", "special"):
        driver.find_element("css selector", f'input[data-filter="check"][value="{check}"]').click()
    assert _rows(driver) == 3  # only vjp checks left: exp, sigmoid and matmul have them, gelu and sum do not
    driver.find_element("css selector", 'input[data-filter="backend"][value="torch"]').click()
    assert not any(c.startswith("torch/") for c in _columns(driver))


def test_sample_report_answers_which_backend_is_fastest(driver, sample_report):
    _load(driver, sample_report)
    ranking = driver.find_element("id", "finder-table").text.splitlines()
    assert ranking[1].startswith("1 torch/cpu") and "0.20x" in ranking[1]
    assert driver.find_element("id", "finder-chart").get_attribute("aria-label").startswith("median time")


@pytest.mark.skipif(not os.environ.get("PARITY_REPORT_HTML"), reason="PARITY_REPORT_HTML names no report to check")
def test_given_report(driver):
    page = Path(os.environ["PARITY_REPORT_HTML"])
    data = _load(driver, page)
    _check_rows_and_filter(driver, data)
    failed = [r for r in data["records"] if r["outcome"] == "failed" and r["kind"] in MATRIX_KINDS]
    if failed:
        assert any(reproduce_line(r) in _open_cell(driver, "failed") for r in failed)
