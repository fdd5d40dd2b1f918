"""Customer text is hostile to terminals too: every data-derived value the CLI prints (cells, column
names, suite names, file names, reasons, error lines) reaches the terminal with its control
characters, ESC sequences and bidi overrides shown as visible escapes, never acted on."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from tests.cli.test_run_cli import cli
from tests.clirun import Run, integrity
from tests.job.test_run import make_project

#: A column name and values that would clear the screen, rewrite the line, hide text, reorder it.
COLUMN = "na\x1b[2Jme\u202e"
VALUES = ["ok", None, "x\x1b[31mred\r\x00\u202eevil\x9b[2J\u2028end\x07"]
RAW = ("\x1b", "\x00", "\r", "\u202e", "\x9b", "\u2028", "\x07")


def no_raw_controls(result: Run) -> str:
    """stdout + stderr, checked to hold none of the raw characters."""
    text = result.stdout + result.stderr
    for char in RAW:
        assert char not in text, (char, text)
    assert "Traceback" not in text
    return text


def hostile_parquet(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"id": [1, 2, 3], COLUMN: VALUES}).write_parquet(path)
    return path


def suite_file(path: Path, *expectations: dict[str, object], name: str = "s") -> Path:
    path.write_text(json.dumps({"name": name, "expectations": list(expectations)}))
    return path


def test_validate_escapes_values_column_names_suite_and_file_names(tmp_path: Path) -> None:
    data = hostile_parquet(tmp_path / "in\x1b[2Jput.parquet")
    suite = suite_file(tmp_path / "suite.json",
                       {"type": "expect_column_values_to_be_in_set",
                        "kwargs": {"column": COLUMN, "value_set": ["ok"]}},
                       {"type": "expect_column_distinct_values_to_be_in_set",
                        "kwargs": {"column": COLUMN, "value_set": ["ok"]}},
                       name="suite\x1b]0;pwned\x07")
    for columns in (200, 80):
        result = integrity("validate", data.name, "--suite", str(suite), columns=columns,
                           cwd=tmp_path)
        assert result.code == 1, result.stderr
        text = no_raw_controls(result)
        assert "suite\\x1b]0;pwned\\x07 on in\\x1b[2Jput.parquet" in text
        assert "na\\x1b[2Jme\\u202e" in text
        assert "1 unexpected (50.0%): 'x\\x1b[31mred\\r\\x00\\u202eevil…" in text


def test_validate_error_lines_escape_the_column_they_name(tmp_path: Path) -> None:
    data = hostile_parquet(tmp_path / "input.parquet")
    suite = suite_file(tmp_path / "suite.json", {"type": "expect_column_values_to_not_be_null",
                                                  "kwargs": {"column": "evil\x1b[2J\r\u202e"}})
    result = integrity("validate", str(data), "--suite", str(suite))
    assert result.code == 2
    no_raw_controls(result)
    (line,) = result.stderr.splitlines()  # one line: an escaped \r or \n cannot start another
    assert line.startswith("error: ") and "'evil\\x1b[2J\\r\\u202e' is not in the batch" in line
    assert "na\\x1b[2Jme\\u202e" in line  # the batch's columns, listed as a hint


def test_json_on_stdout_escapes_what_json_leaves_raw_and_decodes_to_the_same_values(
        tmp_path: Path) -> None:
    data = hostile_parquet(tmp_path / "input.parquet")
    suite = suite_file(tmp_path / "suite.json", {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": COLUMN, "value_set": ["ok"], "result_format": "COMPLETE"}})
    result = integrity("validate", str(data), "--suite", str(suite), "--json", "-")
    assert result.code == 1, result.stderr
    no_raw_controls(result)
    decoded = json.loads(result.stdout)["results"][0]
    assert decoded["expectation_config"]["kwargs"]["column"] == COLUMN
    assert decoded["result"]["unexpected_list"] == [VALUES[2]]


def test_the_job_commands_escape_data_and_column_names(tmp_path: Path) -> None:
    source = hostile_parquet(tmp_path / "src" / "feedback.parquet")
    suite = {"name": "s", "expectations": [
        {"type": "expect_column_values_to_not_be_in_set",
         "kwargs": {"column": COLUMN, "value_set": ["ok"]}},
        {"type": "expect_column_values_to_be_in_set",
         "kwargs": {"column": COLUMN, "value_set": ["ok"]}, "meta": {"action": "warn"}}]}
    project = make_project(tmp_path, suite=suite,
                           connector={"type": "files", "params": {"path": str(source), "settle_seconds": 0}})
    root = ["--project", str(project.root)]
    summary = cli("run", "feedback", *root)
    assert summary.code == 1, summary.stderr
    text = no_raw_controls(summary)
    assert "#0 expect_column_values_to_not_be_in_set on na\\x1b[2Jme\\u202e" in text
    assert "#1 expect_column_values_to_be_in_set on na\\x1b[2Jme\\u202e" in text  # the warning

    listed = cli("quarantine", "list", *root)
    assert "on na\\x1b[2Jme\\u202e" in no_raw_controls(listed)
    (entry_id,) = [line.split()[1] for line in listed.stdout.splitlines() if "-rows" in line]
    shown = cli("quarantine", "show", entry_id, *root)
    assert shown.code == 0, shown.stderr
    shown_text = no_raw_controls(shown)
    assert "na\\x1b[2Jme\\u202e  'ok'" in shown_text  # the held row, its column named safely
    assert "#0 column_values_to_not_be_in_set" in shown_text
    no_raw_controls(cli("batches", "list", *root))


def test_a_suite_that_cannot_run_is_reported_escaped_in_the_run_summary(tmp_path: Path) -> None:
    source = hostile_parquet(tmp_path / "src" / "feedback.parquet")
    suite = {"name": "s", "expectations": [{"type": "expect_column_values_to_not_be_null",
                                            "kwargs": {"column": "gone\x1b[2J\r"}}]}
    project = make_project(tmp_path, suite=suite,
                           connector={"type": "files", "params": {"path": str(source), "settle_seconds": 0}})
    summary = cli("run", "feedback", "--project", str(project.root))
    assert summary.code == 1, summary.stderr
    text = no_raw_controls(summary).replace("\n", "")
    # The expectation could not run (its column is missing): it holds the batch, escaped.
    assert "could not run" in text and "'gone\\x1b[2J\\r' is not in the batch" in text
