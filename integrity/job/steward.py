"""The stewards' decisions: release or reject a quarantine entry, give up a lost pending batch.

Every decision takes the dataset's run lock, so it never races a run of the same dataset, and goes
into the audit trail with who decided and why.
"""

from __future__ import annotations

from collections.abc import Callable

from integrity.config import DatasetConfig
from integrity.errors import ConfigError
from integrity.gate import QuarantineFiles
from integrity.job.project import Project
from integrity.job.safety import failpoint, guarded, read_staged
from integrity.store import BatchRecord, QuarantineRecord, Store


def fail_batch(project: Project, batch_id: str, *, steward: str, note: str | None) -> BatchRecord:
    """Give up a pending batch whose staged copy is lost, and record who did and why.

    Its rows come back with the next run: the watermark only moves when a batch completes. Sinks
    are idempotent by batch id, so rows it had published before the loss are not published again
    when the same rows are pulled again. A batch whose staged copy is intact is refused: the next
    run finishes it."""
    if not steward.strip():
        raise ConfigError("name the steward who decides (--steward NAME); it goes into the audit trail")
    with project.open_store() as store:
        batch = store.batch(batch_id)
        if batch is None:
            raise ConfigError(f"no batch {batch_id!r} in the results store; `integrity batches "
                              "list` shows them")
        with store.lock(batch.dataset):
            batch = store.batch(batch_id)
            if batch is None or batch.status != "pending":
                status = batch.status if batch else "gone"
                raise ConfigError(f"batch {batch_id} is {status}, not pending; only a pending batch "
                                  "can be given up")
            staged = project.staged_path(project.dataset(batch.dataset), batch_id)
            try:
                read_staged(staged, batch_id)
            except ConfigError:
                pass
            else:
                raise ConfigError(f"batch {batch_id}'s staged copy {staged} is intact; "
                                  f"`integrity run {batch.dataset}` finishes it exactly once")
            store.complete_batch(batch_id, status="failed", published_rows=0, quarantined_rows=0,
                                 result=None, watermark=None)
            store.record_audit(batch.dataset, "batch_failed", batch_id, steward, note,
                               {"staged_copy": str(staged)})
            failed = store.batch(batch_id)
    assert failed is not None
    return failed


def _held_entry(store: Store, entry_id: str) -> QuarantineRecord:
    entry = store.quarantine_entry(entry_id)
    if entry is None:
        raise ConfigError(f"no quarantine entry {entry_id!r}; `integrity quarantine list` shows them")
    if entry.status != "held":
        raise ConfigError(f"quarantine entry {entry.id} is already {entry.status}"
                          + (f" (by {entry.decided_by} at {entry.decided_at})" if entry.decided_by else "")
                          + "; only held entries can be released or rejected")
    return entry


def _decide(project: Project, entry_id: str, steward: str,
            act: Callable[[Store, QuarantineRecord, DatasetConfig, QuarantineFiles], QuarantineRecord],
            ) -> QuarantineRecord:
    if not steward.strip():
        raise ConfigError("name the steward who decides (--steward NAME); it goes into the audit trail")
    with project.open_store() as store:
        first = _held_entry(store, entry_id)
        dataset = project.dataset(first.dataset)
        with store.lock(first.dataset):
            entry = _held_entry(store, first.id)  # again under the lock: a concurrent decision won
            files = project.quarantine_files(dataset)
            try:
                return act(store, entry, dataset, files)
            except KeyError:
                raise ConfigError(f"quarantine entry {entry.id} of dataset {entry.dataset!r} is in the "
                                  f"store but its files are missing under {files.root}; restore them "
                                  "from a backup before deciding.") from None


def release(project: Project, entry_id: str, *, steward: str, note: str | None) -> QuarantineRecord:
    """Publish a held entry's rows through its dataset's target exactly once, and record who did.

    The publish is idempotent by the release's batch id (the entry id), so a release interrupted
    between the publish and the store update finishes on a second attempt without publishing twice;
    once recorded, a second release is refused."""
    def act(store: Store, entry: QuarantineRecord, dataset: DatasetConfig,
            files: QuarantineFiles) -> QuarantineRecord:
        frame = files.read(entry.id, with_reasons=False)
        info = files.release_info(entry.id)
        sink = project.sink(dataset)
        location = guarded(lambda: sink.publish(frame, info), dataset, info,
                            f"publish {frame.height} released rows to {sink!r}")
        failpoint("after_release_publish")
        files.mark_released(entry.id, location, by=steward)
        return store.decide_quarantine(entry.id, decision="released", steward=steward, note=note,
                                       details={"published_to": location, "rows": frame.height})

    return _decide(project, entry_id, steward, act)


def reject(project: Project, entry_id: str, *, steward: str, note: str | None) -> QuarantineRecord:
    """Keep a held entry out for good; its rows stay on disk (never deleted silently)."""
    def act(store: Store, entry: QuarantineRecord, dataset: DatasetConfig,
            files: QuarantineFiles) -> QuarantineRecord:
        files.remove(entry.id, by=steward, note=note)
        return store.decide_quarantine(entry.id, decision="rejected", steward=steward, note=note)

    return _decide(project, entry_id, steward, act)

