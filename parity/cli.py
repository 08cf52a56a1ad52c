"""The ``parity`` command: ``list`` the catalog's coverage, ``run`` the matrix, ``check`` one cell, ``audit`` the
reference against an oracle."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from impls import BackendUnavailable, backend_class, known_backends, load_backend
from parity.across import diff_reports, load_report, machine_label, merge_reports
from parity.checks import CHECK_KINDS, CHECKS_BY_KIND, REFERENCE, Cell, run_check
from parity.compare import Mismatch
from parity.machine import machine_facts
from parity.report import render_merged
from parity.run import cmd_run
from parity.sweep import plan, run_level, summarise
from parity.sweep import render as render_sweep
from parity.text import format_columns
from parity.train import cmd_train
from reference import ENTRY_GROUPS, get_entry, loops


def backend_names(extra=()) -> list[str]:
    """The labels of every built-in and installed backend, plus ``extra`` (names or module:Class paths)."""
    names = list(known_backends())
    for name in extra:
        label = backend_class(name).name
        if label not in names:
            names.append(label)
    return names


def coverage(names=None) -> list[dict]:
    """Every catalog entry with, for every backend in ``names`` (default: built-in and installed), "supported"
    or the reason it is not."""
    classes = {name: backend_class(name) for name in (names or backend_names())}
    return [
        {
            "name": spec.name,
            "kind": spec.kind,
            "category": spec.category,
            "dtypes": list(spec.dtypes),
            "has_vjp": bool(getattr(spec, "has_gradient", False)),  # integer ops and indices (argmax): none
            "backends": {name: cls.unsupported_reason(spec.name) or "supported" for name, cls in classes.items()},
        }
        for group in ENTRY_GROUPS.values()
        for spec in group.values()
    ]


def cmd_list(args) -> int:
    names = backend_names(args.backend)
    entries = coverage(names)
    if args.json:
        print(json.dumps({"ops": entries, "backends": names}, indent=1))
        return 0
    header = ["entry", "kind", "category", *names]
    rows = [
        [e["name"], e["kind"], e["category"], *("yes" if e["backends"][n] == "supported" else "no" for n in names)]
        for e in entries
    ]
    print(format_columns(header, rows))
    print(f"\n{len(entries)} entries; 'no' cells: see parity list --json for the reasons")
    return 0


def cmd_merge(args) -> int:
    """Several reports side by side, one column group per machine; the checks that differ between them.
    An input without a report (a CI job that crashed before writing one) is left out, and said so."""
    if args.label and len(args.label) != len(args.reports):
        print(f"--label given {len(args.label)} times for {len(args.reports)} reports", file=sys.stderr)
        return 2
    reports, labels = [], []
    for i, path in enumerate(args.reports):
        try:
            report = load_report(path)
        except (OSError, ValueError) as error:
            print(f"left out {path}: {error}", file=sys.stderr)
            continue
        reports.append(report)
        labels.append(args.label[i] if args.label else machine_label(report, Path(path).name))
    if not reports:
        print("no report to merge", file=sys.stderr)
        return 2
    merged = merge_reports(reports, labels)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(merged, indent=1, default=str))
    md = render_merged(merged)
    (out / "report.md").write_text(md)
    print(f"wrote {out / 'report.md'} and {out / 'report.json'}: {len(merged['differences'])} checks differ")
    return 0


def cmd_diff(args) -> int:
    """Regressions from OLD to NEW; exit 1 when there is one (what a CI job gates on)."""
    regressions = diff_reports(load_report(args.old), load_report(args.new))
    if args.json:
        print(json.dumps([r.__dict__ for r in regressions], indent=1))
    else:
        for regression in regressions:
            print(regression.line())
        print(f"{len(regressions)} regression(s) from {args.old} to {args.new}")
    return 1 if regressions else 0


def cmd_sweep(args) -> int:
    """Run the value and special-value checks once per CPU dispatch level; report where results change."""
    out = Path(args.out)
    facts = machine_facts()
    installed = [n for n in ("numpy", "autograd", "torch", "numba") if _loads(n)]
    sweep_plan = plan(facts, installed, only=args.level)
    codes = {}
    for level in sweep_plan.runnable:
        codes[level.name] = run_level(
            level, out / "levels" / level.name, quick=args.quick, jobs=args.jobs, pytest_args=args.pytest_args
        )
    summary = summarise(sweep_plan.runnable, out)
    (out / "sweep.json").write_text(
        json.dumps(
            {
                "levels": {
                    lv.name: {"env": dict(lv.env), "backends": list(lv.backends), "exit_code": codes[lv.name]}
                    for lv in sweep_plan.runnable
                },  # fmt: skip
                "not_runnable": {lv.name: why for lv, why in sweep_plan.not_runnable},
                "changes": summary["changes"],
                "differences": (summary["merged"] or {}).get("differences", []),
                "facts": summary["facts"],
            },
            indent=1,
            default=str,
        )
    )
    (out / "sweep.md").write_text(render_sweep(summary, sweep_plan))
    print(f"wrote {out / 'sweep.md'} and {out / 'sweep.json'}: {len(summary['changes'])} outputs depend on the level")
    return 0


def _loads(name: str) -> bool:
    try:
        load_backend(name)
    except (BackendUnavailable, ImportError):
        return False
    return True


def cmd_check(args) -> int:
    label = args.backend if args.backend == REFERENCE else backend_class(args.backend).name
    cell = Cell(args.check, args.op, label, args.device, args.dtype, args.case, args.special)
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


# ---------------------------------------------------------------- parity audit (issue #13)
def cmd_audit(args) -> int:
    """Differential fuzzing of the reference against an oracle backend; exit 1 on an unexplained disagreement."""
    from parity import audit

    names = args.entries or sorted(audit.plans())
    unknown = [n for n in names if n not in audit.plans()]
    if unknown:
        print(f"no audit plan for {', '.join(unknown)}; audited: {', '.join(sorted(audit.plans()))}", file=sys.stderr)
        return 2
    if args.reproduce and len(names) != 1:
        print("--reproduce reruns one entry's configuration: name exactly one ENTRY", file=sys.stderr)
        return 2
    try:
        oracle = load_backend(args.oracle)
    except BackendUnavailable as error:
        print(f"the oracle {args.oracle} cannot be loaded: {error}", file=sys.stderr)
        return 2
    overrides = {"max_examples": args.max_examples} if args.max_examples else {}
    settings = audit.audit_settings(args.hypothesis_profile, **overrides)

    def show(report):
        counts = ", ".join(f"{n} {cls}" for cls, n in report.by_class().items() if n)
        print(f"{report.entry}: {report.configurations} configurations, {report.both_rejected} rejected by both"
              + (f"; {counts}" if counts else "") + f" ({report.seconds:.1f} s)", flush=True)  # fmt: skip
        for disagreement in report.unexplained:
            print("  " + disagreement.line().replace("\n", "\n  "), flush=True)

    if args.reproduce:
        reports = [audit.audit_entry(names[0], oracle, settings=settings, reproduce=args.reproduce)]
        show(reports[0])
    else:
        reports = audit.audit(names, oracle, settings=settings, progress=show)
    data = audit.summary(reports)
    print("\n".join(audit.render_markdown(data)))
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=1, default=str))
    return 1 if data["disagreements"]["reference bug"] else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parity", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="catalog entries and which backends support them")
    p.add_argument("--json", action="store_true", help="machine-readable: {ops: [{name, kind, backends}]}")
    p.add_argument("--backend", action="append", default=[], help="also list this backend (module:Class)")
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
    p.add_argument(
        "--amp", choices=["bfloat16", "float16"], default=None,
        help="mlp and cnn: float32 master weights (use --dtype float32) under autocast to this type",
    )  # fmt: skip
    p.add_argument(
        "--loss-scale", type=float, default=None,
        help="with --amp: dynamic loss scaling (GradScaler) from this initial scale (torch's default: 65536)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="one JSON object instead of one line")
    p.add_argument("--output", default=None, help="with --json: also write the object to this file")
    p.add_argument("--compare", action="store_true", help="every backend, device and gradient mode, as a table")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("merge", help="put reports from several machines (or dispatch levels) side by side")
    p.add_argument("reports", nargs="+", help="report.json files, or the directories holding them")
    p.add_argument("--out", required=True, help="directory for the merged report.md and report.json")
    p.add_argument("--label", action="append", default=None, help="one label per report (default: from its facts)")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("diff", help="list regressions from OLD to NEW; exit 1 when there is one")
    p.add_argument("old", help="the earlier report.json (or its directory)")
    p.add_argument("new", help="the later report.json (or its directory)")
    p.add_argument("--json", action="store_true", help="the regressions as JSON")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("sweep", help="the value and special-value checks once per CPU dispatch level this CPU has")
    p.add_argument("--out", default="parity-sweep", help="output directory (default: parity-sweep)")
    p.add_argument("--quick", action="store_true", help="the first case of every entry only")
    p.add_argument("--jobs", "-n", type=int, default=0, help="pytest-xdist workers per level; 0 = one per core")
    p.add_argument("--level", action="append", default=None, help="run only these levels (default and LEVEL)")
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments for every level, after --")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("audit", help="differential fuzzing of the reference against an oracle backend")
    p.add_argument("entries", nargs="*", metavar="ENTRY", help="catalog entries (default: every audited one)")
    p.add_argument("--oracle", default="torch", help="the backend whose semantics the catalog states (torch)")
    p.add_argument("--hypothesis-profile", default="ci", choices=["dev", "ci", "quick", "thorough"],
                   help="examples per entry: ci (40, derandomized; default), dev (25), thorough (1000)")  # fmt: skip
    p.add_argument("--max-examples", type=int, default=None, help="override the profile's examples per entry")
    p.add_argument("--reproduce", metavar="BLOB", default=None, help="rerun the configuration a failure printed")
    p.add_argument("--json", metavar="PATH", default=None, help="also write the summary as JSON")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("check", help="rerun one cell of the matrix and print its measurement or mismatch")
    p.add_argument("op", choices=[name for group in ENTRY_GROUPS.values() for name in group], metavar="ENTRY")
    p.add_argument(
        "--check",
        choices=[c for c in CHECK_KINDS if c != "property"],
        default=None,
        help="default: forward for ops, layers and losses, trajectory for optimizers, train for loops",
    )
    p.add_argument("--case", type=int, default=None)
    p.add_argument("--special", default=None)
    p.add_argument("--backend", default="numpy")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float64")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("selftest", help="mutation testing of parity itself (parity.mutation): the share of one-line "
                       "bugs in the reference, the backends and the harness that the tests catch")  # fmt: skip
    p.add_argument("--mutants", type=int, default=300, help="how many mutants to sample (default 300)")
    p.add_argument("--seed", type=int, default=20)
    p.add_argument("--module", action="append", default=None, help="only this module (repeatable)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant (default 300)")
    p.add_argument("--budget", type=float, default=3600.0, help="seconds for the whole run (default 3600)")
    p.add_argument("--workers", type=int, default=1, help="parallel mutants, each on its own copy of the tree")
    p.add_argument(
        "--selection",
        choices=("line", "module"),
        default="line",
        help="line (default): the cells of the catalog entries owning the mutated line, then the "
        "module's tests if it survives; module: the module's tests only",
    )
    p.add_argument("--only", action="append", default=None, help="run only the sampled mutant with this key")
    p.add_argument(
        "--resume",
        action="store_true",
        help="keep the outcomes the results file holds for this sample (same --mutants and --seed) and run the rest",
    )
    p.add_argument(
        "--reclassify",
        action="store_true",
        help="run nothing: apply docs/mutation-classified.json to the results file and print its table",
    )
    p.add_argument("--out", default=None, help="results file (default docs/mutation.json)")
    p.set_defaults(func=cmd_selftest)
    return parser


def cmd_selftest(args) -> int:
    from parity import mutation

    out = Path(args.out) if args.out else None
    if args.reclassify:
        print(mutation.render(mutation.reclassify(out)))
        return 0
    result = mutation.run(args.mutants, seed=args.seed, modules=args.module, timeout=args.timeout,
                          budget=args.budget, workers=args.workers, out=out,
                          narrow=args.selection == "line", only=args.only, resume=args.resume)  # fmt: skip
    print(mutation.render(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``parity`` console script."""
    args = build_parser().parse_args(argv)
    args.argv = argv
    if args.command == "check":
        if args.check is None:
            args.check = CHECKS_BY_KIND[get_entry(args.op).kind][0]
        if args.case is None and args.special is None:
            args.case = 0
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
