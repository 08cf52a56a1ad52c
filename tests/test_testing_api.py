"""parity.testing.assert_matches: a user's own function checked against a catalog entry."""

import numpy as np
import pytest

from parity.compare import Mismatch
from parity.testing import assert_matches


def stable_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_vjp(g, x, axis):
    p = stable_softmax(x, axis)
    return (p * (g - np.sum(g * p, axis=axis, keepdims=True)),)


def test_a_right_function_and_gradient_pass_every_case_and_special_value():
    measured = assert_matches("softmax", stable_softmax, grad=softmax_vjp)
    assert measured.max_ulp < 64


def test_a_naive_softmax_fails_at_the_large_logits_and_says_where():
    def naive(x, axis):
        return np.exp(x) / np.sum(np.exp(x), axis=axis, keepdims=True)

    with np.errstate(all="ignore"), pytest.raises(Mismatch, match=r"softmax \[special\] on numpy:naive"):
        assert_matches("softmax", naive)


def test_a_gradient_right_only_for_all_ones_cotangents_fails():
    def wrong_vjp(g, x, axis):
        p = stable_softmax(x, axis)
        return (p * (g - np.mean(g, axis=axis, keepdims=True)),)

    with pytest.raises(Mismatch, match="gradient with respect to x"):
        assert_matches("softmax", stable_softmax, grad=wrong_vjp, specials=False)


def test_another_frameworks_arrays():
    torch = pytest.importorskip("torch")
    assert_matches("sigmoid", torch.sigmoid, backend="torch", dtypes=["float32"])
    with pytest.raises(Mismatch):
        assert_matches("sigmoid", torch.tanh, backend="torch", dtypes=["float32"])
