"""Regexes polars cannot run go to Python's re in a child process, under a budget per expectation;
the others stay on polars' linear-time engine. Real child processes, real catastrophic patterns."""

from __future__ import annotations

import re
from typing import Any

import polars as pl
import pytest

from integrity.checks.column_map_text import regex_caution
from integrity.checks.regex_fallback import Budget, budget_seconds
from integrity.engine.polars_engine import plan_suite, validate_frame
from integrity.errors import ExpectationRunError
from integrity.suites import parse_suite
from integrity.types import Outcome

EVIL = "^(a+)+(?=b)"
HOSTILE = ["a" * 36, "ab", "aab\n", "x'\"; DROP TABLE t; --", "ünïcödé ab", "", "\x00b", None]


def suite(*expectations: dict[str, Any]) -> Any:
    return parse_suite({"name": "t", "expectations": list(expectations)})


def e(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs}


def test_a_backtracking_regex_fails_its_expectation_and_the_rest_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEGRITY_REGEX_SECONDS", "0.5")
    frame = pl.DataFrame({"s": HOSTILE})
    result = validate_frame(frame, suite(
        e("expect_column_values_to_not_match_regex", column="s", regex=EVIL),
        e("expect_column_values_to_match_regex", column="s", regex="(?s).*"),
        e("expect_column_value_lengths_to_be_between", column="s", max_value=40)))
    assert [r.outcome for r in result.results] == [Outcome.ERROR, Outcome.PASSED, Outcome.PASSED]
    message = result.results[0].exception_info["exception_message"]
    assert message.startswith("expectation #0 (expect_column_values_to_not_match_regex): regex "
                              "'^(a+)+(?=b)' ran out of its 0.5 s budget")


@pytest.mark.parametrize(("regex", "fallback"), [
    (r"(\w)\1", True), (r"^(?=.*a)(?!.*x).+$", True), (r"(?<=a)b", True), (r"(?i)Ü", False)])
def test_regexes_match_as_python_re_does_on_either_engine(regex: str, fallback: bool) -> None:
    frame = pl.DataFrame({"s": HOSTILE})
    result = validate_frame(frame, suite(e("expect_column_values_to_match_regex", column="s",
                                           regex=regex)), result_format="COMPLETE")
    expected = [v for v in HOSTILE if v is not None and not re.search(regex, v)]
    assert sorted(result.results[0].result["unexpected_list"]) == sorted(expected)
    assert (regex_caution(regex) is not None) == fallback


def test_fallback_regexes_give_the_same_result_in_low_memory_chunks() -> None:
    frame = pl.DataFrame({"s": HOSTILE * 3})
    one = suite(e("expect_column_values_to_not_match_regex_list", column="s",
                  regex_list=[r"(?<=a)b", r"(.)\1\1"]))
    whole = validate_frame(frame, one, result_format="COMPLETE").results[0].result
    chunked = validate_frame(frame, one, result_format="COMPLETE", low_memory=True,
                             chunk_rows=3).results[0].result
    assert whole == chunked and whole["unexpected_count"] == 12


def test_ordinary_regexes_stay_on_the_linear_time_engine() -> None:
    frame = pl.DataFrame({"s": HOSTILE})
    plan = plan_suite(frame.lazy(), suite(e("expect_column_values_to_match_regex", column="s",
                                            regex=r"^a+b?$")))
    helpers = " ".join(str(expr) for expr in plan.inputs.values())
    assert "str.contains" in helpers and "python_udf" not in helpers
    assert regex_caution(r"^a+b?$") is None
    result = validate_frame(frame, suite(e("expect_column_values_to_match_regex", column="s",
                                           regex=r"^a+b?$")), result_format="COMPLETE")
    assert result.results[0].result["unexpected_count"] == 5


def test_the_budget_is_the_expectations_and_once_spent_stops_at_once() -> None:
    budget = Budget(0.3)
    assert budget.search_all(r"(?<=a)b", ["ab", "b"]) == [True, False]
    with pytest.raises(ExpectationRunError, match=r"ran out of its 0\.3 s budget"):
        budget.search_all(EVIL, ["a" * 40])
    spent = budget.spent
    with pytest.raises(ExpectationRunError, match="ran out"):  # no second child, no more time
        budget.search_all(r"(?<=a)b", ["ab"])
    assert budget.spent == spent
    assert budget.search_all(r"(?<=a)b", []) == []


def test_a_child_that_fails_is_an_error_that_says_so() -> None:
    with pytest.raises(ExpectationRunError, match=r"failed on Python's re: re\.error"):
        Budget(5).search_all("(?<=a+)b", ["ab"])  # variable-width look-behind: re refuses


def test_the_budget_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEGRITY_REGEX_SECONDS", "2.5")
    assert budget_seconds() == 2.5
    for bad in ("nope", "-1", "0"):
        monkeypatch.setenv("INTEGRITY_REGEX_SECONDS", bad)
        assert budget_seconds() == 10.0
