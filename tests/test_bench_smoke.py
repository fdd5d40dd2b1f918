"""scripts/bench.py runs end to end on a tiny batch, and its engines agree (no timing assertions)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench.py"


def test_bench_runs_and_engines_agree(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--rows", "2000", "--repeat", "1", "--no-gx",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    rows = {m.group(1): m.group(2) for m in
            re.finditer(r"^\| (integrity|integrity-low-memory|floor|pandera) \|.*\| (\d+/\d+) \|$",
                        done.stdout, re.M)}
    assert set(rows) == {"integrity", "integrity-low-memory", "floor", "pandera"}, output
    # passed/failed counts match, and bench.py compared every verdict with the floor's.
    assert rows["integrity"] == rows["integrity-low-memory"] == rows["floor"] == rows["pandera"], rows
    passed, failed = map(int, rows["integrity"].split("/"))
    assert passed > 0 and failed > 0
    assert "gx: skipped (--no-gx)" in done.stdout
    assert "verdicts: all 4 engines agree" in done.stdout
    assert "VERDICT MISMATCH" not in done.stdout
