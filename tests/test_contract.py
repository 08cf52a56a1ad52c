"""What every selected backend owes the harness (parity/suite/test_contract.py)."""

from parity.suite.test_contract import (  # noqa: F401 - the shipped suite's tests, collected here
    test_asarray_rejects_unknown_dtype_and_device,
    test_backend_implements_or_declares_every_entry,
    test_backend_keeps_its_accumulation_promise,
    test_backend_rejects,
    test_backend_rejects_a_cotangent_of_the_wrong_shape,
    test_backend_rejects_foreign_arrays,
    test_class_index_out_of_range_is_refused,
    test_declarations_name_real_cells,
    test_factors_from_separate_entries_multiply_back_to_the_matrix,
    test_non_contiguous_inputs_give_the_reference_result,
    test_parity_asarray_never_aliases_its_input,
    test_parity_to_numpy_never_aliases_the_backend_array,
)
