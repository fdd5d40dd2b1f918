"""``schedule:`` strings: cron read as cron means it (Sunday is 0 and 7; either day field may match),
intervals, macros, time zones, and one clear line for anything else."""

from __future__ import annotations

import datetime as dt

import pytest

from integrity.errors import ConfigError
from integrity.triggers import make_trigger, parse

SATURDAY_NOON = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def fires(text: str, count: int = 4, start: dt.datetime = SATURDAY_NOON) -> list[dt.datetime]:
    trigger = make_trigger(parse(text), start=start)
    found: list[dt.datetime] = []
    previous = None
    now = start
    for _ in range(count):
        when = trigger.get_next_fire_time(previous, now)
        found.append(when)
        previous, now = when, when + dt.timedelta(seconds=1)
    return found


@pytest.mark.parametrize(("text", "weekdays"), [
    ("0 6 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]),
    ("0 6 * * 0", ["Sun"] * 6),
    ("0 6 * * 7", ["Sun"] * 6),
    ("0 6 * * */2", ["Sun", "Tue", "Thu", "Sat", "Sun", "Tue"]),
    ("0 6 * * 0,6", ["Sun", "Sat", "Sun", "Sat", "Sun", "Sat"]),
    ("0 6 * * mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]),
    ("0 6 * * 5-7", ["Sun", "Fri", "Sat", "Sun", "Fri", "Sat"]),
])
def test_weekday_numbers_mean_what_they_mean_to_cron(text: str, weekdays: list[str]) -> None:
    assert [f"{w:%a}" for w in fires(text, 6)] == weekdays


def test_either_day_field_fires_as_in_cron() -> None:
    # The 1st and 15th of the month, and every Monday (not: only Mondays that are the 1st or 15th).
    assert [f"{w:%m-%d %a}" for w in fires("0 0 1,15 * 1", 5)] == [
        "03-03 Mon", "03-10 Mon", "03-15 Sat", "03-17 Mon", "03-24 Mon"]


def test_intervals_macros_and_time_zones() -> None:
    assert parse("every 15m").interval == 900
    assert parse("every 1h30m").interval == 5400
    assert parse("every 90 seconds").interval == 90
    assert parse("every 2 hours and 5 minutes").interval == 7500
    assert parse("every day").interval == 86400
    assert parse("every 15m").description == "every 15m"
    start = SATURDAY_NOON
    assert fires("every 15m", 3, start) == [start + dt.timedelta(minutes=15 * i) for i in range(3)]
    assert [f"{w:%d %H:%M}" for w in fires("@daily", 2)] == ["02 00:00", "03 00:00"]
    assert [f"{w:%H:%M}" for w in fires("@hourly", 2)] == ["12:00", "13:00"]  # noon itself is due
    paris = fires("CRON_TZ=Europe/Paris 0 6 * * *", 1)[0]
    assert paris.astimezone(dt.UTC).hour == 5  # 06:00 in Paris, winter time
    assert parse("*/15 * * * *").description == "cron */15 * * * * (UTC)"


@pytest.mark.parametrize(("text", "fragment"), [
    ("61 * * * *", "field value '61': the last value (61) is higher than the maximum value (59)"),
    ("* * *", "is neither a cron expression (3 fields, cron has 5) nor an interval"),
    ("every 15x", "unknown unit 'x'; use s, m, h or d"),
    ("every 0s", "an interval must be at least 1 second"),
    ("every", "is not an interval"),
    ("every 5m then 3m", "is not an interval"),
    ("0 0 31 2 *", "never fires (no such date, e.g. 31 February)"),
    ("0 6 * * 8", "'8': a weekday is 0-7 (0 and 7 are Sunday)"),
    ("0 6 * * 5-1", "'5-1': the range runs backwards"),
    ("0 6 * * mon-5", "mixes names and numbers"),
    ("CRON_TZ=Mars/Olympus 0 6 * * *", "unknown time zone 'Mars/Olympus'"),
    ("", "the schedule is empty"),
    ("hourly\x1b[2J\u202e", "'hourly\\\\x1b[2J\\\\u202e' is neither"),
])
def test_a_bad_schedule_is_one_line_naming_where_and_the_fix(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text, where="connectors/orders.yaml: schedule")
    message = str(caught.value)
    assert message.startswith("connectors/orders.yaml: schedule: ")
    assert fragment in message, message
    assert "\n" not in message and "\x1b" not in message
    if "never fires" not in message and "time zone" not in message:
        assert "'every 15m'" in message  # the spellings that work
