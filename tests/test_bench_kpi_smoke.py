"""scripts/bench_kpi.py fills a small store, checks the views against what it generated, and times
them (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from integrity.store.kpi_views import VIEW_NAMES

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench_kpi.py"


def test_bench_kpi_fills_verifies_and_times(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--batches", "400", "--results-per-batch", "6",
         "--datasets", "7", "--days", "20", "--fail-rate", "0.2", "--repeat", "1",
         "--json", str(figures)],
        capture_output=True, text=True, timeout=300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "verified: the views add up to the generated history" in done.stdout
    assert "KPI MISMATCH" not in output
    found = json.loads(figures.read_text())
    assert [f["what"] for f in found["figures"]][: len(VIEW_NAMES)] == list(VIEW_NAMES)
    daily = found["figures"][0]
    assert daily["all_rows"] > 0 and daily["sql_s"] >= 0
