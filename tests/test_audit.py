"""The audit in the suite: every catalog entry's generated configurations, on the reference and on torch.

Bounded and derandomized: the ``ci`` hypothesis profile, unless ``--hypothesis-profile`` names another (``thorough``
for the long run). Derandomized means the same configurations in every run and every xdist worker:
parity/profiles.py pins the constants Hypothesis mixes into its draws (tests/meta/test_profiles.py). Every
disagreement must be explained (a declared divergence or a pinned oracle bug); an unexplained one fails with the
line that reruns it. Each entry's result is kept beside ``--parity-json`` for the report's audit section.
"""

from pathlib import Path

import pytest

pytest.importorskip("hypothesis")

from parity.audit import audit_entry, audit_settings, plans, run_id, write_entry  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.reference]


@pytest.fixture(scope="module")
def oracle(parity_backends):
    """torch, loaded once per process (skips with the reason where it is not installed)."""
    return parity_backends.get("torch")


def _profile(config) -> str | None:
    """The profile named on the command line; None (the ci profile) otherwise."""
    return config.getoption("hypothesis_profile", None)


@pytest.mark.parametrize("entry", sorted(plans()))
def test_reference_agrees_with_the_oracle(entry, oracle, request):
    report = audit_entry(entry, oracle, settings=audit_settings(_profile(request.config)))
    results = request.config.getoption("--parity-json")
    if results:
        write_entry(Path(results).parent / "audit", report, run_id(request.config))
    assert report.configurations > 0
    assert not report.unexplained, "\n".join(d.line() for d in report.unexplained)
