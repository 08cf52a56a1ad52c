"""Declarations with conditions: how a cell is judged where the condition holds, is false or cannot be told,
and how declarations with typos are reported (for any backend, built-in or not)."""

import pytest

from impls.base import Backend
from impls.declare import Condition, Divergence, Unsupported, at_least, below, evaluate_all, fact_is, problems, version
from tests.meta import planted
from tests.meta.helpers import run_pytest

FACTS = {"torch.onednn_isa": "avx2", "numpy.simd": "X86_V3", "torch.version": "2.13.0", "gpu.compute_capability": "9.0"}


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (at_least("torch.onednn_isa", "avx512_core"), False),
        (at_least("torch.onednn_isa", "avx2"), True),
        (below("torch.onednn_isa", "AVX512_CORE"), True),  # level names compare case-insensitively
        (at_least("numpy.simd", "X86_V4"), False),
        (version("torch", ">=2.1,<2.14"), True),
        (version("torch", ">=2.14"), False),
        (fact_is("gpu.compute_capability", "8.0", "9.0"), True),
        (at_least("torch.onednn_isa", "an-isa-nobody-knows"), None),  # not comparable: cannot be told
        (fact_is("torch.cpu_capability", "AVX512"), None),  # the fact is not known here
    ],
    ids=lambda v: v.describe() if isinstance(v, Condition) else str(v),
)
def test_a_condition_holds_is_false_or_cannot_be_told(condition, holds):
    assert condition.evaluate(FACTS) is holds


def test_all_conditions_false_beats_unknown_and_unknown_beats_true():
    true, false, unknown = fact_is("numpy.simd", "X86_V3"), fact_is("numpy.simd", "X86_V2"), fact_is("nope", 1)
    assert evaluate_all([true, unknown, false], FACTS) is False
    assert evaluate_all([true, unknown], FACTS) is None
    assert evaluate_all([true], FACTS) is True


def test_the_most_specific_declaration_covers_a_cell():
    general = Divergence("sum", "any check of sum on any dtype")
    narrow = Divergence("sum", "only float32 specials", check="special", variant="signed-zero", dtype="float32")

    cls = type("B", (Backend,), {"declarations": (general, narrow), "name": "b"})
    cell = {"entry": "sum", "check": "special", "variant": "signed-zero", "case": None, "device": "cpu"}
    assert cls.divergence_for(**cell, dtype="float32") is narrow
    assert cls.divergence_for(**cell, dtype="float64") is general
    assert cls.divergence_for(**{**cell, "entry": "mean"}, dtype="float32") is None


def test_torch_gelu_declaration_holds_only_on_onednn_avx512():
    from impls.torch_backend import DECLARATIONS

    (plus_inf,) = [d for d in DECLARATIONS if d.variant == "plus-inf"]
    assert plus_inf.condition({"torch.onednn_isa": "avx512_core"}) is True
    assert plus_inf.condition({"torch.onednn_isa": "avx512_core_amx"}) is True
    assert plus_inf.condition({"torch.onednn_isa": "avx2"}) is False
    assert plus_inf.condition({"torch.onednn_isa": None}) is None


@pytest.mark.selftest
def test_each_backend_is_judged_by_the_behaviour_its_machine_showed(tmp_path):
    """One run over the planted backends (tests/meta/planted.py, DECLARED): a divergence declared for a
    condition this machine does not meet neither fails nor hides the observation."""
    args = ["tests/suite/test_special_values.py", "-k", "gelu and plus-inf and float64", "--no-parity-matrix"]
    for cls in planted.DECLARED:
        args += ["--backend", f"tests.meta.planted:{cls.__name__}"]
    code, output, records = run_pytest(tmp_path, *args)
    by_backend = {r["backend"]: r for r in records if r["backend"].startswith("planted-div")}
    assert set(by_backend) == {cls.name for cls in planted.DECLARED}, output

    def seen(name):
        r = by_backend[name]
        return r["outcome"], r["divergence"]["holds"], r["divergence"]["observed"]

    assert seen("planted-div-holds") == ("xfailed", True, "divergent")
    assert seen("planted-div-stale") == ("failed", True, "reference")
    assert "declared divergence did not occur" in by_backend["planted-div-stale"]["reason"]
    assert seen("planted-div-elsewhere") == ("xfailed", False, "divergent")  # recorded, not failed
    assert seen("planted-div-absent") == ("passed", False, "reference")  # recorded, not hidden
    assert seen("planted-div-unknown") == ("xfailed", None, "divergent")
    other = by_backend["planted-div-other"]
    assert other["outcome"] == "failed" and "not the declared divergence either" in output
    assert code == 1  # the stale declaration and the other wrong answer fail the run


@pytest.mark.selftest
def test_a_property_divergence_may_show_and_need_not(tmp_path):
    """A generated-input cell draws what its hypothesis profile and constant pool draw (quick's 10 examples reach
    fewer points than ci's 40), so a divergence declared on the property check is not required to occur there;
    the same declaration at a special value would be."""
    args = ["tests/suite/test_properties.py", "-k", "exp and float64 and not half", "--no-parity-matrix",
            "--backend", "tests.meta.planted:PropertyDivergenceNotDrawn"]  # fmt: skip
    code, output, records = run_pytest(tmp_path, *args)
    (record,) = [r for r in records if r["backend"] == "planted-property-not-drawn" and r["op"] == "exp"]
    assert (record["outcome"], record["divergence"]["holds"], record["divergence"]["observed"]) == (
        "passed", True, "reference"), output  # fmt: skip
    assert code == 0, output


class _Declaring(Backend):
    """A backend class whose declarations the validation reads (never instantiated)."""

    name = "declaring"
    dtypes = ("float32", "float64")
    devices = ("cpu",)


@pytest.mark.parametrize(
    ("declaration", "problem"),
    [
        (Unsupported("sigmoidd", "a typo in the entry name"), "no catalog entry 'sigmoidd'"),
        (Unsupported("sigmoid", "no such check kind", check="vjp_full"), "'vjp_full' does not run on sigmoid"),
        (Unsupported("adam", "a special check on an optimizer", check="special"), "'special' does not run on adam"),
        (
            Divergence("gelu", "a misspelt label", check="special", variant="plus_inf", returns=[1.0, 1.0]),
            "no variant 'plus_inf'",
        ),  # fmt: skip
        (Unsupported("gelu", "a case index out of range", variant=9), "no case index 9"),
        (Unsupported("sum", "branches are for elementwise entries", check="branches"), "does not run on sum"),
        (Unsupported("gelu", "a dtype the backend lacks", dtype="float16"), "dtype 'float16' is not one of"),
        (Unsupported("gelu", "a device the backend lacks", device="cuda"), "device 'cuda' is not one of"),
        (Divergence("gelu", "a misspelt fact", when=fact_is("torch.onednn", "avx512_core")), "unknown fact"),
        (Divergence("gelu", "no stated behaviour", check="special", variant="plus-inf"), "states no `returns`"),
        (Divergence("gelu", "wrong shape", check="special", variant="plus-inf", returns=1.0), "`returns` has shape"),
        (
            Divergence("max", "no stated gradient", check="special", variant="nan-grad", returns=1.0),
            "states no `grads`",
        ),  # fmt: skip
        (Unsupported("gelu", "why"), "the reason must say why"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_typo_in_a_declaration_is_reported(declaration, problem):
    cls = type("Typo", (_Declaring,), {"declarations": (declaration,)})
    found = problems(cls)
    assert any(problem in p for p in found), found


def test_the_same_scope_declared_twice_is_reported_and_good_declarations_are_not():
    good = Divergence("max", "numexpr-like", check="special", variant="nan-grad", returns=1.0, grads=([1.0, 0.0],))
    assert problems(type("Good", (_Declaring,), {"declarations": (good,), "unsupported": {"erf": "no erf here"}})) == []
    twice = type("Twice", (_Declaring,), {"declarations": (good, good)})
    assert any("declared twice" in p for p in problems(twice))


def test_version_conditions_need_a_valid_specifier():
    with pytest.raises(ValueError, match="not a version specifier"):
        version("torch", "2.1 or later")
    with pytest.raises(ValueError, match="op must be one of"):
        Condition("torch.version", "~", "2")


def _declarations_with_input_predicates():
    from impls import BACKENDS, backend_class

    for name in BACKENDS:
        try:
            cls = backend_class(name)
        except Exception:  # a backend whose module does not import here (cupy): its declarations cannot be read
            continue
        for decl in getattr(cls, "declarations", ()):
            if decl.inputs is not None and decl.check == "special" and isinstance(decl.variant, str):
                yield pytest.param(decl, id=f"{name}-{decl.entry}-{decl.variant}")


@pytest.mark.parametrize("decl", list(_declarations_with_input_predicates()))
def test_an_input_predicate_covers_the_special_value_it_was_declared_at(decl):
    """A declaration's ``inputs`` predicate (which generated configurations ``parity audit`` counts as declared)
    must hold on the very special value the declaration names: a predicate that reads the wrong input or has
    the wrong sense covers nothing it was written for, and only the audit of rare draws would show it."""
    from impls.base import bind_params
    from parity.inputs import round_to
    from reference import get_spec

    spec = get_spec(decl.entry)
    (special,) = [s for s in spec.specials if s.label == decl.variant]
    inputs = round_to(special.arrays(), "float64")
    assert decl.inputs(inputs, bind_params(spec, inputs, special.params))
