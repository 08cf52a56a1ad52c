"""torch's integer and bool arithmetic under the catalog's names (reference/integers.py), and where torch differs
from the reference's NumPy 2 semantics: merged into the torch backend's table and declarations."""

from __future__ import annotations

from impls.declare import Divergence, Unsupported


def integer_ops(torch) -> dict:
    """Catalog name -> a function of the catalog's inputs and parameters."""
    return {
        "int_add": torch.add,
        "int_sub": torch.sub,
        "int_mul": torch.mul,
        "int_floor_divide": torch.floor_divide,
        "int_remainder": torch.remainder,
        "int_true_divide": torch.true_divide,
        "int_eq": torch.eq,
        "int_lt": torch.lt,
        "int_abs": torch.abs,
        "int_add_float": lambda x, scalar: x + scalar,
    }


DEFAULT_FLOAT = (
    "torch promotes {what} to its default dtype, float32 (torch.get_default_dtype()), where NumPy 2 gives float64: "
    "the result's dtype differs, and float32 rounds past 2**24"
)
BY_ZERO = (
    "torch raises RuntimeError('ZeroDivisionError') for integer {op} by zero on the CPU (measured, torch 2.13; pinned "
    "by tests/test_divergences.py), where NumPy returns 0; on CUDA the result is not checked here"
)
INTEGER_DECLARATIONS = (
    Divergence("int_true_divide", DEFAULT_FLOAT.format(what="int / int (true division)")),
    Divergence("int_add_float", DEFAULT_FLOAT.format(what="an integer tensor plus a Python float")),
    Unsupported("int_floor_divide", BY_ZERO.format(op="//"), check="special", variant="by-zero"),
    Unsupported("int_remainder", BY_ZERO.format(op="%"), check="special", variant="by-zero"),
)
