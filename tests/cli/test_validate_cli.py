"""The ``integrity`` command end to end: exit codes, the table, the JSON result, --explain."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.clirun import ROOT, integrity

SAMPLE = ROOT / "connectors" / "data" / "customer_feedback.csv"
SUITE = ROOT / "expectations" / "customer_feedback.json"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.csv"
    pl.DataFrame({
        "id": [1, 2, 3, 4],
        "rating": [1, 5, 3, 4],
        "at": ["2025-01-01T00:00:00", "2025-01-02T00:00:00", "2025-01-03T00:00:00",
               "2025-01-04T00:00:00"],
    }).write_csv(path)
    return path


def suite(tmp_path: Path, *expectations: dict[str, object]) -> Path:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "tickets", "expectations": list(expectations)}))
    return path


def expect(type_: str, **kwargs: object) -> dict[str, object]:
    return {"type": type_, "kwargs": kwargs}


def test_passing_suite_exits_0(tmp_path: Path, data: Path) -> None:
    s = suite(tmp_path, expect("expect_column_values_to_not_be_null", column="id"),
              expect("expect_column_values_to_be_between", column="rating", min_value=1, max_value=5))
    run = integrity("validate", str(data), "--suite", str(s))
    assert run.code == 0, run.stderr
    assert "PASSED: 2 of 2 expectations passed" in run.stdout
    assert "expect_column_values_to_be_between" in run.stdout
    assert run.stderr == ""


def test_failing_suite_exits_1_and_shows_unexpected_counts(tmp_path: Path, data: Path) -> None:
    s = suite(tmp_path, expect("expect_column_values_to_be_between", column="rating",
                               min_value=1, max_value=4))
    run = integrity("validate", str(data), "--suite", str(s))
    assert run.code == 1, run.stderr
    assert "1 unexpected (25.0%)" in run.stdout
    assert "FAILED: 0 of 1" in run.stdout


def test_json_output_is_gx_shaped(tmp_path: Path, data: Path) -> None:
    s = suite(tmp_path, expect("expect_column_values_to_be_between", column="rating",
                               min_value=1, max_value=4),
              expect("expect_table_row_count_to_be_between", min_value=1, max_value=10))
    out = tmp_path / "out" / "result.json"
    run = integrity("validate", str(data), "--suite", str(s), "--json", str(out),
                    "--result-format", "COMPLETE")
    assert run.code == 1, run.stderr
    result = json.loads(out.read_text())
    assert result["success"] is False
    assert result["statistics"] == {"evaluated_expectations": 2, "successful_expectations": 1,
                                    "unsuccessful_expectations": 1, "success_percent": 50.0,
                                    "not_evaluated_expectations": 0}
    first = result["results"][0]
    assert first["expectation_config"]["type"] == "expect_column_values_to_be_between"
    assert first["expectation_config"]["kwargs"]["column"] == "rating"
    assert first["result"]["unexpected_count"] == 1
    assert first["result"]["unexpected_list"] == [5]
    assert first["result"]["unexpected_index_list"] == [1]
    assert result["results"][1]["result"]["observed_value"] == 4
    assert result["meta"]["columns"]["rating"] == "Int64"


def test_json_to_stdout(tmp_path: Path, data: Path) -> None:
    s = suite(tmp_path, expect("expect_column_values_to_not_be_null", column="id"))
    run = integrity("validate", str(data), "--suite", str(s), "--json", "-")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["success"] is True


def test_datetimes_are_iso_strings_in_json(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    pl.DataFrame({"at": pl.datetime_range(pl.datetime(2025, 1, 1), pl.datetime(2025, 1, 3),
                                          "1d", eager=True)}).write_parquet(path)
    s = suite(tmp_path, expect("expect_column_max_to_be_between", column="at",
                               max_value="2025-01-02T00:00:00"))
    out = tmp_path / "r.json"
    run = integrity("validate", str(path), "--suite", str(s), "--json", str(out))
    assert run.code == 1, run.stderr
    observed = json.loads(out.read_text())["results"][0]["result"]["observed_value"]
    assert observed.startswith("2025-01-03T00:00:00")


def test_explain_mentions_query_count_and_does_not_validate(tmp_path: Path, data: Path) -> None:
    s = suite(tmp_path, expect("expect_column_values_to_not_be_null", column="id"),
              expect("expect_column_values_to_not_be_null", column="rating"),
              expect("expect_column_values_to_be_between", column="rating", max_value=1))
    run = integrity("validate", str(data), "--suite", str(s), "--explain")
    assert run.code == 0, run.stderr
    assert "1 query over the batch" in run.stdout
    assert "3 expectations ask for" in run.stdout
    assert "FAILED" not in run.stdout and "PASSED" not in run.stdout


def test_hostile_values_are_printed_verbatim_not_as_markup(tmp_path: Path) -> None:
    path = tmp_path / "hostile.csv"
    pl.DataFrame({"text": ["[bold red]pwned[/]", "[link=http://evil]x[/link]"]}).write_csv(path)
    s = suite(tmp_path, expect("expect_column_values_to_be_in_set", column="text", value_set=["ok"]))
    run = integrity("validate", str(path), "--suite", str(s))
    assert run.code == 1, run.stderr
    assert "[bold red]pwned[/]" in run.stdout


def test_unknown_result_format_is_a_usage_error(tmp_path: Path, data: Path) -> None:
    s = suite(tmp_path, expect("expect_column_values_to_not_be_null", column="id"))
    run = integrity("validate", str(data), "--suite", str(s), "--result-format", "EVERYTHING")
    assert run.code == 2
    assert "BOOLEAN_ONLY, BASIC, SUMMARY, COMPLETE" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("engine", [["--engine", "in-memory"], ["--engine", "streaming"],
                                    ["--low-memory"]])
def test_engine_options_give_the_same_verdicts(tmp_path: Path, data: Path, engine: list[str]) -> None:
    s = suite(tmp_path, expect("expect_column_values_to_be_unique", column="rating"),
              expect("expect_column_median_to_be_between", column="rating", min_value=3,
                     max_value=4),
              expect("expect_column_values_to_be_between", column="rating", max_value=4))
    out = tmp_path / "result.json"
    run = integrity("validate", str(data), "--suite", str(s), *engine, "--json", str(out))
    assert run.code == 1, run.stderr
    results = json.loads(out.read_text())["results"]
    assert [r["success"] for r in results] == [True, True, False]
    assert results[1]["result"]["observed_value"] == 3.5


def test_unknown_engine_is_a_usage_error(tmp_path: Path, data: Path) -> None:
    s = suite(tmp_path, expect("expect_column_values_to_not_be_null", column="id"))
    run = integrity("validate", str(data), "--suite", str(s), "--engine", "turbo")
    assert run.code == 2
    assert "unknown polars engine 'turbo'; use one of in-memory, streaming" in run.stderr
    assert "Traceback" not in run.stderr


def test_missing_suite_option_is_a_usage_error(data: Path) -> None:
    run = integrity("validate", str(data))
    assert run.code == 2
    assert "--suite" in run.stderr


def test_expectations_lists_registered_types() -> None:
    run = integrity("expectations")
    assert run.code == 0, run.stderr
    assert "expect_column_values_to_not_be_null" in run.stdout
    assert "column_map" in run.stdout
    assert "column*" in run.stdout


def test_help_and_version() -> None:
    assert "validate" in integrity("--help").stdout
    version = integrity("--version")
    assert version.code == 0 and version.stdout.startswith("integrity ")


def test_bundled_demo_fails_on_its_deliberately_bad_rows(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    run = integrity("validate", str(SAMPLE), "--suite", str(SUITE), "--json", str(out))
    assert run.code == 1, run.stderr
    results = json.loads(out.read_text())["results"]
    failed = {(r["expectation_config"]["type"], r["expectation_config"]["kwargs"].get("column"))
              for r in results if not r["success"]}
    assert ("expect_column_values_to_not_be_null", "customer_id") in failed
    assert ("expect_column_values_to_be_between", "rating") in failed
    assert ("expect_column_values_to_not_contain_prompt_injection", "text") in failed
    assert ("expect_column_values_to_be_unique", "feedback_id") in failed
    assert all(not r["exception_info"]["raised_exception"] for r in results)
