#!/usr/bin/env python
"""What counting late rows costs a normal incremental run: the job on a SQLite source, timed.

Why: finding NULL-cursor and late rows (``integrity/connectors/late.py``) adds a count query per
pull, a 64-bit hash per row taken and a ledger segment per batch. This times the whole job
(``integrity.job.run``, in process) on a SQLite table with an index on its cursor column:

1. the first run over ``--rows`` rows;
2. an incremental run after ``--rows`` more rows arrived (the count query sees the first ones);
3. a run with nothing new (the count query and an empty read);
4. a run after one late row arrived (the rows below the watermark are read and looked up).

Run it against another checkout to compare, e.g. ``PYTHONPATH=/path/to/other python
scripts/bench_late_rows.py`` (step 4 then shows what the older code did: nothing).

Example::

    python scripts/bench_late_rows.py --rows 1000000 --repeat 2
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

SUITE = {"name": "bench", "expectations": [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "customer_id"}},
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "rating", "min_value": 1, "max_value": 5}}]}


def add(db: Path, start: int, count: int) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS feedback (id INTEGER, customer_id TEXT, "
                     "rating INTEGER, text TEXT)")
        conn.execute("CREATE INDEX IF NOT EXISTS feedback_id ON feedback (id)")
        conn.executemany("INSERT INTO feedback VALUES (?, ?, ?, ?)",
                         ((i, f"C-{i % 50_000}", 1 + i % 5,
                           f"The agent answered question {i} about billing.")
                          for i in range(start, start + count)))


def project(root: Path, db: Path) -> None:
    (root / "connectors").mkdir(parents=True)
    (root / "expectations").mkdir()
    (root / "integrity.yaml").write_text("store_url: sqlite:///state/integrity.db\n"
                                         "data_root: state/data\n")
    (root / "expectations" / "bench.json").write_text(json.dumps(SUITE))
    (root / "connectors" / "bench.yaml").write_text(
        f"name: bench\nconnector:\n  type: sql\n  params:\n    url: sqlite:///{db}\n"
        "    table: feedback\ncursor:\n  column: id\nsuite: expectations/bench.json\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    import integrity
    from integrity.job import Project, run

    print(f"integrity from {Path(integrity.__file__).parent}", file=sys.stderr)
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):
        root = Path(tempfile.mkdtemp(prefix="bench-late-"))
        try:
            db = root / "source.db"
            add(db, 0, args.rows)
            project(root / "p", db)
            proj = Project.load(root / "p")
            steps = [("first run", None), ("incremental run", (args.rows, args.rows)),
                     ("nothing new", None), ("one late row", (-1, 1))]
            for name, rows in steps:
                if rows is not None:
                    add(db, *rows)
                started, cpu = time.perf_counter(), time.process_time()
                summary = run(proj, "bench")
                took = (time.perf_counter() - started, time.process_time() - cpu)
                best[name] = min(best.get(name, took), took)
                taken = sum(b.rows for b in summary.batches)
                print(f"{name}: {took[0]:.2f} s, CPU {took[1]:.2f} s, {taken} rows", file=sys.stderr)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print(f"| step | wall s | CPU s (best of {args.repeat}) |\n|---|---|---|")
    for name, (wall, cpu) in best.items():
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
