"""Mutation testing of parity itself: how many one-line bugs in the reference, our backends and the harness
does the test suite catch?

Mutants come from cosmic-ray (its operators and its session database, so ``cosmic-ray``'s own tools can read a
session).  parity adds what a 2-core machine needs: a seeded sample per module; for each mutant, the tests of
the catalog entries that own the mutated line (found with ast: the enclosing statement and its users in the module,
mapped to the entries whose forward, VJP, step or engine function they are), then the module's selection (the
entries a reference module defines, the column of a backend, the meta-tests of the harness), see :func:`stages`;
a timeout per mutant and a time budget for the run, one worker by default (each worker on its own copy of the
tree), and a results file (``docs/mutation.json``) that a later run can be compared with.

Every mutant runs in a fresh Python process on a copy of the tree with the mutated file on disk, so code that
Numba compiles is recompiled from the mutated source (numba caches compiled kernels by source file and
timestamp): a kernel mutant is meaningful, and costs a compilation (minutes for impls/numba/elementwise.py).

Survivors are classified by hand in ``docs/mutation-classified.json`` (equivalent, with the reason the change
cannot alter any result, or accepted, with the reason it is left); a survivor listed there counts as such.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MATRIX = [f"tests/suite/test_{name}.py" for name in ("forward", "grads", "special_values", "branches")]
# every suite file whose tests the catalog generates per entry (a --parity-entry run collects only those cells)
ENTRY_MATRIX = [*MATRIX, "tests/suite/test_properties.py", "tests/suite/test_trajectories.py"]
HARNESS_META = ["tests/meta/test_compare.py", "tests/meta/test_planted_bugs.py", "tests/meta/test_blind_spots.py",
                "tests/meta/test_fixture_claims.py", "tests/meta/test_catalog.py"]  # fmt: skip
TRAINING = ["tests/test_training.py", "tests/test_training_oracle.py"]
# the modules the issue names; impls/numba/* are listed but left out of a default sample (see NUMBA_REASON)
MODULES = (
    "reference/elementwise.py", "reference/binary.py", "reference/reductions.py", "reference/linalg.py",
    "reference/shape.py", "reference/layers.py", "reference/losses.py", "reference/optim.py",
    "reference/loops.py", "reference/_op.py",
    "impls/autograd/tensor.py", "impls/autograd/ops.py", "impls/autograd/functional.py", "impls/autograd/nn.py",
    "impls/autograd/optim.py", "impls/autograd_backend.py", "impls/numexpr_backend.py", "impls/numba_backend.py",
    "impls/torch_backend.py", "impls/numpy_backend.py",
    "parity/compare.py", "parity/gradcheck.py", "parity/checks.py", "parity/strategies.py", "parity/inputs.py",
    "impls/numba/elementwise.py", "impls/numba/kernels.py", "impls/numba/layers.py", "impls/numba/matmul.py",
)  # fmt: skip
NUMBA_REASON = (
    "each mutant of a Numba kernel module is recompiled from source in its fresh process (minutes per mutant on "
    "2 cores), and a process that loads the numba backend spends ~3 minutes of wall time (~1 CPU-minute) loading "
    "its kernels even from a warm cache (measured: 185 s wall for 17 s of tests): left out of the default sample, "
    "run with --module impls/numba_backend.py (or impls/numba/<file>.py) and a larger --timeout"
)
PYTEST = ["-p", "no:cacheprovider", "-q", "-x", "-n", "0", "--no-parity-matrix", "-W", "ignore::DeprecationWarning"]


def _entries_of(module: str) -> list[str]:
    """The catalog entries whose reference forward lives in ``module`` (e.g. reference/binary.py)."""
    from reference import CATALOG

    dotted = module.removesuffix(".py").replace("/", ".")
    return [name for name, spec in CATALOG.items() if spec.forward.__module__ == dotted]


@dataclass
class _Unit:
    """A top-level statement of a module (a function, a method, an assignment): the names it defines, the names
    and strings it mentions, and its lines."""

    first: int
    last: int
    defines: set[str]
    mentions: set[str]


def _units(tree) -> list[_Unit]:
    import ast

    def mentioned(node) -> set[str]:
        names = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
            elif isinstance(sub, ast.Attribute):
                names.add(sub.attr)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                names.add(sub.value)
        return names

    def unit(node, defines) -> _Unit:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        return _Unit(first, node.end_lineno, set(defines), mentioned(node))

    units = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            units += [unit(m, {m.name}) for m in methods]
            others = [n for n in node.body if n not in methods]
            units += [unit(n, {node.name}) for n in others]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            units.append(unit(node, {node.name}))
        else:
            targets = {
                t.id
                for n in ast.walk(node)
                if isinstance(n, (ast.Assign, ast.AnnAssign))
                for t in getattr(n, "targets", [getattr(n, "target", None)])
                if isinstance(t, ast.Name)
            }
            units.append(unit(node, targets))  # fmt: skip
    return units


def _owners_by_name(module: str) -> dict[str, set[str]]:
    """Function name -> the catalog entries it is the forward or VJP of (for a reference module), or, for any module,
    the entry of the same name (an engine's ``gelu``, a backend's ``_adam`` for ``adam``)."""
    from reference import ENTRY_GROUPS

    dotted = module.removesuffix(".py").replace("/", ".")
    owners: dict[str, set[str]] = {}
    for group in ENTRY_GROUPS.values():
        for name, spec in group.items():
            owners.setdefault(name, set()).add(name)
            owners.setdefault("_" + name, set()).add(name)
            for attr in ("forward", "step", "run"):
                fn = getattr(spec, attr, None)
                for f in (fn, getattr(fn, "vjp", None)):
                    inner = getattr(f, "__wrapped__", f)
                    if inner is not None and getattr(inner, "__module__", None) == dotted:
                        owners.setdefault(inner.__name__, set()).add(name)
    return owners


def entries_owning(module: str, line: int, source: str | None = None) -> list[str]:
    """The catalog entries whose cells exercise the code at ``module``:``line``: the statement enclosing the line
    and every statement of the module that uses it (transitively, by name, decorators included) are mapped to the
    entries they are the forward, VJP, optimizer step or loop of, or that carry their name (or mention it as a
    string, as a dispatch table does).  Empty when no entry owns the line (then the module's selection runs)."""
    names = reached_names(module, line, source)
    owners = _owners_by_name(module)
    return sorted(set().union(set(), *(owners.get(n, set()) for n in names)))


def reached_names(module: str, line: int, source: str | None = None) -> set[str]:
    """The names defined by the top-level statement (function, method, assignment) enclosing ``module``:``line`` and
    by every statement of the module that uses it, transitively (decorators included), with the string keys on the
    line itself (a dispatch table's)."""
    import ast
    import re

    source = source if source is not None else (ROOT / module).read_text()
    units = _units(ast.parse(source))
    hit = [u for u in units if u.first <= line <= u.last]
    if not hit:
        return set()
    reached, frontier = [hit[0]], [hit[0]]
    while frontier:
        defined = set().union(*(u.defines for u in frontier))
        frontier = [u for u in units if all(u is not r for r in reached) and u.mentions & defined]
        reached += frontier
    names = set().union(*(u.defines for u in reached))
    names |= set(re.findall(r"[\"'](\w+)[\"']", source.splitlines()[line - 1]))  # a dispatch table's key
    return names


def harness_tests_for_line(module: str, line: int) -> list[str]:
    """For a harness module: the test files under tests/ (the suite, meta-tests and the rest, not benchmarks) that
    name a function the mutated line reaches (:func:`reached_names`); empty when none does."""
    import re

    names = {n for n in reached_names(module, line) if len(n) > 3 and not n.startswith("__")}
    if not names:
        return []
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names))) + r")\b")
    files = sorted(p for p in (ROOT / "tests").rglob("test_*.py") if "bench" not in p.parts)
    return [str(p.relative_to(ROOT)) for p in files if pattern.search(p.read_text())]


def _k(names) -> list[str]:
    return ["-k", " or ".join(names)] if names else []


def tests_for(module: str) -> list[str]:
    """The pytest arguments that run the tests covering ``module`` (parity's catalog knowledge)."""
    backends = lambda *names: [a for n in names for a in ("--backend", n)]  # noqa: E731
    entries = _entries_of(module)
    if entries:  # a reference module of ops, layers or losses: their cells against numpy, torch and the engine
        return [*MATRIX, "tests/test_properties.py", *_k(entries), *backends("numpy", "torch", "autograd")]
    if module == "reference/optim.py":  # torch.optim is the independent oracle (the engine runs the reference's steps)
        return ["tests/suite/test_trajectories.py", "tests/test_optim.py", "tests/test_training_oracle.py",
                *HARNESS_META, *backends("numpy", "torch")]  # fmt: skip
    if module == "reference/loops.py":
        return ["tests/suite/test_trajectories.py", *TRAINING, *backends("numpy", "torch")]
    if module == "reference/_op.py":
        return [*MATRIX, "tests/test_errors.py", *backends("numpy", "torch"), "-k", "exp or add or sum or matmul"]
    if module.startswith("impls/autograd"):
        return [*MATRIX, "tests/test_optim.py", "tests/test_autograd.py", "tests/test_autograd_vs_torch.py",
                *backends("autograd"), "tests/test_training.py", "-k", "not cnn"]  # fmt: skip
    if module.startswith("impls/numba/"):
        return [*MATRIX, "tests/test_numba_kernels.py", *backends("numba")]
    if module.endswith("_backend.py"):
        name = Path(module).stem.removesuffix("_backend")
        return [*MATRIX, "tests/suite/test_trajectories.py", "tests/test_optim.py", "tests/test_errors.py",
                "tests/suite/test_contract.py", *backends(name)]  # fmt: skip
    if module in ("parity/compare.py", "parity/gradcheck.py", "parity/checks.py", "parity/inputs.py"):
        return [*HARNESS_META, "tests/suite/test_grads.py", "tests/test_optim.py", *backends("numpy", "torch"),
                "-k", "not full_jacobian or add or exp"]  # fmt: skip
    if module == "parity/strategies.py":
        return ["tests/test_properties.py", "tests/meta/test_fixture_claims.py", *backends("numpy")]
    raise KeyError(f"no test selection for {module}")


def backends_of(module: str) -> list[str]:
    """The backends whose cells run a mutant of ``module`` (the reference is compared with numpy, torch and the
    engine; a backend's own code with its column only); empty for the harness."""
    if module.startswith("reference/"):  # torch (5 s more to import) joins when the mutant survives these
        return ["numpy", "autograd"]
    if module.startswith("impls/autograd"):
        return ["autograd"]
    if module.startswith("impls/numba/"):
        return ["numba"]
    if module.endswith("_backend.py"):
        return [Path(module).stem.removesuffix("_backend")]
    return []


EXTRA_BY_BACKEND = {"autograd": ["tests/test_autograd.py", "tests/test_autograd_vs_torch.py"],
                    "numba": ["tests/test_numba_kernels.py"]}  # fmt: skip


def tests_for_line(module: str, line: int) -> tuple[str, list[str]]:
    """The narrowest selection for a mutant at ``module``:``line``: the cells of the catalog entries that own the
    line (:func:`entries_owning`), on the backends that use the module, plus the backend's own tests filtered by
    the entries' names; ``("module", tests_for(module))`` when no entry owns the line or for the harness."""
    backends = backends_of(module)
    entries = entries_owning(module, line) if backends else []
    if not entries:
        return "module", tests_for(module)
    extra = [] if module.startswith("reference/") else [f for b in backends for f in EXTRA_BY_BACKEND.get(b, [])]
    return "entries", [*ENTRY_MATRIX, *extra, *(a for b in backends for a in ("--backend", b)),
                       "--parity-entry", ",".join(entries), *(_k(entries) if extra else [])]  # fmt: skip


@dataclass
class Mutant:
    """One mutation: cosmic-ray's job id, where, which operator, and what became of it."""

    job_id: str
    module: str
    operator: str
    occurrence: int
    line: int
    definition: str | None
    outcome: str = "pending"  # killed, survived, timeout, incompetent (the mutated module does not import)
    seconds: float = 0.0
    session: float = math.nan  # seconds of pytest's session (collection and tests) in the first run
    selection: str = ""  # entries (the cells of the entries owning the line) or module (tests_for)
    diff: str = ""
    classified: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable across runs while the mutated line stays the same (occurrence numbers shift as code grows)."""
        return f"{self.module}:{self.definition}:{self.operator}:{self.diff_line()}"

    def diff_line(self) -> str:
        minus = [line[1:].strip() for line in self.diff.splitlines() if line.startswith("-") and
                 not line.startswith("---")]  # fmt: skip
        return minus[0] if minus else ""


def generate(modules, session: Path) -> list[Mutant]:
    """Every mutant cosmic-ray generates for ``modules``, stored in its session database ``session``."""
    from cosmic_ray.commands import init
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(session), WorkDB.Mode.create) as db:
        init([ROOT / m for m in modules], db, {})
        return [
            Mutant(
                item.job_id,
                str(Path(m.module_path).relative_to(ROOT)),
                m.operator_name,
                m.occurrence,
                m.start_pos[0],
                m.definition_name,
            )  # fmt: skip
            for item in db.work_items
            for m in item.mutations
        ]


def sample(mutants: list[Mutant], total: int, seed: int, minimum: int = 4) -> list[Mutant]:
    """A seeded sample of ``total`` mutants, shared among modules in proportion to what each generated (at least
    ``minimum`` per module, or all it has)."""
    by_module: dict[str, list[Mutant]] = {}
    for m in mutants:
        by_module.setdefault(m.module, []).append(m)
    rng = random.Random(seed)
    chosen = []
    for items in (by_module[module] for module in sorted(by_module)):
        want = max(minimum, round(total * len(items) / max(len(mutants), 1)))
        chosen += rng.sample(items, min(want, len(items)))
    rng.shuffle(chosen)  # a run that its budget stops early is still a sample of every module
    return chosen


def _copy_tree(destination: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()  # fmt: skip
    for name in files:
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    # Numba's cache of the kernels (keyed by each source file's timestamp, which copy2 keeps): a mutant of an
    # adapter then does not recompile every kernel; a mutated kernel module has a new timestamp and recompiles
    for cache in (ROOT / "impls" / "numba").glob("__pycache__"):
        shutil.copytree(cache, destination / "impls" / "numba" / "__pycache__", dirs_exist_ok=True)
    return destination


def _pytest(args: list[str], tree: Path, timeout: float) -> tuple[str, float]:
    """Run pytest with ``args`` in a fresh process in ``tree``: the outcome and the seconds pytest's session took
    (collection and tests; the rest of the wall time is interpreter start and imports)."""
    import re

    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1", "CI": "true"}
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", *PYTEST, *args], cwd=tree, env=env,
                              capture_output=True, text=True, timeout=timeout)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "timeout", math.nan
    session = re.findall(r" in ([0-9.]+)s", proc.stdout)
    if proc.returncode != 1:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-4:]
        print("\n".join("    | " + line for line in tail), flush=True)
    if proc.returncode in (2, 3, 4):  # interrupted in collection, internal or usage error: the mutant broke imports
        return "incompetent", math.nan
    return {0: "survived", 5: "survived"}.get(proc.returncode, "killed"), float(session[-1]) if session else math.nan


def stages(module: str, line: int) -> list[tuple[str, list[str]]]:
    """The selections a mutant at ``module``:``line`` runs in turn until one kills it: the cells of the entries that
    own the line (:func:`tests_for_line`), then the module's whole selection (:func:`tests_for`: the mutated code
    may be reached through other entries, and torch joins the reference's checks) at ``--parity-quick`` (the first
    case of every entry; in full where the selection has no catalog matrix).  A harness mutant runs the tests that
    name the function its line reaches (:func:`harness_tests_for_line`), or the module's selection when none does.
    Every selection is a subset of the default test command, so a survivor here is a candidate: it is run again
    against the module's full selection (``--selection module --only KEY``) before it is classified."""
    kind, narrow = tests_for_line(module, line)
    whole = tests_for(module)
    if not backends_of(module):
        callers = harness_tests_for_line(module, line)
        return [("callers", [*callers, "--backend", "numpy", "--parity-quick"]) if callers else
                ("module quick", [*whole, "--parity-quick"])]  # fmt: skip
    chosen = [("entries", narrow)] if kind == "entries" else []
    if any(f in whole for f in MATRIX):
        return [*chosen, ("module quick", [*whole, "--parity-quick"])]
    return [*chosen, ("module", whole)]


def run_one(mutant: Mutant, tree: Path, timeout: float, narrow: bool = True) -> Mutant:
    """Apply ``mutant`` in ``tree`` and run its :func:`stages` in fresh processes until one kills it (``timeout``
    seconds for them all).  ``narrow=False`` runs the module's selection only (the selection before per-line
    narrowing)."""
    from cosmic_ray.mutating import use_mutation
    from cosmic_ray.plugins import get_operator

    path = tree / mutant.module
    operator = get_operator(mutant.operator)()
    start = time.perf_counter()
    with use_mutation(path, operator, mutant.occurrence) as (original, mutated):
        if mutated is None:
            mutant.outcome = "incompetent"
            return mutant
        import difflib

        mutant.diff = "".join(difflib.unified_diff(original.splitlines(True), mutated.splitlines(True), n=0))
        for kind, args in stages(mutant.module, mutant.line) if narrow else [("module", tests_for(mutant.module))]:
            mutant.selection = kind
            mutant.outcome, session = _pytest(args, tree, timeout - (time.perf_counter() - start))
            mutant.session = session if math.isnan(mutant.session) else mutant.session
            if mutant.outcome != "survived":
                break
    mutant.seconds = time.perf_counter() - start
    return mutant


EXAMINED = ("survived", "timeout")  # outcomes a hand classification replaces


def classifications(path: Path) -> dict:
    """The hand classification of survivors, by :attr:`Mutant.key`."""
    return json.loads(path.read_text())["survivors"] if path.exists() else {}


def summarize(mutants: list[Mutant], generated: dict[str, int]) -> dict[str, dict]:
    """Per module: generated, run, killed, survived, equivalent, accepted, timeout, incompetent, seconds."""
    table: dict[str, dict] = {}
    for module, count in sorted(generated.items()):
        rows = [m for m in mutants if m.module == module and m.outcome != "pending"]
        counts = {k: 0 for k in ("killed", "survived", "equivalent", "accepted", "timeout", "incompetent")}
        for m in rows:  # a classified survivor counts as its class (killed: by the module's full selection)
            kind = m.classified.get("class") if m.outcome in EXAMINED and m.classified else m.outcome
            counts[kind] += 1
        table[module] = {"generated": count, "run": len(rows), **counts,
                         "seconds": round(sum(m.seconds for m in rows), 1)}  # fmt: skip
    return table


def score(table: dict[str, dict], strict: bool = False) -> float:
    """Killed over the non-equivalent, competent mutants run.  A mutant that timed out is left out (its tests did not
    finish within the per-mutant timeout, most often in the widest stage after surviving the narrower ones: not
    known to be killed); ``strict`` counts it as a survivor instead."""
    killed = sum(r["killed"] for r in table.values())
    relevant = sum(r["run"] - r["equivalent"] - r["incompetent"] - (0 if strict else r["timeout"])
                   for r in table.values())  # fmt: skip
    return killed / relevant if relevant else math.nan


def run(
    count: int,
    *,
    seed: int = 20,
    modules=None,
    timeout: float = 300.0,
    budget: float = 3600.0,
    workers: int = 1,
    out: Path | None = None,
    classified: Path | None = None,
    narrow: bool = True,
    only: list[str] | None = None,
    resume: bool = False,
) -> dict:
    """Generate, sample ``count`` mutants, run them within ``budget`` seconds, and write the results to ``out``
    (rewritten after every mutant, so a run stopped early leaves what it measured).  ``only``: run just the sampled
    mutants with these keys (to re-run survivors after a new check)."""
    modules = list(modules or [m for m in MODULES if not m.startswith("impls/numba")])
    out = out or ROOT / "docs" / "mutation.json"
    classified = classified or ROOT / "docs" / "mutation-classified.json"
    work = Path(tempfile.mkdtemp(prefix="parity-mutants-"))
    started = time.perf_counter()
    mutants = generate(modules, work / "session.sqlite")
    generated = {m: sum(x.module == m for x in mutants) for m in modules}
    chosen = sample(mutants, count, seed)
    carried = 0.0  # the seconds of earlier sittings of a resumed sample
    if resume and out.exists():
        previous = json.loads(out.read_text())
        _resume(chosen, previous, seed)
        carried_over = sum(m.outcome != "pending" for m in chosen)
        print(f"resumed: {carried_over} of the {len(chosen)} sampled mutants carried over from {out}", flush=True)
        carried = previous["seconds"]
    trees = [_copy_tree(work / f"tree{i}") for i in range(workers)]
    known = classifications(classified)
    command = f"parity selftest --mutants {count} --seed {seed} --timeout {timeout:g} --budget {budget:g}" + (
        "" if narrow else " --selection module"
    )

    def write() -> dict:
        table = summarize(chosen, generated)
        done = [m for m in chosen if m.outcome != "pending"]
        result = {
            "command": command,
            "seed": seed,
            "seconds": round(carried + time.perf_counter() - started, 1),
            "median_seconds_per_mutant": round(statistics.median([m.seconds for m in done]), 1) if done else None,
            "score": score(table),
            "score_timeouts_as_survivors": score(table, strict=True),
            "modules": table,
            "left_out": {m: NUMBA_REASON for m in MODULES if m not in modules},
            "survivors": [asdict(m) | {"key": m.key} for m in chosen if m.outcome == "survived"],
            "mutants": [{"key": m.key, "line": m.line, "outcome": m.outcome, "selection": m.selection,
                         "seconds": round(m.seconds, 1), "pytest_session_seconds": round(m.session, 1)}
                        for m in chosen],
        }  # fmt: skip
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1))
        return result

    def worker(i: int) -> None:
        for mutant in chosen[i::workers]:
            remaining = budget - (time.perf_counter() - started)
            if remaining < 30:
                return
            if (only is not None and mutant.key not in only) or mutant.outcome != "pending":
                continue
            run_one(mutant, trees[i], min(timeout, remaining), narrow)
            if mutant.outcome == "timeout" and remaining < timeout:  # cut by the budget, not by its own timeout
                mutant.outcome = "pending"
                return
            mutant.classified = known.get(mutant.key, {}) if mutant.outcome in EXAMINED else {}
            print(f"{mutant.outcome:11s} {mutant.seconds:6.1f}s {mutant.selection:20s} {mutant.module}:{mutant.line} "
                  f"{mutant.operator}", flush=True)  # fmt: skip
            write()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, range(workers)))
    result = write()
    shutil.rmtree(work, ignore_errors=True)
    return result


def _place(module: str, definition, operator: str, line: int) -> tuple:
    """Where a mutant is, known before it runs (its key's mutated line is known only after): module, function,
    operator and line."""
    return module, str(definition), operator, line


def _resume(chosen: list[Mutant], previous: dict, seed: int) -> None:
    """Carry a previous run's outcomes over to the same sample's mutants, matched by :func:`_place`; a place that
    several mutants share (two operators of one kind on one line), or whose line moved since, runs again.
    Refuses a results file of another seed."""
    if previous.get("seed") != seed:
        raise ValueError(f"--resume: {previous.get('seed')=} in the results file, not --seed {seed}")
    diffs = {s["key"]: s["diff"] for s in previous.get("survivors", [])}
    done: dict[tuple, list[dict]] = {}
    for row in previous["mutants"]:
        if row["outcome"] != "pending":
            module, definition, operator, _ = row["key"].split(":", 3)
            done.setdefault(_place(module, definition, operator, row["line"]), []).append(row)
    places = Counter(_place(m.module, m.definition, m.operator, m.line) for m in chosen)
    for mutant in chosen:
        place = _place(mutant.module, mutant.definition, mutant.operator, mutant.line)
        rows = done.get(place, [])
        if len(rows) != 1 or places[place] != 1:
            continue
        row = rows[0]
        mutant.outcome, mutant.seconds, mutant.selection = row["outcome"], row["seconds"], row["selection"]
        mutant.session = row.get("pytest_session_seconds", math.nan)
        mutant.diff = diffs.get(row["key"]) or "-" + row["key"].split(":", 3)[3] + "\n"  # the key's mutated line


def reclassify(out: Path | None = None, classified: Path | None = None) -> dict:
    """Apply the hand classification (``docs/mutation-classified.json``) to a results file written by :func:`run`
    and rewrite its table and scores (survivors are classified after the run that found them)."""
    out = out or ROOT / "docs" / "mutation.json"
    known = classifications(classified or ROOT / "docs" / "mutation-classified.json")
    result = json.loads(out.read_text())
    mutants = [
        Mutant("", m["key"].split(":")[0], "", 0, m["line"], None, m["outcome"], m["seconds"],
               classified=known.get(m["key"], {}) if m["outcome"] in EXAMINED else {})
        for m in result["mutants"]
    ]  # fmt: skip
    table = summarize(mutants, {module: row["generated"] for module, row in result["modules"].items()})
    result.update(modules=table, score=score(table), score_timeouts_as_survivors=score(table, strict=True))
    for survivor in result["survivors"]:
        survivor["classified"] = known.get(survivor["key"], {})
    result["timeouts"] = {m["key"]: known.get(m["key"], {}) for m in result["mutants"] if m["outcome"] == "timeout"}
    out.write_text(json.dumps(result, indent=1))
    return result


def render(result: dict) -> str:
    """The per-module table as Markdown."""
    head = "| module | generated | run | killed | survived | equivalent | accepted | timeout | incompetent | s |"
    lines = [head, "|" + "---|" * 10]
    for module, r in result["modules"].items():
        cells = [r[k] for k in ("generated", "run", "killed", "survived", "equivalent", "accepted", "timeout",
                                "incompetent", "seconds")]  # fmt: skip
        lines.append(f"| `{module}` | " + " | ".join(map(str, cells)) + " |")
    lines.append(f"\nscore (killed / run, less equivalent, incompetent and timed out): {result['score']:.1%} "
                 f"({result['score_timeouts_as_survivors']:.1%} counting timeouts as survivors); "
                 f"{result['seconds']:.0f} s; `{result['command']}`")  # fmt: skip
    return "\n".join(lines)
