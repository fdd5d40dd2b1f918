"""The same suite gives the same results on polars' in-memory and streaming engines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from integrity.engine.column_groups import column_groups, in_pairs, metric_columns
from integrity.engine.polars_engine import plan_suite, polars_engine, validate_frame
from integrity.suites import parse_suite
from tests.results import close

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench  # the benchmark's generator and its 23-expectation suite


def test_streaming_and_in_memory_agree_on_every_result(tmp_path: Path) -> None:
    path = tmp_path / "feedback.parquet"
    bench.generate(20_000, seed=11).write_parquet(path)
    suite = parse_suite(bench.suite_dict())
    results = {engine: validate_frame(pl.scan_parquet(path), suite, engine=engine,
                                      result_format="COMPLETE")
               for engine in ("in-memory", "streaming")}
    memory, streaming = (results[e].results for e in ("in-memory", "streaming"))
    assert [r.success for r in memory].count(False) > 0
    for a, b in zip(memory, streaming, strict=True):
        assert a.outcome == b.outcome and a.success == b.success, a.config.type
        assert close(a.result, b.result), a.config.type


def test_low_memory_runs_column_groups_and_gives_the_same_results(tmp_path: Path) -> None:
    path = tmp_path / "feedback.parquet"
    bench.generate(20_000, seed=5).write_parquet(path)
    suite = parse_suite(bench.suite_dict())
    fused = validate_frame(pl.scan_parquet(path), suite, result_format="COMPLETE")
    low = validate_frame(pl.scan_parquet(path), suite, result_format="COMPLETE", low_memory=True)
    assert fused.queries == 1 and low.queries > 5  # one query per group of columns
    for a, b in zip(fused.results, low.results, strict=True):
        assert a.success == b.success and close(a.result, b.result), a.config.type


def test_column_groups_never_share_a_column() -> None:
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "b", "min_value": 0}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "c", "max_value": 1, "row_condition": 'col("b") > 0',
                    "condition_parser": "great_expectations"}},
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "d", "max_value": 1}},
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
    ]})
    frame = pl.LazyFrame({"a": [1], "b": [1.0], "c": [1], "d": [1], "s": ["x"]})
    plan = plan_suite(frame, suite)
    columns_of = metric_columns(plan.fused, plan.needs, plan.inputs)
    groups = column_groups(columns_of)
    read = [set().union(*(columns_of[a] for a in g)) for g in groups]
    assert sorted(map(sorted, read)) == [["a"], ["b", "c"], ["d"]]  # the condition joins b and c
    assert sorted(a for g in groups for a in g) == sorted(plan.fused)  # the row count is kept
    steps = in_pairs(groups, columns_of, frame.collect_schema())
    assert [len(step) for step in steps] in ([2, 1], [1, 2])


def test_the_engine_follows_the_caller_then_polars_affinity_then_in_memory() -> None:
    assert polars_engine() == "in-memory"
    assert polars_engine("streaming") == "streaming"
    with pl.Config(engine_affinity="streaming"):
        assert polars_engine() == "streaming"
        assert plan_suite(pl.LazyFrame({"a": [1]}), parse_suite({"name": "t", "expectations": []})
                          ).engine == "streaming"
    with pytest.raises(ValueError, match="unknown polars engine 'fast'; use one of in-memory"):
        polars_engine("fast")


@pytest.mark.parametrize("options", [{}, {"low_memory": True}, {"engine": "streaming"}])
def test_a_metric_that_fails_while_computing_is_one_error_result(options: dict[str, Any]) -> None:
    from integrity.checks import builtin_registry
    from integrity.checks.base import Arg, Check, Metric, Spec, Verdict, expectation

    registry = builtin_registry().copy()

    @expectation("expect_column_sum_as_integers", family="column_aggregate",
                 args=(Arg("column", (str,), required=True),), registry=registry)
    def as_integers(spec: Spec) -> Check:  # a strict cast that fails on text, at collect time
        total = pl.col(spec.kwargs["column"]).cast(pl.Int64, strict=True).sum()
        return Check({"total": Metric(total)}, lambda m: Verdict(True, {"observed_value": m["total"]}))

    frame = pl.DataFrame({"n": [1, 2, 2], "s": ["1", "x", "3"]})
    suite = parse_suite({"name": "t", "expectations": [
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "n"}},
        {"type": "expect_column_sum_as_integers", "kwargs": {"column": "s"}},
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "n", "max_value": 5}},
    ]}, registry=registry)
    result = validate_frame(frame, suite, registry=registry, **options)
    outcomes = [r.outcome.value for r in result.results]
    assert outcomes == ["failed", "error", "passed"]
    assert result.results[0].result["unexpected_count"] == 2
    assert "x" in result.results[1].exception_info["exception_message"]
