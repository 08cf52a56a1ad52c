"""``parity run``: the suite under pytest (the checkout's tests/, or the installed copy parity.suite), then the
benchmark ladder, folded into one report."""

from __future__ import annotations

import importlib.util
import json
import shlex
import subprocess
import sys
from pathlib import Path

from impls import known_backends
from parity.machine import run_facts
from parity.report import write_report
from parity.speed import load_benchmarks

ROOT = Path(__file__).resolve().parent.parent


def pytest_command(args, results: Path) -> list[str]:
    """The pytest invocation ``parity run`` delegates to."""
    markers = "not selftest and not slow" if args.quick else "not selftest"
    named = [a for a in args.pytest_args if not a.startswith("-") and (ROOT / a.split("::")[0]).exists()]
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *([] if named else suite_args()),  # test files or node ids given after -- replace the suite
        "-p",
        "no:cacheprovider",
        "-q",
        "--parity-json",
        str(results),
        "--no-parity-matrix",
        "-m",
        markers,
    ]
    for name in args.backend:
        cmd += ["--backend", name]
    for device in args.device:
        cmd += ["--device", device]
    if args.quick:
        cmd += ["--parity-quick", "--hypothesis-profile", "quick"]  # derandomized: the same verdict every run
    if args.jobs != 1 and importlib.util.find_spec("xdist"):
        cmd += ["-n", "auto" if args.jobs == 0 else str(args.jobs)]
    return cmd + list(args.pytest_args)


def in_checkout() -> bool:
    """Whether parity runs from its source checkout (tests/ beside the package) or from an installed copy."""
    return (ROOT / "tests" / "meta").is_dir() and (ROOT / "conftest.py").is_file()


def suite_args() -> list[str]:
    """What pytest collects: the checkout's tests/ (its conftest loads the plugin), or, anywhere else, the
    suite installed with parity (parity.suite), with the plugin loaded by name."""
    if in_checkout():
        return [str(ROOT / "tests")]
    return ["-p", "parity.pytest_plugin", "--pyargs", "parity.suite"]


def suite_dir() -> Path:
    """The suite's folder: the checkout's tests/suite, or the installed package parity.suite (its copy)."""
    if in_checkout():
        return ROOT / "tests" / "suite"
    import parity.suite

    return Path(parity.suite.__file__).parent


def bench_command(args, out: Path, only: str | None = None) -> list[str]:
    """The pytest-benchmark invocation for the ladder (serial: timings on a busy machine are noise); with
    ``only``, it times that backend of the selection and no other."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *([] if in_checkout() else ["-p", "parity.pytest_plugin"]),
        str(suite_dir() / "bench_ladder.py"),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-q",
        "--no-parity-matrix",
        # a backend whose every cell skips (not installed, no device) times nothing: not an error
        "-W",
        "ignore:Not saving anything:pytest_benchmark.logger.PytestBenchmarkWarning",
        "--benchmark-only",
        "--benchmark-json",
        str(out),
        "--ladder",
        args.bench,
    ]
    if args.bench == "quick":
        cmd += ["--benchmark-max-time", "0.02"]
    if args.bench_filter:
        cmd += ["-k", args.bench_filter]
    for name in args.backend:
        cmd += ["--backend", name]
    for device in args.device:
        cmd += ["--device", device]
    if only is not None:
        cmd += ["--bench-backend", only]
    return cmd


def bench_backends(args) -> list[str]:
    """The backends the ladder times, one process each: those asked for, else every known one (a process
    whose backend cannot load skips its cells, as the one-process run did)."""
    return list(dict.fromkeys(args.backend)) or list(known_backends())


def merge_benchmark_files(parts: list[Path], path: Path) -> None:
    """One pytest-benchmark JSON from the per-backend files: the first file's machine and commit info, every
    file's benchmarks in order."""
    merged: dict | None = None
    for part in parts:
        if not part.exists():
            continue
        data = json.loads(part.read_text())
        if merged is None:
            merged = data
        else:
            merged["benchmarks"].extend(data.get("benchmarks", []))
    if merged is not None:
        path.write_text(json.dumps(merged, indent=1))


def run_benchmarks(args, out: Path) -> tuple[list[dict], int]:
    """Run the ladder (unless ``--bench none``), each backend in a process of its own; its flat records, and
    0 or the exit code of the first part that failed.

    One process per backend, because what one framework leaves running (thread pools: torch's and numba's
    OpenMP, two OpenBLAS copies, numexpr's) can slow the next on 2 cores: in one process timing numpy, torch,
    numba, numexpr and autograd in turn, autograd's float32 linear (batch 16) read a 15.8 ms median against a
    0.07-0.1 ms minimum in every such run, and 0.11 ms (median and minimum) in its own process.  It is also
    what a user's program that imports one framework sees.  Peers are still measured in the same run, on the
    same machine, one after another."""
    if args.bench == "none":
        return [], 0
    path = out / "benchmarks.json"
    path.unlink(missing_ok=True)
    parts, failed = [], 0
    for index, name in enumerate(bench_backends(args)):
        part = out / f"benchmarks-{index}.json"
        part.unlink(missing_ok=True)
        cmd = bench_command(args, part, only=name)
        print("running:", shlex.join(cmd), flush=True)
        code = subprocess.call(cmd, cwd=ROOT if in_checkout() else None)
        parts.append(part)
        if code not in (0, 5):  # 5: nothing collected (e.g. a selection with no timed device)
            print(f"the benchmark run of {name} exited with {code}; the report keeps what it wrote", file=sys.stderr)
            failed = failed or code
    merge_benchmark_files(parts, path)
    for part in parts:
        part.unlink(missing_ok=True)
    return load_benchmarks(path), failed


def cmd_run(args) -> int:
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.json"
    results.unlink(missing_ok=True)
    cmd = pytest_command(args, results)
    print("running:", shlex.join(cmd), flush=True)
    code = subprocess.call(cmd, cwd=ROOT if in_checkout() else None)
    if not results.exists():
        print(f"pytest exited with {code} before writing any result", file=sys.stderr)
        return code or 2
    records = json.loads(results.read_text())["records"]
    benchmarks, bench_code = run_benchmarks(args, out)
    md, js, page = write_report(
        out,
        records,
        command="parity " + shlex.join(sys.argv[1:] if args.argv is None else args.argv),
        exit_code=code,
        benchmarks=benchmarks,
        facts=run_facts(args.backend or list(known_backends())),
    )
    print(f"wrote {page}, {md}, {js} and {out / 'plots'} ({len(records)} checks, {len(benchmarks)} benchmarks)")
    return code or bench_code  # a benchmark that errored fails the run as a failed check does
