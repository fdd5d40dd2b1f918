"""The GX 1.x core types added to the catalogue: behaviour on small frames, edge cases, errors,
the low-memory chunk form, and the gate's use of their row masks. (Cross-checked against real GX
in tests/integration/test_gx_crosscheck_more.py.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from integrity.engine.polars_engine import plan_suite, run_plan, validate_frame
from integrity.errors import SuiteError
from integrity.gate import decide
from integrity.suites import parse_suite
from integrity.types import Outcome

FRAME = pl.DataFrame({
    "x": [1.0, 2.0, 3.0, 4.0, 100.0, None, float("nan"), 2.0],
    "y": [1.0, 2.0, 3.0, 4.0, 100.0, None, float("nan"), 2.5],
    "i": [1, 2, 3, 4, 5, 6, 7, 8],
    "s": ["a", "b", None, "d", "e", "f", "g", "1"],
    "g": ["p", "p", "p", "p", "q", "q", "q", "q"],
})


def run(kind: str, frame: pl.DataFrame = FRAME, fmt: str = "COMPLETE",
        tables: dict[str, pl.LazyFrame] | None = None, **kwargs: Any) -> Any:
    suite = parse_suite({"name": "t", "expectations": [{"type": kind, "kwargs": kwargs}]})
    return validate_frame(frame, suite, result_format=fmt, tables=tables).results[0]


def load_problem(kind: str, **kwargs: Any) -> SuiteError:
    with pytest.raises(SuiteError) as info:
        parse_suite({"name": "t", "expectations": [{"type": kind, "kwargs": kwargs}]})
    return info.value


def same_in_chunks(kind: str, frame: pl.DataFrame = FRAME, **kwargs: Any) -> None:
    suite = parse_suite({"name": "t", "expectations": [{"type": kind, "kwargs": kwargs}]})
    whole = validate_frame(frame, suite, result_format="COMPLETE").results[0]
    chunked = validate_frame(frame, suite, result_format="COMPLETE", low_memory=True,
                             chunk_rows=3).results[0]
    assert whole.to_dict() == chunked.to_dict()


# -- expect_column_proportion_of_non_null_values_to_be_between --------------------------------------

NON_NULL = "expect_column_proportion_of_non_null_values_to_be_between"


def test_proportion_of_non_null_values() -> None:
    result = run(NON_NULL, column="s", min_value=0.8, max_value=0.9)
    assert result.success and result.result["observed_value"] == 7 / 8
    assert not run(NON_NULL, column="s", min_value=0.8, max_value=0.875, strict_max=True).success
    assert run(NON_NULL, column="s").success  # no bounds: vacuously true, as in GX
    conditioned = run(NON_NULL, column="s", min_value=1, row_condition='g == "q"',
                      condition_parser="pandas")
    assert conditioned.success and conditioned.result["observed_value"] == 1.0


def test_proportion_of_non_null_values_of_no_rows_is_zero() -> None:
    empty = FRAME.clear()
    assert run(NON_NULL, frame=empty, column="s", max_value=0).result["observed_value"] == 0.0
    nothing = run(NON_NULL, column="s", max_value=0, row_condition='g == "z"',
                  condition_parser="pandas")
    assert nothing.success and nothing.result["observed_value"] == 0.0


def test_proportion_of_non_null_values_in_chunks_and_summary_counts() -> None:
    same_in_chunks(NON_NULL, column="s", min_value=0.5)
    same_in_chunks(NON_NULL, frame=FRAME.clear(), column="s", max_value=0)
    # GX 1.24 reports only the observed value for a column aggregate, at every result_format.
    assert run(NON_NULL, column="x", fmt="SUMMARY", min_value=0).result == {"observed_value": 7 / 8}


def test_proportion_of_non_null_values_refuses_text_bounds_at_load() -> None:
    assert load_problem(NON_NULL, column="s", min_value="half").argument == "min_value"


# -- expect_column_type_to_be ------------------------------------------------------------------------

TYPES = pl.DataFrame({
    "i": [1], "u": pl.Series([1], dtype=pl.UInt8), "f": [1.5], "b": [True], "s": ["a"],
    "t": [dt.datetime(2024, 1, 1)], "tz": pl.Series([dt.datetime(2024, 1, 1)]).dt.replace_time_zone("UTC"),
    "ns": pl.Series([dt.datetime(2024, 1, 1)], dtype=pl.Datetime("ns")), "d": [dt.date(2024, 1, 1)],
    "dur": [dt.timedelta(1)], "c": pl.Series(["a"], dtype=pl.Categorical), "l": [[1]], "n": [None],
})


@pytest.mark.parametrize(("column", "accepted", "refused"), [
    ("i", ["Int64", "int64", "int", "i8"], ["int32", "Int32", "float64", "str"]),
    ("u", ["UInt8", "uint8"], ["int8", "Int64"]),
    ("f", ["Float64", "float64", "float", "double"], ["float32", "int64"]),
    ("b", ["Boolean", "bool", "boolean"], ["int64", "object"]),
    ("s", ["String", "Utf8", "str", "string", "object", "O"], ["category", "bytes"]),
    ("t", ["Datetime", "datetime64", "datetime64[us]"], ["datetime64[ns]", "Date",
                                                          "datetime64[us, UTC]"]),
    ("tz", ["Datetime", "datetime64[us, UTC]"], ["datetime64", "datetime64[us]"]),
    ("ns", ["datetime64[ns]", "datetime64"], ["datetime64[us]"]),
    ("d", ["Date", "object"], ["datetime64", "Datetime"]),
    ("dur", ["Duration", "timedelta64", "timedelta64[us]"], ["timedelta64[ns]", "datetime64"]),
    ("c", ["Categorical", "category"], ["str", "object"]),
    ("l", ["List", "object"], ["str"]),
    ("n", ["Null", "object"], ["float64"]),
])
def test_column_type_names_in_polars_pandas_and_numpy_spelling(
        column: str, accepted: list[str], refused: list[str]) -> None:
    for name in accepted:
        result = run("expect_column_type_to_be", frame=TYPES, column=column, type_=name)
        assert result.success, (column, name)
        assert result.result == {"observed_value": str(TYPES.schema[column])}
    for name in refused:
        assert run("expect_column_type_to_be", frame=TYPES, column=column,
                   type_=name).outcome is Outcome.FAILED, (column, name)


def test_an_unknown_type_name_fails_the_expectation_with_the_reason() -> None:
    result = run("expect_column_type_to_be", frame=TYPES, column="i", type_="integer64")
    assert result.outcome is Outcome.ERROR
    assert "Unrecognized type: 'integer64'" in result.exception_info["exception_message"]
    missing = run("expect_column_type_to_be", frame=TYPES, column="nope", type_="int64")
    assert missing.outcome is Outcome.ERROR


def test_column_type_takes_a_suite_parameter_and_needs_no_query() -> None:
    suite = parse_suite({"name": "t", "expectations": [{"type": "expect_column_type_to_be",
        "kwargs": {"column": "i", "type_": {"$PARAMETER": "1"}}}]})
    assert plan_suite(TYPES.lazy(), suite).requested == 0
    assert load_problem("expect_column_type_to_be", column="i").argument == "type_"


# -- expect_column_values_to_not_be_outliers ---------------------------------------------------------

OUTLIERS = "expect_column_values_to_not_be_outliers"


def test_iqr_outliers_are_outside_tukeys_fences() -> None:
    # Non-null, non-NaN x: 1, 2, 2, 3, 4, 100: Q1 2.0, Q3 3.75, IQR 1.75: fences -0.625..6.375.
    result = run(OUTLIERS, column="x")
    assert result.result["unexpected_list"] == [100.0]
    assert result.result["unexpected_index_list"] == [4]
    # NaN counts as missing for the statistics and is never an outlier; the null is missing.
    assert result.result["element_count"] == 8 and result.result["missing_count"] == 1
    on_fence = pl.DataFrame({"x": [0.0, 10.0, 10.0, 20.0, 40.0]})  # Q1 10, Q3 20: up to 35
    assert run(OUTLIERS, frame=on_fence, column="x", multiplier=1.0).result[
        "unexpected_list"] == [40.0]
    assert run(OUTLIERS, frame=on_fence, column="x", multiplier=2.0).success


def test_std_outliers_are_at_or_beyond_the_edge() -> None:
    frame = pl.DataFrame({"x": [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]})  # mean 5, sd ~2.138
    assert run(OUTLIERS, frame=frame, column="x", method="std", multiplier=1).result[
        "unexpected_list"] == [2.0, 9.0]
    # A zero edge leaves only the mean inside (GX's rule for a zero threshold).
    assert run(OUTLIERS, frame=frame, column="x", method="std", multiplier=0).result[
        "unexpected_count"] == 6
    assert run(OUTLIERS, frame=frame, column="x", method="std", multiplier=1, mostly=0.75).success


@pytest.mark.parametrize("values", [[], [None, None], [5.0], [1.0, float("inf"), 2.0]])
def test_a_column_without_a_window_has_no_outliers(values: list[float | None]) -> None:
    frame = pl.DataFrame({"x": values}, schema={"x": pl.Float64})
    for method in ("iqr", "std"):
        if method == "iqr" and len(values) == 3:
            continue  # quartiles of 1, 2, inf are finite: a real window
        assert run(OUTLIERS, frame=frame, column="x", method=method).success, (values, method)


def test_outliers_follow_the_row_condition_and_integers() -> None:
    result = run(OUTLIERS, column="i", row_condition='g == "q"', condition_parser="pandas",
                 method="std", multiplier=0.5)
    # q rows: 5, 6, 7, 8: mean 6.5, sd 1.29: edge 0.645: 5 and 8 are outliers.
    assert result.result["unexpected_list"] == [5, 8]
    same_in_chunks(OUTLIERS, column="x")


def test_outlier_arguments_are_checked() -> None:
    assert load_problem(OUTLIERS, column="x", method="mad").argument == "method"
    assert load_problem(OUTLIERS, column="x", multiplier=-1).argument == "multiplier"
    text = run(OUTLIERS, column="s")
    assert text.outcome is Outcome.ERROR
    assert "Cannot detect outliers in a non-numerical column" in text.exception_info[
        "exception_message"]


def test_the_gate_holds_the_outlier_rows() -> None:
    suite = parse_suite({"name": "t", "expectations": [{"type": OUTLIERS,
                                                         "kwargs": {"column": "x"}}]})
    plan = plan_suite(FRAME.lazy(), suite)
    decision = decide(FRAME, plan, run_plan(FRAME.lazy(), plan), default_action="quarantine_rows")
    assert decision.quarantined["x"].to_list() == [100.0]
    assert decision.published.height == 7


# -- expect_multicolumn_values_to_be_equal -----------------------------------------------------------

EQUAL = "expect_multicolumn_values_to_be_equal"


def test_multicolumn_values_are_compared_null_safely() -> None:
    frame = pl.DataFrame({"a": [1, 2, None, None, 5], "b": [1, 2, None, 4, 6],
                          "c": [1.0, 2.0, None, None, 5.0]})
    assert run(EQUAL, frame=frame, column_list=["a", "c"]).success  # 1 == 1.0, null == null
    result = run(EQUAL, frame=frame, column_list=["a", "b", "c"])
    assert result.result["unexpected_list"] == [{"a": None, "b": 4, "c": None},
                                                {"a": 5, "b": 6, "c": 5.0}]
    assert result.result["element_count"] == 5 and result.result["missing_count"] == 1
    any_missing = run(EQUAL, frame=frame, column_list=["a", "b"],
                      ignore_row_if="any_value_is_missing")
    assert any_missing.result["unexpected_index_list"] == [4]
    never = run(EQUAL, frame=frame, column_list=["a", "b"], ignore_row_if="never")
    assert never.result["unexpected_index_list"] == [3, 4] and never.result["missing_count"] == 0
    assert run(EQUAL, frame=frame, column_list=["a", "b", "c"], mostly=0.5).success
    same_in_chunks(EQUAL, frame=frame, column_list=["a", "b", "c"])


def test_text_and_numbers_are_never_equal() -> None:
    result = run(EQUAL, column_list=["i", "s"], ignore_row_if="never")
    assert result.result["unexpected_count"] == 8  # "1" is not 1, as pandas' == finds


def test_multicolumn_equal_needs_two_columns() -> None:
    assert "at least two columns" in str(load_problem(EQUAL, column_list=["x"]))
    assert load_problem(EQUAL, column_list=["x", "y"], ignore_row_if="both").argument == (
        "ignore_row_if")


# -- expect_query_results_to_match_comparison --------------------------------------------------------

COMPARE = "expect_query_results_to_match_comparison"
OTHER = pl.LazyFrame({"id": [1, 2, 2, 3], "v": ["a", "b", "b", None]})
BATCH = pl.DataFrame({"id": [1, 2, 3, 4], "v": ["a", "b", None, "d"]})


def compare(fmt: str = "COMPLETE", **kwargs: Any) -> Any:
    args = {"base_query": "SELECT id, v FROM {batch}", "comparison_data_source_name": "other",
            "comparison_query": "SELECT id, v FROM other", **kwargs}
    return run(COMPARE, frame=BATCH, fmt=fmt, tables={"other": OTHER}, **args)


def test_query_results_are_compared_as_rows_counting_repeats() -> None:
    result = compare()
    assert not result.success
    assert result.result == {"unexpected_count": 1, "unexpected_percent": 25.0, "details": {
        "missing_rows": [{"id": 2, "v": "b"}], "unexpected_rows": [{"id": 4, "v": "d"}]}}
    assert compare("BASIC").result == {"unexpected_count": 1, "unexpected_percent": 25.0}
    assert compare(mostly=0.75).success
    assert compare(base_query="SELECT v FROM {batch} WHERE id > 10",
                   comparison_query="SELECT v FROM other WHERE id > 10").success


def test_query_comparison_errors_name_the_table_or_the_query() -> None:
    unknown = compare(comparison_data_source_name="orders")
    assert unknown.outcome is Outcome.ERROR
    assert "no table named 'orders'" in unknown.exception_info["exception_message"]
    assert "known tables: 'other'" in unknown.exception_info["exception_message"]
    for bad in ("DROP TABLE other", "SELEC * FROM other", "SELECT nope FROM other"):
        result = compare(comparison_query=bad)
        assert result.outcome is Outcome.ERROR, bad
        assert "argument 'comparison_query'" in result.exception_info["exception_message"]
    lists = pl.DataFrame({"l": [[1], [2]]})
    nested = run(COMPARE, frame=lists, tables={"other": lists.lazy()}, base_query=
                 "SELECT l FROM {batch}", comparison_data_source_name="other",
                 comparison_query="SELECT l FROM other")
    assert nested.outcome is Outcome.ERROR
    assert "column 'l' holds values that cannot be compared as rows" in nested.exception_info[
        "exception_message"]


def test_query_comparison_runs_as_its_own_pass() -> None:
    suite = parse_suite({"name": "t", "expectations": [{"type": COMPARE, "kwargs": {
        "base_query": "SELECT id FROM {batch}", "comparison_data_source_name": "other",
        "comparison_query": "SELECT id FROM other"}}]})
    plan = plan_suite(BATCH.lazy(), suite, tables={"other": OTHER})
    assert [m.reason for m in plan.passes.values()] == [
        "runs its two SQL queries (the batch's and the comparison's)"]
