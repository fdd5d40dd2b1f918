"""GX 0.x leftovers: accepted with a warning naming the 1.x spelling when their meaning survives,
refused with the fix when it does not; the warnings reach the validation result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from integrity.checks.legacy import RULES
from integrity.engine.polars_engine import validate_frame
from integrity.errors import SuiteError
from integrity.suites import load_suite, parse_suite

FRAME = pl.DataFrame({"n": [1.0, 2.0, 3.0], "d": ["2020-01-01", "2020-02-01", "2021-01-01"]})


def one(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"name": "legacy", "expectations": [{"expectation_type": kind, "kwargs": kwargs}]}


@pytest.mark.parametrize(("kind", "argument", "value", "says"), [
    ("expect_column_mean_to_be_between", "include_config", True, "configuration"),
    ("expect_column_values_to_be_between", "parse_strings_as_datetimes", True, "ISO-8601"),
    ("expect_column_values_to_be_in_set", "parse_strings_as_datetimes", False, "it was off"),
    ("expect_column_values_to_be_between", "allow_cross_type_comparisons", False, "it was off"),
    ("expect_column_max_to_be_between", "output_strftime_format", "%Y", "ISO-8601"),
    ("expect_column_mean_to_be_between", "mostly", 0.9, "column aggregate"),
    ("expect_table_row_count_to_be_between", "mostly", 0.9, "'mostly' means nothing to a table"),
    ("expect_column_mean_to_be_between", "auto", False, "it was off"),
    ("expect_column_mean_to_be_between", "profiler_config", {"x": 1}, "unused without auto"),
])
def test_leftovers_whose_meaning_survives_load_with_a_warning_and_are_dropped(
        kind: str, argument: str, value: Any, says: str) -> None:
    bounds = {} if kind.startswith("expect_table") or "set" in kind else {"min_value": 0}
    column = {} if kind.startswith("expect_table") else {"column": "n"}
    extra = {"value_set": [1.0, 2.0, 3.0]} if "set" in kind else {}
    suite = parse_suite(one(kind, **column, **bounds, **extra, **{argument: value}))
    (warning,) = suite.warnings
    assert f"expectation #0 ({kind}): argument '{argument}': " in warning
    assert says in warning and "Remove it" in warning
    assert argument not in suite.expectations[0].kwargs  # what runs is the 1.x expectation
    result = validate_frame(FRAME, suite)
    assert result.results[0].outcome.value == "passed"
    assert result.meta["suite_warnings"] == [warning]


@pytest.mark.parametrize(("argument", "value", "fix"), [
    ("auto", True, "Write the bounds a profiling run found"),
    ("allow_cross_type_comparisons", True, "Give bounds of the column's type"),
])
def test_leftovers_whose_meaning_is_lost_are_refused_with_the_fix(
        argument: str, value: Any, fix: str) -> None:
    with pytest.raises(SuiteError) as info:
        parse_suite(one("expect_column_values_to_be_between", column="n", min_value=0,
                        **{argument: value}))
    assert info.value.argument == argument and fix in str(info.value)


def test_auto_with_its_profiler_config_is_two_problems_at_once() -> None:
    with pytest.raises(SuiteError) as info:
        parse_suite(one("expect_column_mean_to_be_between", column="n", auto=True,
                        profiler_config={"name": "p"}))
    assert [p.argument for p in info.value.problems] == ["auto", "profiler_config"]


def test_arguments_an_expectation_really_takes_are_not_leftovers() -> None:
    # increasing/decreasing still take parse_strings_as_datetimes (GX's test definitions use it),
    # and map expectations take mostly.
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_column_values_to_be_increasing",
         "kwargs": {"column": "d", "parse_strings_as_datetimes": True}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "n", "mostly": 0.5}}]})
    assert suite.warnings == ()
    assert suite.expectations[0].kwargs["parse_strings_as_datetimes"] is True


def test_result_format_and_catch_exceptions_are_still_gx_1x_arguments() -> None:
    suite = parse_suite(one("expect_column_mean_to_be_between", column="n", min_value=0,
                            result_format="SUMMARY", catch_exceptions=True))
    assert suite.warnings == ()
    result = validate_frame(FRAME, suite).results[0]
    assert result.success and result.result["observed_value"] == FRAME["n"].mean()


def test_the_0x_spelling_of_a_type_name_loads_as_its_1x_name(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"expectation_suite_name": "t", "expectations": [
        {"expectation_type": "expect_column_pair_values_A_to_be_greater_than_B",
         "kwargs": {"column_A": "n", "column_B": "n", "or_equal": True}}]}, indent=1))
    suite = load_suite(path)
    assert suite.expectations[0].type == "expect_column_pair_values_a_to_be_greater_than_b"
    (warning,) = suite.warnings
    assert warning.startswith(f"{path}:5: expectation #0 (expect_column_pair_values_A_to_be_"
                              "greater_than_B): GX 0.x spelling of")
    assert validate_frame(FRAME, suite).success


def test_every_rule_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "suites.md").read_text()
    section = docs.split("## GX 0.x leftovers")[1].split("\n## ")[0]
    for argument in RULES:
        assert f"| `{argument}" in section, argument
