"""Catalog entries added by issues #14 and #15 while the JAX backend was being repaired (#19): not mapped to
jax.numpy yet.

Each is declared unsupported on jax and jax_jit with that reason (a gap of ours, not of JAX: jax.numpy and jax.nn
have nearly every one of these functions), so that the contract test holds until they are mapped."""

from __future__ import annotations

from reference import (
    catalog_activations,
    catalog_attention,
    catalog_convolution,
    catalog_indexing,
    catalog_integers,
    catalog_linalg,
    catalog_mathfuncs,
    catalog_normalization,
    catalog_order,
    catalog_pointwise_losses,
    catalog_reductions,
    catalog_scans,
    catalog_similarity,
)

PENDING = "not mapped to JAX yet: added to the catalog by #14/#15 after the JAX backend (#19) was written"
FAMILIES = (
    catalog_mathfuncs,
    catalog_activations,
    catalog_reductions,
    catalog_scans,
    catalog_order,
    catalog_indexing,
    catalog_integers,
    catalog_linalg,
    catalog_attention,
    catalog_pointwise_losses,
    catalog_normalization,
    catalog_similarity,
    catalog_convolution,
)
UNSUPPORTED = {spec.name: PENDING for family in FAMILIES for spec in family.ENTRIES}
