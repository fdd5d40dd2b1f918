"""A dataset's ``schedule:``: a cron expression or an interval, read as cron means it.

Two spellings::

    schedule: "*/15 * * * *"            # cron: minute hour day-of-month month day-of-week (UTC)
    schedule: "CRON_TZ=Europe/Paris 0 6 * * 1-5"   # cron in a time zone (as cronie writes it)
    schedule: "@daily"                  # @hourly @daily @midnight @weekly @monthly @yearly
    schedule: every 15m                 # an interval: s, m, h, d, combined (every 1h30m)

APScheduler 3 reads crontab fields its own way in two places, and both are corrected here so an
expression means what it means to cron: its day-of-week numbers start at Monday (cron's 0 and 7
are Sunday), so numeric weekdays become names; and it requires both day fields to match where cron
fires when either does (``0 0 1 * 1``: the 1st of the month and every Monday), so such an
expression becomes two triggers, either of which fires.

:func:`parse` checks a string (one line naming what is wrong and the spellings that work);
:func:`make_trigger` builds the APScheduler trigger. APScheduler is imported only there.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from integrity.errors import ConfigError

MIN_INTERVAL_SECONDS = 1
_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
          "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
          "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400}
_PART = re.compile(r"(\d+)\s*([a-z]+)")
_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
           "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
           "@hourly": "0 * * * *"}
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FIX = ("Write five cron fields (minute hour day-of-month month day-of-week, e.g. '*/15 * * * *' "
        "or '0 6 * * 1-5'), a macro (@hourly, @daily) or an interval ('every 30s', 'every 15m', "
        "'every 2h', 'every 1d').")


@dataclass(frozen=True)
class Schedule:
    """A checked ``schedule:`` string."""

    text: str
    """As written (stripped)."""
    interval: float | None = None
    """Seconds between runs, for an interval."""
    cron: tuple[str, str, str, str, str] | None = None
    """minute, hour, day, month, day_of_week, in APScheduler's reading (weekdays as names)."""
    timezone: str = "UTC"

    @property
    def description(self) -> str:
        """How ``schedule list`` shows the trigger."""
        if self.interval is not None:
            return f"every {_duration(self.interval)}"
        return f"cron {self.text}" + ("" if "CRON_TZ=" in self.text else " (UTC)")


def parse(text: str, *, where: str = "schedule") -> Schedule:
    """Check a ``schedule:`` string; ConfigError (one line, prefixed by ``where``) when it is not one."""
    spec = " ".join(str(text).split())
    shown = _shown(spec)
    if not spec:
        raise ConfigError(f"{where}: the schedule is empty. {_FIX}")
    if spec.lower().startswith("every"):
        return Schedule(spec, interval=_interval(spec, where, shown))
    timezone = "UTC"
    if spec.startswith("CRON_TZ="):
        zone, _, spec_rest = spec.partition(" ")
        timezone = zone.removeprefix("CRON_TZ=")
        _check_zone(timezone, where, shown)
        spec = spec_rest
    expression = _MACROS.get(spec.lower(), spec)
    fields = expression.split()
    if len(fields) != 5:
        count = f"{len(fields)} field{'s' * (len(fields) != 1)}"
        raise ConfigError(f"{where}: {shown} is neither a cron expression ({count}, cron has 5) "
                          f"nor an interval. {_FIX}")
    minute, hour, day, month, weekday = fields
    try:
        cron = (minute, hour, day, month, _weekdays(weekday))
    except ValueError as exc:
        raise ConfigError(f"{where}: {shown}: day-of-week field: {exc}. {_FIX}") from None
    schedule = Schedule(" ".join(str(text).split()), cron=cron, timezone=timezone)
    try:
        trigger = make_trigger(schedule)
    except ValueError as exc:
        raise ConfigError(f"{where}: {shown} is not a valid cron expression: {_cron_problem(exc)}. "
                          f"{_FIX}") from None
    if trigger.get_next_fire_time(None, dt.datetime.now(dt.UTC)) is None:
        raise ConfigError(f"{where}: {shown} never fires (no such date, e.g. 31 February); "
                          "fix the day and month fields.")
    return schedule


def make_trigger(schedule: Schedule, *, start: dt.datetime | None = None) -> Any:
    """The APScheduler trigger of ``schedule`` (an interval starts at ``start``, default now)."""
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if schedule.interval is not None:
        return IntervalTrigger(seconds=schedule.interval, start_date=start, timezone=dt.UTC)
    assert schedule.cron is not None
    minute, hour, day, month, weekday = schedule.cron

    def cron(day_field: str, weekday_field: str) -> CronTrigger:
        return CronTrigger(minute=minute, hour=hour, day=day_field, month=month,
                           day_of_week=weekday_field, timezone=schedule.timezone)

    if not day.startswith("*") and not weekday.startswith("*"):
        # cron fires when either day field matches; APScheduler's CronTrigger needs both.
        return OrTrigger([cron(day, "*"), cron("*", weekday)])
    return cron(day, weekday)


def _interval(spec: str, where: str, shown: str) -> float:
    rest = spec[len("every"):].strip().lower()
    if rest in ("second", "minute", "hour", "day"):
        rest = f"1{rest}"
    seconds = 0
    position = 0
    for match in _PART.finditer(rest):
        between = rest[position:match.start()].strip(" ,")
        if between not in ("", "and"):
            break
        unit = _UNITS.get(match.group(2))
        if unit is None:
            raise ConfigError(f"{where}: {shown}: unknown unit {match.group(2)!r}; use s, m, h or "
                              f"d (seconds, minutes, hours, days). {_FIX}")
        seconds += int(match.group(1)) * unit
        position = match.end()
    if position == 0 or rest[position:].strip():
        raise ConfigError(f"{where}: {shown} is not an interval. {_FIX}")
    if seconds < MIN_INTERVAL_SECONDS:
        raise ConfigError(f"{where}: {shown}: an interval must be at least "
                          f"{MIN_INTERVAL_SECONDS} second. {_FIX}")
    return float(seconds)


def _weekdays(field: str) -> str:
    """cron's day-of-week field with numbers as names (cron: 0 and 7 are Sunday; APScheduler 3:
    0 is Monday). A step over numbers (``*/2``, ``1-5/2``) is expanded, since a step over names
    would count from Monday too."""
    parts = []
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        if not re.fullmatch(r"\*|\d+(-\d+)?", base):
            if re.search(r"\d", base):
                raise ValueError(f"{part!r} mixes names and numbers; write 'mon-fri' or '1-5'")
            parts.append(part.lower())  # names (mon-fri) or '*': APScheduler reads them as cron does
            continue
        if not step_text and base == "*":
            parts.append("*")
            continue
        if step_text and not step_text.isdigit():
            raise ValueError(f"step {step_text!r} is not a number")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError("a step must be at least 1")
        first, _, last = base.partition("-")
        low, high = (0, 6) if base == "*" else (int(first), int(last or first))
        if not (0 <= low <= 7 and 0 <= high <= 7):
            raise ValueError(f"{part!r}: a weekday is 0-7 (0 and 7 are Sunday)")
        if low > high:
            raise ValueError(f"{part!r}: the range runs backwards")
        parts += [_DAY_NAMES[d % 7] for d in range(low, high + 1, step)]
    return ",".join(dict.fromkeys(parts))  # in order, once each


def _check_zone(zone: str, where: str, shown: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: {shown}: unknown time zone {zone!r}; use an IANA name such as "
                          "Europe/Paris or UTC.") from None


def _cron_problem(exc: ValueError) -> str:
    text = str(exc).strip().rstrip(".")
    return re.sub(r"^Error validating expression ", "field value ", text)


def _shown(text: str) -> str:
    """The schedule as quoted in a message: short, one line, control characters escaped."""
    from integrity.errors import printable

    text = printable(text)
    return repr(text if len(text) <= 80 else text[:79] + "…")


def _duration(seconds: float) -> str:
    left = int(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    return "".join(parts) or "0s"
