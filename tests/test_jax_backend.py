"""The JAX backends (impls/jax_backend.py): built on ``parity.api`` alone, the jitted variant agreeing with
the eager one bit for bit on every op (or declaring where not), and the JAX-specific plumbing.  Their
matrix columns are the generated tests (``tox -e jax``); these tests skip with the reason without JAX,
except the import check, which needs no framework."""

import ast
import inspect
import sys

import numpy as np
import pytest

from impls import backend_class, load_backend
from impls.base import bind_params
from parity.api import entries
from parity.checks import Cell, _to_backend
from parity.inputs import round_to, sample
from reference import get_spec

pytestmark = pytest.mark.jax
DTYPES = ("float32", "float64", "int32", "int64", "bool")  # each entry's own among these


@pytest.fixture(scope="module")
def eager():
    pytest.importorskip("jax", reason="JAX is not installed: pip install 'parity[jax]'")
    return load_backend("jax")


@pytest.fixture(scope="module")
def jit():
    pytest.importorskip("jax", reason="JAX is not installed: pip install 'parity[jax]'")
    return load_backend("jax_jit")


def _imports(tree):
    """(module, top_level) for every import statement of a module."""
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, id(node) in top) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", id(node) in top


def test_backend_module_imports_only_parity_api_numpy_and_the_standard_library():
    """The proof that the public API suffices: no parity internals (impls, reference, parity.*), and jax only
    inside functions (collecting the suite must not import it)."""
    tree = ast.parse(inspect.getsource(inspect.getmodule(backend_class("jax"))))
    allowed = {"parity.api", "numpy", "__future__", *sys.stdlib_module_names}
    found = list(_imports(tree))
    assert ("parity.api", True) in found
    for module, top_level in found:
        root = module.split(".")[0]
        ok = module == "parity.api" or (root != "parity" and root in allowed) or (root == "jax" and not top_level)
        assert ok, f"impls/jax_backend.py imports {module} ({'module level' if top_level else 'in a function'})"


def _bits(backend, arrays):
    """The bit patterns of backend arrays, every NaN made the same NaN (its payload and sign are not values)."""
    host = [backend.to_numpy(a) for a in arrays]
    canonical = [np.where(np.isnan(a), np.nan, a).astype(a.dtype) if a.dtype.kind == "f" else a for a in host]
    return [a.view(f"u{a.dtype.itemsize}") for a in canonical]


def _cells(spec):
    """(label, inputs, params) for every case and special value of ``spec``."""
    for index, case in enumerate(spec.cases):
        yield case.id, sample(spec.domain, case.shapes, Cell("forward", spec.name, case=index).seed()), case.params
    for special in spec.specials:
        yield special.label, special.arrays(), special.params


def _one_primitive(eager, entry, inputs, params) -> bool:
    """Whether the op's forward is a single JAX primitive (not a call of a jitted or custom-derivative function,
    whose static arguments a surrounding jit would fold into constants)."""
    import jax

    try:
        equations = jax.make_jaxpr(eager.function(entry, params))(*inputs).jaxpr.eqns
    except jax.errors.ConcretizationTypeError:  # a shape taken from values (one_hot's num_classes=-1): no jit
        return False
    return len(equations) == 1 and not {"jaxpr", "call_jaxpr"} & set(equations[0].params)


@pytest.mark.parametrize("entry", sorted(entries(("op", "layer", "loss"))))
def test_jit_and_eager_agree_bit_for_bit_where_both_run_one_primitive(eager, jit, entry):
    """Where an op's forward is one JAX primitive, eager JAX compiles and runs the very computation the jitted
    variant does, so not a bit may differ, at any case or special value (a jit cache keyed wrongly, or
    parameters bound wrongly, would show here).

    Elsewhere the variants may round differently, and do here (jax 0.10.2, this CPU): eagerly each primitive is
    its own kernel, jitted XLA fuses them, folds static arguments into constants and then divides by a constant
    as a multiplication by its reciprocal (jnp.var with a static ddof: 1 ULP), contracts multiply-adds (tanh's
    and softmax's VJPs: a few ULP in float32) and rewrites ``g * mask`` as a select, which drops the sign of
    ``-g * 0`` (max's VJP: +0.0 where eager gives -0.0) and, at a NaN maximum, the NaN (declared: max
    nan-grad).  The matrix judges both variants against the reference there."""
    spec, checked = get_spec(entry), 0
    for label, inputs, params in _cells(spec):
        for dtype in (d for d in DTYPES if d in spec.dtypes):
            rounded = round_to(inputs, dtype)
            if not _one_primitive(
                eager, entry, _to_backend(eager, rounded, dtype, "cpu"), bind_params(spec, rounded, params)
            ):
                continue
            eager_bits, jit_bits = (_bits(b, [b.run(entry, _to_backend(b, rounded, dtype, "cpu"), params)])[0]
                                    for b in (eager, jit))  # fmt: skip
            assert np.array_equal(eager_bits, jit_bits), f"{entry} {label} {dtype}: jit and eager differ"
            checked += 1
    if not checked:
        pytest.skip(f"{entry}'s forward is never a single JAX primitive (a composition or a jitted function)")


def test_x64_is_on_so_float64_and_int64_stay_themselves(eager):
    import jax

    assert jax.config.jax_enable_x64
    assert str(eager.asarray(np.ones(3), "float64").dtype) == "float64"
    assert str(eager.asarray(np.arange(3), "int64").dtype) == "int64"
    assert str(eager.run("exp", [eager.asarray(np.ones(2), "float32")]).dtype) == "float32"


def test_jitted_functions_are_compiled_once_per_op_and_static_parameters(jit):
    x = jit.asarray(np.arange(12.0).reshape(3, 4), "float64")
    before = len(jit.compiled)
    for _ in range(2):
        jit.run("sum", [x], {"axis": 0, "keepdims": True})
        jit.run("slice", [x], {"index": (slice(3, 0, -2),)})  # slices are unhashable: keyed by their parts
    assert len(jit.compiled) == before + 2
    jit.run("sum", [x], {"axis": 1, "keepdims": True})
    assert len(jit.compiled) == before + 3


@pytest.mark.parametrize("name", ["jax", "jax_jit"])
@pytest.mark.parametrize(
    ("optimizer", "hyper", "grad_shape", "error", "match"),
    [
        ("sgd", {"nesterov": True}, (3,), ValueError, "nesterov momentum requires momentum > 0"),
        ("adam", {"betas": (0.9, 1.0)}, (3,), ValueError, r"betas must be a pair of floats in \[0, 1\)"),
        ("rmsprop", {"momentum": -0.1}, (3,), ValueError, "momentum must be >= 0"),
        ("sgd", {"lr_": 1.0}, (3,), TypeError, "unexpected keyword"),
        ("sgd", {}, (2,), ValueError, r"grads\['param'\] has shape \(2,\), the parameter \(3,\)"),
        ("lbfgs", {}, (3,), ValueError, "name must be one of sgd, adam, adamw, rmsprop"),
    ],
)
def test_optimizers_refuse_bad_input_naming_it(name, optimizer, hyper, grad_shape, error, match):
    pytest.importorskip("jax", reason="JAX is not installed: pip install 'parity[jax]'")
    backend = load_backend(name)
    with pytest.raises(error, match=match):
        backend.run_optimizer(optimizer, np.ones(3), [np.ones(grad_shape)], [0.1], hyper, "float64", "cpu")


def test_jax_has_no_vjp_for_dilated_max_pooling(eager):
    """Why the dilated max_pool2d case's VJP is declared unsupported: JAX refuses it (remove the declaration
    when this fails)."""
    x = eager.asarray(np.arange(72.0).reshape(1, 1, 9, 8), "float64")
    out = eager.run("max_pool2d", [x], {"kernel_size": 2, "dilation": 2})
    with pytest.raises(NotImplementedError, match="window dilation"):
        eager.vjp("max_pool2d", [x], {"kernel_size": 2, "dilation": 2}, eager.asarray(np.ones(out.shape), "float64"))


def test_every_catalog_op_and_optimizer_is_mapped(eager):
    """The JAX backends declare no entry unsupported as a whole: every op and update rule of the catalog has its
    JAX mapping (the loops run on those), so a new catalog entry fails here until it is mapped or declared."""
    assert not eager.unsupported
    missing = (set(entries(("op", "layer", "loss"))) - set(eager.ops)) | (
        set(entries("optimizer")) - set(eager.update_rules)
    )
    assert not missing, f"not mapped to JAX: {sorted(missing)}"
