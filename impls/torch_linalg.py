"""torch's linear algebra (torch.linalg) with the catalog's argument names (reference/catalog_linalg.py)."""

from __future__ import annotations

import functools

import numpy as np

from impls.declare import Divergence, version


def _refusing_singular(torch, fn, name: str):
    """``fn`` with torch.linalg.LinAlgError (a singular or non-positive-definite matrix) as the reference's
    ValueError naming the argument."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except torch.linalg.LinAlgError as error:
            raise ValueError(f"{name} is singular ({error}): the result is undefined") from None

    return call


def _cholesky(torch, a):
    """torch.linalg.cholesky_ex, which reports a failed factorisation in ``info`` instead of raising."""
    lower, info = torch.linalg.cholesky_ex(a)
    if bool((info != 0).any()):
        raise ValueError("a is not positive definite: cholesky is undefined (torch.linalg.cholesky_ex info > 0)")
    return lower


def linalg_ops(torch) -> dict:
    """solve, inv, det, cholesky, einsum, tensordot and matrix_norm."""
    return {
        "solve": _refusing_singular(torch, torch.linalg.solve, "a"),
        "inv": _refusing_singular(torch, torch.linalg.inv, "a"),
        "det": torch.linalg.det,
        "slogdet_sign": lambda a: torch.linalg.slogdet(a).sign,
        "slogdet_logabsdet": lambda a: torch.linalg.slogdet(a).logabsdet,
        "cholesky": functools.partial(_cholesky, torch),
        "einsum": lambda *arrays, subscripts: torch.einsum(subscripts, *arrays),
        "tensordot": lambda a, b, axes: torch.tensordot(
            a, b, dims=axes if isinstance(axes, int) else [list(axes[0]), list(axes[1])]
        ),
        "matrix_norm": lambda x, ord: torch.linalg.matrix_norm(x, ord=ord),
        # the factorisations' outputs, one entry each (reference/linalg.py); torch reads eigh's lower triangle
        "svdvals": torch.linalg.svdvals,
        "svd_u": lambda a: torch.linalg.svd(a, full_matrices=False).U,
        "svd_vh": lambda a: torch.linalg.svd(a, full_matrices=False).Vh,
        "eigvalsh": torch.linalg.eigvalsh,
        "eigh_vectors": lambda a: torch.linalg.eigh(a).eigenvectors,
        "qr_q": lambda a: torch.linalg.qr(a).Q,
        "qr_r": lambda a: torch.linalg.qr(a).R,
    }


def _det_is_zero(inputs, params) -> bool:
    return bool(np.any(np.linalg.det(inputs[0]) == 0))


def _has_nan(inputs, params) -> bool:
    return bool(np.isnan(inputs[0]).any())


# measured with torch 2.13 (CPU, float32 and float64)
LINALG_DECLARATIONS = (
    Divergence(
        "slogdet_sign",
        "torch's slogdet returns sign 0 for a matrix with a NaN (and logabsdet NaN); the reference's sign is NaN "
        "there, as its determinant",
        check="special",
        variant="nan",
        when=(version("torch", ">=2.13,<2.14"),),
        returns=0.0,
        inputs=_has_nan,
    ),
    Divergence(
        "det",
        "torch's det backward returns a zero gradient wherever det(a) is exactly 0: at diag(0, 1) it gives 0 where "
        "the derivative, the cofactor matrix, is diag(1, 0); the reference returns the cofactor matrix, finite at "
        "every singular matrix",
        check="special",
        variant="singular",
        when=(version("torch", ">=2.13,<2.14"),),
        returns=0.0,
        grads=([[0.0, 0.0], [0.0, 0.0]],),
        inputs=_det_is_zero,
    ),
)
