"""scripts/bench_drift.py runs end to end on a few small batches (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench_drift.py"


def test_bench_drift_reports_every_check_with_no_false_alarm_and_every_shift_caught(
        tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(BENCH), "--smoke", "--json", str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (figures,) = json.loads(out.read_text()).values()
    checks = figures["checks"]
    defaults = {label: row for label, row in checks.items()
                if label.endswith(("/default", "/text")) or label == "drift_share"}
    assert len(defaults) == 12 + 6 + 4 + 1  # numeric, categorical and text shapes; the share
    assert len(checks) == 12 * 6 + 6 * 4 + 4 + 1  # every method of every column
    for label, row in defaults.items():
        assert row["clean"] == 0.0, (label, row)
        assert row["shift_a"] == row["shift_b"] == 1.0, (label, row)
        assert row["clean_runs"] == figures["resamples"]["clean"] > 0
    assert figures["missed"] == []
    assert "| normal/default | 0.0% of 3 | 100.0% of 3 (mean +0.2 SD, additive) |" in done.stdout
