"""No silent skips: rows with a NULL cursor and late rows (cursor below the watermark, arrived after it
moved) are counted, reported, recorded, and handled by the dataset's ``late_rows`` policy, exactly
once, on every kind of source: files with a cursor column, SQLite, memory and a real HTTP server."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from integrity.connectors.base import Watermark
from integrity.connectors.sql import SqlConnector
from integrity.job import Project, run
from tests.job.test_run import make_project, published_ids, quarantined_ids

Row = tuple[int, int | None]
"""(id, seq): seq is the cursor column; the other columns follow from the id."""

FIRST: list[Row] = [(i, None if i in (0, 5) else i) for i in range(20)]
LATER: list[Row] = [(100, 3), (101, 4), (102, 50), (103, None)]
NULLS_1, LATE_3, NULLS_3 = [0, 5], [100, 101], [103]


def record(row: Row) -> dict[str, Any]:
    i, seq = row
    return {"id": i, "customer_id": f"C-{i}", "rating": 3, "text": f"text {i}", "seq": seq}


class Source:
    """A source of rows for one dataset, and how to add rows to it between runs."""

    def __init__(self, kind: str, root: Path, http: HttpSource | None) -> None:
        self.kind, self.root, self.http = kind, root, http
        self.rows: list[Row] = []
        self.files = 0

    def connector(self) -> dict[str, Any]:
        if self.kind == "files":
            return {"type": "files", "params": {"path": str(self.root / "landing" / "*.csv"),
                                                "settle_seconds": 0}}
        if self.kind == "sqlite":
            return {"type": "sql", "params": {"url": f"sqlite:///{self.root / 'src.db'}",
                                              "table": "feedback"}}
        if self.kind == "memory":
            return {"type": "memory", "params": {"rows": [record(r) for r in self.rows]}}
        assert self.http is not None
        return {"type": "http", "params": {"url": self.http.url}}

    def add(self, rows: list[Row]) -> None:
        self.rows += rows
        if self.kind == "files":
            self.files += 1
            frame = pl.DataFrame([record(r) for r in rows])
            (self.root / "landing").mkdir(exist_ok=True)
            frame.write_csv(self.root / "landing" / f"part-{self.files}.csv")
        elif self.kind == "sqlite":
            with sqlite3.connect(self.root / "src.db") as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS feedback (id INTEGER, customer_id TEXT, "
                             "rating INTEGER, text TEXT, seq INTEGER)")
                conn.executemany("INSERT INTO feedback VALUES (:id, :customer_id, :rating, :text, "
                                 ":seq)", [record(r) for r in rows])
        elif self.kind == "memory":
            path = self.root / "connectors" / "feedback.yaml"
            if path.exists():
                definition = yaml.safe_load(path.read_text())
                definition["connector"] = self.connector()
                path.write_text(yaml.safe_dump(definition))
        else:
            assert self.http is not None
            self.http.records[:] = [record(r) for r in self.rows]


class HttpSource:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.url = ""


@pytest.fixture
def http() -> Iterator[HttpSource]:
    state = HttpSource()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(state.records).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/feedback"
    yield state
    server.shutdown()
    server.server_close()


def setup(tmp_path: Path, kind: str, policy: str | None, http: HttpSource | None) -> tuple[Project, Source]:
    source = Source(kind, tmp_path, http)
    source.add(FIRST)
    project = make_project(tmp_path, connector=source.connector(), cursor={"column": "seq"},
                           extra={"late_rows": policy} if policy else None)
    return project, source


@pytest.mark.parametrize("kind", ["files", "sqlite", "memory", "http"])
@pytest.mark.parametrize("policy", ["quarantine", "warn", "drop"])
def test_null_cursors_and_late_rows_land_once_under_each_policy(
        tmp_path: Path, kind: str, policy: str, http: HttpSource) -> None:
    project, source = setup(tmp_path, kind, None if policy == "quarantine" else policy, http)
    everything = sorted(i for i, _ in FIRST + LATER)
    set_apart = sorted(NULLS_1 + LATE_3 + NULLS_3)

    first = run(project, "feedback")
    [batch] = first.batches
    assert (batch.null_cursor_rows, batch.late_rows, batch.late_action) == (2, 0, policy)
    assert batch.rows == 20
    assert any("2 rows with a NULL cursor (seq)" in line for line in batch.notes)
    assert run(project, "feedback").batches == []  # reported once, never again

    source.add(LATER)
    third = run(project, "feedback")
    [batch] = third.batches
    assert (batch.null_cursor_rows, batch.late_rows) == (1, 2)
    assert any("2 late rows (cursor seq below the watermark 19" in line for line in batch.notes)
    fourth = run(project, "feedback")
    assert fourth.batches == [] and fourth.exit_code == 0

    published, held = published_ids(tmp_path), quarantined_ids(tmp_path)
    if policy == "quarantine":
        assert (first.exit_code, third.exit_code) == (1, 1)
        assert held == set_apart
        assert published == [i for i in everything if i not in set_apart]
        with project.open_store() as store:
            entries = store.quarantine_entries("feedback")
        checks = sorted((r["check"], r["unexpected_count"]) for e in entries for r in e.reasons)
        assert checks == [("late_rows", 2), ("null_cursor_rows", 1), ("null_cursor_rows", 2)]
        assert all("cursor column 'seq'" in r["detail"] for e in entries for r in e.reasons)
    elif policy == "warn":
        assert (first.exit_code, third.exit_code) == (0, 0)
        assert held == [] and published == everything
    else:
        assert (first.exit_code, third.exit_code) == (0, 0)
        assert held == [] and published == [i for i in everything if i not in set_apart]
        assert [b.dropped_rows for b in first.batches + third.batches] == [2, 3]

    with project.open_store() as store:  # recorded: in the batch record and the run summary
        notes = [b.info["notes"] for b in store.batches("feedback")]
        runs = store.runs("feedback")
    assert sorted((n.get("null_cursor_rows", 0), n.get("late_rows", 0)) for n in notes) == [(1, 2), (2, 0)]
    assert all(n["late_action"] == policy for n in notes)
    summaries = [b for r in runs for b in r["summary"].get("batches", [])]
    assert sorted((b["null_cursor_rows"], b["late_rows"]) for b in summaries) == [(1, 2), (2, 0)]


def test_a_watermark_from_before_counting_starts_counting_without_a_flood(tmp_path: Path) -> None:
    """A dataset whose watermark was written by an older integrity (no counts, no ledger): the rows
    below it are taken as taken, NULL cursors (never pulled before) are new, later late rows are
    found."""
    project, source = setup(tmp_path, "sqlite", None, None)
    with SqlConnector(dataset="feedback", cursor="seq", url=f"sqlite:///{tmp_path / 'src.db'}",
                      table="feedback") as conn:
        old = conn.pull(Watermark())  # what an older integrity took (untracked), and its mark
    assert old.frame.height == 18
    with project.open_store() as store:
        run_id = store.start_run("feedback")
        store.begin_batch(run_id, old.info, {}, {})
        store.complete_batch(old.info.batch_id, status="published", published_rows=18,
                             quarantined_rows=0, result=None,
                             watermark={"value": 19, "boundary": list(old.next_watermark.boundary),
                                        "files": []})
        store.finish_run(run_id, "clean", {})
    first = run(project, "feedback")
    [batch] = first.batches
    assert (batch.null_cursor_rows, batch.late_rows, batch.rows) == (2, 0, 2)
    assert any("tracking started: 17 rows" in line for line in batch.notes)
    assert quarantined_ids(tmp_path) == NULLS_1 and published_ids(tmp_path) == []
    source.add(LATER)
    [batch] = run(project, "feedback").batches
    assert (batch.null_cursor_rows, batch.late_rows) == (1, 2)
    assert published_ids(tmp_path) == [102]
    assert quarantined_ids(tmp_path) == sorted(NULLS_1 + LATE_3 + NULLS_3)


def test_a_lost_ledger_holds_late_rows_instead_of_guessing(tmp_path: Path) -> None:
    """Without the ledger, rows below the watermark cannot be told apart: when the counts say some
    are new, all of them are held (never published twice), and the ledger starts again."""
    project, source = setup(tmp_path, "sqlite", "warn", None)
    run(project, "feedback")
    for segment in (tmp_path / "state" / "data" / "ledger" / "feedback").iterdir():
        segment.unlink()
    source.add([(100, 3)])
    [batch] = run(project, "feedback").batches
    # Every row below the watermark (17), the NULL cursors (2) and the new late row, held.
    assert batch.late_rows == 20 and batch.published_rows == 0
    assert any("cannot tell apart from rows taken before (unreadable): quarantined" in line for line in batch.notes)
    assert quarantined_ids(tmp_path) == [*range(19), 100]
    assert published_ids(tmp_path) == list(range(20))  # nothing published twice
    source.add([(101, 4)])
    [batch] = run(project, "feedback").batches  # the rebuilt ledger tells them apart again
    assert batch.late_rows == 1 and published_ids(tmp_path) == [*range(20), 101]


def test_the_ledger_is_merged_and_stays_exact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from integrity.connectors import ledger

    monkeypatch.setattr(ledger, "MERGE_AFTER", 2)
    project, source = setup(tmp_path, "sqlite", None, None)
    for n in range(5):
        run(project, "feedback")
        source.add([(200 + n, 100 + n)])
    folder = tmp_path / "state" / "data" / "ledger" / "feedback"
    assert any(p.suffix == ".npz" for p in folder.iterdir())
    assert sum(p.suffix == ".npy" for p in folder.iterdir()) <= 3
    source.add([(300, 7)])
    [batch] = run(project, "feedback").batches
    assert (batch.late_rows, batch.rows) == (1, 2)
    with project.open_store() as store:
        mark = Watermark.from_dict(store.watermark("feedback"))
    assert mark.ledger is not None and mark.ledger.rows == 20 + 4 + 2


def test_files_rows_appended_below_the_watermark_are_late(tmp_path: Path) -> None:
    """With a cursor column, a file appended in place: rows above the watermark are new, rows
    below it late; a file rewritten with the same rows adds nothing."""
    project, _ = setup(tmp_path, "files", None, None)
    run(project, "feedback")
    part = tmp_path / "landing" / "part-1.csv"
    with part.open("a", encoding="utf-8") as fh:
        fh.write("400,C-400,3,text 400,7\n401,C-401,3,text 401,60\n")
    [batch] = run(project, "feedback").batches
    assert (batch.late_rows, batch.published_rows, batch.quarantined_rows) == (1, 1, 1)
    part.write_bytes(part.read_bytes())  # rewritten in place, same rows
    os.utime(part, (time.time(), time.time()))
    assert run(project, "feedback").batches == []
    assert quarantined_ids(tmp_path) == [*NULLS_1, 400]
