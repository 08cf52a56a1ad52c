"""Mutation testing of parity itself: how many one-line bugs in the reference, our backends and the harness
does the test suite catch?

Mutants come from cosmic-ray (its operators and its session database, so ``cosmic-ray``'s own tools can read a
session).  parity adds what a 2-core machine needs: a seeded sample per module, the tests that cover the
mutated module only (chosen from the catalog: the entries a reference module defines, the column of a backend,
the meta-tests of the harness), a timeout per mutant and a time budget for the run, two workers each on its own
copy of the tree, and a results file (``docs/mutation.json``) that a later run can be compared with.

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
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MATRIX = [f"tests/suite/test_{name}.py" for name in ("forward", "grads", "special_values", "branches")]
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
    "2 cores): left out of the default sample, run with --module impls/numba/<file>.py and a larger --timeout"
)
PYTEST = ["-p", "no:cacheprovider", "-q", "-x", "-n", "0", "--no-parity-matrix", "-W", "ignore::DeprecationWarning"]


def _entries_of(module: str) -> list[str]:
    """The catalog entries whose reference forward lives in ``module`` (e.g. reference/binary.py)."""
    from reference import CATALOG

    dotted = module.removesuffix(".py").replace("/", ".")
    return [name for name, spec in CATALOG.items() if spec.forward.__module__ == dotted]


def _k(names) -> list[str]:
    return ["-k", " or ".join(names)] if names else []


def tests_for(module: str) -> list[str]:
    """The pytest arguments that run the tests covering ``module`` (parity's catalog knowledge)."""
    backends = lambda *names: [a for n in names for a in ("--backend", n)]  # noqa: E731
    entries = _entries_of(module)
    if entries:  # a reference module of ops, layers or losses: their cells against numpy, torch and the engine
        return [*MATRIX, "tests/test_properties.py", *_k(entries), *backends("numpy", "torch", "autograd")]
    if module == "reference/optim.py":
        return ["tests/test_optim.py", "tests/test_training_oracle.py", *HARNESS_META]
    if module == "reference/loops.py":
        return [*TRAINING, *backends("numpy", "torch")]
    if module == "reference/_op.py":
        return [*MATRIX, "tests/test_errors.py", *backends("numpy", "torch"), "-k", "exp or add or sum or matmul"]
    if module.startswith("impls/autograd"):
        return [*MATRIX, "tests/test_optim.py", "tests/test_autograd.py", "tests/test_autograd_vs_torch.py",
                *backends("autograd"), "tests/test_training.py", "-k", "not cnn"]  # fmt: skip
    if module.startswith("impls/numba/"):
        return [*MATRIX, "tests/test_numba_kernels.py", *backends("numba")]
    if module.endswith("_backend.py"):
        name = Path(module).stem.removesuffix("_backend")
        return [*MATRIX, "tests/test_optim.py", "tests/test_errors.py", "tests/test_arrays.py", *backends(name)]
    if module in ("parity/compare.py", "parity/gradcheck.py", "parity/checks.py", "parity/inputs.py"):
        return [*HARNESS_META, "tests/suite/test_grads.py", "tests/test_optim.py", *backends("numpy", "torch"),
                "-k", "not full_jacobian or add or exp"]  # fmt: skip
    if module == "parity/strategies.py":
        return ["tests/test_properties.py", "tests/meta/test_fixture_claims.py", *backends("numpy")]
    raise KeyError(f"no test selection for {module}")


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
    return destination


def run_one(mutant: Mutant, tree: Path, timeout: float) -> Mutant:
    """Apply ``mutant`` in ``tree``, run its module's tests in a fresh process, restore the file."""
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
        env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1", "CI": "true"}
        try:
            proc = subprocess.run([sys.executable, "-m", "pytest", *PYTEST, *tests_for(mutant.module)], cwd=tree,
                                  env=env, capture_output=True, text=True, timeout=timeout)  # fmt: skip
            mutant.outcome = {0: "survived", 5: "survived"}.get(proc.returncode, "killed")
            if proc.returncode in (2, 3, 4):  # collection or usage error: the mutant broke the import
                mutant.outcome = "incompetent"
        except subprocess.TimeoutExpired:
            mutant.outcome = "timeout"
    mutant.seconds = time.perf_counter() - start
    return mutant


def classifications(path: Path) -> dict:
    """The hand classification of survivors, by :attr:`Mutant.key`."""
    return json.loads(path.read_text())["survivors"] if path.exists() else {}


def summarize(mutants: list[Mutant], generated: dict[str, int]) -> dict[str, dict]:
    """Per module: generated, run, killed, survived, equivalent, accepted, timeout, incompetent, seconds."""
    table: dict[str, dict] = {}
    for module, count in sorted(generated.items()):
        rows = [m for m in mutants if m.module == module and m.outcome != "pending"]
        counts = {k: 0 for k in ("killed", "survived", "equivalent", "accepted", "timeout", "incompetent")}
        for m in rows:
            kind = m.classified.get("class") if m.outcome == "survived" and m.classified else m.outcome
            counts[kind] += 1
        table[module] = {"generated": count, "run": len(rows), **counts,
                         "seconds": round(sum(m.seconds for m in rows), 1)}  # fmt: skip
    return table


def score(table: dict[str, dict]) -> float:
    """Killed (timeouts count as killed: the test command does not pass) over the non-equivalent mutants run."""
    killed = sum(r["killed"] + r["timeout"] for r in table.values())
    relevant = sum(r["run"] - r["equivalent"] - r["incompetent"] for r in table.values())
    return killed / relevant if relevant else math.nan


def run(
    count: int,
    *,
    seed: int = 20,
    modules=None,
    timeout: float = 300.0,
    budget: float = 3600.0,
    workers: int = 2,
    out: Path | None = None,
    classified: Path | None = None,
) -> dict:
    """Generate, sample ``count`` mutants, run them within ``budget`` seconds, and write the results to ``out``."""
    modules = list(modules or [m for m in MODULES if not m.startswith("impls/numba/")])
    out = out or ROOT / "docs" / "mutation.json"
    classified = classified or ROOT / "docs" / "mutation-classified.json"
    work = Path(tempfile.mkdtemp(prefix="parity-mutants-"))
    started = time.perf_counter()
    mutants = generate(modules, work / "session.sqlite")
    generated = {m: sum(x.module == m for x in mutants) for m in modules}
    chosen = sample(mutants, count, seed)
    trees = [_copy_tree(work / f"tree{i}") for i in range(workers)]
    known = classifications(classified)

    def worker(i: int) -> None:
        for mutant in chosen[i::workers]:
            if time.perf_counter() - started > budget:
                return
            run_one(mutant, trees[i], timeout)
            mutant.classified = known.get(mutant.key, {}) if mutant.outcome == "survived" else {}
            print(f"{mutant.outcome:11s} {mutant.seconds:6.1f}s {mutant.module}:{mutant.line} {mutant.operator}",
                  flush=True)  # fmt: skip

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, range(workers)))
    table = summarize(chosen, generated)
    result = {
        "command": f"parity selftest --mutants {count} --seed {seed}",
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
        "score": score(table),
        "modules": table,
        "left_out": {m: NUMBA_REASON for m in MODULES if m not in modules},
        "survivors": [asdict(m) | {"key": m.key} for m in chosen if m.outcome == "survived"],
        "mutants": [{"key": m.key, "outcome": m.outcome, "seconds": round(m.seconds, 1)} for m in chosen],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    shutil.rmtree(work, ignore_errors=True)
    return result


def render(result: dict) -> str:
    """The per-module table as Markdown."""
    head = "| module | generated | run | killed | survived | equivalent | accepted | timeout | incompetent | s |"
    lines = [head, "|" + "---|" * 10]
    for module, r in result["modules"].items():
        cells = [r[k] for k in ("generated", "run", "killed", "survived", "equivalent", "accepted", "timeout",
                                "incompetent", "seconds")]  # fmt: skip
        lines.append(f"| `{module}` | " + " | ".join(map(str, cells)) + " |")
    lines.append(f"\nscore (killed or timed out / run, less equivalent and incompetent): {result['score']:.1%}; "
                 f"{result['seconds']:.0f} s; `{result['command']}`")  # fmt: skip
    return "\n".join(lines)
