"""Table expectations: row counts, column counts and column names."""

from __future__ import annotations

from integrity.checks.base import Arg, Check, Spec, expectation
from integrity.checks.families import aggregate_check, check_bounds, domain_count, range_judge

CONDITION = (Arg("row_condition", (str,)), Arg("condition_parser", (str,)))


@expectation("expect_table_row_count_to_be_between", family="table",
             args=(Arg("min_value", (int,)), Arg("max_value", (int,)), *CONDITION), column_args=())
def row_count_between(spec: Spec) -> Check:
    """The batch has between min_value and max_value rows."""
    check_bounds(spec)
    return aggregate_check(spec, {"observed_value": domain_count(spec)}, range_judge(spec))
