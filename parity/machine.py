"""Facts about the machine a run is on: what decides which kernels the libraries dispatch to.

``machine_facts()`` gathers them without importing any framework: CPU model and the instruction-set
flags that matter, NumPy's SIMD baseline and dispatch targets, its BLAS, thread counts, the dispatch
knobs set in the environment (``ATEN_CPU_CAPABILITY``, ``ONEDNN_MAX_CPU_ISA``, ``NPY_DISABLE_CPU_FEATURES``,
...), every library's version, and the GPUs ``nvidia-smi`` sees.  A loaded backend adds its own
(``Backend.facts()``: torch's CPU capability and oneDNN ISA, CUDA versions, compute capability).

Declarations (:mod:`impls.declare`) are conditioned on these names; reports print them at the top.
Values are plain JSON types; an unknown fact is None (never guessed).
"""

from __future__ import annotations

import functools
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

# CPU flags (Linux /proc/cpuinfo names) that change which SIMD path a library takes.
SIMD_FLAGS = (
    "sse4_1", "sse4_2", "avx", "f16c", "fma", "avx2", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl",
    "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx512ifma", "avx512vbmi", "amx_tile", "amx_bf16", "avx_vnni",
    "asimd", "sve", "sve2",
)  # fmt: skip

# Environment variables that lower (or pin) a library's CPU dispatch or its threading.
DISPATCH_KNOBS = (
    "ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "NPY_DISABLE_CPU_FEATURES",
    "NPY_ENABLE_CPU_FEATURES", "MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR", "OPENBLAS_CORETYPE", "NUMBA_CPU_NAME",
    "NUMBA_CPU_FEATURES", "NUMBA_ENABLE_CUDASIM", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
)  # fmt: skip

LIBRARIES = (
    "numpy", "torch", "numba", "llvmlite", "numexpr", "cupy-cuda12x", "cupy-cuda13x", "jax", "jaxlib", "scipy",
    "mpmath", "hypothesis", "pytest", "parity",
)  # fmt: skip

GPU_FACTS = ("gpu.name", "gpu.count", "gpu.driver", "gpu.compute_capability")

# Every fact a declaration may name besides ``LIB.version`` and a backend's ``provides_facts``.
FACT_NAMES = (
    "cpu.model", "cpu.vendor", "cpu.arch", "cpu.flags", "cpu.cores", "os", "python.version",
    "numpy.simd", "numpy.simd_baseline", "numpy.simd_found", "numpy.simd_not_found", "numpy.blas",
    "numpy.blas_version", "blas.threads", *GPU_FACTS,
    *(f"env.{knob}" for knob in DISPATCH_KNOBS),
)  # fmt: skip


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _cpu_facts() -> dict[str, Any]:
    info = _cpuinfo()
    flags = set((info.get("flags") or info.get("Features") or "").split())
    return {
        "cpu.model": info.get("model name") or platform.processor() or platform.machine(),
        "cpu.vendor": info.get("vendor_id") or info.get("CPU implementer"),
        "cpu.arch": platform.machine(),
        "cpu.flags": [flag for flag in SIMD_FLAGS if flag in flags] if flags else None,
        "cpu.cores": os.cpu_count(),
    }


def _numpy_facts() -> dict[str, Any]:
    """NumPy's SIMD dispatch as ``np.show_runtime()`` reports it, and its BLAS."""
    import numpy as np

    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # NumPy 1.x
        from numpy.core import _multiarray_umath as umath
    features = umath.__cpu_features__
    dispatch = list(umath.__cpu_dispatch__)
    found = [name for name in dispatch if features.get(name)]
    baseline = list(umath.__cpu_baseline__)
    facts = {
        "numpy.simd_baseline": baseline,
        "numpy.simd_found": found,
        "numpy.simd_not_found": [name for name in dispatch if not features.get(name)],
        # the best enabled dispatch target (the last found one: NumPy lists them in ascending order)
        "numpy.simd": found[-1] if found else (baseline[-1] if baseline else None),
        "numpy.blas": None,
        "numpy.blas_version": None,
    }
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        facts["numpy.blas"], facts["numpy.blas_version"] = blas.get("name"), blas.get("version")
    except Exception:  # noqa: BLE001 - a NumPy without the dict form: unknown, not a crash
        pass
    return facts


def _blas_threads() -> int | None:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [pool["num_threads"] for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return max(counts) if counts else None


@functools.cache
def _nvidia_smi() -> dict[str, Any]:
    """GPU name, count, driver and compute capability from nvidia-smi (no framework import)."""
    empty = {"gpu.name": None, "gpu.count": 0, "gpu.driver": None, "gpu.compute_capability": None}
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return empty
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,driver_version,compute_cap", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return {**empty, "gpu.count": None}
    rows = [[part.strip() for part in line.split(",")] for line in out.strip().splitlines() if line.strip()]
    if not rows:
        return empty
    name, driver, capability = (rows[0] + [None, None, None])[:3]
    return {"gpu.name": name, "gpu.count": len(rows), "gpu.driver": driver, "gpu.compute_capability": capability}


def library_version(name: str) -> str | None:
    """The installed version of distribution ``name`` (no import), or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


class Facts(Mapping[str, Any]):
    """Facts by name; values given as zero-argument callables are computed on first use and kept.
    ``LIB.version`` resolves for any installed distribution, listed or not."""

    def __init__(self, values: Mapping[str, Any] | None = None):
        self._values: dict[str, Any] = dict(values or {})

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            if name.endswith(".version"):
                self._values[name] = library_version(name.removesuffix(".version"))
            else:
                raise KeyError(name)
        value = self._values[name]
        if callable(value):
            try:
                value = value()
            except Exception:  # noqa: BLE001 - a probe that fails leaves the fact unknown
                value = None
            self._values[name] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get(self, name: str, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def with_(self, more: Mapping[str, Any | Callable[[], Any]]) -> Facts:
        """A new Facts with ``more`` added (a backend's facts on top of the machine's)."""
        return Facts({**self._values, **more})

    def resolved(self) -> dict[str, Any]:
        """Every fact computed: a plain dict for JSON."""
        return {name: self[name] for name in sorted(self._values)}


@functools.cache
def _static_facts() -> dict[str, Any]:
    facts: dict[str, Any] = {"os": platform.platform(), "python.version": platform.python_version()}
    facts.update(_cpu_facts())
    facts.update({f"{lib}.version": library_version(lib) for lib in LIBRARIES})
    facts.update(_numpy_facts())
    return facts


def machine_facts() -> Facts:
    """The machine's facts (environment knobs read now; GPU and BLAS threads when first asked for)."""
    return Facts(
        {
            **_static_facts(),
            **{f"env.{knob}": os.environ.get(knob) for knob in DISPATCH_KNOBS},
            "blas.threads": _blas_threads,
            **{name: functools.partial(lambda n: _nvidia_smi()[n], name) for name in GPU_FACTS},
        }
    )


def describe(facts: Mapping[str, Any]) -> str:
    """One line for a terminal header: CPU, its SIMD flags, NumPy's dispatch and the knobs that are set."""
    flags = facts.get("cpu.flags") or []
    wide = [f for f in flags if re.match(r"avx|amx|fma|sve|asimd", f)]
    knobs = [f"{k.removeprefix('env.')}={v}" for k, v in facts.items() if k.startswith("env.") and v]
    parts = [f"{facts.get('cpu.model')} ({facts.get('cpu.cores')} cores; {' '.join(wide) or 'no AVX'})",
             f"numpy simd {facts.get('numpy.simd')}"]  # fmt: skip
    for name in ("torch.cpu_capability", "torch.onednn_isa"):
        if facts.get(name) is not None:
            parts.append(f"{name} {facts.get(name)}")
    return "; ".join(parts + knobs)


def run_facts(backend_names) -> dict[str, Any]:
    """This machine's facts and those of every backend in ``backend_names`` that loads, resolved (for the
    report), with what each accumulates the half types' sums in (measured, ``parity.accumulation``) and the
    dtypes it lacks with the reason.  Backends that cannot load are left out; their cells say why."""
    from impls import BackendUnavailable, load_backend
    from parity.accumulation import accumulation_facts

    facts = machine_facts()
    for name in backend_names:
        try:
            backend = load_backend(name)
        except (BackendUnavailable, ImportError, ValueError, TypeError, AttributeError):
            continue
        dtype_gaps = {f"{backend.name}.lacks.{dtype}": why for dtype, why in backend.unsupported_dtypes.items()}
        facts = facts.with_({**backend.facts(), **accumulation_facts(backend), **dtype_gaps})
    return facts.resolved()
