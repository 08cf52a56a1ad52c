"""Optimizers over Tensors: the reference update rules (torch.optim semantics) applied in place."""

from __future__ import annotations

from impls.autograd.tensor import Tensor
from reference import optim as ref


class Optimizer:
    """``step()`` updates every parameter that has a gradient; ``zero_grad()`` clears the gradients."""

    rule = None

    def __init__(self, params, lr: float, **hyper):
        self.params: list[Tensor] = list(params)
        if not self.params:
            raise ValueError("params is empty: give the optimizer the Tensors it should update")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"params[{i}] must be a Tensor with requires_grad=True")
        self.lr, self.hyper = lr, hyper
        self.state = [{} for _ in self.params]

    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            new, self.state[i] = type(self).rule(p.data, p.grad.data, self.state[i], lr=self.lr, **self.hyper)
            p._inplace(new)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None


class SGD(Optimizer):
    rule = staticmethod(ref.sgd)


class Adam(Optimizer):
    rule = staticmethod(ref.adam)


class AdamW(Optimizer):
    rule = staticmethod(ref.adamw)


class RMSprop(Optimizer):
    rule = staticmethod(ref.rmsprop)


class Adagrad(Optimizer):
    rule = staticmethod(ref.adagrad)


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}
