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


def test_torch_group_norm_backward_fails_with_a_bias_and_no_weight():
    """An oracle bug the audit found: group_norm with a bias and no weight computes its forward, but its backward
    raises (with both, or neither, it works); the reference's gradients are the normalised VJP and the summed
    cotangent."""
    x = torch.tensor([[1.0, 2.0, 4.0]], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    out = F.group_norm(x, 1, None, bias)
    with pytest.raises(RuntimeError, match="tensor does not have a device"):
        torch.autograd.grad(out, (x, bias), torch.ones_like(out))
    gx, gb = get_spec("group_norm").vjp(np.ones((1, 3)), x.detach().numpy(), None, np.zeros(3), num_groups=1)
    np.testing.assert_allclose(gx, 0.0, atol=1e-12)  # a constant cotangent is centred away
    assert gb.tolist() == [1.0, 1.0, 1.0]
