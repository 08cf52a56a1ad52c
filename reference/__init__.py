"""parity's NumPy reference: the source of truth for every op, with hand-derived VJPs.

``reference.catalog.CATALOG`` maps op names to :class:`reference.spec.OpSpec` entries.
"""

from reference.catalog import CATALOG, ENTRY_GROUPS, LOOP_SPECS, OPTIMIZER_SPECS, get_entry, get_spec
from reference.spec import DEFAULT_TOLERANCES, Case, OpSpec, Special, Tolerance

__all__ = [
    "CATALOG",
    "ENTRY_GROUPS",
    "LOOP_SPECS",
    "OPTIMIZER_SPECS",
    "get_entry",
    "DEFAULT_TOLERANCES",
    "Case",
    "OpSpec",
    "Special",
    "Tolerance",
    "get_spec",
]
