"""Batch metrics (what history checks and baselines read) and baselines.

Revision ID: 0002
Revises: 0001

Spelled out here instead of importing ``schema.py`` so that this revision stays what it was when
later revisions change the tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "batch_metrics",
        sa.Column("batch_id", sa.Text, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        _ts("completed_at"),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        _ts("newest_at", nullable=True),
        sa.Column("metrics", JSON, nullable=False),
        sa.Column("profile", JSON, nullable=True),
        sa.PrimaryKeyConstraint("batch_id", name="pk_batch_metrics"),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.batch_id"],
                                name="fk_batch_metrics_batch_id_batches"),
    )
    op.create_index("ix_batch_metrics_dataset_completed_at", "batch_metrics",
                    ["dataset", "completed_at"])

    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("rolling", sa.Integer, nullable=True),
        sa.Column("profile", JSON, nullable=True),
        _ts("created_at"),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_baselines"),
    )
    op.create_index("ix_baselines_dataset_id", "baselines", ["dataset", "id"])


def downgrade() -> None:
    op.drop_index("ix_baselines_dataset_id", table_name="baselines")
    op.drop_table("baselines")
    op.drop_index("ix_batch_metrics_dataset_completed_at", table_name="batch_metrics")
    op.drop_table("batch_metrics")
