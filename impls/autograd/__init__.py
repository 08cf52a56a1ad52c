"""parity's own reverse-mode automatic differentiation over NumPy, written from scratch.

``Tensor`` records the ops applied to it; ``Tensor.backward`` / :func:`grad` walk the graph in
reverse.  :mod:`~impls.autograd.ops` holds the primitives (each backward beside its forward),
:mod:`~impls.autograd.functional` the layers and losses, :mod:`~impls.autograd.nn` the modules and
:mod:`~impls.autograd.optim` the optimizers.
"""

from impls.autograd import functional, nn, ops, optim, tensor
from impls.autograd.tensor import Tensor, grad, is_grad_enabled, no_grad

__all__ = ["Tensor", "functional", "grad", "is_grad_enabled", "nn", "no_grad", "ops", "optim", "tensor"]
