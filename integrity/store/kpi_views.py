"""The integrity KPI as SQL views in the results store (defined in docs/kpi.md).

One place for the views' SQL: the migration that introduced them (``0003``) and the fresh build of
a new store (:func:`integrity.store.connect.migrate`) both call :func:`create_views`, so a test can
compare the two databases. A BI tool pointed at the store reads the views directly; ``integrity.kpi``
reads them through :data:`VIEWS` (typed columns, the same values on SQLite and PostgreSQL).

Each view is written once, with a few dialect spellings filled in: the UTC day of a timestamp,
the seconds between two timestamps, and "now". Days are UTC. A batch counts on the day of its
verdict (``completed_at``); batches still ``pending``, ``failed`` by a steward or ``revalidated``
by a backfill (no new rows) have no verdict. A change to a view is a new revision that drops and
recreates them (:func:`drop_views`, then :func:`create_views`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from integrity.store.schema import UTCDateTime

VERDICTS = "('published', 'partial', 'quarantined', 'empty')"
"""Batch statuses that carry a verdict of the gate (SQL list)."""
NO_VERDICT = "('pending', 'failed', 'revalidated')"
"""The other batch statuses (``records.BATCH_STATUSES``): VERDICTS and these are all of them."""
HELD = "('partial', 'quarantined')"
DECIDED = "('released', 'rejected')"
OPEN = "('held', 'releasing', 'rejecting')"


class _Spelling:
    """The few expressions the dialects spell differently."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def day(self, ts: str) -> str:
        # SQLite keeps UTC timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text (SQLAlchemy's format):
        # the day is its first ten characters, three times faster to take than date() parses it.
        return f"CAST(({ts} AT TIME ZONE 'UTC') AS DATE)" if self.pg else f"substr({ts}, 1, 10)"

    def seconds(self, later: str, earlier: str) -> str:
        if self.pg:
            return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)"
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"

    def age(self, ts: str) -> str:
        """Seconds from ``ts`` to now."""
        return self.seconds("now()", ts) if self.pg else self.seconds("'now'", ts)

    def day_end(self, day: str) -> str:
        """The first instant after ``day``, comparable with the store's timestamps."""
        if self.pg:
            return f"(CAST(({day} + 1) AS TIMESTAMP) AT TIME ZONE 'UTC')"
        return f"date({day}, '+1 day')"  # 'YYYY-MM-DD' sorts before that day's 'YYYY-MM-DD hh:...'

    def lag_at_day_end(self, day: str, ts: str) -> str:
        """Seconds from ``ts`` to the end of ``day`` (UTC), or to now while the day lasts."""
        if self.pg:
            end = f"LEAST(CAST(({day} + 1) AS TIMESTAMP) AT TIME ZONE 'UTC', now())"
            return self.seconds(end, ts)
        return f"((MIN(julianday({day}, '+1 day'), julianday('now')) - julianday({ts})) * 86400.0)"


def ratio(part: str, whole: str) -> str:
    return f"CASE WHEN {whole} > 0 THEN CAST({part} AS DOUBLE PRECISION) / {whole} END"


def total(expr: str) -> str:
    """``SUM`` as a whole number: PostgreSQL sums BIGINT columns into NUMERIC."""
    return f"CAST(SUM({expr}) AS BIGINT)"


def _daily(s: _Spelling) -> str:
    # Batches, and quarantine entries by their batch's day, are grouped by (dataset, day) apart,
    # then joined: every entry's day is a day of verdicts, so nothing is lost, and the join is of
    # two small grouped tables (the entries' one materialized, so SQLite indexes it for the join
    # instead of a nested loop). The newest publish by each day's end walks the batches index back
    # from that end, once per day (no window function: a filter on dataset or day reaches the
    # groupings).
    detect = s.seconds("completed_at", "pulled_at")
    resolve = s.seconds("q.decided_at", "q.created_at")
    decided = f"q.status IN {DECIDED}"
    checked = "(p.rows_published + p.rows_quarantined)"
    return f"""
WITH by_batch AS (
  SELECT dataset, {s.day('completed_at')} AS day, COUNT(*) AS batches,
         SUM(CASE WHEN failed_expectations = 0 THEN 1 ELSE 0 END) AS batches_passed,
         SUM(CASE WHEN status IN {HELD} THEN 1 ELSE 0 END) AS batches_quarantined,
         {total('published_rows')} AS rows_published,
         {total('quarantined_rows')} AS rows_quarantined,
         AVG({detect}) AS time_to_detect_avg_s, MAX({detect}) AS time_to_detect_max_s
  FROM batches WHERE status IN {VERDICTS}
  GROUP BY dataset, {s.day('completed_at')}
), by_entry AS MATERIALIZED (
  SELECT b.dataset, {s.day('b.completed_at')} AS day, COUNT(*) AS entries,
         SUM(CASE WHEN {decided} THEN 1 ELSE 0 END) AS resolved,
         {total("CASE WHEN q.status = 'released' THEN q.rows ELSE 0 END")} AS released,
         {total("CASE WHEN q.status = 'rejected' THEN q.rows ELSE 0 END")} AS rejected,
         AVG(CASE WHEN {decided} THEN {resolve} END) AS resolve_avg,
         MAX(CASE WHEN {decided} THEN {resolve} END) AS resolve_max
  FROM quarantine q JOIN batches b ON b.batch_id = q.batch_id
  WHERE b.status IN {VERDICTS}
  GROUP BY b.dataset, {s.day('b.completed_at')}
), dated AS MATERIALIZED (
  SELECT by_batch.*, (
           SELECT b.completed_at FROM batches b
           WHERE b.dataset = by_batch.dataset AND b.published_rows > 0
             AND b.completed_at < {s.day_end('by_batch.day')}
           ORDER BY b.completed_at DESC LIMIT 1
         ) AS published_by_day_end
  FROM by_batch
)
SELECT p.dataset, p.day, p.batches, p.batches_passed, p.batches_quarantined,
       {ratio('p.batches_passed', 'p.batches')} AS batch_pass_rate,
       {ratio('p.batches_quarantined', 'p.batches')} AS quarantine_rate,
       {checked} AS rows_checked, p.rows_published, p.rows_quarantined,
       {ratio('p.rows_published', checked)} AS integrity_score,
       p.time_to_detect_avg_s, p.time_to_detect_max_s,
       COALESCE(e.entries, 0) AS quarantine_entries, COALESCE(e.resolved, 0) AS entries_resolved,
       COALESCE(e.released, 0) AS rows_released, COALESCE(e.rejected, 0) AS rows_rejected,
       e.resolve_avg AS time_to_resolve_avg_s, e.resolve_max AS time_to_resolve_max_s,
       p.published_by_day_end AS last_published_at,
       {s.lag_at_day_end('p.day', 'p.published_by_day_end')} AS freshness_lag_s
FROM dated p LEFT JOIN by_entry e ON e.dataset = p.dataset AND e.day = p.day
"""


def _indicators(s: _Spelling) -> str:
    day = s.day("created_at")
    return f"""
SELECT dataset, {day} AS day, expectation_type, tag, family,
       COUNT(*) AS batches, {total('held_rows')} AS rows_quarantined
FROM expectation_results WHERE held_rows > 0
GROUP BY dataset, {day}, expectation_type, tag, family
"""


def _failures(s: _Spelling) -> str:
    day = s.day("created_at")
    return f"""
SELECT dataset, {day} AS day, expectation_type, column_name, tag, family,
       COUNT(*) AS failures, {total('COALESCE(held_rows, 0)')} AS rows_quarantined,
       {total('unexpected_count')} AS unexpected_rows
FROM expectation_results WHERE NOT success
GROUP BY dataset, {day}, expectation_type, column_name, tag, family
"""


# Per-dataset "latest" values are correlated subqueries that walk the (dataset, completed_at)
# index backwards and stop at the first match; grouping or ranking every batch instead costs a
# scan of the whole history on each read.
_DATASETS = "datasets AS (SELECT DISTINCT dataset FROM runs)"


def _newest(column: str, condition: str) -> str:
    # NOT IN, not IN: an equality list on status would let a planner without statistics walk
    # ix_batches_dataset_status and sort, instead of the (dataset, completed_at) index backwards.
    return (f"(SELECT b.{column} FROM batches b WHERE b.dataset = d.dataset AND b.status NOT IN "
            f"{NO_VERDICT} AND b.completed_at IS NOT NULL{condition} "
            f"ORDER BY b.completed_at DESC, b.batch_id DESC LIMIT 1)")


_LATEST = f"""
WITH {_DATASETS}, latest AS (
  SELECT d.dataset, {_newest('batch_id', ' AND b.expectations IS NOT NULL')} AS batch_id
  FROM datasets d
)
"""


def _coverage(_s: _Spelling) -> str:
    return _LATEST + """
SELECT l.dataset, b.batch_id AS checked_batch_id, b.completed_at AS checked_at,
       COALESCE(b.expectations, 0) AS expectations,
       CASE WHEN COALESCE(b.expectations, 0) > 0 THEN 1 ELSE 0 END AS has_suite,
       COUNT(DISTINCT er.expectation_type) AS expectation_types,
       COUNT(DISTINCT er.column_name) AS columns_checked,
       COUNT(DISTINCT er.family) AS families
FROM latest l
LEFT JOIN batches b ON b.batch_id = l.batch_id
LEFT JOIN expectation_results er ON er.batch_id = l.batch_id
GROUP BY l.dataset, b.batch_id, b.completed_at, b.expectations
"""


def _coverage_families(_s: _Spelling) -> str:
    return _LATEST + """
SELECT l.dataset, COALESCE(er.family, 'other') AS family, COUNT(*) AS expectations,
       COUNT(DISTINCT er.expectation_type) AS expectation_types
FROM latest l JOIN expectation_results er ON er.batch_id = l.batch_id
GROUP BY l.dataset, COALESCE(er.family, 'other')
"""


def _freshness(s: _Spelling) -> str:
    return f"""
WITH {_DATASETS}, latest AS (
  SELECT d.dataset,
         {_newest('completed_at', ' AND b.published_rows > 0')} AS last_published_at,
         {_newest('completed_at', '')} AS last_verdict_at,
         (SELECT COUNT(*) FROM batches b
          WHERE b.dataset = d.dataset AND b.status = 'pending') AS pending_batches,
         (SELECT COUNT(*) FROM quarantine q
          WHERE q.dataset = d.dataset AND q.status IN {OPEN}) AS open_entries,
         (SELECT {total('q.rows')} FROM quarantine q
          WHERE q.dataset = d.dataset AND q.status IN {OPEN}) AS open_rows
  FROM datasets d
)
SELECT l.dataset, l.last_published_at, l.last_verdict_at, w.updated_at AS watermark_at,
       {s.age('COALESCE(l.last_published_at, w.updated_at)')} AS freshness_lag_s,
       l.pending_batches, l.open_entries, COALESCE(l.open_rows, 0) AS open_rows
FROM latest l LEFT JOIN watermarks w ON w.dataset = l.dataset
"""


def _totals(_s: _Spelling) -> str:
    return f"""
WITH b AS (
  SELECT dataset, COUNT(*) AS batches,
         SUM(CASE WHEN failed_expectations = 0 THEN 1 ELSE 0 END) AS batches_passed,
         SUM(CASE WHEN status IN {HELD} THEN 1 ELSE 0 END) AS batches_quarantined,
         {total('published_rows')} AS rows_published,
         {total('quarantined_rows')} AS rows_quarantined
  FROM batches WHERE status IN {VERDICTS} GROUP BY dataset
), q AS (
  SELECT dataset,
         {total("CASE WHEN status = 'released' THEN rows ELSE 0 END")} AS rows_released,
         {total("CASE WHEN status = 'rejected' THEN rows ELSE 0 END")} AS rows_rejected
  FROM quarantine WHERE status IN {DECIDED} GROUP BY dataset
)
SELECT b.dataset, b.batches, b.batches_passed, b.batches_quarantined,
       b.rows_published + b.rows_quarantined AS rows_checked, b.rows_published,
       b.rows_quarantined, COALESCE(q.rows_released, 0) AS rows_released,
       COALESCE(q.rows_rejected, 0) AS rows_rejected
FROM b LEFT JOIN q ON q.dataset = b.dataset
"""


_BUILDERS = {
    "kpi_daily": _daily,
    "kpi_indicators": _indicators,
    "kpi_failures": _failures,
    "kpi_coverage": _coverage,
    "kpi_coverage_families": _coverage_families,
    "kpi_freshness": _freshness,
    "kpi_totals": _totals,
}
VIEW_NAMES = tuple(_BUILDERS)


def view_sql(name: str, dialect: str) -> str:
    """The ``SELECT`` behind view ``name`` on ``dialect`` (``sqlite`` or ``postgresql``)."""
    return _BUILDERS[name](_Spelling(dialect)).strip()


def create_views(conn: Connection) -> None:
    """Create every KPI view (the tables they read must exist)."""
    for name in VIEW_NAMES:
        conn.exec_driver_sql(f"CREATE VIEW {name} AS\n{view_sql(name, conn.dialect.name)}")


def drop_views(conn: Connection) -> None:
    for name in reversed(VIEW_NAMES):
        conn.exec_driver_sql(f"DROP VIEW IF EXISTS {name}")


class Day(sa.TypeDecorator[dt.date]):
    """A UTC day: ``date`` on PostgreSQL, ``'YYYY-MM-DD'`` text on SQLite; a ``date`` either way."""

    impl = sa.Date
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.date | None:
        if value is None or isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))


def _view(name: str, *columns: tuple[str, Any]) -> sa.Table:
    return sa.Table(name, _views_metadata, *(sa.Column(c, kind) for c, kind in columns))


_views_metadata = sa.MetaData()
"""Kept apart from ``schema.metadata``: views are not tables to create or compare."""
_INT, _FLOAT, _TEXT, _TS = sa.BigInteger, sa.Float, sa.Text, UTCDateTime

VIEWS: dict[str, sa.Table] = {
    "kpi_daily": _view(
        "kpi_daily", ("dataset", _TEXT), ("day", Day), ("batches", _INT),
        ("batches_passed", _INT), ("batches_quarantined", _INT), ("batch_pass_rate", _FLOAT),
        ("quarantine_rate", _FLOAT), ("rows_checked", _INT), ("rows_published", _INT),
        ("rows_quarantined", _INT), ("integrity_score", _FLOAT),
        ("time_to_detect_avg_s", _FLOAT), ("time_to_detect_max_s", _FLOAT),
        ("quarantine_entries", _INT), ("entries_resolved", _INT), ("rows_released", _INT),
        ("rows_rejected", _INT), ("time_to_resolve_avg_s", _FLOAT),
        ("time_to_resolve_max_s", _FLOAT), ("last_published_at", _TS),
        ("freshness_lag_s", _FLOAT)),
    "kpi_indicators": _view(
        "kpi_indicators", ("dataset", _TEXT), ("day", Day), ("expectation_type", _TEXT),
        ("tag", _TEXT), ("family", _TEXT), ("batches", _INT), ("rows_quarantined", _INT)),
    "kpi_failures": _view(
        "kpi_failures", ("dataset", _TEXT), ("day", Day), ("expectation_type", _TEXT),
        ("column_name", _TEXT), ("tag", _TEXT), ("family", _TEXT), ("failures", _INT),
        ("rows_quarantined", _INT), ("unexpected_rows", _INT)),
    "kpi_coverage": _view(
        "kpi_coverage", ("dataset", _TEXT), ("checked_batch_id", _TEXT), ("checked_at", _TS),
        ("expectations", _INT), ("has_suite", _INT), ("expectation_types", _INT),
        ("columns_checked", _INT), ("families", _INT)),
    "kpi_coverage_families": _view(
        "kpi_coverage_families", ("dataset", _TEXT), ("family", _TEXT), ("expectations", _INT),
        ("expectation_types", _INT)),
    "kpi_freshness": _view(
        "kpi_freshness", ("dataset", _TEXT), ("last_published_at", _TS),
        ("last_verdict_at", _TS), ("watermark_at", _TS), ("freshness_lag_s", _FLOAT),
        ("pending_batches", _INT), ("open_entries", _INT), ("open_rows", _INT)),
    "kpi_totals": _view(
        "kpi_totals", ("dataset", _TEXT), ("batches", _INT), ("batches_passed", _INT),
        ("batches_quarantined", _INT), ("rows_checked", _INT), ("rows_published", _INT),
        ("rows_quarantined", _INT), ("rows_released", _INT), ("rows_rejected", _INT)),
}
"""Each view as a SQLAlchemy table of typed columns, for reading it (``sa.select(VIEWS[name])``)."""
