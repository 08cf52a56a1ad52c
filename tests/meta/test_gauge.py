"""Outputs unique only up to a sign (reference.spec.OpSpec.gauge): a backend whose singular vectors differ from the
reference's by signs passes every check, a wrong singular vector or a wrong gradient fails."""

from dataclasses import replace

import numpy as np
import pytest

from parity.checks import Cell, compare_forward
from parity.compare import Mismatch
from parity.inputs import sample
from reference import get_spec, linalg
from tests.meta import planted
from tests.meta.test_planted_bugs import mismatches


@pytest.mark.parametrize("check", ["forward", "vjp", "special"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_singular_vectors_with_other_signs_pass_every_check(check, dtype):
    assert mismatches(planted.SvdUFlipsSigns(), check, dtype) == []


def test_without_the_gauge_the_same_sign_flips_fail():
    """What makes the flipped signs pass is the gauge: the same comparison without it fails."""
    spec = replace(get_spec("svd_u"), gauge=None)
    (a,) = sample(spec.domain, spec.cases[0].shapes, 0)
    backend = planted.SvdUFlipsSigns()
    with pytest.raises(Mismatch):
        compare_forward(backend, spec, (a,), {}, dtype="float64", device="cpu",
                        context=Cell("forward", "svd_u", backend.name).context())  # fmt: skip


def test_a_wrong_singular_vector_fails_on_every_case():
    assert len(mismatches(planted.SvdUMixesVectors(), "forward")) == len(get_spec("svd_u").cases)


def test_a_gradient_missing_the_tall_matrix_term_fails_only_where_m_exceeds_n():
    spec = get_spec("svd_u")
    tall = {i for i, case in enumerate(spec.cases) if case.shapes[0][-2] > case.shapes[0][-1]}
    found = mismatches(planted.SvdUVjpWithoutProjection(), "vjp")
    assert tall and {i for i in range(len(spec.cases)) if any(f"--case {i} " in str(e) for e in found)} == tall


@pytest.mark.parametrize(
    ("entry", "a"),
    [("svd_u", np.eye(3)[:, :2] * 2.0), ("svd_vh", np.diag([3.0, 3.0, 1.0])), ("eigh_vectors", np.diag([2.0, 2.0]))],
)
def test_the_gradient_at_repeated_values_is_refused(entry, a):
    """Singular vectors and eigenvectors are not differentiable where their values repeat: the reference says so
    (torch returns inf or NaN)."""
    spec = get_spec(entry)
    g = np.ones_like(spec.forward(a))
    with pytest.raises(ValueError, match=r"undefined at repeated"):
        spec.vjp(g, a)


def test_canonical_forms_are_fixed_points_of_the_gauges():
    for entry in ("svd_u", "svd_vh", "eigh_vectors", "qr_q", "qr_r"):
        spec = get_spec(entry)
        (a,) = sample(spec.domain, spec.cases[0].shapes, 1)
        canonical = spec.canonical_forward(a)
        np.testing.assert_array_equal(spec.gauge_of(canonical, (a,), {}), np.ones_like(canonical))
    q, r = get_spec("qr_q").canonical_forward(a), get_spec("qr_r").canonical_forward(a)
    np.testing.assert_allclose(q @ r, a, atol=1e-12)  # the canonical factors still multiply to a
    assert np.all(np.diagonal(r, axis1=-2, axis2=-1) > 0) and linalg.qr_r(a).shape == r.shape


def test_signs_flipped_in_one_factor_only_break_the_invariant_check():
    """The per-entry gauge accepts U with other signs; the invariant U diag(s) Vh = a (tests/suite/test_contract.py)
    is what notices that this backend's U and Vh do not belong together."""
    from tests.suite.test_contract import FACTORISATIONS

    entries, assemble, domain, shape = FACTORISATIONS["svd"]
    (a,) = sample(domain, (shape,), 7)
    backend = planted.SvdUFlipsSigns()
    factors = [backend.to_numpy(backend.run(e, [backend.asarray(a, "float64", "cpu")])) for e in entries]
    assert not np.allclose(assemble(*factors), a)
    np.testing.assert_allclose(assemble(*(get_spec(e).forward(a) for e in entries)), a, atol=1e-12)
