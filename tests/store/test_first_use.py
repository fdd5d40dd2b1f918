"""A new SQLite store opened by many processes at once: set up once, in WAL mode, never "database
is locked" (the smoke version of scripts/stress_store.py); and the PostgreSQL store's connect
timeout, taken from its URL."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from integrity.store import Store, connect
from tests.clirun import ROOT


class _Captured(Exception):
    pass


def test_stress_store_smoke() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "stress_store.py"),
                           "--processes", "6", "--rounds", "1"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 round of 6 processes opening a new store at once: 0 failed" in done.stdout


def test_a_new_store_is_set_up_under_a_private_lock_and_left_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "state" / "integrity.db"
    with Store.open(f"sqlite:///{db}"):
        pass
    lock = Path(f"{db}-open.lock")
    assert lock.exists() and stat.S_IMODE(lock.stat().st_mode) == 0o600
    engine = connect.create_store_engine(connect.parse_url(f"sqlite:///{db}"))
    try:
        assert connect._journal_mode(engine) == "wal"
        assert connect.current_revision(engine) == connect.HEAD_REVISION
    finally:
        engine.dispose()
    with Store.open(f"sqlite:///{db}") as again:  # already set up: opens without rebuilding
        assert again.runs("any") == []


def test_the_postgres_store_takes_its_connect_timeout_from_the_url() -> None:
    def connect_args(url: str) -> dict[str, object]:
        """What the store engine hands the driver (read as it connects; nothing is reached)."""
        engine = connect.create_store_engine(connect.parse_url(url))
        seen: dict[str, object] = {}

        @sa.event.listens_for(engine, "do_connect")
        def capture(_dialect: object, _record: object, _args: object,
                    params: dict[str, object]) -> None:
            seen.update(params)
            raise _Captured

        try:
            with pytest.raises(_Captured):
                engine.connect()
        finally:
            engine.dispose()
        return seen

    given = connect_args("postgresql://u:p@db.example/integrity?connect_timeout=2")
    default = connect_args("postgresql://u:p@db.example/integrity")
    assert str(given["connect_timeout"]) == "2"
    assert default["connect_timeout"] == connect.CONNECT_TIMEOUT_SECONDS
    assert given["application_name"] == default["application_name"] == "integrity"


_LAST_CONNECTION = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=30)
conn.execute("SELECT count(*) FROM runs").fetchall()
conn.close()  # the last connection to close checkpoints the WAL and deletes it
"""


def test_opening_the_store_again_in_a_process_keeps_that_process_s_sqlite_locks(
        tmp_path: Path) -> None:
    # Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
    # included. The scheduler opens its store while its own connections are in it; a reopen that
    # opened and closed the file made the next process to close its connection think it was the
    # last one and delete the WAL under the scheduler's connections ("database disk image is
    # malformed").
    db = tmp_path / "integrity.db"
    with Store.open(f"sqlite:///{db}") as store, store.engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM runs").all()  # this process is in the store
        Store.open(f"sqlite:///{db}").close()
        subprocess.run([sys.executable, "-c", _LAST_CONNECTION, str(db)], capture_output=True,
                       text=True, timeout=60, check=True)
        assert Path(f"{db}-wal").exists(), "another process took itself for the last connection"
