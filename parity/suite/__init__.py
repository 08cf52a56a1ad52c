"""The catalog-driven suite, installed with parity so it runs against any backend from any directory.

    pip install parity[test] my-backend        # a backend registered under the parity.backends entry point
    parity run --backend mine                  # the matrix and the benchmarks, report in ./parity-report
    pytest -p parity.pytest_plugin --pyargs parity.suite --backend mine    # the same checks, as plain pytest

``test_matrix`` holds the checks of every catalog cell (forward, gradients, special values, optimizer
trajectories, training loops), ``test_properties`` the hypothesis properties, ``test_contract`` what every
backend owes the harness (valid declarations, every entry implemented or declared, copies that never alias,
bad input refused with an error that names the argument).  The source checkout's ``tests/`` runs these same
functions (its modules import them) beside the project's own tests.
"""
