"""What the store hands back (frozen records with ISO-8601 UTC timestamps) and how values become JSON.

Records carry strings, not ``datetime`` objects, so that the CLI, the HTML report and JSON exports
show the same text the store holds, whichever database is underneath.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, overload

BATCH_STATUSES = ("pending", "published", "quarantined", "partial", "empty", "failed", "revalidated")
"""Every status a batch can have; all but ``pending`` are final. ``revalidated``: a backfill batch
whose rows earlier runs had all taken, validated again and recorded, nothing published."""
FINAL_BATCH_STATUSES = BATCH_STATUSES[1:]
QUARANTINE_STATUSES = ("held", "released", "rejected", "releasing", "rejecting")
"""``held`` waits for a steward; ``releasing`` / ``rejecting`` record a decision whose side effects
(publishing, or taking back what a release published) are under way, so whichever command touches
the entry next finishes them; ``released`` / ``rejected`` are final."""
QUARANTINE_DECISIONS = ("released", "rejected")
QUARANTINE_IN_FLIGHT = {"released": "releasing", "rejected": "rejecting"}
"""The in-flight status of each decision."""


@dataclass(frozen=True)
class BatchRecord:
    """One pulled batch as the store knows it."""

    batch_id: str
    dataset: str
    run_id: int
    """The run that pulled it (a later run may be the one that finishes it after a crash)."""
    status: str
    """One of :data:`BATCH_STATUSES`."""
    info: dict[str, Any]
    """``BatchInfo.to_dict()``: ``BatchInfo(**record.info)`` rebuilds it."""
    watermark_before: dict[str, Any]
    watermark_after: dict[str, Any]
    published_rows: int
    quarantined_rows: int
    created_at: str
    completed_at: str | None


@dataclass(frozen=True)
class QuarantineRecord:
    """Rows held back from publishing, waiting for a data steward's decision."""

    id: str
    dataset: str
    batch_id: str
    path: str
    """Where the held rows and their manifest of reasons are written."""
    rows: int
    reasons: list[dict[str, Any]]
    status: str
    """One of :data:`QUARANTINE_STATUSES`."""
    created_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    note: str | None = None

    @classmethod
    def new(cls, dataset: str, batch_id: str, path: str, rows: int,
            reasons: list[dict[str, Any]]) -> QuarantineRecord:
        """A fresh ``held`` entry with a random id (hex, so a short prefix can name it)."""
        return cls(id=uuid.uuid4().hex, dataset=dataset, batch_id=batch_id, path=path, rows=rows,
                   reasons=reasons, status="held", created_at=iso(utcnow()))


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the audit trail: who did what to which subject, and why."""

    id: int
    at: str
    dataset: str
    action: str
    subject: str
    actor: str
    note: str | None
    details: dict[str, Any]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@overload
def iso(value: dt.datetime) -> str: ...
@overload
def iso(value: dt.datetime | None) -> str | None: ...
def iso(value: dt.datetime | None) -> str | None:
    """ISO-8601 in UTC with microseconds, so strings of one store sort like the instants they name."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def parse_iso(value: str | dt.datetime | None, *, field: str) -> dt.datetime:
    """An ISO string (or datetime) from a record, as an aware UTC datetime; now when missing."""
    if value is None:
        return utcnow()
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{field}: {value!r} is not an ISO-8601 timestamp "
                             "(e.g. 2024-06-01T12:00:00+00:00)") from None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def jsonable(value: Any) -> Any:
    """``value`` made of JSON types only.

    Results carry datetimes, numpy scalars, sets and NaN; PostgreSQL's JSONB rejects NaN and the NUL
    character, so non-finite floats become null and NUL becomes U+FFFD. Unknown objects become
    their ``str`` rather than failing the one transaction that records a whole batch.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=lambda v: (type(v).__name__, str(v)))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return jsonable(float(value))
    if isinstance(value, bytes):
        return value.hex()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        to_dict = getattr(value, "to_dict", None)
        return jsonable(to_dict() if callable(to_dict) else dataclasses.asdict(value))
    for method in ("item", "tolist", "to_list"):  # numpy / pyarrow / polars scalars and arrays
        convert = getattr(value, method, None)
        if callable(convert):
            try:
                return jsonable(convert())
            except (TypeError, ValueError):
                break
    return str(value)


def json_dumps(value: Any) -> str:
    """The engine's JSON serializer: every JSON column goes through :func:`jsonable`."""
    return json.dumps(jsonable(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
