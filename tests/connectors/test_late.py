"""Finding late rows and NULL cursors in ``make_batch`` (through the memory connector), and the
ledger of taken rows they are looked up in: repeats counted, segments that count only once their
batch is recorded, merging that never counts a row twice, a lost segment that is noticed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from integrity.connectors.base import Batch, MemoryConnector, Watermark, make_batch
from integrity.connectors.late import LATE_COLUMN, SourceCounts, needs_rows_below
from integrity.connectors.ledger import HASH_KEY, Ledger, LedgerInfo, untaken
from tests.connectors.test_landing import Recorder


def frame(rows: list[tuple[int, int | None]]) -> pl.DataFrame:
    return pl.DataFrame({"id": [r[0] for r in rows], "seq": [r[1] for r in rows]},
                        schema={"id": pl.Int64, "seq": pl.Int64})


def pull(rows: list[tuple[int, int | None]], since: Watermark) -> Batch:
    return MemoryConnector(dataset="d", cursor="seq", frame=frame(rows)).pull(since)


def late_ids(batch: Batch) -> dict[str, list[int]]:
    if batch.late is None:
        return {}
    out: dict[str, list[int]] = {}
    for i, kind in batch.late.select("id", LATE_COLUMN).iter_rows():
        out.setdefault(kind, []).append(i)
    return out


def test_late_rows_and_null_cursors_are_set_apart_once(tmp_path: Path) -> None:
    job = Recorder(tmp_path)
    rows = [(1, 1), (2, 2), (3, None), (4, 4)]
    first = pull(rows, job.start())
    assert first.frame["id"].to_list() == [1, 2, 4] and late_ids(first) == {"null": [3]}
    assert (first.next_watermark.value, first.next_watermark.below, first.next_watermark.nulls) == (4, 2, 1)
    since = job.record(first)
    assert pull(rows, since).late is None and pull(rows, since).frame.height == 0
    rows += [(5, 3), (6, 4), (7, None), (8, 9)]  # 5 is late; 6 sits at the watermark: new, not late
    second = pull(rows, since)
    assert second.frame["id"].to_list() == [6, 8]
    assert late_ids(second) == {"null": [7], "late": [5]}
    assert second.info.notes["late_rows"] == 1 and second.info.notes["null_cursor_rows"] == 1
    third = pull(rows, job.record(second))
    assert third.frame.height == 0 and third.late is None


def test_identical_rows_are_counted_not_collapsed(tmp_path: Path) -> None:
    job = Recorder(tmp_path)
    rows = [(1, 1), (1, 1), (2, 5)]
    since = job.record(pull(rows, job.start()))
    rows.append((1, 1))  # a third copy of a row taken twice arrives late
    assert late_ids(pull(rows, since)) == {"late": [1]}
    assert list(untaken(np.array([7, 7, 7, 9], dtype=np.uint64), np.array([7, 7], dtype=np.uint64))) \
        == [False, False, True, True]


def test_counts_that_agree_spare_the_ledger(tmp_path: Path) -> None:
    """A ledger that cannot be read is not needed while the counts agree."""
    job = Recorder(tmp_path)
    since = job.record(pull([(1, 1), (2, 2)], job.start()))
    for segment in tmp_path.iterdir():
        segment.unlink()
    assert pull([(1, 1), (2, 2), (3, 3)], since).frame["id"].to_list() == [3]
    batch = pull([(1, 1), (2, 2), (4, 1)], since)  # now they differ, and the ledger is gone
    assert late_ids(batch) == {"unknown": [1, 4]}
    assert batch.info.notes["ledger"] == "unreadable"


def test_a_connector_that_filters_at_the_source_asks_for_the_rows_below() -> None:
    columns = {"id": "Int64", "seq": "Int64"}
    stale = Watermark(value=5, below=3, nulls=1, ledger=LedgerInfo(1, "older polars", columns, 3))
    since = Watermark(value=5, below=3, nulls=1, ledger=LedgerInfo(1, HASH_KEY, columns, 3))
    rest = frame([(9, 5), (10, 6)])
    assert needs_rows_below(stale, "seq", rest, SourceCounts(3, 1))  # the ledger is rebuilt
    assert not needs_rows_below(since, "seq", rest, SourceCounts(3, 1))
    assert needs_rows_below(since, "seq", rest, SourceCounts(4, 1))
    assert needs_rows_below(since, "seq", rest, SourceCounts(3, 2))
    assert needs_rows_below(Watermark(value=5, below=0), "seq", rest, SourceCounts(0, 0))  # starts
    assert not needs_rows_below(Watermark(value=5), "seq", rest, SourceCounts(9, 9))  # untracked
    with pytest.raises(ValueError, match="must be pulled"):
        make_batch("d", "x", rest, cursor="seq", since=since, unpulled=SourceCounts(4, 1))


def test_segments_count_once_their_batch_is_recorded_and_merging_is_exact(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from integrity.connectors import ledger as module

    done: set[str] = set()
    ledger = Ledger(tmp_path, lambda: done)
    for n in range(4):
        ledger.write(f"b{n}", 1, np.array([n, 100 + n], dtype=np.uint64))
    ledger.write("orphan", 1, np.array([7], dtype=np.uint64))  # its batch was never recorded
    done.update({"b0", "b1", "b2", "b3"})
    full = LedgerInfo(1, HASH_KEY, {"id": "Int64"}, 8)
    assert list(ledger.taken(full)) == [0, 1, 2, 3, 100, 101, 102, 103]  # type: ignore[arg-type]
    monkeypatch.setattr(module, "MERGE_AFTER", 2)
    ledger.merge(1)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 1 and names[0].startswith("g1-merged-")
    # A crash between writing the merged file and deleting the segments: nothing counts twice.
    ledger.write("b0", 1, np.array([0, 100], dtype=np.uint64))
    assert ledger.taken(full) is not None and ledger.taken(full).size == 8  # type: ignore[union-attr]
    (tmp_path / names[0]).unlink()
    assert Ledger(tmp_path, lambda: done).taken(full) is None  # a gap, never "nothing taken"


def test_the_ledger_does_not_depend_on_column_order(tmp_path: Path) -> None:
    """A PostgreSQL store's JSONB gives the ledger's column names back in its own order, and a
    query may reorder its columns: rows are hashed by column name, not position."""
    job = Recorder(tmp_path)
    rows = [(1, 1), (2, 2), (3, 3)]
    first = pull(rows, job.start())
    stored = first.next_watermark.to_dict()
    assert stored["ledger"]["columns"] == [["id", "Int64"], ["seq", "Int64"]]
    job.record(first)
    shuffled = {**stored, "ledger": {**stored["ledger"], "columns": {"seq": "Int64", "id": "Int64"}}}
    since = Watermark.from_dict(shuffled, taken=job.ledger)
    reordered = frame([*rows, (9, 2)]).select("seq", "id")
    batch = MemoryConnector(dataset="d", cursor="seq", frame=reordered).pull(since)
    assert late_ids(batch) == {"late": [9]}
