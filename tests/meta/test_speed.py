"""The report's speed arithmetic on hand-made benchmark records (numbers chosen so the answers are exact)."""

import math

import pytest

from parity.plots import crossovers
from parity.speed import bandwidth_fractions, copy_bandwidth, render_speed, speed_ratios, workload_rows


def _ladder(backend, size, median, *, device="cpu", variant="resident", nbytes=None):
    return {
        "kind": "ladder",
        "entry": "exp",
        "category": "unary",
        "axis": "elements",
        "size": size,
        "backend": backend,
        "device": device,
        "dtype": "float32",
        "variant": variant,
        "bytes": nbytes,
        "median_s": median,
        "group": f"exp {size}",
    }


BENCHMARKS = [
    _ladder("numpy", 100, 1e-6),
    _ladder("numpy", 10_000, 4e-3, nbytes=80_000),
    _ladder("torch", 100, 5e-6),
    _ladder("torch", 10_000, 1e-3, nbytes=80_000),
    _ladder("torch", 10_000, 8e-3, device="cuda", variant="transfer", nbytes=80_000),
    {"kind": "bandwidth", "backend": "numpy", "device": "cpu", "bytes": 1_000_000, "median_s": 1e-4, "group": "bw"},
    {"kind": "bandwidth", "backend": "torch", "device": "cpu", "bytes": 1_000_000, "median_s": 2e-4, "group": "bw"},
    {"kind": "workload", "backend": "numpy", "device": "cpu", "dtype": "float64", "median_s": 2.0, "group": "w"},
    {"kind": "workload", "backend": "numba", "device": "cpu", "dtype": "float64", "median_s": 0.5, "group": "w"},
]


def test_ratios_are_read_at_the_largest_size_against_numpy_at_the_same_dtype():
    ratios = speed_ratios(BENCHMARKS)
    assert ratios[("exp", "numpy/cpu/float32")] == 1.0
    assert ratios[("exp", "torch/cpu/float32")] == pytest.approx(0.25)
    assert ratios[("exp", "torch/cuda/float32+transfer")] == pytest.approx(2.0)
    assert len(ratios) == 3  # the 100-element rung is not where ratios are read


def test_bandwidth_uses_the_best_probe_per_device_and_resident_timings_only():
    assert copy_bandwidth(BENCHMARKS) == {"cpu": pytest.approx(1e10)}
    fractions = bandwidth_fractions(BENCHMARKS)
    achieved, fraction = fractions[("exp", "torch/cpu/float32")]
    assert achieved == pytest.approx(8e7) and fraction == pytest.approx(0.008)
    assert ("exp", "torch/cuda/float32+transfer") not in fractions


def test_workloads_get_their_ratio_within_the_group():
    ratios = {r["backend"]: r["vs_numpy"] for r in workload_rows(BENCHMARKS)}
    assert ratios == {"numpy": 1.0, "numba": 0.25}


def test_the_markdown_shows_the_ratios():
    text = "\n".join(render_speed(BENCHMARKS))
    assert "| exp (elements=10000) | 1.00x | 0.25x | 2.00x |" in text
    assert "cpu 10.0 GB/s" in text


def test_crossover_is_interpolated_on_log_log_axes():
    # ratio 2 at 100 and 1/2 at 1000: log-ratio crosses zero halfway in log size, at sqrt(100 * 1000)
    assert crossovers([(100, 2.0), (1000, 0.5)]) == [pytest.approx(math.sqrt(1e5))]
    assert crossovers([(100, 2.0), (1000, 1.5)]) == []
    assert crossovers([(100, 0.5), (1000, 0.4), (10_000, 3.0)]) == [
        pytest.approx(1000 * 10 ** (math.log(2.5) / math.log(7.5)))
    ]


def test_half_types_are_timed_against_float32_of_the_same_backend():
    from parity.speed import half_ratios

    def rec(dtype, size, median):
        return {**_ladder("torch", size, median), "dtype": dtype}

    records = [rec("float32", 100, 1.0), rec("float16", 100, 9.0), rec("float32", 10_000, 2.0),
               rec("float16", 10_000, 6.0), rec("bfloat16", 10_000, 1.0)]  # fmt: skip
    ratios = half_ratios(records)
    assert ratios == {("exp", "torch/cpu/float16"): 3.0, ("exp", "torch/cpu/bfloat16"): 0.5}  # the largest size
    assert any("half types against float32" in line for line in render_speed(records))
