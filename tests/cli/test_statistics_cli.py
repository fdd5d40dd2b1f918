"""The statistical checks from the command line (the real `integrity` script in a subprocess):
history from a project's store, not-evaluated results shown apart, stale sources, baselines, and
bad input as one line naming the file and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.clirun import integrity
from tests.job.test_run import make_project, write_csv

SUITE: dict[str, Any] = {
    "name": "feedback",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer_id"}},
        {"type": "expect_table_row_count_to_be_within_history", "kwargs": {"min_history": 2}},
        {"type": "expect_column_metric_to_be_within_history",
         "kwargs": {"column": "rating", "metric": "null_fraction", "min_history": 2}},
    ],
}


def project_with_history(root: Path) -> Path:
    make_project(root, suite=SUITE, cursor=None, connector={
        "type": "files", "params": {"path": str(root / "src" / "*.csv"), "settle_seconds": 0}})
    for number in (1, 2):
        write_csv(root / "src" / f"day{number}.csv", range(number * 100, number * 100 + 50))
        done = integrity("run", "feedback", "--project", str(root))
        assert done.code == 0, done.stderr
    return root


def test_validate_compares_with_the_dataset_history_or_says_it_did_not(tmp_path: Path) -> None:
    root = project_with_history(tmp_path / "p")
    suite = str(root / "expectations" / "feedback.json")
    big = tmp_path / "big.csv"
    write_csv(big, range(0, 500))
    judged = integrity("validate", str(big), "--suite", suite, "--project", str(root),
                       "--dataset", "feedback", "--json", str(tmp_path / "r.json"))
    assert judged.code == 1, judged.stderr
    assert "FAILED: 2 of 3 expectations passed (66.7%)" in judged.stdout
    result = json.loads((tmp_path / "r.json").read_text())
    count = result["results"][1]["result"]
    assert count["observed_value"] == 500 and count["details"]["history"] == [50, 50]
    assert result["statistics"]["not_evaluated_expectations"] == 0
    alone = integrity("validate", str(big), "--suite", suite, "--json", str(tmp_path / "s.json"))
    assert alone.code == 0, alone.stderr
    assert "PASSED: 1 of 3 expectations passed, 2 not evaluated (nothing to compare with yet) " \
           "(33.3%)" in alone.stdout
    assert alone.stdout.count(" skip ") == 2 and "not evaluated: validated without a project" \
        in alone.stdout
    stats = json.loads((tmp_path / "s.json").read_text())["statistics"]
    assert stats["not_evaluated_expectations"] == 2 and stats["successful_expectations"] == 3
    lonely = integrity("validate", str(big), "--suite", suite, "--project", str(root))
    assert lonely.code == 2 and "name the dataset too (--dataset NAME)" in lonely.stderr
    unknown = integrity("validate", str(big), "--suite", suite, "--project", str(root),
                        "--dataset", "feedbak")
    assert unknown.code == 2 and "no dataset 'feedbak'" in unknown.stderr


def test_bad_statistical_arguments_are_one_line_naming_the_file(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("id,created_at,n\n1,2025-03-12T09:00:00Z,3\n")
    cases = [
        ({"type": "expect_table_freshness_to_be_within",
          "kwargs": {"column": "created_at", "max_age": "6 hours"}},
         "argument 'max_age': '6 hours' is not an ISO-8601 duration; write PT6H"),
        ({"type": "expect_column_metric_to_be_within_history",
          "kwargs": {"column": "n", "metric": "average"}},
         "argument 'metric': unknown metric 'average'."),
        ({"type": "expect_table_freshness_to_be_within", "kwargs": {"column": "n", "max_age": 60}},
         "argument 'column': column 'n' is Int64, not a time; freshness needs a datetime"),
    ]
    for expectation, says in cases:
        suite = tmp_path / "suite.json"
        suite.write_text(json.dumps({"name": "s", "expectations": [expectation]}))
        found = integrity("validate", str(data), "--suite", str(suite))
        assert found.code == 2, found
        (line,) = found.stderr.splitlines()
        assert line.startswith(f"error: {suite}") and says in line, line


def test_validate_ages_from_now_when_given(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("id,created_at\n1,2025-03-12T09:00:00+01:00\n2,2025-03-12 07:30\n")
    suite = tmp_path / "suite.json"
    suite.write_text(json.dumps({"name": "s", "expectations": [
        {"type": "expect_table_freshness_to_be_within",
         "kwargs": {"column": "created_at", "max_age": "PT6H"}}]}))
    fresh = integrity("validate", str(data), "--suite", str(suite), "--now", "2025-03-12T13:59Z",
                      "--json", "-")
    assert fresh.code == 0, fresh.stdout + fresh.stderr
    result = json.loads(fresh.stdout)["results"][0]["result"]
    assert result["observed_value"] == "2025-03-12T08:00:00+00:00"
    assert result["details"]["age"] == "PT5H59M"
    assert integrity("validate", str(data), "--suite", str(suite)).code == 1  # the wall clock


def test_a_stale_source_exits_1_and_says_why(tmp_path: Path) -> None:
    make_project(tmp_path, cursor={"column": "created_at"}, suite={"name": "f", "expectations": []},
                 extra={"freshness": {"max_age": "PT6H"}})
    source = tmp_path / "src" / "feedback.csv"
    source.parent.mkdir(parents=True)
    source.write_text("id,created_at\n1,2025-03-12T09:30:00Z\n")
    first = integrity("run", "feedback", "--project", str(tmp_path), "--now", "2025-03-12T12:00Z")
    assert first.code == 0, first.stderr
    quiet = integrity("run", "feedback", "--project", str(tmp_path), "--now", "2025-03-19T12:00")
    assert quiet.code == 1, quiet
    assert ("feedback: no new rows, and the newest published data is P7DT2H30M old (the newest "
            "published value of column 'created_at', 2025-03-12T09:30:00+00:00), older than its "
            "freshness max_age PT6H: the source is stale. (exit 1)") in " ".join(quiet.stdout.split())
    bad = integrity("run", "feedback", "--project", str(tmp_path), "--now", "next tuesday")
    assert bad.code == 2 and "--now 'next tuesday' is not an ISO-8601 timestamp" in bad.stderr
    definition = tmp_path / "connectors" / "feedback.yaml"
    spec = yaml.safe_load(definition.read_text())
    definition.write_text(yaml.safe_dump({**spec, "freshness": {"max_age": "PT6"}}))
    broken = integrity("run", "feedback", "--project", str(tmp_path))
    assert broken.code == 2
    (line,) = [text for text in broken.stderr.splitlines() if text.strip()]
    assert f"{definition}: field 'freshness.max_age': 'PT6' is not an ISO-8601 duration; write " \
           "PT6H" in line


def test_baseline_set_and_show(tmp_path: Path) -> None:
    root = project_with_history(tmp_path)
    p = ["--project", str(root)]
    none = integrity("baseline", "show", "feedback", *p)
    assert none.code == 0 and "feedback has no baseline" in none.stdout
    missing = integrity("baseline", "set", "feedback", "--file", "nowhere.parquet", *p)
    assert missing.code == 2 and "nowhere.parquet: file not found" in missing.stderr
    both = integrity("baseline", "set", "feedback", "--rolling", "3", "--from-batch", "abcd", *p)
    assert both.code == 2 and "give exactly one of --from-batch ID, --file PATH or --rolling N" \
        in both.stderr
    done = integrity("baseline", "set", "feedback", "--rolling", "7", "--steward", "ana",
                     "--note", "follow the data", *p)
    assert done.code == 0, done.stderr
    assert "feedback: baseline 1 set (rolling: the last 7 published batches, merged)" in done.stdout
    shown = integrity("baseline", "show", "feedback", *p)
    assert "set " in shown.stdout and "by ana: follow the data" in shown.stdout
    as_json = json.loads(integrity("baseline", "show", "feedback", "--json", *p).stdout)
    assert as_json["kind"] == "rolling" and as_json["rolling"] == 7
    assert integrity("baseline", "show", "nope", *p).code == 2
