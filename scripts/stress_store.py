#!/usr/bin/env python
"""Many processes opening one brand-new SQLite results store at the same instant, round after round.

Why: the first use of a store creates the file, switches it to WAL and builds the schema; two
processes doing that at once (the scheduler and a CLI command, or ``run --all`` in parallel shells)
must neither fail with "database is locked" nor build the schema twice. Each round makes a new
store path, starts ``--processes`` workers that import everything first and then wait on a shared
start signal, releases them together, and checks that every worker opened the store and wrote to
it, and that the store ends with one schema revision, WAL mode, and one run row per worker.

Examples::

    python scripts/stress_store.py                         # 20 processes, 50 rounds
    python scripts/stress_store.py --processes 8 --rounds 3
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Imports first, then "ready", then wait for the go line on stdin: the opens start together.
WORKER = """
import sys, time
from integrity.store import Store
print("ready", flush=True)
sys.stdin.readline()
time.sleep(float(sys.argv[2]))
with Store.open(sys.argv[1]) as store:
    store.finish_run(store.start_run("stress"), "clean", {})
"""


@dataclass
class Round:
    failures: list[str]
    seconds: float


def one_round(folder: Path, processes: int) -> Round:
    """Open a new store at ``folder/state/integrity.db`` from ``processes`` workers at once."""
    db = folder / "state" / "integrity.db"
    # Half start at once, the others spread over 50 ms: they meet the store at every stage of
    # its setup (an empty file, the WAL switch, the schema half built).
    delays = [0.0 if i % 2 else random.uniform(0, 0.05) for i in range(processes)]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, f"sqlite:///{db}", str(delay)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for delay in delays]
    for proc in procs:
        assert proc.stdout is not None
        proc.stdout.readline()  # "ready" (or EOF if the import failed; the exit code says)
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    failures = []
    for proc in procs:
        _, stderr = proc.communicate(timeout=300)
        if proc.returncode != 0:
            lines = [line for line in stderr.strip().splitlines() if line.strip()]
            failures.append(f"exit {proc.returncode}: {lines[-1] if lines else '(no output)'}")
    seconds = time.perf_counter() - started
    if not failures:
        failures += check_store(db, processes)
    return Round(failures, seconds)


def check_store(db: Path, processes: int) -> list[str]:
    """What is wrong with the store after a round (nothing, when the opens were safe)."""
    with sqlite3.connect(db) as conn:
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    problems = []
    if len(versions) != 1:
        problems.append(f"{len(versions)} schema revisions recorded: {versions}")
    if mode != "wal":
        problems.append(f"journal mode {mode!r}, not 'wal'")
    if runs != processes:
        problems.append(f"{runs} runs recorded, not {processes}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args(argv)
    failed = 0
    slowest = 0.0
    with tempfile.TemporaryDirectory(prefix="integrity-stress-") as tmp:
        for number in range(1, args.rounds + 1):
            result = one_round(Path(tmp) / f"round-{number}", args.processes)
            slowest = max(slowest, result.seconds)
            if result.failures:
                failed += 1
                print(f"round {number}: {len(result.failures)} problem(s)")
                for problem in result.failures:
                    print(f"  {problem}")
    print(f"{args.rounds} round{'s' * (args.rounds != 1)} of {args.processes} processes opening "
          f"a new store at once: {failed} failed; slowest round {slowest:.2f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
