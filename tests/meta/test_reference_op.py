"""The reference's VJP wrapper (reference._op.vjp_of) refuses a hand-written VJP that returns a different number of
gradients than the op has differentiable inputs, too many as well as too few (zip would drop the extra ones); and
every VJP's signature defaults its parameters as its forward's does."""

import inspect

import numpy as np
import pytest

from reference import CATALOG
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


def _defaults(function) -> dict:
    return {p.name: p.default for p in inspect.signature(function).parameters.values() if p.default is not p.empty}


@pytest.mark.parametrize("name", [name for name, spec in CATALOG.items() if spec.vjp is not None and spec.has_gradient])
def test_a_vjp_defaults_every_parameter_as_its_forward_does(name):
    """A VJP called without a parameter must differentiate the function its forward computed without it: a default
    that differs (softmax_vjp's axis=1 where softmax has axis=-1) agrees on 2-D inputs and is wrong on the rest."""
    spec = CATALOG[name]
    forward, vjp = _defaults(spec.forward), _defaults(spec.vjp)
    assert set(vjp) == set(forward), f"{name}: forward defaults {sorted(forward)}, VJP defaults {sorted(vjp)}"
    for parameter, default in forward.items():
        same = default is vjp[parameter] or (default == vjp[parameter] and type(default) is type(vjp[parameter]))
        assert same, f"{name}: {parameter}={default!r} in the forward, {vjp[parameter]!r} in the VJP"
