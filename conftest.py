"""Loads parity's pytest plugin (options, markers, hypothesis profiles, backend fixture, matrix)."""

pytest_plugins = ["parity.pytest_plugin"]
