"""What freshness and history checks cost, and what the job's recording of a batch's history costs.

On the customer-feedback batch of ``scripts/bench.py`` (in memory, as the job holds it), best of
``--repeat`` runs each:

- the benchmark suite alone, then with history checks (row count and four column metrics, judged
  against 14 earlier batches) and a freshness check on the datetime column, then also freshness
  on the same times written as ISO text;
- the job's recording after publishing (``integrity.job.history.batch_history``): reusing the
  suite's own values when every row published, computing them over the published rows when some
  were held, and the newest value of the dataset's time column (datetime, then text).

    .venv/bin/python scripts/bench_history.py --rows 1000000 --repeat 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from bench import generate, suite_dict  # noqa: E402

from integrity.checks.stats.context import StaticContext  # noqa: E402
from integrity.config import DatasetConfig  # noqa: E402
from integrity.engine.polars_engine import validate_frame  # noqa: E402
from integrity.job.history import batch_history  # noqa: E402
from integrity.suites import Suite, parse_suite  # noqa: E402

METRICS = [("rating", "mean"), ("text", "null_fraction"), ("customer_id", "distinct_fraction"),
           ("text", "mean_length")]


def history_checks() -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = [
        {"type": "expect_table_row_count_to_be_within_history", "kwargs": {}}]
    checks += [{"type": "expect_column_metric_to_be_within_history",
                "kwargs": {"column": c, "metric": m}} for c, m in METRICS]
    return checks


def freshness(column: str) -> dict[str, Any]:
    return {"type": "expect_table_freshness_to_be_within",
            "kwargs": {"column": column, "max_age": "P30D"}}


def best(repeat: int, work: Callable[[], Any]) -> float:
    work()  # warm up: the first run pays for polars' thread pool and caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    frame = generate(args.rows).with_columns(
        pl.col("created_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("created_at_text"))
    base = suite_dict()
    suites = {
        "benchmark suite": parse_suite(base),
        "+ history (5) + freshness (datetime)": parse_suite(
            {**base, "expectations": base["expectations"] + history_checks()
             + [freshness("created_at")]}),
        "+ history (5) + freshness (datetime, text)": parse_suite(
            {**base, "expectations": base["expectations"] + history_checks()
             + [freshness("created_at"), freshness("created_at_text")]}),
    }
    first = validate_frame(frame, suites["benchmark suite"])
    observed = {(c, m): r.result.get("observed_value") for (c, m), r in zip(
        METRICS, validate_frame(frame, parse_suite({"name": "m", "expectations": [
            {**h, "kwargs": {**h["kwargs"], "min_history": 1}} for h in history_checks()[1:]]}),
            context=StaticContext(history_items=[{"row_count": 1, "metrics": {}}])).results,
        strict=True)}
    history = [{"row_count": args.rows * (1 + (i % 5 - 2) / 100),
                "metrics": {c: {m: (v or 0) * (1 + (i % 7 - 3) / 200)}
                            for (c, m), v in observed.items()}} for i in range(14)]
    context = StaticContext(history_items=history,
                            clock=dt.datetime(2025, 4, 1, tzinfo=dt.UTC))
    print(f"{args.rows:,} rows, {len(frame.columns)} columns, in memory; best of {args.repeat}")
    print("\n| validation | expectations | seconds | vs the benchmark suite |\n|---|---:|---:|---:|")
    baseline_time = None
    for label, suite in suites.items():
        seconds = best(args.repeat, lambda s=suite: validate_frame(frame, s, context=context))
        baseline_time = baseline_time or seconds
        result = validate_frame(frame, suite, context=context)
        errors = [r for r in result.results if r.outcome.value == "error"]
        if errors:
            print(f"error: {errors[0].config.type}: {errors[0].exception_info}", file=sys.stderr)
            return 1
        print(f"| {label} | {len(suite.expectations)} | {seconds:.3f} | "
              f"{seconds / baseline_time:.2f}x |")
    assert first.results  # the benchmark suite ran
    recording(frame, suites["+ history (5) + freshness (datetime, text)"], context, args.repeat)
    return 0


def recording(frame: pl.DataFrame, suite: Suite, context: StaticContext, repeat: int) -> None:
    result = validate_frame(frame, suite, context=context)
    spec = {"name": "feedback", "connector": {"type": "memory"}, "suite": "s.json"}
    dataset = DatasetConfig.model_validate(spec)
    fresh_datetime = DatasetConfig.model_validate(
        {**spec, "freshness": {"max_age": "PT6H", "column": "created_at"}})
    fresh_text = DatasetConfig.model_validate(
        {**spec, "freshness": {"max_age": "PT6H", "column": "created_at_text"}})
    held = frame.head(frame.height - frame.height // 100)  # 1% held in quarantine
    cases = [
        ("every row published: the suite's values reused", dataset, frame, True),
        ("1% held: metrics over the published rows", dataset, held, False),
        ("+ newest published time (datetime column)", fresh_datetime, held, False),
        ("+ newest published time (text column)", fresh_text, held, False),
    ]
    print("\n| recording a batch's history | seconds |\n|---|---:|")
    for label, definition, published, whole in cases:
        seconds = best(repeat, lambda d=definition, p=published, w=whole: batch_history(
            d, suite, result, p, whole=w))
        print(f"| {label} | {seconds:.3f} |")


if __name__ == "__main__":
    raise SystemExit(main())
