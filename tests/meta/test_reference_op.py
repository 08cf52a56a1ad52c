"""The reference's VJP wrapper (reference._op.vjp_of) refuses a hand-written VJP that returns a different number of
gradients than the op has differentiable inputs, too many as well as too few (zip would drop the extra ones)."""

import numpy as np
import pytest

from reference._op import reference_op, vjp_of


def _planted(returned: int):
    @reference_op(("x", "y"), lambda x, y: None)
    def op(x, y):
        return x * y

    @vjp_of(op)
    def op_vjp(g, x, y):
        return (g * y, g * x, g)[:returned]

    return op


@pytest.mark.parametrize("returned", [1, 3])
def test_a_vjp_returning_the_wrong_number_of_gradients_is_refused(returned):
    x, y = np.arange(3.0), np.ones(3)
    with pytest.raises(AssertionError, match=f"returned {returned} gradients for 2 inputs"):
        _planted(returned).vjp(np.ones(3), x, y)
    assert len(_planted(2).vjp(np.ones(3), x, y)) == 2
