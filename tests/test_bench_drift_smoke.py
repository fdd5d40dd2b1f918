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


def test_bench_drift_text_only_runs_the_text_checks_alone(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(BENCH), "--smoke", "--text-only",
                           "--text-shift-resamples", "2", "--json", str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (figures,) = json.loads(out.read_text()).values()
    assert figures["resamples"] == {"clean": 0, "shift": 0, "text": 3, "text_shift": 2}
    assert sorted(figures["checks"]) == ["bilingual/text", "long_documents/text", "reviews/text",
                                         "titles/text"]
    for row in figures["checks"].values():
        assert (row["clean_runs"], row["shift_a_runs"], row["shift_b_runs"]) == (3, 2, 2), row


def test_text_drift_power_compares_the_tests_on_the_same_batches() -> None:
    script = BENCH.parent / "text_drift_power.py"
    done = subprocess.run([sys.executable, str(script), "--column", "reviews", "--rows", "3000",
                           "--batches", "3", "--texts-per-topic", "300"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[1:]
            for line in done.stdout.splitlines() if line.startswith("| ")}
    for test in ("max z", "Rao-Scott", "PCA Hotelling", "cross-fit"):
        clean = rows[test][0].strip(" |")
        assert clean == "0/3", (test, done.stdout)  # 3,000 clean reviews: no alarm at p < 0.000125
    assert rows["max z"][2].strip(" |") == "3/3", done.stdout  # an existing topic +10 points
