"""Alert incidents and the scheduler's job store.

Revision ID: 0004
Revises: 0003

``alert_incidents`` deduplicates alerts (one open incident per dataset and kind; what was sent to
which destination); ``schedule_jobs`` is APScheduler's SQLAlchemy job store, in the shape it would
create itself. Spelled out here, not imported from ``schema.py`` (see 0001).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alert_incidents",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("open_key", sa.Text, nullable=True),
        _ts("opened_at"),
        _ts("last_seen_at"),
        _ts("closed_at", nullable=True),
        sa.Column("occurrences", sa.Integer, nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("deliveries", JSON, nullable=False),
        sa.Column("settled", sa.Boolean, nullable=False),
        _ts("claimed_until", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alert_incidents"),
        sa.UniqueConstraint("open_key", name="uq_alert_incidents_open_key"),
    )
    op.create_index("ix_alert_incidents_dataset_settled", "alert_incidents", ["dataset", "settled"])

    op.create_table(
        "schedule_jobs",
        sa.Column("id", sa.Unicode(191), nullable=False),
        sa.Column("next_run_time", sa.Double, nullable=True),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_jobs"),
    )
    op.create_index("ix_schedule_jobs_next_run_time", "schedule_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_index("ix_schedule_jobs_next_run_time", table_name="schedule_jobs")
    op.drop_table("schedule_jobs")
    op.drop_index("ix_alert_incidents_dataset_settled", table_name="alert_incidents")
    op.drop_table("alert_incidents")
