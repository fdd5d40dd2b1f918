"""``integrity validate`` with drift checks against a reference file beside the suite, without a
project: the real command, real files; bad references are one line naming the file and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from tests.clirun import integrity

DIST = "expect_column_distribution_to_match_reference"


def orders(n: int, seed: int, shift: float = 0.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame({"amount": rng.normal(50 + 10 * shift, 10, n),
                         "channel": rng.choice(["email", "chat", "phone"], n, p=[0.5, 0.3, 0.2])})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with a suite, and a reference file in a folder beside it."""
    (tmp_path / "reference").mkdir()
    orders(5000, 1).write_parquet(tmp_path / "reference" / "orders.parquet")
    orders(3000, 2).write_csv(tmp_path / "clean.csv")
    orders(3000, 3, shift=0.5).write_csv(tmp_path / "shifted.csv")
    return tmp_path


def write_suite(folder: Path, **kwargs: Any) -> Path:
    path = folder / "suite.json"
    path.write_text(json.dumps({"name": "orders", "expectations": [
        {"type": DIST, "kwargs": {"column": "amount", "reference": "reference/orders.parquet",
                                  **kwargs}},
        {"type": DIST, "kwargs": {"column": "channel",
                                  "reference": "reference/orders.parquet"}},
    ]}, indent=1))
    return path


def test_a_reference_file_beside_the_suite_needs_no_project(project: Path) -> None:
    suite = write_suite(project)
    out = project / "result.json"
    clean = integrity("validate", str(project / "clean.csv"), "--suite", str(suite),
                      "--json", str(out), cwd=project.parent)
    assert clean.code == 0, clean.stdout + clean.stderr
    result = json.loads(out.read_text())
    assert result["results"][0]["result"]["observed_value"]["reference"] == \
        "reference file 'reference/orders.parquet'"
    shifted = integrity("validate", str(project / "shifted.csv"), "--suite", str(suite),
                        "--json", str(out), cwd=project.parent)
    assert shifted.code == 1, shifted.stdout + shifted.stderr
    amount, channel = json.loads(out.read_text())["results"]
    assert not amount["success"] and amount["result"]["observed_value"]["drifted"]
    assert channel["success"]


@pytest.mark.parametrize(("change", "expected"), [
    ({"column": "amount_usd"}, None),
    ({"method": "wassertein"}, "unknown method 'wassertein'. Did you mean 'wasserstein'?"),
])
def test_bad_arguments_exit_2_in_one_line(project: Path, change: dict[str, Any],
                                          expected: str | None) -> None:
    data = project / "clean.csv"
    if "column" in change:  # the batch has the column, the reference does not
        orders(100, 4).rename({"amount": "amount_usd"}).write_csv(data)
    suite = write_suite(project, **change)
    run = integrity("validate", str(data), "--suite", str(suite))
    assert run.code == 2 and "Traceback" not in run.stderr
    (line,) = [x for x in run.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: {suite}")
    if expected is None:
        assert ("reference file 'reference/orders.parquet' has no column 'amount_usd'" in line
                and "give a reference file that holds the column" in line), line
    else:
        assert expected in line and "psi, wasserstein, jensen_shannon" in line, line


def test_a_reference_of_another_type_exits_2_naming_the_file(project: Path) -> None:
    pl.DataFrame({"amount": ["a", "b"], "channel": ["x", "y"]}).write_parquet(
        project / "reference" / "orders.parquet")
    suite = write_suite(project)
    run = integrity("validate", str(project / "clean.csv"), "--suite", str(suite))
    assert run.code == 2
    (line,) = [x for x in run.stderr.splitlines() if x.startswith("error:")]
    assert ("reference file 'reference/orders.parquet' holds column 'amount' as String, but the "
            "batch's is Float64; give a reference whose 'amount' is Float64 too") in line, line


def test_a_missing_reference_file_exits_2_with_where_it_looked(project: Path) -> None:
    (project / "reference" / "orders.parquet").unlink()
    suite = write_suite(project)
    run = integrity("validate", str(project / "clean.csv"), "--suite", str(suite))
    assert run.code == 2
    lines = [x for x in run.stderr.splitlines() if x.startswith("error:")]
    assert len(lines) == 2 and all(
        f"looked for {project / 'reference' / 'orders.parquet'}" in line for line in lines)


def test_a_baseline_without_a_project_is_not_evaluated_and_says_so(project: Path) -> None:
    suite = project / "baseline.json"
    suite.write_text(json.dumps({"name": "orders", "expectations": [
        {"type": DIST, "kwargs": {"column": "amount", "reference": "baseline"}}]}))
    out = project / "result.json"
    run = integrity("validate", str(project / "clean.csv"), "--suite", str(suite),
                    "--json", str(out))
    assert run.code == 0, run.stderr
    (result,) = json.loads(out.read_text())["results"]
    assert result["success"] is True
    assert result["result"]["details"]["not_evaluated"] is True
    assert result["result"]["details"]["reason"].startswith("validated without a project's "
                                                             "results store")
