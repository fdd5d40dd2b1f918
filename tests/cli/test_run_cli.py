"""``integrity run`` and ``integrity quarantine`` through the real console script, in temporary
projects: exit codes, the summary, the lock, bad input that must fail clearly (never a traceback),
crashes in the middle of a backfill or a release, and the steward's review."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from integrity.job import FAILPOINT_ENV, Project
from integrity.store import Store
from tests.clirun import Run, entry_point
from tests.job.test_run import HEADER, make_project, published_ids, quarantined_ids, write_csv


def cli(*args: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = ()) -> Run:
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    for name in ("INTEGRITY_DEBUG", *unset):
        environment.pop(name, None)
    if FAILPOINT_ENV not in (env or {}):
        environment.pop(FAILPOINT_ENV, None)
    proc = subprocess.run([entry_point(), *args], capture_output=True, text=True, env=environment,
                          stdin=subprocess.DEVNULL, timeout=60, check=False)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def clear_error(result: Run, *fragments: str) -> str:
    """Exit 2 with one 'error:' message holding every fragment, and no traceback."""
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert "error:" in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    return result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Project:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    return make_project(tmp_path)


def run_cli(project: Project, *args: str, env: dict[str, str] | None = None) -> Run:
    return cli("run", *args, "--project", str(project.root), env=env)


# -- exit codes and the summary ---------------------------------------------------------------

def test_exit_codes_and_summary(project: Project) -> None:
    first = run_cli(project, "feedback")
    assert first.code == 1, first.stderr
    assert "feedback (run 1)" in first.stdout and "quarantined as" in first.stdout
    assert "something was quarantined (exit 1)" in first.stdout
    write_csv(project.root / "src" / "feedback.csv", range(10, 12), append=True)
    second = run_cli(project, "feedback")
    assert second.code == 0, second.stderr
    assert "every row published (exit 0)" in second.stdout
    third = run_cli(project, "feedback")
    assert third.code == 0 and "feedback: no new rows." in third.stdout


def test_run_all_runs_every_dataset_and_reports_the_worst(project: Project) -> None:
    write_csv(project.root / "src" / "clean.csv", range(0, 3))
    make_project(project.root, name="clean")
    make_project(project.root, name="broken", connector={
        "type": "files", "params": {"path": str(project.root / "src" / "missing.csv")}})
    result = run_cli(project, "--all")
    assert result.code == 2, result.stderr
    assert "missing.csv: file not found" in result.stderr and "Traceback" not in result.stderr
    assert "3 datasets: 1 clean, 1 with quarantined rows, 1 failed (broken)." in result.stdout
    assert published_ids(project.root, "clean") == [0, 1, 2]


def test_usage_errors(project: Project) -> None:
    clear_error(run_cli(project), "name a dataset, or pass --all", "feedback")
    clear_error(run_cli(project, "feedback", "--all"), "not both")
    clear_error(run_cli(project, "--all", "--from", "1"), "one dataset at a time")
    clear_error(run_cli(project, "feedbak"), "no dataset 'feedbak'", "Did you mean 'feedback'")


# -- the lock -----------------------------------------------------------------------------------

def test_a_second_run_of_the_same_dataset_is_refused_while_the_first_holds_the_lock(
        project: Project) -> None:
    with Store.open(project.store_url) as store, store.lock("feedback"):
        locked = run_cli(project, "feedback")
    clear_error(locked, "dataset 'feedback' is being run by another process")
    assert published_ids(project.root) == []
    assert run_cli(project, "feedback").code == 1  # released: the next run goes ahead


# -- bad input ----------------------------------------------------------------------------------

def test_malformed_csv_row_fails_clearly_and_the_fixed_file_is_taken_next_time(project: Project) -> None:
    src = project.root / "src" / "feedback.csv"
    src.write_text(HEADER + "0,C-0,3,a\n1,C-1,3,b,extra,fields\n2,C-2,3,c\n", encoding="utf-8")
    clear_error(run_cli(project, "feedback"), f"{src}:3", "fields, but the header has 4")
    with Store.open(project.store_url) as store:
        assert store.runs("feedback")[0]["status"] == "failed" and store.watermark("feedback") is None
    src.write_text(HEADER + "0,C-0,3,a\n1,C-1,3,b\n2,C-2,3,c\n", encoding="utf-8")
    assert run_cli(project, "feedback").code == 0
    assert published_ids(project.root) == [0, 1, 2]


def test_wrong_encoding_names_file_line_and_fix(project: Project) -> None:
    src = project.root / "src" / "feedback.csv"
    src.write_bytes((HEADER + "0,C-0,3,caf").encode() + b"\xe9\n")
    clear_error(run_cli(project, "feedback"), f"{src}:2", "not UTF-8", "iconv")


def test_a_missing_column_quarantines_the_batch_with_the_column_named(project: Project) -> None:
    src = project.root / "src" / "feedback.csv"
    src.write_text("id,rating,text\n0,3,a\n1,4,b\n", encoding="utf-8")
    result = run_cli(project, "feedback")
    assert result.code == 1, result.stderr
    assert "customer_id" in result.stdout and "quarantined as" in result.stdout
    assert quarantined_ids(project.root) == [0, 1] and published_ids(project.root) == []


def test_a_broken_suite_is_one_error_line_per_problem_and_moves_nothing(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 3))
    project = make_project(tmp_path, suite={"name": "feedback", "expectations": [
        {"type": "expect_column_values_to_not_be_nul", "kwargs": {"column": "id"}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "rating",
                                                                   "min_valeu": 1}},
        {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "rating", "auto": True}},
    ]})
    result = run_cli(project, "feedback")
    clear_error(result, "Did you mean 'expect_column_values_to_not_be_null'", "argument 'min_valeu'",
                "argument 'auto'")
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 3 and all(x.startswith("error: dataset 'feedback': ") for x in lines)
    assert published_ids(tmp_path) == [] and quarantined_ids(tmp_path) == []


def test_suite_warnings_are_printed_and_the_run_goes_on(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 3))
    project = make_project(tmp_path, suite={"name": "feedback", "expectations": [
        {"type": "expect_column_mean_to_be_between",
         "kwargs": {"column": "rating", "min_value": 0, "include_config": True}}]})
    result = run_cli(project, "feedback")
    assert result.code == 0, result.stderr
    (warning,) = [x for x in result.stderr.splitlines() if x.startswith("warning:")]
    assert warning.startswith("warning: dataset 'feedback': ") and "'include_config'" in warning
    assert published_ids(tmp_path) == [0, 1, 2]


def test_a_renamed_cursor_column_is_an_error_naming_it(project: Project) -> None:
    src = project.root / "src" / "feedback.csv"
    src.write_text("row_id,customer_id,rating,text\n0,C-0,3,a\n", encoding="utf-8")
    clear_error(run_cli(project, "feedback"), "cursor column 'id'", "row_id")


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, connector={"type": "sql", "params": {
        "url": "postgresql+psycopg://someone:hunter2pass@127.0.0.1:1/nowhere", "table": "feedback",
        "connect_timeout": 1}})
    result = run_cli(project, "feedback")
    message = clear_error(result, "dataset 'feedback'", "cannot connect", "127.0.0.1:1")
    assert "hunter2pass" not in message + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "r2d2" not in result.stderr


def test_a_wrong_database_password_is_one_line_without_driver_logs(tmp_path: Path) -> None:
    """connectorx's pool retries a failed login for 30 s and logs every try; the run reports the
    failure in one line instead, through the driver, without waiting for the pool."""
    import sqlalchemy as sa

    from tests.pg import require_postgres

    url = sa.make_url(require_postgres()).set(password="Wr0ngPassw0rd!")
    project = make_project(tmp_path, connector={"type": "sql", "params": {
        "url": url.render_as_string(hide_password=False), "table": "feedback",
        "connect_timeout": 1}})
    result = run_cli(project, "feedback")
    clear_error(result, "dataset 'feedback'", "password authentication failed", "credentials")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "r2d2" not in result.stderr and "Wr0ngPassw0rd" not in result.stderr + result.stdout


def test_a_missing_secret_names_the_variable_and_the_file(tmp_path: Path) -> None:
    project = make_project(tmp_path, connector={"type": "sql", "params": {
        "url": "postgresql+psycopg://u:${INTEGRITY_NOT_SET_PASSWORD}@127.0.0.1/db", "table": "t"}})
    clear_error(run_cli(project, "feedback"), "${INTEGRITY_NOT_SET_PASSWORD}",
                "connectors/feedback.yaml", "export INTEGRITY_NOT_SET_PASSWORD=")


def test_a_bad_backfill_range_is_refused(project: Project) -> None:
    clear_error(run_cli(project, "feedback", "--from", "9", "--to", "1"), "is after --to")


# -- backfills and crashes --------------------------------------------------------------------------

def test_backfill_from_the_cli_republishes_nothing(project: Project) -> None:
    assert run_cli(project, "feedback").code == 1
    result = run_cli(project, "feedback", "--from", "0", "--to", "9")
    assert result.code == 1, result.stderr  # row 3 still fails: reported, not re-quarantined
    assert "10 rows had been taken by earlier runs" in result.stdout
    assert published_ids(project.root) == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    assert quarantined_ids(project.root) == [3]
    again = run_cli(project, "feedback", "--from", "0", "--to", "9")
    assert "backfilled before with the same rows" in again.stdout and again.code == 0


def test_a_backfill_killed_mid_way_is_finished_by_the_next_run_with_the_same_split(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 20))
    project = make_project(tmp_path, cursor={"column": "id", "initial": 10})
    assert run_cli(project, "feedback").code == 0
    killed = run_cli(project, "feedback", "--from", "0", "--to", "15",
                     env={FAILPOINT_ENV: "after_publish"})
    assert killed.code == -signal.SIGKILL
    write_csv(tmp_path / "src" / "feedback.csv", range(20, 22), append=True)
    finished = run_cli(project, "feedback")
    assert finished.code == 0, finished.stderr
    assert "(recovered)" in finished.stdout
    assert published_ids(tmp_path) == list(range(22))  # each row exactly once
    with Store.open(project.store_url) as store:
        assert store.watermark("feedback")["value"] == 21  # type: ignore[index]


# -- steward review ---------------------------------------------------------------------------------

def test_quarantine_list_show_release_reject(project: Project) -> None:
    write_csv(project.root / "src" / "feedback.csv", range(10, 14), bad=(12,), append=True)
    assert run_cli(project, "feedback").code == 1  # one entry: rows 3 and 12
    root = ["--project", str(project.root)]
    listing = cli("quarantine", "list", *root)
    with Store.open(project.store_url) as store:
        (entry,) = store.quarantine_entries("feedback")
    assert entry.id in listing.stdout and "held" in listing.stdout
    shown = cli("quarantine", "show", entry.id[:8], *root)
    assert shown.code == 0 and "expect_column_values_to_not_be_null" in shown.stdout
    assert "bad 12" in shown.stdout

    released = cli("quarantine", "release", entry.id, "--steward", "maria", "--note", "fixed upstream", *root)
    assert released.code == 0, released.stderr
    assert "released by maria (2 rows published)" in released.stdout
    clear_error(cli("quarantine", "release", entry.id, "--steward", "tom", *root),
                "already released (by maria")
    assert published_ids(project.root) == list(range(14))
    with Store.open(project.store_url) as store:
        assert store.quarantine_entry(entry.id).decided_by == "maria"  # type: ignore[union-attr]
        trail = [(a.action, a.actor, a.note) for a in store.audit("feedback")]
    assert trail == [("quarantine.released", "maria", "fixed upstream")]


def test_quarantine_usage_errors(project: Project) -> None:
    root = ["--project", str(project.root)]
    missing_steward = cli("quarantine", "release", "abcdef12", *root)
    assert missing_steward.code == 2 and "--steward" in missing_steward.stderr
    clear_error(cli("quarantine", "list", "--status", "pending", *root), "held, released, rejected")
    clear_error(cli("quarantine", "show", "ffffffffff", *root), "no quarantine entry")


def test_quarantine_reject_from_the_cli(project: Project) -> None:
    assert run_cli(project, "feedback").code == 1
    root = ["--project", str(project.root)]
    with Store.open(project.store_url) as store:
        (entry,) = store.quarantine_entries("feedback", "held")
    rejected = cli("quarantine", "reject", entry.id, "--steward", "tom", "--note", "spam", *root)
    assert rejected.code == 0 and "rejected by tom" in rejected.stdout
    clear_error(cli("quarantine", "release", entry.id, "--steward", "maria", *root),
                "already rejected (by tom")
    with Store.open(project.store_url) as store:
        trail = [(a.action, a.actor, a.note) for a in store.audit("feedback")]
    assert trail == [("quarantine.rejected", "tom", "spam")]
    assert 3 not in published_ids(project.root) and quarantined_ids(project.root) == [3]


def test_an_unreachable_results_store_is_a_clear_error(project: Project) -> None:
    (project.root / "integrity.yaml").write_text(
        "store_url: postgresql+psycopg://someone:hunter2pass@127.0.0.1:1/store\n")
    result = run_cli(project, "feedback")
    clear_error(result, "cannot reach the results store", "127.0.0.1:1")
    assert "hunter2pass" not in result.stderr + result.stdout


def test_a_release_killed_after_its_publish_finishes_on_retry_without_publishing_twice(
        project: Project) -> None:
    run_cli(project, "feedback")
    with Store.open(project.store_url) as store:
        (entry,) = store.quarantine_entries("feedback")
    root = ["--project", str(project.root)]
    killed = cli("quarantine", "release", entry.id, "--steward", "maria", *root,
                 env={FAILPOINT_ENV: "after_release_publish"})
    assert killed.code == -signal.SIGKILL
    assert published_ids(project.root).count(3) == 1  # published, but not yet recorded
    retried = cli("quarantine", "release", entry.id, "--steward", "maria", *root)
    assert retried.code == 0, retried.stderr
    assert published_ids(project.root) == list(range(10))
    with Store.open(project.store_url) as store:
        assert [a.action for a in store.audit()] == ["quarantine.released"]


def test_release_to_a_sql_target_appends_once(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 6), bad=(1,))
    target = tmp_path / "warehouse.db"
    project = make_project(tmp_path, publish={"kind": "sql", "url": f"sqlite:///{target}",
                                              "table": "clean"})
    assert run_cli(project, "feedback").code == 1
    with Store.open(project.store_url) as store:
        (entry,) = store.quarantine_entries("feedback")
    root = ["--project", str(project.root)]
    assert cli("quarantine", "release", entry.id, "--steward", "maria", *root).code == 0
    assert cli("quarantine", "release", entry.id, "--steward", "maria", *root).code == 2
    with sqlite3.connect(target) as db:
        assert sorted(r[0] for r in db.execute("SELECT id FROM clean")) == list(range(6))
        assert db.execute("SELECT count(*) FROM integrity_published_batches").fetchone()[0] == 2
    manifest = json.loads((Path(entry.path) / "manifest.json").read_text())
    assert manifest["status"] == "released"


def test_a_pending_batch_whose_staged_copy_is_lost_is_given_up_then_pulled_again(
        project: Project) -> None:
    killed = run_cli(project, "feedback", env={FAILPOINT_ENV: "after_publish"})
    assert killed.code == -signal.SIGKILL
    root = ["--project", str(project.root)]
    with Store.open(project.store_url) as store:
        pending = store.pending_batch("feedback")
    assert pending is not None
    listing = cli("batches", "list", *root)
    assert pending.batch_id in listing.stdout and "pending" in listing.stdout
    clear_error(cli("batches", "fail", pending.batch_id, "--steward", "maria", *root),
                "staged copy", "is intact", "integrity run feedback")  # nothing to give up yet

    staged = project.root / "state" / "data" / "staging" / "feedback" / f"{pending.batch_id}.arrow"
    staged.unlink()
    clear_error(run_cli(project, "feedback"), "staged copy", "is missing",
                f"integrity batches fail {pending.batch_id}")
    given_up = cli("batches", "fail", pending.batch_id, "--steward", "maria", "--note", "disk lost",
                   *root)
    assert given_up.code == 0, given_up.stderr
    assert "pulls its rows again" in given_up.stdout
    clear_error(cli("batches", "fail", pending.batch_id, "--steward", "maria", *root),
                "is failed, not pending")

    # The watermark never moved: the next run pulls the same rows again, and the rows the lost
    # batch had published before the crash are not published a second time.
    again = run_cli(project, "feedback")
    assert again.code == 1, again.stderr
    assert published_ids(project.root) == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    assert quarantined_ids(project.root) == [3]
    with Store.open(project.store_url) as store:
        assert store.batch(pending.batch_id).status == "partial"  # type: ignore[union-attr]
        assert store.watermark("feedback")["value"] == 9  # type: ignore[index]
        (audit,) = [a for a in store.audit("feedback") if a.action == "batch_failed"]
        assert audit.actor == "maria" and audit.note == "disk lost"
