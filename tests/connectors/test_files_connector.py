"""FilesConnector: new files since the last run, cursor watermarks, and clear errors on bad files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from integrity.connectors import registry
from integrity.connectors.base import Connector, Watermark
from integrity.connectors.files import FilesConnector
from integrity.errors import ConfigError, DataError


def write_csv(path: Path, rows: list[tuple[int, str, str]]) -> Path:
    lines = ["id,updated_at,body"] + [f"{i},{ts},{body}" for i, ts, body in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_without_a_cursor_only_new_files_are_pulled(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", [(1, "2024-01-01", "x")])
    write_csv(tmp_path / "b.csv", [(2, "2024-01-02", "y")])
    conn = FilesConnector(settle_seconds=0, dataset="fb", path=str(tmp_path / "*.csv"))
    first = conn.pull(Watermark())
    assert sorted(first.frame["id"].to_list()) == [1, 2]
    assert len(first.next_watermark.files) == 2

    write_csv(tmp_path / "c.csv", [(3, "2024-01-03", "z")])
    second = conn.pull(first.next_watermark)
    assert second.frame["id"].to_list() == [3]
    assert second.info.watermark_to == [str((tmp_path / "c.csv").resolve())]
    assert len(second.next_watermark.files) == 3


def test_no_new_file_is_an_empty_batch_with_the_columns(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", [(1, "2024-01-01", "x")])
    conn = FilesConnector(settle_seconds=0, dataset="fb", path=str(tmp_path / "*.csv"))
    first = conn.pull(Watermark())
    again = conn.pull(first.next_watermark)
    assert again.frame.height == 0
    assert again.frame.columns == ["id", "updated_at", "body"]
    assert again.info.row_count == 0
    assert again.next_watermark == first.next_watermark


def test_cursor_boundary_is_deduplicated(tmp_path: Path) -> None:
    pl.DataFrame({"id": [1, 2, 3], "seq": [1, 2, 2]}).write_parquet(tmp_path / "p1.parquet")
    conn = FilesConnector(settle_seconds=0, dataset="fb", cursor="seq", path=str(tmp_path / "*.parquet"))
    first = conn.pull(Watermark())
    assert first.frame["id"].to_list() == [1, 2, 3]
    assert first.next_watermark.value == 2
    # A late row with the boundary value arrives, and a newer one.
    pl.DataFrame({"id": [4, 5], "seq": [2, 3]}).write_parquet(tmp_path / "p2.parquet")
    second = conn.pull(first.next_watermark)
    assert sorted(second.frame["id"].to_list()) == [4, 5]
    third = conn.pull(second.next_watermark)
    assert third.frame.height == 0


def test_backfill_from_to(tmp_path: Path) -> None:
    pl.DataFrame({"id": [1, 2, 3, 4], "seq": [10, 20, 30, 40]}).write_parquet(tmp_path / "p.parquet")
    conn = FilesConnector(settle_seconds=0, dataset="fb", cursor="seq", path=str(tmp_path / "p.parquet"))
    batch = conn.pull(Watermark(20), until=30)
    assert batch.frame["id"].to_list() == [2, 3]


def test_ndjson_and_datetime_cursor(tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_text(
        '{"id": 1, "at": "2024-01-01T00:00:00"}\n{"id": 2, "at": "2024-01-02T00:00:00"}\n')
    conn = FilesConnector(settle_seconds=0, dataset="ev", cursor="at", path=str(tmp_path / "e.jsonl"))
    batch = conn.pull(Watermark("2024-01-02T00:00:00"))
    assert batch.frame["id"].to_list() == [2]


def test_format_override_reads_an_unusual_extension(tmp_path: Path) -> None:
    write_csv(tmp_path / "export.txt", [(1, "2024-01-01", "x")])
    batch = FilesConnector(settle_seconds=0, dataset="fb", path=str(tmp_path / "export.txt"), format="csv").pull(Watermark())
    assert batch.frame["id"].to_list() == [1]


def test_unknown_format_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown file format 'csvv'.*Did you mean 'csv'"):
        FilesConnector(settle_seconds=0, dataset="fb", path="x.csv", format="csvv")


def test_renamed_cursor_column_names_it(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", [(1, "2024-01-01", "x")])
    conn = FilesConnector(settle_seconds=0, dataset="fb", cursor="updated", path=str(tmp_path / "a.csv"))
    with pytest.raises(ConfigError, match=r"cursor column 'updated'.*Did you mean 'updated_at'"):
        conn.pull(Watermark())


def test_files_with_different_columns_fail_naming_the_file(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", [(1, "2024-01-01", "x")])
    (tmp_path / "b.csv").write_text("id,modified_at,body\n2,2024-01-02,y\n", encoding="utf-8")
    conn = FilesConnector(settle_seconds=0, dataset="fb", path=str(tmp_path / "*.csv"))
    with pytest.raises(DataError, match=r"b\.csv: its columns differ.*missing updated_at; "
                                        r"unexpected modified_at"):
        conn.pull(Watermark())


def test_malformed_csv_row_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text('id,body\n1,ok\n2,"broken\n3,fine\n', encoding="utf-8")
    conn = FilesConnector(settle_seconds=0, dataset="fb", path=str(tmp_path / "bad.csv"))
    with pytest.raises(DataError, match=r"bad\.csv:3"):
        conn.pull(Watermark())


def test_wrong_encoding_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "latin.csv").write_bytes("id,body\n1,ok\n2,caf\u00e9\n".encode("latin-1"))
    conn = FilesConnector(settle_seconds=0, dataset="fb", path=str(tmp_path / "latin.csv"))
    with pytest.raises(DataError, match=r"latin\.csv:3: not UTF-8"):
        conn.pull(Watermark())


def test_glob_matching_nothing_is_a_clear_error(tmp_path: Path) -> None:
    conn = FilesConnector(settle_seconds=0, dataset="fb", path=str(tmp_path / "*.parquet"))
    with pytest.raises(DataError, match="no file matches"):
        conn.pull(Watermark())


def test_registry_builds_files_connectors_and_checks_params(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", [(1, "2024-01-01", "x")])
    reg = registry()
    assert {"files", "sql", "http", "memory"} <= set(reg.factories)
    with reg.create("files", "fb", None, {"path": str(tmp_path / "a.csv"), "settle_seconds": 0}) as conn:
        assert isinstance(conn, Connector)
        assert conn.pull(Watermark()).frame.height == 1
    with pytest.raises(ConfigError, match="parameters"):
        reg.create("files", "fb", None, {"pth": "a.csv"})
    with pytest.raises(ConfigError, match="Did you mean 'files'"):
        reg.create("filez", "fb", None, {})


def test_importing_the_package_does_not_import_drivers() -> None:
    import subprocess
    import sys

    code = ("import sys, integrity.connectors; print([m for m in ('sqlalchemy', 'integrity.connectors.sql',"
            " 'integrity.connectors.http', 'adbc_driver_postgresql', 'connectorx') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
