"""Numba and NumPy side by side: the compiled poly loop, elementwise kernels on 10,000,000 float64,
matmul at 1024^2 float32, and compile time (first call) kept apart from steady-state timing."""

import math
import time

import numpy as np
import pytest

from impls import BackendUnavailable, load_backend
from reference import loops

numba = pytest.importorskip("numba")


@pytest.fixture(scope="module")
def backends():
    try:
        return load_backend("numpy"), load_backend("numba")
    except BackendUnavailable as error:
        pytest.skip(str(error))


@pytest.mark.parametrize("name", ["numpy", "numba"])
def test_poly_loop_200k_steps(benchmark, backends, name):
    benchmark.group = "poly loop, 200,000 steps, float64"
    backend = dict(zip(("numpy", "numba"), backends))[name]
    result = benchmark.pedantic(lambda: loops.poly(backend), rounds=3, iterations=1, warmup_rounds=1)
    assert result.steps == 200_000


X = np.random.default_rng(0).standard_normal(10_000_000)
ELEMENTWISE = {
    "exp": np.exp,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "mul": lambda x: x * x,
}
POSITIVE = np.abs(X)  # the input of log and log1p, for both


@pytest.mark.parametrize("op", list(ELEMENTWISE))
@pytest.mark.parametrize("name", ["numpy", "numba"])
def test_elementwise_10m_float64(benchmark, backends, name, op):
    benchmark.group = f"{op} on 10,000,000 float64"
    data = POSITIVE if op.startswith("log") else X
    if name == "numpy":
        benchmark(ELEMENTWISE[op], data)
        return
    from impls.numba import elementwise as E

    if op == "mul":
        benchmark(E.mul, data, data)
    else:  # what the backend runs: the parallel loop on large contiguous arrays
        benchmark(E.apply_unary, op, data, ())


A = np.random.default_rng(1).random((1024, 1024), dtype=np.float32)
B = np.random.default_rng(2).random((1024, 1024), dtype=np.float32)


@pytest.mark.parametrize("name", ["numpy", "numba"])
def test_matmul_1024_float32(benchmark, name):
    benchmark.group = "matmul 1024x1024 float32"
    if name == "numpy":
        benchmark(np.matmul, A, B)
        return
    from impls.numba import matmul

    benchmark.pedantic(matmul.matmul2d, args=(A, B), rounds=10, iterations=1, warmup_rounds=1)


def test_compile_time_is_recorded_apart(benchmark):
    """First-call cost of a fresh (uncached) kernel, recorded in extra_info; steady state is the benchmark."""
    source = """
def f(x):
    total = 0.0
    for v in x:
        total += math.exp(v)
    return total
"""
    namespace = {"math": math}
    exec(source, namespace)  # a new function object: nothing in numba's cache
    kernel = numba.njit(cache=False)(namespace["f"])
    x = np.ones(1000)
    start = time.perf_counter()
    kernel(x)
    benchmark.extra_info["compile_seconds"] = time.perf_counter() - start
    benchmark.group = "numba compile vs run"
    benchmark(kernel, x)
    assert benchmark.extra_info["compile_seconds"] > 0
