"""Every KPI export read back by an independent reader: duckdb for Parquet and CSV, prometheus_client's
own parser for the exposition text; the numbers checked against the known history."""

from __future__ import annotations

import datetime as dt
import io
import math
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from prometheus_client.parser import text_string_to_metric_families

from integrity.kpi import export
from integrity.kpi.export import neutralized
from integrity.kpi.prometheus import KpiCollector, exposition
from integrity.store import Store
from tests.kpi import history as hist


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, hist.History]]:
    path = tmp_path_factory.mktemp("kpi") / "integrity.db"
    with Store.open(f"sqlite:///{path}") as store:
        yield store, hist.build(store)


def _close(got: Any, want: Any) -> bool:
    if isinstance(want, float):
        return got is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-3)
    if isinstance(want, dt.datetime):
        return bool(got == want.replace(tzinfo=None) or got == want)
    return bool(got == want)


def _check_daily(rows: list[dict[str, Any]], h: hist.History) -> None:
    want = hist.expected_daily(h)
    got = {(r["dataset"], r["day"]): r for r in rows}
    assert set(got) == set(want)
    for key, expected in want.items():
        for column, value in expected.items():
            assert _close(got[key][column], value), (key, column, got[key][column], value)


def _duck(sql: str, path: Path) -> list[dict[str, Any]]:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        cursor = con.execute(sql, [str(path)])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_parquet_export_reads_back_in_duckdb(built: tuple[Store, hist.History],
                                             tmp_path: Path) -> None:
    store, h = built
    path = tmp_path / "kpi.parquet"
    assert export(store, "parquet", path) == 4
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["kpi.parquet"]  # no temporary file left
    rows = _duck("SELECT * FROM read_parquet(?)", path)
    _check_daily(rows, h)
    with duckdb.connect() as con:
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "
                                 "read_parquet(?))", [str(path)]).fetchall())
    assert types["day"] == "DATE" and types["batches"] == "BIGINT"
    assert types["integrity_score"] == "DOUBLE"
    assert types["last_published_at"] == "TIMESTAMP WITH TIME ZONE"

    export(store, "parquet", path, view="failures", dataset="tickets")
    (row,) = _duck("SELECT * FROM read_parquet(?)", path)
    assert (row["expectation_type"], row["column_name"], row["failures"]) == (
        "expect_column_values_to_not_be_null", hist.HOSTILE_COLUMN, 1)


def test_csv_export_reads_back_in_duckdb(built: tuple[Store, hist.History], tmp_path: Path) -> None:
    store, h = built
    path = tmp_path / "kpi.csv"
    assert export(store, "csv", path) == 4
    rows = _duck("SELECT * FROM read_csv(?, header = true)", path)
    _check_daily(rows, h)
    export(store, "csv", path, view="indicators", days=1)  # today: nothing in the history
    assert path.read_text().splitlines() == [
        "dataset,day,expectation_type,tag,family,batches,rows_quarantined"]
    stream = io.StringIO()
    export(store, "csv", stream, view="coverage")
    assert [r["dataset"] for r in pl.read_csv(io.StringIO(stream.getvalue())).to_dicts()] == [
        "orders", "tickets"]
    with pytest.raises(ValueError, match="give a file path"):
        export(store, "parquet", io.StringIO())
    with pytest.raises(ValueError, match="unknown export format 'xlsx'"):
        export(store, "xlsx", path)


def test_csv_cells_that_a_spreadsheet_would_run_get_a_quote() -> None:
    frame = pl.DataFrame({"column_name": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "plain",
                                          None], "n": [1, 2, 3, 4, 5, 6]})
    assert neutralized(frame)["column_name"].to_list() == [
        "'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "plain", None]
    assert neutralized(frame)["n"].to_list() == [1, 2, 3, 4, 5, 6]


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_prometheus_text_parses_with_the_known_numbers(built: tuple[Store, hist.History],
                                                       tmp_path: Path) -> None:
    store, h = built
    path = tmp_path / "kpi.prom"
    samples = export(store, "prometheus", path, days=1, max_age={"orders": 3600.0})
    text = path.read_text()
    got = _samples(text)
    assert samples == len(got)

    def value(name: str, **labels: str) -> float:
        return got[(name, tuple(sorted(labels.items())))]

    assert value("integrity_kpi_up") == 1
    assert value("integrity_rows_total", dataset="orders", outcome="published") == 175
    assert value("integrity_rows_total", dataset="orders", outcome="quarantined") == 45
    assert value("integrity_batches_total", dataset="orders", verdict="passed") == 2
    assert value("integrity_batches_total", dataset="orders", verdict="warned") == 1
    assert value("integrity_batches_total", dataset="orders", verdict="quarantined") == 2
    assert value("integrity_batches_total", dataset="tickets", verdict="warned") == 1
    assert value("integrity_quarantine_resolved_rows_total", dataset="orders",
                 decision="released") == 5
    assert value("integrity_quarantine_resolved_rows_total", dataset="orders",
                 decision="rejected") == 40
    assert value("integrity_indicator_quarantined_rows_total", dataset="orders",
                 expectation_type="expect_column_values_to_not_be_null", tag="pii") == 5
    assert value("integrity_indicator_quarantined_rows_total", dataset="orders",
                 expectation_type="expect_table_row_count_to_be_between", tag="") == 40
    assert value("integrity_pending_batches", dataset="orders") == 1
    assert value("integrity_quarantine_open_entries", dataset="orders") == 0
    assert value("integrity_expectations", dataset="orders") == 3
    assert value("integrity_expectation_families", dataset="tickets") == 2
    assert value("integrity_freshness_max_age_seconds", dataset="orders") == 3600
    assert value("integrity_last_verdict_timestamp_seconds", dataset="orders") == pytest.approx(
        h.completed["b6"].timestamp())
    lag = value("integrity_freshness_lag_seconds", dataset="orders")
    assert lag == pytest.approx((dt.datetime.now(dt.UTC) - h.completed["b6"]).total_seconds(),
                                abs=30)
    # The history ended days ago: today's window has no verdicts, so no window gauge samples.
    assert not any(name == "integrity_score_ratio" for name, _ in got)

    day2 = _samples(exposition(store, days=1, today=lambda: hist.DAY2))
    assert day2[("integrity_score_ratio", (("dataset", "orders"),))] == 0.0
    assert day2[("integrity_quarantine_ratio", (("dataset", "orders"),))] == 1.0
    # SQLite's julianday arithmetic is exact to about 0.1 ms.
    assert day2[("integrity_time_to_detect_seconds", (("dataset", "orders"),))] == pytest.approx(
        20.0, abs=1e-3)
    assert day2[("integrity_time_to_resolve_seconds", (("dataset", "orders"),))] == pytest.approx(
        3600.0, abs=1e-3)
    assert day2[("integrity_score_ratio", (("dataset", "tickets"),))] == 1.0
    assert day2[("integrity_batch_pass_ratio", (("dataset", "tickets"),))] == 0.0
    assert ("integrity_time_to_resolve_seconds", (("dataset", "tickets"),)) not in day2


def test_a_store_that_cannot_be_read_makes_the_scrape_say_so(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    def broken() -> Store:
        raise OSError("disk gone")

    registry = CollectorRegistry()
    registry.register(KpiCollector(broken))
    got = _samples(generate_latest(registry).decode())
    assert got == {("integrity_kpi_up", ()): 0.0}

    opened: list[Store] = []

    def opener() -> Store:
        opened.append(Store.open(f"sqlite:///{tmp_path / 'integrity.db'}"))
        return opened[-1]

    registry = CollectorRegistry()
    registry.register(KpiCollector(opener))
    assert _samples(generate_latest(registry).decode())[("integrity_kpi_up", ())] == 1.0
    assert len(opened) == 1  # one store per scrape (closed after it)
    with pytest.raises(ValueError, match="days must be 1 or more"):
        KpiCollector(opener, days=0)
