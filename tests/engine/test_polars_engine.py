"""The engine runs every expectation it can: one that cannot run on this batch fails alone, with
GX's exception_info, and the rest of the suite still runs in its fused query."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from integrity.engine.polars_engine import plan_suite, validate_frame
from integrity.errors import SuiteError
from integrity.suites import load_suite, parse_suite
from integrity.types import Outcome

FRAME = pl.DataFrame({"id": [1, 2, 3, 4], "n": [1.0, 2.0, 30.0, None], "s": ["a", "b", "a", "z"]})


def e(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs}


SUITE = [
    e("expect_column_values_to_not_be_null", column="id"),
    e("expect_column_values_to_be_between", column="n", min_value=10, max_value=1),
    e("expect_column_values_to_be_in_set", column="s", value_set=["a", "b"]),
    e("expect_column_mean_to_be_between", column="n", min_value=10, max_value=1),
    e("expect_column_values_to_not_be_null", column="nn"),
    e("expect_column_max_to_be_between", column="n", max_value=100),
]


def test_min_above_max_fails_only_its_expectation_while_the_rest_run(tmp_path: Path) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "t", "expectations": SUITE}, indent=1))
    suite = load_suite(path)  # loads: contradictory bounds are GX's validation-time problem
    result = validate_frame(FRAME, suite, result_format="SUMMARY")
    assert [r.outcome for r in result.results] == [
        Outcome.PASSED, Outcome.ERROR, Outcome.FAILED, Outcome.FAILED, Outcome.ERROR,
        Outcome.PASSED]
    between, missing = result.results[1], result.results[4]
    assert between.success is False and between.result == {}
    info = between.exception_info
    assert info["raised_exception"] is True
    assert info["exception_message"] == (
        f"{path}: expectation #1 (expect_column_values_to_be_between): argument 'min_value': "
        "min_value cannot be greater than max_value (10 > 1); swap them")
    assert "SuiteError" in info["exception_traceback"]
    assert missing.exception_info["exception_message"].startswith(
        f"{path}: expectation #4 (expect_column_values_to_not_be_null): argument 'column': "
        "column 'nn' is not in the batch. Did you mean 'n'?")
    # GX 1.x fails an aggregate with contradictory bounds on its statistic, without an error.
    assert result.results[3].result["observed_value"] == pytest.approx(11.0)
    assert result.results[2].result["unexpected_count"] == 1
    assert result.statistics["unsuccessful_expectations"] == 4
    assert result.queries == 1  # the rest still fuse into one query
    assert "can never pass" in result.meta["suite_warnings"][0]


def test_catch_exceptions_false_raises_instead() -> None:
    raising = dict(SUITE[1], kwargs={**SUITE[1]["kwargs"], "catch_exceptions": False})
    with pytest.raises(SuiteError, match="min_value cannot be greater than max_value"):
        validate_frame(FRAME, parse_suite({"name": "t", "expectations": [SUITE[0], raising]}))
    with pytest.raises(SuiteError, match="'nn' is not in the batch"):
        validate_frame(FRAME, parse_suite({"name": "t", "expectations": SUITE[4:]}),
                       catch_exceptions=False)


def test_the_plan_describes_the_expectation_that_cannot_run() -> None:
    plan = plan_suite(FRAME.lazy(), parse_suite({"name": "t", "expectations": SUITE}))
    text = plan.describe()
    assert "#1 expect_column_values_to_be_between: error: " in text
    assert "#4 expect_column_values_to_not_be_null: error: " in text


def test_a_frame_without_any_usable_expectation_still_gives_a_result() -> None:
    result = validate_frame(FRAME, parse_suite({"name": "t", "expectations": [SUITE[1], SUITE[4]]}))
    assert [r.outcome for r in result.results] == [Outcome.ERROR, Outcome.ERROR]
    assert result.success is False
