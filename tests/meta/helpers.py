"""Run pytest in a subprocess on the project's own suite, returning output and JSON records."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_pytest(tmp_path: Path, *args: str) -> tuple[int, str, list[dict]]:
    """``python -m pytest ARGS --parity-json`` in the repository root; (exit code, output, records)."""
    out = tmp_path / "records.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--parity-json", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    records = json.loads(out.read_text())["records"] if out.exists() else []
    return proc.returncode, proc.stdout + proc.stderr, records
