"""The results store's tables (SQLAlchemy Core), the shape the newest migration produces.

Alembic migrations in ``integrity/store/migrations/versions`` create and change these tables; a test
compares a migrated database with this metadata, so a column added here without a migration (or the
other way round) fails CI rather than a customer's upgrade.

Design notes:

- Timestamps are ``timestamptz`` on PostgreSQL (KPI views do date arithmetic on them) and UTC text on
  SQLite; :class:`UTCDateTime` hands back aware UTC datetimes from both.
- JSON columns are JSONB on PostgreSQL so KPI views and anomaly checks can index into them.
- Expectation results keep the headline metrics in their own columns (the history anomaly checks
  read) and the full GX-shaped result as JSON (what a person debugging a failure reads).
- Constraint names follow one convention so later migrations can name what they alter, which
  SQLite's batch mode needs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timestamp that goes in and comes out as an aware UTC datetime on every backend.

    SQLite has no time zones: it stores naive UTC text, and naive values read back are UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


JSONValue = sa.JSON().with_variant(JSONB(), "postgresql")
"""JSON on SQLite, JSONB on PostgreSQL; values are serialized by ``records.json_dumps``."""

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Column("summary", JSONValue, nullable=True),
    sa.Index("ix_runs_dataset_started_at", "dataset", "started_at"),
)

batches = sa.Table(
    "batches", metadata,
    sa.Column("batch_id", sa.Text, primary_key=True),
    sa.Column("dataset", sa.Text, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("info", JSONValue, nullable=False),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("watermark_before", JSONValue, nullable=False),
    sa.Column("watermark_after", JSONValue, nullable=False),
    sa.Column("published_rows", sa.BigInteger, nullable=False),
    sa.Column("quarantined_rows", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=True),
    # Added by revision 0003, for the KPI views (docs/kpi.md): the batch's arrival (the
    # connector's pull) and how many of its expectations ran and failed (None: the suite could
    # not run on it).
    sa.Column("pulled_at", UTCDateTime, nullable=True),
    sa.Column("expectations", sa.Integer, nullable=True),
    sa.Column("failed_expectations", sa.Integer, nullable=True),
    sa.Index("ix_batches_dataset_created_at", "dataset", "created_at"),
    sa.Index("ix_batches_dataset_status", "dataset", "status"),
    # The KPI views read verdicts through this index alone (it covers what they read: the JSON
    # columns stay on disk), and find each dataset's newest batch at its end.
    sa.Index("ix_batches_kpi", "dataset", "completed_at", "status", "published_rows",
             "quarantined_rows", "failed_expectations", "pulled_at"),
)

expectation_results = sa.Table(
    "expectation_results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Text, sa.ForeignKey("batches.batch_id"), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("dataset", sa.Text, nullable=False),
    sa.Column("suite_name", sa.Text, nullable=True),
    sa.Column("expectation_index", sa.Integer, nullable=False),
    sa.Column("expectation_type", sa.Text, nullable=False),
    sa.Column("expectation_id", sa.Text, nullable=True),
    sa.Column("column_name", sa.Text, nullable=True),
    sa.Column("column_names", JSONValue, nullable=True),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("observed_value", JSONValue, nullable=True),
    sa.Column("unexpected_count", sa.BigInteger, nullable=True),
    sa.Column("unexpected_percent", sa.Float, nullable=True),
    sa.Column("element_count", sa.BigInteger, nullable=True),
    sa.Column("kwargs", JSONValue, nullable=False),
    sa.Column("result", JSONValue, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # Added by revision 0003: the expectation's ``meta.tag``, its family in the catalogue, and
    # how many of the batch's rows it held (the whole batch for a batch-level hold).
    sa.Column("tag", sa.Text, nullable=True),
    sa.Column("family", sa.Text, nullable=True),
    sa.Column("held_rows", sa.BigInteger, nullable=True),
    sa.Index("ix_expectation_results_history", "dataset", "expectation_type", "column_name"),
    sa.Index("ix_expectation_results_batch_id", "batch_id"),
    # The KPI views read failures and holds only, a few percent of the results: partial indexes
    # that cover what the views read, so the results' JSON is never touched.
    sa.Index("ix_expectation_results_failures", "dataset", "created_at", "expectation_type",
             "column_name", "tag", "family", "held_rows", "unexpected_count", "success",
             sqlite_where=sa.text("NOT success"), postgresql_where=sa.text("NOT success")),
    sa.Index("ix_expectation_results_held", "dataset", "created_at", "expectation_type", "tag",
             "family", "held_rows",
             sqlite_where=sa.text("held_rows > 0"), postgresql_where=sa.text("held_rows > 0")),
)

watermarks = sa.Table(
    "watermarks", metadata,
    sa.Column("dataset", sa.Text, primary_key=True),
    sa.Column("value", JSONValue, nullable=False),
    sa.Column("batch_id", sa.Text, nullable=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

quarantine = sa.Table(
    "quarantine", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("dataset", sa.Text, nullable=False),
    sa.Column("batch_id", sa.Text, sa.ForeignKey("batches.batch_id"), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("reasons", JSONValue, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("decided_by", sa.Text, nullable=True),
    sa.Column("decided_at", UTCDateTime, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Index("ix_quarantine_dataset_status", "dataset", "status"),
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("dataset", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("details", JSONValue, nullable=True),
    sa.Index("ix_audit_dataset_at", "dataset", "at"),
)

batch_metrics = sa.Table(
    "batch_metrics", metadata,
    sa.Column("batch_id", sa.Text, sa.ForeignKey("batches.batch_id"), primary_key=True),
    sa.Column("dataset", sa.Text, nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=False),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("newest_at", UTCDateTime, nullable=True),
    sa.Column("metrics", JSONValue, nullable=False),
    sa.Column("profile", JSONValue, nullable=True),
    sa.Index("ix_batch_metrics_dataset_completed_at", "dataset", "completed_at"),
)
"""What history checks and baselines read of each batch that published rows, computed over the rows
it published (never the held ones): their count, the newest value of the dataset's time column,
the column metrics its suite's history checks ask for (``{column: {metric: value}}``), and the
mergeable profile its drift checks use (opaque JSON; never raw rows)."""

baselines = sa.Table(
    "baselines", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=True),
    sa.Column("rolling", sa.Integer, nullable=True),
    sa.Column("profile", JSONValue, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Index("ix_baselines_dataset_id", "dataset", "id"),
)
"""Every baseline set for a dataset; the latest is the one in force. ``kind`` is ``batch`` (the
profile of one published batch, ``source`` its id), ``file`` (a profile of a data file, ``source``
its path) or ``rolling`` (no stored profile: the last ``rolling`` published batches' profiles,
merged when a check asks)."""

alert_incidents = sa.Table(
    "alert_incidents", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dataset", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    # "<dataset>/<kind>" while the incident is open, NULL once closed: one open incident per
    # dataset and kind, which is what deduplicates alerts (a unique index; NULLs never collide).
    sa.Column("open_key", sa.Text, nullable=True, unique=True),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.Column("occurrences", sa.Integer, nullable=False),
    sa.Column("detail", JSONValue, nullable=False),
    sa.Column("deliveries", JSONValue, nullable=False),
    sa.Column("settled", sa.Boolean, nullable=False),
    sa.Column("claimed_until", UTCDateTime, nullable=True),
    sa.Index("ix_alert_incidents_dataset_settled", "dataset", "settled"),
)
"""Alert incidents (:mod:`integrity.alerts`): what was reported where, so a failure that recurs
every 15 minutes is one incident and one message (plus reminders), not one per run. Webhook URLs
are never stored; ``deliveries`` keys destinations by a hash of the URL as written."""

schedule_jobs = sa.Table(
    "schedule_jobs", metadata,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Double, nullable=True, index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)
"""APScheduler 3's SQLAlchemy job store (``integrity schedule start``), in the shape it creates
itself, so the migrations own it: each scheduled dataset's trigger and next run time, which
survive a restart (a run missed while the scheduler was down runs once, within the grace time)."""
