"""``scripts/bench.py --e2e`` runs end to end on 2,000 PostgreSQL rows: it prints its table and the
integrity job and the pandas baseline hold back the same rows (no timing assertions).

Needs the PostgreSQL of the integration tests (``INTEGRITY_TEST_PG_URL`` or the local default); it
skips without one, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"
DEFAULT_URL = "postgresql+psycopg://integrity:integrity@127.0.0.1:5432/integrity_test"
URL = os.environ.get("INTEGRITY_TEST_PG_URL", DEFAULT_URL)


def _require_postgres() -> None:
    try:
        engine = sa.create_engine(URL, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except (ImportError, sa.exc.DBAPIError) as exc:
        message = (f"PostgreSQL is unavailable ({sa.make_url(URL).render_as_string(hide_password=True)}"
                   f": {str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}); start it with "
                   "scripts/start_postgres.sh or set INTEGRITY_TEST_PG_URL.")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " CI=true, so this fails instead of skipping.", pytrace=False)
        pytest.skip(message)


def test_bench_e2e_runs_and_both_paths_agree(tmp_path: Path) -> None:
    _require_postgres()
    done = subprocess.run(
        [sys.executable, str(BENCH), "--e2e", "--rows", "2000", "--repeat", "1", "--url", URL,
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
