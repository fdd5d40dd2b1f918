"""The results store: runs, batches, expectation results (the metric history), watermarks,
quarantine entries and the audit trail, in SQLite (``.integrity/integrity.db``) or PostgreSQL.

::

    from integrity.store import Store

    with Store.open("sqlite:///.integrity/integrity.db") as store, store.lock("orders"):
        run_id = store.start_run("orders")
        ...

The schema migrates itself (Alembic) when a store is opened; see ``schema.py`` for the tables.
"""

from __future__ import annotations

from integrity.store.history import BASELINE_KINDS, BaselineRecord, BatchHistory
from integrity.store.records import (
    BATCH_STATUSES,
    FINAL_BATCH_STATUSES,
    QUARANTINE_DECISIONS,
    QUARANTINE_STATUSES,
    AuditRecord,
    BatchRecord,
    QuarantineRecord,
)
from integrity.store.store import DEFAULT_URL, Store

__all__ = [
    "BASELINE_KINDS",
    "BATCH_STATUSES",
    "DEFAULT_URL",
    "FINAL_BATCH_STATUSES",
    "QUARANTINE_DECISIONS",
    "QUARANTINE_STATUSES",
    "AuditRecord",
    "BaselineRecord",
    "BatchHistory",
    "BatchRecord",
    "QuarantineRecord",
    "Store",
]
