"""The same suite gives the same results on polars' in-memory and streaming engines."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from integrity.engine.polars_engine import plan_suite, polars_engine, validate_frame
from integrity.suites import parse_suite

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench  # the benchmark's generator and its 23-expectation suite


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return bool(a == b)


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
        assert _close(a.result, b.result), a.config.type


def test_the_engine_follows_the_caller_then_polars_affinity_then_in_memory() -> None:
    assert polars_engine() == "in-memory"
    assert polars_engine("streaming") == "streaming"
    with pl.Config(engine_affinity="streaming"):
        assert polars_engine() == "streaming"
        assert plan_suite(pl.LazyFrame({"a": [1]}), parse_suite({"name": "t", "expectations": []})
                          ).engine == "streaming"
    with pytest.raises(ValueError, match="unknown polars engine 'fast'; use one of in-memory"):
        polars_engine("fast")
