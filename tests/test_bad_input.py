"""Every bad input ends in exit code 2 and one clear message naming the file (and line) - never a
traceback. Real files in tmp_path, the real ``integrity`` command."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.clirun import Run, integrity

GOOD_SUITE = {"name": "t", "expectations": [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}]}


def write_suite(tmp_path: Path, body: object = GOOD_SUITE, name: str = "suite.json") -> Path:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body, indent=1))
    return path


def good_parquet(tmp_path: Path) -> Path:
    path = tmp_path / "good.parquet"
    pl.DataFrame({"a": list(range(1000)), "b": [f"v{i}" for i in range(1000)]}).write_parquet(path)
    return path


def input_error(run: Run, *fragments: str) -> str:
    assert run.code == 2, (run.code, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in run.stderr, run.stderr
    return run.stderr


# --- data files ---------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    input_error(integrity("validate", str(missing), "--suite", str(write_suite(tmp_path))),
                str(missing), "file not found")


def test_glob_matching_nothing(tmp_path: Path) -> None:
    pattern = str(tmp_path / "batch-*.parquet")
    input_error(integrity("validate", pattern, "--suite", str(write_suite(tmp_path))),
                pattern, "no file matches")


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"PK\x03\x04")
    input_error(integrity("validate", str(path), "--suite", str(write_suite(tmp_path))),
                str(path), ".parquet")


def test_truncated_parquet(tmp_path: Path) -> None:
    whole = good_parquet(tmp_path).read_bytes()
    path = tmp_path / "truncated.parquet"
    path.write_bytes(whole[: len(whole) // 2])
    input_error(integrity("validate", str(path), "--suite", str(write_suite(tmp_path))),
                str(path), "not a readable Parquet file", "truncated")


def test_truncated_parquet_inside_a_glob_is_named(tmp_path: Path) -> None:
    good = good_parquet(tmp_path)
    (tmp_path / "part-1.parquet").write_bytes(good.read_bytes())
    (tmp_path / "part-2.parquet").write_bytes(good.read_bytes()[:100])
    good.unlink()
    run = integrity("validate", str(tmp_path / "part-*.parquet"), "--suite", str(write_suite(tmp_path)))
    input_error(run, str(tmp_path / "part-2.parquet"))


def test_csv_with_a_broken_quote_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "feedback.csv"
    path.write_text('a,b,c\n1,"fine",2\n2,"never closed,3\n3,"x",4\n4,"y",5\n')
    input_error(integrity("validate", str(path), "--suite", str(write_suite(tmp_path))),
                f"{path}:3:", "quot")


def test_non_utf8_csv_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b\n1,ok\n2,café\n".encode("latin-1"))
    input_error(integrity("validate", str(path), "--suite", str(write_suite(tmp_path))),
                f"{path}:3:", "UTF-8")


def test_value_of_the_wrong_type_deep_in_a_csv_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = "".join(f"{i},x\n" for i in range(12_000))
    path.write_text("a,b\n" + rows + "twelve,y\n")
    input_error(integrity("validate", str(path), "--suite", str(write_suite(tmp_path))),
                f"{path}:12002:", "column 'a'", "'twelve'")


def test_broken_json_lines_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\n{"a": 2\n{"a": 3}\n')
    input_error(integrity("validate", str(path), "--suite", str(write_suite(tmp_path))),
                f"{path}:2:", "not valid JSON")


# --- suites -------------------------------------------------------------------------------------


def test_column_of_the_wrong_type_for_the_expectation(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, {"name": "t", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "b", "min_value": 1, "max_value": 5}}]})
    input_error(integrity("validate", str(good_parquet(tmp_path)), "--suite", str(suite)),
                str(suite), "expectation #1", "expect_column_values_to_be_between", "'b'")


def test_suite_that_is_not_valid_json_names_file_and_line(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, '{"name": "t",\n "expectations": [\n  {"type": "x",}\n ]}\n')
    input_error(integrity("validate", str(good_parquet(tmp_path)), "--suite", str(suite)),
                f"{suite}:3:", "not valid JSON")


def test_yaml_suite_with_a_syntax_error(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, "name: t\nexpectations:\n  - type: expect_column_values_to_not_be_null\n"
                        "    kwargs: {column: a\n  - type: b\n", name="suite.yaml")
    input_error(integrity("validate", str(good_parquet(tmp_path)), "--suite", str(suite)),
                f"{suite}:", "not valid YAML")


def test_unknown_expectation_type_lists_close_matches(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, {"name": "t", "expectations": [
        {"type": "expect_column_values_to_not_be_nul", "kwargs": {"column": "a"}}]})
    input_error(integrity("validate", str(good_parquet(tmp_path)), "--suite", str(suite)),
                str(suite), "expectation #0", "unknown expectation type",
                "Did you mean 'expect_column_values_to_not_be_null'")


def test_regex_that_does_not_compile(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, {"name": "t", "expectations": [
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "b", "regex": "([a-z"}}]})
    input_error(integrity("validate", str(good_parquet(tmp_path)), "--suite", str(suite)),
                str(suite), "expectation #0", "argument 'regex'", "([a-z")


def test_missing_column_lists_the_batch_columns(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, {"name": "t", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "bb"}}]})
    input_error(integrity("validate", str(good_parquet(tmp_path)), "--suite", str(suite)),
                str(suite), "column 'bb' is not in the batch", "The batch has: a, b",
                "Did you mean 'b'")


def test_missing_suite_file(tmp_path: Path) -> None:
    input_error(integrity("validate", str(good_parquet(tmp_path)), "--suite",
                          str(tmp_path / "absent.json")), "absent.json", "not found")


@pytest.mark.parametrize("hostile", ["[bold]x[/bold]", "[/]"])
def test_hostile_file_names_are_escaped(tmp_path: Path, hostile: str) -> None:
    missing = tmp_path / f"{hostile}.csv"
    input_error(integrity("validate", str(missing), "--suite", str(write_suite(tmp_path))),
                str(missing))
