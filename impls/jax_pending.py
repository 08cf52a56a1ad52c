"""Catalog entries added by issue #14 while the JAX backend was being repaired (#19): not mapped to jax.numpy yet.

Each is declared unsupported on jax and jax_jit with that reason (a gap of ours, not of JAX: jax.numpy has every one
of these functions), so that the contract test holds until they are mapped."""

from __future__ import annotations

from reference import catalog_activations, catalog_mathfuncs

PENDING = "not mapped to jax.numpy yet: added by #14 while the JAX backend was under repair (#19); JAX has it"
UNSUPPORTED = {spec.name: PENDING for spec in catalog_mathfuncs.ENTRIES + catalog_activations.ENTRIES}
