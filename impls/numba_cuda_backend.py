"""The ``numba_cuda`` backend: Numba CUDA kernels on a real GPU (device ``cuda``) or on the CPU under
Numba's CUDA simulator (device ``cudasim``, ``NUMBA_ENABLE_CUDASIM=1`` set before numba is imported,
so in a process of its own: ``tox -e cudasim``).  The simulator is not a GPU: its cells are ``cpu``.

Launch configuration and host<->device copies are the backend's business: reductions move the
reduced axes last on the host (one copy each way), then one block per row reduces in shared memory.
"""

from __future__ import annotations

import math

import numpy as np

from impls.base import SAME_NAME_UNARY, Backend, BackendUnavailable
from reference._checks import normalize_axes, normalize_axis

UNARY = (*SAME_NAME_UNARY, "gelu")
BINARY = ("add", "sub", "mul", "div", "pow", "maximum", "minimum")
KERNELS = {*UNARY, *BINARY, "sum", "mean", "softmax", "matmul"}
NO_KERNEL = "no CUDA kernel in this backend (elementwise ops, block reduction, softmax and tiled matmul only)"


class _Meta:
    """Shape, rank and dtype of a device array, for validation."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype, self.ndim = shape, dtype, len(shape)


def _contiguous(host, dtype=None) -> np.ndarray:
    """A C-contiguous copy that keeps 0-d arrays 0-d (np.ascontiguousarray makes them 1-d)."""
    return np.array(host, dtype=dtype, order="C", copy=True)


def _unsupported():
    from reference import ENTRY_GROUPS

    names = [n for group in ENTRY_GROUPS.values() for n in group]
    return {n: NO_KERNEL for n in names if n not in KERNELS}


class NumbaCudaBackend(Backend):
    """numba.cuda device arrays; kernels from :mod:`impls.numba.cuda_kernels`."""

    name = "numba_cuda"
    devices = ("cuda", "cudasim")
    host_device = None  # cudasim needs NUMBA_ENABLE_CUDASIM before numba is imported: its own process
    dtypes = ("float32", "float64")
    unsupported_dtypes = {
        "float16": "the CUDA kernels here are written for float32 and float64; numba.cuda's float16 intrinsics "
        "(cuda.fp16) are not used by them",
        "bfloat16": "numba has no bfloat16 type, and NumPy none to hand its kernels",
        **dict.fromkeys(("int32", "int64", "bool"), "the CUDA kernels here are written for float32 and float64"),
    }
    unsupported = _unsupported()

    def __init__(self):
        try:
            import numba
            from numba import cuda
        except ImportError as error:
            raise BackendUnavailable(f"numba is not installed ({error}); pip install 'parity[numba]'") from error
        self.numba, self.cuda = numba, cuda
        self._kernels = None

    @property
    def k(self):
        if self._kernels is None:
            from impls.numba import cuda_kernels

            self._kernels = cuda_kernels
        return self._kernels

    def implemented_ops(self):
        return set(KERNELS)

    def device_problem(self, device):
        problem = super().device_problem(device)
        if problem:
            return problem
        simulated = bool(self.numba.config.ENABLE_CUDASIM)
        if device == "cudasim" and not simulated:
            return (
                "the CUDA simulator is off: set NUMBA_ENABLE_CUDASIM=1 before numba is imported, in a process "
                "of its own (tox -e cudasim)"
            )
        if device == "cuda" and simulated:
            return "NUMBA_ENABLE_CUDASIM is set: numba's CUDA runs on the CPU simulator, not a GPU"
        if device == "cuda" and not self.cuda.is_available():
            return "numba.cuda.is_available() is False (no CUDA driver or device)"
        return None

    def _asarray(self, x, dtype, device):
        return self.cuda.to_device(_contiguous(x, dtype=dtype))

    def native(self, x):
        return self.cuda.to_device(np.array(x, copy=True))

    def to_numpy(self, x) -> np.ndarray:
        return x.copy_to_host()

    def synchronize(self, device="cuda"):
        self.cuda.synchronize()

    def _check_array(self, x, name):
        if not callable(getattr(x, "copy_to_host", None)):  # device arrays, real or simulated
            raise TypeError(f"{name} must be a numba CUDA device array, got {type(x).__name__}")

    def _shaped(self, flat, shape):
        """``flat`` reshaped; a 0-d result goes through the host (device arrays cannot be reshaped to ())."""
        if shape == ():
            return self.cuda.to_device(flat.copy_to_host().reshape(()))
        return flat.reshape(shape)

    def _for_validation(self, x):
        # the simulator's shape objects reject negative indices: validate a plain-tuple view of the metadata
        return None if x is None else _Meta(tuple(x.shape), np.dtype(x.dtype))

    def _empty(self, shape, dtype):
        return self.cuda.device_array(shape, dtype=dtype)

    # ---------------------------------------------------------------- ops
    def _forward(self, spec, inputs, params):
        with np.errstate(all="ignore"):  # the simulator computes with NumPy scalars: IEEE values, no warnings
            return self._run(spec.name, inputs, params, None)

    def _vjp(self, spec, inputs, params, cotangent):
        with np.errstate(all="ignore"):
            return self._run(spec.name, inputs, params, cotangent)

    def _run(self, name, inputs, params, g):
        if name in self.k.UNARY:
            x = inputs[0]
            flat = x.reshape(x.size) if x.ndim != 1 else x
            out = self._empty(x.size, x.dtype)
            forward, derivative = self.k.UNARY[name]
            if g is None:
                self.k.launch_1d(forward, x.size, flat, out)
                return self._shaped(out, x.shape)
            gf = g.reshape(g.size) if g.ndim != 1 else g
            self.k.launch_1d(derivative, x.size, flat, gf, out)
            return (self._shaped(out, x.shape),)
        if name in self.k.BINARY:
            return self._binary(name, inputs, g)
        if name == "matmul":
            return self._matmul(inputs, g)
        if name == "softmax":
            return self._softmax(inputs[0], params["axis"], g)
        return self._sum(inputs[0], params, g, mean=name == "mean")

    def _binary(self, name, inputs, g):
        """Broadcast on the host (one copy of each operand), one thread per output element; gradients are
        summed back over the broadcast axes with the block-reduction kernel."""
        x, y = inputs
        shape = np.broadcast_shapes(tuple(x.shape), tuple(y.shape))
        size = max(1, math.prod(shape))
        flat = lambda a: self.cuda.to_device(_contiguous(np.broadcast_to(a.copy_to_host(), shape).reshape(size)))  # noqa: E731
        xb, yb = flat(x), flat(y)
        forward, dx, dy = self.k.BINARY[name]
        out = self._empty(size, x.dtype)
        if g is None:
            self.k.launch_1d(forward, size, xb, yb, out)
            return self._shaped(out, shape) if shape else self._shaped(out, ())
        gb = flat(g)
        grads = []
        for derivative, target in ((dx, x), (dy, y)):
            full = self._empty(size, x.dtype)
            self.k.launch_1d(derivative, size, xb, yb, gb, full)
            grads.append(self._sum_to(self._shaped(full, shape), tuple(target.shape)))
        return tuple(grads)

    def _sum_to(self, grad, shape):
        """Undo broadcasting on the device: sum over the added and stretched axes (block reduction)."""
        extra = grad.ndim - len(shape)
        axes = tuple(range(extra)) + tuple(
            extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
        )
        if not axes:
            return grad
        (summed,) = [self._sum(grad, {"axis": axes, "keepdims": False}, None, mean=False)]
        return self.cuda.to_device(_contiguous(summed.copy_to_host().reshape(shape)))

    def _rows(self, x, axes):
        """Host-side: reduced axes last, flattened to (rows, n), back on the device."""
        host = x.copy_to_host()
        kept = [a for a in range(host.ndim) if a not in axes]
        moved = np.transpose(host, kept + list(axes)).reshape(-1, max(1, math.prod(host.shape[a] for a in axes)))
        return self.cuda.to_device(_contiguous(moved)), kept

    def _sum(self, x, params, g, mean):
        axes = normalize_axes(params.get("axis"), x.ndim)
        keepdims = params.get("keepdims", False)
        count = math.prod(x.shape[a] for a in axes)
        rows, kept = self._rows(x, axes)
        out_shape = (
            tuple(1 if a in axes else n for a, n in enumerate(x.shape)) if keepdims else tuple(x.shape[a] for a in kept)
        )
        if g is None:
            partial = self._empty(rows.shape[0], x.dtype)
            self.k.ROW_SUM[np.dtype(x.dtype)][rows.shape[0], self.k.BLOCK](rows, partial)
            host = partial.copy_to_host() / (count if mean else 1)
            return self.cuda.to_device(_contiguous(host.reshape(out_shape).astype(x.dtype)))
        scale = np.asarray(g.copy_to_host(), dtype=x.dtype).reshape(-1) / (count if mean else 1)
        filled = self._empty(rows.shape, x.dtype)
        self.k.fill_rows[(math.ceil(rows.shape[0] / 16), math.ceil(rows.shape[1] / 16)), (16, 16)](
            self.cuda.to_device(_contiguous(scale.astype(x.dtype))), filled
        )
        moved_shape = [x.shape[a] for a in kept] + [x.shape[a] for a in axes]
        back = np.transpose(filled.copy_to_host().reshape(moved_shape), np.argsort(kept + list(axes)))
        return (self.cuda.to_device(_contiguous(back)),)

    def _softmax(self, x, axis, g):
        axis = normalize_axis(axis, x.ndim)
        rows, kept = self._rows(x, (axis,))
        p = self._empty(rows.shape, x.dtype)
        self.k.launch_1d(self.k.row_softmax, rows.shape[0], rows, p)
        result = p
        if g is not None:
            g_rows, _ = self._rows(g, (axis,))
            result = self._empty(rows.shape, x.dtype)
            self.k.launch_1d(self.k.row_softmax_vjp, rows.shape[0], p, g_rows, result)
        moved_shape = [x.shape[a] for a in kept] + [x.shape[axis]]
        back = np.transpose(result.copy_to_host().reshape(moved_shape), np.argsort(kept + [axis]))
        out = self.cuda.to_device(_contiguous(back))
        return out if g is None else (out,)

    def _mm(self, a, b):
        """2-D tiled products, looped over broadcast batch dims on the host."""
        a, b = a.copy_to_host(), b.copy_to_host()
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a3 = np.broadcast_to(a, batch + a.shape[-2:]).reshape(-1, *a.shape[-2:])
        b3 = np.broadcast_to(b, batch + b.shape[-2:]).reshape(-1, *b.shape[-2:])
        out = np.empty((a3.shape[0], a.shape[-2], b.shape[-1]), dtype=a.dtype)
        for i in range(a3.shape[0]):
            c = self._empty((a.shape[-2], b.shape[-1]), a.dtype)
            self.k.launch_matmul(self.cuda.to_device(_contiguous(a3[i])), self.cuda.to_device(_contiguous(b3[i])), c)
            out[i] = c.copy_to_host()
        return out.reshape(*batch, a.shape[-2], b.shape[-1])

    def _matmul(self, inputs, g):
        a, b = inputs
        dev = lambda host: self.cuda.to_device(_contiguous(host))  # noqa: E731
        ah, bh = a.copy_to_host(), b.copy_to_host()
        a2 = ah[None, :] if a.ndim == 1 else ah
        b2 = bh[:, None] if b.ndim == 1 else bh
        if g is None:
            out = self._mm(dev(a2), dev(b2))
            if a.ndim == 1:
                out = out[..., 0, :]
            return dev(out[..., 0] if b.ndim == 1 else out)
        g2 = g.copy_to_host()
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2 if b.ndim > 1 else 0)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        from reference._op import unbroadcast

        ga = unbroadcast(self._mm(dev(g2), dev(np.swapaxes(b2, -1, -2))), a2.shape)
        gb = unbroadcast(self._mm(dev(np.swapaxes(a2, -1, -2)), dev(g2)), b2.shape)
        return dev(ga.reshape(a.shape)), dev(gb.reshape(b.shape))
