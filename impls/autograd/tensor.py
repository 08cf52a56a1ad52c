"""The core of parity's reverse-mode autograd: Tensor, the graph, backward.

Each op builds its result with :func:`make`, giving the parents and a ``backward(g, create_graph)``
closure that returns one gradient per parent (None for "no gradient").  With ``create_graph=False``
the closures receive and return plain ndarrays (fast); with ``create_graph=True`` they receive
Tensors, and because every backward is written with Tensor-compatible operations, the gradient is
itself differentiable.  Closures capture input data, never the output Tensor, so a graph holds no
reference cycle and is freed as soon as the last Tensor referring to it goes away.
"""

from __future__ import annotations

import itertools

import numpy as np

_state = {"grad": True}


class no_grad:  # noqa: N801 - named like torch.no_grad
    """Context manager: ops inside build no graph."""

    def __enter__(self):
        self.previous, _state["grad"] = _state["grad"], False

    def __exit__(self, *exc):
        _state["grad"] = self.previous


class _GradMode:
    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        self.previous, _state["grad"] = _state["grad"], self.enabled

    def __exit__(self, *exc):
        _state["grad"] = self.previous


def is_grad_enabled() -> bool:
    return _state["grad"]


class Node:
    """How a Tensor was made: its parents, the versions of the ones its backward reads, the closure,
    and a creation number (a child is always created after its parents: sorting by it is a
    topological order)."""

    __slots__ = ("backward", "parents", "checks", "op", "seq")

    def __init__(self, backward, parents, op, saved):
        self.backward, self.parents, self.op, self.seq = backward, parents, op, next(_sequence)
        if saved is None:
            self.checks = [(p, p._version) for p in parents]
        else:
            self.checks = [(parents[i], parents[i]._version) for i in saved] if saved else ()


_sequence = itertools.count()


class Tensor:
    """An n-dimensional float array that records the operations applied to it."""

    __slots__ = ("data", "grad", "requires_grad", "_node", "_version", "__weakref__")
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operator

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        array = np.array(data, dtype=dtype, copy=True) if not isinstance(data, np.ndarray) or dtype else data
        if array.dtype.kind != "f":
            raise TypeError(f"Tensor data must be floating point, got {array.dtype}; cast explicitly")
        self.data, self.grad, self.requires_grad = array, None, bool(requires_grad)
        self._node, self._version = None, 0

    # -- array-like attributes
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    is_leaf = property(lambda self: self._node is None)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        op = f", op={self._node.op}" if self._node else ""
        return f"Tensor({np.array2string(self.data, precision=4)}{grad}{op})"

    def __len__(self):
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """A copy of the data (never shared)."""
        return self.data.copy()

    def item(self) -> float:
        return self.data.item()

    def __float__(self):
        return float(self.data)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory, like torch)."""
        out = Tensor.__new__(Tensor)
        out.data, out.grad, out.requires_grad, out._node, out._version = self.data, None, False, None, 0
        return out

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError("requires_grad can only be changed on leaf tensors; use detach() first")
        self.requires_grad = flag
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def __setitem__(self, index, value):
        """In-place assignment: bumps the version, so a graph that saved this Tensor refuses to backward."""
        if self.requires_grad and self.is_leaf and _state["grad"]:
            raise RuntimeError("a leaf Tensor that requires grad is used in an in-place operation; use no_grad()")
        self.data[index] = value.data if isinstance(value, Tensor) else value
        self._version += 1

    def _inplace(self, new_data) -> Tensor:
        """Replace the values in place (optimizers, under no_grad)."""
        self.data[...] = new_data
        self._version += 1
        return self

    # -- autograd
    def backward(self, grad=None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) · grad into every leaf's ``.grad``.

        A non-scalar output needs an explicit ``grad`` of its shape, as in torch.
        """
        leaves, grads = _run_backward(self, grad, retain_graph or create_graph, create_graph)
        for leaf in leaves:
            g = grads.get(leaf)
            if g is None:
                continue
            g = g if isinstance(g, Tensor) else Tensor(g)
            leaf.grad = g if leaf.grad is None else _accumulate(leaf.grad, g, create_graph)


def _accumulate(old: Tensor, new: Tensor, create_graph: bool) -> Tensor:
    if create_graph:
        return old + new
    return Tensor(old.data + new.data)


def wrap(data: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A leaf Tensor around an ndarray, without the constructor's checks (internal fast path)."""
    out = Tensor.__new__(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)  # 0-d results can be NumPy scalars
    out.grad, out.requires_grad, out._node, out._version = None, requires_grad, None, 0
    return out


def make(data: np.ndarray, parents: tuple, backward, op: str, saved: tuple | None = None) -> Tensor:
    """A Tensor for ``data``; records the op when grad mode is on and some parent requires grad.

    ``saved``: indices of the parents whose values ``backward`` reads (default: all of them).
    """
    out = Tensor.__new__(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad, out._version, out.requires_grad, out._node = None, 0, False, None
    if _state["grad"]:
        for p in parents:
            if p.requires_grad:
                out.requires_grad, out._node = True, Node(backward, parents, op, saved)
                break
    return out


def _freed(node) -> RuntimeError:
    return RuntimeError(
        f"trying to backward through the graph a second time (through {node.op}): its saved values were freed "
        "by the first backward; pass retain_graph=True to the first call if you need to"
    )


def _seed(root: Tensor, grad, create_graph: bool):
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs; this output has shape {root.shape}: "
                "call backward(grad) with a gradient of that shape (e.g. ones for the sum of its elements)"
            )
        g = np.ones(root.data.shape, dtype=root.data.dtype)
    else:
        g = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
        if g.shape != root.shape:
            raise ValueError(f"grad has shape {g.shape} but the output has shape {root.shape}; they must match")
        if g.dtype != root.dtype:
            raise TypeError(f"grad has dtype {g.dtype} but the output has {root.dtype}; cast explicitly")
    if create_graph:
        return grad if isinstance(grad, Tensor) else Tensor(g)
    return g


def _run_backward(root: Tensor, grad, retain_graph: bool, create_graph: bool, wanted=()):
    """Propagate from ``root``; returns (leaves, gradients keyed by Tensor for the leaves and ``wanted``).

    This loop is the engine's hot path: Tensors are dict keys (they hash by identity), the order comes
    from sorting creation numbers, and first-order runs skip the grad-mode switch entirely (their
    closures only touch ndarrays).
    """
    if not root.requires_grad:
        raise RuntimeError("the output does not require grad: no input it depends on has requires_grad=True")
    seed = _seed(root, grad, create_graph)
    inner, leaves, stack, seen = [], [], [root], {root}
    while stack:
        t = stack.pop()
        node = t._node
        if node is None:
            leaves.append(t)
            continue
        if node.backward is None:
            raise _freed(node)
        inner.append((node.seq, t))
        for p in node.parents:
            if p.requires_grad and p not in seen:
                seen.add(p)
                stack.append(p)
    inner.sort(reverse=True)  # creation numbers are unique: a child after its parents
    wanted = set(wanted)
    grads, kept = {root: seed}, {}
    mode = _GradMode(True) if create_graph else None
    if mode:
        mode.__enter__()
    try:
        for _, t in inner:
            g = grads.pop(t, None)
            if g is None:
                continue
            if t in wanted:
                kept[t] = g
            node = t._node
            for parent, version in node.checks:
                if parent._version != version:
                    raise RuntimeError(
                        f"a Tensor saved for the backward of {node.op} was modified in place after it was used "
                        f"(version {parent._version}, expected {version}); clone it before changing it"
                    )
            parent_grads = node.backward(g, create_graph)
            if not retain_graph:
                node.backward = None
            for parent, pg in zip(node.parents, parent_grads):
                if pg is not None and parent.requires_grad:
                    previous = grads.get(parent)
                    grads[parent] = pg if previous is None else previous + pg
    finally:
        if mode:
            mode.__exit__(None, None, None)
    grads.update(kept)
    return leaves, grads


def grad(output: Tensor, inputs, grad_output=None, retain_graph: bool = False, create_graph: bool = False):
    """Like ``torch.autograd.grad``: the gradients of ``output`` with respect to ``inputs``, as Tensors
    (zeros for an input the output does not depend on), without touching ``.grad``."""
    inputs = list(inputs)
    _, found = _run_backward(output, grad_output, retain_graph or create_graph, create_graph, inputs)
    out = []
    for t in inputs:
        g = found.get(t)
        out.append(wrap(np.zeros_like(t.data)) if g is None else g if isinstance(g, Tensor) else wrap(g))
    return tuple(out)
