"""Running the real ``integrity schedule start`` in a subprocess, and reading what it did."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from integrity.job import FAILPOINT_ENV
from tests.clirun import entry_point


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Scheduler:
    proc: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    port: int

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 90) -> int:
        """Send ``sig`` and wait; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        self.log_file.close()
        return code

    def metrics(self) -> str:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as answer:
            return str(answer.read().decode())


def start(root: Path, *args: str, env: Mapping[str, str] | None = None,
          log_name: str = "scheduler.log") -> Scheduler:
    """``integrity schedule start --project ROOT`` with fast retries, in the background."""
    port = free_port()
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    if FAILPOINT_ENV not in (env or {}):
        environment.pop(FAILPOINT_ENV, None)
    log_path = root / log_name
    log_file = log_path.open("ab")
    proc = subprocess.Popen(
        [entry_point(), "schedule", "start", "--project", str(root), "--metrics-port", str(port),
         "--backoff", "0.5", "--stop-timeout", "30", *args],
        stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, env=environment)
    return Scheduler(proc, log_path, log_file, port)


def wait_until(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    """Poll ``check`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.2)


def runs(db: Path, dataset: str | None = None) -> list[tuple[Any, ...]]:
    """(id, dataset, status, started_at, finished_at, summary) rows, oldest first."""
    if not db.exists():
        return []
    query = "SELECT id, dataset, status, started_at, finished_at, summary FROM runs"
    with sqlite3.connect(db, timeout=30) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchall():
            return []  # the store is being created
        if dataset is None:
            return conn.execute(query + " ORDER BY id").fetchall()
        return conn.execute(query + " WHERE dataset = ? ORDER BY id", (dataset,)).fetchall()


def finished_runs(db: Path, dataset: str) -> list[tuple[Any, ...]]:
    return [r for r in runs(db, dataset) if r[2] != "running"]


def assert_no_overlap(db: Path, dataset: str) -> None:
    """No two runs of ``dataset`` were going at the same time."""
    spans = sorted((r[3], r[4]) for r in runs(db, dataset) if r[4] is not None)
    for (_, end), (begin, _) in itertools.pairwise(spans):
        assert end <= begin, f"runs of {dataset} overlap: one ended at {end}, the next began at {begin}"
