"""Durations as suites and dataset definitions spell them, and time zone names."""

from __future__ import annotations

import datetime as dt

import pytest

from integrity.durations import (
    DurationError,
    format_age,
    format_duration,
    parse_duration,
    zone_problem,
)


@pytest.mark.parametrize(("text", "seconds"), [
    ("PT6H", 6 * 3600), ("pt30m", 1800), ("P1D", 86400), ("P1DT12H", 1.5 * 86400),
    ("P2W", 14 * 86400), ("PT1H30M15S", 5415), ("PT0.5S", 0.5), ("P1,5D", 1.5 * 86400),
    (" PT6H ", 21600), (21600, 21600), (1.25, 1.25), ("3600", 3600), ("90.5", 90.5),
])
def test_iso_durations_and_seconds(text: object, seconds: float) -> None:
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize(("text", "says"), [
    ("PT6X", "not an ISO-8601 duration"), ("P", "not an ISO-8601 duration"),
    ("PT", "not an ISO-8601 duration"), ("P1DT", "not an ISO-8601 duration"),
    ("six hours", "not an ISO-8601 duration"), ("-PT1H", "not an ISO-8601 duration"),
    ("P1M", "years or months"), ("P1Y2D", "years or months"), ("PT0S", "not a positive"),
    (0, "not a positive"), (-5, "not a positive"), ("0", "not a positive"),
    (float("nan"), "not a positive"), (True, "not a duration"), (None, "not a duration"),
    ([6], "not a duration"),
])
def test_bad_durations_say_what_to_write(text: object, says: str) -> None:
    with pytest.raises(DurationError, match=says) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert "\n" not in message
    assert "PT6H" in message or "P30D" in message  # the fix: what to write instead


@pytest.mark.parametrize(("seconds", "text"), [
    (21600, "PT6H"), (86400 + 3600, "P1DT1H"), (90, "PT1M30S"), (0.5, "PT0.5S"), (0, "PT0S"),
])
def test_format_round_trips(seconds: float, text: str) -> None:
    delta = dt.timedelta(seconds=seconds)
    assert format_duration(delta) == text
    if seconds:
        assert parse_duration(text) == delta


def test_ages_are_shown_to_the_second_and_never_negative() -> None:
    assert format_age(dt.timedelta(days=2, hours=1, seconds=0.4)) == "P2DT1H"
    assert format_age(dt.timedelta(seconds=-30)) == "PT0S"


def test_zone_names() -> None:
    assert zone_problem("Europe/Paris") is None and zone_problem("UTC") is None
    assert "not a known time zone" in (zone_problem("Mars/Olympus") or "")
    assert "not a time zone" in (zone_problem("") or "")
    assert "not a time zone" in (zone_problem(3) or "")
