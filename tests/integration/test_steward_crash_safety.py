"""Kill ``integrity quarantine release`` and ``reject`` with SIGKILL at every failpoint, then run the
next command, and check the state machine's promise: every quarantined row ends exactly once in
published or rejected (never both, never neither), the manifest agrees with the store, and the
audit trail holds exactly one final decision, plus the abandoned release when a reject took back
what a release had published.

The projects are set up in process (``run``); every release and reject is the real console script.
"""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from integrity.job import FAILPOINT_ENV, Project, run
from integrity.store import QuarantineRecord, Store
from tests.cli.test_run_cli import clear_error, cli
from tests.clirun import Run
from tests.job.test_run import make_project, write_csv

RELEASE_FAILPOINTS = ["after_release_intent", "after_release_publish", "after_release_manifest",
                      "after_release_record"]
REJECT_FAILPOINTS = ["after_reject_intent", "after_reject_retract", "after_reject_manifest",
                     "after_reject_record"]
ROWS, BAD = 20, (3, 7, 12)
CLEAN = [i for i in range(ROWS) if i not in BAD]


def setup(tmp_path: Path, sink: str = "parquet") -> tuple[Project, QuarantineRecord]:
    """A project whose first run published 17 rows and held 3 in one entry."""
    write_csv(tmp_path / "src" / "feedback.csv", range(ROWS), bad=BAD)
    publish = ({"kind": "sql", "url": f"sqlite:///{tmp_path / 'warehouse.db'}", "table": "clean"}
               if sink == "sqlite" else {"kind": sink})
    project = make_project(tmp_path, publish=publish)
    assert run(project, "feedback").exit_code == 1
    with Store.open(project.store_url) as store:
        (entry,) = store.quarantine_entries("feedback")
    return project, entry


def steward(project: Project, action: str, entry: QuarantineRecord, who: str,
            failpoint: str | None = None) -> Run:
    return cli("quarantine", action, entry.id, "--steward", who, "--note", f"{action} by {who}",
               "--project", str(project.root), env={FAILPOINT_ENV: failpoint} if failpoint else None)


def killed(project: Project, action: str, entry: QuarantineRecord, failpoint: str) -> None:
    result = steward(project, action, entry, "maria" if action == "release" else "tom", failpoint)
    assert result.code == -signal.SIGKILL, (failpoint, result.stdout, result.stderr)


def published_ids(project: Project) -> list[int]:
    """Every id a consumer can read, with repeats."""
    if (project.root / "warehouse.db").exists():
        with sqlite3.connect(project.root / "warehouse.db") as db:
            return sorted(r[0] for r in db.execute("SELECT id FROM clean"))
    root = project.root / "state" / "data" / "published" / "dataset=feedback"
    ids: list[int] = []
    for path in sorted(root.glob("date=*/batch-*")):
        if path.suffix == ".parquet":
            ids += pl.read_parquet(path)["id"].to_list()
        else:
            ids += [json.loads(line)["id"] for line in path.read_text().splitlines()]
    return sorted(ids)


def settled(project: Project, entry: QuarantineRecord, expected: str) -> list[str]:
    """Assert the entry ended ``expected`` with each row in exactly one place; the audit actions."""
    with Store.open(project.store_url) as store:
        now = store.quarantine_entry(entry.id)
        trail = [a for a in store.audit("feedback") if a.subject == entry.id]
    assert now is not None and now.status == expected, now
    held = pl.read_parquet(Path(entry.path) / "rows.parquet")["id"].to_list()
    assert sorted(held) == list(BAD)  # the quarantined rows are never deleted
    published = published_ids(project)
    if expected == "released":
        assert published == list(range(ROWS))
    else:  # rejected: none of its rows is visible, every other row is, once
        assert published == CLEAN
    manifest = json.loads((Path(entry.path) / "manifest.json").read_text())
    assert manifest["status"] == expected  # the store's word
    finals = [a.action for a in trail if a.action in ("quarantine.released", "quarantine.rejected")]
    assert finals == [f"quarantine.{expected}"], trail
    return [a.action for a in trail]


# -- a release killed at each failpoint, then the next command ------------------------------------

@pytest.mark.parametrize("failpoint", RELEASE_FAILPOINTS)
def test_a_killed_release_is_finished_by_the_next_release(tmp_path: Path, failpoint: str) -> None:
    project, entry = setup(tmp_path)
    killed(project, "release", entry, failpoint)
    again = steward(project, "release", entry, "ann")
    if failpoint == "after_release_record":  # it had finished: nothing left to do
        clear_error(again, "already released (by maria")
    else:
        assert again.code == 0, again.stderr
        assert "released by maria" in again.stdout  # maria decided; ann finished it
    assert settled(project, entry, "released") == ["quarantine.released"]
    with Store.open(project.store_url) as store:
        (audit,) = store.audit("feedback")
    assert (audit.actor, audit.note) == ("maria", "release by maria")
    assert audit.details["rows"] == len(BAD)


@pytest.mark.parametrize("failpoint", RELEASE_FAILPOINTS)
def test_a_reject_after_a_killed_release_takes_back_what_it_published(tmp_path: Path,
                                                                        failpoint: str) -> None:
    project, entry = setup(tmp_path)
    killed(project, "release", entry, failpoint)
    rejected = steward(project, "reject", entry, "tom")
    if failpoint == "after_release_record":
        clear_error(rejected, "already released (by maria")
        settled(project, entry, "released")
        return
    assert rejected.code == 0, rejected.stderr
    assert settled(project, entry, "rejected") == ["quarantine.release_abandoned",
                                                   "quarantine.rejected"]
    with Store.open(project.store_url) as store:
        abandoned, final = store.audit("feedback")
    had_published = failpoint != "after_release_intent"
    assert abandoned.details["published"] is had_published
    assert abandoned.details["release_started_by"] == "maria" and abandoned.actor == "tom"
    assert (final.actor, final.note) == ("tom", "reject by tom")
    assert (final.details["retracted_from"] is not None) is had_published
    marker = project.root / "state" / "data" / "published" / ".published" / entry.id
    assert not marker.exists()


# -- a reject killed at each failpoint, then the next command --------------------------------------

@pytest.mark.parametrize("failpoint", REJECT_FAILPOINTS)
def test_a_killed_reject_is_finished_by_the_next_reject(tmp_path: Path, failpoint: str) -> None:
    project, entry = setup(tmp_path)
    killed(project, "release", entry, "after_release_manifest")
    assert published_ids(project) == list(range(ROWS))
    killed(project, "reject", entry, failpoint)
    again = steward(project, "reject", entry, "ann")
    if failpoint == "after_reject_record":
        clear_error(again, "already rejected (by tom")
    else:
        assert again.code == 0, again.stderr
        assert "rejected by tom" in again.stdout
    assert settled(project, entry, "rejected") == ["quarantine.release_abandoned",
                                                   "quarantine.rejected"]


@pytest.mark.parametrize("failpoint", REJECT_FAILPOINTS)
def test_a_release_after_a_killed_reject_finishes_the_rejection_and_is_refused(
        tmp_path: Path, failpoint: str) -> None:
    project, entry = setup(tmp_path)
    killed(project, "reject", entry, failpoint)
    message = clear_error(steward(project, "release", entry, "ann"), "already rejected (by tom")
    if failpoint != "after_reject_record":
        assert "interrupted and is finished now" in message
    assert settled(project, entry, "rejected") == ["quarantine.rejected"]


# -- the other sinks: where a retraction differs ---------------------------------------------------

@pytest.mark.parametrize("sink", ["jsonl", "sqlite"])
def test_other_sinks_retract_a_killed_release(tmp_path: Path, sink: str) -> None:
    project, entry = setup(tmp_path, sink)
    killed(project, "release", entry, "after_release_publish")
    assert published_ids(project) == list(range(ROWS))
    assert steward(project, "reject", entry, "tom").code == 0
    settled(project, entry, "rejected")
    if sink == "sqlite":
        with sqlite3.connect(project.root / "warehouse.db") as db:
            ledger = [r[0] for r in db.execute("SELECT batch_id FROM integrity_published_batches")]
        assert entry.id not in ledger and len(ledger) == 1  # the first run's batch stays


@pytest.mark.parametrize("sink", ["jsonl", "sqlite"])
def test_other_sinks_finish_a_killed_release_once(tmp_path: Path, sink: str) -> None:
    project, entry = setup(tmp_path, sink)
    killed(project, "release", entry, "after_release_publish")
    assert steward(project, "release", entry, "maria").code == 0
    settled(project, entry, "released")


@pytest.mark.parametrize("sink", ["jsonl", "sqlite"])
def test_other_sinks_finish_a_killed_retraction(tmp_path: Path, sink: str) -> None:
    project, entry = setup(tmp_path, sink)
    killed(project, "release", entry, "after_release_manifest")
    killed(project, "reject", entry, "after_reject_intent")
    clear_error(steward(project, "release", entry, "ann"), "already rejected (by tom")
    settled(project, entry, "rejected")


# -- the next run finishes what a killed command left under way ------------------------------------

@pytest.mark.parametrize(("failpoint", "expected"), [("after_release_publish", "released"),
                                                     ("after_reject_intent", "rejected")])
def test_the_next_run_finishes_an_interrupted_decision(tmp_path: Path, failpoint: str,
                                                       expected: str) -> None:
    project, entry = setup(tmp_path)
    action = "release" if expected == "released" else "reject"
    if action == "reject":
        killed(project, "release", entry, "after_release_publish")
    killed(project, action, entry, failpoint)
    status = {"release": "releasing", "reject": "rejecting"}[action]
    listed = cli("quarantine", "list", "--status", status, "--project", str(project.root))
    assert entry.id in listed.stdout
    shown = cli("quarantine", "show", entry.id, "--project", str(project.root))
    assert shown.code == 0 and f"({status}): 3 rows" in shown.stdout
    assert f"its {action} was interrupted" in shown.stdout
    result = cli("run", "feedback", "--project", str(project.root))
    assert result.code == 0, result.stderr
    assert f"finished the interrupted {action} of quarantine entry {entry.id}" in result.stdout
    settled(project, entry, expected)
    with Store.open(project.store_url) as store:
        final = store.audit("feedback")[-1]
    assert final.details["finished_by"] == "integrity run" and final.actor in ("maria", "tom")


def test_a_reject_takes_back_rows_that_a_release_published_without_recording_it(
        tmp_path: Path) -> None:
    """The store of an older integrity: a release killed after its publish left the entry held."""
    project, entry = setup(tmp_path)
    files = project.quarantine_files(project.dataset("feedback"))
    project.sink(project.dataset("feedback")).publish(
        files.read(entry.id, with_reasons=False), files.release_info(entry.id))
    files.mark_released(entry.id, "somewhere", by="maria")  # its manifest said released
    assert published_ids(project) == list(range(ROWS))
    rejected = steward(project, "reject", entry, "tom")
    assert rejected.code == 0, rejected.stderr
    assert settled(project, entry, "rejected") == ["quarantine.release_abandoned",
                                                   "quarantine.rejected"]
    manifest = json.loads((Path(entry.path) / "manifest.json").read_text())
    assert manifest["history"][-1]["overrides"] == "released"
