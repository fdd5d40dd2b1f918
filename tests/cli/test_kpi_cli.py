"""``integrity kpi`` and ``integrity kpi export`` through the real console script, on a project whose
store holds the known history (tests/kpi/history.py) and on one the real job filled."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from integrity.store import Store
from tests.clirun import integrity
from tests.kpi import history as hist

RAW_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kpi-project")
    (root / "integrity.yaml").write_text(yaml.safe_dump({"store_url": "sqlite:///state/kpi.db"}))
    with Store.open(f"sqlite:///{root / 'state' / 'kpi.db'}") as store:
        hist.build(store)
    return root


def days_since_history() -> str:
    """--days that reach back to the history's first day."""
    return str((dt.datetime.now(dt.UTC).date() - hist.DAY1).days + 1)


def test_kpi_prints_every_section_within_80_columns(project: Path) -> None:
    done = integrity("kpi", "--days", days_since_history(), cwd=project, columns=80)
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, done.stdout
    assert not RAW_CONTROLS.search(done.stdout)
    text = done.stdout
    assert "orders" in text and "tickets" in text
    day1 = next(line for line in lines if line.strip().startswith("2024-06-01"))
    # batches, pass, quarantine, rows, score (165/170 floored), detect (mean of 30, 60, 10 s),
    # resolve (2 h), lag at the day's end (3 h 59 m 50 s)
    assert day1.split() == ["2024-06-01", "3", "33.3%", "33.3%", "170", "97.0%", "33.3s", "2.0h",
                            "4.0h"]
    total = next(line for line in lines if line.strip().startswith("3 days"))
    assert total.split()[:6] == ["3", "days", "5", "40.0%", "40.0%", "220"]
    assert "Rows quarantined by indicator" in text and "not_be_null [pii]" in text
    assert "Expectations that fail most" in text
    assert "note\\x1b[2J\\u202e=cmd" in text  # the hostile column name, escaped
    assert "Coverage and freshness now" in text and "poison 1" in text


def test_kpi_for_one_dataset_and_an_empty_window(project: Path) -> None:
    done = integrity("kpi", "--dataset", "tickets", "--days", days_since_history(), cwd=project)
    assert done.code == 0, done.stderr
    assert "tickets" in done.stdout and "2024-06-02" in done.stdout and "orders" not in done.stdout
    empty = integrity("kpi", "--dataset", "nope", "--days", "2", cwd=project)
    assert empty.code == 0
    assert "No verdicts for dataset 'nope' in these days" in empty.stdout
    bad = integrity("kpi", "--days", "0", cwd=project)
    assert bad.code == 2 and "--days" in bad.stderr


def test_export_writes_each_format_for_any_reader(project: Path, tmp_path: Path) -> None:
    parquet = tmp_path / "daily.parquet"
    done = integrity("kpi", "export", "--format", "parquet", "--out", str(parquet), cwd=project)
    assert done.code == 0, done.stderr
    assert done.stdout.strip() == f"wrote 4 rows of kpi_daily to {parquet}"
    with duckdb.connect() as con:
        got = con.execute("SELECT dataset, day, rows_published, rows_quarantined FROM "
                          "read_parquet(?) ORDER BY dataset, day", [str(parquet)]).fetchall()
    assert got == [("orders", hist.DAY1, 165, 5), ("orders", hist.DAY2, 0, 40),
                   ("orders", hist.DAY4, 10, 0), ("tickets", hist.DAY2, 30, 0)]

    csv = integrity("kpi", "export", "--format", "csv", "--out", "-", "--view", "indicators",
                    cwd=project)
    assert csv.code == 0, csv.stderr
    assert csv.stdout.splitlines() == [
        "dataset,day,expectation_type,tag,family,batches,rows_quarantined",
        "orders,2024-06-01,expect_column_values_to_not_be_null,pii,column_map,1,5",
        "orders,2024-06-02,expect_table_row_count_to_be_between,,table,1,40"]

    prom = integrity("kpi", "export", "--format", "prometheus", "--out", "-", cwd=project)
    assert prom.code == 0, prom.stderr
    names = {f.name for f in text_string_to_metric_families(prom.stdout)}
    assert {"integrity_rows", "integrity_batches", "integrity_freshness_lag_seconds"} <= names


def test_export_refuses_what_it_cannot_write(project: Path) -> None:
    for args, message in [
        (("--format", "xlsx", "--out", "x"), "unknown format 'xlsx'; use one of parquet, csv, "
                                             "prometheus"),
        (("--format", "csv", "--out", "x", "--view", "weekly"), "unknown view 'weekly'"),
        (("--format", "parquet", "--out", "-"), "Parquet is binary"),
    ]:
        done = integrity("kpi", "export", *args, cwd=project)
        assert done.code == 2 and message in done.stderr, done.stderr
    missing = integrity("kpi", "export", "--format", "csv", cwd=project)
    assert missing.code == 2 and "--out" in missing.stderr
    nowhere = integrity("kpi", "export", "--format", "csv", "--out", "no/such/folder/k.csv",
                        cwd=project)
    assert nowhere.code == 2, nowhere.stderr
    assert nowhere.stderr.startswith("error: cannot write the KPI export no/such/folder/k.csv: "
                                     "No such file or directory; give --out a path")


def test_kpi_after_real_runs_of_the_job(tmp_path: Path) -> None:
    from tests.job.test_run import make_project, write_csv

    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    make_project(tmp_path)
    assert integrity("run", "feedback", cwd=tmp_path).code == 1
    write_csv(tmp_path / "src" / "feedback.csv", range(10, 20), append=True)
    assert integrity("run", "feedback", cwd=tmp_path).code == 0
    done = integrity("kpi", "--days", "1", cwd=tmp_path, columns=80)
    assert done.code == 0, done.stderr
    today = next(line for line in done.stdout.splitlines()
                 if line.strip().startswith(str(dt.datetime.now(dt.UTC).date())))
    # 2 batches, 1 passed? no: the first held row 3, the second was clean; 19 of 20 rows clean
    assert today.split()[1:6] == ["2", "50.0%", "50.0%", "20", "95.0%"]
