"""parity for other people's code, end to end: a backend built only on parity.api, installed outside the
repository with an entry point, checked by an installed (not editable) copy of parity from another
directory.  Its cells appear under its name, a planted bug in it is caught with a reproduce line that a
fresh process can run, and a typo in its declarations is reported."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.meta.helpers import ROOT

pytestmark = pytest.mark.selftest
EXAMPLE = ROOT / "docs" / "examples" / "tiny_backend"


def _pip_install(source, site):
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(site),
         str(source)],
        check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A directory holding parity (built from this checkout) and the example backend with a planted bug and a
    typo; the environment that uses them; and a working directory outside the repository."""
    pytest.importorskip("setuptools")
    root = tmp_path_factory.mktemp("third-party")
    site, package, work = root / "site", root / "tiny", root / "work"
    shutil.copytree(EXAMPLE, package)
    source = package / "tiny_backend.py"
    text = source.read_text()
    planted = text.replace("return (g * s * (1 - s),)", "return (2 * g * s * (1 - s),)")  # sigmoid' off by two
    planted = planted.replace('variant="signed-zero"', 'variant="signed_zero"')  # a typo in a declaration
    assert planted.count("2 * g * s") == 1 and "signed_zero" in planted
    source.write_text(planted)
    _pip_install(ROOT, site)
    _pip_install(package, site)
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    return site, work, env


def _run(installed, *args):
    site, work, env = installed
    return subprocess.run([sys.executable, *args], cwd=work, env=env, capture_output=True, text=True, timeout=900)


def test_the_installed_copy_and_the_entry_point_are_what_runs(installed):
    site, _, _ = installed
    out = _run(installed, "-c", "import parity, impls; print(parity.__file__); print(impls.known_backends()['tiny'])")
    path, target = out.stdout.split()
    assert path.startswith(str(site)) and target == "tiny_backend:TinyBackend", out.stderr
    listed = json.loads(_run(installed, "-m", "parity.cli", "list", "--json").stdout)
    assert "tiny" in listed["backends"]
    by_name = {e["name"]: e["backends"]["tiny"] for e in listed["ops"]}
    assert by_name["exp"] == "supported" and "tiny implements" in by_name["conv2d"]


def test_parity_run_checks_it_by_its_name_and_catches_the_planted_bug_and_the_typo(installed):
    _, work, _ = installed
    proc = _run(installed, "-m", "parity.cli", "run", "--quick", "--bench", "none", "--jobs", "1", "--backend",
                "tiny", "--out", "report", "--", "-m", "not reference")  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output[-3000:]
    records = json.loads((work / "report" / "report.json").read_text())["records"]
    cells = [r for r in records if r.get("backend") == "tiny"]
    assert {r["op"] for r in cells if r["outcome"] == "passed"} >= {"exp", "tanh", "mul", "sum"}
    failed = [r for r in cells if r["outcome"] == "failed"]
    # the planted bug (by the random-cotangent VJP check and at the branch points), and the divergence the
    # misspelt declaration no longer covers
    assert {(r["op"], r["check"]) for r in failed} == {("sigmoid", "vjp"), ("sigmoid", "branches"), ("sum", "special")}
    assert all("--backend tiny " in r["reproduce"] for r in failed)
    failed = [r for r in failed if r["op"] == "sigmoid" and r["check"] == "vjp"]
    assert "test_declarations_name_real_cells[tiny]" in output and "no variant 'signed_zero'" in output
    rerun = _run(installed, "-m", "parity.cli", *failed[0]["reproduce"].split()[1:])
    assert rerun.returncode == 1 and "gradient with respect to x" in rerun.stdout


def test_plain_pytest_runs_the_installed_suite_against_it(installed):
    proc = _run(installed, "-m", "pytest", "-p", "parity.pytest_plugin", "-p", "no:cacheprovider", "-q", "--pyargs",
                "parity.suite", "--backend", "tiny", "-m", "not reference", "-k", "exp or sigmoid")  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "sigmoid" in output and "tiny/cpu" in output, output[-3000:]
    assert "passed" in output.splitlines()[-1]


def test_the_installed_suite_is_the_checkouts_tests_suite_file_for_file(installed):
    """What installs with parity mirrors tests/suite (pyproject maps the package there); nothing replaces it."""
    site, _, _ = installed
    source = {p.name: p.read_bytes() for p in (ROOT / "tests" / "suite").glob("*.py")}
    shipped = {p.name: p.read_bytes() for p in (site / "parity" / "suite").glob("*.py")}
    assert shipped == source


def test_the_suite_imports_nothing_from_the_rest_of_tests():
    """An installed copy has no tests/ package beside it: a suite module that imported from it would not load."""
    import ast

    for path in (ROOT / "tests" / "suite").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n == "tests" or n.startswith("tests.") for n in names), (path.name, names)
