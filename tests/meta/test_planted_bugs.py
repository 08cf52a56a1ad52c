"""The harness must catch every planted bug, and say where (op, worst element, ULP)."""

import numpy as np
import pytest

from parity.checks import Cell, compare_vjp, run_check
from parity.compare import Mismatch
from parity.inputs import sample
from reference import get_spec
from tests.meta import planted


def mismatches(backend, check: str, dtype: str = "float64") -> list[Mismatch]:
    """Run every case (or special value) of the planted op's ``check``; collect the mismatches."""
    spec = get_spec(backend.op)
    variants = (
        [{"special": s.label} for s in spec.specials]
        if check == "special"
        else [{"case": i} for i in range(len(spec.cases))]
    )
    found = []
    for variant in variants:
        try:
            run_check(Cell(check, spec.name, backend.name, "cpu", dtype, **variant), backend)
        except Mismatch as error:
            found.append(error)
    return found


def test_sigmoid_vjp_off_by_two_is_caught_with_worst_element_and_ulp():
    (error, *_) = mismatches(planted.SigmoidVjpOffByTwo(), "vjp")
    text = str(error)
    assert "sigmoid [vjp] on planted-sigmoid-vjp/cpu/float64 (gradient with respect to x)" in text
    assert "worst element at index" in text and "max ULP distance" in text
    assert error.measurement.max_ulp > 1e10  # a factor of 2 is ~2**52 ulp in float64
    assert "reproduce: parity check sigmoid --check vjp --case 0" in text


def test_transposed_matmul_is_caught_on_every_case():
    assert len(mismatches(planted.TransposedMatmul(), "forward")) == len(get_spec("matmul").cases)


def test_naive_logsumexp_passes_ordinary_inputs_but_fails_large_logits():
    backend = planted.NaiveLogsumexp()
    assert mismatches(backend, "forward") == []  # inputs in [-3, 3]: indistinguishable
    failures = mismatches(backend, "special")
    assert any("inf positions" in str(e) for e in failures)


@pytest.mark.parametrize("dtype", ["float32"])
def test_float32_op_returning_float64_is_caught(dtype):
    failures = mismatches(planted.Float64Leak(), "forward", dtype)
    assert failures and all("dtype float64 differs from the expected float32" in str(e) for e in failures)


def test_softmax_vjp_right_only_for_ones_is_caught_by_random_cotangents_not_by_sum():
    backend = planted.SoftmaxVjpOnlyRightForOnes()
    spec = get_spec("softmax")
    (x,) = sample(spec.domain, spec.cases[0].shapes, seed=1)
    ones = np.ones(spec.forward(x).shape)
    cell = Cell("vjp", "softmax", backend.name, "cpu", "float64", case=0)
    # the gradient of softmax(x).sum() is zero, and the planted VJP gets that right:
    compare_vjp(backend, spec, (x,), {"axis": -1}, ones, dtype="float64", device="cpu", context=cell.context())
    assert len(mismatches(backend, "vjp")) == len(spec.cases)


def test_relu_gradient_at_the_kink_is_caught_only_by_the_special_value():
    backend = planted.ReluGradOneAtZero()
    assert mismatches(backend, "vjp") == []  # sampled away from 0
    (error,) = mismatches(backend, "special")
    assert "gradient with respect to x" in str(error)


def test_abs_of_negative_zero_is_caught_by_the_signed_zero_check():
    (error,) = mismatches(planted.AbsKeepsNegativeZero(), "special")
    assert "sign of zero differs" in str(error)


def test_max_dropping_nan_is_caught():
    failures = mismatches(planted.MaxIgnoresNan(), "special")
    assert any("NaN mask differs" in str(e) for e in failures)


def test_inv_gradient_without_transposes_is_caught_on_every_case_of_matrices_larger_than_1x1():
    """The sampled matrices are not symmetric, so -a^-1 g a^-1 differs from -a^-T g a^-T wherever n > 1."""
    cases = [i for i, case in enumerate(get_spec("inv").cases) if case.shapes[0][-1] > 1]
    found = mismatches(planted.InvVjpWithoutTransposes(), "vjp")
    caught = {i for i in cases if any(f"--case {i} " in str(error) for error in found)}
    assert len(cases) == 2 and caught == set(cases)


def test_det_gradient_vanishing_at_singular_matrices_is_caught_only_by_the_singular_special_value():
    backend = planted.DetGradientVanishesWhereSingular()
    assert mismatches(backend, "vjp") == []  # the sampled matrices are invertible: Jacobi's formula holds
    (failure,) = mismatches(backend, "special")
    assert "det [special]" in str(failure) and "gradient with respect to a" in str(failure)


@pytest.mark.parametrize("cls", planted.ALL, ids=lambda c: c.name)
def test_every_planted_bug_is_caught_by_some_check(cls):
    backend = cls()
    checks = ((c, dtype) for c in ("forward", "special", "vjp") for dtype in ("float32", "float64"))
    assert any(mismatches(backend, c, dtype) for c, dtype in checks), f"{cls.name} passed every check"


def test_float16_sum_accumulating_in_float16_is_caught_where_float32_is_promised():
    """The promise is what makes the difference: the same sums pass under float16's own accumulation bound and
    fail under the float32 bound the backend promised; the measured fact and the promise check say so too."""
    from parity.accumulation import measure, promise_problems

    planted_backend = planted.Float16SumAccumulatesInFloat16()
    promised = mismatches(planted_backend, "forward", "float16")
    assert promised, "a float16-accumulating sum passed the float32-accumulation bound it promised"
    assert all("sum [forward] on planted-float16-accumulation/cpu/float16" in str(e) for e in promised)

    class NoPromise(planted.Float16SumAccumulatesInFloat16):
        accumulates = {}

    assert mismatches(NoPromise(), "forward", "float16") == []  # within float16's own (pairwise) bound
    assert measure(planted_backend, "float16", "cpu")["sum"] == "float16"
    (problem, *_) = promise_problems(planted_backend, "float16", "cpu")
    assert "sum accumulated in float16, but the backend promises float32" in problem
