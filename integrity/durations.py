"""Durations and time zones as stewards write them: ISO-8601 durations (``PT6H``, ``P1DT12H``, ``P2W``)
or a number of seconds, and IANA zone names (``Europe/Paris``).

Used by suites (``expect_table_freshness_to_be_within``'s ``max_age``) and dataset definitions
(``freshness: {max_age: PT6H}``). Years and months are refused: they have no fixed length, so an
age limit written with them would mean different things in different months.
"""

from __future__ import annotations

import datetime as dt
import math
import re

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_ISO = re.compile(rf"P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
                  rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?")
_SECONDS = (7 * 86400, 86400, 3600, 60, 1)
EXAMPLES = "PT6H, PT30M, P1D, P1DT12H or a number of seconds such as 21600"


class DurationError(ValueError):
    """A duration that cannot be read; the message says what to write instead."""


def parse_duration(value: object) -> dt.timedelta:
    """``value`` (an ISO-8601 duration or a number of seconds, text or number) as a timedelta.

    Raises:
        DurationError: not a duration, a zero or negative one, or one in years or months.
    """
    if isinstance(value, bool) or value is None:
        raise DurationError(f"{value!r} is not a duration; write {EXAMPLES}")
    if isinstance(value, int | float):
        return _positive(float(value), value)
    if not isinstance(value, str):
        raise DurationError(f"{value!r} is not a duration; write {EXAMPLES}")
    text = value.strip().upper()
    if re.fullmatch(r"[+-]?\d+(?:\.\d*)?", text):
        return _positive(float(text), value)
    match = _ISO.fullmatch(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise DurationError(f"{value!r} is not an ISO-8601 duration; write {EXAMPLES}")
    years, months, *rest = match.groups()
    if years or months:
        raise DurationError(f"{value!r} counts years or months, which have no fixed length; write "
                            "days instead (P30D, P365D)")
    seconds = sum(float(part.replace(",", ".")) * unit
                  for part, unit in zip(rest, _SECONDS, strict=True) if part)
    return _positive(seconds, value)


def duration_problem(value: object) -> str | None:
    """Why ``value`` is not a usable duration, or None when it is (for argument validators)."""
    try:
        parse_duration(value)
    except DurationError as exc:
        return str(exc)
    return None


def format_duration(delta: dt.timedelta) -> str:
    """``delta`` as ISO-8601 (``P1DT6H``, ``PT0.5S``), for messages and results."""
    seconds = delta.total_seconds()
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    time = "".join(f"{_num(v)}{u}" for v, u in ((hours, "H"), (minutes, "M"), (rest, "S")) if v)
    out = "P" + (f"{_num(days)}D" if days else "") + (f"T{time}" if time else "")
    return out if out != "P" else "PT0S"


def format_age(delta: dt.timedelta) -> str:
    """An age to the second, as ISO-8601 (``P2DT1H``; ``PT0S`` for none or a negative one)."""
    seconds = round(delta.total_seconds())
    return format_duration(dt.timedelta(seconds=seconds)) if seconds > 0 else "PT0S"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _positive(seconds: float, shown: object) -> dt.timedelta:
    if not math.isfinite(seconds) or seconds <= 0:
        raise DurationError(f"{shown!r} is not a positive duration; write {EXAMPLES}")
    try:
        return dt.timedelta(seconds=seconds)
    except OverflowError:
        raise DurationError(f"{shown!r} is longer than any age this can measure; write "
                            f"{EXAMPLES}") from None


def zone_problem(name: object) -> str | None:
    """Why ``name`` is not an IANA time zone (e.g. ``Europe/Paris``), or None when it is."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(name, str) or not name.strip():
        return f"{name!r} is not a time zone; write an IANA name such as UTC or Europe/Paris"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{name!r} is not a known time zone; write an IANA name such as UTC or Europe/Paris"
    return None
