"""What an alert says: Slack-compatible JSON (``text``), with the same facts as data (``integrity``).

The text is Slack ``mrkdwn``. Everything that comes from a run (an error line, a column name) is
escaped, so ``<!channel>`` or ``<https://evil|click>`` in it arrives as text, not as a mention or a
link; and it is cut to a few hundred characters. Row values never appear: an alert says how many
rows were held and by which expectation, and the steward reads them with ``quarantine show``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from integrity.alerts.incidents import Incident

TEXT_LIMIT = 3000
LINE_LIMIT = 400


def payload(incident: Incident, message: str, now: dt.datetime) -> dict[str, Any]:
    """The JSON body for ``message`` (``opened``, ``reminder`` or ``resolved``) of ``incident``."""
    text = _TEXTS[incident.kind](incident, message, now)
    return {
        "text": _cut(text, TEXT_LIMIT),
        "integrity": {
            "event": incident.kind, "message": message, "dataset": incident.dataset,
            "incident": incident.id, "opened_at": _iso(incident.opened_at),
            "closed_at": _iso(incident.closed_at), "occurrences": incident.occurrences,
            "last": incident.detail.get("last") or {},
        },
    }


def escape(text: object) -> str:
    """``text`` safe in Slack mrkdwn, on one line: ``&``, ``<`` and ``>`` as entities."""
    value = " ".join(str(text).split())
    return _cut(value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), LINE_LIMIT)


def _failure(incident: Incident, message: str, now: dt.datetime) -> str:
    last = incident.detail.get("last") or {}
    head = f"*integrity*: dataset `{escape(incident.dataset)}`"
    error = escape(last.get("error") or "no error message")
    if message == "opened":
        return f"{head} failed{_run(last)}: {error}"
    count = f"{incident.occurrences} failed run{'s' * (incident.occurrences != 1)}"
    if message == "reminder":
        return (f"{head} is still failing, since {_when(incident.opened_at)} ({count}); "
                f"latest{_run(last)}: {error}")
    return (f"{head} runs again without error (resolved {_when(incident.closed_at or now)}); "
            f"it failed from {_when(incident.opened_at)}, {count}; last error: {error}")


def _quarantine(incident: Incident, message: str, now: dt.datetime) -> str:
    last = incident.detail.get("last") or {}
    head = f"*integrity*: dataset `{escape(incident.dataset)}`"
    if message == "opened":
        held = last.get("held_by") or []
        why = f"; held by {escape(', '.join(str(h) for h in held[:5]))}" if held else ""
        ids = [str(i) for i in last.get("quarantine_ids") or []]
        review = f". Review: `integrity quarantine show {escape(ids[0])}`" if ids else ""
        return f"{head}: {_rows(last.get('rows'))} quarantined{_run(last)}{why}{review}"
    total = incident.detail.get("rows_total")
    span = (f"{incident.occurrences} run{'s' * (incident.occurrences != 1)} held rows"
            + (f", {_rows(total)} in all" if isinstance(total, int) else ""))
    review = f"`integrity quarantine list --dataset {escape(incident.dataset)}`"
    if message == "reminder":
        return f"{head} keeps quarantining rows, since {_when(incident.opened_at)}: {span}. {review}"
    return (f"{head}: a batch was published clean again ({_when(incident.closed_at or now)}); "
            f"since {_when(incident.opened_at)}, {span}. Held entries wait for review: {review}")


def _staleness(incident: Incident, message: str, now: dt.datetime) -> str:
    last = incident.detail.get("last") or {}
    head = f"*integrity*: dataset `{escape(incident.dataset)}`"
    max_age = last.get("max_age_seconds")
    limit = f" (freshness max_age {_span(max_age)})" if isinstance(max_age, int | float) else ""
    arrival = last.get("last_arrival")
    since = (f"last rows at {_when(arrival)}" if arrival
             else f"no rows since it was first run, {_when(last.get('since'))}")
    if message == "opened":
        return f"{head} is stale: no new rows for {_span(last.get('age_seconds'))}{limit}; {since}"
    if message == "reminder":
        return f"{head} is still stale{limit}; {since}"
    return (f"{head}: new rows arrived again ({_when(incident.closed_at or now)}); it was stale "
            f"from {_when(incident.opened_at)}")


_TEXTS = {"failure": _failure, "quarantine": _quarantine, "staleness": _staleness}


def _run(detail: dict[str, Any]) -> str:
    run_id = detail.get("run_id")
    return f" (run {escape(run_id)})" if run_id is not None else ""


def _rows(count: Any) -> str:
    return f"{count} row{'s' * (count != 1)}" if isinstance(count, int) else "rows"


def _when(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return escape(value)
    if not isinstance(value, dt.datetime):
        return "an unknown time"
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return str(value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))


def _span(seconds: object) -> str:
    return _compact(int(seconds)) if isinstance(seconds, int | float) else "an unknown time"


def _compact(seconds: int) -> str:
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
        if len(parts) == 2:
            break
    return " ".join(parts) or "0s"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
