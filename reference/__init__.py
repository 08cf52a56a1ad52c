"""parity's NumPy reference: the source of truth for every op, with hand-derived VJPs.

``reference.catalog.CATALOG`` maps op names to :class:`reference.spec.OpSpec` entries.
"""

from reference.catalog import CATALOG, get_spec
from reference.spec import DEFAULT_TOLERANCES, Case, OpSpec, Special, Tolerance

__all__ = ["CATALOG", "DEFAULT_TOLERANCES", "Case", "OpSpec", "Special", "Tolerance", "get_spec"]
