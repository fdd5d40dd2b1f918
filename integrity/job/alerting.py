"""After a run: what it means for the dataset's alert incidents, recorded and sent.

``integrity run`` and the scheduler call :func:`after_run` once a run is over (the scheduler after
its last retry), with the run's :class:`RunOutcome`. A failed run opens or touches the dataset's
``failure`` incident and a successful one resolves it; rows held open or touch ``quarantine``, a
clean batch resolves it; and a dataset with ``freshness: {max_age: ...}`` whose newest rows are
older than that opens ``staleness``, whether or not this run found rows. The scheduler also calls
:func:`check_datasets` every minute, so a source that stays silent trips an alert even when no
run happens to end.

Alerts never change a run's outcome: :func:`after_run` does not raise, each message has a time
budget (its destination's ``timeout``), and what is not delivered in time stays owed in the store
for the next call. Nothing is done, and the store is not opened, when no alert is configured.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from integrity.alerts import Destination, Event, deliver, destinations, record
from integrity.config import DatasetConfig, redact, referenced_secrets
from integrity.durations import duration_problem, parse_duration
from integrity.errors import ConnectorError, IntegrityError, LockedError, StoreError, first_line
from integrity.job.project import Project
from integrity.store import Store
from integrity.store import schema as t

if TYPE_CHECKING:
    from integrity.job.run import RunSummary

SUCCESS_STATUSES = ("clean", "quarantined", "empty")
"""Run statuses that end a failure incident."""


@dataclass(frozen=True)
class RunOutcome:
    """What one run of a dataset came to, as alerts and the scheduler need it (JSON-able)."""

    dataset: str
    status: str
    """``clean``, ``quarantined``, ``empty`` (no new rows), ``failed``, or ``locked`` (another
    process was running the dataset: not a failure)."""
    run_id: int | None = None
    error: str | None = None
    """The error's message (secrets already redacted by the run), for a failed run."""
    error_type: str | None = None
    transient: bool = False
    """Whether trying again later may succeed (see :func:`is_transient`)."""
    rows: int = 0
    published_rows: int = 0
    quarantined_rows: int = 0
    quarantine_ids: tuple[str, ...] = ()
    held_by: tuple[str, ...] = ()
    """The expectations that held rows, briefly (``#0 expect_... on customer_id``)."""

    @classmethod
    def of_summary(cls, summary: RunSummary) -> RunOutcome:
        held = {_reason(r) for b in summary.batches for r in b.held_by}
        status = ("quarantined" if summary.quarantined else "clean") if summary.batches else "empty"
        return cls(
            summary.dataset, status, run_id=summary.run_id,
            rows=sum(b.rows for b in summary.batches),
            published_rows=sum(b.published_rows for b in summary.batches),
            quarantined_rows=sum(b.quarantined_rows for b in summary.batches),
            quarantine_ids=tuple(q for b in summary.batches for q in b.quarantine_ids),
            held_by=tuple(sorted(held)))

    @classmethod
    def of_error(cls, dataset: str, exc: BaseException,
                 secrets: Mapping[str, str] | None = None) -> RunOutcome:
        """The outcome of a run that raised ``exc``; ``secrets`` (see :func:`run_secrets`) are
        taken out of the message (the run already did for its own errors)."""
        if isinstance(exc, LockedError):
            return cls(dataset, "locked", error=str(exc), error_type="LockedError", transient=True)
        message = str(exc) if isinstance(exc, IntegrityError) else \
            f"internal error: {type(exc).__name__}: {first_line(exc)}"
        return cls(dataset, "failed", error=redact(message, secrets or {}),
                   error_type=type(exc).__name__, transient=is_transient(exc))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunOutcome:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        for name in ("quarantine_ids", "held_by"):
            values[name] = tuple(values.get(name) or ())
        return cls(**values)


def run_secrets(project: Project, name: str) -> dict[str, str]:
    """The values of the ``${ENV}`` secrets a run of ``name`` uses, to keep them out of messages."""
    dataset = _dataset_or_none(project, name)
    values: list[Any] = [project.config.store_url]
    if dataset is not None:
        values += [dataset.connector.params, dataset.publish.url]
    return referenced_secrets(*values)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` may pass by itself: a source or network hiccup, another run holding the
    dataset, a results store that is locked or cannot be reached for a moment."""
    if isinstance(exc, LockedError):
        return True
    if isinstance(exc, ConnectorError):
        return exc.transient
    if isinstance(exc, StoreError):
        text = str(exc)
        return any(m in text for m in ("cannot reach", "database is locked", "setting up the results"))
    if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return True  # connection lost, server restarting, SQLite busy past its timeout
    if isinstance(exc, sa.exc.DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc, ConnectionError | TimeoutError)


def targets(project: Project, dataset: DatasetConfig | None) -> tuple[list[Destination], list[str]]:
    """Where ``dataset``'s alerts go (its own ``alerts:``, else the project's), and a line for each
    destination that cannot be used (an unset ``${ENV}``; see :func:`destinations`)."""
    own = getattr(dataset, "alerts", None) if dataset is not None else None
    if own is not None and dataset is not None:
        where = f"{project.path(project.config.connectors_dir) / dataset.name}.yaml: alerts"
        return destinations(own, where)
    return destinations(project.config.alerts, f"{project.root / 'integrity.yaml'}: alerts")


def after_run(project: Project, outcome: RunOutcome, *, now: dt.datetime | None = None,
              store: Store | None = None) -> list[str]:
    """Record what ``outcome`` means for its dataset's incidents and send what is owed.

    ``store``: the results store when the caller has it open (the scheduler: a process must not
    open a SQLite store twice, see :func:`integrity.store.connect.prepare_sqlite_file`); else it
    is opened here. Returns warning lines (a destination that cannot be used, a message not
    delivered); never raises. A ``locked`` outcome changes nothing."""
    name = outcome.dataset
    found: list[Destination] = []
    try:
        dataset = _dataset_or_none(project, name)
        found, problems = targets(project, dataset)
        if not found or outcome.status == "locked":
            return problems
        when = now or dt.datetime.now(dt.UTC)
        with contextlib.ExitStack() as stack:
            if store is None:
                store = stack.enter_context(project.open_store())
            if outcome.status == "failed" and outcome.run_id is None:
                outcome = RunOutcome.from_dict({**outcome.to_dict(),
                                                "run_id": _recent_failed_run(store, name, when)})
            events = outcome_events(outcome, when)
            stale = staleness_event(store, dataset, when) if dataset is not None else None
            record(store, [*events, *([stale] if stale else [])], now=when)
            return problems + deliver(store, name, found, now=when,
                                      budget=max(d.timeout for d in found))
    except Exception as exc:  # alerts must never turn a run into a failure
        return [f"alerts of dataset {name!r} could not be processed: {_safe(exc, found)}"]


def check_datasets(project: Project, store: Store, names: Iterable[str], *,
                   now: dt.datetime | None = None) -> list[str]:
    """For each dataset with alerts: open or resolve ``staleness`` (``freshness.max_age``) and send
    what is owed (messages a run could not deliver). What the scheduler does every minute."""
    when = now or dt.datetime.now(dt.UTC)
    problems: list[str] = []
    for name in names:
        found: list[Destination] = []
        try:
            dataset = _dataset_or_none(project, name)
            found, unusable = targets(project, dataset)
            problems += unusable
            if not found:
                continue
            stale = staleness_event(store, dataset, when) if dataset is not None else None
            if stale is not None:
                record(store, [stale], now=when)
            problems += deliver(store, name, found, now=when, budget=max(d.timeout for d in found))
        except Exception as exc:
            problems.append(f"alerts of dataset {name!r} could not be processed: "
                            f"{_safe(exc, found)}")
    return problems


def outcome_events(outcome: RunOutcome, now: dt.datetime) -> list[Event]:
    """The incidents a run's outcome opens, touches or resolves (staleness aside)."""
    name, at = outcome.dataset, now.isoformat()
    base: dict[str, Any] = {"run_id": outcome.run_id, "at": at}
    events: list[Event] = []
    if outcome.status == "failed":
        events.append(Event(name, "failure", True, {**base, "error": outcome.error,
                                                    "error_type": outcome.error_type,
                                                    "transient": outcome.transient}))
        return events
    if outcome.status not in SUCCESS_STATUSES:
        return events
    events.append(Event(name, "failure", False, base))
    if outcome.quarantined_rows or outcome.quarantine_ids:
        events.append(Event(name, "quarantine", True, {
            **base, "rows": outcome.quarantined_rows, "published_rows": outcome.published_rows,
            "quarantine_ids": list(outcome.quarantine_ids), "held_by": list(outcome.held_by)}))
    elif outcome.status == "clean":
        events.append(Event(name, "quarantine", False, base))
    return events


def max_age(dataset: DatasetConfig | None) -> dt.timedelta | None:
    """The dataset's ``freshness.max_age`` (read defensively: a timedelta, seconds or ISO text)."""
    freshness = getattr(dataset, "freshness", None)
    value = freshness.get("max_age") if isinstance(freshness, Mapping) else \
        getattr(freshness, "max_age", None)
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, str | int | float) and not duration_problem(value):
        return parse_duration(value)
    return None


def last_arrival(store: Store, name: str) -> dt.datetime | None:
    """When rows of ``name`` last arrived: the newest batch with rows (pulled, whatever its fate)."""
    b = t.batches
    with store.engine.connect() as conn:
        value = conn.execute(sa.select(sa.func.max(b.c.created_at))
                             .where(b.c.dataset == name, b.c.row_count > 0)).scalar()
    return _aware(value)


def staleness_event(store: Store, dataset: DatasetConfig, now: dt.datetime) -> Event | None:
    """``staleness`` of ``dataset`` now: active when its newest rows (or, if it never had any,
    its first run) are older than ``freshness.max_age``. None without a freshness or a first run."""
    limit = max_age(dataset)
    if limit is None:
        return None
    arrival = last_arrival(store, dataset.name)
    since = arrival
    if since is None:
        with store.engine.connect() as conn:
            since = _aware(conn.execute(sa.select(sa.func.min(t.runs.c.started_at))
                                        .where(t.runs.c.dataset == dataset.name)).scalar())
    if since is None:
        return None
    age = now - since
    return Event(dataset.name, "staleness", age > limit, {
        "at": now.isoformat(), "last_arrival": arrival.isoformat() if arrival else None,
        "since": since.isoformat(), "age_seconds": round(age.total_seconds()),
        "max_age_seconds": round(limit.total_seconds())})


def _recent_failed_run(store: Store, name: str, now: dt.datetime) -> int | None:
    """The run a failure just recorded (a run that failed after it started records itself)."""
    runs = store.runs(name, limit=1)
    if not runs or runs[0]["status"] != "failed" or not runs[0]["finished_at"]:
        return None
    finished = dt.datetime.fromisoformat(runs[0]["finished_at"])
    finished = finished if finished.tzinfo else finished.replace(tzinfo=dt.UTC)
    return int(runs[0]["run_id"]) if now - finished < dt.timedelta(minutes=5) else None


def _dataset_or_none(project: Project, name: str) -> DatasetConfig | None:
    try:
        return project.dataset(name)
    except IntegrityError:
        return None  # a broken definition: the project's alerts still report its failure


def _reason(reason: Mapping[str, Any]) -> str:
    if reason.get("error"):
        return "the suite could not run"
    text = f"#{reason.get('expectation_index')} {reason.get('expectation_type') or '?'}"
    column = reason.get("column")
    if isinstance(column, list | tuple):
        column = ", ".join(str(c) for c in column)
    return f"{text} on {column}" if column else text


def _aware(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _safe(exc: BaseException, found: Iterable[Destination]) -> str:
    """An error of the alert machinery, by kind and first line, without any webhook's URL."""
    text = f"{type(exc).__name__}: {first_line(exc, 200)}"
    for destination in found:
        text = destination.redact(text)
    return text
