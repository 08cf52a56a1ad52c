"""Behaviours of torch found by ``parity audit`` on the layers and losses of issue #15 (attention, convolution,
normalisation, resampling and the elementwise losses), each pinned exactly: if torch changes, the matching test
fails and the audit plan's declaration must follow.  Declared on the entries' audit plans (OracleBug)."""

import math

import numpy as np
import pytest

from reference import get_spec

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")
F = pytest.importorskip("torch.nn.functional")


def test_torch_attention_without_keys_is_nan_everywhere_when_a_query_is_not_finite():
    """An oracle bug the audit found: with no keys every query attends to nothing, so the output is 0 (torch's own
    rule for a fully masked row, and what it returns for finite queries); one infinite or NaN query element makes
    torch return NaN in every row, the finite rows included."""
    value = np.zeros((0, 2))
    for query in ([[0.0], [math.inf]], [[math.nan], [0.0]]):
        q, k = np.array(query), np.zeros((0, 1))
        out = F.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(value))
        assert torch.isnan(out).all()
        np.testing.assert_array_equal(get_spec("scaled_dot_product_attention").forward(q, k, value), np.zeros((2, 2)))
    finite = F.scaled_dot_product_attention(*(torch.tensor(a) for a in (np.zeros((2, 1)), np.zeros((0, 1)), value)))
    assert (finite == 0).all()
