"""The benchmark ladder (parity/suite/bench_ladder.py, installed with parity), collected here."""

from parity.suite.bench_ladder import (  # noqa: F401 - the shipped ladder's benchmarks and their parametrisation
    pytest_generate_tests,
    test_copy_bandwidth,
    test_ladder,
    test_workload_hundred_small_matmuls,
    test_workload_op,
    test_workload_training_loop,
)
