"""Hypothesis property tests: backends against the reference on generated inputs, and
mathematical properties of the reference itself.  The ``ci`` profile is derandomized."""

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from parity.strategies import op_inputs  # noqa: E402
from reference import CATALOG, reductions  # noqa: E402

LOGITS = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6), elements=st.floats(-1e4, 1e4)
)


@given(LOGITS, st.data())
def test_softmax_is_a_distribution_and_shift_invariant(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    p = reductions.softmax(x, axis=axis)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(np.sum(p, axis=axis), 1.0, rtol=1e-12)
    np.testing.assert_allclose(reductions.softmax(x + 123.0, axis=axis), p, rtol=1e-9, atol=1e-300)


@given(LOGITS)
def test_logsumexp_is_bounded_by_max_and_max_plus_log_n(x):
    lse = reductions.logsumexp(x)
    assert np.max(x) <= lse <= np.max(x) + np.log(x.size) + 1e-9 * abs(np.max(x))


@given(LOGITS, st.data())
def test_log_softmax_is_log_of_softmax(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    p = reductions.softmax(x, axis=axis)
    positive = p > 1e-300
    np.testing.assert_allclose(
        reductions.log_softmax(x, axis=axis)[positive], np.log(p[positive]), rtol=1e-9, atol=1e-9
    )


@given(hnp.arrays(np.float64, hnp.array_shapes(min_side=2), elements=st.floats(-1e3, 1e3)), st.floats(-1e3, 1e3))
def test_var_is_nonnegative_and_shift_invariant(x, shift):
    v = reductions.var(x, correction=1)
    assert v >= 0
    scale = np.mean(x * x) + shift * shift + 1.0
    np.testing.assert_allclose(reductions.var(x + shift, correction=1), v, atol=1e-10 * scale)


@pytest.mark.parametrize("name", [n for n, s in CATALOG.items() if s.has_gradient])  # ints, indices: no VJP
@given(data=st.data())
def test_reference_vjp_is_linear_in_the_cotangent(name, data):
    """vjp(a g1 + g2) = a vjp(g1) + vjp(g2): a VJP that depends non-linearly on g is wrong."""
    spec = CATALOG[name]
    inputs, params = data.draw(op_inputs(spec, "float64"), label="inputs, params")
    out = spec.forward(*inputs, **params)
    # |values| of 0 or >= 1e-100: a g1 + g2 is then rounded as a normal number (a subnormal g1 = 5e-324 times 1.5
    # rounds to 1e-323, a third off, which a VJP dividing by a subnormal x turns into a third of its result)
    normal = st.floats(-10, 10).filter(lambda v: v == 0 or abs(v) >= 1e-100)
    cotangents = hnp.arrays(np.float64, out.shape, elements=normal)
    g1, g2 = data.draw(cotangents, label="g1"), data.draw(cotangents, label="g2")
    a = data.draw(normal, label="a")
    combined = spec.vjp(np.asarray(a * g1 + g2), *inputs, **params)
    for c, v1, v2 in zip(combined, spec.vjp(g1, *inputs, **params), spec.vjp(g2, *inputs, **params)):
        # Linearity holds where the Jacobian is finite (at a pole 0 * inf is NaN by IEEE rules) and is checkable
        # where a v1 + v2 is representable (a gradient of 1e308 from a subnormal y, times a = 10, is not)
        with np.errstate(over="ignore", invalid="ignore"):  # a = 0 times an infinite v1 is NaN: masked below
            expected, magnitude = a * v1 + v2, np.abs(a * v1) + np.abs(v2)
        finite = np.isfinite(v1) & np.isfinite(v2) & np.isfinite(magnitude)
        scale = 1.0 + np.max(magnitude[finite], initial=0.0)
        np.testing.assert_allclose(c[finite], expected[finite], rtol=1e-9, atol=1e-9 * scale)
