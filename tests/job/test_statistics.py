"""The job and the statistical checks: history recorded over published rows only, the context it
hands the suite, a silent source failing its freshness rule, and baselines (real files, a real
SQLite store, the job in process)."""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import types
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from integrity.errors import ConfigError
from integrity.job import Project, run
from integrity.job.baseline import set_baseline
from integrity.job.history import batch_history, profiled_columns
from integrity.store import BatchHistory, Store
from integrity.suites import Suite
from integrity.types import ExpectationConfig, Outcome
from tests.job.test_run import make_project, write_csv

NOON = dt.datetime(2025, 3, 12, 12, tzinfo=dt.UTC)

SUITE: dict[str, Any] = {
    "name": "feedback",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer_id"}},
        {"type": "expect_table_row_count_to_be_within_history",
         "kwargs": {"min_history": 3}, "meta": {"action": "quarantine_batch"}},
        {"type": "expect_column_metric_to_be_within_history",
         "kwargs": {"column": "rating", "metric": "mean", "min_history": 3},
         "meta": {"action": "warn"}},
    ],
}


def store_of(project: Project) -> Store:
    return Store.open(project.store_url, create=False)


def day(project: Project, number: int, ids: range, *, bad: tuple[int, ...] = ()) -> Any:
    write_csv(project.root / "src" / f"day{number}.csv", ids, bad=bad)
    return run(project, "feedback", now=NOON)


def files_project(tmp_path: Path, **extra: Any) -> Project:
    return make_project(tmp_path, suite=SUITE, cursor=None, extra=extra, connector={
        "type": "files", "params": {"path": str(tmp_path / "src" / "*.csv"), "settle_seconds": 0}})


def test_history_is_recorded_over_published_rows_and_judges_later_batches(tmp_path: Path) -> None:
    project = files_project(tmp_path)
    first = day(project, 1, range(0, 100), bad=(5, 6))  # two rows held: null customer, rating 9
    (batch,) = first.batches
    assert batch.published_rows == 98 and first.exit_code == 1
    with store_of(project) as store:
        (item,) = store.history("feedback", 14)
        runs = store.expectation_history("feedback", "expect_table_row_count_to_be_within_history")
    ratings = [1 + i % 5 for i in range(100) if i not in (5, 6)]
    assert item["row_count"] == 98  # the held rows never enter the history
    assert item["metrics"] == {"rating": {"mean": pytest.approx(statistics.fmean(ratings))}}
    assert runs[0]["outcome"] == "not_evaluated"  # recorded as such, not as a pass
    for number in (2, 3):
        clean = day(project, number, range(number * 1000, number * 1000 + 100 + number))
        assert clean.exit_code == 0, clean.batches  # not evaluated: published, never held
    fourth = day(project, 4, range(4000, 4103))
    assert fourth.exit_code == 0
    with store_of(project) as store:
        counts = [h["row_count"] for h in store.history("feedback", 14)]
        latest = store.expectation_history("feedback",
                                           "expect_table_row_count_to_be_within_history")[-1]
    assert counts == [98, 102, 103, 103]
    assert latest["outcome"] == "passed"  # 103 against 98, 102, 103: within 3.5 scales
    # A flood: five times the usual volume is held whole, and never joins the history.
    flood = day(project, 5, range(5000, 5500))
    assert flood.batches[0].status == "quarantined" and flood.exit_code == 1
    assert any(r["expectation_type"] == "expect_table_row_count_to_be_within_history"
               for r in flood.batches[0].held_by)
    with store_of(project) as store:
        assert [h["row_count"] for h in store.history("feedback", 14)] == counts


def test_the_suite_s_own_values_are_reused_when_every_row_published() -> None:
    suite = Suite("s", (
        ExpectationConfig("expect_column_metric_to_be_within_history",
                          {"column": "x", "metric": "median"}),
        ExpectationConfig("expect_column_metric_to_be_within_history",
                          {"column": "s", "metric": "mean_length"}),))
    from integrity.config import DatasetConfig
    from integrity.engine.polars_engine import validate_frame

    dataset = DatasetConfig.model_validate({"name": "d", "connector": {"type": "memory"},
                                            "suite": "s.json"})
    frame = pl.DataFrame({"x": [1.0, 5.0, 2.0, None], "s": ["a", "bbb", None, "cc"]})
    result = validate_frame(frame, suite)
    reused = batch_history(dataset, suite, result, frame, whole=True)
    computed = batch_history(dataset, suite, None, frame, whole=False)
    assert reused is not None and computed is not None
    assert reused.metrics == computed.metrics == {"x": {"median": 2.0}, "s": {"mean_length": 2.0}}
    # Over fewer rows (some held), the values are those of the published rows only.
    fewer = batch_history(dataset, suite, result, frame.head(2), whole=False)
    assert fewer is not None and fewer.metrics == {"x": {"median": 3.0}, "s": {"mean_length": 2.0}}
    assert batch_history(dataset, suite, result, frame.clear(), whole=False) is None


def test_profiles_are_taken_of_the_columns_drift_checks_compare(
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[list[str]] = []

    def build_profile(lf: pl.LazyFrame, columns: list[str]) -> dict[str, Any]:
        asked.append(columns)
        return {"rows": lf.select(pl.len()).collect().item()}

    stand_in = types.ModuleType("integrity.checks.stats.profile")
    stand_in.build_profile = build_profile  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "integrity.checks.stats.profile", stand_in)
    suite = Suite("s", (
        ExpectationConfig("expect_column_distribution_to_match_reference",
                          {"column": "label", "reference": "baseline"}),
        ExpectationConfig("expect_column_text_distribution_to_match_reference",
                          {"column": "gone", "reference": "baseline"}),))
    from integrity.config import DatasetConfig

    dataset = DatasetConfig.model_validate({"name": "d", "connector": {"type": "memory"},
                                            "suite": "s.json"})
    frame = pl.DataFrame({"label": ["a", "b", "a"], "text": ["x", "y", "z"]})
    found = batch_history(dataset, suite, None, frame.head(2), whole=False)
    assert found is not None and found.profile == {"rows": 2} and asked == [["label"]]
    share = Suite("s", (ExpectationConfig("expect_table_drift_share_to_be_less_than",
                                          {"reference": "baseline", "max_share": 0.5}),))
    assert profiled_columns(share, frame.columns) == ["label", "text"]


def test_a_silent_source_fails_its_freshness_rule(tmp_path: Path) -> None:
    project = make_project(tmp_path, cursor={"column": "created_at"},
                           extra={"freshness": {"max_age": "PT6H"}},
                           suite={"name": "f", "expectations": []})
    source = tmp_path / "src" / "feedback.csv"
    source.parent.mkdir(parents=True)
    # Never published anything: stale from the first run.
    source.write_text("id,created_at\n")
    empty = run(project, "feedback", now=NOON)
    assert empty.stale and empty.exit_code == 1
    assert empty.freshness is not None and empty.freshness["details"]["reason"] == \
        "nothing was ever published"
    source.write_text("id,created_at\n1,2025-03-12T08:00:00+01:00\n2,2025-03-12T09:30:00Z\n")
    assert run(project, "feedback", now=NOON).exit_code == 0
    quiet = run(project, "feedback", now=NOON + dt.timedelta(hours=3))
    assert not quiet.batches and quiet.exit_code == 0 and quiet.freshness is not None
    assert quiet.freshness["success"] and quiet.freshness["details"]["age"] == "PT5H30M"
    silent = run(project, "feedback", now=NOON + dt.timedelta(days=7))
    assert silent.stale and silent.exit_code == 1 and silent.freshness is not None
    assert silent.freshness["observed_value"] == "2025-03-12T09:30:00+00:00"
    assert silent.freshness["details"]["dated_by"] == "the newest published value of column " \
                                                      "'created_at'"
    with store_of(project) as store:
        recorded = store.runs("feedback", limit=1)[0]
    assert recorded["status"] == "stale" and recorded["summary"]["freshness"]["success"] is False


def test_without_a_time_column_the_last_publication_dates_the_dataset(tmp_path: Path) -> None:
    project = files_project(tmp_path, freshness={"max_age": "P1D"})
    day(project, 1, range(0, 10))
    fresh = run(project, "feedback")  # the wall clock: published a moment ago
    assert fresh.exit_code == 0 and fresh.freshness is not None
    assert fresh.freshness["details"]["dated_by"] == "the last time rows were published"
    stale = run(project, "feedback", now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert stale.stale and stale.exit_code == 1


def test_baselines_from_a_batch_a_rolling_window_or_a_file(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    project = files_project(tmp_path)
    day(project, 1, range(0, 10))
    with store_of(project) as store:
        (batch,) = store.batches("feedback")
        cases_profile = BatchHistory(5, {}, profile={"rows": 5})
        from tests.store.history_cases import record

        record(store, "feedback", "with-profile-0001", 5, history=cases_profile)
        record(store, "feedback", "held-batch-0001", 5)
    with pytest.raises(ConfigError, match="has no stored profile: its suite had no drift"):
        set_baseline(project, "feedback", actor="ana", from_batch=batch.batch_id)
    with pytest.raises(ConfigError, match=r"published no rows .* never enter a baseline"):
        set_baseline(project, "feedback", actor="ana", from_batch="held-batch")
    with pytest.raises(ConfigError, match="has no batch 'nope-nope'"):
        set_baseline(project, "feedback", actor="ana", from_batch="nope-nope")
    with pytest.raises(ConfigError, match="exactly one of"):
        set_baseline(project, "feedback", actor="ana", from_batch="x", rolling=3)
    with pytest.raises(ConfigError, match="--rolling 0: merge at least 1"):
        set_baseline(project, "feedback", actor="ana", rolling=0)
    chosen = set_baseline(project, "feedback", actor="ana", from_batch="with-profile")
    assert chosen.kind == "batch" and chosen.source == "with-profile-0001"
    assert chosen.profile == {"rows": 5}
    assert set_baseline(project, "feedback", actor="bo", rolling=7).rolling == 7
    with pytest.raises(ConfigError, match=r"sample\.parquet: file not found"):
        set_baseline(project, "feedback", actor="ana", file="sample.parquet")

    def build_profile(lf: pl.LazyFrame, columns: list[str]) -> dict[str, Any]:
        return {"columns": columns, "rows": lf.select(pl.len()).collect().item()}

    stand_in = types.ModuleType("integrity.checks.stats.profile")
    stand_in.build_profile = build_profile  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "integrity.checks.stats.profile", stand_in)
    pl.DataFrame({"id": [1, 2, 3], "rating": [5, 4, 3]}).write_parquet(tmp_path / "sample.parquet")
    from_file = set_baseline(project, "feedback", actor="ana", file="sample.parquet", note="ref")
    assert from_file.kind == "file" and from_file.source == str(tmp_path / "sample.parquet")
    assert from_file.profile == {"columns": ["id", "rating"], "rows": 3}  # no drift check: all


def test_the_checks_see_the_dataset_time_zone_and_the_run_clock(tmp_path: Path) -> None:
    suite = {"name": "f", "expectations": [
        {"type": "expect_table_freshness_to_be_within",
         "kwargs": {"column": "created_at", "max_age": "PT3H"}}]}
    project = make_project(tmp_path, cursor={"column": "id"}, suite=suite,
                           extra={"timezone": "Asia/Tokyo"})
    source = tmp_path / "src" / "feedback.csv"
    source.parent.mkdir(parents=True)
    source.write_text("id,created_at\n1,2025-03-12 18:30:00\n")  # Tokyo: 09:30 UTC
    summary = run(project, "feedback", now=NOON)
    assert summary.exit_code == 0
    with store_of(project) as store:
        (found,) = store.expectation_history("feedback")
    assert found["outcome"] == str(Outcome.PASSED)
    assert found["observed_value"] == "2025-03-12T09:30:00+00:00"


def test_a_run_killed_after_publishing_records_the_history_once(tmp_path: Path) -> None:
    import signal

    from tests.job.test_safety import run_cli

    write_csv(tmp_path / "src" / "feedback.csv", range(0, 40), bad=(3, 7))
    project = make_project(tmp_path, suite=SUITE)
    killed = run_cli(project, failpoint="after_publish")
    assert killed.code == -signal.SIGKILL, killed.stderr
    with store_of(project) as store:
        assert store.history("feedback", 14) == []  # pending: nothing recorded yet
    again = run_cli(project)
    assert again.code == 1 and "(recovered)" in again.stdout, again.stdout + again.stderr
    again = run_cli(project)  # nothing new
    with store_of(project) as store:
        (item,) = store.history("feedback", 14)
    assert item["row_count"] == 38  # the two held rows are not part of it, and it is there once
