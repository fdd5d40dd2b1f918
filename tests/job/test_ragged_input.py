"""A CSV source with rows of the wrong number of fields, through the files connector and the job:
refused with the line by default; with ``allow_ragged: true`` every ragged row is quarantined
whole (every field kept) and the rest publish, so no row is cut or lost."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from integrity.connectors.base import Watermark
from integrity.connectors.files import FilesConnector
from integrity.errors import ConfigError, DataError
from integrity.job import Project, run
from tests.cli.test_run_cli import clear_error, cli
from tests.job.test_run import HEADER, csv_rows, make_project, published_ids, quarantined_ids

# Row 4 has a field too many (an unquoted comma in its text), row 7 one too few.
RAGGED = (HEADER + csv_rows(range(0, 4)) + "4,C-4,3,hello, world\n" + csv_rows(range(5, 7))
          + "7,C-7\n" + csv_rows(range(8, 10)))


def ragged_project(root: Path, *, allow: bool | None) -> Project:
    source = root / "src" / "feedback.csv"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(RAGGED, encoding="utf-8")
    params: dict[str, object] = {"path": str(source), "settle_seconds": 0}
    if allow is not None:
        params["allow_ragged"] = allow
    return make_project(root, connector={"type": "files", "params": params})


def test_ragged_rows_refuse_the_file_naming_the_first_line(tmp_path: Path) -> None:
    root = ragged_project(tmp_path, allow=None).root
    result = cli("run", "feedback", "--project", str(root))
    clear_error(result, f"{root / 'src' / 'feedback.csv'}:6: 5 fields, but the header has 4.",
                "allow_ragged: true")
    assert published_ids(root) == [] and quarantined_ids(root) == []


def test_allow_ragged_quarantines_each_ragged_row_whole_and_publishes_the_rest(
        tmp_path: Path) -> None:
    project = ragged_project(tmp_path, allow=True)
    root = project.root
    assert run(project, "feedback").exit_code == 1
    assert published_ids(root) == [0, 1, 2, 3, 5, 6, 8, 9]
    assert quarantined_ids(root) == [4, 7]
    (held,) = (root / "state" / "data" / "quarantine" / "feedback").glob("*/rows.parquet")
    rows = pl.read_parquet(held).sort("id")
    assert [json.loads(v) for v in rows["_integrity_ragged"]] == [
        {"line": 6, "fields": ["4", "C-4", "3", "hello", " world"]},
        {"line": 9, "fields": ["7", "C-7"]}]
    reasons = [json.loads(r) for r in rows["_integrity_reasons"]]
    assert all(any(x["column"] == "_integrity_ragged" for x in r) for r in reasons)
    published = (root / "state" / "data" / "published").rglob("*.parquet")
    assert all("_integrity_ragged" not in pl.read_parquet_schema(f) for f in published)


def test_the_files_connector_keeps_ragged_rows_only_when_allowed(tmp_path: Path) -> None:
    source = tmp_path / "feedback.csv"
    source.write_text(RAGGED, encoding="utf-8")
    with pytest.raises(DataError, match=r"feedback.csv:6: 5 fields, but the header has 4"):
        FilesConnector(dataset="fb", cursor="id", path=str(source),
                       settle_seconds=0).pull(Watermark())
    batch = FilesConnector(dataset="fb", cursor="id", path=str(source), settle_seconds=0,
                           allow_ragged=True).pull(Watermark())
    assert batch.frame.height == 10 and batch.frame["id"].to_list() == list(range(10))
    flagged = batch.frame.filter(pl.col("_integrity_ragged").is_not_null())
    assert flagged["id"].to_list() == [4, 7] and flagged["text"].to_list() == ["hello", None]
    with pytest.raises(ConfigError, match="allow_ragged must be true or false"):
        FilesConnector(dataset="fb", path=str(source), allow_ragged="yes")  # type: ignore[arg-type]
