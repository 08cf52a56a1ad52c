"""What a parity run writes down about each test: one record per catalog cell (its outcome, the measurement
of its check, its declared divergence, a reproduce line) and per failing test outside the catalog; the
records gathered on the controlling process into ``--parity-json`` and the matrix in the terminal summary;
and, with ``--parity-outputs``, every array compared.  The pytest plugin (:mod:`parity.pytest_plugin`) calls
:func:`record_of` from its report hook and registers :class:`Recorder` and :class:`OutputSaver`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import shlex
from pathlib import Path

import numpy as np
import pytest

from parity.checks import Cell
from parity.compare import OBSERVERS, Measurement, Mismatch
from parity.matrix import build_matrix, render_text

RECORD_KEY = "parity_record"
MEASUREMENT = pytest.StashKey[Measurement]()
DECLARED = pytest.StashKey["object"]()  # the plugin's Declared: the divergence a cell runs under, and what it showed

NO_MEASUREMENT = tuple(f.name for f in dataclasses.fields(Measurement))


def is_mismatch(error: BaseException) -> bool:
    """A :class:`Mismatch`, or a group of them (hypothesis raises an ExceptionGroup for several distinct ones)."""
    group = getattr(error, "exceptions", None)
    if isinstance(group, tuple) and group:
        return all(is_mismatch(e) for e in group)
    return isinstance(error, Mismatch)


def _mismatch_measurement(error: BaseException) -> Measurement | None:
    if isinstance(error, Mismatch):
        return error.measurement
    measurements = [m for m in map(_mismatch_measurement, getattr(error, "exceptions", ()) or ()) if m]
    return functools.reduce(Measurement.worst, measurements) if measurements else None


def _is_failure(error: BaseException, cell: bool) -> bool:
    """A check failing (rather than crashing): a Mismatch in a catalog cell, or the harness failing it (a
    declared divergence that did not occur); any assertion or pytest.fail in another test."""
    if cell:
        return is_mismatch(error) or isinstance(error, pytest.fail.Exception)
    return isinstance(error, (AssertionError, pytest.fail.Exception))


def _outcome(report, call, cell: bool = True) -> str:
    """passed, skipped, xfailed, failed, or crashed: an exception that is not a failed check."""
    if hasattr(report, "wasxfail"):
        return "xfailed" if report.skipped else "failed"  # a strict xpass fails
    if report.passed or report.skipped:
        return "passed" if report.passed else "skipped"
    error = call.excinfo.value if call.excinfo is not None else None
    return "crashed" if error is not None and not _is_failure(error, cell) else "failed"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else ""


def _reason(report, call, outcome: str = "") -> str:
    """One line: the skip or xfail reason, the failure's first line, or ``Type: first line`` of a crash."""
    if hasattr(report, "wasxfail"):
        return report.wasxfail
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if report.failed and call.excinfo is not None:
        text = _first_line(str(call.excinfo.value))
        if outcome == "crashed":
            return f"{call.excinfo.typename}: {text}" if text else call.excinfo.typename
        return text or call.excinfo.typename
    if report.failed:  # e.g. a strict xfail that passed: pytest says so in longrepr
        return _first_line(str(report.longrepr))
    return ""


def _message(report, call) -> str | None:
    """The whole failure message (a Mismatch's worst element and reproduce line), and where a crash happened."""
    if not report.failed or call.excinfo is None:
        return None
    text = f"{call.excinfo.typename}: {call.excinfo.value}"
    if not is_mismatch(call.excinfo.value) and call.excinfo.traceback:
        frame = call.excinfo.traceback[-1]
        text += f"\n  at {frame.path}:{frame.lineno + 1} in {frame.name}"
    return text[:4000]


def _cell_record(item, cell: Cell, report, call) -> dict:
    measurement = item.stash.get(MEASUREMENT, None)
    if call.excinfo is not None and is_mismatch(call.excinfo.value):
        measurement = _mismatch_measurement(call.excinfo.value)
    outcome = _outcome(report, call)
    return {
        "op": cell.op,
        "kind": cell.spec.kind,
        "check": cell.check,
        "variant": cell.variant,
        "backend": cell.backend,
        "device": cell.device,
        "dtype": cell.dtype,
        "outcome": outcome,
        "reason": _reason(report, call, outcome),
        "message": _message(report, call),
        "nodeid": item.nodeid,
        "duration": report.duration,
        "reproduce": cell.reproduce(),
        "divergence": declared.as_dict() if (declared := item.stash.get(DECLARED, None)) else None,
        **(measurement.as_dict() if measurement else dict.fromkeys(NO_MEASUREMENT)),
    }


def _test_record(item, report, call) -> dict:
    """A failing or crashing test outside the catalog's cells (e.g. a pinned divergence): kind ``test``."""
    module, _, name = item.nodeid.partition("::")
    outcome = _outcome(report, call, cell=False)
    return {
        "op": module,
        "kind": "test",
        "check": "test",
        "variant": name,
        "backend": None,
        "device": None,
        "dtype": None,
        "outcome": outcome,
        "reason": _reason(report, call, outcome),
        "message": _message(report, call),
        "nodeid": item.nodeid,
        "reproduce": f"pytest {shlex.quote(item.nodeid)}",
        "duration": report.duration,
        **dict.fromkeys(NO_MEASUREMENT),
    }


def record_of(item, report, call) -> dict | None:
    """The record a finished test phase adds to its report: every catalog cell's outcome, and any other test's
    failure; None when there is nothing to record (a passing setup, a passing non-cell test)."""
    cell = getattr(item, "callspec", None) and item.callspec.params.get("cell")
    done = report.when == "call" or (report.when == "setup" and not report.passed)
    if isinstance(cell, Cell) and done:
        return _cell_record(item, cell, report, call)
    if done and report.failed:
        return _test_record(item, report, call)
    return None


class OutputSaver:
    """Keeps every array compared during each test (``compare.OBSERVERS``) and writes them, per process, to
    ``--parity-outputs``/<worker>.npz, keyed ``nodeid|check:detail``."""

    def __init__(self, config):
        self.directory = Path(config.getoption("--parity-outputs"))
        self.worker = getattr(config, "workerinput", {}).get("workerid", "main")
        self.arrays: dict[str, np.ndarray] = {}
        self.current = ""
        OBSERVERS.append(self.observe)

    def observe(self, context, actual) -> None:
        key = f"{self.current}|{context.check}:{context.detail}"
        self.arrays[key] = np.array(actual, copy=True)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        self.current = item.nodeid
        return (yield)

    def pytest_sessionfinish(self, session):
        OBSERVERS.remove(self.observe)
        if self.arrays:
            self.directory.mkdir(parents=True, exist_ok=True)
            np.savez(self.directory / f"{self.worker}.npz", **self.arrays)


class Recorder:
    """Gathers records on the controlling process (xdist ships them in report.user_properties)."""

    def __init__(self, config):
        self.config = config
        self.records: list[dict] = []

    def pytest_runtest_logreport(self, report):
        self.records.extend(value for key, value in report.user_properties if key == RECORD_KEY)

    def _is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def pytest_sessionfinish(self, session):
        path = self.config.getoption("--parity-json")
        if path and not self._is_worker():
            records = sorted(self.records, key=lambda r: r["nodeid"])
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(json.dumps({"records": records}, indent=1, default=str))

    def pytest_terminal_summary(self, terminalreporter):
        cells = [r for r in self.records if r["kind"] != "test"]
        if self._is_worker() or not cells or self.config.getoption("--no-parity-matrix"):
            return
        terminalreporter.section("parity matrix (share of the allowance the worst element used; ok <= 1)")
        matrix = build_matrix(cells)
        terminalreporter.write_line(render_text(matrix))
        totals = matrix.totals()
        terminalreporter.write_line("checks: " + ", ".join(f"{n} {k}" for k, n in sorted(totals.items())))
        outside = len(self.records) - len(cells)
        if outside:
            terminalreporter.write_line(f"outside the matrix: {outside} test(s) failed or crashed")
