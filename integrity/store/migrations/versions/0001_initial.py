"""The first schema: runs, batches, expectation results, watermarks, quarantine, audit.

Revision ID: 0001
Revises: (none)

Spelled out here instead of importing ``schema.py`` so that this revision stays what it was when
later revisions change the tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        _ts("started_at"),
        _ts("finished_at", nullable=True),
        sa.Column("summary", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_dataset_started_at", "runs", ["dataset", "started_at"])

    op.create_table(
        "batches",
        sa.Column("batch_id", sa.Text, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("info", JSON, nullable=False),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("watermark_before", JSON, nullable=False),
        sa.Column("watermark_after", JSON, nullable=False),
        sa.Column("published_rows", sa.BigInteger, nullable=False),
        sa.Column("quarantined_rows", sa.BigInteger, nullable=False),
        _ts("created_at"),
        _ts("completed_at", nullable=True),
        sa.PrimaryKeyConstraint("batch_id", name="pk_batches"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_batches_run_id_runs"),
    )
    op.create_index("ix_batches_dataset_created_at", "batches", ["dataset", "created_at"])
    op.create_index("ix_batches_dataset_status", "batches", ["dataset", "status"])

    op.create_table(
        "expectation_results",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Text, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("suite_name", sa.Text, nullable=True),
        sa.Column("expectation_index", sa.Integer, nullable=False),
        sa.Column("expectation_type", sa.Text, nullable=False),
        sa.Column("expectation_id", sa.Text, nullable=True),
        sa.Column("column_name", sa.Text, nullable=True),
        sa.Column("column_names", JSON, nullable=True),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("observed_value", JSON, nullable=True),
        sa.Column("unexpected_count", sa.BigInteger, nullable=True),
        sa.Column("unexpected_percent", sa.Float, nullable=True),
        sa.Column("element_count", sa.BigInteger, nullable=True),
        sa.Column("kwargs", JSON, nullable=False),
        sa.Column("result", JSON, nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_expectation_results"),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.batch_id"],
                                name="fk_expectation_results_batch_id_batches"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_expectation_results_run_id_runs"),
    )
    op.create_index("ix_expectation_results_history", "expectation_results",
                    ["dataset", "expectation_type", "column_name"])
    op.create_index("ix_expectation_results_batch_id", "expectation_results", ["batch_id"])

    op.create_table(
        "watermarks",
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("batch_id", sa.Text, nullable=True),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("dataset", name="pk_watermarks"),
    )

    op.create_table(
        "quarantine",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("batch_id", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        _ts("created_at"),
        sa.Column("decided_by", sa.Text, nullable=True),
        _ts("decided_at", nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_quarantine"),
        sa.ForeignKeyConstraint(["batch_id"], ["batches.batch_id"],
                                name="fk_quarantine_batch_id_batches"),
    )
    op.create_index("ix_quarantine_dataset_status", "quarantine", ["dataset", "status"])

    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        _ts("at"),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("details", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
    )
    op.create_index("ix_audit_dataset_at", "audit", ["dataset", "at"])


def downgrade() -> None:
    for index, table in [("ix_audit_dataset_at", "audit"),
                         ("ix_quarantine_dataset_status", "quarantine"),
                         ("ix_expectation_results_batch_id", "expectation_results"),
                         ("ix_expectation_results_history", "expectation_results"),
                         ("ix_batches_dataset_status", "batches"),
                         ("ix_batches_dataset_created_at", "batches"),
                         ("ix_runs_dataset_started_at", "runs")]:
        op.drop_index(index, table_name=table)
    for table in ("audit", "quarantine", "watermarks", "expectation_results", "batches", "runs"):
        op.drop_table(table)
