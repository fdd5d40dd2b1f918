"""A short run of scripts/chaos.py: SIGKILLs of `integrity run` while a producer writes files in
place, by rename and through symlinks; every source row must land exactly once.

The full run (500 kills over files, SQLite and PostgreSQL sources and both results stores) is
recorded in docs/reliability.md: `python scripts/chaos.py --kills 500`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def test_a_short_chaos_run_loses_and_doubles_nothing(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "chaos.py"), "--kills", "4", "--sources", "files",
         "--stores", "sqlite", "--seed", "7", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    total = run.stdout.strip().splitlines()[-1]
    assert total.startswith("total: 4 kills,") and total.endswith("0 lost, 0 doubled, 0 foreign"), total
