"""The ``parity`` command: ``list`` the catalog's coverage, ``run`` the matrix, ``check`` one cell."""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import subprocess
import sys
from pathlib import Path

from impls import BACKENDS, BackendUnavailable, backend_class, load_backend
from parity.checks import CHECK_KINDS, REFERENCE, Cell, run_check
from parity.compare import Mismatch
from parity.report import write_report
from parity.speed import load_benchmarks
from reference import CATALOG, ENTRY_GROUPS, loops

ROOT = Path(__file__).resolve().parent.parent


def coverage() -> list[dict]:
    """Every catalog entry with, for every known backend, "supported" or the reason it is not."""
    classes = {name: backend_class(name) for name in BACKENDS}
    return [
        {
            "name": spec.name,
            "kind": spec.kind,
            "category": spec.category,
            "dtypes": list(spec.dtypes),
            "has_vjp": callable(getattr(getattr(spec, "forward", None), "vjp", None)),
            "backends": {name: cls.unsupported_reason(spec.name) or "supported" for name, cls in classes.items()},
        }
        for group in ENTRY_GROUPS.values()
        for spec in group.values()
    ]


def cmd_list(args) -> int:
    entries = coverage()
    if args.json:
        print(json.dumps({"ops": entries, "backends": list(BACKENDS)}, indent=1))
        return 0
    header = ["entry", "kind", "category", *BACKENDS]
    rows = [
        [e["name"], e["kind"], e["category"], *("yes" if e["backends"][n] == "supported" else "no" for n in BACKENDS)]
        for e in entries
    ]
    print(format_columns(header, rows))
    print(f"\n{len(entries)} entries; 'no' cells: see parity list --json for the reasons")
    return 0


def pytest_command(args, results: Path) -> list[str]:
    """The pytest invocation ``parity run`` delegates to."""
    markers = "not selftest and not slow" if args.quick else "not selftest"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "tests"),
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
        cmd += ["--parity-quick", "--hypothesis-profile", "dev"]
    if args.jobs != 1 and importlib.util.find_spec("xdist"):
        cmd += ["-n", "auto" if args.jobs == 0 else str(args.jobs)]
    return cmd + list(args.pytest_args)


def bench_command(args, out: Path) -> list[str]:
    """The pytest-benchmark invocation for the ladder (serial: timings on a busy machine are noise)."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "tests" / "bench" / "test_bench_ladder.py"),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-q",
        "--no-parity-matrix",
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
    return cmd


def run_benchmarks(args, out: Path) -> list[dict]:
    """Run the ladder (unless ``--bench none``) and return its flat records."""
    if args.bench == "none":
        return []
    path = out / "benchmarks.json"
    path.unlink(missing_ok=True)
    cmd = bench_command(args, path)
    print("running:", shlex.join(cmd), flush=True)
    code = subprocess.call(cmd, cwd=ROOT)
    if code not in (0, 5):  # 5: nothing collected (e.g. a selection with no timed device)
        print(f"the benchmark run exited with {code}; the report keeps what it wrote", file=sys.stderr)
    return load_benchmarks(path)


def cmd_run(args) -> int:
    if not (ROOT / "tests").is_dir():
        print("parity run needs the source checkout's tests/ directory (pip install -e .)", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.json"
    results.unlink(missing_ok=True)
    cmd = pytest_command(args, results)
    print("running:", shlex.join(cmd), flush=True)
    code = subprocess.call(cmd, cwd=ROOT)
    if not results.exists():
        print(f"pytest exited with {code} before writing any result", file=sys.stderr)
        return code or 2
    records = json.loads(results.read_text())["records"]
    benchmarks = run_benchmarks(args, out)
    md, js, page = write_report(
        out,
        records,
        command="parity " + shlex.join(sys.argv[1:] if args.argv is None else args.argv),
        exit_code=code,
        benchmarks=benchmarks,
    )
    print(f"wrote {page}, {md}, {js} and {out / 'plots'} ({len(records)} checks, {len(benchmarks)} benchmarks)")
    return code


def cmd_check(args) -> int:
    cell = Cell(args.check, args.op, args.backend, args.device, args.dtype, args.case, args.special)
    try:
        backend = None if args.backend == REFERENCE else load_backend(args.backend)
        if backend and backend.device_problem(args.device):
            raise BackendUnavailable(backend.device_problem(args.device))
        measurement = run_check(cell, backend)
    except Mismatch as error:
        print(error)
        return 1
    except BackendUnavailable as error:
        print(f"cannot run {cell.id}: {error}", file=sys.stderr)
        return 2
    print(f"{cell.id} [{cell.check}] passed: {json.dumps(measurement.as_dict())}")
    return 0


def _train_once(args, name: str, device: str, grad: str):
    reason = backend_class(name).unsupported_reason(args.loop)
    if reason:
        raise BackendUnavailable(f"{name} cannot run {args.loop}: {reason}")
    backend = load_backend(name)
    problem = backend.device_problem(device)
    if problem:
        raise BackendUnavailable(problem)
    kwargs = {"device": device, "dtype": args.dtype, "grad": grad}
    if args.steps:
        kwargs["steps"] = args.steps
    if args.optimizer and args.loop in ("mlp", "cnn"):
        kwargs["optimizer"] = args.optimizer
    return loops.LOOPS[args.loop](backend, **kwargs)


def _default_grad(name: str) -> str:
    return "auto" if backend_class(name).autograd else "manual"


def cmd_train(args) -> int:
    if args.compare:
        return _train_compare(args)
    grad = args.grad or _default_grad(args.backend)
    try:
        result = _train_once(args, args.backend, args.device, grad)
    except (BackendUnavailable, NotImplementedError) as error:
        print(f"cannot train {args.loop} on {args.backend}/{args.device}: {error}", file=sys.stderr)
        return 2
    if args.json:
        text = json.dumps(result.summary(), indent=1)
        if args.output:
            Path(args.output).write_text(text)
        print(text)
    else:
        print(
            f"{args.loop} {result.backend}/{result.device} {result.dtype} grad={grad} steps={result.steps}: "
            f"{result.seconds:.3f} s, final loss {result.final_loss:.10g}"
        )
    return 0


def _train_compare(args) -> int:
    """Every available backend, device and gradient mode on the same loop; ratios against numpy."""
    rows = []
    for name in BACKENDS:
        cls = backend_class(name)
        for device in cls.devices:
            for grad in ("manual", "auto") if cls.autograd else ("manual",):
                try:
                    rows.append(_train_once(args, name, device, grad))
                except BackendUnavailable as error:
                    print(f"# {name}/{device}: skipped ({error})")
                    break
            else:
                continue
            if cls.unsupported_reason(args.loop):
                break  # the loop itself is unsupported: one line, not one per device
    reference = next((r for r in rows if r.backend == "numpy"), rows[0])
    print(compare_table(rows, reference))
    return 0


def compare_table(rows, reference) -> str:
    """``parity train --compare``'s table: one line per run, timed and compared against ``reference``."""
    header = ["backend", "device", "grad", "seconds", "vs numpy", "final loss", "|loss - numpy|"]
    lines = [
        [
            r.backend,
            r.device,
            r.grad,
            f"{r.seconds:.3f}",
            f"{r.seconds / reference.seconds:.2f}x",
            f"{r.final_loss:.15g}",
            f"{abs(r.final_loss - reference.final_loss):.3g}",
        ]
        for r in rows
    ]
    return format_columns(header, lines, right=range(3, len(header)))


def format_columns(header: list[str], rows: list[list[str]], right=()) -> str:
    """A plain-text table whose columns are as wide as their widest cell, two spaces apart."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    right = set(right)
    return "\n".join(
        "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(line, widths))
        ).rstrip()
        for line in [header, *rows]
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parity", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="catalog entries and which backends support them")
    p.add_argument("--json", action="store_true", help="machine-readable: {ops: [{name, kind, backends}]}")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("run", help="run the matrix through pytest and write report.md / report.json")
    p.add_argument("--backend", action="append", default=[], help="backend (repeatable); default: all installed")
    p.add_argument("--device", action="append", default=[], help="device (repeatable); default: all usable")
    p.add_argument("--quick", action="store_true", help="first case per entry, fewer hypothesis examples, no slow")
    p.add_argument("--out", default="parity-report", help="output directory (default: parity-report)")
    p.add_argument(
        "--bench",
        choices=["quick", "full", "none"],
        default="quick",
        help="benchmark ladder after the checks (parity.ladder): quick (default, ~5 min), full, or none",
    )
    p.add_argument("--bench-filter", default=None, metavar="EXPR", help="pytest -k expression for the benchmarks")
    p.add_argument("--jobs", "-n", type=int, default=0, help="pytest-xdist workers; 0 = one per core, 1 = serial")
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after --")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("train", help="run one training loop and print backend, device, seconds, final loss")
    p.add_argument("loop", choices=list(loops.LOOPS))
    p.add_argument("--backend", default="numpy")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    p.add_argument("--steps", type=int, default=None, help="default: the loop's own (poly: 200,000)")
    p.add_argument(
        "--grad",
        choices=list(loops.GRAD_MODES),
        default=None,
        help="default: auto where the backend has autograd, else manual",
    )
    p.add_argument("--optimizer", choices=list(loops.OPTIMIZER_DEFAULTS), default=None, help="mlp and cnn")
    p.add_argument("--json", action="store_true", help="one JSON object instead of one line")
    p.add_argument("--output", default=None, help="with --json: also write the object to this file")
    p.add_argument("--compare", action="store_true", help="every backend, device and gradient mode, as a table")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("check", help="rerun one cell of the matrix and print its measurement or mismatch")
    p.add_argument("op", choices=list(CATALOG))
    p.add_argument("--check", choices=[c for c in CHECK_KINDS if c != "property"], default="forward")
    p.add_argument("--case", type=int, default=None)
    p.add_argument("--special", default=None)
    p.add_argument("--backend", default="numpy")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float64")
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``parity`` console script."""
    args = build_parser().parse_args(argv)
    args.argv = argv
    if args.command == "check" and args.case is None and args.special is None:
        args.case = 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
