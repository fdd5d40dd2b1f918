"""Applicable cases the engine does not pass yet, each with its reason.

docs/conformance.md lists the same cases; `python scripts/conformance_report.py` regenerates it.
Each entry is a strict xfail: when a fix makes the case pass, the run fails until the entry goes.
"""

#: GX's own test definitions (../shared/conformance/gx/test_definitions).
KNOWN_FAILURES: dict[str, str] = {}

#: Cases under tests/conformance/cases/ (written from GX 1.x's source and its own tests).
FIDELITY_FAILURES: dict[str, str] = {}

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
