"""What a backend declares about itself, as data: what it does not support and where it knowingly differs.

One model for every granularity the checks have.  A declaration names a catalog entry and, optionally,
narrows it to a check kind, a variant (a special value's label, or a case by index or id), dtypes and
devices; ``when`` gives the machine conditions under which it is *known* to hold (library versions,
CPU dispatch levels, GPU compute capability, a backend mode such as JAX's jit).  Conditions are
evaluated against the facts of the machine and the loaded backend (:mod:`parity.machine`), with three
outcomes: the condition holds, it does not, or it cannot be told here.

* :class:`Unsupported`: the cells it covers skip with the reason (where its condition is not known false).
* :class:`Divergence`: a behaviour of the backend that differs from the reference.  Where its condition
  holds, the divergent behaviour must occur (a strict expected failure, so a fix upstream is noticed);
  where the condition is false or unknown, the check records which behaviour this machine showed, the
  reference's or the divergent one, without failing.  At a special value a divergence states, by hand,
  what the backend returns instead (``returns``, and ``grads`` where the special value has gradients),
  so that a *different* wrong answer is still a failure.

Built-in and third-party backends declare the same way (``Backend.declarations``), and
:func:`problems` validates every declaration against the catalog and the backend.

Generated inputs (``parity audit``) have no variant to name: a declaration that applies to some of them
says which with ``inputs``, a predicate over the configuration (the float64 inputs and the parameters).
It only widens what a declaration covers for generated configurations (:meth:`Declaration.applies_to`);
the matrix's cells are matched by scope as before.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

# Ordered levels of the facts that are dispatch levels: a condition ">= level" compares positions.
LEVELS: Mapping[str, tuple[str, ...]] = {
    # torch.backends.cpu.get_cpu_capability(): ATen's vectorised kernels (ATEN_CPU_CAPABILITY lowers it)
    "torch.cpu_capability": ("NO AVX", "DEFAULT", "AVX2", "AVX512"),
    # the JIT implementation oneDNN picks for an f32 elementwise primitive (ONEDNN_MAX_CPU_ISA lowers it)
    "torch.onednn_isa": (
        "ref",
        "sse41",
        "avx",
        "avx2",
        "avx2_vnni",
        "avx2_vnni_2",
        "avx512_core",
        "avx512_core_vnni",
        "avx512_core_bf16",
        "avx512_core_fp16",
        "avx512_core_amx",
        "avx512_core_amx_fp16",
        "avx10_1_512",
        "avx10_2_512",
    ),
    # NumPy 2.x's best enabled x86 dispatch target (NPY_DISABLE_CPU_FEATURES lowers it)
    "numpy.simd": ("X86_V2", "X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"),
}

COMPARISONS = {"==": operator.eq, "!=": operator.ne, ">=": operator.ge, ">": operator.gt, "<=": operator.le,
               "<": operator.lt}  # fmt: skip


def _ordinal(fact: str, value):
    """A comparable form of ``value``: its position among ``LEVELS[fact]``, a Version, or the value itself."""
    if fact in LEVELS:
        levels = [level.lower() for level in LEVELS[fact]]
        text = str(value).lower()
        return levels.index(text) if text in levels else None
    if fact.endswith(".version"):
        try:
            return Version(str(value))
        except InvalidVersion:
            return None
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class Condition:
    """``fact OP value``; OP is a comparison (``==``, ``!=``, ``>=``, ``>``, ``<=``, ``<``), ``in`` (one of
    several values) or ``version`` (a PEP 440 specifier such as ``">=2.1,<2.14"`` against ``LIB.version``)."""

    fact: str
    op: str
    value: Any

    def __post_init__(self):
        if self.op not in (*COMPARISONS, "in", "version"):
            raise ValueError(
                f"Condition op must be one of {', '.join((*COMPARISONS, 'in', 'version'))}, got {self.op!r}"
            )
        if self.op == "version":
            try:
                SpecifierSet(self.value)
            except InvalidSpecifier as error:
                raise ValueError(f"Condition value {self.value!r} is not a version specifier: {error}") from None

    def evaluate(self, facts: Mapping[str, Any]) -> bool | None:
        """True or False, or None when the fact is not known here (or not comparable)."""
        actual = facts.get(self.fact)
        if actual is None:
            return None
        if self.op == "version":
            try:
                return Version(str(actual)) in SpecifierSet(self.value, prereleases=True)
            except InvalidVersion:
                return None
        if self.op == "in":
            return actual in self.value
        left, right = _ordinal(self.fact, actual), _ordinal(self.fact, self.value)
        if left is None or right is None:
            return None
        try:
            return bool(COMPARISONS[self.op](left, right))
        except TypeError:
            return None

    def describe(self) -> str:
        if self.op == "version":
            return f"{self.fact.removesuffix('.version')} {self.value}"
        if self.op == "in":
            return f"{self.fact} in {{{', '.join(map(str, self.value))}}}"
        return f"{self.fact} {self.op} {self.value}"


def fact_is(fact: str, *values) -> Condition:
    """The fact equals ``values[0]`` (or is one of ``values``)."""
    return Condition(fact, "==", values[0]) if len(values) == 1 else Condition(fact, "in", tuple(values))


def at_least(fact: str, level) -> Condition:
    """An ordered fact (a dispatch level in ``LEVELS``, a version, a compute capability) is >= ``level``."""
    return Condition(fact, ">=", level)


def below(fact: str, level) -> Condition:
    """An ordered fact is < ``level``."""
    return Condition(fact, "<", level)


def version(library: str, specifier: str) -> Condition:
    """The installed distribution ``library`` satisfies ``specifier`` (e.g. ``">=2.1,<2.14"``)."""
    return Condition(f"{library}.version", "version", specifier)


def evaluate_all(conditions: Iterable[Condition], facts: Mapping[str, Any]) -> bool | None:
    """All hold: True; one is false: False; otherwise (one is unknown) None."""
    results = [c.evaluate(facts) for c in conditions]
    if False in results:
        return False
    return None if None in results else True


def _as_tuple(value) -> tuple | None:
    if value is None:
        return None
    return tuple(value) if isinstance(value, (tuple, list, frozenset, set)) else (value,)


@dataclass(frozen=True)
class Declaration:
    """A statement about the cells of ``entry`` that match the scope (None matches anything)."""

    entry: str
    reason: str
    check: str | tuple[str, ...] | None = None
    variant: str | int | None = None
    dtype: str | tuple[str, ...] | None = None
    device: str | tuple[str, ...] | None = None
    when: tuple[Condition, ...] = ()
    inputs: Callable[[tuple, Mapping[str, Any]], bool] | None = None

    def __post_init__(self):
        if isinstance(self.when, Condition):
            object.__setattr__(self, "when", (self.when,))

    @property
    def specificity(self) -> int:
        """How many scope fields are set: the most specific matching declaration wins."""
        return sum(v is not None for v in (self.check, self.variant, self.dtype, self.device)) + bool(self.when)

    def covers(self, entry: str, *, check=None, variant=None, case=None, dtype=None, device=None) -> bool:
        """Whether the cell (``variant``: a special label or case id; ``case``: its index) is in the scope.
        A scope field the cell leaves open (None) matches only a declaration that leaves it open too."""
        if entry != self.entry:
            return False
        for declared, actual in ((self.check, check), (self.dtype, dtype), (self.device, device)):
            if declared is not None and actual not in _as_tuple(declared):
                return False
        if self.variant is None:
            return True
        if isinstance(self.variant, int):
            return case == self.variant
        return variant == self.variant

    def applies_to(self, inputs: tuple, params: Mapping[str, Any]) -> bool:
        """Whether a generated configuration is covered: only a declaration with an ``inputs`` predicate covers
        any, those for which the predicate holds."""
        return self.inputs is not None and bool(self.inputs(inputs, params))

    def condition(self, facts: Mapping[str, Any]) -> bool | None:
        """Whether ``when`` holds on this machine (True with no conditions)."""
        return evaluate_all(self.when, facts) if self.when else True

    def describe_when(self) -> str:
        return " and ".join(c.describe() for c in self.when) or "always"

    def describe_scope(self) -> str:
        parts = [self.entry]
        parts += [f"{name}={value}" for name, value in (("check", self.check), ("variant", self.variant),
                  ("dtype", self.dtype), ("device", self.device)) if value is not None]  # fmt: skip
        return " ".join(parts)

    def as_dict(self, facts: Mapping[str, Any] | None = None) -> dict:
        """JSON-ready form for records and reports; with ``facts``, whether it holds here."""
        out = {"kind": type(self).__name__.lower(), "scope": self.describe_scope(), "reason": self.reason,
               "when": self.describe_when()}  # fmt: skip
        if facts is not None:
            out["holds"] = self.condition(facts)
        return out


@dataclass(frozen=True)
class Unsupported(Declaration):
    """The backend cannot run these cells; they skip with ``reason``."""


@dataclass(frozen=True)
class Divergence(Declaration):
    """A known difference from the reference.  At a special value, ``returns`` (and ``grads``, where the
    special value states gradients) is what the backend gives instead, stated by hand."""

    returns: Any = None
    grads: tuple | None = None


def most_specific(declarations: Iterable[Declaration], **cell) -> Declaration | None:
    """The most specific declaration covering the cell, or None."""
    matching = [d for d in declarations if d.covers(**cell)]
    return max(matching, key=lambda d: d.specificity) if matching else None


# ---------------------------------------------------------------- validation
def _check_kinds_for(spec) -> set[str]:
    from parity.checks import CHECKS_BY_KIND, applies_to

    return {check for check in CHECKS_BY_KIND[spec.kind] if applies_to(check, spec)}


def _variant_problem(decl: Declaration, spec) -> str | None:
    if decl.variant is None:
        return None
    if isinstance(decl.variant, int):
        cases = getattr(spec, "cases", ())
        return None if 0 <= decl.variant < len(cases) else f"case index {decl.variant} (it has {len(cases)} cases)"
    labels = {s.label for s in getattr(spec, "specials", ())}
    ids = {c.id for c in getattr(spec, "cases", ())}
    if decl.check == "special" or decl.check is None:
        if decl.variant in labels:
            return None
    if decl.check != "special" and decl.variant in ids:
        return None
    known = sorted(labels) + sorted(ids)
    return f"variant {decl.variant!r} (special labels and case ids: {', '.join(known) or 'none'})"


def _stated_behaviour_problem(decl: Divergence, spec) -> str | None:
    """A divergence at one special value must state what the backend returns there, shaped like the truth."""
    import numpy as np

    special = next((s for s in spec.specials if s.label == decl.variant), None)
    if special is None or decl.check not in ("special", None):
        return None
    if decl.returns is None:
        return "states no `returns`: a divergence at a special value says what the backend gives instead"
    if np.shape(decl.returns) != np.shape(special.expected):
        return f"`returns` has shape {np.shape(decl.returns)}, the special value {np.shape(special.expected)}"
    if special.grads is not None:
        if decl.grads is None or len(decl.grads) != len(special.grads):
            return "states no `grads` for a special value that states gradients"
        for got, truth in zip(decl.grads, special.grads):
            if np.shape(got) != np.shape(truth):
                return f"`grads` has shape {np.shape(got)}, the special value's {np.shape(truth)}"
    return None


def problems(cls, known_facts: Iterable[str] = ()) -> list[str]:
    """Everything wrong with ``cls``'s declarations: unknown entries, check kinds, variants, dtypes, devices
    or facts, missing stated behaviour, two declarations with the same scope.  Empty when all is well."""
    from parity.machine import FACT_NAMES
    from reference import get_entry

    facts = set(FACT_NAMES) | set(known_facts) | set(getattr(cls, "provides_facts", ()))
    found, seen = [], {}
    for decl in cls.all_declarations():
        where = f"{cls.name}: {type(decl).__name__}({decl.describe_scope()})"
        if not isinstance(decl.reason, str) or len(decl.reason.strip()) < 10:
            found.append(f"{where}: the reason must say why, in words")
        try:
            spec = get_entry(decl.entry)
        except KeyError:
            found.append(f"{where}: no catalog entry {decl.entry!r}")
            continue
        kinds = _check_kinds_for(spec)
        for check in _as_tuple(decl.check) or ():
            if check not in kinds:
                found.append(f"{where}: check {check!r} does not run on {decl.entry} (its checks: {sorted(kinds)})")
        problem = _variant_problem(decl, spec)
        if problem:
            found.append(f"{where}: no {problem}")
        for name, declared, allowed in (("dtype", decl.dtype, cls.dtypes), ("device", decl.device, cls.devices)):
            for value in _as_tuple(declared) or ():
                if value not in allowed:
                    found.append(f"{where}: {name} {value!r} is not one of the backend's ({', '.join(allowed)})")
        if decl.inputs is not None and not callable(decl.inputs):
            found.append(f"{where}: `inputs` must be a predicate over (inputs, params)")
        for condition in decl.when:
            if condition.fact not in facts and not condition.fact.endswith(".version"):
                found.append(f"{where}: unknown fact {condition.fact!r} (known: {', '.join(sorted(facts))})")
        if isinstance(decl, Divergence):
            problem = _stated_behaviour_problem(decl, spec)
            if problem:
                found.append(f"{where}: {problem}")
        key = (type(decl), decl.entry, decl.check, decl.variant, decl.dtype, decl.device, decl.when)
        if key in seen:
            found.append(f"{where}: declared twice with the same scope")
        seen[key] = decl
    return found
