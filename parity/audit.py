"""Differential fuzzing of the reference against an oracle backend: ``parity audit``.

For every catalog entry, hypothesis draws configurations from the entry's audit plan (the registries beside
the catalog: :mod:`reference.catalog_audit`, :mod:`reference.catalog_nn_audit`) and runs each on the
reference and on the oracle (torch by default, called without parity's shared validation, so that a form
the reference refuses and torch accepts shows up): values, and gradients with a random cotangent, in
float64, compared with the catalog's tolerance; optimizers over multi-step trajectories with a learning
rate that changes every step.  Every disagreement is classified:

``declared divergence``
    covered by a declaration with an ``inputs`` predicate (:mod:`impls.declare`): one of the oracle
    backend's own :class:`~impls.declare.Divergence` declarations whose conditions are not known false
    here, or one of the reference's deliberate differences kept with the entry's plan (a form the
    reference rejects must then say "not supported" in its error);
``oracle bug``
    covered by an :class:`~reference.audit_kit.OracleBug` of the plan, a wrong oracle behaviour pinned by a test;
``reference bug``
    anything else: the audit fails, and prints a line that reruns the (shrunk) configuration.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from impls.base import bind_params
from impls.declare import Divergence, Unsupported
from parity.compare import Context, Mismatch, assert_close, assert_exact
from reference import get_entry, optim
from reference._op import input_names

try:
    from builtins import BaseExceptionGroup
except ImportError:  # Python 3.10: hypothesis depends on the backport
    from exceptiongroup import BaseExceptionGroup

CLASSES = ("reference bug", "declared divergence", "oracle bug")
DTYPE, DEVICE = "float64", "cpu"
BLOB = re.compile(r"@reproduce_failure\('([^']+)', b'([^']+)'\)")


def plans() -> dict:
    """Every entry's audit plan (imports hypothesis)."""
    from reference import (
        catalog_attention_audit,
        catalog_audit,
        catalog_convolution_audit,
        catalog_indexing_audit,
        catalog_nn_audit,
        catalog_normalization_audit,
        catalog_pointwise_losses_audit,
        catalog_resampling_audit,
        catalog_similarity_audit,
    )

    return {
        **catalog_audit.PLANS,
        **catalog_nn_audit.PLANS,
        **catalog_indexing_audit.PLANS,
        **catalog_attention_audit.PLANS,
        **catalog_pointwise_losses_audit.PLANS,
        **catalog_normalization_audit.PLANS,
        **catalog_similarity_audit.PLANS,
        **catalog_convolution_audit.PLANS,
        **catalog_resampling_audit.PLANS,
    }


def not_audited() -> dict[str, str]:
    """Entries the audit leaves out, with the reason."""
    from reference import catalog_audit, catalog_indexing, catalog_integers

    return {**catalog_audit.NOT_AUDITED, **catalog_integers.NOT_AUDITED, **catalog_indexing.NOT_AUDITED}


# ---------------------------------------------------------------- results
@dataclass
class Disagreement:
    """One configuration on which the reference and the oracle differ, and what explains it."""

    entry: str
    check: str  # "forward", "vjp" or "trajectory" (a refusal by one side counts under the step that refused)
    detail: str
    config: str
    classification: str = "reference bug"
    reason: str = ""
    reproduce: str = ""

    def line(self) -> str:
        head = f"{self.entry} [{self.check}] {self.classification}"
        return f"{head}: {self.detail}\n  configuration: {self.config}" + (
            f"\n  reproduce: {self.reproduce}" if self.reproduce else ""
        )


class Unexplained(AssertionError):
    """A disagreement no declaration explains (hypothesis shrinks the configuration that raised it)."""

    def __init__(self, disagreement: Disagreement):
        super().__init__(disagreement.line())
        self.disagreement = disagreement


@dataclass
class EntryAudit:
    """What auditing one entry found: configurations run, both sides rejecting, explained and unexplained
    disagreements."""

    entry: str
    oracle: str
    configurations: int = 0
    both_rejected: int = 0
    explained: dict = field(default_factory=dict)  # (class, reason) -> {"count", "check", "example"}
    unexplained: list[Disagreement] = field(default_factory=list)
    seconds: float = 0.0

    def record(self, disagreement: Disagreement) -> None:
        key = (disagreement.classification, disagreement.reason)
        seen = self.explained.setdefault(key, {"count": 0, "check": disagreement.check, "example": disagreement.config})
        seen["count"] += 1

    def by_class(self) -> dict[str, int]:
        counts = dict.fromkeys(CLASSES, 0)
        counts["reference bug"] = len(self.unexplained)
        for (cls, _), seen in self.explained.items():
            counts[cls] += seen["count"]
        return counts

    def as_dict(self) -> dict:
        return {
            "entry": self.entry,
            "oracle": self.oracle,
            "configurations": self.configurations,
            "both_rejected": self.both_rejected,
            "seconds": round(self.seconds, 3),
            "disagreements": self.by_class(),
            "explained": [{"class": c, "reason": r, **seen} for (c, r), seen in self.explained.items()],
            "unexplained": [d.__dict__ for d in self.unexplained],
        }


# ---------------------------------------------------------------- running one configuration
@dataclass
class _Attempt:
    value: object = None
    error: BaseException | None = None


def _attempt(fn) -> _Attempt:
    """Run ``fn`` quietly (NaN, inf and -0.0 are values; the oracle's warnings are not failures), keeping the
    error it raises."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return _Attempt(fn())
        except Exception as error:  # noqa: BLE001 - judged by the caller: either side may refuse a configuration
            return _Attempt(error=error)


class _Auditor:
    """Runs configurations of one entry on the reference and the oracle, and classifies what differs."""

    def __init__(self, spec, plan, oracle, facts, report: EntryAudit, reference=None):
        self.spec, self.plan, self.oracle, self.facts, self.report = spec, plan, oracle, facts, report
        self.reference = reference or spec  # a stand-in with forward/vjp (the meta-tests plant bugs this way)
        self.oracle_declarations = tuple(d for d in oracle.all_declarations() if d.entry == spec.name)

    # ---------------------------------------------------------- classification
    def _covering(self, declarations, kinds, check, config):
        for decl in declarations:
            if not isinstance(decl, kinds) or decl.entry != self.spec.name or not _check_matches(decl.check, check):
                continue
            if not (_in_scope(decl.dtype, DTYPE) and _in_scope(decl.device, DEVICE)):
                continue
            if decl.condition(self.facts) is not False and decl.applies_to(config.inputs, config.params):
                return decl
        return None

    def classify(self, check, detail, config, kinds=(Divergence,), rejection=None) -> None:
        found = Disagreement(self.spec.name, check, detail, config.describe())
        with warnings.catch_warnings(), np.errstate(all="ignore"):  # predicates compute on inputs like these
            warnings.simplefilter("ignore")
            decl = self._covering(self.oracle_declarations, kinds, check, config) or self._covering(
                self.plan.declarations, kinds, check, config
            )
            bug = next((b for b in self.plan.oracle_bugs if b.covers(check, config)), None)
        if decl is not None and (rejection is None or "not supported" in str(rejection)):
            found.classification, found.reason = "declared divergence", decl.reason
            self.report.record(found)
            return
        if bug is not None:
            found.classification, found.reason = "oracle bug", f"{bug.reason} (pinned by {bug.test})"
            self.report.record(found)
            return
        if decl is not None:
            found.detail += " (declared unsupported, but the error does not say 'not supported')"
        raise Unexplained(found)

    # ---------------------------------------------------------- comparisons
    def compare(self, check, actual, expected, config, *, atol=0.0, tolerance=None, signed_zero=False, what="") -> None:
        tolerance = tolerance or self.spec.tolerance(DTYPE)
        context = Context(self.spec.name, self.oracle.name, DEVICE, DTYPE, check, what)
        try:
            if np.asarray(expected).dtype.kind in "iub":  # an index-valued result (argmax, topk's indices): exact
                expected, actual = np.asarray(expected), np.asarray(actual)
                if actual.shape == expected.shape:  # in the canonical form where ties leave several correct
                    actual = self.spec.tie_canonical(actual, config.inputs, config.params)
                    expected = self.spec.tie_canonical(expected, config.inputs, config.params)
                assert_exact(actual, expected, dtype=str(expected.dtype), context=context)
                return
            assert_close(
                _as_overflowed(np.asarray(actual)),
                _as_overflowed(np.asarray(expected, dtype=np.float64)),
                dtype=DTYPE,
                rtol=tolerance.rtol,
                atol=tolerance.atol + atol,
                context=context,
                signed_zero=signed_zero,
            )
        except Mismatch as mismatch:
            detail = str(mismatch).splitlines()[0].removeprefix(context.describe() + ": ")
            self.classify(check, f"{what}: {detail}" if what else detail, config)

    def rejection(self, check, ref: _Attempt, oracle: _Attempt, config) -> bool:
        """Handle a configuration one or both sides refuse; True when there is nothing left to compare."""
        if ref.error is not None and not isinstance(ref.error, (ValueError, TypeError)):
            detail = f"the reference raised {type(ref.error).__name__}: {ref.error} (not a ValueError/TypeError)"
            raise Unexplained(Disagreement(self.spec.name, check, detail, config.describe()))
        if ref.error is not None and oracle.error is not None:
            if check != "vjp":
                self.report.both_rejected += 1
            return True
        if ref.error is not None:
            detail = f"the reference rejects what the oracle accepts: {type(ref.error).__name__}: {ref.error}"
            self.classify(check, detail, config, kinds=(Unsupported,), rejection=ref.error)
            return True
        if oracle.error is not None:
            detail = f"the oracle rejects what the reference accepts: {type(oracle.error).__name__}: {oracle.error}"
            self.classify(check, detail, config, kinds=(Divergence, Unsupported))
            return True
        return False

    # ---------------------------------------------------------- ops, layers, losses
    def _native(self, arrays):
        return tuple(None if x is None else self.oracle.native(x) for x in arrays)

    def run_op(self, config) -> None:
        spec, oracle = self.spec, self.oracle
        ref = _attempt(lambda: self.reference.forward(*config.inputs, **config.params))
        params = bind_params(spec, config.inputs, config.params)  # plans draw only the signature's parameters
        got = _attempt(lambda: oracle.to_numpy(oracle._forward(spec, self._native(config.inputs), params)))
        # an entry with a gauge (reference.spec.OpSpec.gauge): each side's output in its canonical form, each
        # side's gradient that of <g, canonical(f)>, at g times its own output's multiplier
        gauged = spec.gauge is not None and ref.error is None and got.error is None
        if self.rejection("forward", ref, got, config):
            return
        with warnings.catch_warnings():  # empty slices: NumPy warns, the allowance is 0 there
            warnings.simplefilter("ignore")
            extra = _finite(spec.extra_atol(DTYPE, config.inputs, params))
        ref_gauge = spec.gauge_of(ref.value, config.inputs, params) if gauged else 1.0
        got_gauge = spec.gauge_of(got.value, config.inputs, params) if gauged else 1.0
        got_value, ref_value = (got.value * got_gauge, ref.value * ref_gauge) if gauged else (got.value, ref.value)
        self.compare("forward", got_value, ref_value, config, atol=extra, signed_zero=self.plan.signed_zero)
        if not any(spec.differentiable(config.inputs)):
            return
        g = np.random.default_rng(config.cotangent_seed).standard_normal(np.shape(ref.value))
        ref_g, got_g = (g * ref_gauge, g * got_gauge) if gauged else (g, g)
        ref_grads = _attempt(lambda: self.reference.vjp(ref_g, *config.inputs, **config.params))
        got_grads = _attempt(
            lambda: [
                oracle.to_numpy(x)
                for x in oracle._vjp(spec, self._native(config.inputs), params, oracle.native(np.asarray(got_g)))
            ]
        )
        if self.rejection("vjp", ref_grads, got_grads, config):
            return
        names = [
            n for n, d in zip(input_names(spec.arg_names, len(config.inputs)), spec.differentiable(config.inputs)) if d
        ]
        for name, actual, expected in zip(names, got_grads.value, ref_grads.value):
            tolerance = spec.tolerance(DTYPE, grad=True)
            self.compare("vjp", actual, expected, config, tolerance=tolerance, what=f"gradient with respect to {name}")

    # ---------------------------------------------------------- optimizers
    def run_optimizer(self, run) -> None:
        name, hyper = self.spec.name, dict(run.hyper)
        ref = _attempt(lambda: optim.trajectory(name, run.param0, run.grads, run.lrs, hyper))
        got = _attempt(
            lambda: self.oracle.run_optimizer(name, run.param0, list(run.grads), list(run.lrs), hyper, DTYPE, DEVICE)
        )
        if self.rejection("trajectory", ref, got, run):
            return
        for k, (actual, expected) in enumerate(zip(got.value, ref.value)):
            finite = np.abs(expected[np.isfinite(expected)])
            scale = float(finite.max(initial=0.0)) + max(run.lrs)
            atol = self.spec.extra_atol(DTYPE, k, scale)
            self.compare("trajectory", actual, expected, run, atol=atol, what=f"parameters after step {k + 1}")


def _as_overflowed(values: np.ndarray) -> np.ndarray:
    """Values within a factor 2 of the largest float64 as infinities: whether a sum of such terms overflows
    depends on the order it adds them in (numpy's pairwise sum and torch's blocked one differ), no bug of either."""
    if values.dtype != np.float64:
        return values
    near = np.isfinite(values) & (np.abs(values) >= 2.0**1023)
    return np.where(near, np.copysign(np.inf, values), values)


def _finite(atol):
    """An accumulation allowance that is not finite (inf or NaN magnitudes) bounds nothing: 0 there."""
    atol = np.asarray(atol, dtype=np.float64)
    return np.where(np.isfinite(atol), atol, 0.0)


def _in_scope(declared, actual) -> bool:
    return declared is None or actual in ((declared,) if isinstance(declared, str) else tuple(declared))


def _check_matches(declared, check) -> bool:
    """A declaration scoped to special values or properties covers generated values and gradients alike."""
    if declared is None:
        return True
    kinds = (declared,) if isinstance(declared, str) else tuple(declared)
    return any(k == check or k in ("special", "property") for k in kinds)


# ---------------------------------------------------------------- running an entry
def audit_settings(profile: str | None = None, **overrides):
    """The hypothesis settings of an audit: ``profile`` (default: the one ``HYPOTHESIS_PROFILE`` names, else
    ``ci``), the failing example's blob printed, no example database (an audit reruns from its seed or its blob,
    not from a local cache)."""
    from hypothesis import HealthCheck, settings

    from parity.profiles import named_profile, register_profiles

    register_profiles()

    base = settings.get_profile(profile or named_profile() or "ci")
    checks = [*base.suppress_health_check, HealthCheck.filter_too_much, HealthCheck.data_too_large]
    return settings(base, print_blob=True, database=None, suppress_health_check=checks, **overrides)


def reproduce_line(entry: str, oracle: str, blob: str | None) -> str:
    """The shell line that reruns a failing configuration."""
    return f"parity audit {entry} --oracle {oracle}" + (f" --reproduce {blob}" if blob else "")


def audit_entry(name: str, oracle, *, settings=None, reproduce: str | None = None, reference=None, facts=None):
    """Audit one entry against ``oracle`` (a loaded backend); returns its :class:`EntryAudit`.

    ``reproduce``: a blob from an earlier failure, to rerun exactly that configuration; ``reference``: a
    stand-in for the catalog's forward and VJP (the meta-tests plant bugs with it)."""
    import hypothesis
    from hypothesis import given

    from parity.machine import machine_facts

    spec, plan = get_entry(name), plans()[name]
    report = EntryAudit(name, oracle.name)
    facts = facts if facts is not None else machine_facts().with_(oracle.facts())
    auditor = _Auditor(spec, plan, oracle, facts, report, reference)
    run = auditor.run_optimizer if spec.kind == "optimizer" else auditor.run_op

    def body(config):
        report.configurations += 1
        run(config)

    test = (settings or audit_settings())(given(plan.configs())(body))
    if reproduce:
        test = hypothesis.reproduce_failure(hypothesis.__version__, reproduce.encode())(test)
    started = time.perf_counter()
    try:
        test()
    except Unexplained as error:
        report.unexplained.append(_with_reproduction(error, name, oracle.name))
    except BaseExceptionGroup as group:  # hypothesis found several distinct failures
        found, rest = group.split(Unexplained)
        report.unexplained += [_with_reproduction(e, name, oracle.name) for e in (found.exceptions if found else ())]
        if rest:
            raise rest from None
    report.seconds = time.perf_counter() - started
    return report


def _with_reproduction(error: Unexplained, entry: str, oracle: str) -> Disagreement:
    notes = "\n".join(getattr(error, "__notes__", ()))
    match = BLOB.search(notes)
    error.disagreement.reproduce = reproduce_line(entry, oracle, match.group(2) if match else None)
    return error.disagreement


def audit(entries: Iterable[str], oracle, *, settings=None, progress=None) -> list[EntryAudit]:
    """Audit ``entries`` in turn; ``progress(EntryAudit)`` after each."""
    from parity.machine import machine_facts

    facts = machine_facts().with_(oracle.facts())
    reports = []
    for name in entries:
        reports.append(audit_entry(name, oracle, settings=settings, facts=facts))
        if progress:
            progress(reports[-1])
    return reports


# ---------------------------------------------------------------- summaries and the report section
def summary(reports: Iterable[EntryAudit | dict]) -> dict:
    """JSON-ready: per entry, configurations run and disagreements by class; totals; every explanation used."""
    entries = [r.as_dict() if isinstance(r, EntryAudit) else r for r in reports]
    totals = dict.fromkeys(CLASSES, 0)
    for e in entries:
        for cls, n in e["disagreements"].items():
            totals[cls] += n
    return {
        "oracle": sorted({e["oracle"] for e in entries}),
        "configurations": sum(e["configurations"] for e in entries),
        "disagreements": totals,
        "entries": {e["entry"]: e for e in entries},
    }


def render_markdown(data: dict) -> list[str]:
    """The report's "Audit" section: a table per entry, then each explanation and each unexplained disagreement."""
    if not data or not data.get("entries"):
        return []
    lines = [
        f"## Audit: the reference against {', '.join(data['oracle'])} (`parity audit`)",
        "",
        f"{data['configurations']} generated configurations; disagreements by class: "
        + ", ".join(f"{cls} {n}" for cls, n in data["disagreements"].items()),
        "",
        "| entry | configurations | both reject | reference bugs | declared divergences | oracle bugs |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, e in sorted(data["entries"].items()):
        d = e["disagreements"]
        lines.append(f"| {name} | {e['configurations']} | {e['both_rejected']} | {d['reference bug']} | "
                     f"{d['declared divergence']} | {d['oracle bug']} |")  # fmt: skip
    explained = [(name, x) for name, e in sorted(data["entries"].items()) for x in e["explained"]]
    if explained:
        lines += ["", "Explained disagreements:", ""]
        lines += [f"- {name} [{x['check']}] {x['class']} ×{x['count']}: {x['reason']}" for name, x in explained]
    unexplained = [u for e in data["entries"].values() for u in e["unexplained"]]
    if unexplained:
        lines += ["", "Unexplained disagreements (reference bugs until shown otherwise):", ""]
        lines += [f"- {u['entry']} [{u['check']}]: {u['detail']} — `{u['reproduce']}`" for u in unexplained]
    return lines + [""]


def run_id(config) -> str:
    """One id per pytest run, shared by its xdist workers (stale files of earlier runs are told apart by it)."""
    worker = getattr(config, "workerinput", None)
    return worker["testrunuid"] if worker else f"pid{os.getpid()}"


def write_entry(directory: Path, report: EntryAudit, run: str) -> Path:
    """Keep one entry's result for the report (``parity run`` reads the directory beside results.json)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{report.entry}.json"
    path.write_text(json.dumps({"run": run, "written": time.time(), **report.as_dict()}, default=str))
    return path


def report_section(directory: Path) -> tuple[dict | None, list[str]]:
    """The audit results of the latest run found in ``directory``: (data for report.json, markdown lines)."""
    results = []
    for path in sorted(Path(directory).glob("*.json")) if Path(directory).is_dir() else ():
        with contextlib.suppress(ValueError, OSError):
            results.append(json.loads(path.read_text()))
    if not results:
        return None, []
    latest = max(results, key=lambda r: r.get("written", 0))["run"]
    data = summary([r for r in results if r.get("run") == latest])
    return data, render_markdown(data)
