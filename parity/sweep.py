"""The CPU-dispatch sweep: the value and special-value checks once per dispatch level this CPU supports.

One torch wheel and one NumPy wheel run different kernels on different CPUs, because each library picks
them by its own CPUID check, each with its own override (../shared/DIVERGENCES.md, item 23).  Each knob
can only lower the level below what the CPU has.  The sweep runs ``parity run`` once per level in a
subprocess, with that level's knobs in the environment and the affected backends selected, saves every
output the checks compared, and reports where the results depend on the level: outputs whose bits
differ from the machine's default level (with the ULP distance), special values whose verdict changes,
declared divergences that appear or vanish.  Levels this CPU cannot run are listed with the reason (a
knob above the CPU's level makes torch stop with SIGILL).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from parity.across import merge_reports
from parity.compare import ulp_distance

AVX512 = ("avx512f", "avx512bw", "avx512vl", "avx512dq")
TORCH, NUMPY_BASED, NUMBA = ("torch",), ("numpy", "autograd"), ("numba",)
ALL = ("numpy", "autograd", "torch", "numba")


@dataclass(frozen=True)
class Level:
    """A dispatch level: the knobs that set it, the backends it can change, the CPU flags it needs."""

    name: str
    env: Mapping[str, str]
    backends: tuple[str, ...]
    needs: tuple[str, ...] = ()
    lowers: str = ""

    def missing(self, flags: Iterable[str]) -> list[str]:
        return [flag for flag in self.needs if flag not in set(flags)]


def _numpy_levels(facts: Mapping) -> list[Level]:
    """One level per NumPy dispatch target found above the baseline: that target and all above it disabled."""
    found = list(facts.get("numpy.simd_found") or [])
    baseline = (facts.get("numpy.simd_baseline") or ["baseline"])[-1]
    levels = []
    for i in range(len(found)):
        below = found[i - 1] if i else baseline
        levels.append(
            Level(
                f"numpy={below}",
                {"NPY_DISABLE_CPU_FEATURES": " ".join(found[i:])},
                NUMPY_BASED,
                lowers=f"NumPy's SIMD loops down to {below} (NPY_DISABLE_CPU_FEATURES)",
            )
        )
    return levels


def candidate_levels(facts: Mapping) -> list[Level]:
    """Every level worth running on a CPU like this one's, runnable or not (see :func:`plan`)."""
    numpy_levels = _numpy_levels(facts)
    lowest_numpy = numpy_levels[0].env if numpy_levels else {}
    return [
        Level("default", {}, ALL, lowers="nothing: the machine's own choice of every library"),
        Level("aten=default", {"ATEN_CPU_CAPABILITY": "default"}, TORCH, lowers="ATen's vectorised kernels"),
        Level("aten=avx2", {"ATEN_CPU_CAPABILITY": "avx2"}, TORCH, ("avx2", "fma"), "ATen's vectorised kernels"),
        Level("aten=avx512", {"ATEN_CPU_CAPABILITY": "avx512"}, TORCH, AVX512, "ATen's vectorised kernels"),
        Level("onednn=SSE41", {"ONEDNN_MAX_CPU_ISA": "SSE41"}, TORCH, ("sse4_1",), "oneDNN's JIT (gelu, conv)"),
        Level("onednn=AVX", {"ONEDNN_MAX_CPU_ISA": "AVX"}, TORCH, ("avx",), "oneDNN's JIT"),
        Level("onednn=AVX2", {"ONEDNN_MAX_CPU_ISA": "AVX2"}, TORCH, ("avx2",), "oneDNN's JIT"),
        Level("onednn=AVX512_CORE", {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE"}, TORCH, AVX512, "oneDNN's JIT"),
        Level("mkl=SSE4_2", {"MKL_ENABLE_INSTRUCTIONS": "SSE4_2"}, TORCH, ("sse4_2",), "MKL's BLAS (torch)"),
        Level("mkl=AVX2", {"MKL_ENABLE_INSTRUCTIONS": "AVX2"}, TORCH, ("avx2",), "MKL's BLAS (torch)"),
        Level("openblas=Prescott", {"OPENBLAS_CORETYPE": "Prescott"}, NUMPY_BASED, (), "OpenBLAS (NumPy's BLAS)"),
        Level("openblas=Sandybridge", {"OPENBLAS_CORETYPE": "Sandybridge"}, NUMPY_BASED, ("avx",), "OpenBLAS"),
        Level("openblas=Haswell", {"OPENBLAS_CORETYPE": "Haswell"}, NUMPY_BASED, ("avx2", "fma"), "OpenBLAS"),
        Level("openblas=SkylakeX", {"OPENBLAS_CORETYPE": "SkylakeX"}, NUMPY_BASED, AVX512, "OpenBLAS"),
        *numpy_levels,
        Level("numba=generic", {"NUMBA_CPU_NAME": "generic"}, NUMBA, (), "numba's LLVM target (no FMA, no AVX)"),
        Level(
            "lowest",
            {
                "ATEN_CPU_CAPABILITY": "default",
                "ONEDNN_MAX_CPU_ISA": "SSE41",
                "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
                "OPENBLAS_CORETYPE": "Prescott",
                "NUMBA_CPU_NAME": "generic",
                **lowest_numpy,
            },  # fmt: skip
            ALL,
            ("sse4_2",),
            "every knob at its lowest: an old x86-64 CPU",
        ),
    ]


@dataclass
class Plan:
    runnable: list[Level] = field(default_factory=list)
    not_runnable: list[tuple[Level, str]] = field(default_factory=list)


def plan(facts: Mapping, installed: Iterable[str], only: Iterable[str] | None = None) -> Plan:
    """Which levels this CPU can run (its flags include what the knob asks for) and, for the others, why not.
    ``only``: run just these levels (and ``default``, the one the others are compared with)."""
    flags = facts.get("cpu.flags") or []
    installed = set(installed)
    wanted = None if only is None else {"default", *only}
    out = Plan()
    candidates = candidate_levels(facts)
    unknown = sorted(set(wanted or ()) - {level.name for level in candidates})
    if unknown:
        raise ValueError(f"unknown level(s) {', '.join(unknown)}; known: {', '.join(c.name for c in candidates)}")
    for level in candidates:
        if wanted is not None and level.name not in wanted:
            continue
        missing = level.missing(flags)
        backends = [b for b in level.backends if b in installed]
        if facts.get("cpu.arch") not in ("x86_64", "AMD64") and level.name != "default":
            out.not_runnable.append((level, f"x86 knobs; this CPU is {facts.get('cpu.arch')}"))
        elif missing:
            crash = " (torch stops with SIGILL when asked for it)" if "ATEN_CPU_CAPABILITY" in level.env else ""
            out.not_runnable.append((level, f"this CPU lacks {', '.join(missing)}{crash}"))
        elif not backends:
            out.not_runnable.append((level, f"none of {', '.join(level.backends)} is installed"))
        else:
            out.runnable.append(Level(level.name, level.env, tuple(backends), level.needs, level.lowers))
    return out


# ---------------------------------------------------------------- running
def level_command(level: Level, out: Path, *, quick: bool, jobs: int, pytest_args=()) -> list[str]:
    """``parity run`` for one level: the value and special-value checks of its backends, outputs saved."""
    cmd = [sys.executable, "-m", "parity.cli", "run", "--bench", "none", "--out", str(out), "--jobs", str(jobs)]
    if quick:
        cmd.append("--quick")
    for backend in level.backends:
        cmd += ["--backend", backend]
    return [*cmd, "--", "--parity-outputs", str(out / "outputs"), "-m", "not reference and not selftest",
            "tests/suite/test_forward.py", "tests/suite/test_special_values.py", *pytest_args]  # fmt: skip


def run_level(level: Level, out: Path, *, quick: bool, jobs: int, pytest_args=()) -> int:
    cmd = level_command(level, out, quick=quick, jobs=jobs, pytest_args=pytest_args)
    env = {**os.environ, **level.env}
    if "NUMBA_CPU_NAME" in level.env:  # numba's disk cache is per CPU target: keep this level's apart
        env["NUMBA_CACHE_DIR"] = str(out / "numba-cache")
    print(f"[{level.name}] {' '.join(f'{k}={v}' for k, v in level.env.items())} {shlex.join(cmd)}", flush=True)
    return subprocess.call(cmd, env=env)


def load_outputs(directory: Path) -> dict[str, np.ndarray]:
    """Every saved output of a level run, keyed by node id and what was compared."""
    outputs: dict[str, np.ndarray] = {}
    for path in sorted(directory.glob("*.npz")):
        with np.load(path) as data:
            outputs.update({key: data[key] for key in data.files})
    return outputs


def compare_outputs(base: np.ndarray, other: np.ndarray) -> dict | None:
    """None when the bits are identical; else how they differ (max ULP over finite pairs, NaN/inf changes)."""
    if base.shape != other.shape or base.dtype != other.dtype:
        return {"max_ulp": float("inf"), "note": f"{base.dtype}{base.shape} vs {other.dtype}{other.shape}"}
    if base.tobytes() == other.tobytes():
        return None
    b, o = base.astype(np.float64), other.astype(np.float64)
    nan_changed = int(np.sum(np.isnan(b) != np.isnan(o)))
    inf_changed = int(np.sum((np.isinf(b) | np.isinf(o)) & (b != o)))
    finite = np.isfinite(b) & np.isfinite(o)
    dtype = str(base.dtype)
    ulp = float(np.max(ulp_distance(b[finite], o[finite], dtype))) if np.any(finite) else 0.0
    zero_sign = int(np.sum((b == 0) & (o == 0) & (np.signbit(b) != np.signbit(o))))
    both_nan = np.isnan(b) & np.isnan(o)
    width = np.dtype(f"u{base.dtype.itemsize}")
    nan_bits = int(
        np.sum(both_nan & (np.ascontiguousarray(base).view(width) != np.ascontiguousarray(other).view(width)))
    )
    return {"max_ulp": ulp, "nan_changed": nan_changed, "inf_changed": inf_changed, "zero_sign_changed": zero_sign,
            "nan_bits_changed": nan_bits}  # fmt: skip


def level_differences(base: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> dict[str, dict]:
    """Per saved output present in both runs, how it differs from the base level (identical ones left out)."""
    found = {}
    for key in sorted(base.keys() & other.keys()):
        diff = compare_outputs(base[key], other[key])
        if diff is not None:
            found[key] = diff
    return found


def _facts_of(out: Path) -> dict:
    report = out / "report.json"
    return json.loads(report.read_text())["machine"].get("facts", {}) if report.exists() else {}


def summarise(levels: list[Level], out: Path) -> dict:
    """The sweep's findings from the level runs under ``out/levels``: per output that changes, the levels
    where its bits differ from the default level and by how much; verdict changes; the merged report."""
    base_dir = out / "levels" / "default"
    base = load_outputs(base_dir / "outputs")
    changes: dict[str, dict[str, dict]] = {}
    reports, labels = [], []
    for level in levels:
        level_dir = out / "levels" / level.name
        if (level_dir / "report.json").exists():
            reports.append(json.loads((level_dir / "report.json").read_text()))
            labels.append(level.name)
        if level.name == "default":
            continue
        for key, diff in level_differences(base, load_outputs(level_dir / "outputs")).items():
            changes.setdefault(key, {})[level.name] = diff
    merged = merge_reports(reports, labels) if reports else None
    return {
        "changes": changes,
        "merged": merged,
        "facts": {lv.name: _facts_of(out / "levels" / lv.name) for lv in levels},
    }


LABELS = {"nan_changed": "NaN", "inf_changed": "inf", "zero_sign_changed": "signed zero",
          "nan_bits_changed": "NaN sign or payload"}  # fmt: skip


def _entry_of(key: str) -> tuple[str, str]:
    """(entry and column, what was compared) from an output key ``nodeid|detail``."""
    nodeid, _, detail = key.partition("|")
    params = nodeid.split("[", 1)[-1].rstrip("]")
    return params, detail


def render(summary: dict, sweep_plan: Plan) -> str:
    """sweep.md: the levels, what each lowers, the facts that show it took effect, and every change."""
    lines = ["# CPU-dispatch sweep", "", "## Levels run", "",
             "| level | knobs | backends | lowers | torch CPU capability | oneDNN ISA | NumPy SIMD |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for level in sweep_plan.runnable:
        facts = summary["facts"].get(level.name, {})
        knobs = " ".join(f"`{k}={v}`" for k, v in level.env.items()) or "(none)"
        lines.append(
            f"| {level.name} | {knobs} | {', '.join(level.backends)} | {level.lowers} | "
            f"{facts.get('torch.cpu_capability', '?')} | {facts.get('torch.onednn_isa', '?')} | "
            f"{facts.get('numpy.simd', '?')} |"
        )
    if sweep_plan.not_runnable:
        lines += ["", "## Levels this machine could not run", ""]
        lines += [f"- **{level.name}** ({' '.join(f'{k}={v}' for k, v in level.env.items())}): {why}"
                  for level, why in sweep_plan.not_runnable]  # fmt: skip
    changes = summary["changes"]
    lines += ["", f"## Outputs whose bits depend on the level ({len(changes)})", ""]
    if not changes:
        lines.append("_every saved output is bit-for-bit the same at every level_")
    else:
        lines += ["| check | compared | level: max ULP from the default level (and elements whose NaN, inf, zero "
                  "sign or NaN bits changed) |",
                  "|---|---|---|"]  # fmt: skip
        for key, by_level in sorted(changes.items()):
            cell, detail = _entry_of(key)
            parts = []
            for name, diff in by_level.items():
                extra = [f"{diff[k]} {LABELS[k]}" for k in LABELS if diff.get(k)]
                parts.append(f"{name}: {diff['max_ulp']:.6g}" + (f" ({', '.join(extra)})" if extra else ""))
            lines.append(f"| {cell} | {detail.rstrip(':') or 'output'} | {'; '.join(parts)} |")
    merged = summary.get("merged")
    if merged:
        from parity.across import render_differences

        lines += ["", *render_differences(merged)]
    return "\n".join(lines) + "\n"
