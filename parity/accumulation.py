"""Which type a backend accumulates half-precision sums in: measured, not assumed.

Three probes per dtype, each through the backend's own catalog ops on the dtype's arrays:

* ``sum``: a sum over the last (contiguous) axis; ``sum-rows``: the same over the first (strided) axis --
  NumPy reduces the two differently (pairwise in a float32 accumulator along a contiguous axis, row by row in
  the half type across rows); ``matmul``: inner products.
* Each sums two sequences whose exact totals the dtype holds: 2**(p+1) ones (p the dtype's precision: one by
  one in the half type the sum stops at 2**p, where adding 1 rounds back -- 2048 in float16, 256 in bfloat16)
  and 2**(p-1) repetitions of (1, d, d) with d = 2**-p (half an ulp of 1: every 1 + d rounds back to 1 in the
  half type, so the d's are lost wherever they meet a 1 -- in pairwise and blocked orders too -- while a float32
  accumulator keeps them: total 2**(p-1) + 1).

A probe that returns both exact totals accumulated in a wider type ("float32": float32 or wider, which these
sums cannot tell apart); one that loses either accumulated in the dtype.  A backend's promise
(``Backend.accumulates``) is what its tolerances assume; :func:`promise_problems` says where a measurement
breaks it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from reference.floats import FORMATS, HALF_DTYPES

PROBES = ("sum", "sum-rows", "matmul")
WIDER = "float32"


def probe_sequences(dtype: str) -> dict[str, np.ndarray]:
    """The two float64 sequences summed by every probe (exactly representable in ``dtype``)."""
    p = FORMATS[dtype].precision
    mixed = np.tile([1.0, 2.0**-p, 2.0**-p], 2 ** (p - 1))
    return {"ones": np.ones(2 ** (p + 1)), "mixed": mixed}


def _probe(backend, probe: str, values: np.ndarray, dtype: str, device: str) -> float:
    """The backend's sum of ``values`` in ``dtype`` by ``probe``, as a float."""
    if probe == "sum":
        inputs, op, params = [values], "sum", {"axis": -1}
    elif probe == "sum-rows":
        inputs, op, params = [np.stack([values, values], axis=1)], "sum", {"axis": 0}
    else:
        inputs, op, params = [values[None, :], np.ones((values.size, 1))], "matmul", {}
    arrays = [backend.asarray(x, dtype, device) for x in inputs]
    out = backend.run(op, arrays, params)
    backend.wait(out, device)
    return float(np.asarray(backend.to_numpy(out), dtype=np.float64).reshape(-1)[0])


def measure(backend, dtype: str, device: str) -> dict[str, str]:
    """For each probe the backend runs: ``"float32"`` (accumulated wider than ``dtype``) or ``dtype``."""
    found = {}
    for probe in PROBES:
        op = "matmul" if probe == "matmul" else "sum"
        if backend.unsupported_reason(op):
            continue
        exact = all(
            _probe(backend, probe, values, dtype, device) == float(np.sum(values))
            for values in probe_sequences(dtype).values()
        )
        found[probe] = WIDER if exact else dtype
    return found


def summarize(measured: Mapping[str, str], dtype: str) -> str:
    """One line for the report: ``float32`` when every probe accumulated wider, else which ones did not."""
    narrow = [probe for probe, acc in measured.items() if acc != WIDER]
    if not measured:
        return "not measured (no sum or matmul)"
    return WIDER if not narrow else f"{dtype} ({', '.join(narrow)})"


def fact_name(backend: str, device: str, dtype: str) -> str:
    return f"{backend}.{device}.accumulates.{dtype}"


def accumulation_facts(backend) -> dict:
    """Lazy facts (computed when a report or a condition asks): what ``backend`` accumulates each half type in,
    on each device it can use here."""
    facts = {}
    for device in backend.devices:
        if backend.device_problem(device):
            continue
        for dtype in HALF_DTYPES:
            if dtype in backend.dtypes:
                facts[fact_name(backend.name, device, dtype)] = lambda d=dtype, dev=device: summarize(
                    measure(backend, d, dev), d
                )
    return facts


def promise_problems(backend, dtype: str, device: str) -> list[str]:
    """Where the measurement contradicts what the backend promises to accumulate ``dtype`` in (empty: kept, or
    no promise)."""
    promised = backend.accumulator(dtype, device)
    if promised is None or promised == dtype:
        return []
    return [
        f"{backend.name}/{device}/{dtype}: {probe} accumulated in {dtype}, but the backend promises {promised} "
        f"(its tolerances hold it to the {promised}-accumulation bound)"
        for probe, measured in measure(backend, dtype, device).items()
        if measured != WIDER
    ]
