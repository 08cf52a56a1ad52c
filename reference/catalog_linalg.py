"""Catalog entries for linear algebra beyond matmul/outer (issue #15): solve, inv, det, slogdet (slogdet_sign,
slogdet_logabsdet), cholesky, einsum, tensordot, matrix_norm, and the factorisations svd (svdvals, svd_u, svd_vh),
eigh (eigvalsh, eigh_vectors) and qr (qr_q, qr_r).  The references and their VJPs are in :mod:`reference.linalg`.

One entry per output.  The harness compares one array per entry, so a factorisation's outputs are entries of their
own; the VJP of the tuple is the sum of theirs.  Singular vectors, eigenvectors and QR factors are unique only up
to signs: their ``gauge`` (:class:`reference.spec.OpSpec`) maps each side's output to a canonical form (each
column's or row's largest element positive; diag(R) positive), and their gradients are those of the
gauge-invariant ``<g, canonical(f(x))>``.  Where singular values or eigenvalues repeat, the vectors' gradients are
undefined: the samplers keep them apart (``separated_norms``, ``separated_spectrum``) and the reference's VJP
raises ValueError at exactly repeated values.

Inputs.  The square-matrix ops draw from ``well_conditioned`` (U diag(s) V^T, |s| in [1, 2.5]: condition number
at most 2.5) or ``symmetric_positive_definite`` (eigenvalues in [0.5, 3]), the norms from ``separated_norms``
(singular values and the largest line sums of |x| kept 0.25 apart, so that every norm is differentiable there):
see :mod:`parity.inputs`.  The square ops' cases are batched (a 2-D case may not be square: the catalog's rule);
their special values are 2-D.

Dtypes.  The LAPACK-based entries run in float32 and float64 only: LAPACK has no half types, NumPy's linalg
refuses float16 ("array type float16 is unsupported in linalg") and torch.linalg refuses Half and BFloat16 on
the CPU.  einsum and tensordot are sums of products and run in every dtype, with matmul's accumulation bound.

Tolerances.  A backward-stable solver returns the exact answer of a problem perturbed by ~n u relative to its
data; the answer itself moves by up to the condition number kappa times that (Higham, "Accuracy and Stability
of Numerical Algorithms", 2002, ch. 7 and 14).  So the forward allowance of solve, inv, det and cholesky is
``(ceil(log2 n) + 2) u * kappa(a) * |result|`` (the accumulation hook, ``kappa`` computed per matrix), which
grows with the conditioning of the data instead of being guessed; the singular values behind the 2 and nuclear
norms are perfectly conditioned (|d sigma| <= ||da||_2, Weyl), so those get the sum-of-n-terms bound on the norm.
Gradients keep the default tolerances: through two solves their float32 error is ~ n kappa^2 u of their scale
(kappa <= 6, n <= 4: 9e-6 on elements of order 1), inside the default atol of 1e-5, and measured inside it.
"""

from __future__ import annotations

import math

import numpy as np

from reference import linalg
from reference.spec import Case, OpSpec, Special

INF, NAN = math.inf, math.nan
LAPACK_DTYPES = ("float64", "float32")
MULTILINEAR = (
    "linear in each operand and every case has at most two: the second-order term cancels in central "
    "differences, so any step is exact"
)


def _condition(a):
    """kappa_2 of each matrix of a (the ratio of its extreme singular values), with a trailing (1, 1)."""
    s = np.linalg.svd(a, compute_uv=False)
    return (s[..., :1] / s[..., -1:])[..., None]


def _lapack_terms(result_of):
    """The accumulation hook of a LAPACK entry: n terms, magnitude kappa(a) |result| (module doc)."""

    def terms(inputs, params):
        a = inputs[0]
        with np.errstate(all="ignore"):
            result = np.abs(result_of(*inputs, **params))
            kappa = _condition(a) if np.all(np.isfinite(a)) else np.ones(a.shape[:-2] + (1, 1))
        if result.ndim == a.ndim - 2:  # det: one number per matrix
            return a.shape[-1], kappa[..., 0, 0] * result
        if result.ndim == a.ndim - 1:  # solve with a vector b: (..., n)
            return a.shape[-1], kappa[..., 0] * result.max(axis=-1, keepdims=True, initial=0.0)
        return a.shape[-1], kappa * result.max(axis=(-2, -1), keepdims=True, initial=0.0)

    return terms


def _norm_terms(inputs, params):
    (x,) = inputs
    m, n = x.shape[-2:]
    return m * n, np.abs(linalg.matrix_norm(x, ord=params.get("ord", "fro")))


def _abs(x):
    return np.asarray(np.abs(x))  # an array even at 0-d (np.abs returns a NumPy scalar there)


def _einsum_terms(inputs, params):
    # every output element sums at most prod(contracted sizes) products: einsum of the magnitudes bounds them
    operands, output = linalg.parse_subscripts(params["subscripts"], [x.shape for x in inputs])
    sizes = {c: n for subs, x in zip(operands, inputs) for c, n in zip(subs, x.shape)}
    summed = math.prod(sizes[c] for c in set("".join(operands)) - set(output))
    return summed, linalg.einsum(*map(_abs, inputs), subscripts=params["subscripts"])


def _tensordot_terms(inputs, params):
    a, b = inputs
    ca, _ = linalg.tensordot_axes(params.get("axes", 2), a.ndim, b.ndim)
    return math.prod(a.shape[i] for i in ca), linalg.tensordot(_abs(a), _abs(b), axes=params.get("axes", 2))


def _square(name, forward, cases, specials, domain="well_conditioned", **kw) -> OpSpec:
    return OpSpec(
        name,
        forward,
        "linalg",
        cases,
        domain=domain,
        dtypes=LAPACK_DTYPES,
        accumulation=_lapack_terms(forward),
        specials=specials,
        **kw,
    )


SVD_CASES = (Case(((4, 3),)), Case(((2, 3, 5),)), Case(((3, 2, 2),)))
EIGH_CASES = (Case(((2, 3, 3),)), Case(((1, 4, 4),)), Case(((3, 1, 1),)))
QR_CASES = (Case(((4, 3),)), Case(((2, 5, 3),)), Case(((3, 2, 2),)))
SVD_KINKS = (
    "not differentiable where singular values repeat or vanish (the gradient divides by s_j^2 - s_i^2 and by s_i): "
    "sampled 0.25 apart and >= 0.5; at exactly repeated values the reference's VJP raises ValueError (torch returns "
    "inf or NaN)"
)
EIGH_KINKS = (
    "the eigenvectors are not differentiable where eigenvalues repeat (the gradient divides by w_j - w_i): sampled "
    "0.5 apart; at exactly repeated values the reference's VJP raises ValueError"
)
QR_KINKS = "R must be invertible (a of full column rank): sampled with singular values >= 0.5"


def COLUMNS(out, a):  # noqa: N802 - a gauge, named for what it fixes
    """Each column's largest element positive (singular vectors U, eigenvectors)."""
    return linalg.column_signs(out, -2)


def ROWS(out, a):  # noqa: N802
    """Each row's largest element positive (Vh)."""
    return linalg.column_signs(out, -1)


SQUARE_CASES = (Case(((2, 3, 3),)), Case(((3, 1, 1),)), Case(((2, 1, 4, 4),)))
DIAGONAL = [[2.0, 0.0], [0.0, 4.0]]
SINGULAR = [[1.0, 2.0], [2.0, 4.0]]  # rank 1: det 0, slogdet (0, -inf), a finite cofactor matrix
WITH_NAN = [[NAN, 0.0], [0.0, 1.0]]  # one NaN: every factorisation's output is NaN (reference.linalg.nan_where_nan)
NAN_DETERMINANT = Special("nan", (WITH_NAN,), NAN)  # det, slogdet's sign and log|det| alike

ENTRIES = (
    _square(
        "solve",
        linalg.solve,
        (
            Case(((2, 3, 3), (2, 3, 2))),
            Case(((3, 4, 4), (4,))),
            Case(((2, 1, 3, 3), (4, 3, 1))),
        ),
        (
            Special(
                "diagonal",
                (DIAGONAL, [1.0, 1.0]),
                [0.5, 0.25],
                cotangent=[1.0, 1.0],
                grads=([[-0.25, -0.125], [-0.125, -0.0625]], [0.5, 0.25]),
                note="x = a^-1 b; gb = a^-T g = (1/2, 1/4), ga = -gb x^T",
            ),
            Special(
                "nan",
                (WITH_NAN, [1.0, 1.0]),
                [NAN, NAN],
                note="a matrix with a NaN has an all-NaN solution (reference.linalg.nan_where_nan: NumPy's LU "
                "gives (NaN, 1) here, torch's (NaN, NaN))",
            ),
        ),
        notes="b is a vector (n,) or matrices (..., n, k); a batch of vectors (..., n) against a of shape (..., n, n) "
        "is refused as ambiguous (torch reads a vector batch, NumPy a matrix).  Singular a: ValueError (torch and "
        "NumPy raise LinAlgError).",
    ),
    _square(
        "inv",
        linalg.inv,
        SQUARE_CASES,
        (
            Special(
                "diagonal",
                (DIAGONAL,),
                [[0.5, 0.0], [0.0, 0.25]],
                cotangent=[[1.0, 1.0], [1.0, 1.0]],
                grads=([[-0.25, -0.125], [-0.125, -0.0625]],),
                note="ga = -a^-T g a^-T",
            ),
            Special("nan", (WITH_NAN,), [[NAN, NAN], [NAN, NAN]], note="as solve's nan"),
        ),
        notes="singular a: ValueError (torch and NumPy raise LinAlgError)",
    ),
    _square(
        "det",
        linalg.det,
        SQUARE_CASES,
        (
            Special(
                "diagonal",
                ([[2.0, 0.0], [0.0, 3.0]],),
                6.0,
                cotangent=1.0,
                grads=([[3.0, 0.0], [0.0, 2.0]],),
                note="Jacobi: the gradient is the cofactor matrix",
            ),
            Special(
                "singular",
                (SINGULAR,),
                0.0,
                cotangent=1.0,
                grads=([[4.0, -2.0], [-2.0, 1.0]],),
                note="det = 0 but its gradient, the cofactor matrix, is not: det(a) a^-T is 0 * inf there, the "
                "adjugate is finite",
            ),
            NAN_DETERMINANT,
        ),
    ),
    _square(
        "slogdet_sign",
        linalg.slogdet_sign,
        SQUARE_CASES,
        (
            Special("signs", ([[[2.0, 0.0], [0.0, 3.0]], [[0.0, 1.0], [1.0, 0.0]]],), [1.0, -1.0]),
            Special(
                "singular",
                (SINGULAR,),
                0.0,
                note="det 0: slogdet gives (0, -inf) (torch and NumPy)",
            ),
            NAN_DETERMINANT,
        ),
        notes="slogdet's first output (torch.linalg.slogdet(a).sign); its gradient is 0 (torch gives none)",
    ),
    _square(
        "slogdet_logabsdet",
        linalg.slogdet_logabsdet,
        SQUARE_CASES,
        (
            Special(
                "diagonal",
                ([[2.0, 0.0], [0.0, -4.0]],),
                math.log(8.0),
                cotangent=1.0,
                grads=([[0.5, 0.0], [0.0, -0.25]],),
                note="log|det| = log 8; its gradient a^-T, signs included",
            ),
            Special(
                "singular",
                (SINGULAR,),
                -INF,
                note="det 0: slogdet gives (0, -inf); the gradient there is infinite with the sign of det's zero, "
                "which is rounding (torch: [[-inf, inf], [inf, -inf]] after a det of -0.0), so none is stated",
            ),
            Special(
                "huge",
                ([[1e30, 0.0], [0.0, 1e30]],),
                60.0 * math.log(10.0),
                note="det = 1e60 overflows float32, log|det| = 138.2 does not",
            ),
            NAN_DETERMINANT,
        ),
        notes="slogdet's second output (torch.linalg.slogdet(a).logabsdet)",
    ),
    _square(
        "cholesky",
        linalg.cholesky,
        (Case(((2, 3, 3),)), Case(((3, 1, 1),)), Case(((1, 4, 4),))),
        (
            Special("exact", ([[4.0, 2.0], [2.0, 5.0]],), [[2.0, 0.0], [1.0, 2.0]]),
            Special(
                "diagonal-grad",
                ([[4.0, 0.0], [0.0, 9.0]],),
                [[2.0, 0.0], [0.0, 3.0]],
                cotangent=[[1.0, 1.0], [1.0, 1.0]],
                grads=([[0.25, 0.25], [0.25, 1.0 / 6.0]],),
                note="dL11/da11 = 1/(2 sqrt 4); L21 = a21 / L11 moves by 1/2 per unit of the symmetric off-diagonal "
                "pair, shared by its two entries; dL22/da22 = 1/(2 sqrt 9); the cotangent of L's upper triangle "
                "(constant 0) does not count",
            ),
        ),
        domain="symmetric_positive_definite",
        notes="reads the symmetric part of a (torch and LAPACK read its lower triangle: the same on symmetric "
        "input, the domain); a matrix that is not positive definite is a ValueError in the reference and the "
        "adapters (torch raises torch.linalg.LinAlgError, NumPy LinAlgError, CuPy returns NaN silently).",
    ),
    OpSpec(
        "einsum",
        linalg.einsum,
        "linalg",
        (
            Case(((3, 4), (4, 5)), {"subscripts": "ij,jk->ik"}),
            Case(((2, 3, 4), (2, 4, 5)), {"subscripts": "bij,bjk->bik"}),
            Case(((2, 3, 3),), {"subscripts": "bii->b"}),
            Case(((3,), (4,)), {"subscripts": "i,j->ij"}),
            Case(((3, 4),), {"subscripts": "ij->ji"}),
            Case(((3, 4), (3, 4)), {"subscripts": "ij,ij->"}),
            Case(((3, 4), (4, 2)), {"subscripts": "ij,jk"}),
            Case(((2, 3, 4),), {"subscripts": "ijk->j"}),
        ),
        accumulation=_einsum_terms,
        fd_step=1.0,
        fd_step_reason=MULTILINEAR,
        specials=(
            Special(
                "trace",
                ([[[1.0, 2.0], [3.0, 4.0]]],),
                [5.0],
                params={"subscripts": "bii->b"},
                cotangent=[2.0],
                grads=([[[2.0, 0.0], [0.0, 2.0]]],),
                note="the gradient of a trace is g times the identity: a repeated subscript is a diagonal",
            ),
            Special("inf-times-zero", ([[INF, 1.0]], [[0.0], [1.0]]), [[NAN]], params={"subscripts": "ij,jk->ik"}),
        ),
        notes="explicit and implicit modes; no ellipsis.  The VJP of each operand is an einsum of the cotangent with "
        "the other operands (reference.linalg.einsum_operand_grad).",
    ),
    OpSpec(
        "tensordot",
        linalg.tensordot,
        "linalg",
        (
            Case(((3, 4, 5), (4, 5, 2)), {"axes": 2}),
            Case(((3, 4), (5, 3)), {"axes": ([0], [1])}),
            Case(((2, 3, 4), (4, 3)), {"axes": ((1, 2), (1, 0))}),
            Case(((3,), (2,)), {"axes": 0}),
        ),
        accumulation=_tensordot_terms,
        fd_step=1.0,
        fd_step_reason=MULTILINEAR,
        specials=(Special("inf-times-zero", ([[INF, 1.0]], [[0.0], [1.0]]), [[NAN]], params={"axes": 1}),),
    ),
    OpSpec(
        "matrix_norm",
        linalg.matrix_norm,
        "linalg",
        (
            Case(((3, 4),), {"ord": "fro"}),
            Case(((2, 3, 4),), {"ord": "nuc"}),
            Case(((4, 3),), {"ord": 2}),
            Case(((2, 4, 3),), {"ord": 1}),
            Case(((3, 5),), {"ord": INF}),
        ),
        domain="separated_norms",
        dtypes=LAPACK_DTYPES,
        accumulation=_norm_terms,
        kinks="the 2 and nuclear norms are not differentiable where the singular values they pick repeat (or "
        "vanish), the 1 and inf norms where the largest line sum ties or an element is 0: sampled away from all of "
        "these; the tie convention (an even split) and the zero matrix are pinned",
        specials=(
            *(
                Special(
                    f"diagonal-{name}",
                    ([[3.0, 0.0], [0.0, -4.0]],),
                    value,
                    params={"ord": ord},
                    cotangent=1.0,
                    grads=(grad,),
                    note=note,
                )
                for name, ord, value, grad, note in (
                    ("fro", "fro", 5.0, [[0.6, 0.0], [0.0, -0.8]], "x / ||x||"),
                    ("nuc", "nuc", 7.0, [[1.0, 0.0], [0.0, -1.0]], "U V^T, the polar factor"),
                    ("2", 2, 4.0, [[0.0, 0.0], [0.0, -1.0]], "u_1 v_1^T of the largest singular value"),
                    ("1", 1, 4.0, [[0.0, 0.0], [0.0, -1.0]], "sign(x) on the largest column"),
                    ("inf", INF, 4.0, [[0.0, 0.0], [0.0, -1.0]], "sign(x) on the largest row"),
                )
            ),
            Special(
                "tie",
                ([[1.0, 1.0], [1.0, 1.0]],),
                2.0,
                params={"ord": 1},
                cotangent=1.0,
                grads=([[0.5, 0.5], [0.5, 0.5]],),
                note="tied columns share the gradient evenly (torch's amax)",
            ),
            Special(
                "zero-fro",
                ([[0.0, 0.0], [0.0, 0.0]],),
                0.0,
                params={"ord": "fro"},
                cotangent=1.0,
                grads=([[0.0, 0.0], [0.0, 0.0]],),
                note="the Frobenius norm's gradient at 0 is 0 (torch's convention; x / ||x|| is 0 / 0)",
            ),
            Special("inf", ([[INF, 1.0]],), INF, params={"ord": "fro"}),
            Special("nan", ([[NAN, 1.0]],), NAN, params={"ord": 1}),
        ),
        notes="ord 'fro', 'nuc', 2, 1 and inf over the last two axes (torch.linalg.matrix_norm); the 2 and nuclear "
        "norms of a matrix with a NaN or an infinity are a ValueError (its SVD is undefined; torch raises too)",
    ),
    *(
        OpSpec(
            name,
            forward,
            "linalg",
            cases,
            domain=domain,
            dtypes=LAPACK_DTYPES,
            specials=specials,
            notes=notes,
            gauge=gauge,
            kinks=kinks,
        )
        for name, forward, cases, domain, specials, notes, gauge, kinks in (
            (
                "svdvals",
                linalg.svdvals,
                SVD_CASES,
                "separated_norms",
                (
                    Special(
                        "diagonal",
                        ([[3.0, 0.0], [0.0, -4.0]],),
                        [4.0, 3.0],
                        cotangent=[1.0, 0.0],
                        grads=([[0.0, 0.0], [0.0, -1.0]],),
                        note="d sigma_1 = u_1^T da v_1: u_1 v_1^T = -e2 e2^T",
                    ),
                ),
                "the singular values (torch.linalg.svdvals), descending",
                None,
                SVD_KINKS,
            ),
            (
                "svd_u",
                linalg.svd_u,
                SVD_CASES,
                "separated_norms",
                (
                    Special(
                        "diagonal",
                        ([[3.0, 0.0], [0.0, -4.0]],),
                        [[0.0, 1.0], [1.0, 0.0]],
                        note="u_1 = +-e2 (sigma 4), u_2 = +-e1; canonical: each column's largest element positive",
                    ),
                ),
                "U of the thin SVD (torch.linalg.svd(a, full_matrices=False).U), compared in the canonical form "
                "(each column's largest element positive: reference.linalg.column_signs)",
                COLUMNS,
                SVD_KINKS,
            ),
            (
                "svd_vh",
                linalg.svd_vh,
                SVD_CASES,
                "separated_norms",
                (
                    Special(
                        "diagonal",
                        ([[3.0, 0.0], [0.0, -4.0]],),
                        [[0.0, 1.0], [1.0, 0.0]],
                        note="v_1 = +-e2, v_2 = +-e1 as rows; canonical: each row's largest element positive",
                    ),
                ),
                "Vh of the thin SVD, in the canonical form (each row's largest element positive)",
                ROWS,
                SVD_KINKS,
            ),
            (
                "eigvalsh",
                linalg.eigvalsh,
                EIGH_CASES,
                "separated_spectrum",
                (
                    Special(
                        "pair",
                        ([[2.0, 1.0], [1.0, 2.0]],),
                        [1.0, 3.0],
                        cotangent=[1.0, 0.0],
                        grads=([[0.5, -0.5], [-0.5, 0.5]],),
                        note="dw_1 = v_1^T da v_1, v_1 = (1, -1) / sqrt 2",
                    ),
                ),
                "eigenvalues of the symmetric part (a + a^T) / 2, ascending (torch.linalg.eigvalsh reads the lower "
                "triangle: the same on symmetric input, the domain)",
                None,
                EIGH_KINKS,
            ),
            (
                "eigh_vectors",
                linalg.eigh_vectors,
                EIGH_CASES,
                "separated_spectrum",
                (
                    Special(
                        "diagonal",
                        ([[2.0, 0.0], [0.0, 1.0]],),
                        [[0.0, 1.0], [1.0, 0.0]],
                        note="w = (1, 2): v_1 = +-e2, v_2 = +-e1; canonical: each column's largest element positive",
                    ),
                ),
                "eigenvectors (columns) of the symmetric part, in the canonical form (torch.linalg.eigh(a)"
                ".eigenvectors)",
                COLUMNS,
                EIGH_KINKS,
            ),
            (
                "qr_q",
                linalg.qr_q,
                QR_CASES,
                "separated_norms",
                (
                    Special(
                        "exact",
                        ([[3.0, 1.0], [4.0, 2.0]],),
                        [[0.6, -0.8], [0.8, 0.6]],
                        note="Gram-Schmidt by hand: q_1 = (3, 4) / 5, q_2 = (-0.32, 0.24) / 0.4",
                    ),
                ),
                "Q of the reduced QR (m >= n; torch.linalg.qr(a).Q), in the canonical form: diag(R) positive, "
                "R = Q^T a (LAPACK's Householder QR leaves those signs free)",
                lambda q, a: linalg.qr_q_gauge(q, a),
                QR_KINKS,
            ),
            (
                "qr_r",
                linalg.qr_r,
                QR_CASES,
                "separated_norms",
                (
                    Special(
                        "exact",
                        ([[3.0, 1.0], [4.0, 2.0]],),
                        [[5.0, 2.2], [0.0, 0.4]],
                        note="r_11 = |(3, 4)| = 5, r_12 = q_1 . (1, 2) = 2.2, r_22 = 0.4",
                    ),
                ),
                "R of the reduced QR (m >= n; torch.linalg.qr(a).R), in the canonical form: diag(R) positive",
                lambda r, a: linalg.qr_r_gauge(r, a),
                QR_KINKS,
            ),
        )
    ),
)
# the entries computed by LAPACK (factorisations, solves, norms) and the contractions: what backends declare in bulk
CONTRACTIONS = ("einsum", "tensordot")
LAPACK_ENTRIES = tuple(spec.name for spec in ENTRIES if spec.name not in CONTRACTIONS)
