"""The audit in the suite: every catalog entry's generated configurations, on the reference and on torch.

Bounded and derandomized: the ``ci`` hypothesis profile, unless ``--hypothesis-profile`` names another
(``thorough`` for the long run).  Every disagreement must be explained (a declared divergence or a pinned
oracle bug); an unexplained one fails with the line that reruns it.  Each entry's result is kept beside
``--parity-json`` for the report's audit section.
"""

import os
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


def _audit_wanted(config) -> bool:
    """Run the audit in the default suite only when asked (PARITY_AUDIT=1 or a --hypothesis-profile): its draws
    were seen to vary between runs under the derandomized ci profile (#13, open), so as a gate it would be flaky."""
    return os.environ.get("PARITY_AUDIT") == "1" or _profile(config) is not None


@pytest.mark.parametrize("entry", sorted(plans()))
def test_reference_agrees_with_the_oracle(entry, oracle, request):
    if not _audit_wanted(request.config):
        pytest.skip("the audit runs with PARITY_AUDIT=1 or `parity audit`: its draws vary between runs (#13, open)")
    report = audit_entry(entry, oracle, settings=audit_settings(_profile(request.config)))
    results = request.config.getoption("--parity-json")
    if results:
        write_entry(Path(results).parent / "audit", report, run_id(request.config))
    assert report.configurations > 0
    assert not report.unexplained, "\n".join(d.line() for d in report.unexplained)
