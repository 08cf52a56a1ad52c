"""The CuPy backend: the reference's own forward and VJP bodies run on CuPy arrays.

Why not CuPy-native versions of every op?  CuPy implements NumPy's API and both of NumPy's dispatch
protocols, so ``np.exp(x)``, ``np.sum(x, axis=1)`` or ``np.matmul(a, b)`` on a ``cupy.ndarray`` run
CuPy's GPU kernels.  Running the reference bodies on device arrays therefore checks what a user who
ports NumPy code to CuPy actually gets -- CuPy's kernels under NumPy's calls -- and gives every op,
layer, loss, optimizer and training loop a hand-derived VJP without a second copy of ~1,500 lines of
gradients that would drift from the reference.  The reference reaches CuPy through NumPy's
protocols except in a few places, which :mod:`reference._xp` routes by array type: ``erf`` (CuPy's
own ``cupyx.scipy.special.erf`` kernel), ``as_strided``, and NumPy's ``initial=`` reduction argument,
which CuPy lacks.

Devices: ``cuda`` (a real GPU) and ``emulated`` -- NumPy arrays that enforce CuPy's rules
(:mod:`impls.cupy.emulated`), so the same code path runs in CI on machines without a GPU.  CuPy is
imported when the backend is created; it installs without a GPU, and then only ``emulated`` works.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np

from impls.base import Backend, BackendUnavailable, HostOptimizer, ReferenceBodies
from impls.cupy.emulated import EmulatedArray, cupy_loop
from impls.numpy_backend import FLOAT16_DIVERGENCES
from reference import _xp, optim


class DeviceOptimizer(HostOptimizer):
    """The reference update rules applied to device arrays in place of host copies."""

    def step(self, grads: dict) -> None:
        for key, grad in grads.items():
            self.params[key], self.state[key] = self.step_fn(
                self.params[key], grad, self.state[key], lr=self.lr, **self.hyper
            )


class CupyBackend(ReferenceBodies, Backend):
    """CuPy arrays on a GPU (``cuda``) or CuPy's rules emulated on the host (``emulated``)."""

    name = "cupy"
    devices = ("cuda", "emulated")
    dtypes = ("float16", "float32", "float64", "int32", "int64", "bool")
    unsupported_dtypes = {
        "bfloat16": "CuPy's kernels have no bfloat16 loops (cupy.exp.types: e, E, f, d, F, D; measured on CuPy 14.2)"
    }
    host_device = "emulated"
    # the emulated device computes with NumPy: NumPy's float16 arithmetic (CuPy's own on a GPU is not known here)
    declarations = tuple(replace(d, device="emulated") for d in FLOAT16_DIVERGENCES)

    def __init__(self):
        try:
            import cupy
            import cupyx.scipy.special
        except ImportError as error:
            raise BackendUnavailable(f"cupy is not installed ({error}); pip install 'parity[cupy]'") from None
        self.cupy = cupy
        for array_type in (cupy.ndarray, EmulatedArray):
            _xp.register_generic(array_type)
        _xp.erf.register(cupy.ndarray, cupyx.scipy.special.erf)
        _xp.erfc.register(cupy.ndarray, cupyx.scipy.special.erfc)
        _xp.as_strided.register(cupy.ndarray, cupy.lib.stride_tricks.as_strided)
        _xp.erf.register(EmulatedArray, _on_host("erf"))
        _xp.erfc.register(EmulatedArray, _on_host("erfc"))
        _xp.as_strided.register(EmulatedArray, _emulated_as_strided)
        _xp.scatter_add.register(cupy.ndarray, _cupyx_scatter_add)
        _xp.scatter_add.register(EmulatedArray, _emulated_scatter_add)

    def implemented_ops(self):
        from reference import CATALOG

        return set(CATALOG)

    # ------------------------------------------------------------ devices and arrays
    @functools.cached_property
    def _gpu_problem(self) -> str | None:
        try:
            count = self.cupy.cuda.runtime.getDeviceCount()
            float(self.cupy.ones(1).sum())  # allocates and launches a kernel: the real test
        except Exception as error:  # noqa: BLE001 - CuPy raises driver/runtime errors of many types
            return f"CuPy cannot use a GPU here ({type(error).__name__}: {str(error).strip() or 'no detail'})"
        return None if count else "CuPy sees no CUDA device"

    def device_problem(self, device):
        problem = super().device_problem(device)
        if problem or device != "cuda":
            return problem
        return self._gpu_problem

    def _asarray(self, x, dtype, device):
        host = np.array(x, dtype=dtype, copy=True)
        return self.cupy.asarray(host) if device == "cuda" else EmulatedArray(host)

    def native(self, x):
        device = "emulated" if self._gpu_problem else "cuda"
        return self._asarray(x, x.dtype, device)

    def to_numpy(self, x) -> np.ndarray:
        return x.get() if isinstance(x, (EmulatedArray, self.cupy.ndarray)) else np.array(x, copy=True)

    def device_name(self, device):
        if device != "cuda" or self._gpu_problem:
            return None
        name = self.cupy.cuda.runtime.getDeviceProperties(self.cupy.cuda.Device().id)["name"]
        return name.decode() if isinstance(name, bytes) else str(name)

    def synchronize(self, device="cuda"):
        if device == "cuda":
            self.cupy.cuda.get_current_stream().synchronize()

    def _check_array(self, x, name):
        if not isinstance(x, (EmulatedArray, self.cupy.ndarray)):
            raise TypeError(f"{name} must be a cupy.ndarray, got {type(x).__name__}")

    def device_of(self, x) -> str:
        return "emulated" if isinstance(x, EmulatedArray) else "cuda"

    def _placement(self, x) -> str:
        return "emulated" if isinstance(x, EmulatedArray) else f"cuda:{x.device.id}"

    def _check_same_device(self, inputs, names):
        first = self._placement(inputs[0])
        for x, name in zip(inputs[1:], names[1:]):
            if self._placement(x) != first:
                raise ValueError(f"{name} is on {self._placement(x)} but {names[0]} is on {first}")

    # ------------------------------------------------------------ ops: the reference itself, on device arrays
    def _forward(self, spec, inputs, params):
        with np.errstate(all="ignore"):  # the emulated device computes with NumPy; on a GPU this is a no-op
            return spec.forward(*inputs, **params)

    def _vjp(self, spec, inputs, params, cotangent):
        with np.errstate(all="ignore"):
            return spec.vjp(cotangent, *inputs, **params)

    # ------------------------------------------------------------ training
    def make_optimizer(self, name, params, lr, hyper):
        return DeviceOptimizer(self, name, params, lr, hyper)

    def run_optimizer(self, name, param0, grads, lrs, hyper, dtype, device):
        cast = [self.asarray(np.asarray(g), dtype, device) for g in grads]
        with np.errstate(all="ignore"):
            steps = optim.trajectory(name, self.asarray(param0, dtype, device), cast, lrs, hyper)
        return [self.to_numpy(p) for p in steps]


def _on_host(name: str):
    """``cupyx.scipy.special.<name>`` (erf, erfc) on an emulated array: computed on the host in float64 and cast to
    the type CuPy's own loop returns (its erf has no float16 loop: ``e->d``)."""

    def run(x: EmulatedArray) -> EmulatedArray:
        import cupyx.scipy.special

        host = x.get()
        loop = cupy_loop(getattr(cupyx.scipy.special, name), (host,))
        out = loop[1] if loop is not None else host.dtype
        return EmulatedArray(getattr(_xp, name)(host.astype(np.float64)).astype(out))

    return run


def _cupyx_scatter_add(out, index, values):
    import cupyx

    cupyx.scatter_add(out, index, values)
    return out


def _emulated_scatter_add(out: EmulatedArray, index, values) -> EmulatedArray:
    """``cupyx.scatter_add`` on an emulated array: a host array among the operands is refused (CuPy's rule), the
    values are NumPy's unbuffered add."""
    from impls.cupy.emulated import CupyRuleError, _unwrap, _unwrap_index

    parts = index if isinstance(index, tuple) else (index,)
    if isinstance(values, np.ndarray) or any(isinstance(p, np.ndarray) for p in parts):
        raise CupyRuleError("cupyx.scatter_add: a host numpy.ndarray mixed into a CuPy computation (CuPy refuses it)")
    np.add.at(out._a, _unwrap_index(index), _unwrap(values, "cupyx.scatter_add"))
    return out


def _emulated_as_strided(x: EmulatedArray, shape, strides) -> EmulatedArray:
    from numpy.lib.stride_tricks import as_strided

    return EmulatedArray(as_strided(x._a, shape=shape, strides=strides, writeable=False))
