"""What each range is compared with (`baseline`), and how many hourly buckets lie before an hour when the clocks
change (`hours_before`): pure rules, as tables."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.analytics.buckets import hours_before
from bot.analytics.service import baseline
from bot.dates.grammar import parse_range

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 24, 11, 20, tzinfo=BERLIN)  # a Tuesday


@pytest.mark.parametrize(
    ("phrase", "start", "end", "why", "until"),
    [
        ("today", "2026-11-17", "2026-11-17", "the same weekday a week earlier", 11),
        ("yesterday", "2026-11-16", "2026-11-16", "the same weekday a week earlier", None),
        ("this week", "2026-11-16", "2026-11-17", "the same weekdays a week earlier", 11),
        ("since monday", "2026-11-16", "2026-11-17", "the same weekdays a week earlier", 11),
        ("last week", "2026-11-09", "2026-11-15", "the week before", None),
        ("last weekend", "2026-11-14", "2026-11-15", "the weekend before", None),
        ("last 7 days", "2026-11-10", "2026-11-16", "the 7 days before", None),
        ("1 Nov - 3 Nov", "2026-10-25", "2026-10-27", "the same weekdays a week earlier", None),
        ("last 30 days", "2026-09-25", "2026-10-24", "the 30 days before", None),
        ("this month", "2026-10-01", "2026-10-24", "the same days of the previous month", 11),
        ("last month", "2026-09-01", "2026-09-30", "the previous month", None),
        ("Q3", "2026-04-01", "2026-06-30", "the previous quarter", None),
    ],
)
def test_what_a_range_is_compared_with(phrase: str, start: str, end: str, why: str, until: int | None) -> None:
    base = baseline(parse_range(phrase, now=NOW, tz=BERLIN), NOW, BERLIN)
    assert (base.range.start.isoformat(), base.range.end.isoformat(), base.why, base.until) == (start, end, why, until)


def test_a_day_after_a_shorter_month_is_compared_with_all_of_it() -> None:
    now = datetime(2026, 3, 31, 9, 0, tzinfo=BERLIN)
    base = baseline(parse_range("this month", now=now, tz=BERLIN), now, BERLIN)
    assert (base.range.start, base.range.end, base.why) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
        "the whole previous month",
    )


def test_a_range_parsed_yesterday_is_no_longer_running() -> None:
    today = parse_range("today", now=NOW, tz=BERLIN)
    assert baseline(today, datetime(2026, 11, 25, 0, 5, tzinfo=BERLIN), BERLIN).until is None


@pytest.mark.parametrize(
    ("day", "hour", "buckets"),
    [
        (date(2026, 11, 24), 11, 11),
        (date(2026, 11, 24), 0, 0),
        (date(2026, 3, 29), 11, 10),  # spring forward: 02:00-03:00 never happened
        (date(2026, 10, 25), 11, 12),  # fall back: 02:00-03:00 happened twice
    ],
)
def test_hourly_buckets_before_an_hour(day: date, hour: int, buckets: int) -> None:
    assert hours_before(day, hour, BERLIN) == buckets
