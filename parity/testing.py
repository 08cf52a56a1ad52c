"""Check one function of your own against a catalog entry, from your own tests.

    from parity.testing import assert_matches

    def test_my_softmax():
        assert_matches("softmax", my_softmax)                        # NumPy in, NumPy out
        assert_matches("softmax", jax_softmax, backend="jax",        # the arrays of a backend parity knows
                       grad=lambda g, x, axis: jax.vjp(lambda x: jax_softmax(x, axis=axis), x)[1](g))

Every catalog case of the entry runs (seeded inputs from its domain, its parameters), and with
``specials=True`` every special value (±0, ±inf, NaN, ties) with its stated result; the comparison is
parity's own (:func:`parity.compare.assert_close`: NaN masks, inf positions, the catalog's tolerance and
accumulation allowance for the dtype).  A mismatch raises :class:`parity.compare.Mismatch` (an
``AssertionError``) naming the entry, the case, the worst element and its ULP distance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from impls import load_backend
from impls.base import Backend
from parity.checks import Cell, compare_forward, compare_vjp
from parity.compare import Measurement
from parity.inputs import cotangent_like, sample
from reference import get_spec

__all__ = ["assert_matches"]


class _OneFunction(Backend):
    """A backend made of one function (and its gradient), borrowing the array plumbing of ``arrays``."""

    def __init__(self, arrays: Backend, fn: Callable, grad: Callable | None, label: str):
        self.arrays, self.fn, self.grad = arrays, fn, grad
        self.name, self.devices, self.dtypes = label, arrays.devices, arrays.dtypes

    def _asarray(self, x, dtype, device):
        return self.arrays._asarray(x, dtype, device)

    def native(self, x):
        return self.arrays.native(x)

    def to_numpy(self, x) -> np.ndarray:
        return self.arrays.to_numpy(x)

    def device_problem(self, device):
        return self.arrays.device_problem(device)

    def wait(self, result, device="cpu"):
        self.arrays.wait(result, device)

    def _check_array(self, x, name):
        self.arrays._check_array(x, name)

    def _forward(self, spec, inputs, params):
        return self.fn(*inputs, **params)

    def _vjp(self, spec, inputs, params, cotangent):
        return tuple(self.grad(cotangent, *inputs, **params))


def _arrays_of(backend: str | Backend) -> Backend:
    if isinstance(backend, Backend):
        return backend
    return load_backend(backend)


def assert_matches(
    entry: str,
    fn: Callable,
    *,
    grad: Callable | None = None,
    backend: str | Backend = "numpy",
    dtypes: Iterable[str] = ("float32", "float64"),
    device: str | None = None,
    specials: bool = True,
) -> Measurement:
    """Raise :class:`~parity.compare.Mismatch` unless ``fn`` computes catalog entry ``entry``.

    ``fn(*arrays, **params)`` takes and returns arrays of ``backend`` (a name parity knows, a
    ``module:Class`` path, or a Backend instance; default NumPy), with the entry's parameters as keywords
    (see :func:`parity.api.signature`).  ``grad(cotangent, *arrays, **params)``, when given, returns the
    gradient of ``<cotangent, fn(...)>`` for each differentiable array, checked against the reference VJP
    with a random cotangent.  Every case of the entry runs at each of ``dtypes`` the backend has, and the
    special values when ``specials``.  Returns the worst :class:`~parity.compare.Measurement`.
    """
    arrays = _arrays_of(backend)
    label = f"{arrays.name}:{getattr(fn, '__name__', 'fn')}"
    mine = _OneFunction(arrays, fn, grad, label)
    device = device or arrays.host_device or arrays.devices[0]
    spec = get_spec(entry)
    worst = Measurement()
    for dtype in (d for d in dtypes if d in spec.dtypes and d in arrays.dtypes):
        for index, case in enumerate(spec.cases):
            cell = Cell("forward", entry, label, device, dtype, case=index)
            inputs = sample(spec.domain, case.shapes, cell.seed())
            context = cell.context()
            worst = worst.worst(
                compare_forward(mine, spec, inputs, case.params, dtype=dtype, device=device, context=context)
            )
            if grad is not None:
                cotangent = cotangent_like(spec.forward(*inputs, **case.params).shape, cell.seed())
                vjp_cell = Cell("vjp", entry, label, device, dtype, case=index)
                worst = worst.worst(
                    compare_vjp(
                        mine,
                        spec,
                        inputs,
                        case.params,
                        cotangent,
                        dtype=dtype,
                        device=device,
                        context=vjp_cell.context(),
                    )  # fmt: skip
                )
        for special in (s for s in spec.specials if s.applies_to(dtype)) if specials else ():
            context = Cell("special", entry, label, device, dtype, special=special.label).context(special.note)
            worst = worst.worst(
                compare_forward(
                    mine,
                    spec,
                    special.arrays(),
                    special.params,
                    dtype=dtype,
                    device=device,
                    context=context,
                    expected=np.asarray(special.expected, float),
                    signed_zero=special.signed_zero,
                )  # fmt: skip
            )
            if grad is not None and special.grads is not None:
                expected = tuple(np.asarray(g, float) for g in special.grads)
                worst = worst.worst(
                    compare_vjp(
                        mine,
                        spec,
                        special.arrays(),
                        special.params,
                        np.asarray(special.cotangent, float),
                        dtype=dtype,
                        device=device,
                        context=context,
                        expected=expected,
                    )  # fmt: skip
                )
    return worst
