"""What every backend owes the harness, built-in or third-party: declarations that name real cells, every
catalog entry implemented or declared, arrays copied both ways (never aliased), and bad input refused with a
ValueError/TypeError that names the argument.  Parametrised over the run's selected backends."""

import numpy as np
import pytest

from impls.declare import problems
from parity.accumulation import promise_problems
from parity.compare import Context, assert_close
from parity.inputs import sample
from reference import CATALOG, get_spec
from reference.floats import HALF_DTYPES

F64 = "float64"
BAD_INPUTS = [
    ("exp", [(3,)], ["int64"], {}, TypeError, r"\bx must have a floating dtype"),
    ("add", [(3,), (3,)], [F64, "float32"], {}, TypeError, r"\by has dtype float32 but x has float64"),
    ("add", [(3, 4), (5,)], [F64, F64], {}, ValueError, r"x and y cannot be broadcast"),
    ("matmul", [(3, 4), (5, 6)], [F64, F64], {}, ValueError, r"\ba and b have mismatched inner dimensions"),
    ("matmul", [(), (3,)], [F64, F64], {}, ValueError, r"\ba must have at least 1 dimension"),
    ("matmul", [(2, 3, 4), (5, 4, 2)], [F64, F64], {}, ValueError, r"batch .*cannot be broadcast"),
    ("outer", [(3, 1), (2,)], [F64, F64], {}, ValueError, r"\bx must have 1 dimension"),
    ("sum", [(3, 4)], [F64], {"axis": 2}, ValueError, r"\baxis=2 is out of range"),
    ("sum", [(3, 4)], [F64], {"axis": (0, 0)}, ValueError, r"\baxis=\(0, 0\) repeats an axis"),
    ("sum", [(3, 4)], [F64], {"axis": 1.0}, TypeError, r"\baxis must be an int"),
    ("sum", [(3, 4)], [F64], {"axis": [0]}, TypeError, r"\baxis must be None, an int or a tuple"),
    ("mean", [(3, 4)], [F64], {"keepdims": 1}, TypeError, r"\bkeepdims must be a bool"),
    ("var", [(3, 4)], [F64], {"axis": 0}, TypeError, r"\bcorrection\b"),
    ("var", [(3, 4)], [F64], {"correction": -1}, ValueError, r"\bcorrection must be >= 0"),
    ("max", [(0, 4)], [F64], {"axis": 0}, ValueError, r"\bx has shape \(0, 4\): max/min over an empty axis"),
    ("softmax", [()], [F64], {}, ValueError, r"\bx must have at least 1 dimension"),
    ("log_softmax", [(3, 4)], [F64], {"axis": -3}, ValueError, r"\baxis=-3 is out of range"),
    ("leaky_relu", [(3,)], [F64], {"negative_slope": "0.1"}, TypeError, r"\bnegative_slope must be a real number"),
    ("softplus", [(3,)], [F64], {"beta": 0.0}, ValueError, r"\bbeta must be > 0"),
    ("transpose", [(2, 3)], [F64], {"axes": (0, 0)}, ValueError, r"\baxes=\(0, 0\) is not a permutation"),
    ("reshape", [(2, 3)], [F64], {"shape": (4, 2)}, ValueError, r"cannot reshape x of shape \(2, 3\)"),
    ("reshape", [(2, 3)], [F64], {"shape": (-1, -1)}, ValueError, r"\bshape=\(-1, -1\): only one -1"),
    ("concatenate", [(2, 3), (2, 4)], [F64, F64], {"axis": 0}, ValueError, r"\barrays\[1\] has shape \(2, 4\)"),
    ("concatenate", [(2, 3), (2, 3)], [F64, "float32"], {}, TypeError, r"\barrays\[1\] has dtype float32"),
    ("slice", [(4, 5)], [F64], {"index": (slice(None), slice(None), 1)}, ValueError, r"\bindex has 3 entries"),
    ("slice", [(4, 5)], [F64], {"index": (7,)}, ValueError, r"\bindex\[0\]=7 is out of range"),
    ("slice", [(4, 5)], [F64], {"index": (slice(None, None, 0),)}, ValueError, r"\bindex\[0\] has step 0"),
    ("exp", [(3,)], [F64], {"axis": 0}, TypeError, r"unexpected keyword argument 'axis'"),
    # layers and losses
    ("conv2d", [(2, 3, 5, 5), (4, 2, 3, 3)], [F64, F64], {}, ValueError, r"x has 3 channels but weight expects 2"),
    # and the other way round: a size checked with != must be refused when too large as well as too small
    ("conv2d", [(2, 2, 5, 5), (4, 3, 3, 3)], [F64, F64], {}, ValueError, r"x has 2 channels but weight expects 3"),
    ("conv2d", [(1, 1, 2, 2), (1, 1, 3, 3)], [F64, F64], {}, ValueError, r"kernel extent \(3, 3\) is larger than"),
    (
        "conv2d",
        [(1, 1, 2, 2), (1, 1, 5, 5)],
        [F64, F64],
        {"padding": 1},
        ValueError,
        r"kernel extent \(5, 5\) is larger than the padded input \(4, 4\)",
    ),  # fmt: skip
    (
        "conv2d",
        [(1, 1, 4, 4), (1, 1, 3, 3)],
        [F64, F64],
        {"padding": -1},
        ValueError,
        r"\bpadding must be non-negative",
    ),
    (
        "conv2d",
        [(1, 1, 4, 4), (1, 1, 3, 3)],
        [F64, F64],
        {"padding": "same", "stride": 2},
        ValueError,
        r"'same'.*stride",
    ),
    ("conv2d", [(1, 2, 4, 4), (2, 2, 3, 3), (3,)], [F64, F64, F64], {}, ValueError, r"\bbias must have shape \(2,\)"),
    ("conv2d", [(2, 4, 4), (2, 2, 3, 3)], [F64, F64], {}, ValueError, r"\bx must have 4 dim.*unbatched .*not supp"),
    ("conv2d", [(2, 4), (2, 2, 3, 3)], [F64, F64], {}, ValueError, r"\bx must have 4 dimension"),
    ("conv2d", [(1, 2, 4, 4), (0, 2, 3, 3)], [F64, F64], {}, ValueError, r"\bweight must have at least one filter"),
    ("max_pool2d", [(2, 4, 4)], [F64], {"kernel_size": 2}, ValueError, r"\bx must have 4 dimensions .*unbatched"),
    ("max_pool2d", [(1, 1, 2, 2)], [F64], {"kernel_size": 3}, ValueError, r"\bkernel_size=3 is larger than"),
    ("max_pool2d", [(1, 1, 6, 6)], [F64], {"kernel_size": 2, "padding": 2}, ValueError, r"\bpadding=2 must be at most"),
    ("avg_pool2d", [(1, 1, 6, 6)], [F64], {"kernel_size": 2, "padding": -1}, ValueError, r"\bpadding must be non-neg"),
    ("linear", [(5, 3), (4, 2)], [F64, F64], {}, ValueError, r"\bx has 3 features but weight expects 2"),
    ("linear", [(5, 2), (4, 3)], [F64, F64], {}, ValueError, r"\bx has 2 features but weight expects 3"),
    ("batch_norm", [(4, 3), (2,)], [F64, F64], {}, ValueError, r"\bweight must have shape \(3,\)"),
    ("batch_norm", [(1, 3)], [F64], {}, ValueError, r"one value per channel"),
    ("layer_norm", [(4, 3)], [F64], {"normalized_shape": (4,)}, ValueError, r"\bnormalized_shape=\(4,\) must match"),
    (
        "layer_norm",
        [(4, 3), (3,)],
        [F64, "float32"],
        {"normalized_shape": (3,)},
        TypeError,
        r"\bweight has dtype float32 but x has float64",
    ),
    ("dropout", [(4, 3), (3, 4)], [F64, F64], {"p": 0.5}, ValueError, r"\bmask must have x's shape"),
    ("dropout", [(4, 3), (4, 3)], [F64, F64], {"p": 1.0}, ValueError, r"\bp must be < 1"),
    ("mse_loss", [(4, 3), (3, 4)], [F64, F64], {}, ValueError, r"\binput \(4, 3\) and target \(3, 4\)"),
    ("mse_loss", [(4, 3), (4, 3)], [F64, F64], {"reduction": "avg"}, ValueError, r"\breduction must be one of"),
    ("cross_entropy", [(4, 3), (5,)], [F64, "int64"], {}, ValueError, r"\btarget of class indices must have shape"),
    ("cross_entropy", [(4, 3), (4,)], [F64, "int64"], {"label_smoothing": 1.5}, ValueError, r"\blabel_smoothing"),
    ("cross_entropy", [(4, 3), (4,)], [F64, "int32"], {"weight_": 1}, TypeError, r"unexpected keyword"),
    ("nll_loss", [(4, 3), (4, 3)], [F64, F64], {}, TypeError, r"nll_loss needs int64 class indices"),
    ("cross_entropy", [(4, 3), (4,)], [F64, "int32"], {}, TypeError, r"\btarget must hold int64 class indices, got dt"),
    ("nll_loss", [(4, 3), (4,)], [F64, "int32"], {}, TypeError, r"\btarget must hold int64 class indices, got dt"),
    (
        "cross_entropy",
        [(4, 3), (4, 3)],
        [F64, F64],
        {"ignore_index": 0},
        ValueError,
        r"\bignore_index=0 is not supported with class-probability targets",
    ),
    (
        "cross_entropy",
        [(4, 3), (4,), (3,)],
        [F64, "int64", "float32"],
        {},
        TypeError,
        r"\bweight has dtype float32 but input has float64",
    ),
    # conv_transpose2d and the resampling layers (#15)
    ("conv_transpose2d", [(1, 2, 3, 3), (3, 1, 2, 2)], [F64, F64], {}, ValueError, r"\bweight must have x's 2 input"),
    (
        "conv_transpose2d",
        [(1, 1, 2, 2), (1, 1, 2, 2)],
        [F64, F64],
        {"stride": 2, "output_padding": 2},
        ValueError,
        r"\boutput_padding=2 must be smaller than stride",
    ),
    ("adaptive_avg_pool2d", [(1, 2, 3, 4)], [F64], {"output_size": 0}, ValueError, r"\boutput_size must be positive"),
    ("interpolate_nearest", [(2, 3, 4)], [F64], {"size": 3}, ValueError, r"\bx must have 4 dimensions"),
    (
        "interpolate_bilinear",
        [(1, 1, 2, 2)],
        [F64],
        {"size": 3, "align_corners": 1},
        TypeError,
        r"\balign_corners must be a bool",
    ),
    # indexing (reference/indexing.py): np.ones gives index 1, out of range along a size-1 axis
    ("index_select", [(3, 1), (2,)], [F64, "int64"], {"axis": 1}, ValueError, r"\bindex holds index 1 outside \[0, 1"),
    ("index_select", [(3, 2), (2, 1)], [F64, "int64"], {"axis": 1}, ValueError, r"\bindex must have 1 dimension"),
    ("take_along_axis", [(3, 4), (3,)], [F64, "int64"], {"axis": 1}, ValueError, r"\bindices must have x's 2 dim"),
    ("take_along_axis", [(3, 4), (3, 2)], [F64, F64], {"axis": 1}, TypeError, r"\bindices must hold int64 or int32"),
    ("take_along_axis", [(3, 4), (4, 2)], [F64, "int64"], {"axis": 1}, ValueError, r"\bindices has size 4 in dim"),
    ("scatter_add", [(3, 4), (3, 2), (3, 3)], [F64, "int64", F64], {"axis": 1}, ValueError, r"\bsrc must have index's"),
    ("index_add", [(3, 4), (2,), (3, 2)], [F64, "int64", "float32"], {"axis": 1}, TypeError, r"\bsrc has dtype float3"),
    ("embedding", [(3, 2), (4,)], [F64, "int64"], {"padding_idx": 3}, ValueError, r"\bpadding_idx=3 is out of range"),
    ("embedding", [(3,), (4,)], [F64, "int64"], {}, ValueError, r"\bweight must have 2 dimension"),
    ("one_hot", [(4,)], ["int32"], {}, TypeError, r"\bindices must hold int64 indices"),
    ("one_hot", [(4,)], ["int64"], {"num_classes": 1}, ValueError, r"\bindices holds index 1 outside \[0, 1\)"),
    ("pad", [(2, 3)], [F64], {"pad": (3, 0), "mode": "reflect"}, ValueError, r"\bpad=\(3, 0\): reflect padding must"),
    ("pad", [(3,)], [F64], {"pad": (1, 1), "mode": "replicate"}, ValueError, r"\bpad=\(1, 1\) needs x of 2 or 3"),
    ("pad", [(2, 3)], [F64], {"pad": (1,)}, TypeError, r"\bpad must be a tuple of an even number"),
    ("pad", [(2, 3)], [F64], {"pad": (1, 1), "mode": "circular", "value": 1.0}, ValueError, r"\bvalue=1.0 is only"),
    (
        "binary_cross_entropy_with_logits",
        [(4, 3), (4, 3), None, (4,)],
        [F64, F64, None, F64],
        {},
        ValueError,
        r"input and pos_weight cannot be broadcast together",
    ),
    # linear algebra (reference/catalog_linalg.py)
    ("inv", [(3, 4)], [F64], {}, ValueError, r"\ba must be a square matrix"),
    ("solve", [(3, 3), (4,)], [F64, F64], {}, ValueError, r"\bb of shape \(4,\) does not match a"),
    ("solve", [(3, 3), (2, 1)], [F64, F64], {}, ValueError, r"\bb must be a vector \(3,\) or a batch of matrices"),
    ("solve", [(3, 3), (4, 1)], [F64, F64], {}, ValueError, r"\bb must be a vector \(3,\) or a batch of matrices"),
    ("solve", [(2, 3, 3), (2, 3)], [F64, F64], {}, ValueError, r"\bb of shape \(2, 3\) is ambiguous"),
    ("det", [(3,)], [F64], {}, ValueError, r"\ba must have at least 2 dimension"),
    ("cholesky", [(3, 3)], [F64], {}, ValueError, r"\ba is not positive definite"),
    ("einsum", [(3, 4), (5, 6)], [F64, F64], {"subscripts": "ij,jk->ik"}, ValueError, r"arrays\[1\]: subscript 'j'"),
    ("einsum", [(3, 4)], [F64], {"subscripts": "...j->j"}, ValueError, r"\bsubscripts=.*ellipsis"),
    ("tensordot", [(3, 4), (5, 6)], [F64, F64], {"axes": 1}, ValueError, r"a's axis 1 \(size 4\) and b's axis 0"),
    ("matrix_norm", [(3, 4)], [F64], {"ord": 3}, ValueError, r"\bord=3 is not supported"),
    ("qr_r", [(2, 3)], [F64], {}, ValueError, r"\ba of shape \(2, 3\) has fewer rows than columns"),
    ("eigvalsh", [(3, 4)], [F64], {}, ValueError, r"\ba must be a square matrix"),
    ("svdvals", [(0, 3)], [F64], {}, ValueError, r"\ba of shape \(0, 3\) has no rows"),
    # integer and bool arithmetic (reference/catalog_integers.py) and where (reference/catalog_mathfuncs.py)
    ("int_add", [(3,), (3,)], ["int32", "int64"], {}, TypeError, r"\by has dtype int64 but x has int32"),
    ("int_sub", [(3,), (3,)], ["bool", "bool"], {}, TypeError, r"\bx must have dtype int32 or int64, got bool"),
    ("int_abs", [(3,)], ["float32"], {}, TypeError, r"\bx must have dtype int32 or int64, got float32"),
    ("int_floor_divide", [(2,), (3,)], ["int64", "int64"], {}, ValueError, r"\bx and y cannot be broadcast"),
    ("int_add_float", [(3,)], ["int32"], {"scalar": 2}, TypeError, r"\bscalar must be a Python float"),
    ("where", [(3,), (3,), (3,)], [F64, F64, F64], {}, TypeError, r"\bcondition must be a bool array"),
    ("where", [(2,), (3,), (1,)], ["bool", F64, F64], {}, ValueError, r"\bcondition \(2,\), x \(3,\) and y \(1,\) do"),
    ("where", [(3,), (3,), (3,)], ["bool", "float32", F64], {}, TypeError, r"\bx and y must have the same dtype"),
]
IDS = [f"{op}-{i}" for i, (op, *_rest) in enumerate(BAD_INPUTS)]


def _arrays(shapes, dtypes):
    return [None if shape is None else np.ones(shape, dtype=dtype) for shape, dtype in zip(shapes, dtypes)]


def test_declarations_name_real_cells(selected_backend_class):
    """Every declaration names a real entry, check kind, variant, dtype, device and fact, and states the
    divergent behaviour at special values."""
    found = problems(selected_backend_class)
    assert not found, "\n".join(found)


def test_backend_implements_or_declares_every_entry(selected_backend_class, parity_backends):
    backend = parity_backends.get(selected_backend_class.name)  # skips with the reason if it cannot load
    implemented = backend.implemented_ops()
    for op in CATALOG:
        assert (op in implemented) != bool(backend.unsupported_reason(op)), (
            f"{backend.name}: {op} must be either implemented or declared unsupported, not both or neither"
        )


@pytest.mark.cpu
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_parity_asarray_never_aliases_its_input(selected_backend, dtype):
    if dtype not in selected_backend.dtypes:
        pytest.skip(f"{selected_backend.name} has no {dtype}")
    x = np.arange(4.0)
    arr = selected_backend.asarray(x, dtype, selected_backend.host_device)
    x[0] = 99.0
    assert selected_backend.to_numpy(arr)[0] == 0.0


@pytest.mark.cpu
def test_parity_to_numpy_never_aliases_the_backend_array(selected_backend):
    arr = selected_backend.asarray(np.arange(4.0), "float64", selected_backend.host_device)
    out = selected_backend.to_numpy(arr)
    out[0] = 99.0
    assert selected_backend.to_numpy(arr)[0] == 0.0


def skip_if_unsupported(backend, op):
    """Capability data decides: an op the backend declares unsupported is a skip with its reason."""
    reason = backend.unsupported_reason(op)
    if reason:
        pytest.skip(f"{backend.name} does not support {op}: {reason}")


@pytest.mark.cpu
def test_class_index_out_of_range_is_refused(selected_backend):
    skip_if_unsupported(selected_backend, "cross_entropy")
    x = selected_backend.asarray(np.zeros((2, 3)), "float64", selected_backend.host_device)
    t = selected_backend.asarray(np.array([0, 7]), "int64", selected_backend.host_device)
    with pytest.raises(ValueError, match=r"\btarget holds class index 7 outside \[0, 3\)"):
        selected_backend.run("cross_entropy", [x, t])
    with pytest.raises(ValueError, match=r"\btarget holds class index 7 outside \[0, 3\)"):
        get_spec("cross_entropy").forward(np.zeros((2, 3)), np.array([0, 7]))


@pytest.mark.cpu
@pytest.mark.parametrize("index", [[0, -1], [0, 3]])
def test_index_out_of_range_is_refused(selected_backend, index):
    """A negative index (NumPy's take counts it from the end, torch raises) and one past the end: ValueError."""
    skip_if_unsupported(selected_backend, "index_select")
    x = selected_backend.asarray(np.zeros((2, 3)), "float64", selected_backend.host_device)
    i = selected_backend.asarray(np.array(index), "int64", selected_backend.host_device)
    with pytest.raises(ValueError, match=rf"\bindex holds index {index[1]} outside \[0, 3\) along axis 1"):
        selected_backend.run("index_select", [x, i], {"axis": 1})
    with pytest.raises(ValueError, match=rf"\bindex holds index {index[1]} outside \[0, 3\) along axis 1"):
        get_spec("index_select").forward(np.zeros((2, 3)), np.array(index), axis=1)


@pytest.mark.cpu
@pytest.mark.parametrize(("op", "shapes", "dtypes", "params", "error", "match"), BAD_INPUTS, ids=IDS)
def test_backend_rejects(selected_backend, op, shapes, dtypes, params, error, match):
    skip_if_unsupported(selected_backend, op)
    with pytest.raises(error, match=match):
        arrays = [None if a is None else selected_backend.native(a) for a in _arrays(shapes, dtypes)]
        selected_backend.run(op, arrays, params)


@pytest.mark.cpu
def test_backend_rejects_foreign_arrays(selected_backend):
    with pytest.raises(TypeError, match=r"\bx must be a"):
        selected_backend.run("exp", [[1.0, 2.0]])


@pytest.mark.cpu
def test_backend_rejects_a_cotangent_of_the_wrong_shape(selected_backend):
    x = selected_backend.asarray(np.ones((3, 4)), "float64", selected_backend.host_device)
    g = selected_backend.asarray(np.ones((4, 3)), "float64", selected_backend.host_device)
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(3, 4\)"):
        selected_backend.vjp("exp", [x], {}, g)


@pytest.mark.cpu
def test_asarray_rejects_unknown_dtype_and_device(selected_backend):
    with pytest.raises(TypeError, match=r"\bdtype must be one of"):
        selected_backend.asarray(np.ones(3), "complex64", selected_backend.host_device)
    with pytest.raises(ValueError, match=r"\bdevice must be one of"):
        selected_backend.asarray(np.ones(3), "float64", "tpu")


@pytest.mark.cpu
@pytest.mark.parametrize(("op", "params"), [("exp", {}), ("sum", {"axis": 0}), ("matmul", {})])
def test_non_contiguous_inputs_give_the_reference_result(selected_backend, op, params):
    """A transposed view (non-contiguous where the framework has views) is read correctly, never as raw memory."""
    skip_if_unsupported(selected_backend, op)
    base = np.arange(1.0, 25.0).reshape(4, 6) / 10
    view = selected_backend.native(base).T
    args = [view, selected_backend.native(base)] if op == "matmul" else [view]
    got = selected_backend.to_numpy(selected_backend.run(op, args, params))
    expected = get_spec(op).forward(*([base.T, base] if op == "matmul" else [base.T]), **params)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.cpu
@pytest.mark.parametrize("dtype", HALF_DTYPES)
def test_backend_keeps_its_accumulation_promise(selected_backend, dtype):
    """A backend promising to accumulate a half type's sums in float32 (``Backend.accumulates``) is held to the
    float32-accumulation bound by every tolerance: it must actually do so (measured: ``parity.accumulation``)."""
    if dtype not in selected_backend.dtypes:
        pytest.skip(f"{selected_backend.name} has no {dtype}: {selected_backend.unsupported_dtypes.get(dtype, '')}")
    problems = promise_problems(selected_backend, dtype, selected_backend.host_device)
    assert not problems, "; ".join(problems)


# a factorisation's entries (reference/catalog_linalg.py: one per output) and how its factors multiply back to a
FACTORISATIONS = {
    "svd": (("svd_u", "svdvals", "svd_vh"), lambda u, s, vh: (u * s[..., None, :]) @ vh, "separated_norms", (2, 4, 3)),
    "eigh": (
        ("eigh_vectors", "eigvalsh"),
        lambda v, w: (v * w[..., None, :]) @ np.swapaxes(v, -1, -2),
        "separated_spectrum",
        (2, 3, 3),
    ),
    "qr": (("qr_q", "qr_r"), lambda q, r: q @ r, "separated_norms", (2, 4, 3)),
}


@pytest.mark.cpu
@pytest.mark.parametrize("factorisation", FACTORISATIONS)
def test_factors_from_separate_entries_multiply_back_to_the_matrix(selected_backend, factorisation):
    """The gauge lets a backend's factors differ from the reference's by signs, each compared on its own; the
    invariant ties them together: the backend's own factors (U diag(s) Vh, V diag(w) V^T, Q R) give back a."""
    entries, assemble, domain, shape = FACTORISATIONS[factorisation]
    for entry in entries:
        skip_if_unsupported(selected_backend, entry)
    (a,) = sample(domain, (shape,), 7)
    device = selected_backend.host_device
    factors = [
        selected_backend.to_numpy(selected_backend.run(entry, [selected_backend.asarray(a, "float64", device)]))
        for entry in entries
    ]
    context = Context(factorisation, selected_backend.name, device, "float64", "invariant", "the factors' product")
    assert_close(assemble(*factors), a, dtype="float64", rtol=1e-7, atol=1e-12, context=context)
