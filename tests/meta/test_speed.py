"""The report's speed arithmetic on hand-made benchmark records (numbers chosen so the answers are exact)."""

import math

import pytest

from parity.plots import crossovers
from parity.speed import (
    OURS,
    bandwidth_fractions,
    copy_bandwidth,
    render_speed,
    render_verdict,
    speed_notes,
    speed_ratios,
    verdict_rows,
    workload_rows,
)


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


# ------------------------------------------------------------------ the verdict: our kernels against their peers
def _cell(backend, median, *, entry="sum", size=1000, dtype="float32", variant="resident", nbytes=None):
    return {
        **_ladder(backend, size, median, variant=variant, nbytes=nbytes),
        "entry": entry,
        "category": "reduction",
        "dtype": dtype,
    }


VERDICT = [
    _cell("numpy", 4e-3, nbytes=80_000),
    _cell("torch", 1e-3, nbytes=80_000),
    _cell("numba", 3e-3, nbytes=80_000),  # 3x torch, the faster peer, although faster than numpy
    _cell("numexpr", 5e-3, nbytes=80_000),  # 1.25x numpy: not slow
    _cell("autograd", 8e-3, nbytes=80_000),  # 2x numpy
    _cell("numba", 1e-2, size=10),  # a smaller rung: not where the verdict is read
    _cell("numpy", 1e-5, entry="max"),
    _cell("numba", 1e-4, entry="max"),  # 10x, but the peer takes 10 us: not counted
    {"kind": "bandwidth", "backend": "numpy", "device": "cpu", "bytes": 1_000_000, "median_s": 1e-4, "group": "bw"},
]
NOTES = {"autograd": {"sum": "measured: 2x numpy because of a planted copy"}, "numba": {}, "numexpr": {}}


def test_the_verdict_compares_each_cell_with_its_fastest_peer():
    rows = {(r["entry"], r["backend"]): r for r in verdict_rows(VERDICT, NOTES)}
    assert set(rows) == {("sum", "numba"), ("sum", "numexpr"), ("sum", "autograd"), ("max", "numba")}
    numba = rows[("sum", "numba")]
    assert (numba["peer"], numba["peer_s"], numba["ratio"]) == ("torch", 1e-3, pytest.approx(3.0))
    assert numba["counted"] and numba["slow"] and numba["reason"] is None
    assert numba["bandwidth_fraction"] == pytest.approx(80_000 / 3e-3 / 1e10)
    assert (rows[("sum", "numexpr")]["peer"], rows[("sum", "numexpr")]["slow"]) == ("numpy", False)
    assert rows[("sum", "autograd")]["reason"] == NOTES["autograd"]["sum"]
    small = rows[("max", "numba")]
    assert small["ratio"] == pytest.approx(10.0) and not small["counted"] and not small["slow"]


def test_the_verdict_ignores_transfer_timings_and_cells_without_a_peer():
    records = [_cell("numpy", 1e-3), _cell("numba", 9e-3, variant="transfer"), _cell("autograd", 1e-3, dtype="float64")]
    assert verdict_rows(records, NOTES) == []


def test_the_verdict_lists_each_slow_cell_with_its_reason_or_says_it_has_none():
    text = "\n".join(render_verdict(verdict_rows(VERDICT, NOTES)))
    assert "3 of 4 cells; **2 more than 1.5x slower than their peer**" in text
    assert "| sum float32 | numba | 3.00x | torch 1 ms | **no measured reason recorded** |" in text
    assert "| sum float32 | autograd | 2.00x | numpy 4 ms | measured: 2x numpy because of a planted copy |" in text
    assert "| sum | **3.00x** (0% bw) | 1.25x (0% bw) | **2.00x** (0% bw) |" in text
    assert "| max | 10x* | – | – |" in text
    assert render_verdict([]) == []


@pytest.mark.parametrize("backend", list(OURS))
def test_speed_notes_name_real_entries_the_backend_runs_with_measured_numbers(backend):
    from impls import backend_class
    from reference import CATALOG

    cls = backend_class(backend)
    notes = speed_notes(backend)
    assert notes == dict(getattr(cls, "speed_notes", {}))
    for entry, reason in notes.items():
        assert entry in CATALOG, f"{backend}.speed_notes names {entry!r}, which is not a catalog entry"
        assert entry not in cls.unsupported, f"{backend}.speed_notes explains {entry!r}, which it does not run"
        assert any(ch.isdigit() for ch in reason), f"{backend}.speed_notes[{entry!r}] has no measured number"


def test_half_types_are_timed_against_float32_of_the_same_backend():
    from parity.speed import half_ratios

    def rec(dtype, size, median):
        return {**_ladder("torch", size, median), "dtype": dtype}

    records = [rec("float32", 100, 1.0), rec("float16", 100, 9.0), rec("float32", 10_000, 2.0),
               rec("float16", 10_000, 6.0), rec("bfloat16", 10_000, 1.0)]  # fmt: skip
    ratios = half_ratios(records)
    assert ratios == {("exp", "torch/cpu/float16"): 3.0, ("exp", "torch/cpu/bfloat16"): 0.5}  # the largest size
    assert any("half types against float32" in line for line in render_speed(records))
