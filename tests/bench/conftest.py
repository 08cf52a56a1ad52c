"""Benchmarks only: run with ``pytest tests/bench --benchmark-enable`` (the suite's default is --benchmark-skip)."""

import pytest

pytest.importorskip("pytest_benchmark")


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.bench)
