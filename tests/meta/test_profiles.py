"""The derandomized profile draws the same examples in every process, whatever that process imported before.

Hypothesis mixes "local constants" into its draws, collected from the local modules in ``sys.modules``; under
xdist which modules a worker holds depends on the tests it ran first, so a derandomized test drew differently
from run to run until parity pinned that pool (parity/profiles.py)."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("hypothesis")

from parity.profiles import constant_source_files, default_profile, pin_local_constants, pinned_constants  # noqa: E402
from tests.meta.helpers import ROOT  # noqa: E402

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
if sys.argv[2] == "import":
    import extra_constants  # noqa: F401 - a local module with literals no other module has
from parity.profiles import pin_local_constants
pin_local_constants()
from hypothesis import given, settings, strategies as st
seen = []
@settings(derandomize=True, database=None, max_examples=300)
@given(st.floats())
def probe(x):
    seen.append(x.hex())
probe()
print(json.dumps(seen))
"""

EXTRA = "A = 8675309.25\nB = -0.000123456789\nC = 31415926.5\n"


def _draws(tmp_path, imports: bool) -> list[str]:
    (tmp_path / "extra_constants.py").write_text(EXTRA)
    script = tmp_path / "probe_draws.py"
    script.write_text(PROBE)
    args = [sys.executable, str(script), str(tmp_path), "import" if imports else "none"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return json.loads(subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout)


def test_derandomized_draws_do_not_depend_on_what_the_process_imported(tmp_path):
    plain, with_extra = _draws(tmp_path, imports=False), _draws(tmp_path, imports=True)
    assert len(plain) == 300
    assert plain == with_extra
    assert not {float.fromhex(x) for x in with_extra} & {8675309.25, -0.000123456789, 31415926.5}


def test_the_pinned_pool_is_parity_s_own_literals():
    files = constant_source_files()
    assert {"reference", "impls", "parity"} <= {p.parent.name for p in files} | {p.parent.parent.name for p in files}
    assert pin_local_constants()
    from hypothesis.internal.conjecture import providers

    pool = providers._get_local_constants()
    assert pool is pinned_constants()
    assert {-745.0, 1e-300} & set(pool.floats), "the reference's exp underflow thresholds are in its source"


def test_hypothesis_profile_names_the_starting_profile(monkeypatch):
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "quick")
    monkeypatch.setenv("CI", "true")
    assert default_profile() == "quick"
    monkeypatch.delenv("HYPOTHESIS_PROFILE")
    assert default_profile() == "ci"
    monkeypatch.setenv("CI", "")
    assert default_profile() == "dev"
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "fast")
    with pytest.raises(ValueError, match="HYPOTHESIS_PROFILE='fast' is not one of parity's profiles"):
        default_profile()
