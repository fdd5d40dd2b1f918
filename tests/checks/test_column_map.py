"""Column map behaviour the GX conformance data does not pin down."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from integrity.engine.polars_engine import plan_suite, validate_frame
from integrity.errors import SuiteError
from integrity.suites import parse_suite


def run(frame: pl.DataFrame, kind: str, **kwargs: Any) -> dict[str, Any]:
    suite = parse_suite({"name": "t", "expectations": [{"type": kind, "kwargs": kwargs}]})
    # Errors raise here (catch_exceptions=False) so the tests can read them directly.
    return validate_frame(frame, suite, result_format="COMPLETE",
                          catch_exceptions=False).results[0].to_dict()


TEXT = pl.DataFrame({"s": ["abc", "abd", "xyz", None, "abc"], "n": [1, 2, 3, 2, 5]})


def test_bad_regex_names_the_regex_and_the_reason() -> None:
    with pytest.raises(SuiteError, match=r"regex '\(ab' does not compile: unclosed group"):
        run(TEXT, "expect_column_values_to_match_regex", column="s", regex="(ab")


def test_bad_regex_in_a_list_is_named() -> None:
    with pytest.raises(SuiteError, match=r"regex '\[z' does not compile"):
        run(TEXT, "expect_column_values_to_not_match_regex_list", column="s", regex_list=["a", "[z"])


def test_lookahead_regex_falls_back_to_python_re() -> None:
    result = run(TEXT, "expect_column_values_to_match_regex", column="s", regex="^a(?=b)")
    assert result["result"]["unexpected_list"] == ["xyz"]


def test_like_pattern_is_anchored_and_escapes_regex_characters() -> None:
    frame = pl.DataFrame({"s": ["a.c", "abc", "a.cd"]})
    result = run(frame, "expect_column_values_to_match_like_pattern", column="s", like_pattern="a.%c")
    assert result["result"]["unexpected_list"] == ["abc", "a.cd"]
    result = run(frame, "expect_column_values_to_not_match_like_pattern_list", column="s",
                 like_pattern_list=["a_c"])
    assert result["result"]["unexpected_list"] == ["a.c", "abc"]


def test_iso_string_bounds_against_a_datetime_column() -> None:
    frame = pl.DataFrame({"t": [dt.datetime(2019, 1, 1), dt.datetime(2020, 6, 1), None]})
    result = run(frame, "expect_column_values_to_be_between", column="t",
                 min_value="2020-01-01", max_value="2021-01-01T00:00:00Z")
    assert result["result"]["unexpected_index_list"] == [0]


def test_suite_parameter_bounds_are_evaluated_safely() -> None:
    frame = pl.DataFrame({"t": [dt.datetime(2000, 1, 1)]})
    result = run(frame, "expect_column_values_to_be_between", column="t",
                 max_value={"$PARAMETER": "now() - timedelta(days=1)"})
    assert result["success"] is True
    with pytest.raises(SuiteError, match="is not allowed"):
        run(frame, "expect_column_values_to_be_between", column="t",
            max_value={"$PARAMETER": "__import__('os')"})


def test_numeric_bounds_on_text_column_is_a_type_error() -> None:
    with pytest.raises(SuiteError, match="must either be None or of the same type"):
        run(TEXT, "expect_column_values_to_be_between", column="s", min_value=1)


def test_unique_and_increasing_respect_the_row_condition() -> None:
    result = run(TEXT, "expect_column_values_to_be_unique", column="s", row_condition="n < 5")
    assert result["success"] is True
    result = run(TEXT, "expect_column_values_to_be_increasing", column="n", row_condition="n != 2")
    assert result["success"] is True
    result = run(TEXT, "expect_column_values_to_be_increasing", column="n", strictly=True)
    assert result["result"]["unexpected_index_list"] == [3]


def test_strftime_format_that_cannot_round_trip_is_rejected() -> None:
    with pytest.raises(SuiteError, match="Unable to use provided strftime_format"):
        run(TEXT, "expect_column_values_to_match_strftime_format", column="s", strftime_format="%D")


def test_dateutil_on_numbers_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="must be of type string"):
        from integrity.checks.base import BUILTIN, Spec

        definition = BUILTIN.get("expect_column_values_to_be_dateutil_parseable")
        definition.build(Spec(definition.type, {"column": "n"}, TEXT.schema, None))


def test_json_schema_is_checked_when_the_suite_loads() -> None:
    with pytest.raises(SuiteError, match="not a valid JSON Schema"):
        run(TEXT, "expect_column_values_to_match_json_schema", column="s", json_schema={"type": 5})


def test_polars_dtype_names_are_accepted_as_types() -> None:
    assert run(TEXT, "expect_column_values_to_be_of_type", column="n", type_="Int64")["success"]
    result = run(TEXT, "expect_column_values_to_be_in_type_list", column="n", type_list=["int"])
    assert result["result"]["observed_value"] == "int64"


def test_all_column_map_metrics_fuse_into_one_query() -> None:
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_column_values_to_be_json_parseable", "kwargs": {"column": "s"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "s"}},
        {"type": "expect_column_value_z_scores_to_be_less_than",
         "kwargs": {"column": "n", "threshold": 3, "double_sided": True}},
        {"type": "expect_column_values_to_be_decreasing", "kwargs": {"column": "n"}},
    ]})
    plan = plan_suite(TEXT.lazy(), suite)
    # Uniqueness is guarded: one fused query, plus a follow-up only when duplicates may exist.
    assert len(plan.fused) > 0 and not plan.passes and plan.queries == 2
    assert "only if a guard fails" in plan.describe()
    distinct = TEXT.with_columns(pl.Series("s", ["a", "b", "c", None, "d"]))
    assert validate_frame(distinct, suite).queries == 1
    repeated = validate_frame(TEXT, suite)
    assert repeated.queries == 2
    assert repeated.results[1].result["unexpected_count"] == 2
    assert repeated.results[1].result["partial_unexpected_list"] == ["abc", "abc"]


@pytest.mark.parametrize("values", [
    [1, 2, None, 2, None, 3],
    ["a", "b", None, "b", None, "c"],
    [1.0, float("nan"), None, float("nan"), -0.0, 0.0],
    [True, False, None, True, None, None],
    [[1], [2], None, [1], None, []],
    [b"x", b"y", None, b"x", None, b""],
])
def test_uniqueness_marks_exactly_the_repeated_rows_of_every_type(values: list[Any]) -> None:
    frame = pl.DataFrame({"v": values, "keep": [True, True, True, True, False, True]})
    expected = frame.select(pl.col("v").is_duplicated() & pl.col("v").is_not_null()).to_series()
    result = run(frame, "expect_column_values_to_be_unique", column="v", result_format="COMPLETE")
    assert result["result"]["unexpected_index_list"] == [i for i, bad in enumerate(expected) if bad]
    kept = run(frame, "expect_column_values_to_be_unique", column="v", row_condition='keep == True',
               condition_parser="pandas", result_format="COMPLETE")
    kept_expected = frame.select(pl.when(pl.col("keep")).then(pl.col("v")).is_duplicated()
                                 & pl.col("v").is_not_null() & pl.col("keep")).to_series()
    assert kept["result"]["unexpected_index_list"] == [i for i, bad in enumerate(kept_expected) if bad]


@pytest.mark.parametrize("value_set", [["a", "b"], ["a", "b", "x1", "x2", "x3", "x4", "x5", "x6", "x7"]])
def test_text_set_membership_is_the_same_by_equality_or_by_lookup(value_set: list[str]) -> None:
    # Up to 8 values are compared one by one, more are looked up: same rows, nulls never unexpected.
    frame = pl.DataFrame({"s": ["a", None, "c", "b", "", "A", None, "a "]})
    inside = run(frame, "expect_column_values_to_be_in_set", column="s", value_set=value_set)
    outside = run(frame, "expect_column_values_to_not_be_in_set", column="s", value_set=value_set)
    assert inside["result"]["unexpected_index_list"] == [2, 4, 5, 7]
    assert outside["result"]["unexpected_index_list"] == [0, 3]
    assert inside["result"]["missing_count"] == outside["result"]["missing_count"] == 2
