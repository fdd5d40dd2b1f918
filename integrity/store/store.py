"""The results store: runs, batches, every expectation result, watermarks, quarantine, audit trail.

Everything the job must not lose or double goes through one transaction: :meth:`Store.complete_batch`
marks the batch final, records its results and quarantine entries, and advances the watermark
together, and only a batch still ``pending`` can be completed, so a re-run after a crash records it
exactly once. All SQL is SQLAlchemy Core with bound parameters.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError

from integrity.errors import StoreError
from integrity.store import connect, locks, rows
from integrity.store import schema as t
from integrity.store.history import BatchHistory, HistoryStore
from integrity.store.records import (
    FINAL_BATCH_STATUSES,
    QUARANTINE_DECISIONS,
    QUARANTINE_IN_FLIGHT,
    AuditRecord,
    BatchRecord,
    QuarantineRecord,
    iso,
    utcnow,
)
from integrity.types import BatchInfo, ValidationResult

DEFAULT_URL = "sqlite:///.integrity/integrity.db"
MIN_PREFIX = 4
"""The shortest id prefix (of a quarantine entry or a batch) accepted in place of the full id."""


class Store(HistoryStore):
    """The results store. Open it with :meth:`open`; it is a context manager that closes itself."""

    def __init__(self, engine: Engine, url: URL, lock_dir: Path | None, *,
                 owns_lock_dir: bool = False) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{connect.WRITE_OPTION: True})
        self._url = url
        self._lock_dir = lock_dir
        self._owns_lock_dir = owns_lock_dir

    @classmethod
    def open(cls, url: str | os.PathLike[str] | URL = DEFAULT_URL, *, create: bool = True) -> Store:
        """Connect to ``url`` and migrate its schema to the newest revision.

        A SQLite file (and a missing folder) is created privately; ``postgresql://`` uses psycopg 3.
        With ``create=False`` a store that does not exist yet (no SQLite file; a PostgreSQL
        database without our tables) is not created: :class:`~integrity.store.connect.StoreMissingError`
        says where it was expected, so the caller can decide whether a new store is right.
        Raises StoreError, with the password hidden, when the store cannot be reached or migrated.
        """
        sa_url = connect.parse_url(url)
        lock_dir: Path | None = None
        owns = False
        if sa_url.get_backend_name() == "sqlite":
            if connect.is_memory(sa_url):
                if not create:
                    raise connect.StoreMissingError("an in-memory results store never exists yet",
                                                    location=":memory:")
                lock_dir, owns = Path(tempfile.mkdtemp(prefix="integrity-locks-")), True
            else:
                path = Path(str(sa_url.database)).expanduser().absolute()
                if not create and not path.exists():
                    raise connect.StoreMissingError(f"there is no results store at {path}",
                                                    location=str(path))
                sa_url = connect.prepare_sqlite_file(sa_url)
                lock_dir = Path(str(sa_url.database)).parent / "locks"
        store = cls(connect.create_store_engine(sa_url), sa_url, lock_dir, owns_lock_dir=owns)
        try:
            # A SQLite file is the store even before its tables exist: a concurrent first run
            # creates the file, then migrates it.
            if not create and sa_url.get_backend_name() != "sqlite" \
                    and not connect.has_store(store._engine):
                raise connect.StoreMissingError(
                    f"the database {store.url_for_display} holds no results store (none of its "
                    "tables)", location=store.url_for_display)
            connect.migrate(store._engine, store._writer)
        except connect.StoreMissingError:
            store.close()
            raise
        except DBAPIError as exc:
            store.close()
            raise StoreError(f"cannot reach the results store at {store.url_for_display}: "
                             f"{locks._first_line(exc)}. Check that the database is running and the "
                             "URL (store_url in integrity.yaml) is right.") from None
        except Exception as exc:
            store.close()
            hint = (" It was migrated by a newer integrity; upgrade integrity."
                    if "Can't locate revision" in str(exc) else "")
            raise StoreError(f"cannot migrate the results store at {store.url_for_display}: "
                             f"{exc}.{hint}") from exc
        return store

    @property
    def url_for_display(self) -> str:
        """The store URL with its password replaced by ``***``."""
        return connect.display(self._url)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for read-only views (KPIs, exports)."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()
        if self._owns_lock_dir and self._lock_dir is not None:
            shutil.rmtree(self._lock_dir, ignore_errors=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    # -- runs --------------------------------------------------------------------------------

    def start_run(self, dataset: str) -> int:
        with self._write() as conn:
            key = conn.execute(sa.insert(t.runs).values(
                dataset=dataset, status="running", started_at=utcnow(), summary={})).inserted_primary_key
        assert key is not None
        return int(key[0])

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any]) -> None:
        with self._write() as conn:
            done = conn.execute(sa.update(t.runs).where(t.runs.c.id == run_id).values(
                status=status, summary=summary, finished_at=utcnow()))
            if done.rowcount == 0:
                raise StoreError(f"no run {run_id} in the results store {self.url_for_display}")

    def runs(self, dataset: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The latest runs, newest first."""
        query = sa.select(t.runs).order_by(t.runs.c.id.desc()).limit(limit)
        if dataset is not None:
            query = query.where(t.runs.c.dataset == dataset)
        with self._read() as conn:
            return [{"run_id": r.id, "dataset": r.dataset, "status": r.status,
                     "started_at": iso(r.started_at), "finished_at": iso(r.finished_at),
                     "summary": r.summary or {}} for r in conn.execute(query)]

    # -- batches -----------------------------------------------------------------------------

    def begin_batch(self, run_id: int, info: BatchInfo, watermark_before: dict[str, Any],
                    watermark_after: dict[str, Any]) -> None:
        """Record a pulled batch as ``pending``. A batch id already recorded is kept as it is,
        except a ``failed`` one (a steward gave up on its lost staged copy): pulling the same rows
        again makes it pending again, to be finished this time."""
        with self._write() as conn:
            if conn.execute(sa.select(t.runs.c.id).where(t.runs.c.id == run_id)).first() is None:
                raise StoreError(f"no run {run_id}: call start_run first")
            known = conn.execute(sa.select(t.batches.c.status)
                                 .where(t.batches.c.batch_id == info.batch_id)).first()
            if known is not None:
                if known.status == "failed":
                    conn.execute(sa.update(t.batches).where(t.batches.c.batch_id == info.batch_id)
                                 .values(status="pending", run_id=run_id, info=info.to_dict(),
                                         row_count=info.row_count,
                                         watermark_before=watermark_before,
                                         watermark_after=watermark_after, completed_at=None))
                return
            conn.execute(sa.insert(t.batches).values(
                batch_id=info.batch_id, dataset=info.dataset, run_id=run_id, status="pending",
                info=info.to_dict(), row_count=info.row_count, watermark_before=watermark_before,
                watermark_after=watermark_after, published_rows=0, quarantined_rows=0,
                created_at=utcnow(), completed_at=None, pulled_at=rows.arrival(info)))

    def complete_batch(self, batch_id: str, *, status: str, published_rows: int,
                       quarantined_rows: int, result: ValidationResult | None,
                       watermark: dict[str, Any] | None,
                       quarantine: Sequence[QuarantineRecord] = (),
                       history: BatchHistory | None = None) -> None:
        """Finish a pending batch in ONE transaction: status and counts, every expectation result,
        the quarantine entries, the dataset's watermark (when ``watermark`` is not None) and what
        it leaves for history checks and baselines (``history``, when it published rows).

        Calling it again for a batch already completed changes nothing, so a recovered run cannot
        record a batch twice.
        """
        if status not in FINAL_BATCH_STATUSES:
            raise ValueError(f"batch status {status!r} is not final; use one of "
                             f"{', '.join(FINAL_BATCH_STATUSES)}")
        for entry in quarantine:
            if entry.batch_id != batch_id:
                raise ValueError(f"quarantine entry {entry.id} belongs to batch {entry.batch_id}, "
                                 f"not {batch_id}")
        now = utcnow()
        with self._write() as conn:
            # The conditional update comes first: it takes the row (PostgreSQL) or the database
            # (SQLite) lock, so of two concurrent calls exactly one sees a pending batch.
            done = conn.execute(
                sa.update(t.batches)
                .where(t.batches.c.batch_id == batch_id, t.batches.c.status == "pending")
                .values(status=status, published_rows=published_rows,
                        quarantined_rows=quarantined_rows, completed_at=now,
                        **rows.result_counts(result.results if result is not None else None)))
            row = conn.execute(sa.select(t.batches.c.dataset, t.batches.c.run_id)
                               .where(t.batches.c.batch_id == batch_id)).first()
            if row is None:
                raise StoreError(f"no batch {batch_id!r} in the results store: call begin_batch first")
            if done.rowcount == 0:
                return
            dataset, run_id = row.dataset, row.run_id
            if result is not None and result.results:
                held: dict[int, int] = {}
                for entry in quarantine:
                    for index, count in rows.held_by(entry.reasons, entry.rows).items():
                        held[index] = held.get(index, 0) + count
                conn.execute(sa.insert(t.expectation_results), [
                    rows.result_row(i, r, batch_id=batch_id, dataset=dataset, run_id=run_id,
                                    suite_name=result.suite_name, at=now, held_rows=held.get(i, 0))
                    for i, r in enumerate(result.results)])
            if quarantine:
                conn.execute(sa.insert(t.quarantine), [rows.quarantine_row(q) for q in quarantine])
            if history is not None:
                self._record_history(conn, batch_id, dataset, now, history)
            if watermark is not None:
                self._set_watermark(conn, dataset, watermark, batch_id, now)

    @staticmethod
    def _set_watermark(conn: Connection, dataset: str, value: dict[str, Any], batch_id: str,
                       now: Any) -> None:
        # Update-then-insert is portable, and the dataset lock rules out a racing first insert.
        moved = conn.execute(sa.update(t.watermarks).where(t.watermarks.c.dataset == dataset)
                             .values(value=value, batch_id=batch_id, updated_at=now))
        if moved.rowcount == 0:
            conn.execute(sa.insert(t.watermarks).values(dataset=dataset, value=value,
                                                        batch_id=batch_id, updated_at=now))

    def pending_batch(self, dataset: str) -> BatchRecord | None:
        """The latest batch still ``pending``: one an interrupted run must finish first."""
        query = (sa.select(t.batches)
                 .where(t.batches.c.dataset == dataset, t.batches.c.status == "pending")
                 .order_by(t.batches.c.created_at.desc(), t.batches.c.run_id.desc()).limit(1))
        with self._read() as conn:
            row = conn.execute(query).first()
        return rows.batch_record(row) if row is not None else None

    def pending_batch_ids(self, dataset: str) -> set[str]:
        """Every batch of ``dataset`` still ``pending`` (their staged copies must be kept)."""
        query = sa.select(t.batches.c.batch_id).where(t.batches.c.dataset == dataset,
                                                      t.batches.c.status == "pending")
        with self._read() as conn:
            return set(conn.execute(query).scalars())

    def batch(self, batch_id: str) -> BatchRecord | None:
        with self._read() as conn:
            row = conn.execute(sa.select(t.batches).where(t.batches.c.batch_id == batch_id)).first()
        return rows.batch_record(row) if row is not None else None

    def find_batch(self, batch_id: str) -> BatchRecord | None:
        """The batch with id ``batch_id``, or the only one whose id starts with it (4+ characters).

        Raises StoreError when the prefix is ambiguous or too short."""
        with self._read() as conn:
            row = _find(conn, t.batches.c.batch_id, batch_id, "batch")
        return rows.batch_record(row) if row is not None else None

    def batches(self, dataset: str | None = None, limit: int = 100) -> list[BatchRecord]:
        """The latest batches, newest first."""
        query = (sa.select(t.batches)
                 .order_by(t.batches.c.created_at.desc(), t.batches.c.run_id.desc()).limit(limit))
        if dataset is not None:
            query = query.where(t.batches.c.dataset == dataset)
        with self._read() as conn:
            return [rows.batch_record(r) for r in conn.execute(query)]

    def watermark(self, dataset: str) -> dict[str, Any] | None:
        """How far ``dataset`` has been pulled (``Watermark.to_dict()``), or None before its first batch."""
        with self._read() as conn:
            value = conn.execute(sa.select(t.watermarks.c.value)
                                 .where(t.watermarks.c.dataset == dataset)).scalar_one_or_none()
        return dict(value) if value is not None else None

    # -- expectation history -----------------------------------------------------------------

    def expectation_history(self, dataset: str, expectation_type: str | None = None,
                            column: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """The latest ``limit`` expectation results of ``dataset``, oldest first.

        ``column`` matches the expectation's ``column`` kwarg; a multi-column expectation is filed
        under its columns joined by commas (``"column_A,column_B"``).
        """
        er, b = t.expectation_results, t.batches
        query = (sa.select(er.c.id, er.c.batch_id, er.c.run_id, t.runs.c.started_at.label("run_at"),
                           b.c.completed_at.label("batch_completed_at"),
                           b.c.status.label("batch_status"), b.c.row_count, er.c.suite_name,
                           er.c.expectation_index, er.c.expectation_type, er.c.expectation_id,
                           er.c.column_name, er.c.column_names, er.c.success, er.c.outcome,
                           er.c.observed_value, er.c.unexpected_count, er.c.unexpected_percent,
                           er.c.element_count, er.c.kwargs)
                 .select_from(er.join(b, er.c.batch_id == b.c.batch_id)
                              .join(t.runs, er.c.run_id == t.runs.c.id))
                 .where(er.c.dataset == dataset)
                 .order_by(er.c.id.desc()).limit(limit))
        if expectation_type is not None:
            query = query.where(er.c.expectation_type == expectation_type)
        if column is not None:
            query = query.where(er.c.column_name == column)
        with self._read() as conn:
            found = list(conn.execute(query))
        out = []
        for row in reversed(found):
            item = dict(row._mapping)
            del item["id"]
            item["run_at"] = iso(item["run_at"])
            item["batch_completed_at"] = iso(item["batch_completed_at"])
            out.append(item)
        return out

    # -- quarantine and audit ----------------------------------------------------------------

    def quarantine_entries(self, dataset: str | None = None,
                           status: str | None = None) -> list[QuarantineRecord]:
        """Quarantine entries, oldest first (the order a steward works through them)."""
        query = sa.select(t.quarantine).order_by(t.quarantine.c.created_at, t.quarantine.c.id)
        if dataset is not None:
            query = query.where(t.quarantine.c.dataset == dataset)
        if status is not None:
            query = query.where(t.quarantine.c.status == status)
        with self._read() as conn:
            return [rows.quarantine_record(r) for r in conn.execute(query)]

    def quarantine_entry(self, entry_id: str) -> QuarantineRecord | None:
        """The entry with id ``entry_id``, or the only one whose id starts with it (4+ characters).

        Raises StoreError when the prefix is ambiguous or too short."""
        with self._read() as conn:
            row = _find(conn, t.quarantine.c.id, entry_id, "quarantine entry")
        return rows.quarantine_record(row) if row is not None else None

    def decide_quarantine(self, entry_id: str, *, decision: str, steward: str, note: str | None,
                          details: dict[str, Any] | None = None) -> QuarantineRecord:
        """Release or reject a held entry, and write the audit row, in one transaction.

        For a decision with no side effect outside the store. The steward's commands, which publish
        or retract, record the decision under way first (:meth:`start_quarantine_decision`) and
        final after the side effects (:meth:`finish_quarantine_decision`)."""
        if decision not in QUARANTINE_DECISIONS:
            raise ValueError(f"quarantine decision {decision!r} is unknown; use one of "
                             f"{', '.join(QUARANTINE_DECISIONS)}")
        now = utcnow()
        with self._write() as conn:
            row = _find(conn, t.quarantine.c.id, entry_id, "quarantine entry")
            if row is None:
                raise StoreError(f"no quarantine entry matches {entry_id!r}; list the held ones "
                                 "with Store.quarantine_entries(status='held')")
            done = conn.execute(
                sa.update(t.quarantine)
                .where(t.quarantine.c.id == row.id, t.quarantine.c.status == "held")
                .values(status=decision, decided_by=steward, decided_at=now, note=note))
            if done.rowcount == 0:
                raise _already_decided(conn, row.id)
            conn.execute(sa.insert(t.audit).values(
                at=now, dataset=row.dataset, action=f"quarantine.{decision}", subject=row.id,
                actor=steward, note=note,
                details={"batch_id": row.batch_id, "path": row.path, "rows": row.rows,
                         **(details or {})}))
            updated = conn.execute(sa.select(t.quarantine).where(t.quarantine.c.id == row.id)).one()
        return rows.quarantine_record(updated)

    def start_quarantine_decision(self, entry_id: str, *, decision: str, steward: str,
                                  note: str | None, audit_action: str | None = None,
                                  audit_details: dict[str, Any] | None = None) -> QuarantineRecord:
        """Record a decision as under way before its side effects, in one transaction.

        ``held`` becomes ``releasing`` or ``rejecting``; a ``releasing`` entry may become
        ``rejecting`` (a reject overrides an interrupted release). ``audit_action`` (if given)
        writes an audit row in the same transaction. Anything else raises StoreError.
        """
        if decision not in QUARANTINE_DECISIONS:
            raise ValueError(f"quarantine decision {decision!r} is unknown; use one of "
                             f"{', '.join(QUARANTINE_DECISIONS)}")
        allowed = ["held"] if decision == "released" else ["held", "releasing"]
        with self._write() as conn:
            row = _find(conn, t.quarantine.c.id, entry_id, "quarantine entry")
            if row is None:
                raise StoreError(f"no quarantine entry matches {entry_id!r}")
            done = conn.execute(
                sa.update(t.quarantine)
                .where(t.quarantine.c.id == row.id, t.quarantine.c.status.in_(allowed))
                .values(status=QUARANTINE_IN_FLIGHT[decision], decided_by=steward,
                        decided_at=utcnow(), note=note))
            if done.rowcount == 0:
                raise _already_decided(conn, row.id)
            if audit_action is not None:
                conn.execute(sa.insert(t.audit).values(
                    at=utcnow(), dataset=row.dataset, action=audit_action, subject=row.id,
                    actor=steward, note=note, details=audit_details or {}))
            updated = conn.execute(sa.select(t.quarantine).where(t.quarantine.c.id == row.id)).one()
        return rows.quarantine_record(updated)

    def finish_quarantine_decision(self, entry_id: str, *,
                                   details: dict[str, Any] | None = None) -> QuarantineRecord:
        """Make an under-way decision final (``releasing`` -> ``released``, ``rejecting`` ->
        ``rejected``) and write its audit row, in one transaction; StoreError if none is under way.

        The audit row names the steward who decided, whoever finished it (``details``)."""
        with self._write() as conn:
            row = _find(conn, t.quarantine.c.id, entry_id, "quarantine entry")
            if row is None:
                raise StoreError(f"no quarantine entry matches {entry_id!r}")
            final = {v: k for k, v in QUARANTINE_IN_FLIGHT.items()}.get(row.status)
            if final is None:
                raise _already_decided(conn, row.id)
            now = utcnow()
            done = conn.execute(
                sa.update(t.quarantine)
                .where(t.quarantine.c.id == row.id, t.quarantine.c.status == row.status)
                .values(status=final, decided_at=now))
            if done.rowcount == 0:  # pragma: no cover - the dataset lock rules this out
                raise _already_decided(conn, row.id)
            conn.execute(sa.insert(t.audit).values(
                at=now, dataset=row.dataset, action=f"quarantine.{final}", subject=row.id,
                actor=row.decided_by or "", note=row.note,
                details={"batch_id": row.batch_id, "path": row.path, "rows": row.rows,
                         **(details or {})}))
            updated = conn.execute(sa.select(t.quarantine).where(t.quarantine.c.id == row.id)).one()
        return rows.quarantine_record(updated)

    def record_audit(self, dataset: str, action: str, subject: str, actor: str,
                     note: str | None = None, details: dict[str, Any] | None = None) -> None:
        with self._write() as conn:
            conn.execute(sa.insert(t.audit).values(
                at=utcnow(), dataset=dataset, action=action, subject=subject, actor=actor,
                note=note, details=details or {}))

    def audit(self, dataset: str | None = None) -> list[AuditRecord]:
        """The audit trail, oldest first."""
        query = sa.select(t.audit).order_by(t.audit.c.id)
        if dataset is not None:
            query = query.where(t.audit.c.dataset == dataset)
        with self._read() as conn:
            return [AuditRecord(id=r.id, at=iso(r.at) or "", dataset=r.dataset, action=r.action,
                                subject=r.subject, actor=r.actor, note=r.note,
                                details=r.details or {}) for r in conn.execute(query)]

    # -- locking -----------------------------------------------------------------------------

    def lock(self, dataset: str) -> contextlib.AbstractContextManager[None]:
        """Hold the run lock of ``dataset`` for a ``with`` block; LockedError if another process has it.

        Not re-entrant: a second ``lock`` of the same dataset inside the block fails too.
        """
        if self._url.get_backend_name() == "postgresql":
            return locks.advisory_lock(self._engine, dataset, self.url_for_display)
        assert self._lock_dir is not None
        return locks.file_lock(self._lock_dir, dataset)


def _already_decided(conn: Connection, entry_id: str) -> StoreError:
    current = conn.execute(sa.select(t.quarantine).where(t.quarantine.c.id == entry_id)).one()
    return StoreError(f"quarantine entry {entry_id} is already {current.status} (by "
                      f"{current.decided_by} at {iso(current.decided_at)}); only held entries can "
                      "be released or rejected")


def _find(conn: Connection, key: sa.Column[str], value: str, what: str) -> sa.Row[Any] | None:
    """The row whose ``key`` is ``value``, or the only one whose ``key`` starts with it."""
    table = key.table
    row = conn.execute(sa.select(table).where(key == value)).first()
    if row is not None:
        return row
    if len(value) < MIN_PREFIX:
        raise StoreError(f"no {what} has the id {value!r}, and an id prefix needs at least "
                         f"{MIN_PREFIX} characters; give more of the id")
    found = list(conn.execute(sa.select(table).where(key.startswith(value, autoescape=True))
                              .order_by(key).limit(5)))
    if len(found) > 1:
        ids = ", ".join(str(r._mapping[key.name]) for r in found)
        raise StoreError(f"{what} id prefix {value!r} is ambiguous: it matches {ids}"
                         f"{'...' if len(found) == 5 else ''}; give more characters")
    return found[0] if found else None
