"""``integrity run`` through the real console script on rows a watermark alone would skip and on a
hostile landing folder: the summary lines, the exit codes, and SIGKILL at every stage of a run that
holds late rows (each row still lands exactly once)."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import polars as pl
import pytest
import yaml

from integrity.job import FAILPOINT_ENV, Project, run
from tests.cli.test_run_cli import cli
from tests.job.test_run import make_project, published_ids, quarantined_ids

STAGES = ["after_pull", "after_stage", "after_begin", "after_validate", "after_publish",
          "after_quarantine", "after_complete"]


def sqlite_project(root: Path, rows: list[tuple[int, int | None]], **extra: str) -> Project:
    add(root, rows)
    return make_project(root, connector={"type": "sql", "params": {
        "url": f"sqlite:///{root / 'src.db'}", "table": "feedback"}},
        cursor={"column": "seq"}, extra=dict(extra) or None)


def add(root: Path, rows: list[tuple[int, int | None]]) -> None:
    with sqlite3.connect(root / "src.db") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS feedback (id INTEGER, customer_id TEXT, "
                     "rating INTEGER, text TEXT, seq INTEGER)")
        conn.executemany("INSERT INTO feedback VALUES (?, ?, 3, ?, ?)",
                         [(i, f"C-{i}", f"text {i}", seq) for i, seq in rows])


def run_cli(project: Project, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = cli("run", "feedback", "--project", str(project.root), env=env)
    assert "Traceback" not in result.stdout + result.stderr
    return result.code, result.stdout


def test_null_cursors_are_quarantined_and_said_in_the_summary(tmp_path: Path) -> None:
    project = sqlite_project(tmp_path, [(i, None if i < 3 else i) for i in range(10)])
    code, out = run_cli(project)
    assert code == 1
    assert "3 rows with a NULL cursor (seq): quarantined (late_rows: quarantine)" in out
    assert "something was quarantined (exit 1)" in out
    assert run_cli(project) == (0, "feedback: no new rows.\n")
    definition = yaml.safe_load((tmp_path / "connectors" / "feedback.yaml").read_text())
    (tmp_path / "connectors" / "feedback.yaml").write_text(yaml.safe_dump(
        {**definition, "late_rows": "drop"}))
    add(tmp_path, [(20, 1), (21, None), (22, 30)])
    code, out = run_cli(project)
    assert code == 0
    assert "1 late rows (cursor seq below the watermark 9, arrived after it moved): dropped, not " \
           "published (late_rows: drop)" in out
    assert "2 late or NULL-cursor rows dropped (late_rows: drop), every other row published " \
           "(exit 0)" in out
    assert published_ids(tmp_path) == [*range(3, 10), 22] and quarantined_ids(tmp_path) == [0, 1, 2]


def test_a_hostile_landing_folder_is_reported_line_by_line(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    frame = pl.DataFrame({"id": [1, 2], "customer_id": ["C-1", "C-2"], "rating": [3, 3],
                          "text": ["a", "b"]})
    frame.write_csv(landing / "a.csv")
    old = time.time() - 60
    os.utime(landing / "a.csv", (old, old))
    (tmp_path / "outside.csv").write_text("id\n99\n")
    (landing / "evil\x1b[31m.csv").symlink_to(tmp_path / "outside.csv")
    (landing / "loop").symlink_to(landing, target_is_directory=True)
    frame.write_csv(landing / "fresh.csv")  # being written: not settled yet
    project = make_project(tmp_path, cursor=None, connector={"type": "files", "params": {
        "path": str(landing / "**" / "*.csv"), "follow_symlinks": True, "settle_seconds": 30}})
    code, out = run_cli(project)
    assert code == 0 and "every row published (exit 0)" in out
    assert "link refused: " in out and "evil\\x1b[31m.csv: links to" in out
    assert "\x1b" not in out
    assert "link loop: " in out and "not settled yet: " in out
    assert published_ids(tmp_path) == [1, 2]
    code, out = run_cli(project)  # nothing new: still said, never silent
    assert code == 0 and out.endswith("feedback: no new rows.\n")
    assert "feedback: link refused: " in out and "feedback: not settled yet: " in out


@pytest.mark.parametrize("stage", STAGES)
def test_a_run_killed_while_it_holds_late_rows_lands_each_row_once(tmp_path: Path, stage: str) -> None:
    project = sqlite_project(tmp_path, [(i, i) for i in range(10)])
    assert run(project, "feedback").exit_code == 0
    add(tmp_path, [(20, 2), (21, None), (22, 40), (23, 5)])
    killed, _ = run_cli(project, env={FAILPOINT_ENV: stage})
    assert killed == -9
    code, _ = run_cli(project)
    assert code in (0, 1)
    assert run(project, "feedback").batches == []
    assert published_ids(tmp_path) == [*range(10), 22]
    assert quarantined_ids(tmp_path) == [20, 21, 23]
