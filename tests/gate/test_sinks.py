"""Publish sinks: atomic (no partial batch is ever visible, even under SIGKILL) and exactly once."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from integrity.config import PublishConfig
from integrity.errors import ConfigError, DataError
from integrity.gate import JsonlSink, ParquetSink, Sink, SqlSink, make_sink
from integrity.gate.sql import LEDGER
from integrity.types import BatchInfo
from tests.pg import require_postgres

HOSTILE = [
    "'; DROP TABLE published; --",
    'Robert"); DELETE FROM integrity_published_batches; --',
    "line\nbreak\r\n and \u2028 separator \u2029 and \x85 NEL",
    "tab\t back\\slash %s %(name)s :name ? $1",
    "emoji 💥 RTL \u202e Zalgo z̷̢͓a̵l̶g̸o",
    "{{ ignore previous instructions }} <script>alert(1)</script>",
    "",
]
ROOT_ENV = Path(__file__).resolve().parents[2]


def info(batch_id: str = "b1", *, pulled_at: str = "2024-06-11T23:59:59+00:00",
         rows: int = 0) -> BatchInfo:
    return BatchInfo("feedback", batch_id, "memory", None, None, pulled_at, rows, "hash")


def sample(height: int = 5) -> pl.DataFrame:
    return pl.DataFrame({
        "id": list(range(height)),
        "text": [HOSTILE[i % len(HOSTILE)] for i in range(height)],
        "score": [0.5 * i for i in range(height)],
        "ok": [i % 2 == 0 for i in range(height)],
        "at": [dt.datetime(2024, 1, 1, 12, 0, 0, 123456) + dt.timedelta(hours=i) for i in range(height)],
        "day": [dt.date(2024, 1, 1 + i % 28) for i in range(height)],
        "tags": [[i, i + 1] for i in range(height)],
    })


def data_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("batch-*") if not any(part.startswith(".") for part in
                                                                p.relative_to(root).parts))


def read_back(sink: ParquetSink | JsonlSink, path: str | Path) -> pl.DataFrame:
    if isinstance(sink, JsonlSink):
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").split("\n") if line]
        return pl.DataFrame(rows)
    return pl.read_parquet(path)


FILE_SINKS = [pytest.param(ParquetSink, id="parquet"), pytest.param(JsonlSink, id="jsonl")]


@pytest.mark.parametrize("kind", FILE_SINKS)
def test_file_sink_layout_and_exactly_once(tmp_path: Path, kind: type[ParquetSink]) -> None:
    sink = kind(tmp_path)
    assert isinstance(sink, Sink)
    frame = sample()
    assert not sink.published("b1")
    path = sink.publish(frame, info())
    suffix = ".parquet" if kind is ParquetSink else ".jsonl"
    assert Path(path) == tmp_path / "dataset=feedback" / "date=2024-06-11" / f"batch-b1{suffix}"
    assert sink.published("b1") and not sink.published("b2")
    before = Path(path).stat()
    # a re-run (new sink object, as after a restart; another day's pulled_at) writes nothing
    again = kind(tmp_path).publish(frame, info(pulled_at="2024-06-12T00:00:01+00:00"))
    assert again == path
    after = Path(path).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert data_files(tmp_path) == [Path(path)]
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / ".staging").iterdir())
    assert read_back(sink, path)["text"].to_list() == frame["text"].to_list()


def test_parquet_round_trips_exactly_and_reads_as_a_hive_dataset(tmp_path: Path) -> None:
    sink = ParquetSink(tmp_path)
    frame = sample(20)
    sink.publish(frame, info("b1"))
    sink.publish(frame, info("b2", pulled_at="2024-06-12T10:00:00"))
    assert pl.read_parquet(data_files(tmp_path)[0]).equals(frame)
    scanned = pl.scan_parquet(tmp_path / "**" / "*.parquet", hive_partitioning=True).collect()
    assert scanned.height == 40
    assert sorted(set(scanned["date"].cast(pl.String))) == ["2024-06-11", "2024-06-12"]


def test_jsonl_is_one_valid_object_per_line_with_iso_datetimes(tmp_path: Path) -> None:
    frame = sample(14).with_columns(pl.Series("f", [float("nan"), float("inf")] + [1.0] * 12),
                                    pl.Series("raw", [b"\x00\xff"] * 14))
    path = Path(JsonlSink(tmp_path).publish(frame, info()))
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) == 14  # even str.splitlines: U+2028, U+2029, NEL are escaped
    rows = [json.loads(line) for line in text.splitlines()]
    assert [r["text"] for r in rows] == frame["text"].to_list()
    assert rows[0]["at"] == "2024-01-01T12:00:00.123456" and rows[0]["day"] == "2024-01-01"
    assert rows[0]["f"] is None and rows[1]["f"] is None and rows[2]["f"] == 1.0
    assert rows[0]["raw"] == "AP8=" and rows[0]["tags"] == [0, 1]


@pytest.mark.parametrize("kind", FILE_SINKS)
def test_an_empty_frame_publishes_nothing_but_counts_as_published(tmp_path: Path,
                                                                   kind: type[ParquetSink]) -> None:
    sink = kind(tmp_path)
    assert sink.publish(sample().clear(), info("empty")) == ""
    assert sink.published("empty")
    assert data_files(tmp_path) == []
    assert sink.publish(sample(), info("empty")) == ""  # exactly once: the batch is done


@pytest.mark.parametrize("bad", ["../escape", "a/b", ".hidden", "x*", ""])
def test_ids_that_would_escape_the_folder_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="cannot name a file"):
        ParquetSink(tmp_path).publish(sample(), info(bad))
    assert not (tmp_path.parent / "escape").exists()


@pytest.mark.parametrize("kind", FILE_SINKS)
def test_retract_removes_the_file_and_the_marker_and_is_idempotent(
        tmp_path: Path, kind: type[ParquetSink]) -> None:
    sink = kind(tmp_path)
    kept = sink.publish(sample(), info("b0"))
    path = sink.publish(sample(), info("b1"))
    assert sink.retract("b1") == path
    assert not Path(path).exists() and not (tmp_path / ".published" / "b1").exists()
    assert not sink.published("b1") and sink.published("b0") and Path(kept).exists()
    assert sink.retract("b1") is None and sink.retract("never") is None
    # a retraction killed after the data file went: the marker alone is removed next time
    sink.publish(sample(), info("b2"))
    for hit in tmp_path.glob("dataset=*/date=*/batch-b2*"):
        hit.unlink()
    assert sink.retract("b2") is not None and not sink.published("b2")
    assert sink.retract("b2") is None
    assert kind(tmp_path / "nothing-here").retract("b1") is None
    assert not (tmp_path / "nothing-here").exists()


PUBLISHED_MODES = {"dir": 0o750, "staging": 0o700, "file": 0o640}


def tree_modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.lstat().st_mode)
            for p in [root, *root.rglob("*")]}


@pytest.mark.parametrize("kind", FILE_SINKS)
def test_the_published_tree_has_explicit_modes_whatever_the_umask(
        tmp_path: Path, kind: type[ParquetSink]) -> None:
    previous = os.umask(0)
    try:
        sink = kind(tmp_path / "published")
        sink.publish(sample(), info("b1"))
        sink.publish(sample().clear(), info("empty"))
    finally:
        os.umask(previous)
    modes = tree_modes(tmp_path / "published")
    expected = {".": 0o750, ".staging": 0o700, ".published": 0o750, ".published/b1": 0o640,
                ".published/empty": 0o640, "dataset=feedback": 0o750,
                "dataset=feedback/date=2024-06-11": 0o750,
                f"dataset=feedback/date=2024-06-11/batch-b1{kind.suffix}": 0o640}
    assert modes == expected


def test_a_setgid_root_shares_its_group_with_new_folders(tmp_path: Path) -> None:
    root = tmp_path / "published"
    root.mkdir()
    os.chmod(root, 0o2750)
    ParquetSink(root).publish(sample(), info("b1"))
    assert stat.S_IMODE((root / "dataset=feedback").stat().st_mode) == 0o2750


@pytest.mark.parametrize("kind", FILE_SINKS)
def test_a_marker_nobody_else_may_write_is_the_only_one_that_counts(
        tmp_path: Path, kind: type[ParquetSink]) -> None:
    sink = kind(tmp_path)
    sink.publish(sample(), info("b0"))  # the folders exist, as on a live target
    marker = tmp_path / ".published" / "b1"
    marker.write_text("")  # "published, nothing to write": planted by anyone who could write it
    os.chmod(marker, 0o666)
    assert not sink.published("b1")
    path = sink.publish(sample(), info("b1"))
    assert Path(path).exists() and read_back(sink, path).height == 5
    assert marker.read_text() == path and stat.S_IMODE(marker.stat().st_mode) == 0o640
    link = tmp_path / ".published" / "b2"
    link.symlink_to(marker)  # a link to a trusted marker is not a marker
    assert not sink.published("b2")


@pytest.mark.skipif(os.geteuid() != 0, reason="planting a file owned by another user needs root")
@pytest.mark.parametrize("kind", FILE_SINKS)
def test_a_marker_or_data_file_planted_by_another_user_is_ignored(
        tmp_path: Path, kind: type[ParquetSink]) -> None:
    sink = kind(tmp_path)
    sink.publish(sample(), info("b0"))
    marker = tmp_path / ".published" / "b1"
    marker.write_text("")
    os.chmod(marker, 0o644)
    os.chown(marker, 65534, 65534)
    planted = tmp_path / "dataset=feedback" / "date=2024-06-01" / f"batch-b2{kind.suffix}"
    planted.parent.mkdir()
    planted.write_text("")
    os.chown(planted, 65534, 65534)
    assert not sink.published("b1") and not sink.published("b2")
    assert read_back(sink, sink.publish(sample(), info("b1"))).height == 5
    assert marker.stat().st_uid == os.geteuid()
    assert sink.publish(sample(), info("b2")) != str(planted)


def test_a_root_others_can_write_is_tightened_when_ours(tmp_path: Path) -> None:
    root = tmp_path / "published"
    previous = os.umask(0)
    try:  # a tree an older version made under umask 000
        for folder in (root, root / ".published", root / "dataset=feedback" / "date=2024-06-01"):
            folder.mkdir(parents=True, mode=0o777)
        (root / ".published" / "old").write_text("")
        os.chmod(root / ".published" / "old", 0o666)
        ParquetSink(root).publish(sample(), info("b1"))
    finally:
        os.umask(previous)
    assert all(not m & 0o022 for m in tree_modes(root).values()), tree_modes(root)
    assert ParquetSink(root).published("old")  # ours, now that nobody else can write it


@pytest.mark.skipif(os.geteuid() != 0, reason="a folder owned by another user needs root")
def test_a_root_someone_else_can_write_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    root.mkdir()
    os.chmod(root, 0o777)
    os.chown(root, 65534, 65534)
    with pytest.raises(ConfigError, match=r"shared can be written by other users \(mode 0777, "
                                          r"owner uid 65534\).*chmod go-w"):
        ParquetSink(root).publish(sample(), info("b1"))
    assert list(root.iterdir()) == []


# ---- crashes: SIGKILL while publishing -------------------------------------------------------

CHILD = """
import os, sys, time
import polars as pl
from integrity.types import BatchInfo
from integrity.gate import ParquetSink, JsonlSink, SqlSink
kind, target, rows, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
frame = pl.DataFrame({"id": range(rows), "text": [f"row {i} '\\"; --" for i in range(rows)]})
info = BatchInfo("feedback", "crash", "memory", None, None, "2024-06-11T10:00:00+00:00", rows, "h")
if pause == "before_rename":
    real = os.replace
    def replace(a, b):
        if "batch-" in str(b):
            print("staged", flush=True); time.sleep(120)
        return real(a, b)
    os.replace = replace
if pause == "mid_transaction":
    import sqlalchemy as sa
    real_execute = sa.Connection.execute
    calls = []
    def execute(self, statement, *args, **kwargs):
        out = real_execute(self, statement, *args, **kwargs)
        if getattr(statement, "table", None) is not None and statement.table.name == "crash_t":
            calls.append(1)
            if len(calls) == 2:
                print("staged", flush=True); time.sleep(120)
        return out
    sa.Connection.execute = execute
sink = SqlSink(target, "crash_t", chunk_size=100) if kind == "sql" else \\
    (ParquetSink if kind == "parquet" else JsonlSink)(target)
print("start", flush=True)
sink.publish(frame, info)
print("done", flush=True)
"""


def spawn(kind: str, target: str, rows: int, pause: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT_ENV)}
    return subprocess.Popen([sys.executable, "-c", CHILD, kind, target, str(rows), pause],
                            stdout=subprocess.PIPE, text=True, env=env)


def kill_when(child: subprocess.Popen[str], line: str) -> None:
    assert child.stdout is not None
    for got in child.stdout:
        if got.strip() == line:
            break
    else:  # pragma: no cover - the child died early
        raise AssertionError(f"child exited ({child.wait()}) before printing {line!r}")
    os.kill(child.pid, signal.SIGKILL)
    child.wait()


@pytest.mark.parametrize("kind", ["parquet", "jsonl"])
def test_sigkill_before_the_rename_leaves_no_visible_file(tmp_path: Path, kind: str) -> None:
    child = spawn(kind, str(tmp_path), 5_000, "before_rename")
    kill_when(child, "staged")
    assert child.returncode == -signal.SIGKILL
    sink: ParquetSink | JsonlSink = ParquetSink(tmp_path) if kind == "parquet" else JsonlSink(tmp_path)
    assert data_files(tmp_path) == [] and not sink.published("crash")
    assert any((tmp_path / ".staging").iterdir())  # the complete-but-unrenamed staging file
    frame = pl.DataFrame({"id": range(5_000), "text": [f"row {i} '\"; --" for i in range(5_000)]})
    path = sink.publish(frame, info("crash"))
    assert data_files(tmp_path) == [Path(path)]
    assert read_back(sink, path).height == 5_000
    assert sink.publish(frame, info("crash")) == path and data_files(tmp_path) == [Path(path)]
    assert list((tmp_path / ".staging").iterdir()) == []  # the crashed attempt's leftover is gone


@pytest.mark.parametrize("kind", FILE_SINKS)
def test_clearing_staging_spares_other_batches(tmp_path: Path, kind: type[ParquetSink]) -> None:
    staging = tmp_path / ".staging"
    staging.mkdir()
    other = staging / f"b1.5{kind.suffix}.0123456789ab.tmp"
    tricky = staging / f"b1{kind.suffix}.x{kind.suffix}.0123456789ab.tmp"
    mine = staging / f"b1{kind.suffix}.0123456789ab.tmp"
    for path in (other, tricky, mine):
        path.write_bytes(b"half")
    kind(tmp_path).publish(sample(), info("b1"))
    assert other.exists() and tricky.exists() and not mine.exists()


@pytest.mark.parametrize("kind", ["parquet", "jsonl"])
def test_sigkill_at_a_random_moment_never_shows_a_partial_batch(tmp_path: Path, kind: str) -> None:
    rng = random.Random(7)
    rows = 800_000 if kind == "parquet" else 120_000
    sink: ParquetSink | JsonlSink = ParquetSink(tmp_path) if kind == "parquet" else JsonlSink(tmp_path)
    for _ in range(3):
        child = spawn(kind, str(tmp_path), rows, "none")
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0.0, 0.5))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        for visible in data_files(tmp_path):  # whatever is visible is the whole batch
            assert read_back(sink, visible).height == rows
    frame = pl.DataFrame({"id": range(rows), "text": [f"row {i} '\"; --" for i in range(rows)]})
    path = sink.publish(frame, info("crash"))
    assert data_files(tmp_path) == [Path(path)]
    assert read_back(sink, path).height == rows


# ---- SQL ----------------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(url, schema): a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'publish.db'}", None
        return
    url = require_postgres()
    schema = f"gate_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    try:
        yield url, schema
    finally:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        engine.dispose()


def rows_of(url: str, schema: str | None, table: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        target = sa.Table(table, sa.MetaData(schema=schema), autoload_with=engine)
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(target))]
    finally:
        engine.dispose()


def ledger_of(url: str, schema: str | None) -> list[dict[str, Any]]:
    return rows_of(url, schema, LEDGER)


def test_sql_sink_round_trips_hostile_text_and_names_exactly_once(
        database: tuple[str, str | None]) -> None:
    url, schema = database
    table = 'we"ird ta\'ble; DROP TABLE x; --'
    frame = sample(14).rename({"text": 'col"; --', "score": "Mixed Case", "ok": "select"})
    sink = SqlSink(url, table, schema=schema, chunk_size=4)
    assert not sink.published("b1")
    location = sink.publish(frame, info("b1"))
    assert location.endswith(table) and "integrity:integrity@" not in location
    assert sink.published("b1")
    got = sorted(rows_of(url, schema, table), key=lambda r: r["id"])
    assert [r['col"; --'] for r in got] == frame['col"; --'].to_list()
    assert [r["Mixed Case"] for r in got] == frame["Mixed Case"].to_list()
    assert [r["select"] for r in got] == frame["select"].to_list()
    assert [r["at"] for r in got] == frame["at"].to_list()
    assert [r["tags"] for r in got] == frame["tags"].to_list()
    # exactly once: a re-run (fresh sink, as after a restart) inserts nothing
    SqlSink(url, table, schema=schema).publish(frame, info("b1"))
    assert len(rows_of(url, schema, table)) == 14
    (entry,) = ledger_of(url, schema)
    assert entry["batch_id"] == "b1" and entry["table_name"] == table and entry["rows"] == 14
    sink.publish(frame.head(3), info("b2"))
    assert len(rows_of(url, schema, table)) == 17


def test_sql_sink_failure_mid_batch_commits_nothing(database: tuple[str, str | None]) -> None:
    url, schema = database
    engine = sa.create_engine(url)
    target = sa.Table("strict", sa.MetaData(schema=schema),
                      sa.Column("id", sa.BigInteger, unique=True), sa.Column("text", sa.Text))
    target.create(engine)
    engine.dispose()
    frame = pl.DataFrame({"id": [*range(10), 3], "text": ["x"] * 11})
    sink = SqlSink(url, "strict", schema=schema, chunk_size=3)
    with pytest.raises(sa.exc.IntegrityError):
        sink.publish(frame, info("dup"))
    assert rows_of(url, schema, "strict") == [] and not sink.published("dup")
    assert sink.publish(frame.head(10), info("dup"))
    assert len(rows_of(url, schema, "strict")) == 10


def test_sql_sink_refuses_columns_the_table_lacks(database: tuple[str, str | None]) -> None:
    url, schema = database
    sink = SqlSink(url, "narrow", schema=schema)
    sink.publish(pl.DataFrame({"id": [1]}), info("one"))
    with pytest.raises(DataError, match=r"no column.*'extra'.*it has 'id'"):
        SqlSink(url, "narrow", schema=schema).publish(pl.DataFrame({"id": [2], "extra": ["x"]}),
                                                      info("two"))
    assert not sink.published("two")


def test_sql_sink_empty_frame_is_recorded(database: tuple[str, str | None]) -> None:
    url, schema = database
    sink = SqlSink(url, "empty_t", schema=schema)
    sink.publish(sample().clear(), info("e"))
    assert sink.published("e")
    assert ledger_of(url, schema)[0]["rows"] == 0


@pytest.mark.integration
def test_postgres_refuses_nul_text_without_a_partial_commit() -> None:
    url = require_postgres()
    table = f"nul_{uuid.uuid4().hex[:8]}"
    sink = SqlSink(url, table, chunk_size=2)
    frame = pl.DataFrame({"id": [1, 2, 3], "text": ["a", "b", "nul \x00 byte"]})
    try:
        with pytest.raises(sa.exc.DataError):
            sink.publish(frame, info(f"nul-{table}"))
        assert rows_of(url, None, table) == [] and not sink.published(f"nul-{table}")
    finally:
        with sink.engine.begin() as conn:
            sa.Table(table, sa.MetaData()).drop(conn, checkfirst=True)


def test_sigkill_mid_transaction_commits_nothing(database: tuple[str, str | None],
                                                 tmp_path: Path) -> None:
    url, schema = database
    if schema is not None:  # the child publishes to the default schema: give it a private one
        url_with_path = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        url = url_with_path.render_as_string(hide_password=False)
    child = spawn("sql", url, 1_000, "mid_transaction")
    kill_when(child, "staged")
    sink = SqlSink(url, "crash_t")
    assert not sink.published("crash")
    assert rows_of(url, None, "crash_t") == []
    frame = pl.DataFrame({"id": range(1_000), "text": [f"row {i} '\"; --" for i in range(1_000)]})
    sink.publish(frame, info("crash"))
    sink.publish(frame, info("crash"))
    assert len(rows_of(url, None, "crash_t")) == 1_000
    sink.engine.dispose()


def test_sql_sink_retracts_a_batch_by_its_id(database: tuple[str, str | None]) -> None:
    url, schema = database
    sink = SqlSink(url, "retract_t", schema=schema, chunk_size=4)
    sink.publish(sample(10), info("keep"))
    sink.publish(sample(6), info("take-back"))
    sink.publish(sample().clear(), info("empty"))
    assert {r["_integrity_batch_id"] for r in rows_of(url, schema, "retract_t")} == {
        "keep", "take-back"}
    assert sink.retract("take-back") == sink.location
    got = rows_of(url, schema, "retract_t")
    assert len(got) == 10 and {r["_integrity_batch_id"] for r in got} == {"keep"}
    assert sorted(e["batch_id"] for e in ledger_of(url, schema)) == ["empty", "keep"]
    assert not sink.published("take-back")
    assert sink.retract("take-back") is None and sink.retract("never") is None
    assert sink.retract("empty") == sink.location and not sink.published("empty")
    sink.publish(sample(6), info("take-back"))  # published again after its retraction
    assert len(rows_of(url, schema, "retract_t")) == 16


def test_sql_sink_cannot_retract_from_a_table_without_the_batch_column(
        database: tuple[str, str | None]) -> None:
    url, schema = database
    engine = sa.create_engine(url)
    sa.Table("theirs", sa.MetaData(schema=schema), sa.Column("id", sa.BigInteger)).create(engine)
    engine.dispose()
    sink = SqlSink(url, "theirs", schema=schema)
    sink.publish(pl.DataFrame({"id": [1, 2]}), info("b1"))
    assert [r["id"] for r in rows_of(url, schema, "theirs")] == [1, 2]  # never altered
    with pytest.raises(DataError, match=r"no column '_integrity_batch_id'.*2 rows of batch 'b1'.*"
                                        r"by hand.*integrity_published_batches"):
        sink.retract("b1")
    assert sink.published("b1") and len(rows_of(url, schema, "theirs")) == 2


def test_sql_type_refuses_python_objects() -> None:
    from integrity.gate.sql import sql_type

    with pytest.raises(DataError, match=r"column 'o'.*cast it"):
        sql_type(pl.Object(), "o")


# ---- make_sink ----------------------------------------------------------------------------------

def test_make_sink_builds_each_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parquet = make_sink(PublishConfig(), dataset="feedback", data_root=tmp_path)
    assert isinstance(parquet, ParquetSink) and parquet.root == tmp_path / "published"
    jsonl = make_sink(PublishConfig(kind="jsonl", path=str(tmp_path / "ft")), dataset="feedback",
                      data_root=tmp_path)
    assert isinstance(jsonl, JsonlSink) and jsonl.root == tmp_path / "ft"
    monkeypatch.setenv("INTEGRITY_TEST_DB", str(tmp_path / "x.db"))
    sql = make_sink(PublishConfig(kind="sql", url="sqlite:///${INTEGRITY_TEST_DB}"),
                    dataset="feedback", data_root=tmp_path)
    assert isinstance(sql, SqlSink) and sql.table_name == "feedback"
    sql.publish(pl.DataFrame({"id": [1]}), info("m"))
    assert (tmp_path / "x.db").exists()
    with pytest.raises(ConfigError, match=r"publish\.url is required"):
        make_sink(PublishConfig(kind="sql"), dataset="feedback", data_root=tmp_path)


def test_file_sinks_read_back_what_they_published(tmp_path: Path) -> None:
    from integrity.gate.sinks import JsonlSink, ParquetSink

    frame = pl.DataFrame({"id": [1, 2], "text": ["a", "ü"]})
    for sink in (ParquetSink(tmp_path / "p"), JsonlSink(tmp_path / "j")):
        assert sink.read("b1") is None  # nothing there yet
        info = BatchInfo("ds", "b1", "src", None, None, "2026-01-01T00:00:00+00:00", 2, "h")
        sink.publish(frame, info)
        back = sink.read("b1")
        assert back is not None and back.collect().to_dicts() == frame.to_dicts()
        empty = BatchInfo("ds", "b2", "src", None, None, "2026-01-01T00:00:00+00:00", 0, "h")
        sink.publish(frame.clear(), empty)
        assert sink.read("b2") is None
        sink.retract("b1")
        assert sink.read("b1") is None


def test_the_sql_sink_reads_a_batch_back_by_its_id(tmp_path: Path) -> None:
    from integrity.gate.sql import SqlSink

    sink = SqlSink(f"sqlite:///{tmp_path / 'w.db'}", "feedback")
    assert sink.read("b1") is None
    for batch_id, rows in (("b1", [1, 2]), ("b2", [3])):
        info = BatchInfo("ds", batch_id, "src", None, None, "2026-01-01T00:00:00+00:00",
                         len(rows), "h")
        sink.publish(pl.DataFrame({"id": rows, "text": ["x"] * len(rows)}), info)
    back = sink.read("b1")
    assert back is not None and back.collect().to_dicts() == [{"id": 1, "text": "x"},
                                                              {"id": 2, "text": "x"}]
