"""The benchmark ladder: catalog entry x backend x device x dtype x size, plus the copy-bandwidth probe
and the workloads people quote ("numba is 100x faster on exp", "the GPU wins at 1024^2").

Run: ``pytest tests/suite/bench_ladder.py --benchmark-only [--ladder full]`` in the source checkout, or
this file by its path anywhere (``parity run`` runs it and folds the timings into its report; it is not named
``test_*`` so that a check run of the installed suite does not collect it).  Every timed function
synchronises the device before it returns; validation, host-to-device copies (except in the ``transfer``
variant) and the first call (numba's compilation, CUDA context creation, cuDNN autotuning) happen before
timing, and the first call's time is kept in ``extra_info["first_call_s"]``.  Groups are "entry size
dtype", so that backends line up in pytest-benchmark's tables; ``extra_info`` carries the fields the
report reads.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

pytest.importorskip("pytest_benchmark")
pytestmark = pytest.mark.bench

from impls import backend_class  # noqa: E402
from parity.checks import _to_backend  # noqa: E402
from parity.inputs import round_to  # noqa: E402
from parity.ladder import DTYPES, ladder_rungs  # noqa: E402
from parity.pytest_plugin import GPU_DEVICES, SELECTION  # noqa: E402
from reference import CATALOG, loops  # noqa: E402
from reference.floats import to_numpy_dtype  # noqa: E402

# simulators measure Python, not the hardware they stand in for
SIMULATED_DEVICES = {"emulated", "cudasim"}


def _targets(config):
    """(backend, device) pairs of the run's selection (or only ``--bench-backend``'s), simulators left out."""
    selection = config.stash[SELECTION]
    only = config.getoption("--bench-backend")
    pairs = []
    for name in selection.backends:
        cls = backend_class(name)
        if only is not None and only not in (name, cls.name):
            continue
        for device in cls.devices:
            if device not in SIMULATED_DEVICES and (selection.devices is None or device in selection.devices):
                pairs.append((cls.name, device))  # one name for a backend however it was loaded
    return pairs


def _device_mark(device):
    return pytest.mark.gpu if device in GPU_DEVICES else pytest.mark.cpu


def pytest_generate_tests(metafunc):
    config = metafunc.config
    if "rung" in metafunc.fixturenames:
        params = []
        ladder = config.getoption("--ladder")
        for rung in ladder_rungs(ladder):
            for name, device in _targets(config):
                variants = ("resident", "transfer") if device in GPU_DEVICES else ("resident",)
                for dtype in DTYPES:
                    for variant in variants:
                        params.append(
                            pytest.param(
                                rung,
                                name,
                                device,
                                dtype,
                                variant,
                                id=f"{rung.entry}-{rung.label}-{name}-{device}-{dtype}-{variant}",
                                marks=_device_mark(device),
                            )
                        )
        metafunc.parametrize(("rung", "name", "device", "dtype", "variant"), params)
    elif "target" in metafunc.fixturenames:
        pairs = _targets(config)
        metafunc.parametrize(
            "target",
            [pytest.param(p, id=f"{p[0]}-{p[1]}", marks=_device_mark(p[1])) for p in pairs],
        )


def _usable(parity_backends, name, device, dtype="float64", entry=None):
    backend = parity_backends.get(name)
    problem = backend.device_problem(device)
    if problem:
        pytest.skip(problem)
    if dtype not in backend.dtypes:
        pytest.skip(f"{name} has no {dtype}")
    if entry and backend.unsupported_reason(entry):
        pytest.skip(f"{name} does not support {entry}: {backend.unsupported_reason(entry)}")
    return backend


def _run_timed(benchmark, timed, **info):
    """Time ``timed`` after one untimed first call, whose duration is recorded apart (with the process, so that a
    report can show which timings shared one)."""
    start = time.perf_counter()
    timed()
    benchmark.extra_info.update(info, first_call_s=time.perf_counter() - start, process=os.getpid())
    benchmark(timed)


def test_ladder(benchmark, parity_backends, rung, name, device, dtype, variant):
    backend = _usable(parity_backends, name, device, dtype, rung.entry)
    host = [  # the host arrays a NumPy caller would hold (bfloat16 as ml_dtypes'), for the transfer variant
        None if x is None else to_numpy_dtype(x, dtype) if x.dtype.kind == "f" else x
        for x in round_to(rung.inputs(), dtype)
    ]
    arrays = _to_backend(backend, host, dtype, device)
    run = backend.prepare(rung.entry, arrays, rung.params)

    if variant == "resident":

        def timed():
            out = run()
            backend.wait(out, device)
            return out

    else:  # host -> device, the op, device -> host: what a NumPy caller pays for one call on the GPU

        def timed():
            moved = _to_backend(backend, host, dtype, device)
            out = backend.prepare(rung.entry, moved, rung.params)()
            return backend.to_numpy(out)

    benchmark.group = f"{rung.entry} {rung.label} {dtype}"
    category = CATALOG[rung.entry].category
    _run_timed(
        benchmark,
        timed,
        kind="ladder",
        entry=rung.entry,
        category=category,
        size=rung.size,
        axis=rung.axis,
        backend=name,
        device=device,
        dtype=dtype,
        variant=variant,
        bytes=rung.bytes_moved(dtype) if category in ("unary", "binary", "reduction") else None,
    )


def test_copy_bandwidth(benchmark, parity_backends, request, target):
    """The memory-bandwidth probe, STREAM's "scale" kernel: ``x * 1`` over a large float64 array reads and
    writes every element once.  The report takes the best backend on each device as that device's roofline
    for elementwise ops."""
    name, device = target
    backend = _usable(parity_backends, name, device, "float64", "mul")
    n = 2**24 if request.config.getoption("--ladder") == "quick" else 2**27  # 128 MiB / 1 GiB per array
    one = backend.asarray(np.ones(1), "float64", device)
    run = backend.prepare("mul", [backend.asarray(np.ones(n), "float64", device), one])

    def timed():
        backend.wait(run(), device)

    benchmark.group = "copy bandwidth (x * 1, float64)"
    _run_timed(
        benchmark,
        timed,
        kind="bandwidth",
        backend=name,
        device=device,
        dtype="float64",
        bytes=2 * 8 * n,
        device_name=backend.device_name(device),
    )


# ------------------------------------------------------------------ the quoted workloads
def _elementwise_10k(op):
    def make(quick):
        side = 2000 if quick else 10_000
        return CATALOG[op].domain, ((side, side),), {"axis": None} if op == "logsumexp" else {}, f"{side}x{side}"

    return make


WORKLOAD_OPS = {
    "exp": ("float64", _elementwise_10k("exp")),
    "log": ("float64", _elementwise_10k("log")),
    "erf": ("float64", _elementwise_10k("erf")),
    "logsumexp": ("float64", _elementwise_10k("logsumexp")),
    "matmul": ("float32", lambda quick: ("real", ((1024, 1024), (1024, 1024)), {}, "1024x1024")),
}


@pytest.mark.parametrize("op", list(WORKLOAD_OPS))
def test_workload_op(benchmark, parity_backends, request, target, op):
    """exp, log, erf and logsumexp on 10000 x 10000 float64 (2000 x 2000 on the quick ladder); 1024^2 float32 matmul."""
    from parity.inputs import sample, stable_seed

    name, device = target
    dtype, make = WORKLOAD_OPS[op]
    backend = _usable(parity_backends, name, device, dtype, op)
    domain, shapes, params, label = make(request.config.getoption("--ladder") == "quick")
    host = round_to(sample(domain, shapes, stable_seed("workload", op)), dtype)
    run = backend.prepare(op, _to_backend(backend, host, dtype, device), params)

    def timed():
        backend.wait(run(), device)

    benchmark.group = f"workload: {op} {label} {dtype}"
    _run_timed(benchmark, timed, kind="workload", entry=op, backend=name, device=device, dtype=dtype, size=label)


def test_workload_hundred_small_matmuls(benchmark, parity_backends, target):
    """100 x 100 float64 matmul, 100 times in a row: per-call overhead, where GPUs and JITs lose."""
    name, device = target
    backend = _usable(parity_backends, name, device, "float64", "matmul")
    a = backend.asarray(np.random.default_rng(5).standard_normal((100, 100)), "float64", device)
    run = backend.prepare("matmul", [a, a])

    def timed():
        for _ in range(100):
            out = run()
        backend.wait(out, device)  # the calls are queued in order: the last one done means all are

    benchmark.group = "workload: 100 x matmul 100x100 float64"
    _run_timed(benchmark, timed, kind="workload", entry="matmul x100", backend=name, device=device, dtype="float64")


@pytest.mark.parametrize("loop", ["poly", "linreg-large"])
def test_workload_training_loop(benchmark, parity_backends, request, target, loop):
    """The poly loop (200,000 steps; 20,000 on the quick ladder) and the N = 10,000,000 regression
    (full ladder only), manual gradients, float64: the whole loop is the timed function."""
    name, device = target
    backend = _usable(parity_backends, name, device, "float64", loop)
    quick = request.config.getoption("--ladder") == "quick"
    if loop == "linreg-large" and quick:
        pytest.skip("the N = 10,000,000 regression runs on the full ladder only (about a minute per backend)")
    kwargs = {"device": device, "dtype": "float64", "grad": "manual"}
    if loop == "poly":
        kwargs["steps"] = 20_000 if quick else loops.POLY_STEPS
    result = {}

    def timed():
        result["run"] = loops.LOOPS[loop](backend, **kwargs)

    benchmark.group = f"workload: {loop} loop float64"
    rounds = 1 if loop == "linreg-large" else 3
    start = time.perf_counter()
    timed()
    benchmark.extra_info.update(
        kind="workload",
        entry=loop,
        backend=name,
        device=device,
        dtype="float64",
        first_call_s=time.perf_counter() - start,
    )
    benchmark.pedantic(timed, rounds=rounds, iterations=1)
    benchmark.extra_info.update(steps=result["run"].steps, final_loss=float(result["run"].final_loss))
