"""The integrity KPI: what the views need, their indexes, and the views (docs/kpi.md).

Revision ID: 0003
Revises: 0002

Adds to ``batches`` the arrival time (``pulled_at``) and the number of expectations run and failed,
and to ``expectation_results`` the expectation's ``meta.tag``, its family and the rows it held;
fills them in for batches recorded before; adds partial indexes on failures and holds; creates the
KPI views of :mod:`integrity.store.kpi_views`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_PARTIAL = {  # name: (columns, which rows)
    "ix_expectation_results_failures": (
        ["dataset", "created_at", "expectation_type", "column_name", "tag", "family", "held_rows",
         "unexpected_count", "success"], "NOT success"),
    "ix_expectation_results_held": (
        ["dataset", "created_at", "expectation_type", "tag", "family", "held_rows"],
        "held_rows > 0"),
}
_BATCHES_KPI = ["dataset", "completed_at", "status", "published_rows", "quarantined_rows",
                "failed_expectations", "pulled_at"]


def upgrade() -> None:
    from integrity.store.kpi_views import create_views

    op.add_column("batches", sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("batches", sa.Column("expectations", sa.Integer, nullable=True))
    op.add_column("batches", sa.Column("failed_expectations", sa.Integer, nullable=True))
    op.add_column("expectation_results", sa.Column("tag", sa.Text, nullable=True))
    op.add_column("expectation_results", sa.Column("family", sa.Text, nullable=True))
    op.add_column("expectation_results", sa.Column("held_rows", sa.BigInteger, nullable=True))
    op.create_index("ix_batches_kpi", "batches", _BATCHES_KPI)
    for name, (columns, where) in _PARTIAL.items():
        op.create_index(name, "expectation_results", columns,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    conn = op.get_bind()
    _fill_in(conn)
    create_views(conn)


def downgrade() -> None:
    from integrity.store.kpi_views import drop_views

    drop_views(op.get_bind())
    for name in _PARTIAL:
        op.drop_index(name, table_name="expectation_results")
    op.drop_index("ix_batches_kpi", table_name="batches")
    with op.batch_alter_table("expectation_results") as table:
        for column in ("held_rows", "family", "tag"):
            table.drop_column(column)
    with op.batch_alter_table("batches") as table:
        for column in ("failed_expectations", "expectations", "pulled_at"):
            table.drop_column(column)


def _fill_in(conn: sa.Connection) -> None:
    """The new columns for what earlier runs recorded, from what they recorded."""
    from integrity.store import rows
    from integrity.store.schema import JSONValue, UTCDateTime

    b = sa.table("batches", sa.column("batch_id"), sa.column("status"),
                 sa.column("info", JSONValue), sa.column("pulled_at", UTCDateTime),
                 sa.column("expectations"), sa.column("failed_expectations"))
    er = sa.table("expectation_results", sa.column("batch_id"), sa.column("expectation_index"),
                  sa.column("expectation_type"), sa.column("success", sa.Boolean),
                  sa.column("result", JSONValue), sa.column("tag"), sa.column("family"),
                  sa.column("held_rows"))
    q = sa.table("quarantine", sa.column("batch_id"), sa.column("rows"),
                 sa.column("reasons", JSONValue))
    of_batch = er.c.batch_id == b.c.batch_id
    counted = sa.select(sa.func.count()).where(of_batch).scalar_subquery()
    failed = sa.select(sa.func.count()).where(of_batch, sa.not_(er.c.success)).scalar_subquery()
    conn.execute(sa.update(b).where(b.c.status != "pending", sa.exists().where(of_batch))
                 .values(expectations=counted, failed_expectations=failed))
    arrivals = [{"key": r.batch_id, "at": _when(r.info)}
                for r in conn.execute(sa.select(b.c.batch_id, b.c.info))]
    arrivals = [a for a in arrivals if a["at"] is not None]
    if arrivals:
        conn.execute(sa.update(b).where(b.c.batch_id == sa.bindparam("key"))
                     .values(pulled_at=sa.bindparam("at", type_=UTCDateTime)), arrivals)
    tag = er.c.result[("expectation_config", "meta", "tag")].as_string()
    conn.execute(sa.update(er).where(tag.is_not(None)).values(tag=tag))
    types = list(conn.execute(sa.select(er.c.expectation_type).distinct()).scalars())
    families = [{"kind": kind, "fam": rows.family_of(kind)} for kind in types]
    families = [f for f in families if f["fam"] is not None]
    if families:
        conn.execute(sa.update(er).where(er.c.expectation_type == sa.bindparam("kind"))
                     .values(family=sa.bindparam("fam")), families)
    holds: dict[tuple[str, int], int] = {}
    for entry in conn.execute(sa.select(q.c.batch_id, q.c.rows, q.c.reasons)):
        for index, held in rows.held_by(entry.reasons or [], entry.rows).items():
            holds[(entry.batch_id, index)] = holds.get((entry.batch_id, index), 0) + held
    if holds:
        conn.execute(sa.update(er).where(er.c.batch_id == sa.bindparam("key"),
                                         er.c.expectation_index == sa.bindparam("index"))
                     .values(held_rows=sa.bindparam("held")),
                     [{"key": k, "index": i, "held": n} for (k, i), n in holds.items()])


def _when(info: Any) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(str((info or {}).get("pulled_at")))
    except ValueError:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
