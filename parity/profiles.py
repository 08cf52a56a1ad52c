"""Hypothesis settings for the suite: the ``dev``, ``ci``, ``quick`` and ``thorough`` profiles, and the pinned
constant pool that makes a derandomized run draw the same examples in every process.

Why the pin: Hypothesis (6.13x and later) sometimes draws a "local constant" instead of a random choice, and
it collects those constants from every *local* module (not stdlib, not site-packages) found in ``sys.modules``
at draw time.  Under pytest-xdist which modules a worker has imported depends on which tests it ran before, so
even with ``derandomize=True`` the same test drew different examples from run to run (#13: three audits of
an unchanged checkout found three different subnormal corner cases).  :func:`pin_local_constants` replaces
that pool with one built from a fixed list of source files (parity's own packages), so the draws depend only
on the seed and the source, never on import order.
"""

from __future__ import annotations

import importlib.util
import os
import types
from pathlib import Path

#: the packages whose source files give the constant pool (their literals: thresholds, special values)
CONSTANT_SOURCES = ("reference", "impls", "parity")

_pinned = None
_registered = False


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def constant_source_files(packages=CONSTANT_SOURCES) -> list[Path]:
    """The source files of ``packages``, in a fixed order (the installed suite's copies of tests excluded)."""
    files = []
    for name in packages:
        root = _package_dir(name)
        if root is not None:
            files += [p for p in root.rglob("*.py") if "suite" not in p.relative_to(root).parts]
    return sorted(files, key=lambda p: p.as_posix())


def pinned_constants():
    """The constant pool every draw uses once pinned: the literals of :func:`constant_source_files`."""
    global _pinned
    if _pinned is None:
        from hypothesis.internal.conjecture.providers import Constants
        from hypothesis.internal.constants_ast import constants_from_module

        pool = Constants()
        for path in constant_source_files():
            module = types.ModuleType(f"parity_constants_{path.stem}")
            module.__file__ = str(path)
            pool |= constants_from_module(module)
        _pinned = pool
    return _pinned


def pin_local_constants() -> bool:
    """Make Hypothesis draw its local constants from :func:`pinned_constants` instead of whatever local modules
    this process happens to have imported.  Returns False where this Hypothesis collects no local constants
    (an older release: its draws already depend only on the seed)."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:
        return False
    if not hasattr(providers, "_get_local_constants"):
        return False
    providers._get_local_constants = pinned_constants
    providers.CONSTANTS_CACHE.cache.clear()  # pools computed from the unpinned constants
    return True


PROFILES = ("dev", "ci", "quick", "thorough")


def named_profile() -> str | None:
    """The profile ``HYPOTHESIS_PROFILE`` names (tox passes it through), or None; an unknown name is an error."""
    named = os.environ.get("HYPOTHESIS_PROFILE")
    if named and named not in PROFILES:
        raise ValueError(f"HYPOTHESIS_PROFILE={named!r} is not one of parity's profiles {', '.join(PROFILES)}")
    return named or None


def default_profile() -> str:
    """The profile a run starts with: :func:`named_profile` when set, else ``ci`` (derandomized) under ``CI=true``
    and ``dev`` otherwise.  ``--hypothesis-profile`` overrides it in pytest."""
    return named_profile() or ("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")


def register_profiles() -> None:
    """Register the suite's profiles and load :func:`default_profile`; once
    per process (a later call leaves a profile chosen since, e.g. by ``--hypothesis-profile``, alone)."""
    global _registered
    if _registered:
        return
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # the property tests skip without hypothesis
        return
    common = {"suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}
    settings.register_profile("dev", max_examples=25, deadline=None, **common)
    settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True, print_blob=True, **common)
    # parity run --quick: the ci profile's determinism with fewer examples (a first look, not the gate)
    settings.register_profile("quick", max_examples=10, deadline=None, derandomize=True, print_blob=True, **common)
    settings.register_profile("thorough", max_examples=1000, deadline=None, print_blob=True, **common)
    settings.load_profile(default_profile())
    pin_local_constants()
    _registered = True
