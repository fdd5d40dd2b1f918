"""``scripts/bench.py --e2e`` runs end to end on 2,000 PostgreSQL rows: it prints its table and the
integrity job and the pandas baseline hold back the same rows (no timing assertions).

Needs the PostgreSQL of the integration tests (``INTEGRITY_TEST_PG_URL`` or the local default); it
skips without one, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pg import require_postgres

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


def test_bench_e2e_runs_and_both_paths_agree(tmp_path: Path) -> None:
    url = require_postgres()
    done = subprocess.run(
        [sys.executable, str(BENCH), "--e2e", "--rows", "2000", "--repeat", "1", "--url", url,
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    rows = {m.group(1): (int(m.group(2).replace(",", "")), int(m.group(3).replace(",", "")))
            for m in re.finditer(r"^\| (integrity|pandas baseline) \|.*\| ([\d,]+) \| ([\d,]+) \|$",
                                 done.stdout, re.M)}
    assert set(rows) == {"integrity", "pandas baseline"}, output
    assert rows["integrity"] == rows["pandas baseline"], rows
    published, quarantined = rows["integrity"]
    assert published + quarantined == 2000
    assert 0 < quarantined < 200  # a few % of the rows are bad
    assert re.search(r"^\| ratio \| [\d.]+× \|", done.stdout, re.M), output
    assert "both paths agree" in done.stdout
    assert "MISMATCH" not in done.stdout
