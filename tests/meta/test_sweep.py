"""The CPU-dispatch sweep's plan (which levels a CPU can run, and why not) and its bit comparison."""

import numpy as np
import pytest

from parity.sweep import compare_outputs, plan

AMD_AVX2 = {
    "cpu.arch": "x86_64",
    "cpu.flags": ["sse4_1", "sse4_2", "avx", "fma", "avx2"],
    "numpy.simd_baseline": ["X86_V2"],
    "numpy.simd_found": ["X86_V3"],
}
INTEL_AVX512 = {**AMD_AVX2, "cpu.flags": [*AMD_AVX2["cpu.flags"], "avx512f", "avx512bw", "avx512vl", "avx512dq"],
                "numpy.simd_found": ["X86_V3", "X86_V4"]}  # fmt: skip
EVERY = ("numpy", "autograd", "torch", "numba")


def test_an_avx2_cpu_runs_every_level_up_to_avx2_and_says_why_not_the_rest():
    p = plan(AMD_AVX2, EVERY)
    runnable = {level.name for level in p.runnable}
    assert {"default", "aten=default", "aten=avx2", "onednn=SSE41", "onednn=AVX2", "numpy=X86_V2", "lowest"} <= runnable
    why = {level.name: reason for level, reason in p.not_runnable}
    assert set(why) == {"aten=avx512", "onednn=AVX512_CORE", "openblas=SkylakeX"}
    assert "lacks avx512f, avx512bw, avx512vl, avx512dq" in why["aten=avx512"] and "SIGILL" in why["aten=avx512"]


def test_an_avx512_cpu_runs_them_all_and_numpy_steps_down_one_target_at_a_time():
    p = plan(INTEL_AVX512, EVERY)
    assert p.not_runnable == []
    numpy_levels = {
        level.name: level.env["NPY_DISABLE_CPU_FEATURES"] for level in p.runnable if level.name.startswith("numpy=")
    }
    assert numpy_levels == {"numpy=X86_V2": "X86_V3 X86_V4", "numpy=X86_V3": "X86_V4"}


def test_levels_select_only_installed_backends_and_other_cpus_are_refused():
    p = plan(AMD_AVX2, ("numpy",))
    assert all(set(level.backends) == {"numpy"} for level in p.runnable)
    assert any("none of torch is installed" in why for _, why in p.not_runnable)
    arm = plan({**AMD_AVX2, "cpu.arch": "aarch64"}, EVERY)
    assert [level.name for level in arm.runnable] == ["default"]
    with pytest.raises(ValueError, match="unknown level"):
        plan(AMD_AVX2, EVERY, only=["aten=avx1024"])


def test_outputs_are_compared_bit_for_bit_and_by_ulp():
    x = np.array([1.0, -0.0, np.nan, np.inf], dtype=np.float32)
    assert compare_outputs(x, x.copy()) is None
    y = x.copy()
    y[0] = np.nextafter(np.float32(1), np.float32(2))
    y[1] = 0.0
    y[3] = np.nan
    diff = compare_outputs(x, y)
    assert diff == {"max_ulp": 1.0, "nan_changed": 1, "inf_changed": 1, "zero_sign_changed": 1, "nan_bits_changed": 0}
    negative_nan = x.copy()
    negative_nan[2] = -np.nan
    assert compare_outputs(x, negative_nan) == {"max_ulp": 0.0, "nan_changed": 0, "inf_changed": 0,
                                                "zero_sign_changed": 0, "nan_bits_changed": 1}  # fmt: skip
    assert compare_outputs(x, x.astype(np.float64))["max_ulp"] == float("inf")
