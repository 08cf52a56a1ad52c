"""The catalog-driven suite: the checks of every catalog cell, on any backend, built-in or third-party.

This folder is the source; the wheel installs it as the package ``parity.suite`` (pyproject.toml maps the
package to ``tests/suite``), so that it runs against any backend from any directory:

    pip install parity[test] my-backend        # a backend registered under the parity.backends entry point
    parity run --backend mine                  # the matrix and the benchmarks, report in ./parity-report
    pytest -p parity.pytest_plugin --pyargs parity.suite --backend mine    # the same checks, as plain pytest

``test_forward``, ``test_grads``, ``test_special_values``, ``test_branches`` and ``test_trajectories`` hold the
checks of every catalog cell, ``test_properties`` the hypothesis properties, ``test_contract`` what every backend
owes the harness (valid declarations, every entry implemented or declared, copies that never alias, bad input
refused with an error that names the argument), ``bench_ladder`` the benchmark ladder.  Nothing here imports the
rest of ``tests/``: an installed copy has only parity, the reference and the backends beside it.
"""
