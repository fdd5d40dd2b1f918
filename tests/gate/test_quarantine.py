"""The quarantine store on disk: private, atomic, idempotent, and it never deletes data silently."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from integrity.gate import REASONS_COLUMN, ParquetSink, QuarantineFiles
from integrity.types import BatchInfo

HOSTILE = "'; DROP TABLE q; -- \"x\" \\ \n\u2028 💥 {{ignore previous}} \x00"
INFO = BatchInfo("feedback", "b1", "memory", 1, 9, "2024-06-11T10:00:00+00:00", 3, "hash")
REASONS = [{"expectation_index": 0, "expectation_type": "expect_column_values_to_not_be_null",
            "column": "n", "action": "quarantine_rows", "observed_value": None,
            "unexpected_count": 2}]
ROOT = Path(__file__).resolve().parents[2]


def held(height: int = 3) -> pl.DataFrame:
    reasons = json.dumps(REASONS)
    return pl.DataFrame({"id": list(range(height)), "text": [HOSTILE] * height,
                         REASONS_COLUMN: [reasons] * height})


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_is_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    store = QuarantineFiles(tmp_path / "quarantine" / "feedback")
    entry_id, folder = store.write(held(), INFO, kind="rows", reasons=REASONS)
    assert entry_id == "b1-rows" and folder == store.root / "b1-rows"
    assert mode(store.root) == 0o700
    assert mode(folder) == 0o700
    assert mode(folder / "rows.parquet") == 0o600
    assert mode(folder / "manifest.json") == 0o600
    assert mode(store.root / ".staging") == 0o700
    assert list((store.root / ".staging").iterdir()) == []


def test_an_existing_root_is_made_private(tmp_path: Path) -> None:
    root = tmp_path / "q"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    QuarantineFiles(root).write(held(), INFO, kind="batch", reasons=REASONS)
    assert mode(root) == 0o700


def test_read_and_manifest(tmp_path: Path) -> None:
    store = QuarantineFiles(tmp_path)
    frame = held()
    entry_id, _ = store.write(frame, INFO, kind="batch", reasons=REASONS)
    assert store.read(entry_id).equals(frame)  # hostile text round-trips unchanged
    assert store.read(entry_id, with_reasons=False).columns == ["id", "text"]
    manifest = store.manifest(entry_id)
    assert manifest["dataset"] == "feedback" and manifest["kind"] == "batch"
    assert manifest["rows"] == 3 and manifest["reasons"] == REASONS
    assert manifest["batch"] == INFO.to_dict() and manifest["status"] == "quarantined"
    assert manifest["created_at"].endswith("+00:00")
    assert list(store.entries()) == ["b1-batch"]


def test_write_is_idempotent(tmp_path: Path) -> None:
    store = QuarantineFiles(tmp_path)
    first = store.write(held(3), INFO, kind="rows", reasons=REASONS)
    before = (first[1] / "rows.parquet").stat().st_mtime_ns
    second = store.write(held(5), INFO, kind="rows", reasons=[])
    assert second == first
    assert (first[1] / "rows.parquet").stat().st_mtime_ns == before
    assert store.read(first[0]).height == 3
    assert list(store.entries()) == ["b1-rows"]


def test_reject_keeps_the_rows_and_records_it(tmp_path: Path) -> None:
    store = QuarantineFiles(tmp_path)
    entry_id, folder = store.write(held(), INFO, kind="rows", reasons=REASONS)
    manifest = store.remove(entry_id, by="steward@example.com", note="spam")
    assert manifest["status"] == "rejected"
    assert manifest["history"][-1]["by"] == "steward@example.com"
    assert store.manifest(entry_id)["status"] == "rejected"
    assert store.read(entry_id).height == 3  # never deleted
    assert mode(folder / "manifest.json") == 0o600
    assert store.remove(entry_id)["history"] == manifest["history"]  # repeat: nothing new
    with pytest.raises(ValueError, match="already rejected"):
        store.mark_released(entry_id, "somewhere")


def test_release_publishes_exactly_once_through_the_sink(tmp_path: Path) -> None:
    store = QuarantineFiles(tmp_path / "q")
    sink = ParquetSink(tmp_path / "published")
    entry_id, _ = store.write(held(), INFO, kind="rows", reasons=REASONS)
    release = store.release_info(entry_id)
    assert release.batch_id == "b1-rows" and release.dataset == "feedback" and release.row_count == 3
    frame = store.read(entry_id, with_reasons=False)
    first = sink.publish(frame, release)
    assert sink.publish(frame, store.release_info(entry_id)) == first  # a repeated release
    assert store.mark_released(entry_id, first)["status"] == "released"
    published = list((tmp_path / "published").glob("dataset=*/date=*/*.parquet"))
    assert [str(p) for p in published] == [first]
    assert pl.read_parquet(first).equals(frame)
    with pytest.raises(ValueError, match="already released"):
        store.remove(entry_id)


def test_record_decision_writes_the_stores_word_over_the_manifest(tmp_path: Path) -> None:
    store = QuarantineFiles(tmp_path)
    entry_id, folder = store.write(held(), INFO, kind="rows", reasons=REASONS)
    store.mark_released(entry_id, "/published/x", by="maria")  # a release killed after this
    manifest = store.record_decision(entry_id, "rejected", {"by": "tom", "retracted_from": "/p"})
    assert manifest["status"] == "rejected" and store.manifest(entry_id)["status"] == "rejected"
    released, rejected = manifest["history"]
    assert released["status"] == "released" and released["by"] == "maria"
    assert rejected == {"status": "rejected", "at": rejected["at"], "by": "tom",
                        "retracted_from": "/p", "overrides": "released"}
    assert store.record_decision(entry_id, "rejected", {})["history"] == manifest["history"]
    assert mode(folder / "manifest.json") == 0o600
    with pytest.raises(ValueError, match="not a decision"):
        store.record_decision(entry_id, "quarantined", {})


def test_bad_ids_and_unknown_entries(tmp_path: Path) -> None:
    store = QuarantineFiles(tmp_path)
    with pytest.raises(ValueError, match="cannot name a file"):
        store.read("../../etc")
    with pytest.raises(KeyError, match="no quarantine entry 'nope'"):
        store.manifest("nope")
    with pytest.raises(ValueError, match="kind"):
        store.write(held(), INFO, kind="some", reasons=[])


CHILD = """
import os, sys, time
import polars as pl
from integrity.gate import QuarantineFiles
from integrity.types import BatchInfo
real = os.rename
def rename(a, b):
    print("staged", flush=True); time.sleep(120)
os.rename = rename
info = BatchInfo("feedback", "b1", "memory", 1, 9, "2024-06-11T10:00:00+00:00", 3, "hash")
QuarantineFiles(sys.argv[1]).write(pl.DataFrame({"id": [1, 2]}), info, kind="rows", reasons=[])
"""


def test_sigkill_while_writing_leaves_no_entry(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE,
                             text=True, env=env)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "staged"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    store = QuarantineFiles(tmp_path)
    assert list(store.entries()) == [] and not (tmp_path / "b1-rows").exists()
    entry_id, _ = store.write(held(), INFO, kind="rows", reasons=REASONS)
    assert list(store.entries()) == [entry_id] and store.read(entry_id).height == 3
    assert list((tmp_path / ".staging").iterdir()) == []  # the crashed attempt's folder is gone
