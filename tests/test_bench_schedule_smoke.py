"""scripts/bench_schedule.py, the short version: 5 datasets on 8-second triggers for 30 seconds
through the real scheduler, every fire time with its run, none overlapping, every dropped row
landed once, the memory figures sampled (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench_schedule.py"


def test_bench_schedule_smoke(tmp_path: Path) -> None:
    figures_file = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--datasets", "5", "--interval", "8", "--seconds", "30",
         "--workdir", str(tmp_path), "--json", str(figures_file)],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(figures_file.read_text())
    assert figures["missed"] == 0 and figures["overlapping"] == 0
    assert figures["skipped_by_scheduler"] == 0 and figures["rows_wrong_datasets"] == []
    assert figures["runs_per_dataset"][0] >= 2  # every dataset ran on its trigger, more than once
    assert set(figures["statuses"]) <= {"clean", "quarantined", "empty"}
    assert figures["statuses"].get("quarantined")  # the bad rows were held
    assert figures["scheduler_rss_mib"]["max"] > 0 and figures["children_at_once_max"] >= 1
    assert figures["exit_code"] == 0
