"""Volume and metric history checks against hand-computed robust statistics."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from integrity.checks.stats.context import StaticContext
from integrity.checks.stats.history import MAD_CONSISTENCY, MEAN_DEVIATION_CONSISTENCY
from integrity.checks.stats.metrics import METRICS
from integrity.engine.polars_engine import validate_frame
from integrity.errors import SuiteError
from integrity.suites import load_suite, parse_suite
from integrity.types import Outcome

COUNTS = [100, 102, 98, 101, 99, 103, 97, 100]
"""Median 100, MAD 1.5 (scale 2.2239); mean 100, sample standard deviation exactly 2."""


def rows(n: int) -> pl.DataFrame:
    return pl.DataFrame({"i": list(range(n))})


def row_count(n: int, history: list[Any], **kwargs: Any) -> Any:
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_table_row_count_to_be_within_history", "kwargs": kwargs}]})
    items = [{"row_count": c, "metrics": {}} for c in history]
    return validate_frame(rows(n), suite, context=StaticContext(history_items=items)).results[0]


def test_the_consistency_constants() -> None:
    assert round(MAD_CONSISTENCY, 12) == 1.482602218506
    assert round(MEAN_DEVIATION_CONSISTENCY, 12) == 1.253314137316


@pytest.mark.parametrize(("n", "score", "ok"), [
    (107, 7 / (1.482602218505602 * 1.5), True),   # 3.148
    (110, 10 / (1.482602218505602 * 1.5), False),  # 4.497
    (93, -7 / (1.482602218505602 * 1.5), True),
    (92, -8 / (1.482602218505602 * 1.5), False),
])
def test_median_and_mad(n: int, score: float, ok: bool) -> None:
    found = row_count(n, COUNTS, min_history=8)
    details = found.result["details"]
    assert found.result["observed_value"] == n and found.success is ok
    assert details["center"] == 100 and details["scale"] == pytest.approx(2.223903327758403)
    assert details["score"] == pytest.approx(score) and details["scale_from"] == "mad"
    assert details["expected_range"] == pytest.approx([100 - 3.5 * 2.223903327758403,
                                                       100 + 3.5 * 2.223903327758403])
    assert details["history"] == COUNTS and details["history_size"] == 8


@pytest.mark.parametrize(("n", "ok"), [(107, True), (93, True), (108, False), (91, False)])
def test_zscore(n: int, ok: bool) -> None:
    found = row_count(n, COUNTS, min_history=8, method="zscore")
    details = found.result["details"]
    assert details["center"] == 100 and details["scale"] == 2.0 and details["scale_from"] == "stdev"
    assert details["score"] == (n - 100) / 2 and found.success is ok


def test_a_zero_mad_falls_back_to_the_mean_absolute_deviation() -> None:
    history = [50, 50, 50, 50, 50, 60, 40]  # MAD 0; mean absolute deviation 20/7
    scale = 1.2533141373155001 * 20 / 7
    passed, failed = row_count(62, history), row_count(63, history)
    assert passed.result["details"]["scale_from"] == "mean_absolute_deviation"
    assert passed.result["details"]["scale"] == pytest.approx(scale)
    assert passed.success and passed.result["details"]["score"] == pytest.approx(12 / scale)
    assert not failed.success and failed.result["details"]["score"] == pytest.approx(13 / scale)


def test_a_history_that_never_moved_gets_a_minimum_scale() -> None:
    flat = [1000] * 7
    for method in ("mad", "zscore"):
        inside, outside = row_count(1035, flat, method=method), row_count(1036, flat, method=method)
        assert inside.result["details"]["scale"] == 10.0  # 1% of the centre
        assert inside.result["details"]["scale_from"] == "minimum"
        assert inside.success and not outside.success


def test_only_the_lookback_counts_and_the_history_is_oldest_first() -> None:
    history = [10_000] * 5 + COUNTS  # an old era of large batches, beyond the lookback
    found = row_count(101, history, lookback=8, min_history=8)
    assert found.success and found.result["details"]["history"] == COUNTS
    longer = row_count(101, history, lookback=13, min_history=8).result["details"]
    assert longer["history"] == history[-13:] and longer["center"] == 102


def test_too_short_a_history_or_no_context_is_not_evaluated_and_says_why() -> None:
    short = row_count(5000, COUNTS[:6])
    assert short.outcome is Outcome.NOT_EVALUATED and short.success
    assert short.result["details"]["not_evaluated"] is True
    assert short.result["details"]["reason"] == (
        "history too short: 6 of the last 14 earlier published batches recorded the row_count, "
        "and min_history is 7")
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_table_row_count_to_be_within_history", "kwargs": {}}]})
    for context in (None, StaticContext(dataset=None, history_items=[{"row_count": 1}] * 9)):
        result = validate_frame(rows(3), suite, context=context)
        assert result.results[0].outcome is Outcome.NOT_EVALUATED
        assert "without a project's results store" in result.results[0].result["details"]["reason"]
        assert result.statistics["not_evaluated_expectations"] == 1
        assert result.statistics["successful_expectations"] == 1


FRAME = pl.DataFrame({
    "x": [1.0, 2.0, 2.0, 4.0, None, 10.0],
    "s": ["a", "bb", None, "bb", "dddd", "ccc"],
    "b": [True, False, True, None, True, True],
})


def expected(metric: str, values: list[Any]) -> Any:
    """The metric computed by hand in Python over a column's values (nulls as None)."""
    present = [v for v in values if v is not None]
    numbers = [float(v) for v in present if not isinstance(v, str)]
    lengths = [len(v) for v in present if isinstance(v, str)]
    return {
        "null_count": len(values) - len(present),
        "null_fraction": (len(values) - len(present)) / len(values),
        "distinct_count": len(set(present)),
        "distinct_fraction": len(set(present)) / len(present),
        "mean": statistics.fmean(numbers) if numbers else None,
        "median": statistics.median(numbers) if numbers else None,
        "stdev": statistics.stdev(numbers) if len(numbers) > 1 else None,
        "min": min(numbers) if numbers else None,
        "max": max(numbers) if numbers else None,
        "sum": math.fsum(numbers),
        "mean_length": statistics.fmean(lengths) if lengths else None,
        "min_length": min(lengths) if lengths else None,
        "max_length": max(lengths) if lengths else None,
    }[metric]


@pytest.mark.parametrize("low_memory", [False, True])
def test_every_metric_equals_its_hand_computed_value(low_memory: bool) -> None:
    kinds = {"x": ("any", "numeric"), "s": ("any", "text"), "b": ("any", "numeric")}
    cases = [(c, m) for c, allowed in kinds.items() for m, d in METRICS.items() if d.kind in allowed]
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_column_metric_to_be_within_history",
         "kwargs": {"column": c, "metric": m, "min_history": 1}} for c, m in cases]})
    history = [{"row_count": 6, "metrics": {c: {m: 0.0 for m in METRICS} for c in kinds}}]
    result = validate_frame(FRAME, suite, context=StaticContext(history_items=history),
                            low_memory=low_memory)
    for (column, metric), found in zip(cases, result.results, strict=True):
        assert found.outcome is not Outcome.ERROR, (column, metric, found.exception_info)
        want = expected(metric, FRAME[column].to_list())
        assert found.result["observed_value"] == pytest.approx(want), (column, metric)


def test_a_metric_against_its_history() -> None:
    history = [{"row_count": 6, "metrics": {"x": {"mean": m}}}
               for m in (3.0, 3.2, 2.9, 3.1, 3.0, 3.3, 2.8)]
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_column_metric_to_be_within_history",
         "kwargs": {"column": "x", "metric": "mean", "threshold": 3.0}}]})
    found = validate_frame(FRAME, suite, context=StaticContext(history_items=history)).results[0]
    # Median 3.0, MAD 0.1 (scale 0.14826): the batch's mean 3.8 is 5.4 scales away.
    assert found.result["details"]["center"] == 3.0
    assert found.result["details"]["scale"] == pytest.approx(0.1482602218505602)
    assert found.result["details"]["score"] == pytest.approx(0.8 / 0.1482602218505602)
    assert found.outcome is Outcome.FAILED


def test_batches_without_the_metric_do_not_count_towards_the_history() -> None:
    history = [{"row_count": 6, "metrics": {}}] * 10 + [{"row_count": 6, "metrics": {"x": {
        "mean": 3.8}}}] * 3
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_column_metric_to_be_within_history",
         "kwargs": {"column": "x", "metric": "mean", "min_history": 4}}]})
    found = validate_frame(FRAME, suite, context=StaticContext(history_items=history)).results[0]
    assert found.outcome is Outcome.NOT_EVALUATED
    assert "3 of the last 14 earlier published batches recorded the mean of 'x'" in \
        found.result["details"]["reason"]


def test_a_metric_without_a_value_on_this_batch_fails() -> None:
    frame = pl.DataFrame({"x": [None, None]}, schema={"x": pl.Float64})
    history = [{"row_count": 2, "metrics": {"x": {"mean": 1.0}}}] * 7
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_column_metric_to_be_within_history",
         "kwargs": {"column": "x", "metric": "mean"}}]})
    found = validate_frame(frame, suite, context=StaticContext(history_items=history)).results[0]
    assert found.outcome is Outcome.FAILED and "no value on this batch" in \
        found.result["details"]["reason"]


def test_a_metric_the_column_type_does_not_offer_is_one_error() -> None:
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_column_metric_to_be_within_history",
         "kwargs": {"column": "s", "metric": "mean"}}]})
    found = validate_frame(FRAME, suite).results[0]
    assert found.outcome is Outcome.ERROR
    assert ("metric 'mean' needs a numeric column; a String column offers null_count, "
            "null_fraction, distinct_count, distinct_fraction, mean_length") in \
        found.exception_info["exception_message"]


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"column": "x", "metric": "meen"}, "argument 'metric': unknown metric 'meen'. Did you mean "
                                        "'mean', 'median'? Metrics: null_count"),
    ({"metric": "mean"}, "argument 'column'"),
    ({"column": "x", "metric": "mean", "method": "iqr"}, "argument 'method': 'iqr' is not one of"),
    ({"column": "x", "metric": "mean", "threshold": 0}, "argument 'threshold': threshold must be"),
    ({"column": "x", "metric": "mean", "lookback": 0}, "lookback must be between 1 and 1000"),
    ({"column": "x", "metric": "mean", "lookback": 5},
     "min_history 7 is more than lookback 5, so the history could never be long enough"),
])
def test_bad_arguments_are_refused_when_the_suite_loads(tmp_path: Path, kwargs: dict[str, Any],
                                                        says: str) -> None:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "s", "expectations": [
        {"type": "expect_column_metric_to_be_within_history", "kwargs": kwargs}]}))
    with pytest.raises(SuiteError) as caught:
        load_suite(path)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}:") and says in line
