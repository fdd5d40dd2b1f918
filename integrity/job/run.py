"""The integrity job: pull new rows, validate them, publish the clean ones, quarantine the rest, record.

This is the only module that wires the stages together. Exactly-once across crashes rests on four
steps, in this order:

1. pull a batch and *stage* it (Arrow IPC, fsynced, private) before anything else is recorded;
2. record the batch as ``pending`` in the store, with the watermark before and after it;
3. validate, then publish and quarantine idempotently (by batch id: a re-run skips what exists);
4. complete the batch in ONE store transaction (results, quarantine entries, watermark advance),
   then drop the staged copy.

A run that finds a pending batch (the previous run died) finishes that batch from its staged copy
first, so the same rows get the same batch id and are neither lost nor published twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from integrity.config import DatasetConfig, redact, resolve_secrets
from integrity.connectors import registry as connector_registry
from integrity.connectors.base import Batch, Watermark
from integrity.connectors.readers import RAGGED_COLUMN, with_input_checks
from integrity.engine.polars_engine import plan_suite, run_plan
from integrity.errors import ConfigError, IntegrityError
from integrity.gate import GateDecision, decide
from integrity.gate.split import REASONS_COLUMN
from integrity.job import late
from integrity.job.backfill import PLAN_KEY, check_range, make_plan, owned_mask, plan_of, relabel
from integrity.job.context import StoreContext
from integrity.job.freshness import dataset_freshness
from integrity.job.history import batch_history
from integrity.job.preflight import checked_dataset
from integrity.job.project import Project
from integrity.job.safety import clear_orphans, failpoint, guarded, read_staged, stage
from integrity.job.steward import finish_interrupted
from integrity.store import BatchRecord, QuarantineRecord, Store
from integrity.suites import Suite
from integrity.types import (
    BatchInfo,
    ExpectationResult,
    Outcome,
    ValidationContext,
    ValidationResult,
)

Progress = Callable[[str], None]
Audit = tuple[ValidationResult | None, GateDecision]
"""A batch's validation result (None when the suite could not run on it) and the gate's split."""



@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one batch."""

    batch_id: str
    rows: int
    published_rows: int
    quarantined_rows: int
    status: str
    recovered: bool
    failed_expectations: list[str] = field(default_factory=list)
    quarantine_ids: list[str] = field(default_factory=list)
    published_to: str | None = None
    revalidated_rows: int = 0
    """Backfill only: rows already owned by an earlier run, validated again but not re-published."""
    flagged_rows: int = 0
    """Backfill only: of those, the rows the gate would hold today (reported, not quarantined)."""
    already_done: bool = False
    """Backfill only: the same range and content were backfilled before; nothing was redone."""
    held_by: list[dict[str, Any]] = field(default_factory=list)
    """The gate's reasons for what was held (one per failing expectation that held rows or the
    batch; see :attr:`~integrity.gate.GateDecision.reasons`)."""
    warnings: list[dict[str, Any]] = field(default_factory=list)
    """Failing ``warn`` expectations: recorded, nothing held."""
    late_rows: int = 0
    """Rows whose cursor was below the watermark and that were not taken before (late)."""
    null_cursor_rows: int = 0
    """Rows whose cursor was NULL, not taken before."""
    late_action: str | None = None
    """What the dataset's ``late_rows`` did with them: quarantine, warn or drop."""
    dropped_rows: int = 0
    """Late and NULL-cursor rows dropped (``late_rows: drop``): counted, not published."""
    notes: list[str] = field(default_factory=list)
    """What the pull noticed beside the rows: late rows, files waiting or changed, links refused."""


@dataclass(frozen=True)
class RunSummary:
    dataset: str
    run_id: int
    batches: list[BatchOutcome]
    notes: list[str] = field(default_factory=list)
    """Housekeeping besides the batches: interrupted steward decisions finished (or not), orphaned
    staged copies removed."""
    suite_warnings: tuple[str, ...] = ()
    """What the suite loaded with a warning (GX 0.x leftovers, bounds that never pass)."""
    freshness: dict[str, Any] | None = None
    """The dataset's own freshness check, when the run found no new rows and the dataset has a
    ``freshness`` rule (see :mod:`integrity.job.freshness`)."""

    @property
    def stale(self) -> bool:
        """Whether the source fell silent for longer than its freshness rule allows."""
        return self.freshness is not None and not self.freshness["success"]

    @property
    def quarantined(self) -> bool:
        """Whether anything was held (or, in a backfill, would be held) for a steward to review."""
        return any(b.quarantined_rows or b.quarantine_ids or b.flagged_rows for b in self.batches)

    @property
    def exit_code(self) -> int:
        return 1 if self.quarantined or self.stale else 0


def run(project: Project, name: str, *, start: Any = None, end: Any = None,
        progress: Progress | None = None, now: dt.datetime | None = None) -> RunSummary:
    """Run one dataset's job. ``start``/``end`` make it a backfill of that cursor range (see
    :mod:`integrity.job.backfill`: it never moves the watermark nor publishes a row twice).
    ``now`` is the run's clock for freshness (default: the wall clock when it starts)."""
    say = progress or (lambda _msg: None)
    clock = now or dt.datetime.now(dt.UTC)
    # Every definition problem, before the store is opened or anything pulled (no pending batch).
    checked = checked_dataset(project, name)
    dataset, suite = checked.dataset, checked.suite
    backfill = start is not None or end is not None
    if backfill:
        check_range(name, dataset.cursor.column if dataset.cursor else None, start, end)
    secrets = _secret_values(project, dataset)
    with project.open_store() as store, store.lock(name):
        run_id = store.start_run(name)
        outcomes: list[BatchOutcome] = []
        notes: list[str] = []

        def note(message: str) -> None:
            notes.append(message)
            say(message)

        freshness: dict[str, Any] | None = None
        try:
            finish_interrupted(project, store, dataset, note)
            for orphan in clear_orphans(project, dataset, late.keep_staged(
                    store.pending_batch_ids(name))):
                note(f"removed {orphan.name}, a staged copy no pending batch refers to")
            pending = store.pending_batch(name)
            if pending is not None:
                say(f"finishing batch {pending.batch_id} left pending by an interrupted run")
                outcomes.append(_recover(project, dataset, suite, store, pending, say, clock))
            pull = _backfill if backfill else _incremental
            outcome = pull(project, dataset, suite, store, run_id, start, end, secrets, say, notes,
                           clock)
            if outcome is not None:
                outcomes.append(outcome)
            elif not backfill:
                freshness = dataset_freshness(store, dataset, clock)
        except Exception as exc:
            message = redact(str(exc), secrets)
            if not isinstance(exc, IntegrityError):
                message = f"internal error: {type(exc).__name__}: {message}"
            lineage = _lineage(project, store, run_id, name, "failed", outcomes, message)
            store.finish_run(run_id, "failed", {"error": message,
                                                "batches": [b.__dict__ for b in outcomes],
                                                **({"notes": lineage} if lineage else {})})
            if isinstance(exc, IntegrityError):
                exc.args = (message, *exc.args[1:])  # never let a secret out in a message
            raise
        summary = RunSummary(name, run_id, outcomes, notes, suite.warnings, freshness)
        status = ("quarantined" if summary.quarantined else "clean") if outcomes else \
            "stale" if summary.stale else "empty"
        for problem in _lineage(project, store, run_id, name, status, outcomes):
            note(problem)
        store.finish_run(run_id, status, {"batches": [b.__dict__ for b in outcomes],
                                          **({"notes": notes} if notes else {}),
                                          **({"freshness": freshness} if freshness else {})})
        return summary


def _lineage(project: Project, store: Store, run_id: int, name: str, status: str,
             outcomes: list[BatchOutcome], error: str | None = None) -> list[str]:
    """Send the run's OpenLineage event when integrity.yaml asks for one; what went wrong, if
    anything, is a note for the summary (never an error of the run)."""
    if project.config.lineage is None:
        return []
    from integrity.kpi.lineage import emit

    problem = emit(project.config.lineage, store, dataset=name, run_id=run_id, status=status,
                   batch_ids=[b.batch_id for b in outcomes], error=error, root=project.root)
    return [problem] if problem else []


def _incremental(project: Project, dataset: DatasetConfig, suite: Suite, store: Store, run_id: int,
                 _start: Any, _end: Any, secrets: dict[str, str], say: Progress,
                 notes: list[str], now: dt.datetime) -> BatchOutcome | None:
    name = dataset.name
    ledger = late.ledger_of(project, dataset, store)
    since = Watermark.from_dict(store.watermark(name), taken=ledger)
    if since.value is None and dataset.cursor and dataset.cursor.initial is not None:
        since = replace(since, value=dataset.cursor.initial)
    say(f"pulling {name} since {since.value if since.value is not None else 'the beginning'}")
    batch = _pull(dataset, since, None, secrets)
    failpoint("after_pull")
    if batch.info.row_count == 0 and batch.late is None and \
            batch.next_watermark.to_dict() == since.to_dict():
        notes += late.notices(batch.info.notes)
        say("no new rows")
        return None
    batch, held = late.apply(dataset, batch)
    say(f"pulled {batch.info.row_count} rows (batch {batch.info.batch_id})")
    context = _context(project, store, dataset, suite, batch.info, now)
    staged, audited = _stage_and_audit(project, dataset, suite, batch, context)
    late.stage_held(project, dataset, batch, held, ledger)
    failpoint("after_stage")
    store.begin_batch(run_id, batch.info, since.to_dict(), batch.next_watermark.to_dict())
    failpoint("after_begin")
    outcome = _process(project, dataset, suite, store, batch, staged, say, recovered=False,
                       audited=audited, held=held, context=context)
    late.tidy(ledger, batch)
    return outcome


def _backfill(project: Project, dataset: DatasetConfig, suite: Suite, store: Store, run_id: int,
              start: Any, end: Any, secrets: dict[str, str], say: Progress,
              _notes: list[str], now: dt.datetime) -> BatchOutcome | None:
    name = dataset.name
    assert dataset.cursor is not None  # check_range refused a backfill without one
    since = Watermark(value=start)
    say(f"backfill of {name}: pulling {start if start is not None else 'the beginning'} "
        f"to {end if end is not None else 'the end'}")
    batch = relabel(_pull(dataset, since, end, secrets))
    failpoint("after_pull")
    earlier = store.batch(batch.info.batch_id)
    if earlier is not None and earlier.status != "pending":
        say("this range was backfilled before with the same rows; nothing to redo")
        return BatchOutcome(earlier.batch_id, batch.info.row_count, 0, 0, earlier.status,
                            recovered=False, already_done=True)
    plan = make_plan(start, end, dataset.cursor.initial, store.batches(name, limit=1_000_000))
    context = _context(project, store, dataset, suite, batch.info, now)
    staged, audited = _stage_and_audit(project, dataset, suite, batch, context)
    failpoint("after_stage")
    store.begin_batch(run_id, batch.info, {**since.to_dict(), PLAN_KEY: plan},
                      Watermark.from_dict(store.watermark(name)).to_dict())
    failpoint("after_begin")
    return _process(project, dataset, suite, store, batch, staged, say, recovered=False, plan=plan,
                    audited=audited, context=context)


def _recover(project: Project, dataset: DatasetConfig, suite: Suite, store: Store,
             pending: BatchRecord, say: Progress, now: dt.datetime) -> BatchOutcome:
    staged = project.staged_path(dataset, pending.batch_id)
    info = BatchInfo(**pending.info)
    batch = Batch(read_staged(staged, pending.batch_id), info,
                  Watermark.from_dict(pending.watermark_after))
    held = late.read_held(project, dataset, pending.batch_id, info.notes)
    return _process(project, dataset, suite, store, batch, staged, say, recovered=True,
                    plan=plan_of(pending), held=held,
                    context=_context(project, store, dataset, suite, batch.info, now))


def _context(project: Project, store: Store, dataset: DatasetConfig, suite: Suite,
             info: BatchInfo, now: dt.datetime) -> ValidationContext:
    """What the suite's statistical checks read beyond the batch: the dataset's earlier published
    batches (never this one) and their rows, its baseline, the run's clock, its time zone."""
    return StoreContext(store, dataset.name, suite_path=suite.path, now=now,
                        timezone=dataset.timezone, exclude_batch=info.batch_id,
                        sink=project.sink(dataset))


def _pull(dataset: DatasetConfig, since: Watermark, end: Any, secrets: dict[str, str]) -> Batch:
    params = resolve_secrets(dataset.connector.params, where=f"connectors/{dataset.name}.yaml: connector.params")
    cursor = dataset.cursor.column if dataset.cursor else None
    with connector_registry().create(dataset.connector.type, dataset.name, cursor, params) as connector:
        batch = connector.pull(since, end)
    source = redact(batch.info.source, secrets)  # defence in depth: connectors already mask
    return replace(batch, info=replace(batch.info, source=source))


def _process(project: Project, dataset: DatasetConfig, suite: Suite, store: Store, batch: Batch,
             staged: Path, say: Progress, *, recovered: bool,
             plan: dict[str, Any] | None = None, audited: Audit | None = None,
             held: pl.DataFrame | None = None,
             context: ValidationContext | None = None) -> BatchOutcome:
    info = batch.info
    result, decision = audited or _audit(dataset, suite, batch, context)
    failpoint("after_validate")
    warned = {w.get("expectation_index") for w in decision.warnings}
    failed = [f"#{i} {r.config.type}" + _why(r) + (" (warn)" if i in warned else "")
              for i, r in enumerate(result.results) if not r.success] if result else \
        [f"suite could not run: {r.get('error')}" for r in decision.reasons]
    published, quarantined = decision.published, decision.quarantined
    revalidated = flagged = 0
    if plan is not None and dataset.cursor is not None:
        owned = owned_mask(batch.frame, dataset.cursor.column, plan)
        published, quarantined = published.filter(~owned), quarantined.filter(~owned)
        revalidated = info.row_count - published.height - quarantined.height
        flagged = decision.quarantined.height - quarantined.height
        if revalidated:
            say(f"{revalidated} rows were taken by earlier runs: re-validated, not published again")
    new_rows = info.row_count - revalidated
    quarantined = late.hold(quarantined, held)
    # Before anything is published: a failure here leaves the batch pending, to be redone whole.
    history = batch_history(dataset, suite, result, published,
                            whole=published.height == info.row_count)
    sink = project.sink(dataset)
    published_to = None
    if published.height or not quarantined.height:
        say(f"publishing {published.height} rows")
        published_to = guarded(lambda: sink.publish(published, info), dataset, info,
                                f"publish {published.height} rows to {sink!r}")
        failpoint("after_publish")
    quarantine: list[QuarantineRecord] = []
    held_empty = decision.batch_held and new_rows == 0 and info.row_count == 0
    if quarantined.height or held_empty:
        say(f"quarantining {quarantined.height} rows")
        kind = "batch" if decision.batch_held else "rows"
        reasons = decision.reasons + late.reasons(held) + decision.warnings  # warnings: for review
        files = project.quarantine_files(dataset)
        entry_id, path = guarded(
            lambda: files.write(quarantined, info, kind=kind, reasons=reasons),
            dataset, info, f"write {quarantined.height} rows to the quarantine {files.root}")
        failpoint("after_quarantine")
        quarantine.append(QuarantineRecord(
            id=entry_id, dataset=dataset.name, batch_id=info.batch_id, path=str(path),
            rows=quarantined.height, reasons=reasons, status="held",
            # to the microsecond: entries of two runs in one second still list in their order
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")))
    status = ("revalidated" if plan is not None and new_rows == 0 and info.row_count
              else "quarantined" if quarantine and not published.height
              else "empty" if info.row_count == 0
              else "partial" if quarantined.height else "published")
    store.complete_batch(info.batch_id, status=status, published_rows=published.height,
                         quarantined_rows=quarantined.height, result=result,
                         watermark=None if plan is not None else batch.next_watermark.to_dict(),
                         quarantine=quarantine, history=history)
    failpoint("after_complete")
    staged.unlink(missing_ok=True)
    late.drop_staged(project, dataset, info.batch_id)
    extra = late.counts(info.notes)
    rows = info.row_count + (held.height if held is not None else 0) + extra["dropped_rows"]
    return BatchOutcome(info.batch_id, rows, published.height, quarantined.height, status,
                        recovered, failed, [q.id for q in quarantine], published_to,
                        revalidated_rows=revalidated, flagged_rows=flagged,
                        held_by=decision.reasons + late.reasons(held),
                        warnings=decision.warnings, **extra, notes=late.notices(info.notes))


def _why(result: ExpectationResult) -> str:
    """Why an expectation failed, when it is not the data's fault: it could not run."""
    if result.outcome is not Outcome.ERROR:
        return ""
    message = str(result.exception_info.get("exception_message") or "an error").strip()
    return f" (could not run: {message.splitlines()[0] if message else 'an error'})"


def _secret_values(project: Project, dataset: DatasetConfig) -> dict[str, str]:
    """The values of every ``${VAR}`` the project and the dataset refer to, to redact them."""
    text = json.dumps([project.config.store_url, dataset.connector.params, dataset.publish.url],
                      default=str)
    names = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))
    return {n: os.environ[n] for n in sorted(names) if n in os.environ}


def _stage_and_audit(project: Project, dataset: DatasetConfig, suite: Suite, batch: Batch,
                     context: ValidationContext | None = None) -> tuple[Path, Audit]:
    """Stage the batch durably while it is validated: the write and its fsync (0.3 s for 1M rows)
    wait on the disk while validation keeps the cores busy. Nothing is recorded or published until
    both are done, so a crash in between leaves only an unrecorded staged file, which the next run
    removes (:func:`clear_orphans`)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="integrity-stage") as pool:
        staging = pool.submit(stage, project, dataset, batch)
        audited = _audit(dataset, suite, batch, context)  # if it raises, the pool still waits
        try:
            staged = staging.result()  # waits for the fsync
        except OSError as exc:
            raise ConfigError(
                f"dataset {dataset.name!r}: cannot stage batch {batch.info.batch_id} under "
                f"{project.staging_dir(dataset)} ({exc.strerror or exc}). Nothing was recorded "
                "or published; free space or fix the folder's permissions (data_root in "
                "integrity.yaml) and run again.") from None
    return staged, audited


def _audit(dataset: DatasetConfig, suite: Suite, batch: Batch,
           context: ValidationContext | None = None) -> Audit:
    """Validate and decide. A suite that cannot run on this batch (e.g. a column was renamed at the
    source) holds the whole batch with that reason instead of losing or publishing it."""
    frame = batch.frame
    suite = with_input_checks(suite, frame.columns)  # e.g. quarantine the ragged rows of a CSV
    try:
        plan = plan_suite(frame.lazy(), suite, catch_exceptions=None, context=context)
        # The row masks become columns once: validation counts them, the gate splits by them. If
        # one cannot be computed, validation isolates it and reports it; the gate holds the batch.
        with contextlib.suppress(Exception, pl.exceptions.PanicException):
            frame = plan.materialize(frame)
        result = run_plan(frame.lazy(), plan, suite.name)
    except IntegrityError as exc:
        reason = {"expectation_index": None, "expectation_type": None, "action": "quarantine_batch",
                  "error": f"dataset {dataset.name!r}: {exc}"}
        held = batch.frame.with_columns(pl.lit(_json([reason])).alias(REASONS_COLUMN))
        return None, GateDecision(published=batch.frame.clear(), quarantined=held, batch_held=True,
                                  reasons=[reason], warnings=[])
    decision = decide(frame, plan, result, default_action=dataset.default_action,
                      suite_meta=suite.meta)
    if RAGGED_COLUMN in decision.published.columns:  # the reader's, not the source's: never published
        decision = replace(decision, published=decision.published.drop(RAGGED_COLUMN))
    return result, decision


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


