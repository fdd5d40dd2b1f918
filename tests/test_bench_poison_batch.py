"""scripts/bench_poison_batch.py runs end to end on a few small batches (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench_poison_batch.py"


def test_bench_reports_every_indicator_and_catches_the_big_poisons(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--batches", "2", "--throughput-rows", "3000",
         "--json", str(out)],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())
    indicators = figures["indicators"]
    assert len(indicators) == 6
    for name, found in indicators.items():
        ten_percent = found["cells"]["0.1"]
        assert ten_percent["batches"] == 2
        # At 10% every indicator catches both batches, and lists poisoned rows.
        assert ten_percent["caught"] == 2, (name, found)
        assert ten_percent["recall"] > 0.3, (name, found)
    assert all(v.startswith("1/1") for v in figures["signature"].values()), figures["signature"]
    assert set(figures["throughput_seconds"]) >= {
        "expect_column_near_duplicate_clusters_to_be_smaller_than"}
    assert "| 10.0% |" in done.stdout
