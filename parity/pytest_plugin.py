"""parity's pytest plugin: options, markers, hypothesis profiles, the parametrisation of
catalog x backend x device x dtype, the ``backend``/``record`` fixtures, and the matrix
and JSON written at the end of the run (gathered from every xdist worker).

Tests opt in with ``@pytest.mark.parity(check=..., over=...)`` and a ``cell`` argument:

* ``over="cases"`` / ``"specials"``: one item per catalog case / special value;
* ``backends=False``: reference-only checks (float64, no backend axis).
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from impls import BACKENDS, BackendUnavailable, backend_class, known_backends, load_backend
from impls.base import GPU_DEVICES  # real GPUs only: "cudasim" and "emulated" run on the CPU
from impls.declare import Divergence
from parity.accumulation import accumulation_facts
from parity.checks import REFERENCE, Cell, applies_to, check_declared_behaviour
from parity.compare import Measurement, Mismatch
from parity.machine import Facts, machine_facts
from parity.profiles import register_profiles
from parity.records import DECLARED, MEASUREMENT, RECORD_KEY, OutputSaver, Recorder, is_mismatch, record_of
from reference import ENTRY_GROUPS

SELECTION = pytest.StashKey["Selection"]()
PRIVATE_BASETEMP = pytest.StashKey[Path]()

MARKERS = {
    "parity(check, over='cases', backends=True, dtypes=None)": "generate cells for this test from the catalog",
    "cpu": "runs on the CPU",
    "gpu": "needs a usable GPU (skipped with the reason when there is none)",
    "slow": "slow; deselect with -m 'not slow'",
    "bench": "pytest-benchmark timing (tests/bench only)",
    "selftest": "tests of parity's own harness that spawn pytest or parity; parity run leaves them out",
    REFERENCE: "checks the NumPy reference itself",
}


register_profiles()  # hypothesis: dev, ci (derandomized, constants pinned), thorough


@dataclass(frozen=True)
class Selection:
    """Which backends and devices this run covers, and whether the user named them."""

    backends: tuple[str, ...]
    devices: tuple[str, ...] | None
    explicit_backends: bool
    quick: bool
    entries: frozenset[str] = frozenset()  # --parity-entry: only these catalog entries' cells (empty: all)


def _split(values, env: str) -> list[str]:
    raw = list(values) or ([os.environ[env]] if os.environ.get(env) else [])
    return [name.strip() for value in raw for name in value.split(",") if name.strip()]


def pytest_addoption(parser):
    group = parser.getgroup("parity")
    group.addoption(
        "--backend",
        action="append",
        default=[],
        metavar="NAME",
        help="backend to check (repeatable, or comma-separated; env PARITY_BACKENDS). "
        f"Built in: {', '.join(BACKENDS)}; also those installed under the parity.backends entry point, or "
        "module:Class. Default: every built-in and installed backend, "
        "skipping those that cannot load; a named backend that cannot load is an error.",
    )
    group.addoption(
        "--device",
        action="append",
        default=[],
        metavar="NAME",
        help="device to check, e.g. cpu or cuda (repeatable; env PARITY_DEVICES). Default: all.",
    )
    group.addoption("--parity-json", metavar="PATH", help="write one JSON record per check to PATH")
    group.addoption(
        "--parity-quick", action="store_true", help="only the first case of every catalog entry (env PARITY_QUICK=1)"
    )
    group.addoption(
        "--parity-outputs",
        metavar="DIR",
        help="save every array the checks compare to DIR/<worker>.npz (the dispatch sweep compares their bits)",
    )
    group.addoption(
        "--parity-entry",
        action="append",
        default=[],
        metavar="NAME",
        help="generate only this catalog entry's cells (repeatable, or comma-separated): a narrow run collects "
        "only what it needs (parity selftest runs each mutant against the entries that own the mutated code)",
    )
    group.addoption(
        "--bench-backend",
        metavar="NAME",
        default=None,
        help="benchmarks: time only this backend of the selection (parity run times each backend in a process "
        "of its own, so that no other framework's threads run while one is timed)",
    )
    group.addoption("--no-parity-matrix", action="store_true", help="do not print the matrix in the summary")
    group.addoption(
        "--ladder",
        choices=("quick", "full"),
        default="quick",
        help="benchmark sizes for tests/suite/bench_ladder.py (parity.ladder): quick (default) or full",
    )


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _one_thread_per_worker(config) -> None:
    """An xdist worker is one core's worth of work: torch, OpenBLAS and MKL each start a thread per core by
    default, so ``-n auto`` on 2 cores ran 2 x 2 spinning threads and a small torch op took 10-40 ms instead of
    ~1 ms (measured on a loaded 2-core machine: the mlp's torch cells 10-13 s against 1.4 s).  Set before any
    backend is loaded; a variable the user set is left alone, and a serial run (benchmarks) keeps every thread."""
    if hasattr(config, "workerinput"):
        for variable in THREAD_VARIABLES:
            os.environ.setdefault(variable, "1")


def pytest_configure(config):
    _one_thread_per_worker(config)
    for marker, text in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {text}")
    for name in BACKENDS:
        config.addinivalue_line("markers", f"{name}: checks of the {name} backend")
    backends = _split(config.getoption("--backend"), "PARITY_BACKENDS")
    devices = _split(config.getoption("--device"), "PARITY_DEVICES")
    selection = Selection(
        tuple(backends or known_backends()),
        tuple(devices) or None,
        bool(backends),
        bool(config.getoption("--parity-quick")) or os.environ.get("PARITY_QUICK", "0") not in ("", "0"),
        frozenset(_split(config.getoption("--parity-entry"), "PARITY_ENTRIES")),
    )
    config.stash[SELECTION] = selection
    if selection.explicit_backends or selection.devices:
        _require_loadable(selection)
    _private_basetemp(config)
    config.pluginmanager.register(Recorder(config), "parity-recorder")
    if config.getoption("--parity-outputs"):
        config.pluginmanager.register(OutputSaver(config), "parity-output-saver")


def _private_basetemp(config) -> None:
    """Give this session a temporary root of its own (unless --basetemp names one), so sessions running at
    the same time (tox -p, two terminals, the suite's own nested runs) never prune each other's numbered
    directories under the shared pytest-of-USER root.  Removed when the session passes; kept on failure."""
    if config.option.basetemp or hasattr(config, "workerinput"):  # xdist workers get a subdirectory of ours
        return
    config.option.basetemp = tempfile.mkdtemp(prefix="parity-pytest-")
    config.stash[PRIVATE_BASETEMP] = Path(config.option.basetemp)


def pytest_sessionfinish(session, exitstatus):
    path = session.config.stash.get(PRIVATE_BASETEMP, None)
    if path is not None and exitstatus == 0:
        session.config.add_cleanup(functools.partial(shutil.rmtree, path, ignore_errors=True))


def _require_loadable(selection: Selection) -> None:
    """A backend the user asked for by name must load, and some selected backend must offer each named device."""
    offered = set()
    for name in selection.backends:
        try:
            backend = load_backend(name)
        except (BackendUnavailable, ImportError, ValueError, TypeError, AttributeError) as error:
            if not selection.explicit_backends:
                continue  # not asked for by name: its cells skip with the reason
            raise pytest.UsageError(f"--backend {name} was requested but cannot be loaded: {error}") from error
        offered.update(d for d in backend.devices if backend.device_problem(d) is None)
    for device in selection.devices or ():
        if device not in offered:
            raise pytest.UsageError(
                f"--device {device} was requested but none of {', '.join(selection.backends)} "
                "can use it on this machine"
            )


# ------------------------------------------------------------------ parametrisation
def _variants(spec, over: str, quick: bool):
    if over == "cases":
        indices = range(len(spec.cases))
        return [{"case": i} for i in (indices[:1] if quick else indices)]
    if over == "specials":
        return [{"special": s.label} for s in spec.specials]
    return [{}]


def _backend_marks(label: str) -> list:
    """The built-in backend's own marker (``-m torch`` selects its column and host-side tests; tox envs use it)."""
    return [getattr(pytest.mark, label)] if label in BACKENDS else []


def _marks(cell: Cell, cls) -> list:
    marks = [pytest.mark.gpu if cell.device in GPU_DEVICES else pytest.mark.cpu, *_backend_marks(cell.backend)]
    if cell.backend == REFERENCE:
        return [*marks, pytest.mark.reference]
    unsupported = cls.unsupported_for(**cell.scope())
    params = cell.spec.cases[cell.case].params if cell.case is not None else None
    spec_problem = getattr(cell.spec, "case_problem", None)  # a loop's own: mixed precision runs at float32
    reason = (unsupported.reason if unsupported and not unsupported.when else None) or (
        params is not None and (cls.case_problem(params) or (spec_problem and spec_problem(params, cell.dtype)))
    )
    if reason:
        marks.append(pytest.mark.skip(reason=f"{cell.backend} does not support {cell.op}: {reason}"))
    return marks


def generate_cells(check: str, over: str, with_backends: bool, selection: Selection, entries: str = "ops", dtypes=None):
    """Every (cell, marks) pair for one test, in catalog order (identical on every xdist worker); ``dtypes``
    narrows the backend cells to those dtypes (a test may check some dtypes at a different strength)."""
    for spec in ENTRY_GROUPS[entries].values():
        if not applies_to(check, spec) or (selection.entries and spec.name not in selection.entries):
            continue
        for variant in _variants(spec, over, selection.quick):
            scoped = _special_dtypes(spec, variant)
            if not with_backends:
                for dtype in scoped or ("float64",):  # a special value scoped to dtypes is stated in each of them
                    yield Cell(check, spec.name, dtype=dtype, **variant), [pytest.mark.cpu, pytest.mark.reference]
                continue
            for name in selection.backends:
                cls = backend_class(name)
                for device in cls.devices:
                    if selection.devices and device not in selection.devices:
                        continue
                    for dtype in spec.dtypes:
                        if (
                            dtype in cls.dtypes
                            and (scoped is None or dtype in scoped)
                            and (dtypes is None or dtype in dtypes)
                        ):
                            cell = Cell(check, spec.name, cls.name, device, dtype, **variant)
                            yield cell, _marks(cell, cls)


def _special_dtypes(spec, variant: dict) -> tuple[str, ...] | None:
    """The dtypes a special-value variant is scoped to (None: every dtype of the entry, or not a special)."""
    label = variant.get("special")
    if label is None:
        return None
    return next(s.dtypes for s in spec.specials if s.label == label)


def pytest_generate_tests(metafunc):
    for fixture in ("selected_backend", "selected_backend_class"):
        if fixture in metafunc.fixturenames:
            params = [pytest.param(n, marks=_backend_marks(backend_class(n).name), id=backend_class(n).name)
                      for n in metafunc.config.stash[SELECTION].backends]  # fmt: skip
            metafunc.parametrize(fixture, params, indirect=True)
    marker = metafunc.definition.get_closest_marker("parity")
    if marker is None or "cell" not in metafunc.fixturenames:
        return
    selection = metafunc.config.stash[SELECTION]
    check, over = marker.kwargs["check"], marker.kwargs.get("over", "cases")
    cells = generate_cells(
        check,
        over,
        marker.kwargs.get("backends", True),
        selection,
        marker.kwargs.get("entries", "ops"),
        marker.kwargs.get("dtypes"),
    )
    params = [pytest.param(cell, marks=marks, id=cell.id) for cell, marks in cells]
    metafunc.parametrize("cell", params)


# ------------------------------------------------------------------ fixtures
class BackendCache:
    """Loads each backend once per process; remembers why one could not load, and each one's facts."""

    def __init__(self, selection: Selection):
        self.by_label = {backend_class(name).name: name for name in selection.backends}
        self.loaded: dict[str, object] = {}
        self.failures: dict[str, str] = {}
        self._facts: dict[str, Facts] = {}

    def facts(self, label: str) -> Facts:
        """The machine's facts with the loaded backend's own on top (computed lazily, kept per process)."""
        if label not in self._facts:
            backend = self.get(label)
            self._facts[label] = machine_facts().with_({**backend.facts(), **accumulation_facts(backend)})
        return self._facts[label]

    def get(self, label: str):
        if label not in self.loaded and label not in self.failures:
            try:
                self.loaded[label] = load_backend(self.by_label.get(label, label))
            except BackendUnavailable as error:
                self.failures[label] = str(error)
        if label in self.failures:
            pytest.skip(f"{label} unavailable: {self.failures[label]}")
        return self.loaded[label]


@pytest.fixture(scope="session")
def parity_backends(pytestconfig) -> BackendCache:
    """The per-process backend cache."""
    return BackendCache(pytestconfig.stash[SELECTION])


@pytest.fixture
def backend(cell, parity_backends, request):
    """The loaded backend for ``cell`` (None for reference checks); skips with the reason when unusable.
    Resolves the cell's declarations against this machine's facts: a conditional Unsupported skips unless
    its condition is known false; a Divergence is kept for :func:`pytest_runtest_call` to judge."""
    if cell.backend == REFERENCE:
        return None
    loaded = parity_backends.get(cell.backend)
    problem = loaded.device_problem(cell.device)
    if problem:
        pytest.skip(problem)
    scope = cell.scope()
    unsupported = loaded.unsupported_for(**scope)
    if unsupported is not None and unsupported.when:
        holds = unsupported.condition(parity_backends.facts(cell.backend))
        if holds is not False:
            known = "" if holds else " (condition not known here)"
            pytest.skip(f"{cell.backend} does not support {cell.op} where {unsupported.describe_when()}{known}: "
                        f"{unsupported.reason}")  # fmt: skip
    divergence = loaded.divergence_for(**scope)
    if divergence is not None:
        facts = parity_backends.facts(cell.backend)
        request.node.stash[DECLARED] = Declared(divergence, divergence.condition(facts), loaded)
    return loaded


@pytest.fixture
def selected_backend(request, parity_backends):
    """Each backend of the run's selection in turn, loaded, for host-side tests on its ``host_device`` (skips
    with the reason when it cannot load or has none, e.g. numba_cuda, whose simulator needs its own process)."""
    cls = backend_class(request.param)
    if cls.host_device is None:
        pytest.skip(
            f"{cls.name} has no device that runs in this process on the host (devices: {', '.join(cls.devices)})"
        )
    return parity_backends.get(cls.name)


@pytest.fixture
def selected_backend_class(request):
    """Each backend class of the run's selection in turn, not loaded (for checks of its class-level data)."""
    return backend_class(request.param)


@pytest.fixture
def record(request):
    """``record(measurement)``: keep the worst measurement of this test for the matrix and JSON."""

    def keep(measurement: Measurement) -> Measurement:
        previous = request.node.stash.get(MEASUREMENT, None)
        request.node.stash[MEASUREMENT] = measurement if previous is None else previous.worst(measurement)
        return measurement

    return keep


# ------------------------------------------------------------------ declared divergences
@dataclass
class Declared:
    """A divergence declared for the running cell, whether its condition holds here, and what was observed."""

    divergence: Divergence
    holds: bool | None
    backend: object
    observed: str | None = None  # "divergent" or "reference", once the check has run

    def as_dict(self) -> dict:
        return {**self.divergence.as_dict(), "holds": self.holds, "observed": self.observed}

    def describe(self) -> str:
        """'' for an unconditional divergence, else ' (where C: holds here)' and the like."""
        if not self.divergence.when:
            return ""
        state = {True: "holds here", False: "false here", None: "not known here"}[self.holds]
        return f" (where {self.divergence.describe_when()}: {state})"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Judge a cell with a declared divergence by what it showed.

    Where the divergence's condition holds, the divergent behaviour must occur (an expected failure; the
    reference's behaviour fails the test: the declaration is stale).  Where the condition is false or
    unknown, either behaviour passes and is recorded.  At a special value the divergent behaviour is the
    one the declaration states: any other mismatch is a failure everywhere.  A generated-input (property) cell
    draws what its hypothesis profile and constant pool draw, so a divergence declared there may show and is
    not required to: the special values, cases and branch points are where a declaration is held to occur."""
    declared = item.stash.get(DECLARED, None)
    if declared is None:
        return (yield)
    cell = item.callspec.params["cell"]
    where = declared.describe()
    try:
        result = yield
    except Exception as mismatch:
        if not is_mismatch(mismatch):  # a crash is never the declared divergence
            raise
        try:
            stated = check_declared_behaviour(cell, declared.backend, declared.divergence)
        except Mismatch as other:
            raise Mismatch(f"{mismatch}\nand not the declared divergence either{where}:\n{other}") from None
        declared.observed = "divergent"
        if stated is not None:
            item.stash[MEASUREMENT] = stated
        pytest.xfail(f"known divergence{where}: {declared.divergence.reason}")
    declared.observed = "reference"
    if declared.holds and cell.check != "property":
        pytest.fail(
            f"declared divergence did not occur: {cell.id} behaved like the reference{where}; fixed upstream? "
            f"Narrow the declaration's scope or condition. Declared: {declared.divergence.reason}",
            pytrace=False,
        )
    return result


# ------------------------------------------------------------------ records (parity/records.py)
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    entry = record_of(item, report, call)
    if entry is not None:
        report.user_properties.append((RECORD_KEY, entry))
    return report
