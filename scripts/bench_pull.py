#!/usr/bin/env python
"""Time a full-table pull from PostgreSQL through each read path of the SQL connector.

Why: ``engine="auto"`` prefers ADBC, then connectorx, then SQLAlchemy chunks; this measures whether
that order is right and what the fast paths buy over the common baseline, ``pandas.read_sql``.

The table (``bench_feedback``: feedback-like rows with ids, timestamps, ratings, a channel and a
short text) is generated once inside PostgreSQL with ``generate_series`` and reused while it has the
requested row count. Each path runs ``SqlConnector.pull`` (the whole batch: read, Arrow -> polars,
content hash) ``--repeat`` times; the best time counts. Prints a Markdown table.

Examples::

    python scripts/bench_pull.py                    # 1M rows, INTEGRITY_TEST_PG_URL or the default
    python scripts/bench_pull.py --rows 200000 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integrity.connectors.base import Watermark
from integrity.connectors.sql import SqlConnector

DEFAULT_URL = "postgresql+psycopg://integrity:integrity@127.0.0.1:5432/integrity_test"
TABLE = "bench_feedback"

# Static SQL: the only value that varies (the row count) is a bound parameter.
CREATE = sa.text("""
    CREATE TABLE bench_feedback AS
    SELECT g::bigint AS id,
           timestamp '2024-01-01' + (g * interval '1 second') AS created_at,
           (g % 50000)::int AS customer_id,
           1 + (g % 5)::int AS rating,
           (ARRAY['email', 'chat', 'phone', 'app'])[1 + g % 4] AS channel,
           'The agent answered question ' || g || ' about billing; the customer said it was '
               || (ARRAY['great', 'fine', 'slow', 'wrong'])[1 + g % 4] || '.' AS body,
           (g % 1000) / 10.0 AS score
    FROM generate_series(1, :n) AS g
""")


def ensure_table(engine: sa.Engine, rows: int) -> None:
    with engine.begin() as conn:
        inspector = sa.inspect(conn)
        if inspector.has_table(TABLE):
            count = conn.execute(sa.select(sa.func.count()).select_from(sa.table(TABLE))).scalar()
            if count == rows:
                return
            conn.execute(sa.schema.DropTable(sa.Table(TABLE, sa.MetaData())))
        print(f"creating {TABLE} with {rows:,} rows ...", file=sys.stderr)
        conn.execute(CREATE, {"n": rows})
        conn.execute(sa.text("ANALYZE bench_feedback"))


def best_of(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("INTEGRITY_TEST_PG_URL", DEFAULT_URL))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    args = parser.parse_args()

    engine = sa.create_engine(args.url)
    ensure_table(engine, args.rows)

    timings: dict[str, float] = {}
    sources: dict[str, str] = {}
    for path in ("adbc", "connectorx", "sqlalchemy"):
        conn = SqlConnector(dataset="bench", url=args.url, table=TABLE, engine=path,
                            chunk_size=args.chunk_size)

        def pull(conn: SqlConnector = conn) -> Any:
            return conn.pull(Watermark())

        seconds, batch = best_of(args.repeat, pull)
        conn.close()
        assert batch.frame.height == args.rows, (path, batch.frame.height)
        timings[path], sources[path] = seconds, batch.info.source.split("]")[0] + "]"

    import pandas as pd

    def read_pandas() -> Any:
        with engine.connect() as conn:
            return pd.read_sql(sa.select(sa.table(TABLE, *(sa.column(c) for c in (
                "id", "created_at", "customer_id", "rating", "channel", "body", "score")))), conn)

    timings["pandas.read_sql"], frame = best_of(args.repeat, read_pandas)
    assert len(frame) == args.rows
    engine.dispose()

    base = timings["pandas.read_sql"]
    print(f"\nPull of {args.rows:,} rows x 7 columns from PostgreSQL (best of {args.repeat}; "
          f"chunk size {args.chunk_size:,} on the SQLAlchemy path)\n")
    print("| path | seconds | rows/s | speed-up vs pandas.read_sql |")
    print("|---|---:|---:|---:|")
    for path, seconds in sorted(timings.items(), key=lambda kv: kv[1]):
        print(f"| {sources.get(path, path)} | {seconds:.2f} | {args.rows / seconds:,.0f} | "
              f"{base / seconds:.1f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
