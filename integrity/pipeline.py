"""The integrity job: pull new rows, validate them, publish the clean ones, quarantine the rest, record.

This is the only module that wires the stages together. Exactly-once across crashes rests on four
steps, in this order:

1. pull a batch and *stage* it (Parquet, fsynced, private) before anything else is recorded;
2. record the batch as ``pending`` in the store, with the watermark before and after it;
3. validate, then publish and quarantine idempotently (by batch id: a re-run skips what exists);
4. complete the batch in ONE store transaction (results, quarantine entries, watermark advance),
   then drop the staged copy.

A run that finds a pending batch (the previous run died) finishes that batch from its staged copy
first, so the same rows get the same batch id and are neither lost nor published twice.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from integrity.config import (
    DatasetConfig,
    ProjectConfig,
    load_dataset,
    load_project,
    resolve_secrets,
)
from integrity.connectors import registry as connector_registry
from integrity.connectors.base import Batch, Watermark
from integrity.engine.polars_engine import plan_suite, run_plan
from integrity.errors import ConfigError, IntegrityError, did_you_mean
from integrity.gate import GateDecision, QuarantineFiles, Sink, decide, make_sink
from integrity.gate.split import REASONS_COLUMN
from integrity.store import QuarantineRecord, Store
from integrity.suites import Suite, load_suite
from integrity.types import BatchInfo, ValidationResult

Progress = Callable[[str], None]

FAILPOINT_ENV = "INTEGRITY_FAILPOINT"
"""Crash-safety tests set this to a stage name; the run then kills itself (SIGKILL) right there."""


def _failpoint(stage: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == stage:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class Project:
    """A project folder: integrity.yaml, connectors/*.yaml, expectations/."""

    root: Path
    config: ProjectConfig

    @classmethod
    def load(cls, root: Path | str = ".") -> Project:
        path = Path(root).resolve()
        return cls(path, load_project(path))

    def path(self, relative: str) -> Path:
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.root / candidate

    @property
    def data_root(self) -> Path:
        return self.path(self.config.data_root)

    @property
    def store_url(self) -> str:
        url = resolve_secrets(self.config.store_url, where="integrity.yaml: store_url")
        assert isinstance(url, str)
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            return "sqlite:///" + str(self.root / url[len("sqlite:///"):])
        return url

    def dataset_names(self) -> list[str]:
        folder = self.path(self.config.connectors_dir)
        return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []

    def dataset(self, name: str) -> DatasetConfig:
        path = self.path(self.config.connectors_dir) / f"{name}.yaml"
        if not path.exists():
            names = self.dataset_names()
            raise ConfigError(f"no dataset {name!r}: {path} does not exist.{did_you_mean(name, names)}"
                              f" Datasets here: {', '.join(names) or 'none'}.")
        config = load_dataset(path)
        if config.name != name:
            raise ConfigError(f"{path}: name {config.name!r} differs from the file name {name!r}; "
                              "make them equal")
        return config

    def open_store(self) -> Store:
        return Store.open(self.store_url)

    def quarantine_files(self, dataset: DatasetConfig) -> QuarantineFiles:
        where = dataset.quarantine.path or str(Path(self.config.data_root) / "quarantine" / dataset.name)
        return QuarantineFiles(self.path(where))


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


@dataclass(frozen=True)
class RunSummary:
    dataset: str
    run_id: int
    batches: list[BatchOutcome]

    @property
    def quarantined(self) -> bool:
        return any(b.quarantined_rows for b in self.batches)

    @property
    def exit_code(self) -> int:
        return 1 if self.quarantined else 0


def run(project: Project, name: str, *, start: Any = None, end: Any = None,
        progress: Progress | None = None) -> RunSummary:
    """Run one dataset's job. ``start``/``end`` make it an explicit backfill of that cursor range."""
    say = progress or (lambda _msg: None)
    dataset = project.dataset(name)
    suite = load_suite(project.path(dataset.suite))
    with project.open_store() as store, store.lock(name):
        run_id = store.start_run(name)
        outcomes: list[BatchOutcome] = []
        try:
            pending = store.pending_batch(name)
            if pending is not None:
                say(f"finishing batch {pending.batch_id} left pending by an interrupted run")
                staged = _staged_path(project, dataset, pending.batch_id)
                batch = Batch(_read_staged(staged), BatchInfo(**pending.info),
                              Watermark.from_dict(pending.watermark_after))
                outcomes.append(_process(project, dataset, suite, store, batch, staged, say,
                                         recovered=True))
            backfill = start is not None or end is not None
            since = Watermark(value=start) if backfill else Watermark.from_dict(store.watermark(name))
            if not backfill and since.value is None and dataset.cursor and dataset.cursor.initial is not None:
                since = Watermark(value=dataset.cursor.initial, files=since.files)
            say(f"pulling {name} since {since.value if since.value is not None else 'the beginning'}")
            batch = _pull(dataset, since, end)
            _failpoint("after_pull")
            say(f"pulled {batch.info.row_count} rows (batch {batch.info.batch_id})")
            if batch.info.row_count == 0 and not batch.info.watermark_to:
                store.finish_run(run_id, "empty", {"batches": []})
                return RunSummary(name, run_id, outcomes)
            if backfill:  # a backfill never moves the regular watermark
                batch = Batch(batch.frame, batch.info, Watermark.from_dict(store.watermark(name)))
            staged = _stage(project, dataset, batch)
            _failpoint("after_stage")
            store.begin_batch(run_id, batch.info, since.to_dict(), batch.next_watermark.to_dict())
            _failpoint("after_begin")
            outcomes.append(_process(project, dataset, suite, store, batch, staged, say, recovered=False))
        except IntegrityError as exc:
            store.finish_run(run_id, "failed", {"error": str(exc)})
            raise
        summary = RunSummary(name, run_id, outcomes)
        store.finish_run(run_id, "quarantined" if summary.quarantined else "clean",
                         {"batches": [b.__dict__ for b in outcomes]})
        return summary


def _pull(dataset: DatasetConfig, since: Watermark, end: Any) -> Batch:
    params = resolve_secrets(dataset.connector.params, where=f"connectors/{dataset.name}.yaml: connector.params")
    cursor = dataset.cursor.column if dataset.cursor else None
    with connector_registry().create(dataset.connector.type, dataset.name, cursor, params) as connector:
        return connector.pull(since, end)


def _process(project: Project, dataset: DatasetConfig, suite: Suite, store: Store, batch: Batch,
             staged: Path, say: Progress, *, recovered: bool) -> BatchOutcome:
    info = batch.info
    result, decision = _audit(dataset, suite, batch)
    _failpoint("after_validate")
    warned = {w.get("expectation_index") for w in decision.warnings}
    failed = [f"#{i} {r.config.type}" + (" (warn)" if i in warned else "")
              for i, r in enumerate(result.results) if not r.success] if result else ["suite could not run"]
    sink = _sink(project, dataset)
    published_to = None
    if decision.published.height or not decision.quarantined.height:
        say(f"publishing {decision.published.height} rows")
        published_to = sink.publish(decision.published, info)
        _failpoint("after_publish")
    quarantine: list[QuarantineRecord] = []
    if decision.quarantined.height:
        say(f"quarantining {decision.quarantined.height} rows")
        kind = "batch" if decision.batch_held else "rows"
        entry_id, path = project.quarantine_files(dataset).write(
            decision.quarantined, info, kind=kind, reasons=decision.reasons)
        _failpoint("after_quarantine")
        quarantine.append(QuarantineRecord(
            id=entry_id, dataset=dataset.name, batch_id=info.batch_id, path=str(path),
            rows=decision.quarantined.height, reasons=decision.reasons, status="held",
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds")))
    status = ("empty" if info.row_count == 0
              else "quarantined" if decision.batch_held or not decision.published.height
              else "partial" if decision.quarantined.height else "published")
    store.complete_batch(info.batch_id, status=status, published_rows=decision.published.height,
                         quarantined_rows=decision.quarantined.height, result=result,
                         watermark=batch.next_watermark.to_dict(), quarantine=quarantine)
    _failpoint("after_complete")
    staged.unlink(missing_ok=True)
    return BatchOutcome(info.batch_id, info.row_count, decision.published.height,
                        decision.quarantined.height, status, recovered, failed,
                        [q.id for q in quarantine], published_to)


def _audit(dataset: DatasetConfig, suite: Suite, batch: Batch) -> tuple[ValidationResult | None, GateDecision]:
    """Validate and decide. A suite that cannot run on this batch (e.g. a column was renamed at the
    source) holds the whole batch with that reason instead of losing or publishing it."""
    lazy = batch.frame.lazy()
    try:
        plan = plan_suite(lazy, suite, catch_exceptions=None)
        result = run_plan(lazy, plan, suite.name)
    except IntegrityError as exc:
        reason = {"expectation_index": None, "expectation_type": None, "action": "quarantine_batch",
                  "error": str(exc)}
        held = batch.frame.with_columns(pl.lit(_json([reason])).alias(REASONS_COLUMN))
        return None, GateDecision(published=batch.frame.clear(), quarantined=held, batch_held=True,
                                  reasons=[reason], warnings=[])
    decision = decide(batch.frame, plan, result, default_action=dataset.default_action,
                      suite_meta=suite.meta)
    return result, decision


def _sink(project: Project, dataset: DatasetConfig) -> Sink:
    """The dataset's publish target, with a relative path taken from the project root."""
    publish = dataset.publish
    if publish.path is not None:
        publish = publish.model_copy(update={"path": str(project.path(publish.path))})
    return make_sink(publish, dataset=dataset.name, data_root=project.data_root)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, default=str)


def _staging_dir(project: Project, dataset: DatasetConfig) -> Path:
    return project.data_root / "staging" / dataset.name


def _staged_path(project: Project, dataset: DatasetConfig, batch_id: str) -> Path:
    return _staging_dir(project, dataset) / f"{batch_id}.parquet"


def _stage(project: Project, dataset: DatasetConfig, batch: Batch) -> Path:
    """Write the pulled batch durably (and privately) before it is recorded as pending."""
    folder = _staging_dir(project, dataset)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    final = folder / f"{batch.info.batch_id}.parquet"
    tmp = final.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        batch.frame.write_parquet(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, final)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


def _read_staged(path: Path) -> pl.DataFrame:
    if not path.exists():
        raise ConfigError(f"the pending batch's staged copy {path} is missing; it cannot be finished "
                          "exactly once. Restore the file, or mark the batch failed in the store.")
    return pl.read_parquet(path)


def _held_entry(store: Store, entry_id: str) -> QuarantineRecord:
    entry = store.quarantine_entry(entry_id)
    if entry is None:
        raise ConfigError(f"no quarantine entry {entry_id!r}; `integrity quarantine list` shows them")
    if entry.status != "held":
        raise ConfigError(f"quarantine entry {entry.id} is already {entry.status}"
                          + (f" (by {entry.decided_by})" if entry.decided_by else ""))
    return entry


def release(project: Project, entry_id: str, *, steward: str, note: str | None) -> QuarantineRecord:
    """Publish a held entry's rows through its dataset's target exactly once, and record who did.

    The publish is idempotent by the release's batch id, so a release interrupted between the
    publish and the store update finishes on a second attempt without publishing twice."""
    with project.open_store() as store:
        entry = _held_entry(store, entry_id)
        dataset = project.dataset(entry.dataset)
        with store.lock(entry.dataset):
            files = project.quarantine_files(dataset)
            frame = files.read(entry.id)
            frame = frame.drop(REASONS_COLUMN) if REASONS_COLUMN in frame.columns else frame
            location = _sink(project, dataset).publish(frame, files.release_info(entry.id))
            files.mark_released(entry.id, location, by=steward)
            return store.decide_quarantine(entry.id, decision="released", steward=steward, note=note,
                                           details={"published_to": location, "rows": frame.height})


def reject(project: Project, entry_id: str, *, steward: str, note: str | None) -> QuarantineRecord:
    """Keep a held entry out for good; its rows stay on disk (never deleted silently)."""
    with project.open_store() as store:
        entry = _held_entry(store, entry_id)
        dataset = project.dataset(entry.dataset)
        with store.lock(entry.dataset):
            project.quarantine_files(dataset).remove(entry.id)
            return store.decide_quarantine(entry.id, decision="rejected", steward=steward, note=note)
