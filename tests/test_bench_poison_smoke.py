"""scripts/bench_poison.py runs end to end on a few small batches (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench_poison.py"


def test_bench_poison_runs_and_reports_every_indicator(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(BENCH), "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())
    names = {"prompt_injection", "hidden_characters", "confusables", "pii", "urls_outside"}
    assert names <= set(figures)
    for name in names:
        assert 0.0 <= figures[name]["precision"] <= 1.0
        assert figures[name]["recall"] > 0.5, (name, figures[name])
        assert figures[name]["clean_batches"] == 3
        assert figures[name]["texts_per_second"] > 0
    assert "all row-level indicators in one suite" in done.stdout
