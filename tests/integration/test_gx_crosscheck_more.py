"""The five GX 1.x core types integrity added, the aggregates on empty and all-null columns, and
contradictory bounds: through real Great Expectations and through integrity, same verdicts.

Each frame is validated by GX 1.x on its pandas version and by integrity on the polars frame.
Both must give the same ``success``; an exception in GX (``raised_exception``) must be an
``error`` outcome here and the other way round; ``unexpected_count`` and ``observed_value`` must
agree wherever GX reports them (observed types excepted: GX names the pandas dtype, integrity the
polars one). ``expect_query_results_to_match_comparison`` runs only on SQL in GX, so it is
cross-checked against two SQLite data sources holding the same rows as the polars frames.

Needs the ``gx`` extra: ``pip install -e '.[dev,gx]'``.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from integrity.engine.polars_engine import validate_frame
from integrity.suites import parse_suite
from integrity.types import ExpectationResult, Outcome
from tests.integration.test_gx_crosscheck import same_value

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")]

gx = pytest.importorskip(
    "great_expectations",
    reason="great_expectations is not installed; install the extra: pip install -e '.[dev,gx]'",
)


def e(kind: str, /, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs}


NUMBERS = pl.DataFrame({
    "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 100.0, None, 2.5, 3.5],
    "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 100.0, None, 2.5, 3.5],
    "z": [1.0, 2.0, 3.0, 4.5, 5.0, 6.0, 100.0, 7.0, 2.5, None],
    "i": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3],
    "neg": [-50.0, 0.0, 0.1, 0.2, 0.3, 0.2, 0.1, 0.0, 0.1, 60.0],
    "s": ["a", "bb", "a", "ccc", "a", "dd", "a", "e", "a", "ff"],
    "t": [dt.datetime(2024, 1, d) for d in range(1, 11)],
    "c": pl.Series(["u", "v"] * 5, dtype=pl.Categorical),
    "constant": [7.0] * 10,
})

NEW_TYPES = [
    e("expect_column_proportion_of_non_null_values_to_be_between", column="x", min_value=0.8),
    e("expect_column_proportion_of_non_null_values_to_be_between", column="x", min_value=0.95),
    e("expect_column_proportion_of_non_null_values_to_be_between", column="z", max_value=0.9,
      strict_max=True),
    e("expect_column_proportion_of_non_null_values_to_be_between", column="s", min_value=1,
      max_value=1),
    e("expect_column_type_to_be", column="i", type_="int64"),
    e("expect_column_type_to_be", column="x", type_="float64"),
    e("expect_column_type_to_be", column="x", type_="int64"),
    e("expect_column_type_to_be", column="s", type_="str"),
    e("expect_column_type_to_be", column="t", type_="datetime64[us]"),
    e("expect_column_type_to_be", column="t", type_="datetime64"),
    e("expect_column_type_to_be", column="t", type_="datetime64[ns]"),
    e("expect_column_type_to_be", column="c", type_="category"),
    e("expect_column_type_to_be", column="i", type_="no_such_type"),
    e("expect_column_values_to_not_be_outliers", column="x"),
    e("expect_column_values_to_not_be_outliers", column="x", multiplier=0),
    e("expect_column_values_to_not_be_outliers", column="neg", method="iqr", multiplier=3),
    e("expect_column_values_to_not_be_outliers", column="neg", method="std", multiplier=1),
    e("expect_column_values_to_not_be_outliers", column="neg", method="std", multiplier=1.5,
      mostly=0.7),
    e("expect_column_values_to_not_be_outliers", column="i", method="std", multiplier=0.5),
    e("expect_column_values_to_not_be_outliers", column="constant", method="std"),
    e("expect_column_values_to_not_be_outliers", column="constant"),
    e("expect_column_values_to_not_be_outliers", column="s"),
    e("expect_multicolumn_values_to_be_equal", column_list=["x", "y"]),
    e("expect_multicolumn_values_to_be_equal", column_list=["x", "y", "z"]),
    e("expect_multicolumn_values_to_be_equal", column_list=["x", "z"],
      ignore_row_if="any_value_is_missing"),
    e("expect_multicolumn_values_to_be_equal", column_list=["x", "z"], ignore_row_if="never"),
    e("expect_multicolumn_values_to_be_equal", column_list=["x", "y", "z"], mostly=0.75),
    # Contradictory bounds: GX raises while validating row values, and fails aggregates.
    e("expect_column_values_to_be_between", column="x", min_value=10, max_value=1),
    e("expect_column_mean_to_be_between", column="x", min_value=10, max_value=1),
    e("expect_column_max_to_be_between", column="i", min_value=10, max_value=1),
    e("expect_column_unique_value_count_to_be_between", column="s", min_value=10, max_value=1),
    e("expect_column_value_lengths_to_be_between", column="s", min_value=3, max_value=1),
]

EMPTYISH = [
    e("expect_column_proportion_of_unique_values_to_be_between", column="c", min_value=0,
      max_value=0),
    e("expect_column_unique_value_count_to_be_between", column="c", min_value=0, max_value=0),
    e("expect_column_sum_to_be_between", column="c", min_value=0, max_value=1),
    e("expect_column_mean_to_be_between", column="c", min_value=0, max_value=1),
    e("expect_column_median_to_be_between", column="c", min_value=0, max_value=1),
    e("expect_column_stdev_to_be_between", column="c", min_value=0, max_value=1),
    e("expect_column_min_to_be_between", column="c", min_value=0, max_value=1),
    e("expect_column_max_to_be_between", column="c", min_value=0, max_value=1),
    e("expect_column_quantile_values_to_be_between", column="c",
      quantile_ranges={"quantiles": [0.5], "value_ranges": [[0, 1]]}),
    e("expect_column_proportion_of_non_null_values_to_be_between", column="c", min_value=0,
      max_value=0),
    e("expect_column_values_to_not_be_outliers", column="c"),
    e("expect_column_values_to_not_be_outliers", column="c", method="std"),
]

FRAMES: dict[str, tuple[pl.DataFrame, list[dict[str, Any]]]] = {
    "numbers": (NUMBERS, NEW_TYPES),
    "all_null": (pl.DataFrame({"c": [None] * 4}, schema={"c": pl.Float64}), EMPTYISH),
    "empty": (pl.DataFrame({"c": []}, schema={"c": pl.Float64}), EMPTYISH),
    "one_value": (pl.DataFrame({"c": [None, 3.0, None]}), EMPTYISH),
}


@pytest.fixture(scope="module")
def context() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


def gx_run(context: Any, name: str, frame: pl.DataFrame,
           expectations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    asset = context.data_sources.add_pandas(f"src_{name}").add_dataframe_asset(name=name)
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame.to_pandas()})
    tagged = [dict(x, meta={"index": i}) for i, x in enumerate(expectations)]
    suite = gx.ExpectationSuite(name=name, expectations=tagged)
    assert len(suite.expectations) == len(tagged), "GX dropped an expectation it could not parse"
    results = batch.validate(suite, result_format="COMPLETE").results
    by_index = {r.expectation_config.meta["index"]: r.to_json_dict() for r in results}
    return [by_index[i] for i in range(len(tagged))]


def raised(result: dict[str, Any]) -> bool:
    info = result["exception_info"]
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(v.get("raised_exception") for v in info.values())  # keyed by metric in GX 1.x


def assert_same(theirs: dict[str, Any], mine: ExpectationResult) -> None:
    where = (mine.config.type, mine.config.kwargs, theirs["result"], mine.result,
             mine.exception_info.get("exception_message"))
    assert raised(theirs) == (mine.outcome is Outcome.ERROR), where
    assert mine.success == theirs["success"], where
    if raised(theirs):
        return
    for key in ("unexpected_count", "element_count", "missing_count", "unexpected_list"):
        if key in theirs["result"]:
            assert same_value(mine.result.get(key), theirs["result"][key]), (key, *where)
    if "observed_value" in theirs["result"] and mine.config.type != "expect_column_type_to_be":
        assert same_value(mine.result.get("observed_value"),
                          theirs["result"]["observed_value"]), where


@pytest.mark.parametrize("name", list(FRAMES))
def test_same_verdicts_as_gx(context: Any, name: str) -> None:
    frame, expectations = FRAMES[name]
    theirs = gx_run(context, name, frame, expectations)
    mine = validate_frame(frame, parse_suite({"name": name, "expectations": expectations}),
                          result_format="COMPLETE").results
    for gx_result, result in zip(theirs, mine, strict=True):
        assert_same(gx_result, result)
    # The frames exercise both verdicts and GX's exceptions, not one outcome throughout.
    if name == "numbers":
        outcomes = {r.outcome for r in mine}
        assert outcomes == {Outcome.PASSED, Outcome.FAILED, Outcome.ERROR}


BASE = pl.DataFrame({"id": [1, 2, 3, 4, 2], "v": ["a", "b", None, "d", "b"]})
OTHER = pl.DataFrame({"id": [1, 2, 2, 3, 5], "v": ["a", "b", "b", None, "e"]})
COMPARISONS = [
    e("expect_query_results_to_match_comparison", base_query="SELECT id, v FROM {batch}",
      comparison_data_source_name="other", comparison_query="SELECT id, v FROM other"),
    e("expect_query_results_to_match_comparison", base_query="SELECT id, v FROM {batch}",
      comparison_data_source_name="other", comparison_query="SELECT id, v FROM other",
      mostly=0.6),
    e("expect_query_results_to_match_comparison",
      base_query="SELECT id FROM {batch} WHERE id < 3",
      comparison_data_source_name="other", comparison_query="SELECT id FROM other WHERE id < 3"),
    e("expect_query_results_to_match_comparison",
      base_query="SELECT id FROM {batch} WHERE id > 100",
      comparison_data_source_name="other", comparison_query="SELECT id FROM other WHERE id > 100"),
]


def _sqlite(path: Path, table: str, frame: pl.DataFrame) -> None:
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE {table} (id INTEGER, v TEXT)")
        db.executemany(f"INSERT INTO {table} VALUES (?, ?)", frame.select("id", "v").rows())


@pytest.mark.parametrize("result_format", ["BASIC", "COMPLETE"])
def test_query_comparison_matches_gx_on_sqlite(context: Any, tmp_path: Path,
                                               result_format: str) -> None:
    _sqlite(tmp_path / "base.db", "t", BASE)
    _sqlite(tmp_path / "other.db", "other", OTHER)
    suffix = result_format.lower()
    source = context.data_sources.add_sqlite(f"base_{suffix}",
                                             connection_string=f"sqlite:///{tmp_path / 'base.db'}")
    context.data_sources.add_sqlite("other", connection_string=f"sqlite:///{tmp_path / 'other.db'}")
    batch = source.add_table_asset("t", table_name="t").add_batch_definition_whole_table(
        "all").get_batch()
    theirs = [batch.validate(gx.ExpectationSuite(name=f"q{i}", expectations=[x]),
                             result_format=result_format).results[0].to_json_dict()
              for i, x in enumerate(COMPARISONS)]
    context.data_sources.delete("other")
    mine = validate_frame(BASE, parse_suite({"name": "q", "expectations": COMPARISONS}),
                          result_format=result_format, tables={"other": OTHER.lazy()}).results
    assert [r["success"] for r in theirs] == [r.success for r in mine] == [False, True, True, True]
    for gx_result, result in zip(theirs, mine, strict=True):
        assert not raised(gx_result)
        assert result.result == gx_result["result"], (result.config.kwargs, result.result)
