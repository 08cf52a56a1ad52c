"""The backend interface every implementation fills in.

A backend module must import its framework only when the backend is loaded
(``__init__``), so collecting the suite never imports torch, CuPy or Numba.
Capabilities are class-level data beside the code, read by the tests, the meta-tests
and ``parity list`` without importing the framework: ``declarations`` (:mod:`impls.declare`:
:class:`~impls.declare.Unsupported` and :class:`~impls.declare.Divergence` at any granularity,
each with the machine conditions under which it is known to hold) and ``unsupported``, the
shorthand for whole entries (entry -> why).  ``facts()`` tells the conditions what this
backend runs on (library versions, dispatch levels, GPU).
"""

from __future__ import annotations

import functools
import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from impls.declare import Declaration, Divergence, Unsupported, most_specific
from reference import get_spec
from reference._checks import dtype_name, require_cotangent
from reference._op import cotangent_dtype, input_names, optional_names

GPU_DEVICES = frozenset({"cuda"})  # real GPUs; "cudasim" and "emulated" stand in for one on the CPU
INDEX_DTYPES = ("int64", "bool")  # class indices and other integer inputs, and conditions: no gradient


class BackendUnavailable(RuntimeError):
    """The backend (or one of its devices) cannot be used here; the message says why."""


class UnsupportedOp(NotImplementedError):
    """The backend declares the op unsupported (``Backend.unsupported`` gives the reason)."""


@functools.cache
def _signature(forward) -> inspect.Signature:
    return inspect.signature(forward)


def bind_params(spec, inputs: Sequence, params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` completed with the reference signature's defaults, so every backend sees the same values."""
    signature = _signature(spec.forward)
    try:
        bound = signature.bind(*inputs, **params)
    except TypeError as error:
        raise TypeError(f"{spec.name}: {error}") from None
    bound.apply_defaults()
    arrays = {name.strip("*?") for name in spec.arg_names}
    return {k: v for k, v in bound.arguments.items() if k not in arrays}


# catalog ops that torch and the autograd engine expose under the catalog's own name, taking only x
SAME_NAME_UNARY = (
    "neg",
    "abs",
    "exp",
    "expm1",
    "log",
    "log1p",
    "sqrt",
    "square",
    "reciprocal",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "erf",
)


class HostArrays:
    """Array plumbing for backends whose arrays are plain NumPy arrays on the host (numpy, numexpr, numba)."""

    def _asarray(self, x, dtype, device):
        return np.array(x, dtype=dtype, copy=True)

    def native(self, x):
        return np.array(x, copy=True)

    def to_numpy(self, x) -> np.ndarray:
        return np.array(x, copy=True)

    def _check_array(self, x, name):
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")


class ReferenceBodies:
    """For backends whose ops are the reference's own functions (numpy, cupy): benchmarks time the op's body,
    not the reference's per-call argument checks, which :meth:`Backend.prepare` has already run once."""

    def prepare(self, op, inputs, params=None):
        spec, params = self._prepare(op, inputs, params or {})
        body, inputs = spec.forward.__wrapped__, tuple(inputs)

        def run():
            with np.errstate(all="ignore"):
                return body(*inputs, **params)

        return run


class HostOptimizer:
    """The reference optimizer (:mod:`reference.optim`) applied through host copies."""

    def __init__(self, backend, name, params, lr, hyper):
        from reference import optim

        self.backend, self.step_fn, self.lr, self.hyper = backend, optim.OPTIMIZERS[name], lr, hyper
        self.params = dict(params)
        self.state = {k: {} for k in params}

    def step(self, grads: dict) -> None:
        for key, grad in grads.items():
            param = self.params[key]
            dtype = dtype_name(param)
            device = self.backend.device_of(param)
            new, self.state[key] = self.step_fn(
                self.backend.to_numpy(param), self.backend.to_numpy(grad), self.state[key], lr=self.lr, **self.hyper
            )
            self.params[key] = self.backend.asarray(new, dtype, device)


class Backend(ABC):
    """One array framework seen through parity's interface."""

    name: ClassVar[str]
    devices: ClassVar[tuple[str, ...]] = ("cpu",)
    host_device: ClassVar[str | None] = "cpu"  # the device host-side tests use (None: no such device)
    dtypes: ClassVar[tuple[str, ...]] = ("float32", "float64")
    unsupported: ClassVar[Mapping[str, str]] = {}  # shorthand: entry -> why, for Unsupported(entry, why)
    declarations: ClassVar[tuple[Declaration, ...]] = ()
    provides_facts: ClassVar[tuple[str, ...]] = ()  # the names facts() may fill in, for declarations' conditions
    autograd: ClassVar[bool] = False  # does value_and_grad work (grad="auto" in training loops)?
    # dtype -> the wider type this backend promises to accumulate that dtype's sums in (sums, means, matrix
    # products, linear, conv2d): the checks then hold it to that accumulator's error bound, and
    # parity.accumulation measures whether it keeps the promise.  Absent: the dtype itself (the looser bound).
    accumulates: ClassVar[Mapping[str, str]] = {}
    # dtype -> why the backend has no such dtype at all (e.g. no float16 arithmetic): shown by ``parity list``
    # and in the report; cells are generated only for ``dtypes``.
    unsupported_dtypes: ClassVar[Mapping[str, str]] = {}

    # ------------------------------------------------------------ capabilities (no framework import)
    @classmethod
    def all_declarations(cls) -> tuple[Declaration, ...]:
        """``declarations`` plus the ``unsupported`` shorthand, as :class:`~impls.declare.Declaration` objects."""
        return tuple(Unsupported(entry, reason) for entry, reason in cls.unsupported.items()) + tuple(cls.declarations)

    @classmethod
    def unsupported_reason(cls, op: str) -> str | None:
        """Why the whole entry ``op`` is not implemented here (unconditionally), or None when it is."""
        found = most_specific(
            (d for d in cls.all_declarations() if isinstance(d, Unsupported) and not d.when), entry=op
        )
        return found.reason if found else None

    @classmethod
    def unsupported_for(cls, **cell) -> Unsupported | None:
        """The most specific :class:`Unsupported` covering a cell (``entry``, ``check``, ``variant``, ``case``,
        ``dtype``, ``device``), or None.  One with an ``inputs`` predicate refuses only the generated
        configurations it holds for (:meth:`refusal_for`), never a whole cell."""
        unsupported = (d for d in cls.all_declarations() if isinstance(d, Unsupported) and d.inputs is None)
        return most_specific(unsupported, **cell)

    @classmethod
    def refusal_for(cls, inputs: tuple, params: Mapping[str, Any], **cell) -> Unsupported | None:
        """An :class:`Unsupported` whose ``inputs`` predicate covers these generated inputs in this cell (the
        property checks draw around it), or None."""
        for declaration in cls.all_declarations():
            if isinstance(declaration, Unsupported) and declaration.covers(**cell):
                if declaration.applies_to(inputs, params):
                    return declaration
        return None

    @classmethod
    def divergence_for(cls, **cell) -> Divergence | None:
        """The most specific :class:`Divergence` covering a cell, or None."""
        return most_specific((d for d in cls.all_declarations() if isinstance(d, Divergence)), **cell)

    @classmethod
    def accumulator(cls, dtype: str, device: str) -> str | None:
        """The type this backend promises to accumulate ``dtype`` sums in on ``device`` (None: no promise)."""
        return cls.accumulates.get(dtype)

    def facts(self) -> Mapping[str, Any]:
        """Facts about what this backend runs on, beyond :func:`parity.machine.machine_facts` (library
        versions are already there): names from ``provides_facts``; a value may be a zero-argument callable,
        computed only when a condition asks for it.  Unknown facts are None."""
        return {}

    @classmethod
    def case_problem(cls, params: Mapping[str, Any]) -> str | None:
        """Why this backend cannot run a case with these parameters (e.g. autograd it lacks), or None."""
        if params.get("grad") == "auto" and not cls.autograd:
            return f"{cls.name} has no autograd; its gradients are the manual ones"
        if params.get("grad") == "auto" and params.get("amp") and not cls.differentiable_cast:
            return f"{cls.name}'s autograd does not differentiate through a cast; its mixed precision runs manually"
        return None

    def implemented_ops(self) -> set[str]:
        """The catalog ops this backend has code for (checked against ``unsupported`` by a meta-test)."""
        return set(getattr(self, "ops", {}))

    def device_problem(self, device: str) -> str | None:
        """Why ``device`` cannot be used on this machine, or None."""
        return None if device in self.devices else f"{self.name} has no device {device!r}"

    # ------------------------------------------------------------ arrays
    def asarray(self, x: np.ndarray, dtype: str, device: str = "cpu"):
        """A new backend array holding a copy of ``x`` cast to ``dtype`` on ``device`` (never an alias)."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"x must be a numpy.ndarray, got {type(x).__name__}")
        if dtype not in self.dtypes and dtype not in INDEX_DTYPES:
            raise TypeError(
                f"dtype must be one of {', '.join(self.dtypes + INDEX_DTYPES)} for {self.name}, got {dtype!r}"
            )
        if device not in self.devices:
            raise ValueError(f"device must be one of {', '.join(self.devices)} for {self.name}, got {device!r}")
        problem = self.device_problem(device)
        if problem:
            raise BackendUnavailable(problem)
        return self._asarray(x, dtype, device)

    @abstractmethod
    def _asarray(self, x: np.ndarray, dtype: str, device: str): ...

    @abstractmethod
    def native(self, x: np.ndarray):
        """The framework's own CPU array for ``x``, any dtype, unchecked (for probing bad input)."""

    @abstractmethod
    def to_numpy(self, x) -> np.ndarray:
        """A NumPy copy of a backend array (host memory, never shared with the backend)."""

    def device_name(self, device: str) -> str | None:
        """The hardware behind ``device`` (a GPU's model name), for the report; None when not known."""
        return None

    def device_of(self, x) -> str:
        """The parity device name (one of ``devices``) that backend array ``x`` lives on."""
        return str(getattr(x, "device", "cpu")).split(":")[0]

    def synchronize(self, device: str = "cpu") -> None:  # noqa: B027 - a no-op default, not abstract
        """Wait for all queued work on ``device`` (a no-op for synchronous backends)."""

    def wait(self, result, device: str = "cpu") -> None:
        """Block until ``result`` (what an op, a VJP, ``prepare()``'s function or a loop returned: an array, a
        tuple or a dict of them, or None) is computed.  The harness calls it before reading a clock or a
        value.  Default: :meth:`synchronize`; a framework with per-result handles (JAX's
        ``block_until_ready``) overrides it."""
        self.synchronize(device)

    @abstractmethod
    def _check_array(self, x, name: str) -> None:
        """Raise ``TypeError`` unless ``x`` is this backend's array type."""

    def _check_inputs(self, spec, inputs: Sequence) -> None:
        try:
            names = input_names(spec.arg_names, len(inputs))
        except TypeError as error:
            raise TypeError(f"{spec.name}: {error}") from None
        optional = optional_names(spec.arg_names)
        present = [(x, n) for x, n in zip(inputs, names) if not (x is None and n in optional)]
        for x, name in present:
            self._check_array(x, name)
        self._check_same_device([x for x, _ in present], [n for _, n in present])

    def _check_same_device(self, inputs: Sequence, names: Sequence[str]) -> None:  # noqa: B027 - no-op default
        """Raise ``ValueError`` when inputs live on different devices (backends with devices override)."""

    # ------------------------------------------------------------ ops
    def run(self, op: str, inputs: Sequence, params: Mapping[str, Any] | None = None):
        """The forward of catalog op ``op`` on backend arrays, after the reference's validation."""
        spec, params = self._prepare(op, inputs, params or {})
        return self._forward(spec, tuple(inputs), params)

    def vjp(self, op: str, inputs: Sequence, params: Mapping[str, Any] | None, cotangent) -> tuple:
        """Gradients of ``<cotangent, op(*inputs)>`` for every differentiable input, as backend arrays."""
        spec, params = self._prepare(op, inputs, params or {})
        self._check_array(cotangent, "grad_output")
        out = self._forward(spec, tuple(inputs), params)
        require_cotangent(cotangent, tuple(out.shape), cotangent_dtype(inputs))
        return self._vjp(spec, tuple(inputs), params, cotangent)

    def prepare(self, op: str, inputs: Sequence, params: Mapping[str, Any] | None = None):
        """A zero-argument function that runs ``op`` on ``inputs``, validated once, now: what benchmarks time,
        so that the adapter's argument checks are not counted as the framework's time.  The benchmarks pass
        its result to :meth:`wait` before reading the clock."""
        spec, params = self._prepare(op, inputs, params or {})
        inputs = tuple(inputs)
        return lambda: self._forward(spec, inputs, params)

    def _prepare(self, op: str, inputs: Sequence, params: Mapping[str, Any]):
        spec = get_spec(op)
        reason = self.unsupported_reason(op)
        if reason:
            raise UnsupportedOp(f"{self.name} does not support {op}: {reason}")
        self._check_inputs(spec, inputs)
        params = bind_params(spec, inputs, params)
        spec.validate(*(self._for_validation(x) for x in inputs), **params)
        return spec, params

    def _for_validation(self, x):
        """What the shared validators see for ``x`` (a backend with exotic shape objects adapts it)."""
        return x

    # ------------------------------------------------------------ training support
    def value_and_grad(self, fn, params: Sequence):
        """``(fn(*params), gradients of it)`` from the backend's own autograd; unsupported by default."""
        raise UnsupportedOp(f"{self.name} has no autograd: use grad='manual'")

    def stop_gradient(self, x):
        """``x`` cut from any autograd graph (identity for backends without autograd)."""
        return x

    # does cast() record the cast in the backend's autograd graph (mixed-precision loops with grad="auto")?
    differentiable_cast: ClassVar[bool] = False

    def cast(self, x, dtype: str, device: str):
        """``x`` converted to ``dtype`` (one of ``dtypes``) on ``device``; by default through a host copy, which
        no autograd graph sees (set ``differentiable_cast`` where the framework's own cast is used).  Values past
        the dtype's range become infinities, as a cast makes them (the loss scaler's overflow)."""
        with np.errstate(over="ignore"):
            return self.asarray(np.asarray(self.to_numpy(x), dtype=np.float64), dtype, device)

    def batch_norm_running_stats(self, x, running_mean, running_var, momentum: float = 0.1):
        """The running statistics after a training step (unbiased variance stored), from catalog ops."""
        axes = (0, *range(2, x.ndim))
        mean = self.run("mean", [x], {"axis": axes})
        var = self.run("var", [x], {"axis": axes, "correction": 1})
        return (1 - momentum) * running_mean + momentum * mean, (1 - momentum) * running_var + momentum * var

    def compiled_loop(self, name: str):
        """A whole training loop compiled by the backend (e.g. numba's poly), or None for the generic one."""
        return None

    def make_optimizer(self, name: str, params: dict, lr: float, hyper: dict):
        """An optimizer over ``params`` (name -> backend array); by default the reference's update rules
        applied on the host, so any backend can train.  ``.params`` holds the current values."""
        return HostOptimizer(self, name, params, lr, hyper)

    def run_optimizer(self, name: str, param0: np.ndarray, grads, lrs, hyper: dict, dtype: str, device: str):
        """Parameters (NumPy) after each of ``len(grads)`` steps of optimizer ``name`` at ``dtype``."""
        raise UnsupportedOp(f"{self.name} has no optimizer {name!r}")

    @abstractmethod
    def _forward(self, spec, inputs: tuple, params: dict): ...

    @abstractmethod
    def _vjp(self, spec, inputs: tuple, params: dict, cotangent) -> tuple: ...
