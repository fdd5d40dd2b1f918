"""Incidents: what deduplicates alerts, kept in the results store (``alert_incidents``).

An incident is one condition of one dataset, from the first time it is seen until it ends: a
``failure`` (runs fail) until a run succeeds, a ``quarantine`` (runs hold rows) until a batch is
published clean, ``staleness`` (no new rows for longer than ``freshness.max_age``) until rows
arrive. A failure recurring every 15 minutes touches the open incident (its count, its latest
detail) instead of opening another, so each destination gets one message when it opens, a reminder
at most every ``remind_after``, and one when it is resolved.

Several processes record and deliver at once (the scheduler's runs, a manual ``integrity run``):
a unique key allows one open incident per dataset and kind, and a sender claims an incident for a
short while before it posts, so a message is not sent twice by two processes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from integrity.alerts.messages import payload
from integrity.alerts.webhook import Destination, send
from integrity.store import Store
from integrity.store import schema as t
from integrity.store.connect import WRITE_OPTION

KINDS = ("failure", "quarantine", "staleness")
CLAIM_SECONDS = 120.0
"""How long a sender holds an incident (longer than any message's budget); a sender that died
while holding one loses it after this."""
GIVE_UP_AFTER = dt.timedelta(days=7)
"""A resolved incident whose messages could not be delivered for this long is left alone."""


@dataclass(frozen=True)
class Event:
    """What a run or a check saw: ``kind`` holds now (``active``) or no longer does."""

    dataset: str
    kind: str
    active: bool
    detail: dict[str, Any] = field(default_factory=dict)
    """What to tell: the run id, the error line, rows held, the last arrival... (JSON-able)."""


@dataclass(frozen=True)
class Incident:
    id: int
    dataset: str
    kind: str
    opened_at: dt.datetime
    last_seen_at: dt.datetime
    closed_at: dt.datetime | None
    occurrences: int
    detail: dict[str, Any]
    deliveries: dict[str, Any]

    @property
    def open(self) -> bool:
        return self.closed_at is None


def record(store: Store, events: Sequence[Event], *, now: dt.datetime) -> None:
    """Open, touch or close the incidents ``events`` speak of."""
    for event in events:
        if event.kind not in KINDS:
            raise ValueError(f"incident kind {event.kind!r} is unknown; use one of {', '.join(KINDS)}")
        for attempt in range(2):
            try:
                with _write(store) as conn:
                    (_touch if event.active else _close)(conn, event, now)
                break
            except SAIntegrityError:  # another process opened it meanwhile: touch that one
                if attempt:
                    raise


def incidents(store: Store, dataset: str | None = None, *, open_only: bool = False,
              unsettled: bool = False) -> list[Incident]:
    """Incidents, oldest first."""
    query = sa.select(t.alert_incidents).order_by(t.alert_incidents.c.id)
    if dataset is not None:
        query = query.where(t.alert_incidents.c.dataset == dataset)
    if open_only:
        query = query.where(t.alert_incidents.c.closed_at.is_(None))
    if unsettled:
        query = query.where(t.alert_incidents.c.settled.is_(False))
    with store.engine.connect() as conn:
        return [_incident(r) for r in conn.execute(query)]


def due(incident: Incident, destination: Destination, now: dt.datetime) -> str | None:
    """The message ``destination`` is owed for ``incident``: ``opened``, ``reminder``, ``resolved``
    or None."""
    if incident.kind not in destination.on:
        return None
    state = incident.deliveries.get(destination.id) or {}
    sent = state.get("sent") or {}
    if incident.open:
        if "opened" not in sent:
            return "opened"
        last = _time(state.get("last_sent_at"))
        if destination.remind_after is not None and last is not None \
                and (now - last).total_seconds() >= destination.remind_after:
            return "reminder"
        return None
    if "resolved" in sent:
        return None
    assert incident.closed_at is not None
    return None if now - incident.closed_at > GIVE_UP_AFTER else "resolved"


def deliver(store: Store, dataset: str, destinations: Sequence[Destination], *, now: dt.datetime,
            budget: float) -> list[str]:
    """Send every message owed for ``dataset``'s incidents, within ``budget`` seconds in all.

    Returns one line per message not delivered (it stays owed, and the next call sends it). A
    destination that fails once is not tried again in this call."""
    if not destinations:
        return []
    deadline = time.monotonic() + budget
    problems: list[str] = []
    failed: set[str] = set()
    for listed in incidents(store, dataset, unsettled=True):
        owed = [(d, m) for d in destinations if (m := due(listed, d, now)) is not None]
        if not owed:
            if not listed.open:
                _settle(store, listed.id)
            continue
        if all(d.id in failed for d, _ in owed) or not _claim(store, listed.id, now):
            continue
        incident = _one(store, listed.id)  # as it is now that it is ours: another sender may
        # have delivered meanwhile
        deliveries = {k: dict(v) for k, v in incident.deliveries.items()}
        try:
            for destination in destinations:
                message = due(incident, destination, now)
                if message is None or destination.id in failed:
                    continue
                left = deadline - time.monotonic()
                if left <= 0.05:
                    problems.append(f"{destination.label}: no time left to send the {message} "
                                    f"message of dataset {dataset!r} ({incident.kind}); it is "
                                    "sent by the next run or scheduler check")
                    continue
                result = send(destination, payload(incident, message, now),
                              budget=min(left, destination.timeout))
                state = deliveries.setdefault(destination.id, {"sent": {}, "attempts": 0})
                state["attempts"] = int(state.get("attempts", 0)) + result.attempts
                state["last_attempt_at"] = now.isoformat()
                if result.ok:
                    state.setdefault("sent", {})[message] = now.isoformat()
                    state["last_sent_at"] = now.isoformat()
                    state.pop("last_error", None)
                else:
                    state["last_error"] = result.error
                    failed.add(destination.id)
                    problems.append(f"{destination.label}: the {message} message of dataset "
                                    f"{dataset!r} ({incident.kind}) was not delivered "
                                    f"({result.error}, {result.attempts} attempt"
                                    f"{'s' * (result.attempts != 1)}); it is sent again by the "
                                    "next run or scheduler check")
        finally:
            view = Incident(**{**incident.__dict__, "deliveries": deliveries})
            settled = not view.open and all(due(view, d, now) is None for d in destinations)
            _release(store, incident.id, deliveries, settled=settled)
    return problems


# -- rows ------------------------------------------------------------------------------------------

def _touch(conn: Connection, event: Event, now: dt.datetime) -> None:
    table = t.alert_incidents
    key = f"{event.dataset}/{event.kind}"
    query = sa.select(table).where(table.c.open_key == key)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        conn.execute(sa.insert(table).values(
            dataset=event.dataset, kind=event.kind, open_key=key, opened_at=now, last_seen_at=now,
            closed_at=None, occurrences=1,
            detail={"first": event.detail, "last": event.detail, **_totals({}, event.detail)},
            deliveries={}, settled=False, claimed_until=None))
        return
    detail = dict(row.detail or {})
    detail.update({"last": event.detail, **_totals(detail, event.detail)})
    conn.execute(sa.update(table).where(table.c.id == row.id).values(
        last_seen_at=now, occurrences=table.c.occurrences + 1, detail=detail))


def _close(conn: Connection, event: Event, now: dt.datetime) -> None:
    table = t.alert_incidents
    key = f"{event.dataset}/{event.kind}"
    row = conn.execute(sa.select(table.c.id, table.c.detail).where(table.c.open_key == key)).first()
    if row is None:
        return
    detail = {**(row.detail or {}), "resolved_by": event.detail}
    conn.execute(sa.update(table).where(table.c.id == row.id, table.c.open_key == key).values(
        open_key=None, closed_at=now, detail=detail))


def _totals(detail: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Running totals a reminder and the resolution report (rows held over the incident)."""
    rows = new.get("rows")
    if not isinstance(rows, int):
        return {}
    return {"rows_total": int(detail.get("rows_total", 0)) + rows}


def _claim(store: Store, incident_id: int, now: dt.datetime) -> bool:
    table = t.alert_incidents
    with _write(store) as conn:
        done = conn.execute(sa.update(table).where(
            table.c.id == incident_id,
            sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
        ).values(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS)))
    return done.rowcount == 1


def _settle(store: Store, incident_id: int) -> None:
    """Mark a resolved incident done with (nothing more is owed); not while a sender holds it."""
    table = t.alert_incidents
    with _write(store) as conn:
        conn.execute(sa.update(table).where(table.c.id == incident_id,
                                            table.c.claimed_until.is_(None)).values(settled=True))


def _one(store: Store, incident_id: int) -> Incident:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(t.alert_incidents)
                           .where(t.alert_incidents.c.id == incident_id)).one()
    return _incident(row)


def _release(store: Store, incident_id: int, deliveries: dict[str, Any], *, settled: bool) -> None:
    table = t.alert_incidents
    with _write(store) as conn:
        conn.execute(sa.update(table).where(table.c.id == incident_id).values(
            deliveries=deliveries, claimed_until=None, settled=settled))


@contextmanager
def _write(store: Store) -> Iterator[Connection]:
    # BEGIN IMMEDIATE on SQLite (see integrity.store.connect): read-then-write without upgrades.
    with store.engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
        yield conn


def _incident(row: Any) -> Incident:
    return Incident(id=row.id, dataset=row.dataset, kind=row.kind, opened_at=row.opened_at,
                    last_seen_at=row.last_seen_at, closed_at=row.closed_at,
                    occurrences=row.occurrences, detail=dict(row.detail or {}),
                    deliveries=dict(row.deliveries or {}))


def _time(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
