"""Applicable cases the engine does not pass yet, each with its reason.

docs/conformance.md lists the same cases; `python scripts/conformance_report.py` regenerates it.
Each entry is a strict xfail: when a fix makes the case pass, the run fails until the entry goes.
"""

#: GX's own test definitions (../shared/conformance/gx/test_definitions).
KNOWN_FAILURES: dict[str, str] = {}

#: Cases under tests/conformance/cases/ (written from GX 1.x's source and its own tests).
FIDELITY_FAILURES: dict[str, str] = {
    "expect_column_distinct_values_to_be_in_set::a_partial_count_of_zero_keeps_the_count_and_drops_the_list":
        "result_format's partial_unexpected_count is not honoured: the engine reads only the "
        "level from a result_format dict and lists up to 20 values (integrity/engine builds each "
        "Spec with partial_limit 20)",
    "expect_column_values_to_be_in_set::a_partial_count_limits_the_partial_lists":
        "result_format's partial_unexpected_count is not honoured (see above)",
}

#: Cases whose behaviour another branch (H7) builds: contradictory bounds failing one expectation,
#: run-time errors as exception_info, the all-null proportion of unique values, GX 0.x leftover
#: arguments and the five expectation types GX 1.24 has and integrity lacks. When that branch is
#: merged these cases pass and their strict xfail fails: delete this dict's entries then.
BUILT_BY_H7: dict[str, str] = {
    "expect_column_mean_to_be_between::a_lower_bound_above_the_upper_bound_fails_the_expectation":
        "built by H7: contradictory bounds fail the one expectation instead of refusing the suite",
    "expect_table_column_count_to_be_between::a_lower_bound_above_the_upper_bound_fails_the_expectation":
        "built by H7: contradictory bounds fail the one expectation instead of refusing the suite",
    "expect_column_proportion_of_unique_values_to_be_between::an_all_null_column_observes_zero":
        "built by H7: an all-null column observes a proportion of 0, as GX does",
}

#: Expectation types GX 1.24 has and integrity lacks, built by H7: every case of theirs is expected
#: to fail (unknown type) until that branch is merged. Delete the entries then.
BUILT_BY_H7_TYPES: dict[str, str] = {
    t: "built by H7: a GX 1.24 core type integrity does not register yet"
    for t in (
        "expect_column_proportion_of_non_null_values_to_be_between",
        "expect_column_type_to_be",
        "expect_column_values_to_not_be_outliers",
        "expect_multicolumn_values_to_be_equal",
    )
}
