"""Volume and metric history: this batch against the same dataset's earlier published batches.

``expect_table_row_count_to_be_within_history`` and ``expect_column_metric_to_be_within_history``
compute this batch's value in the suite's fused query and compare it with the values the results
store recorded for the latest ``lookback`` earlier published batches (rows held in quarantine are
never part of them, nor is this batch). The score is how many scales the value lies from the centre
of the history; it passes when ``|score| <= threshold``:

- ``method="mad"`` (default): centre = median, scale = 1.4826 x the median absolute deviation
  (MAD; 1.4826 = 1/Phi^-1(3/4) makes it estimate the standard deviation of normal data, so a
  threshold of 3.5 means what 3.5 standard deviations would, while outliers in the history barely
  move it).
- ``method="zscore"``: centre = mean, scale = sample standard deviation.

When the scale is 0 (more than half the history is one value), it falls back to 1.2533 x the mean
absolute deviation from the centre (sqrt(pi/2): again an estimate of the standard deviation), and
when that is 0 too (every earlier value equal) to a minimum scale of 1% of the centre's magnitude
(1e-9 when the centre is 0): a metric that never moved fails when it moves by more than
``threshold`` % of its value. With fewer than ``min_history`` earlier values, or without a
validation context, the expectation is ``not_evaluated`` (see :mod:`.outcome`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from integrity.checks.arguments import gx_integer, one_of
from integrity.checks.base import Arg, Check, Metric, Spec, Verdict, expectation, require
from integrity.checks.partials import summed
from integrity.checks.stats.metrics import applies, fitting, metric_of, metric_problem
from integrity.checks.stats.outcome import NO_CONTEXT, history_of, not_evaluated
from integrity.errors import SuiteError

MAD_CONSISTENCY = 1 / statistics.NormalDist().inv_cdf(0.75)
"""1.4826...: scales the MAD to estimate a normal distribution's standard deviation."""
MEAN_DEVIATION_CONSISTENCY = math.sqrt(math.pi / 2)
"""1.2533...: scales the mean absolute deviation to estimate a normal standard deviation."""
RELATIVE_MINIMUM_SCALE = 0.01
ABSOLUTE_MINIMUM_SCALE = 1e-9
MAX_LOOKBACK = 1000


def _whole(low: int, what: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        problem = gx_integer(value)
        if problem is None and not low <= value <= MAX_LOOKBACK:
            return f"{what} must be between {low} and {MAX_LOOKBACK}, got {value}"
        return problem

    return check


def _positive(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 \
            or not math.isfinite(value):
        return f"threshold must be a positive number (3.5 is the usual one), got {value!r}"
    return None


HISTORY_ARGS = (
    Arg("lookback", (int,), default=14, check=_whole(1, "lookback")),
    Arg("min_history", (int,), default=7, check=_whole(1, "min_history")),
    Arg("method", (str,), default="mad", check=one_of("mad", "zscore")),
    Arg("threshold", (int, float), default=3.5, check=_positive),
)


@dataclass(frozen=True)
class Rule:
    lookback: int
    min_history: int
    method: str
    threshold: float


def _rule(spec: Spec) -> Rule:
    rule = Rule(int(spec.get("lookback", 14)), int(spec.get("min_history", 7)),
                str(spec.get("method", "mad")), float(spec.get("threshold", 3.5)))
    require(rule.min_history <= rule.lookback,
            f"min_history {rule.min_history} is more than lookback {rule.lookback}, so the history "
            "could never be long enough; lower min_history or raise lookback", "min_history")
    return rule


@expectation("expect_table_row_count_to_be_within_history", family="history", column_args=(),
             args=HISTORY_ARGS)
def row_count_within_history(spec: Spec) -> Check:
    """The batch's row count is within ``threshold`` scales of the dataset's earlier batches'."""
    rule = _rule(spec)

    def values(history: Sequence[Mapping[str, Any]]) -> list[float]:
        return _numbers(h.get("row_count") for h in history)

    return _history_check(spec, summed(pl.len().cast(pl.Int64)), rule, values, "row_count")


@expectation("expect_column_metric_to_be_within_history", family="history",
             args=(Arg("column", (str,), required=True),
                   Arg("metric", (str,), required=True, check=metric_problem), *HISTORY_ARGS))
def column_metric_within_history(spec: Spec) -> Check:
    """A column metric (mean, null_fraction, ...) is within ``threshold`` scales of its history."""
    rule = _rule(spec)
    column, name = spec.kwargs["column"], spec.kwargs["metric"]
    dtype = spec.dtype(column)
    if not applies(name, dtype):
        raise SuiteError(fitting(name, dtype), argument="metric")

    def values(history: Sequence[Mapping[str, Any]]) -> list[float]:
        return _numbers((h.get("metrics") or {}).get(column, {}).get(name) for h in history)

    return _history_check(spec, metric_of(name, column, dtype, spec.engine), rule, values,
                          f"{name} of {column!r}")


def _history_check(spec: Spec, metric: Metric, rule: Rule,
                   values: Callable[[Sequence[Mapping[str, Any]]], list[float]],
                   what: str) -> Check:
    context = spec.context

    def evaluate(m: Mapping[str, Any]) -> Verdict:
        current = m["observed_value"]
        history = history_of(context, rule.lookback)
        if history is None:
            return not_evaluated(NO_CONTEXT, {"observed_value": current})
        earlier = values(history)
        if len(earlier) < rule.min_history:
            return not_evaluated(
                f"history too short: {len(earlier)} of the last {rule.lookback} earlier published "
                f"batches recorded the {what}, and min_history is {rule.min_history}",
                {"observed_value": current, "details": {"history_size": len(earlier)}})
        return judge(current, earlier, rule)

    return Check({"observed_value": metric}, evaluate)


@dataclass(frozen=True)
class Spread:
    """Where the history is centred and how wide it is."""

    center: float
    scale: float
    scale_from: str
    """``mad``, ``stdev``, ``mean_absolute_deviation`` or ``minimum`` (see the module docstring)."""


def spread(values: Sequence[float], method: str) -> Spread:
    """The centre and scale of ``values`` under ``method`` (``mad`` or ``zscore``), with the
    fallbacks for a zero scale described in the module docstring."""
    if not values:
        raise ValueError("no history to measure")
    if method == "zscore":
        center = math.fsum(values) / len(values)
        scale, scale_from = (statistics.stdev(values) if len(values) > 1 else 0.0), "stdev"
    else:
        center = statistics.median(values)
        scale = MAD_CONSISTENCY * statistics.median(abs(v - center) for v in values)
        scale_from = "mad"
    if scale == 0:
        deviation = math.fsum(abs(v - center) for v in values) / len(values)
        scale, scale_from = MEAN_DEVIATION_CONSISTENCY * deviation, "mean_absolute_deviation"
    if scale == 0:
        scale = max(RELATIVE_MINIMUM_SCALE * abs(center), ABSOLUTE_MINIMUM_SCALE)
        scale_from = "minimum"
    return Spread(center, scale, scale_from)


def judge(current: Any, earlier: Sequence[float], rule: Rule) -> Verdict:
    """The verdict on ``current`` against the ``earlier`` values (enough of them)."""
    measured = spread(earlier, rule.method)
    low = measured.center - rule.threshold * measured.scale
    high = measured.center + rule.threshold * measured.scale
    details: dict[str, Any] = {
        "method": rule.method, "threshold": rule.threshold, "center": measured.center,
        "scale": measured.scale, "scale_from": measured.scale_from,
        "expected_range": [low, high], "history_size": len(earlier), "history": list(earlier),
    }
    value = _number(current)
    if value is None:
        details["reason"] = "the metric has no value on this batch (e.g. no non-null values)"
        return Verdict(False, {"observed_value": current, "details": details})
    score = (value - measured.center) / measured.scale
    details["score"] = score
    return Verdict(abs(score) <= rule.threshold, {"observed_value": current, "details": details})


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _numbers(values: Any) -> list[float]:
    return [n for n in (_number(v) for v in values) if n is not None]
