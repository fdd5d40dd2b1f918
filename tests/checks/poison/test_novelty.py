"""expect_new_value_share_to_be_within_history over real published frames."""

from __future__ import annotations

import random
from typing import Any

import polars as pl
import pytest

from integrity.checks.poison.published import FrameContext
from integrity.engine.polars_engine import validate_frame
from integrity.errors import SuiteError
from integrity.suites import parse_suite
from integrity.types import Outcome

TYPE = "expect_new_value_share_to_be_within_history"


def _batches(count: int, rows: int = 200, seed: int = 7) -> list[pl.DataFrame]:
    """Feedback batches: most rows from 300 regulars, about 10% from accounts seen once."""
    rng = random.Random(seed)
    out, fresh = [], 0
    for _ in range(count):
        accounts = []
        for _ in range(rows):
            if rng.random() < 0.1:
                fresh += 1
                accounts.append(f"new-{fresh}")
            else:
                accounts.append(f"regular-{rng.randrange(300)}")
        out.append(pl.DataFrame({"account": accounts, "text": ["ok"] * rows}))
    return out


def _run(frame: pl.DataFrame, context: Any, **kwargs: Any) -> Any:
    suite = parse_suite({"name": "t", "expectations": [
        {"type": TYPE, "kwargs": {"column": "account", **kwargs},
         "meta": {"action": "quarantine_rows"}}]})
    result = validate_frame(frame, suite, result_format="SUMMARY", context=context).results[0]
    assert not result.exception_info["raised_exception"], result.exception_info
    return result


def test_a_burst_of_new_accounts_fails_and_lists_exactly_their_rows() -> None:
    history = _batches(12)
    clean = _batches(13, seed=7)[-1]
    ok = _run(clean, FrameContext(history))
    assert ok.success and ok.outcome is Outcome.PASSED, ok.result
    assert ok.result["unexpected_index_list"] == []
    assert 0.0 < ok.result["details"]["share"] < 0.3
    assert len(ok.result["details"]["history"]) == 11  # the first batch has nothing before it

    burst = pl.concat([clean.head(150), pl.DataFrame(
        {"account": [f"bot-{i}" for i in range(50)], "text": ["buy"] * 50})])
    bad = _run(burst, FrameContext(history))
    assert not bad.success
    flagged = set(bad.result["unexpected_index_list"])
    new_positions = {i for i, a in enumerate(burst["account"]) if a.startswith(("bot-", "new-"))}
    assert set(range(150, 200)) <= flagged and flagged == new_positions
    details = bad.result["details"]
    assert details["score"] > 3.5 and "median" in details and "mad_scale" in details
    assert {v["value"] for v in details["new_values"]} >= {"bot-0"}


def test_zscore_reports_mean_and_sd_and_lookback_limits_the_history() -> None:
    result = _run(_batches(13)[-1], FrameContext(_batches(12)), method="zscore", lookback=8,
                  min_history=4)
    details = result.result["details"]
    assert result.success and "mean" in details and "sd" in details
    assert len(details["history"]) == 8


def test_a_value_seen_in_any_earlier_batch_is_not_new() -> None:
    history = [pl.DataFrame({"account": ["a", "b"]}), pl.DataFrame({"account": ["c"]})]
    batch = pl.DataFrame({"account": ["a", "c", "z", None]})
    result = _run(batch, FrameContext(history), min_history=1, lookback=1)
    assert result.result["details"]["new_rows"] == 1  # only "z"; the null is missing
    assert result.result["details"]["judged_rows"] == 3


@pytest.mark.parametrize("context, reason", [
    (None, "results store"),
    (FrameContext([]), "no earlier published"),
    (FrameContext([pl.DataFrame({"account": ["a"]})] * 3), "history too short"),
    (FrameContext([pl.DataFrame({"other": ["a"]})]), "no column 'account'"),
])
def test_without_enough_history_it_is_not_evaluated_and_says_why(context: Any,
                                                                  reason: str) -> None:
    result = _run(pl.DataFrame({"account": ["x", "y"]}), context)
    assert result.success and result.outcome is Outcome.NOT_EVALUATED
    assert result.result["details"]["not_evaluated"] is True
    assert reason in result.result["details"]["reason"]


@pytest.mark.parametrize("kwargs, argument", [
    ({"method": "iqr"}, "method"),
    ({"lookback": 5, "min_history": 7}, "min_history"),
    ({"threshold": -1}, "threshold"),
])
def test_bad_arguments_are_load_errors(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(SuiteError) as caught:
        parse_suite({"name": "t", "expectations": [
            {"type": TYPE, "kwargs": {"column": "account", **kwargs}}]})
    assert argument in str(caught.value)
