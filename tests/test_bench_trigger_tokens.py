"""scripts/bench_trigger_tokens.py runs end to end on a few batches (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench_trigger_tokens.py"


def test_bench_tunes_on_one_set_and_measures_on_the_other(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, str(BENCH), "--batches", "2", "--other-batches", "1",
                           "--history", "12", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(out.read_text())
    assert 1e-8 <= figures["p_value"] <= 1e-2
    cells = figures["measure"]
    assert cells["clean"]["batches"] == 2 and cells["0.02"]["batches"] == 2
    assert cells["0.1"]["caught"] == 1 and cells["0.1"]["recall"] > 0.9
    assert {"0.005", "5", "20", "thin_0.5%_x8"} <= set(cells)
