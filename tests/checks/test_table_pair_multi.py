"""Table, column pair, multicolumn and query expectations: what GX's conformance data does not cover."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from integrity.engine.polars_engine import plan_suite, validate_frame
from integrity.errors import SuiteError
from integrity.suites import Suite, parse_suite

FRAME = pl.DataFrame({"a": [1, 2, 3, None], "b": [1, 0, 3, None], "c": ["x", "y", "x", None]})


def suite(type_name: str, **kwargs: Any) -> Suite:
    return parse_suite({"name": "t", "expectations": [{"type": type_name, "kwargs": kwargs}]})


def run(
    type_name: str,
    frame: pl.DataFrame = FRAME,
    tables: dict[str, pl.LazyFrame] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    # Errors raise here (catch_exceptions=False) so the tests can read them directly.
    result = validate_frame(
        frame, suite(type_name, **kwargs), result_format="COMPLETE", tables=tables,
        catch_exceptions=False,
    )
    return result.results[0].to_dict()


# --- table ---------------------------------------------------------------------------------------


def test_row_count_equal_other_table() -> None:
    tables = {"same": FRAME.lazy(), "short": FRAME.head(2).lazy()}
    same = run(
        "expect_table_row_count_to_equal_other_table", tables=tables, other_table_name="same"
    )
    short = run(
        "expect_table_row_count_to_equal_other_table", tables=tables, other_table_name="short"
    )
    assert same["success"] and same["result"]["observed_value"] == {"self": 4, "other": 4}
    assert not short["success"] and short["result"]["observed_value"] == {"self": 4, "other": 2}


def test_row_count_equal_other_table_unknown_name_lists_known_tables() -> None:
    with pytest.raises(SuiteError, match=r"'nope'.*known tables: 'orders', 'users'"):
        run(
            "expect_table_row_count_to_equal_other_table",
            tables={"users": FRAME.lazy(), "orders": FRAME.lazy()},
            other_table_name="nope",
        )


def test_row_count_honours_row_condition() -> None:
    out = run(
        "expect_table_row_count_to_equal",
        value=2,
        row_condition='c == "x"',
        condition_parser="pandas",
    )
    assert out["success"] and out["result"]["observed_value"] == 2


def test_columns_to_match_set() -> None:
    exact = run("expect_table_columns_to_match_set", column_set=["a", "b"])
    subset = run("expect_table_columns_to_match_set", column_set=["a", "b"], exact_match=False)
    missing = run("expect_table_columns_to_match_set", column_set=["a", "z"], exact_match=False)
    assert not exact["success"]
    assert exact["result"]["details"] == {"mismatched": {"unexpected": ["c"]}}
    assert subset["success"]
    assert not missing["success"]
    assert missing["result"]["details"]["mismatched"]["missing"] == ["z"]


def test_ordered_list_mismatch_details() -> None:
    out = run("expect_table_columns_to_match_ordered_list", column_list=["a", "c", "b"])
    assert not out["success"]
    assert [m["Expected Column Position"] for m in out["result"]["details"]["mismatched"]] == [1, 2]


def test_column_to_exist_fails_instead_of_raising() -> None:
    assert not run("expect_column_to_exist", column="zzz")["success"]
    assert run("expect_column_to_exist", column="c", column_index=2)["success"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_value": 1.5}, "must be integers"),
        (
            {"min_value": 3, "max_value": 1},
            "Minimum Threshold cannot be larger than Maximum Threshold",
        ),
    ],
)
def test_row_count_between_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SuiteError, match=message):
        run("expect_table_row_count_to_be_between", **kwargs)


# --- column pairs ------------------------------------------------------------------------------


def test_pair_in_set_reports_pairs() -> None:
    out = run(
        "expect_column_pair_values_to_be_in_set",
        column_A="a",
        column_B="c",
        value_pairs_set=[[1, "x"], [3, "x"]],
    )
    assert not out["success"]
    assert out["result"]["unexpected_list"] == [[2, "y"]]
    assert out["result"]["unexpected_index_list"] == [1]
    assert out["result"]["missing_count"] == 1  # the all-null row is ignored by default


def test_pair_ignore_row_if_neither_counts_null_rows() -> None:
    out = run(
        "expect_column_pair_values_to_be_equal", column_A="a", column_B="b", ignore_row_if="neither"
    )
    assert out["result"]["unexpected_index_list"] == [1, 3]
    assert out["result"]["missing_count"] == 0


def test_pair_same_column_twice() -> None:
    assert run("expect_column_pair_values_to_be_equal", column_A="a", column_B="a")["success"]


def test_pair_bad_ignore_row_if_lists_options() -> None:
    with pytest.raises(SuiteError, match="either_value_is_missing"):
        suite(
            "expect_column_pair_values_to_be_equal",
            column_A="a",
            column_B="b",
            ignore_row_if="any_value_is_missing",
        )


# --- multicolumn -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "type_name",
    [
        "expect_select_column_values_to_be_unique_within_record",
        "expect_multicolumn_values_to_be_unique",
    ],
)
def test_unique_within_record(type_name: str) -> None:
    out = run(type_name, column_list=["a", "b"])
    assert out["result"]["unexpected_list"] == [{"a": 1, "b": 1}, {"a": 3, "b": 3}]
    assert out["result"]["missing_count"] == 1


def test_compound_unique_counts_duplicates_among_considered_rows_only() -> None:
    frame = pl.DataFrame({"k": [1, 1, 2, 2], "v": ["x", "x", "y", "y"], "keep": [1, 1, 1, 0]})
    out = run(
        "expect_compound_columns_to_be_unique",
        frame,
        column_list=["k", "v"],
        row_condition="keep == 1",
        condition_parser="pandas",
    )
    assert out["result"]["unexpected_index_list"] == [0, 1]


def test_mostly_out_of_range_is_a_suite_error() -> None:
    with pytest.raises(SuiteError, match="less than or equal to 1"):
        suite("expect_multicolumn_sum_to_equal", column_list=["a", "b"], sum_total=2, mostly=1.5)


def test_row_wise_checks_fuse_into_one_query() -> None:
    plan = plan_suite(
        FRAME.lazy(),
        parse_suite(
            {
                "name": "t",
                "expectations": [
                    {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
                    {
                        "type": "expect_column_pair_values_to_be_equal",
                        "kwargs": {"column_A": "a", "column_B": "b"},
                    },
                    {
                        "type": "expect_compound_columns_to_be_unique",
                        "kwargs": {"column_list": ["a", "c"]},
                    },
                    {
                        "type": "expect_multicolumn_sum_to_equal",
                        "kwargs": {"column_list": ["a", "b"], "sum_total": 2},
                    },
                    {"type": "expect_table_column_count_to_equal", "kwargs": {"value": 3}},
                ],
            }
        ),
    )
    # The compound uniqueness is guarded: a follow-up query runs only if a repeat may exist.
    assert not plan.passes and list(plan.guarded) and plan.queries == 2


# --- query -------------------------------------------------------------------------------------


def test_unexpected_rows_query_returns_rows() -> None:
    out = run(
        "unexpected_rows_expectation", unexpected_rows_query="SELECT a, c FROM {batch} WHERE a >= 2"
    )
    assert not out["success"]
    assert out["result"]["observed_value"] == "2 unexpected rows"
    assert out["result"]["details"]["unexpected_rows"] == [{"a": 2, "c": "y"}, {"a": 3, "c": "x"}]


def test_unexpected_rows_query_without_rows_passes() -> None:
    out = run(
        "unexpected_rows_expectation", unexpected_rows_query="SELECT * FROM {batch} WHERE a > 100"
    )
    assert out["success"] and out["result"]["observed_value"] == "0 unexpected rows"


def test_unexpected_rows_query_runs_as_its_own_pass() -> None:
    plan = plan_suite(
        FRAME.lazy(),
        suite("unexpected_rows_expectation", unexpected_rows_query="SELECT * FROM {batch}"),
    )
    assert [m.reason for m in plan.passes.values()] == ["runs its SQL query"]


def test_unexpected_rows_query_can_join_other_tables() -> None:
    known = pl.LazyFrame({"c": ["x"]})
    out = run(
        "unexpected_rows_expectation",
        tables={"known": known},
        unexpected_rows_query="SELECT * FROM {batch} WHERE c NOT IN (SELECT c FROM known)",
    )
    assert out["result"]["details"]["unexpected_rows"] == [{"a": 2, "b": 0, "c": "y"}]


@pytest.mark.parametrize("query", ["SELECT nope FROM {batch}", "SELECT * FROM missing_table"])
def test_bad_query_is_a_suite_error_naming_it(query: str) -> None:
    with pytest.raises(SuiteError, match="unexpected_rows_query") as info:
        run("unexpected_rows_expectation", unexpected_rows_query=query)
    assert repr(query) in str(info.value) and "\n" not in str(info.value)


def test_a_query_that_is_not_a_select_is_refused_before_it_runs() -> None:
    with pytest.raises(SuiteError, match="unexpected_rows_query") as info:
        run("unexpected_rows_expectation", unexpected_rows_query="SELEC * FROM {batch}")
    assert ("the query cannot be parsed as SQL (Required keyword: 'expression' missing near "
            "'FROM' at line 1, column 12)") in str(info.value)


def test_table_counts_accept_suite_parameters() -> None:
    out = run("expect_table_row_count_to_be_between", min_value={"$PARAMETER": "2 + 2"})
    assert out["success"]
    assert not run("expect_table_column_count_to_equal", value={"$PARAMETER": "2 * 2"})["success"]
    with pytest.raises(SuiteError, match="not a valid integer"):
        run("expect_table_row_count_to_equal", value={"$PARAMETER": "1 / 2"})
