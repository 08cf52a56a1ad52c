"""parity: cross-backend correctness and speed for numerical Python.

The harness: comparison (:mod:`parity.compare`), finite differences
(:mod:`parity.gradcheck`), seeded inputs and hypothesis strategies
(:mod:`parity.inputs`, :mod:`parity.strategies`), the checks every test runs
(:mod:`parity.checks`), the pytest plugin, the report and the ``parity`` CLI.
"""

__version__ = "0.1.0"
