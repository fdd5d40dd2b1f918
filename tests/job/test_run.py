"""The integrity job in process, on real files and a real SQLite store: watermarks, backfills,
the gate's split, publish targets, failures that keep the batch, and the steward's review.

The helpers here (``make_project``, ``write_csv``, ...) are shared with the CLI and integration tests.
"""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from integrity.errors import ConfigError, ConnectorError, IntegrityError
from integrity.job import Project, reject, release, run
from integrity.store import Store

HEADER = "id,customer_id,rating,text\n"

SUITE: dict[str, Any] = {
    "name": "feedback",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer_id"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "rating", "min_value": 1, "max_value": 5}},
        {"type": "expect_column_mean_to_be_between",
         "kwargs": {"column": "rating", "min_value": 0, "max_value": 4.9}, "meta": {"action": "warn"}},
    ],
}


def csv_rows(ids: range, *, bad: tuple[int, ...] = ()) -> str:
    """Rows ``id,C-<id>,<rating>,text <id>``; ids in ``bad`` get a null customer and rating 9."""
    return "".join(f"{i},,9,bad {i}\n" if i in bad else f"{i},C-{i},{1 + i % 5},text {i}\n"
                   for i in ids)


def write_csv(path: Path, ids: range, *, bad: tuple[int, ...] = (), append: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if append:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(csv_rows(ids, bad=bad))
    else:
        path.write_text(HEADER + csv_rows(ids, bad=bad), encoding="utf-8")


def make_project(root: Path, *, connector: dict[str, Any] | None = None,
                 cursor: dict[str, Any] | str | None = "default", publish: dict[str, Any] | None = None,
                 suite: dict[str, Any] | None = None, store_url: str = "sqlite:///state/integrity.db",
                 name: str = "feedback", extra: dict[str, Any] | None = None) -> Project:
    """A project folder with one dataset (more can be added by calling again with another name)."""
    (root / "connectors").mkdir(parents=True, exist_ok=True)
    (root / "expectations").mkdir(exist_ok=True)
    (root / "integrity.yaml").write_text(yaml.safe_dump({"store_url": store_url,
                                                         "data_root": "state/data"}))
    (root / "expectations" / f"{name}.json").write_text(json.dumps(suite or SUITE))
    definition: dict[str, Any] = {
        "name": name,
        "connector": connector or {"type": "files", "params": {"path": str(root / "src" / f"{name}.csv"),
                                                                "settle_seconds": 0}},
        "suite": f"expectations/{name}.json",
    }
    if cursor == "default":
        definition["cursor"] = {"column": "id"}
    elif cursor is not None:
        definition["cursor"] = cursor
    if publish is not None:
        definition["publish"] = publish
    definition.update(extra or {})
    (root / "connectors" / f"{name}.yaml").write_text(yaml.safe_dump(definition))
    return Project.load(root)


def published_ids(root: Path, name: str = "feedback") -> list[int]:
    files = sorted((root / "state" / "data" / "published").glob(f"dataset={name}/date=*/batch-*.parquet"))
    return sorted(i for f in files for i in pl.read_parquet(f)["id"].to_list())


def quarantined_ids(root: Path, name: str = "feedback") -> list[int]:
    files = sorted((root / "state" / "data" / "quarantine" / name).glob("*/rows.parquet"))
    return sorted(i for f in files for i in pl.read_parquet(f)["id"].to_list())


def watermark(project: Project, name: str = "feedback") -> Any:
    with project.open_store() as store:
        mark = store.watermark(name)
    return mark["value"] if mark else None


@pytest.fixture
def project(tmp_path: Path) -> Project:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    return make_project(tmp_path)


# -- incremental runs and watermarks ------------------------------------------------------------

def test_incremental_runs_pull_only_new_rows(project: Project) -> None:
    first = run(project, "feedback")
    assert first.exit_code == 1  # row 3 is held
    assert published_ids(project.root) == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    assert quarantined_ids(project.root) == [3]
    assert watermark(project) == 9

    write_csv(project.root / "src" / "feedback.csv", range(10, 15), append=True)
    second = run(project, "feedback")
    assert second.exit_code == 0
    assert [b.rows for b in second.batches] == [5]
    assert published_ids(project.root) == [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert watermark(project) == 14

    third = run(project, "feedback")  # nothing new: no batch recorded, a clean exit
    assert third.batches == [] and third.exit_code == 0
    with project.open_store() as store:
        assert [r["status"] for r in store.runs("feedback")] == ["empty", "clean", "quarantined"]
        assert len(store.batches("feedback")) == 2


def test_rows_arriving_later_with_the_boundary_cursor_value_are_pulled_once(tmp_path: Path) -> None:
    src = tmp_path / "src" / "feedback.csv"
    src.parent.mkdir(parents=True)
    src.write_text(HEADER + "1,C-1,3,a\n2,C-2,3,b\n", encoding="utf-8")
    project = make_project(tmp_path)
    run(project, "feedback")
    with src.open("a", encoding="utf-8") as fh:  # a late row with the same cursor value as the last
        fh.write("2,C-22,4,late\n3,C-3,4,c\n")
    run(project, "feedback")
    texts = sorted(t for f in (tmp_path / "state/data/published").rglob("*.parquet")
                   for t in pl.read_parquet(f)["text"].to_list())
    assert texts == ["a", "b", "c", "late"]


def test_cursor_initial_skips_older_rows(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10))
    project = make_project(tmp_path, cursor={"column": "id", "initial": 5})
    run(project, "feedback")
    assert published_ids(tmp_path) == [5, 6, 7, 8, 9]


def test_files_without_cursor_take_each_new_file_once(tmp_path: Path) -> None:
    drops = tmp_path / "src" / "drops"
    write_csv(drops / "a.csv", range(0, 3))
    project = make_project(tmp_path, cursor=None,
                           connector={"type": "files", "params": {"path": str(drops / "*.csv"),
                                                                     "settle_seconds": 0}})
    run(project, "feedback")
    write_csv(drops / "b.csv", range(3, 5))
    run(project, "feedback")
    assert run(project, "feedback").batches == []
    assert published_ids(tmp_path) == [0, 1, 2, 3, 4]


# -- backfills ----------------------------------------------------------------------------------

def test_backfill_of_a_published_range_revalidates_without_publishing_again(project: Project) -> None:
    run(project, "feedback")
    before = published_ids(project.root)
    # A stricter suite arrives: re-check the published rows 0-5 with it.
    strict = {**SUITE, "expectations": [
        *SUITE["expectations"],
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "rating", "min_value": 1, "max_value": 4}}]}
    (project.root / "expectations" / "feedback.json").write_text(json.dumps(strict))
    summary = run(project, "feedback", start=0, end=5)
    (batch,) = summary.batches
    assert batch.status == "revalidated"
    assert (batch.rows, batch.published_rows, batch.quarantined_rows) == (6, 0, 0)
    assert batch.revalidated_rows == 6
    assert batch.flagged_rows == 2  # row 3 (already held) and row 4 (rating 5, newly failing)
    assert summary.exit_code == 1
    assert published_ids(project.root) == before
    assert quarantined_ids(project.root) == [3]
    assert watermark(project) == 9  # the regular watermark did not move
    with project.open_store() as store:
        assert store.batch(batch.batch_id).status == "revalidated"  # type: ignore[union-attr]
        history = store.expectation_history("feedback", "expect_column_values_to_be_between")
        assert any(h["batch_id"] == batch.batch_id and h["unexpected_count"] == 2 for h in history)

    again = run(project, "feedback", start=0, end=5)
    assert again.batches[0].already_done and again.exit_code == 0
    assert published_ids(project.root) == before

    write_csv(project.root / "src" / "feedback.csv", range(10, 12), append=True)
    assert [b.rows for b in run(project, "feedback").batches] == [2]  # regular runs carry on


def test_backfill_publishes_history_before_cursor_initial_exactly_once(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 20), bad=(2,))
    project = make_project(tmp_path, cursor={"column": "id", "initial": 10})
    run(project, "feedback")
    assert published_ids(tmp_path) == list(range(10, 20))

    history = run(project, "feedback", start=0, end=14)
    (batch,) = history.batches
    assert (batch.published_rows, batch.quarantined_rows, batch.revalidated_rows) == (9, 1, 5)
    assert history.exit_code == 1
    assert published_ids(tmp_path) == [i for i in range(20) if i != 2]
    assert quarantined_ids(tmp_path) == [2]

    # An overlapping backfill finds every row owned by the regular runs or the first backfill.
    overlap = run(project, "feedback", start=5, end=19)
    assert overlap.batches[0].published_rows == 0 and overlap.batches[0].status == "revalidated"
    assert published_ids(tmp_path).count(6) == 1
    assert sorted(published_ids(tmp_path)) == [i for i in range(20) if i != 2]
    assert watermark(project) == 19


def test_backfill_needs_a_cursor_and_an_ordered_range(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 3))
    project = make_project(tmp_path, cursor=None)
    with pytest.raises(ConfigError, match="has no cursor column"):
        run(project, "feedback", start=0, end=2)
    project = make_project(tmp_path)
    with pytest.raises(ConfigError, match="is after --to"):
        run(project, "feedback", start=5, end=2)


# -- the gate, publish targets, files on disk -----------------------------------------------------

def test_quarantine_and_staging_folders_are_private(project: Project) -> None:
    run(project, "feedback")
    quarantine = project.root / "state" / "data" / "quarantine" / "feedback"
    entries = [p for p in quarantine.iterdir() if not p.name.startswith(".")]
    assert entries
    for path in [quarantine, *entries, *(f for e in entries for f in e.iterdir())]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    staging = project.root / "state" / "data" / "staging" / "feedback"
    assert stat.S_IMODE(staging.stat().st_mode) == 0o700
    assert list(staging.iterdir()) == []  # dropped once the batch completed


def test_a_batch_that_cannot_be_staged_is_a_clear_error_and_moves_nothing(project: Project) -> None:
    staging = project.root / "state" / "data" / "staging"
    staging.parent.mkdir(parents=True)
    staging.write_text("a file where the staging folder belongs")
    with pytest.raises(ConfigError, match=r"cannot stage batch \w+ under .*staging.*run again"):
        run(project, "feedback")
    assert published_ids(project.root) == [] and watermark(project) is None
    with project.open_store() as store:
        assert store.batches("feedback") == [] and store.pending_batch("feedback") is None
    staging.unlink()
    assert run(project, "feedback").exit_code == 1
    assert published_ids(project.root) == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    assert quarantined_ids(project.root) == [3]


def test_jsonl_publish_target(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 4))
    project = make_project(tmp_path, publish={"kind": "jsonl", "path": "out"})
    summary = run(project, "feedback")
    (path,) = (tmp_path / "out").glob("dataset=feedback/date=*/batch-*.jsonl")
    assert summary.batches[0].published_to == str(path)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [0, 1, 2, 3] and rows[0]["customer_id"] == "C-0"


def test_sql_publish_target_appends_in_one_transaction_and_a_broken_target_keeps_the_batch(
        tmp_path: Path) -> None:
    target = tmp_path / "warehouse.db"
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 5))
    project = make_project(tmp_path, publish={"kind": "sql", "url": f"sqlite:///{target}",
                                              "table": "feedback_clean"})
    assert run(project, "feedback").exit_code == 0
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT count(*) FROM feedback_clean").fetchone()[0] == 5
        # Someone narrows the target table: the next batch cannot be appended.
        db.execute("ALTER TABLE feedback_clean DROP COLUMN text")
    write_csv(tmp_path / "src" / "feedback.csv", range(5, 8), append=True)
    with pytest.raises(IntegrityError, match=r"feedback_clean.*no column.*'text'"):
        run(project, "feedback")
    with project.open_store() as store:
        assert store.runs("feedback")[0]["status"] == "failed"
        assert store.pending_batch("feedback") is not None  # kept, staged, not lost
        assert store.watermark("feedback")["value"] == 4  # type: ignore[index]
    with sqlite3.connect(target) as db:
        db.execute("ALTER TABLE feedback_clean ADD COLUMN text TEXT")
    recovered = run(project, "feedback")
    assert [b.recovered for b in recovered.batches] == [True]
    with sqlite3.connect(target) as db:
        assert sorted(r[0] for r in db.execute("SELECT id FROM feedback_clean")) == list(range(8))


def test_a_renamed_column_holds_the_batch_with_the_reason(project: Project) -> None:
    run(project, "feedback")
    src = project.root / "src" / "feedback.csv"
    src.write_text("id,client_id,rating,text\n" + "".join(f"{i},C-{i},3,t\n" for i in range(10, 13)))
    summary = run(project, "feedback")
    (batch,) = summary.batches
    assert batch.status == "quarantined" and batch.quarantined_rows == 3 and summary.exit_code == 1
    assert "customer_id" in " ".join(batch.failed_expectations)
    with project.open_store() as store:
        (entry,) = [e for e in store.quarantine_entries("feedback") if e.batch_id == batch.batch_id]
    assert "customer_id" in json.dumps(entry.reasons)


@pytest.mark.parametrize("action", ["quarantine_rows", "quarantine_batch", "warn"])
def test_an_expectation_that_cannot_run_acts_under_its_meta_action(tmp_path: Path,
                                                                   action: str) -> None:
    # min_value > max_value: GX runs the suite and fails this one expectation with an exception.
    # Which rows it would reject cannot be known, so quarantine_rows holds the whole batch; warn
    # records it and lets the other expectations decide (row 3 fails the not-null check).
    suite = {"name": "feedback", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer_id"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "rating", "min_value": 5, "max_value": 1}, "meta": {"action": action}},
    ]}
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    project = make_project(tmp_path, suite=suite)
    summary = run(project, "feedback")
    (batch,) = summary.batches
    assert summary.exit_code == 1
    failed = " ".join(batch.failed_expectations)
    assert "#1 expect_column_values_to_be_between (could not run:" in failed
    assert "min_value cannot be greater than max_value" in failed
    with project.open_store() as store:
        (entry,) = [e for e in store.quarantine_entries("feedback") if e.batch_id == batch.batch_id]
    if action == "warn":
        assert (batch.status, batch.quarantined_rows) == ("partial", 1)
        assert published_ids(tmp_path) == [0, 1, 2, 4, 5, 6, 7, 8, 9] and quarantined_ids(tmp_path) == [3]
        held = [r["expectation_index"] for r in entry.reasons if r.get("action") != "warn"]
        warned = [r["expectation_index"] for r in entry.reasons if r.get("action") == "warn"]
        assert (held, warned) == ([0], [1])  # the warning is kept with the entry, apart
    else:
        assert (batch.status, batch.quarantined_rows) == ("quarantined", 10)
        assert published_ids(tmp_path) == [] and quarantined_ids(tmp_path) == list(range(10))
        errored = next(r for r in entry.reasons if r["expectation_index"] == 1)
        assert errored["outcome"] == "error" and errored["action"] == "quarantine_batch"
        assert ("could not be identified" in errored["detail"]) == (action == "quarantine_rows")
    assert watermark(project) == 9  # the batch is settled either way: nothing is pulled twice


def test_a_backtracking_regex_ends_within_its_budget_and_holds_the_batch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 12: ^(a+)+(?=b) on a 36-character value kept a run `running` for minutes.
    monkeypatch.setenv("INTEGRITY_REGEX_SECONDS", "1")
    suite = {"name": "feedback", "expectations": [
        {"type": "expect_column_values_to_not_match_regex",
         "kwargs": {"column": "text", "regex": "^(a+)+(?=b)"}}]}
    src = tmp_path / "src" / "feedback.csv"
    src.parent.mkdir(parents=True)
    src.write_text(HEADER + "1,C-1,3," + "a" * 36 + "\n2,C-2,4,fine\n", encoding="utf-8")
    project = make_project(tmp_path, suite=suite)
    summary = run(project, "feedback")
    (batch,) = summary.batches
    assert (batch.status, batch.quarantined_rows, summary.exit_code) == ("quarantined", 2, 1)
    assert "ran out of its 1 s budget" in batch.failed_expectations[0]
    assert quarantined_ids(tmp_path) == [1, 2] and published_ids(tmp_path) == []


def test_an_empty_new_file_that_fails_the_suite_is_held_not_passed(tmp_path: Path) -> None:
    drops = tmp_path / "src" / "drops"
    write_csv(drops / "a.csv", range(0, 3))
    suite = {"name": "feedback", "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}]}
    project = make_project(tmp_path, cursor=None, suite=suite,
                           connector={"type": "files", "params": {"path": str(drops / "*.csv"),
                                                                     "settle_seconds": 0}})
    assert run(project, "feedback").exit_code == 0
    (drops / "b.csv").write_text(HEADER, encoding="utf-8")
    summary = run(project, "feedback")
    (batch,) = summary.batches
    assert batch.rows == 0 and batch.status == "quarantined" and batch.quarantine_ids
    assert summary.exit_code == 1


def test_a_bad_source_file_fails_the_run_and_moves_nothing(project: Project) -> None:
    run(project, "feedback")
    src = project.root / "src" / "feedback.csv"
    with src.open("a", encoding="utf-8") as fh:
        fh.write('10,C-10,3,"unclosed\n11,C-11,3,x\n')
    with pytest.raises(IntegrityError, match=r"feedback\.csv:\d+"):
        run(project, "feedback")
    assert watermark(project) == 9
    with project.open_store() as store:
        assert store.runs("feedback")[0]["status"] == "failed"


def test_a_missing_secret_names_the_variable_and_where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTEGRITY_TEST_SRC_DIR", raising=False)
    project = make_project(tmp_path, connector={
        "type": "files", "params": {"path": "${INTEGRITY_TEST_SRC_DIR}/feedback.csv",
                                          "settle_seconds": 0}})
    with pytest.raises(ConfigError) as caught:
        run(project, "feedback")
    message = str(caught.value)
    assert "${INTEGRITY_TEST_SRC_DIR}" in message and "connectors/feedback.yaml" in message
    assert "environment" in message


def test_secret_values_are_redacted_from_errors_and_the_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-folder-name"
    monkeypatch.setenv("INTEGRITY_TEST_SRC_DIR", str(tmp_path / secret))
    project = make_project(tmp_path, connector={
        "type": "sql", "params": {"url": "sqlite:///${INTEGRITY_TEST_SRC_DIR}/source.db",
                                  "table": "feedback"}})
    with pytest.raises(ConnectorError) as caught:  # the database file does not exist
        run(project, "feedback")
    assert secret not in str(caught.value) and "***" in str(caught.value)
    (tmp_path / secret).mkdir()
    with sqlite3.connect(tmp_path / secret / "source.db") as db:
        db.execute("CREATE TABLE feedback (id INTEGER, customer_id TEXT, rating INTEGER, text TEXT)")
        db.execute("INSERT INTO feedback VALUES (1, 'C-1', 3, 'ok')")
    run(project, "feedback")
    dump = "\n".join(sqlite3.connect(tmp_path / "state" / "integrity.db").iterdump())
    assert secret not in dump


# -- steward review -----------------------------------------------------------------------------

def test_release_publishes_once_and_is_audited(project: Project) -> None:
    summary = run(project, "feedback")
    (entry_id,) = summary.batches[0].quarantine_ids
    released = release(project, entry_id, steward="maria", note="checked with the customer")
    assert released.status == "released" and released.decided_by == "maria"
    assert published_ids(project.root) == list(range(10))
    with pytest.raises(ConfigError, match="already released"):
        release(project, entry_id, steward="tom", note=None)
    with pytest.raises(ConfigError, match="already released"):
        reject(project, entry_id, steward="tom", note=None)
    assert published_ids(project.root) == list(range(10))
    with project.open_store() as store:
        (audit,) = store.audit("feedback")
    assert (audit.action, audit.actor, audit.note) == ("quarantine.released", "maria",
                                                       "checked with the customer")
    assert audit.details["rows"] == 1


def test_reject_keeps_the_rows_and_records_the_steward(project: Project) -> None:
    (entry_id,) = run(project, "feedback").batches[0].quarantine_ids
    rejected = reject(project, entry_id[:8], steward="tom", note="spam")
    assert rejected.status == "rejected"
    assert quarantined_ids(project.root) == [3]  # never deleted silently
    manifest = json.loads((project.quarantine_files(project.dataset("feedback")).root / entry_id
                           / "manifest.json").read_text())
    assert manifest["status"] == "rejected" and manifest["history"][-1]["by"] == "tom"
    with project.open_store() as store:
        assert [(a.action, a.actor, a.note) for a in store.audit()] == [
            ("quarantine.rejected", "tom", "spam")]
    with pytest.raises(ConfigError, match="steward"):
        reject(project, entry_id, steward=" ", note=None)


def test_a_release_whose_files_are_gone_is_a_clear_error(project: Project) -> None:
    (entry_id,) = run(project, "feedback").batches[0].quarantine_ids
    folder = project.quarantine_files(project.dataset("feedback")).root / entry_id
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    with pytest.raises(ConfigError, match="files are missing"):
        release(project, entry_id, steward="maria", note=None)
    with Store.open(project.store_url) as store:
        assert store.quarantine_entry(entry_id).status == "held"  # type: ignore[union-attr]
