"""scripts/bench_history.py runs end to end on a small batch (no timing assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench_history.py"


def test_bench_history_runs() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--rows", "3000", "--repeat", "1"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| + history (5) + freshness (datetime, text) | 30 |" in done.stdout
    assert "| + newest published time (text column) |" in done.stdout
