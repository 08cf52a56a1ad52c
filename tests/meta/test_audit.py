"""The audit itself: every entry has a plan that draws every parameter, declarations are sound, a reference bug
no catalog case can see is found and printed with a line that reruns it, and the report section adds up."""

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("hypothesis")

from hypothesis import given, settings  # noqa: E402

from impls.declare import Divergence, Unsupported  # noqa: E402
from parity.audit import (  # noqa: E402
    EntryAudit,
    audit_entry,
    audit_settings,
    not_audited,
    plans,
    render_markdown,
    report_section,
    summary,
    write_entry,
)
from reference import ENTRY_GROUPS, get_entry, layers  # noqa: E402
from reference.catalog_audit import keyword_parameters  # noqa: E402
from reference.layers import pair  # noqa: E402


def test_every_entry_has_an_audit_plan_or_a_stated_reason():
    entries = {name for group in ENTRY_GROUPS.values() for name in group}
    planned, exempt = set(plans()), not_audited()
    assert not planned & set(exempt), "an entry cannot be both audited and exempt"
    assert entries == planned | set(exempt), f"no audit plan for {sorted(entries - planned - set(exempt))}"
    assert all(len(reason) > 20 for reason in exempt.values())


def _signature_parameters(spec) -> set[str]:
    """Keyword parameters, and the optional array inputs (which a configuration gives or leaves out)."""
    if spec.kind == "optimizer":
        return {p for p in keyword_parameters(spec.step) if p != "lr"}
    return set(keyword_parameters(spec.forward)) | {n.rstrip("?") for n in spec.arg_names if n.endswith("?")}


def _drawn(spec, config) -> set[str]:
    if spec.kind == "optimizer":
        return set(config.hyper)
    names = [n.rstrip("?") for n in spec.arg_names]
    return set(config.params) | {n for n, x in zip(names, config.inputs) if x is not None}


@pytest.mark.parametrize("name", sorted(plans()))
def test_plan_draws_every_parameter_of_the_signature(name):
    """Every keyword parameter the reference signature admits is set, and every optional input given, by some
    generated configuration."""
    spec, seen = get_entry(name), set()

    @settings(max_examples=60, derandomize=True, database=None, deadline=None)
    @given(plans()[name].configs())
    def collect(config):
        seen.update(_drawn(spec, config))

    collect()
    assert _signature_parameters(spec) <= seen, f"{name}: never draws {_signature_parameters(spec) - seen}"


def _catalog_declarations():
    return [(name, d) for name, plan in plans().items() for d in plan.declarations]


@pytest.mark.parametrize(("name", "decl"), _catalog_declarations(), ids=lambda v: v if isinstance(v, str) else "")
def test_catalog_declarations_are_sound(name, decl):
    assert isinstance(decl, (Divergence, Unsupported)) and decl.entry == name
    assert callable(decl.inputs), "a declaration for generated inputs says which with a predicate"
    assert len(decl.reason) > 20


@pytest.mark.parametrize(
    ("name", "bug"),
    [(n, b) for n, p in plans().items() for b in p.oracle_bugs],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_every_oracle_bug_names_the_test_that_pins_it(name, bug):
    path, _, function = bug.test.partition("::")
    source = (Path(__file__).resolve().parents[2] / path).read_text()
    assert f"def {function}(" in source, f"{name}: {bug.test} does not exist"
    assert callable(bug.inputs) and len(bug.reason) > 20


def test_oracle_declarations_with_input_predicates_are_scoped_to_a_special_value(selected_backend_class):
    """A predicate widens a declaration for generated inputs only; in the matrix it stays on its special value
    (or, for an Unsupported, on the property check, whose generated inputs it refuses)."""
    for decl in selected_backend_class.all_declarations():
        if decl.inputs is not None and not (isinstance(decl, Unsupported) and decl.check == "property"):
            assert decl.variant is not None and decl.check in ("special", None), decl.describe_scope()


# ---------------------------------------------------------------- a planted reference bug
class CeilModeIgnoredWithDilation:
    """max_pool2d that drops ceil_mode's extra window when the kernel is dilated: no catalog case combines the two."""

    @staticmethod
    def _params(params):
        if params.get("ceil_mode") and pair(params.get("dilation", 1), "dilation") != (1, 1):
            return {**params, "ceil_mode": False}
        return params

    def forward(self, x, **params):
        return layers.max_pool2d(x, **self._params(params))

    def vjp(self, g, x, **params):
        return layers.max_pool2d.vjp(g, x, **self._params(params))


@pytest.fixture(scope="module")
def torch_oracle(parity_backends):
    return parity_backends.get("torch")


def test_planted_bug_passes_every_catalog_case():
    spec, planted = get_entry("max_pool2d"), CeilModeIgnoredWithDilation()
    for case in spec.cases:
        x = np.random.default_rng(0).standard_normal(case.shapes[0])
        np.testing.assert_array_equal(planted.forward(x, **case.params), spec.forward(x, **case.params))


@pytest.mark.torch
def test_audit_finds_a_planted_bug_and_prints_a_line_that_reruns_it(torch_oracle):
    planted = CeilModeIgnoredWithDilation()
    # 200 examples: at the ci profile's 40, whether a dilated ceil_mode geometry is drawn varied between runs (#13)
    report = audit_entry("max_pool2d", torch_oracle, settings=audit_settings("ci", max_examples=200), reference=planted)
    assert report.unexplained, "the audit missed the planted bug"
    for found in report.unexplained:  # each distinct failure hypothesis reports, shrunk
        assert found.classification == "reference bug"
        assert "'ceil_mode': True" in found.config and "'dilation': 1}" not in found.config
        assert found.reproduce.startswith("parity audit max_pool2d --oracle torch --reproduce ")
        assert found.reproduce in found.line()
    found = next(d for d in report.unexplained if "shape" in d.detail)
    blob = found.reproduce.rsplit(" ", 1)[1]
    again = audit_entry("max_pool2d", torch_oracle, reproduce=blob, reference=planted)
    assert [d.config for d in again.unexplained] == [found.config]
    assert audit_entry("max_pool2d", torch_oracle, settings=audit_settings("ci")).unexplained == []


# ---------------------------------------------------------------- classification and the report section
@pytest.mark.torch
def test_a_declared_divergence_is_counted_not_failed(torch_oracle):
    """gelu(-inf) is NaN in torch (its own declaration, widened to generated inputs by a predicate)."""
    from hypothesis import strategies as st

    from reference import catalog_audit
    from reference.audit_kit import AuditPlan, Config

    only_minus_inf = AuditPlan(lambda: st.just(Config((np.array([-np.inf, 1.0]),), {}, 1)))
    original = catalog_audit.PLANS["gelu"]
    catalog_audit.PLANS["gelu"] = only_minus_inf
    try:
        report = audit_entry("gelu", torch_oracle, settings=audit_settings("ci", max_examples=1))
    finally:
        catalog_audit.PLANS["gelu"] = original
    assert report.unexplained == []
    assert report.by_class()["declared divergence"] >= 1
    assert any("gelu(-inf)" in reason for _, reason in report.explained)


def test_report_section_reads_the_latest_run(tmp_path):
    old, new = EntryAudit("exp", "torch", configurations=3), EntryAudit("exp", "torch", configurations=40)
    write_entry(tmp_path, EntryAudit("relu", "torch", configurations=7), "run-1")
    write_entry(tmp_path, old, "run-1")
    write_entry(tmp_path, new, "run-2")
    data, lines = report_section(tmp_path)
    assert data["configurations"] == 40 and list(data["entries"]) == ["exp"]
    assert any("| exp | 40 |" in line for line in lines)
    assert json.loads((tmp_path / "exp.json").read_text())["run"] == "run-2"
    assert render_markdown(summary([])) == []
    assert report_section(tmp_path / "absent") == (None, [])
