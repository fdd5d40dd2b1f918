"""The files connector's landing folder: symbolic links, second names and copies, files that are
still being written, done markers, and files that change after they were taken."""

from __future__ import annotations

import os
import time
from pathlib import Path

import polars as pl
import pytest

from integrity.connectors.base import Batch, Watermark
from integrity.connectors.files import FilesConnector
from integrity.connectors.landing import list_files
from integrity.connectors.ledger import Ledger
from integrity.errors import ConfigError, DataError


def write_csv(path: Path, ids: range, *, age: float = 60.0) -> Path:
    """A CSV of ``id,body`` rows whose mtime is ``age`` seconds ago (settled unless age is small)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id,body\n" + "".join(f"{i},row {i}\n" for i in ids), encoding="utf-8")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def ids(batch: Batch) -> list[int]:
    return sorted(batch.frame["id"].to_list())


def kinds(batch: Batch) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for note in batch.info.notes.get("files", []):
        found.setdefault(note["kind"], []).append(Path(note["path"]).name)
    return found


@pytest.mark.parametrize("cursor", [None, "id"])
def test_a_link_loop_under_double_star_reads_each_file_once(tmp_path: Path, cursor: str | None) -> None:
    landing = tmp_path / "landing"
    write_csv(landing / "a.csv", range(0, 3))
    write_csv(landing / "sub" / "b.csv", range(3, 5))
    (landing / "sub" / "loop").symlink_to(landing, target_is_directory=True)
    (landing / "sub" / "deeper").mkdir()
    (landing / "sub" / "deeper" / "up").symlink_to(landing / "sub", target_is_directory=True)
    for follow in (False, True):
        conn = FilesConnector(dataset="d", cursor=cursor, path=str(landing / "**" / "*.csv"),
                              settle_seconds=1, follow_symlinks=follow)
        batch = conn.pull(Watermark.from_dict(None))
        assert ids(batch) == [0, 1, 2, 3, 4]
        assert set(kinds(batch)) == ({"loop"} if follow else {"symlink"})


def test_links_out_of_the_landing_folder_are_never_followed(tmp_path: Path) -> None:
    secret = write_csv(tmp_path / "elsewhere" / "secret.csv", range(100, 103))
    landing = tmp_path / "landing"
    write_csv(landing / "a.csv", range(0, 2))
    (landing / "secret.csv").symlink_to(secret)
    (landing / "etc").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    for follow in (False, True):
        conn = FilesConnector(dataset="d", path=str(landing / "**" / "*.csv"), settle_seconds=1,
                              follow_symlinks=follow)
        batch = conn.pull(Watermark.from_dict(None))
        assert ids(batch) == [0, 1]
        assert sorted(kinds(batch)["outside" if follow else "symlink"]) == ["etc", "secret.csv"]
    # A path that names the link itself is refused with one clear line.
    lone = FilesConnector(dataset="d", path=str(landing / "secret.csv"), follow_symlinks=True)
    with pytest.raises(DataError, match=r"secret\.csv: links to .*outside the landing folder"):
        lone.pull(Watermark.from_dict(None))


@pytest.mark.parametrize("cursor", [None, "id"])
def test_a_second_name_or_a_copy_is_read_once_and_reported(tmp_path: Path, cursor: str | None) -> None:
    landing = tmp_path / "landing"
    original = write_csv(landing / "a.csv", range(0, 4))
    (landing / "b.csv").symlink_to(original)
    os.link(original, landing / "c.csv")
    (landing / "d.csv").write_bytes(original.read_bytes())  # a copy: same content, another name
    os.utime(landing / "d.csv", (time.time() - 60, time.time() - 60))
    conn = FilesConnector(dataset="d", cursor=cursor, path=str(landing / "*.csv"), settle_seconds=1,
                          follow_symlinks=True)
    first = conn.pull(Watermark.from_dict(None))
    assert ids(first) == [0, 1, 2, 3]
    assert kinds(first) == {"same_file": ["b.csv", "c.csv"], "same_content": ["d.csv"]}
    if cursor is None:
        # The copy is known as taken, and the next drop is read alone.
        write_csv(landing / "e.csv", range(4, 6))
        second = conn.pull(first.next_watermark)
        assert ids(second) == [4, 5]


@pytest.mark.parametrize("cursor", [None, "id"])
def test_a_file_still_being_written_waits_until_it_settles(tmp_path: Path, cursor: str | None) -> None:
    landing = tmp_path / "landing"
    write_csv(landing / "old.csv", range(0, 2))
    fresh = write_csv(landing / "new.csv", range(2, 5), age=0)
    conn = FilesConnector(dataset="d", cursor=cursor, path=str(landing / "*.csv"), settle_seconds=30)
    first = conn.pull(Watermark.from_dict(None))
    assert ids(first) == [0, 1]
    assert kinds(first) == {"waiting": ["new.csv"]}
    stamp = time.time() - 31
    os.utime(fresh, (stamp, stamp))
    second = conn.pull(first.next_watermark)
    assert ids(second) == [2, 3, 4]
    assert kinds(second) == {}


def test_a_done_marker_says_when_a_file_is_complete(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_csv(landing / "a.csv", range(0, 2), age=0)
    conn = FilesConnector(dataset="d", path=str(landing / "*"), done_marker=".done")
    with pytest.raises(ConfigError, match="done_marker"):
        FilesConnector(dataset="d", path=str(landing / "*"), done_marker="../x")
    first = conn.pull(Watermark.from_dict(None))
    assert first.frame.height == 0
    assert kinds(first) == {"waiting": ["a.csv"]}
    (landing / "a.csv.done").touch()
    second = conn.pull(first.next_watermark)
    assert ids(second) == [0, 1]  # the marker file itself is never read as data
    assert second.next_watermark.files == (str((landing / "a.csv").resolve()),)


def test_a_file_changed_after_it_was_taken_is_reported_once_or_repulled(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    path = write_csv(landing / "a.csv", range(0, 3))
    for policy in ("report", "repull"):
        conn = FilesConnector(dataset="d", path=str(landing / "*.csv"), settle_seconds=1,
                              changed_files=policy)
        write_csv(path, range(0, 3))
        job = Recorder(tmp_path / policy)
        first = conn.pull(job.start())
        write_csv(path, range(0, 5))  # two rows appended in place, then settled
        second = conn.pull(job.record(first))
        assert kinds(second) == {"changed": ["a.csv"]}
        assert ids(second) == ([] if policy == "report" else [3, 4])
        assert second.late is None
        third = conn.pull(job.record(second))
        assert third.frame.height == 0 and kinds(third) == {}
        assert third.next_watermark == second.next_watermark
    with pytest.raises(ConfigError, match="changed_files"):
        FilesConnector(dataset="d", path="x.csv", changed_files="ignore")


def test_the_listing_walks_each_folder_once_per_pattern(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_csv(landing / "x" / "a.csv", range(1))
    write_csv(landing / ".hidden" / "b.csv", range(1))
    write_csv(landing / ".c.csv", range(1))
    (landing / "x" / "again").symlink_to(landing / "x", target_is_directory=True)
    listing = list_files(str(landing / "**" / "*.csv"), follow_symlinks=True)
    assert [f.path.name for f in listing.files] == ["a.csv"]
    assert [n["kind"] for n in listing.notes] == ["loop"]


class Recorder:
    """Keeps the ledger as the job does: a batch's hashes count once the batch is recorded."""

    def __init__(self, folder: Path) -> None:
        self.done: set[str] = set()
        self.ledger = Ledger(folder, lambda: self.done)

    def start(self) -> Watermark:
        return Watermark.from_dict(None, taken=self.ledger)

    def record(self, batch: Batch) -> Watermark:
        self.done.add(batch.info.batch_id)
        if batch.taken is not None and batch.next_watermark.ledger is not None:
            self.ledger.write(batch.info.batch_id, batch.next_watermark.ledger.generation, batch.taken)
        return Watermark.from_dict(batch.next_watermark.to_dict(), taken=self.ledger)


def test_empty_landing_folders_and_bad_parameters_say_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "landing").mkdir()
    with pytest.raises(DataError, match="no file matches"):
        FilesConnector(dataset="d", path=str(tmp_path / "landing" / "*.csv")).pull(Watermark())
    with pytest.raises(DataError, match="landing folder"):
        FilesConnector(dataset="d", path=str(tmp_path / "nope" / "*.csv")).pull(Watermark())
    with pytest.raises(ConfigError, match="settle_seconds"):
        FilesConnector(dataset="d", path="x.csv", settle_seconds=-1)
    frame = pl.DataFrame({"id": [1]})
    frame.write_parquet(tmp_path / "landing" / "p.parquet")
    assert FilesConnector(dataset="d", path=str(tmp_path / "landing" / "*.parquet"),
                          settle_seconds=0).pull(Watermark()).frame.height == 1


PRODUCER = """
import sys, time
path, rows = sys.argv[1], int(sys.argv[2])
with open(path, "w", encoding="utf-8") as fh:
    fh.write("id,body\\n")
    for start in range(0, rows, 500):
        fh.write("".join(f"{i},row {i} " + "x" * 40 + "\\n" for i in range(start, min(start + 500, rows))))
        fh.flush()
        time.sleep(0.02)
"""


@pytest.mark.parametrize("cursor", [None, "id"])
def test_a_csv_written_in_place_during_runs_lands_once_and_whole(tmp_path: Path,
                                                                  cursor: str | None) -> None:
    """A producer writes a CSV in place into the landing folder while runs keep reading it: no run
    takes it half-written, and every row lands exactly once."""
    import subprocess
    import sys

    from integrity.job import run
    from tests.job.test_run import make_project, published_ids

    rows = 10_000
    landing = tmp_path / "landing"
    landing.mkdir()
    suite = {"name": "feedback", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}]}
    project = make_project(tmp_path, suite=suite, cursor={"column": cursor} if cursor else None,
                           connector={"type": "files", "params": {
                               "path": str(landing / "*.csv"), "settle_seconds": 1.0}})
    producer = subprocess.Popen([sys.executable, "-c", PRODUCER, str(landing / "big.csv"), str(rows)])
    while not (landing / "big.csv").exists():  # an empty landing folder is an error of its own
        time.sleep(0.01)
    sizes: list[int] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        summary = run(project, "feedback")
        sizes += [b.rows for b in summary.batches]
        if producer.poll() is not None and sum(sizes) >= rows:
            break
        time.sleep(0.05)
    assert producer.wait(5) == 0
    assert sizes == [rows]  # one whole batch, never a part of the file
    assert published_ids(tmp_path) == list(range(rows))
    assert run(project, "feedback").batches == []
