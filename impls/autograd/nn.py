"""Modules: parameters, train/eval, state_dict — Linear, Conv2d, BatchNorm2d, pools, activations,
Flatten, Dropout and Sequential, with torch's default initialisation bounds."""

from __future__ import annotations

import math

import numpy as np

from impls.autograd import functional as F
from impls.autograd import ops
from impls.autograd.tensor import Tensor, no_grad
from reference import layers as ref_layers


class Module:
    """Parameters are the Tensor attributes with requires_grad; buffers are declared in ``_buffers``."""

    _buffers: tuple[str, ...] = ()

    def __init__(self):
        self.training = True

    def __call__(self, *args):
        return self.forward(*args)

    def children(self):
        return [v for v in vars(self).values() if isinstance(v, Module)] + [
            m for v in vars(self).values() if isinstance(v, list) for m in v if isinstance(m, Module)
        ]

    def named_parameters(self, prefix=""):
        for name, value in vars(self).items():
            if isinstance(value, Tensor) and value.requires_grad:
                yield prefix + name, value
        for name, child in self._named_children():
            yield from child.named_parameters(f"{prefix}{name}.")

    def _named_children(self):
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, list):
                yield from (
                    (f"{name}.{i}" if name != "layers" else str(i), m)
                    for i, m in enumerate(value)
                    if isinstance(m, Module)
                )

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def train(self, mode: bool = True):
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def state_dict(self, prefix="") -> dict[str, np.ndarray]:
        """Parameters and buffers as NumPy copies."""
        state = {name: p.data.copy() for name, p in self.named_parameters(prefix)}
        for name in self._buffers:
            state[prefix + name] = getattr(self, name).data.copy()
        for name, child in self._named_children():
            state.update({k: v for k, v in child.state_dict(f"{prefix}{name}.").items() if k not in state})
        return state

    def load_state_dict(self, state: dict) -> None:
        """Copy values in place; unknown or missing keys and shape mismatches are errors."""
        own = self.state_dict()
        missing, unexpected = set(own) - set(state), set(state) - set(own)
        if missing or unexpected:
            raise KeyError(f"state_dict mismatch: missing {sorted(missing)}, unexpected {sorted(unexpected)}")
        targets = dict(self.named_parameters())
        targets.update(self._named_buffers())
        with no_grad():
            for key, value in state.items():
                if tuple(np.shape(value)) != targets[key].shape:
                    raise ValueError(f"{key}: shape {np.shape(value)} does not match {targets[key].shape}")
                targets[key]._inplace(np.asarray(value, dtype=targets[key].dtype))

    def _named_buffers(self, prefix=""):
        out = {prefix + n: getattr(self, n) for n in self._buffers}
        for name, child in self._named_children():
            out.update(child._named_buffers(f"{prefix}{name}."))
        return out


def _uniform(shape, fan_in, rng, dtype):
    bound = 1.0 / math.sqrt(fan_in)
    return Tensor(rng.uniform(-bound, bound, shape).astype(dtype), requires_grad=True)


class Linear(Module):
    def __init__(self, in_features, out_features, bias=True, *, rng=None, dtype="float64"):
        super().__init__()
        rng = rng or np.random.default_rng()
        self.weight = _uniform((out_features, in_features), in_features, rng, dtype)
        self.bias = _uniform((out_features,), in_features, rng, dtype) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class Conv2d(Module):
    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        *,
        rng=None,
        dtype="float64",
    ):
        super().__init__()
        rng = rng or np.random.default_rng()
        kh, kw = ref_layers.pair(kernel_size, "kernel_size")
        fan_in = in_channels // groups * kh * kw
        self.weight = _uniform((out_channels, in_channels // groups, kh, kw), fan_in, rng, dtype)
        self.bias = _uniform((out_channels,), fan_in, rng, dtype) if bias else None
        self.options = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, **self.options)


class BatchNorm2d(Module):
    """Training: batch statistics, and the running ones updated with the unbiased variance."""

    _buffers = ("running_mean", "running_var")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, *, dtype="float64"):
        super().__init__()
        self.weight = Tensor(np.ones(num_features, dtype=dtype), requires_grad=True)
        self.bias = Tensor(np.zeros(num_features, dtype=dtype), requires_grad=True)
        self.running_mean = Tensor(np.zeros(num_features, dtype=dtype))
        self.running_var = Tensor(np.ones(num_features, dtype=dtype))
        self.eps, self.momentum = eps, momentum

    def forward(self, x):
        if not self.training:
            return F.batch_norm_eval(x, self.running_mean, self.running_var, self.weight, self.bias, eps=self.eps)
        mean, var = ref_layers.batch_norm_running_stats(
            x.data, self.running_mean.data, self.running_var.data, self.momentum
        )
        self.running_mean._inplace(mean)
        self.running_var._inplace(var)
        return F.batch_norm(x, self.weight, self.bias, eps=self.eps)


class _Stateless(Module):
    fn = None

    def __init__(self, **options):
        super().__init__()
        self.options = options

    def forward(self, x):
        return type(self).fn(x, **self.options)


class MaxPool2d(_Stateless):
    fn = staticmethod(F.max_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__(
            kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode
        )


class AvgPool2d(_Stateless):
    fn = staticmethod(F.avg_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__(
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            ceil_mode=ceil_mode,
            count_include_pad=count_include_pad,
        )


class ReLU(_Stateless):
    fn = staticmethod(ops.relu)


class Sigmoid(_Stateless):
    fn = staticmethod(ops.sigmoid)


class Tanh(_Stateless):
    fn = staticmethod(ops.tanh)


class Flatten(_Stateless):
    fn = staticmethod(F.flatten)

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__(start_dim=start_dim, end_dim=end_dim)


class Dropout(Module):
    """Inverted dropout; the mask comes from ``rng`` (seed it for determinism); identity in eval mode."""

    def __init__(self, p=0.5, *, rng=None):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p, self.rng = p, rng or np.random.default_rng()

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        mask = (self.rng.uniform(size=x.shape) >= self.p).astype(x.dtype)
        return F.dropout(x, mask, self.p)


class Sequential(Module):
    def __init__(self, *layers: Module):
        super().__init__()
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
