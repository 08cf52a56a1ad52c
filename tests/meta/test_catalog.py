"""The catalog and the backends' capability data are complete and consistent."""

import ast
import inspect

import numpy as np
import pytest

from impls import BACKENDS, backend_class
from parity.inputs import DOMAINS
from reference import CATALOG, DEFAULT_TOLERANCES
from reference.spec import KINDS, is_integral


def test_at_least_thirty_differentiable_ops():
    assert sum(spec.kind == "op" for spec in CATALOG.values()) >= 30


@pytest.mark.parametrize("spec", CATALOG.values(), ids=list(CATALOG))
def test_entry_is_complete(spec):
    assert spec.kind in KINDS
    assert callable(spec.vjp) and callable(spec.validate), "every entry has a VJP and a validator"
    assert spec.domain in DOMAINS
    assert spec.cases, "at least one sampled case"
    assert spec.specials, "special values stated for every entry"
    assert spec.forward.__doc__, "the reference states what it computes"
    for dtype in (*spec.tolerances, *spec.grad_tolerances):
        assert dtype in DEFAULT_TOLERANCES
    for tolerance in (*spec.tolerances.values(), *spec.grad_tolerances.values()):
        assert tolerance.reason and "default" not in tolerance.reason, "an override needs its own reason"
    if spec.fd_step != 1e-6:
        assert spec.fd_step_reason


@pytest.mark.parametrize("spec", CATALOG.values(), ids=list(CATALOG))
def test_cases_are_asymmetric_and_cover_edge_shapes(spec):
    """Square shapes hide transposition bugs: no 2-D case of an entry may be square."""
    for case in spec.cases:
        for shape in (s for s in case.shapes if s is not None):
            assert len(shape) != 2 or shape[0] != shape[1], f"{case.id} has a square input"


def test_catalog_covers_zero_dim_and_broadcasting():
    shapes = [s for spec in CATALOG.values() for case in spec.cases for s in case.shapes]
    assert () in shapes and any(0 in s for s in shapes) and any(1 in s for s in shapes)


@pytest.mark.parametrize("spec", CATALOG.values(), ids=list(CATALOG))
def test_specials_have_consistent_shapes(spec):
    for special in spec.specials:
        out = spec.forward(*special.arrays(), **special.params)
        assert out.shape == np.shape(special.expected), special.label
        if special.grads is not None:
            assert special.cotangent is not None and np.shape(special.cotangent) == out.shape
            assert len(special.grads) == sum(spec.differentiable(special.arrays()))


@pytest.mark.parametrize("spec", CATALOG.values(), ids=list(CATALOG))
def test_specials_scoped_to_dtypes_name_dtypes_of_the_entry_and_reasoned_tolerances(spec):
    """A special value scoped to dtypes (float16's overflow, bfloat16's rounding) names dtypes the entry is checked
    in, and its stated values are values of those dtypes (inf where they overflow); an own tolerance says why."""
    from reference.floats import round_values

    for special in spec.specials:
        if special.tolerance is not None:
            assert special.tolerance.reason and "default" not in special.tolerance.reason, special.label
        if special.dtypes is None:
            continue
        assert special.dtypes and set(special.dtypes) <= set(spec.dtypes), (special.label, special.dtypes)
        for dtype in special.dtypes:
            if is_integral(dtype):  # (#14) stated exactly: integers within the column's range (or bools, floats)
                stated = np.asarray(special.expected)
                info = np.iinfo(dtype) if stated.dtype.kind in "iu" and dtype != "bool" else None
                assert info is None or (info.min <= stated.min() and stated.max() <= info.max), (special.label, dtype)
                continue
            stated = np.asarray(special.expected, dtype=np.float64)
            assert np.array_equal(round_values(stated, dtype), stated, equal_nan=True), (special.label, dtype)


def test_a_special_scoped_to_an_unknown_dtype_is_refused():
    from dataclasses import replace

    spec = CATALOG["exp"]
    bad = replace(spec.specials[0], dtypes=("float8",))
    with pytest.raises(AssertionError):
        test_specials_scoped_to_dtypes_name_dtypes_of_the_entry_and_reasoned_tolerances(replace(spec, specials=(bad,)))


@pytest.mark.parametrize("name", list(BACKENDS))
def test_builtin_backends_are_registered_under_their_own_name(name):
    assert backend_class(name).name == name


def test_backend_modules_do_not_import_their_framework():
    for name in BACKENDS:
        tree = ast.parse(inspect.getsource(inspect.getmodule(backend_class(name))))
        roots = {alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
        roots |= {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
        assert not roots & {"torch", "cupy", "cupyx", "numba", "numexpr"}, name
