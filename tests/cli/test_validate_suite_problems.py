"""``integrity validate`` with suites that are wrong in many places, contradictory, from GX 0.x, or
that hold a regex which backtracks without end: the real command, real files."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.clirun import integrity
from tests.test_suites import FIVE_PROBLEMS_JSON


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    pl.DataFrame({"id": [1, 2, 3], "amount": [5.0, 7.5, 1000.0],
                  "note": ["a" * 36, "fine", "ok"]}).write_csv(path)
    return path


def write(tmp_path: Path, expectations: list[dict[str, object]], **top: object) -> Path:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "orders", **top, "expectations": expectations}, indent=1))
    return path


def test_every_load_problem_is_one_error_line_with_its_line(tmp_path: Path, data: Path) -> None:
    suite = tmp_path / "suite.json"
    suite.write_text(FIVE_PROBLEMS_JSON)
    run = integrity("validate", str(data), "--suite", str(suite))
    assert run.code == 2 and run.stdout == "" and "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 5 and all(line.startswith(f"error: {suite}:") for line in lines)
    assert [line.split(":")[2] for line in lines] == ["5", "10", "14", "15", "18"]


def test_contradictory_bounds_fail_one_expectation_and_the_table_shows_the_rest(
        tmp_path: Path, data: Path) -> None:
    suite = write(tmp_path, [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "amount", "min_value": 100, "max_value": 1}},
        {"type": "expect_column_max_to_be_between", "kwargs": {"column": "amount",
                                                                "max_value": 10}},
    ])
    out = tmp_path / "result.json"
    run = integrity("validate", str(data), "--suite", str(suite), "--json", str(out))
    assert run.code == 2, run.stderr
    assert "1 of 3 expectations passed" in run.stdout and "ERROR" in run.stdout
    (line,) = [x for x in run.stderr.splitlines() if x.startswith("error:")]
    assert line == (f"error: {suite}: expectation #1 (expect_column_values_to_be_between): "
                    "argument 'min_value': min_value cannot be greater than max_value "
                    "(100 > 1); swap them")
    result = json.loads(out.read_text())
    assert [r["success"] for r in result["results"]] == [True, False, False]
    assert result["results"][1]["exception_info"]["raised_exception"] is True
    assert result["results"][2]["result"]["observed_value"] == 1000.0
    assert "can never pass" in result["meta"]["suite_warnings"][0]


def test_gx_0x_leftovers_are_yellow_warnings_and_the_suite_runs(tmp_path: Path, data: Path) -> None:
    suite = tmp_path / "suite.json"
    suite.write_text(json.dumps({"expectation_suite_name": "orders", "expectations": [
        {"expectation_type": "expect_column_mean_to_be_between",
         "kwargs": {"column": "amount", "min_value": 0, "mostly": 0.9, "include_config": True}},
    ]}, indent=1))
    out = tmp_path / "result.json"
    run = integrity("validate", str(data), "--suite", str(suite), "--json", str(out))
    assert run.code == 0, run.stderr
    warnings = run.stderr.splitlines()
    assert len(warnings) == 2 and all(w.startswith(f"warning: {suite}:") for w in warnings)
    assert "argument 'mostly'" in warnings[0] and "argument 'include_config'" in warnings[1]
    assert json.loads(out.read_text())["meta"]["suite_warnings"] == [
        w.removeprefix("warning: ") for w in warnings]


def test_a_backtracking_regex_fails_its_expectation_within_its_budget(
        tmp_path: Path, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEGRITY_REGEX_SECONDS", "1")
    suite = write(tmp_path, [
        {"type": "expect_column_values_to_not_match_regex",
         "kwargs": {"column": "note", "regex": "^(a+)+(?=b)"}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "note",
                                                                    "regex": "^[a-z]+$"}},
        {"type": "expect_column_values_to_not_match_regex",
         "kwargs": {"column": "note", "regex": "(?<=f)ine"}},
    ])
    out = tmp_path / "result.json"
    run = integrity("validate", str(data), "--suite", str(suite), "--json", str(out))
    assert run.code == 2
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and "needs Python's backtracking re" in warnings[0]
    (error,) = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith(f"error: {suite}: expectation #0 (expect_column_values_to_not_match_"
                            "regex): regex '^(a+)+(?=b)' ran out of its 1 s budget")
    assert error.endswith("Rewrite it without look-around and back-references so it runs on the "
                          "linear-time engine, or raise INTEGRITY_REGEX_SECONDS.")
    results = json.loads(out.read_text())["results"]
    assert [r["success"] for r in results] == [False, True, False]
    assert results[0]["exception_info"]["raised_exception"] is True
    assert results[2]["result"]["partial_unexpected_list"] == ["fine"]
