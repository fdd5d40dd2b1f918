"""Every bad input ends in exit code 2 and one clear message naming the file (and line) - never a
traceback. Real files in tmp_path, the real ``integrity`` command."""

from __future__ import annotations

import json
import random
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
    """Exit 2 and one line on stderr, ``error: ...``, holding every fragment."""
    assert run.code == 2, (run.code, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("error: ")
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
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


# --- files that are not text, too wide, or ragged -----------------------------------------------

RAGGED_HINT = ("Fix the separators or quoting, or allow ragged rows to quarantine them (validate "
               "--allow-ragged; allow_ragged: true in the dataset's connector params).")


@pytest.mark.parametrize("size", [40, 5000])
@pytest.mark.parametrize(("name", "kind"), [("data.csv", "CSV"), ("events.jsonl", "JSON lines")])
def test_random_bytes_are_named_as_not_text(tmp_path: Path, name: str, kind: str, size: int) -> None:
    path = tmp_path / name
    noise = random.Random(size)
    path.write_bytes(bytes(noise.randrange(256) for _ in range(size)))
    run = integrity("validate", str(path), "--suite", str(write_suite(tmp_path)))
    assert run.stderr == (f"error: {path}: not a text file (binary content from the start); a "
                          f"{kind} file must be UTF-8 text. Check that this is the file you "
                          "meant.\n")
    input_error(run)


@pytest.mark.parametrize(("content", "says"), [
    (b"PAR1\x15\x04\x15\x10", "it looks like a Parquet file: give it the .parquet extension"),
    (b"PK\x03\x04\x14\x00\x06\x00", "it looks like a ZIP archive"),
    (b"\x1f\x8b\x08\x00", "it looks gzip-compressed: decompress it first"),
])
def test_a_known_binary_format_under_a_csv_name_says_what_it_looks_like(
        tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content + bytes(range(256)) * 4)
    input_error(integrity("validate", str(path), "--suite", str(write_suite(tmp_path))),
                f"{path}: not a text file ({says}", "must be UTF-8 text")


def test_utf16_csv_says_utf16(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("a,b\n1,x\n".encode("utf-16"))
    input_error(integrity("validate", str(path), "--suite", str(write_suite(tmp_path))),
                f"{path}: UTF-16 text, not UTF-8. Re-save it as UTF-8")


@pytest.mark.parametrize(("rows", "line", "fields"), [
    ("1,x,2\n2,y,3,extra\n3,z,4\n", 3, 4),   # a field too many: polars dropped it when only 'a' is read
    ("1,x,2\n2,y\n3,z,4\n", 3, 2),           # a field short: polars filled it with null
    ("1,x,2\n2,y,3\n3,z,4\n4,w\n", 5, 2),    # on the last line, without a newline before EOF
])
def test_a_ragged_csv_row_is_an_input_error_with_its_line(tmp_path: Path, rows: str, line: int,
                                                           fields: int) -> None:
    path = tmp_path / "feedback.csv"
    path.write_text("a,b,c\n" + rows)
    run = integrity("validate", str(path), "--suite", str(write_suite(tmp_path)))
    assert run.stderr == (f"error: {path}:{line}: {fields} fields, but the header has 3. "
                          f"{RAGGED_HINT}\n")
    input_error(run)


def test_a_ragged_row_deep_in_a_big_csv_and_in_a_tsv(tmp_path: Path) -> None:
    path = tmp_path / "big.tsv"
    path.write_text("a\tb\n" + "".join(f"{i}\tx\n" for i in range(30_000)) + "7\n")
    input_error(integrity("validate", str(path), "--suite", str(write_suite(tmp_path))),
                f"{path}:30002: 1 field, but the header has 2.")


def test_allow_ragged_quarantines_each_ragged_row_whole(tmp_path: Path) -> None:
    path = tmp_path / "feedback.csv"
    path.write_text('a,b,c\n1,x,2\n2,"y, quoted",3,extra\n3,z\n4,w,5\n')
    out = tmp_path / "result.json"
    run = integrity("validate", str(path), "--suite", str(write_suite(tmp_path)), "--allow-ragged",
                    "--json", str(out))
    assert run.code == 1, run.stderr  # failed, not refused
    result = json.loads(out.read_text())
    own, ragged = result["results"]
    assert own["success"] and own["result"]["element_count"] == 4  # every row, none cut
    assert ragged["expectation_config"]["type"] == "expect_column_values_to_be_null"
    assert ragged["expectation_config"]["kwargs"] == {"column": "_integrity_ragged"}
    assert not ragged["success"] and ragged["result"]["unexpected_count"] == 2
    assert [json.loads(v) for v in ragged["result"]["partial_unexpected_list"]] == [
        {"line": 3, "fields": ["2", "y, quoted", "3", "extra"]},
        {"line": 4, "fields": ["3", "z"]}]


def test_a_header_line_over_the_limit_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes(b"col" * 400_000 + b"\n1\n")  # 1.2 MB, no separator
    run = integrity("validate", str(path), "--suite", str(write_suite(tmp_path)))
    assert run.stderr == (f"error: {path}:1: the header line is longer than 1024 KiB; the first "
                          "line must name the columns. Check the separator and the line endings, "
                          "or that this is the file you meant.\n")
    input_error(run)


def test_a_column_name_over_the_limit_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("a," + "n" * 5000 + "\n1,2\n")
    run = integrity("validate", str(path), "--suite", str(write_suite(tmp_path)))
    assert run.stderr == (f"error: {path}:1: column 2 has a name of 5,000 characters; the limit "
                          "is 1,000. Check the separator and the quoting of the header line.\n")
    input_error(run)


def test_a_missing_column_lists_only_the_first_columns_of_a_wide_file(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(500)) + "\n" + ",".join("1" * 500) + "\n")
    message = input_error(integrity("validate", str(path), "--suite", str(write_suite(tmp_path))),
                          "The batch has: c0, c1,", "c19, … (480 more).")
    assert "c20," not in message


# --- empty columns and empty files validate as in GX --------------------------------------------

NUMERIC_SUITE = {"name": "t", "expectations": [
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "b", "min_value": 0,
                                                             "max_value": 10}},
    {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "b", "regex": "^x"}},
    {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a", "value_set": [1, 2]}},
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "b"}}]}


@pytest.mark.parametrize("body", ["a,b\n1,\n2,\n", "a,b\r\n1,\r\n\r\n", "a,b\n"])
def test_an_all_empty_column_and_a_header_only_csv_run_every_expectation(
        tmp_path: Path, body: str) -> None:
    """GX reads an empty CSV column as a float column of NaN and runs a numeric bound on it; each
    of these holds vacuously (GX's verdicts)."""
    path = tmp_path / "empty.csv"
    path.write_text(body)
    out = tmp_path / "result.json"
    run = integrity("validate", str(path), "--suite", str(write_suite(tmp_path, NUMERIC_SUITE)),
                    "--json", str(out))
    assert run.code == 0, run.stderr
    result = json.loads(out.read_text())
    assert [r["success"] for r in result["results"]] == [True] * 4
    assert result["meta"]["columns"]["b"] == "Null"


def test_a_late_value_in_a_column_empty_in_its_first_rows_keeps_the_column(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("a,b\n" + "1,\n" * 12_000 + "2,late\n")
    out = tmp_path / "result.json"
    suite = {"name": "t", "expectations": [
        {"type": "expect_column_values_to_be_null", "kwargs": {"column": "b"}}]}
    run = integrity("validate", str(path), "--suite", str(write_suite(tmp_path, suite)),
                    "--json", str(out))
    assert run.code == 1, run.stderr
    assert json.loads(out.read_text())["results"][0]["result"]["unexpected_count"] == 1


# --- SQL in suites ------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "problem"), [
    ("DROP TABLE {batch}", "is a DROP statement, not a SELECT"),
    ("SELECT * FROM {batch}; DROP TABLE {batch}", "holds 2 statements, and only one may run"),
    ("DELETE FROM {batch} WHERE a > 1", "is a DELETE statement, not a SELECT"),
    ("WITH x AS (INSERT INTO {batch} VALUES (1) RETURNING *) SELECT * FROM x",
     "contains an INSERT statement, which is not a read"),
    ("SELECT * INTO other FROM {batch}", "uses SELECT INTO, which creates a table"),
    ("SELECT * FROM {batch} WHERE pg_sleep(10) IS NULL", "calls pg_sleep(), which has side effects"),
    ("SELECT * FROM {batch} WHERE b = 'unclosed", "cannot be parsed as SQL"),
])
def test_an_unexpected_rows_query_that_is_not_one_read_only_select_is_refused(
        tmp_path: Path, query: str, problem: str) -> None:
    suite = write_suite(tmp_path, {"name": "t", "expectations": [
        {"type": "unexpected_rows_expectation", "kwargs": {"unexpected_rows_query": query}}]})
    # Refused when the suite loads, on the query's own line, before any data is read.
    line = next(i for i, text in enumerate(suite.read_text().splitlines(), 1)
                if "unexpected_rows_query" in text)
    input_error(integrity("validate", str(good_parquet(tmp_path)), "--suite", str(suite)),
                f"error: {suite}:{line}: expectation #0 (unexpected_rows_expectation): argument "
                f"'unexpected_rows_query': the query {problem}",
                "Write one read-only SELECT (WITH ... SELECT is fine).")


def test_a_read_only_query_with_a_cte_runs(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, {"name": "t", "expectations": [
        {"type": "unexpected_rows_expectation", "kwargs": {"unexpected_rows_query":
         "WITH big AS (SELECT * FROM {batch} WHERE a > 997) SELECT * FROM big -- two rows"}}]})
    run = integrity("validate", str(good_parquet(tmp_path)), "--suite", str(suite))
    assert run.code == 1 and "2 unexpected" in run.stdout, run.stdout + run.stderr


# --- errors at run time: one line, with the suite -----------------------------------------------

RUNTIME = {"type": "unexpected_rows_expectation",
           "kwargs": {"unexpected_rows_query": "SELECT * FROM {batch} WHERE CAST(b AS INT) > 1"}}


@pytest.mark.parametrize("catch", [True, False])
def test_a_run_time_error_is_one_line_with_the_suite_and_no_plan(tmp_path: Path,
                                                                 catch: bool) -> None:
    expectation = {**RUNTIME, "kwargs": {**RUNTIME["kwargs"], "catch_exceptions": catch}}
    suite = write_suite(tmp_path, {"name": "t", "expectations": [expectation]})
    run = integrity("validate", str(good_parquet(tmp_path)), "--suite", str(suite))
    cause = "could not run: InvalidOperationError: conversion from `str` to `i32` failed in column"
    fix = "Fix the query so that it runs on every batch (e.g. TRY_CAST where a value may not convert)."
    where = f"error: {suite}: expectation #0 (unexpected_rows_expectation)"
    message = input_error(run, where, cause, fix)
    assert "This error occurred" not in message and "plan" not in message
