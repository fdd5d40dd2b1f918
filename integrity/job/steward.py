"""The stewards' decisions: release or reject a quarantine entry, give up a lost pending batch.

Every decision takes the dataset's run lock, so it never races a run of the same dataset, and goes
into the audit trail with who decided and why.

Release and reject are one state machine, and the results store's quarantine status is its only
truth::

    held --release--> releasing --publish, manifest--> released
    held --reject---> rejecting --retract, manifest--> rejected
                      releasing --reject--> rejecting

The decision is recorded (``releasing`` / ``rejecting``, with who and why) before any side effect;
each side effect is idempotent (the publish and the retraction are keyed on the entry id, the
manifest is set to the store's decision whatever it said); the final status and its audit row go
in one transaction at the end. So a command killed at any point leaves an entry that the next
command touching it finishes: ``quarantine release`` or ``reject`` of that entry, or ``integrity
run`` of its dataset. Meanwhile ``quarantine list`` and ``show`` report it as under way. When the
manifest on disk disagrees with the store, the store wins and the manifest is rewritten.

A reject wins over an interrupted release. Rejecting means "keep these rows out", so what the
release had published is retracted (a file sink removes the data file and its marker durably; the
SQL sink deletes the rows by their batch id, with the ledger row, in one transaction), and the
audit trail says so: ``quarantine.release_abandoned`` records whether anything had been published,
``quarantine.rejected`` where it was retracted from. A release of an entry whose rejection was
interrupted finishes the rejection, and is refused. The held rows themselves are never deleted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import polars as pl

from integrity.config import DatasetConfig
from integrity.errors import ConfigError, IntegrityError, StoreError
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


_DONE = ("released", "rejected")
_DONE_OF = {"releasing": "released", "rejecting": "rejected"}
_VERB = {"released": "release", "rejected": "reject", "releasing": "release",
         "rejecting": "reject"}


def release(project: Project, entry_id: str, *, steward: str, note: str | None) -> QuarantineRecord:
    """Publish a held entry's rows through its dataset's target exactly once, and record who did.

    The publish is idempotent by the release's batch id (the entry id), so a release interrupted
    anywhere finishes on a second attempt without publishing twice; once recorded, a second release
    is refused."""
    return _decide(project, entry_id, "released", steward, note)


def reject(project: Project, entry_id: str, *, steward: str, note: str | None) -> QuarantineRecord:
    """Keep a held entry out for good, retracting what an interrupted release had published.

    Its rows stay on disk (never deleted silently)."""
    return _decide(project, entry_id, "rejected", steward, note)


def finish_interrupted(project: Project, store: Store, dataset: DatasetConfig,
                       say: Callable[[str], None]) -> list[QuarantineRecord]:
    """Finish the decisions on ``dataset``'s entries that a killed command left under way.

    For ``integrity run``, which holds the dataset's lock. One that cannot be finished now (its
    target is down, its files are gone) is reported through ``say`` and left for later: the
    steward's problem should not stop new rows."""
    finished = []
    for entry in [*store.quarantine_entries(dataset.name, "releasing"),
                  *store.quarantine_entries(dataset.name, "rejecting")]:
        what = f"the interrupted {_VERB[entry.status]} of quarantine entry {entry.id} by {entry.decided_by}"
        try:
            with _files_of(entry, project.quarantine_files(dataset)):
                finished.append(_finish(project, store, dataset, entry, finished_by="integrity run"))
        except IntegrityError as exc:
            say(f"could not finish {what}: {exc}")
            continue
        say(f"finished {what}")
    return finished


def _decide(project: Project, entry_id: str, decision: str, steward: str,
            note: str | None) -> QuarantineRecord:
    if not steward.strip():
        raise ConfigError("name the steward who decides (--steward NAME); it goes into the audit trail")
    with project.open_store() as store:
        first = store.quarantine_entry(entry_id)
        if first is None:
            raise ConfigError(f"no quarantine entry {entry_id!r}; `integrity quarantine list` shows them")
        dataset = project.dataset(first.dataset)
        with store.lock(first.dataset):
            entry = store.quarantine_entry(first.id)  # again under the lock: a concurrent decision won
            assert entry is not None
            files = project.quarantine_files(dataset)
            if entry.status in _DONE:
                with contextlib.suppress(KeyError):
                    _repair_manifest(files, entry)
                raise _already(entry)
            with _files_of(entry, files):
                if entry.status == "rejecting" and decision == "released":
                    raise _already(_finish(project, store, dataset, entry, finished_by=steward),
                                   "its rejection had been interrupted and is finished now")
                frame = None
                if decision == "released" and entry.status == "held":
                    frame = files.read(entry.id, with_reasons=False)  # before anything is recorded
                if entry.status == "held" or decision != _DONE_OF[entry.status]:
                    entry = _start(project, store, dataset, entry, decision, steward, note)
                return _finish(project, store, dataset, entry, finished_by=steward, frame=frame)


def _start(project: Project, store: Store, dataset: DatasetConfig, entry: QuarantineRecord,
           decision: str, steward: str, note: str | None) -> QuarantineRecord:
    """Record the decision as under way, before any side effect."""
    files = project.quarantine_files(dataset)
    info = files.release_info(entry.id)  # KeyError now, not half-way, when the files are gone
    action = None
    details: dict[str, Any] = {}
    if decision == "rejected":
        sink = project.sink(dataset)
        published = guarded(lambda: sink.published(entry.id), dataset, info,
                            f"ask {sink!r} whether entry {entry.id} was published",
                            then=f"Quarantine entry {entry.id} is still {entry.status}; fix the "
                                 "target and reject it again.")
        if entry.status == "releasing" or published:
            # Rows may have been visible to consumers: the trail says so before they are retracted.
            action = "quarantine.release_abandoned"
            details = {"published": published, "release_started_by": entry.decided_by,
                       "release_started_at": entry.decided_at, "release_note": entry.note}
    try:
        started = store.start_quarantine_decision(entry.id, decision=decision, steward=steward,
                                                  note=note, audit_action=action,
                                                  audit_details=details)
    except StoreError as exc:
        raise ConfigError(str(exc)) from None
    failpoint(f"after_{_VERB[decision]}_intent")
    return started


def _finish(project: Project, store: Store, dataset: DatasetConfig, entry: QuarantineRecord, *,
            finished_by: str, frame: pl.DataFrame | None = None) -> QuarantineRecord:
    """Carry out an under-way decision (every step idempotent) and record it final."""
    files = project.quarantine_files(dataset)
    sink = project.sink(dataset)
    info = files.release_info(entry.id)
    extra: dict[str, Any] = {} if finished_by == entry.decided_by else {"finished_by": finished_by}
    verb = _VERB[entry.status]
    then = (f"Quarantine entry {entry.id} stays {entry.status} ({verb} decided by "
            f"{entry.decided_by}); fix the target, then `integrity quarantine {verb} {entry.id} "
            f"--steward NAME` or the next `integrity run {dataset.name}` finishes it.")
    if entry.status == "releasing":
        rows = frame if frame is not None else files.read(entry.id, with_reasons=False)
        location = guarded(lambda: sink.publish(rows, info), dataset, info,
                           f"publish {rows.height} released rows to {sink!r}", then=then)
        failpoint("after_release_publish")
        files.record_decision(entry.id, "released", {"location": location, "by": entry.decided_by})
        failpoint("after_release_manifest")
        done = store.finish_quarantine_decision(
            entry.id, details={"published_to": location, "rows": rows.height, **extra})
        failpoint("after_release_record")
        return done
    retracted = guarded(lambda: sink.retract(entry.id), dataset, info,
                        f"take back what the release of entry {entry.id} published to {sink!r}",
                        then=then)
    failpoint("after_reject_retract")
    files.record_decision(entry.id, "rejected", {"by": entry.decided_by, "note": entry.note,
                                                 "retracted_from": retracted})
    failpoint("after_reject_manifest")
    done = store.finish_quarantine_decision(entry.id, details={"retracted_from": retracted, **extra})
    failpoint("after_reject_record")
    return done


@contextlib.contextmanager
def _files_of(entry: QuarantineRecord, files: QuarantineFiles) -> Iterator[None]:
    """Turn the KeyError of an entry whose folder is gone into one clear error."""
    try:
        yield
    except KeyError:
        raise ConfigError(f"quarantine entry {entry.id} of dataset {entry.dataset!r} is in the "
                          f"store but its files are missing under {files.root}; restore them "
                          "from a backup before deciding.") from None


def _repair_manifest(files: QuarantineFiles, entry: QuarantineRecord) -> None:
    """The store decided; make the manifest say so if a crash left it behind (or ahead)."""
    if files.manifest(entry.id).get("status") != entry.status:
        files.record_decision(entry.id, entry.status, {"by": entry.decided_by,
                                                       "repaired_from_store": True})


def _already(entry: QuarantineRecord, why: str | None = None) -> ConfigError:
    return ConfigError(f"quarantine entry {entry.id} is already {entry.status}"
                       + (f" (by {entry.decided_by} at {entry.decided_at})" if entry.decided_by else "")
                       + (f": {why}" if why else "")
                       + "; only held entries can be released or rejected")
