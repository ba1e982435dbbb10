"""Date ranges: the conventions.md §2.2 corpus row by row, every rejection, the previous-period expectations,
date orders, Sunday weeks, zones and DST/ISO-year boundaries. Fixed clock: Wed 2026-11-18 10:00 Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.dates.grammar import (
    DateRange,
    DateRangeError,
    default_range,
    describe_conventions,
    parse_range,
    previous_period,
)
from bot.errors import UserInputError

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=BERLIN)


def parse(text: str, *, now: datetime = NOW, **kw: Any) -> DateRange:
    """The corpus is written for DMY numeric dates; tests that need another order say so."""
    kw.setdefault("date_order", "DMY")
    return parse_range(text, now=now, tz=kw.pop("tz", "Europe/Berlin"), **kw)


def d(month_day: str, year: int = 2026) -> date:
    month, day = month_day.split("-")
    return date(year, int(month), int(day))


# (row, inputs, start, end, partial); a row's alternative spellings share one expectation.
CORPUS: list[tuple[int, tuple[str, ...], date, date, bool]] = [
    (1, ("today",), d("11-18"), d("11-18"), True),
    (2, ("yesterday",), d("11-17"), d("11-17"), False),
    (3, ("day before yesterday",), d("11-16"), d("11-16"), False),
    (4, ("3 days ago",), d("11-15"), d("11-15"), False),
    (5, ("this week",), d("11-16"), d("11-18"), True),
    (6, ("last week",), d("11-09"), d("11-15"), False),
    (7, ("previous week",), d("11-09"), d("11-15"), False),
    (8, ("week before last",), d("11-02"), d("11-08"), False),
    (9, ("this month",), d("11-01"), d("11-18"), True),
    (10, ("last month",), d("10-01"), d("10-31"), False),
    (11, ("last 7 days",), d("11-11"), d("11-17"), False),
    (12, ("past 7 days",), d("11-11"), d("11-17"), False),
    (13, ("7d",), d("11-11"), d("11-17"), False),
    (14, ("last 2 weeks", "2w"), d("11-04"), d("11-17"), False),
    (15, ("last 30 days",), d("10-19"), d("11-17"), False),
    (16, ("last 3 months",), d("08-18"), d("11-17"), False),
    (17, ("Q3",), d("07-01"), d("09-30"), False),
    (18, ("Q3 2025",), d("07-01", 2025), d("09-30", 2025), False),
    (19, ("last quarter",), d("07-01"), d("09-30"), False),
    (20, ("this quarter", "qtd"), d("10-01"), d("11-18"), True),
    (21, ("Q4",), d("10-01"), d("11-18"), True),
    (22, ("this year", "ytd"), d("01-01"), d("11-18"), True),
    (23, ("last year",), d("01-01", 2025), d("12-31", 2025), False),
    (24, ("since monday",), d("11-16"), d("11-18"), True),
    (25, ("since Nov 1", "since 2026-11-01"), d("11-01"), d("11-18"), True),
    (26, ("from 1 May to 3 May",), d("05-01"), d("05-03"), False),
    (27, ("1 May – 3 May",), d("05-01"), d("05-03"), False),
    (28, ("between Nov 1 and Nov 5",), d("11-01"), d("11-05"), False),
    (29, ("May 2024",), d("05-01", 2024), d("05-31", 2024), False),
    (30, ("November",), d("11-01"), d("11-18"), True),
    (31, ("December",), d("12-01", 2025), d("12-31", 2025), False),
    (32, ("2026-11-01",), d("11-01"), d("11-01"), False),
    (33, ("2026-11-01..2026-11-10", "2026-11-01 to 2026-11-10"), d("11-01"), d("11-10"), False),
    (34, ("01/05/2026",), d("05-01"), d("05-01"), False),
    (35, ("5.11.2026",), d("11-05"), d("11-05"), False),
    (36, ("2026-W46", "week 46", "w46"), d("11-09"), d("11-15"), False),
    (37, ("2025-W01",), d("12-30", 2024), d("01-05", 2025), False),
    (38, ("monday", "last monday"), d("11-16"), d("11-16"), False),
    (39, ("wednesday",), d("11-18"), d("11-18"), True),
    (40, ("last wednesday",), d("11-11"), d("11-11"), False),
    (41, ("last weekend",), d("11-14"), d("11-15"), False),
    (42, ("  LAST   Week ",), d("11-09"), d("11-15"), False),
]


@pytest.mark.parametrize(
    ("text", "start", "end", "partial"),
    [
        pytest.param(text, start, end, partial, id=f"#{row} {text.strip()}")
        for row, texts, start, end, partial in CORPUS
        for text in texts
    ],
)
def test_corpus(text: str, start: date, end: date, partial: bool) -> None:
    r = parse(text)
    assert (r.start, r.end, r.partial) == (start, end, partial)
    assert r.label.strip()


def test_corpus_row_43_defaults_per_command() -> None:
    assert (default_range("overview", now=NOW, tz=BERLIN).start, default_range("overview", now=NOW, tz=BERLIN).end) == (
        d("11-18"),
        d("11-18"),
    )
    for command in ("chart", "agents", "!Chart "):
        r = default_range(command, now=NOW, tz=BERLIN)
        assert (r.start, r.end, r.rolling, r.label) == (d("11-11"), d("11-17"), True, "last 7 days")


def test_default_range_is_configurable_and_falls_back_to_today() -> None:
    r = default_range("chart", now=NOW, tz=BERLIN, defaults={"chart": "last 30 days"})
    assert (r.start, r.end) == (d("10-19"), d("11-17"))
    assert default_range("overview", now=NOW, tz=BERLIN, defaults={"chart": "last 30 days"}).label == "today"
    assert default_range("digest", now=NOW, tz=BERLIN).label == "today"


@pytest.mark.parametrize(
    ("text", "label", "grain", "rolling"),
    [
        ("last week", "last week", "week", False),
        ("LAST   week", "last week", "week", False),
        ("Q3 2025", "Q3 2025", "quarter", False),
        ("Q4", "Q4 2026 so far", "quarter", False),
        ("November", "November 2026 so far", "month", False),
        ("this month", "this month", "month", False),
        ("ytd", "year to date", "year", False),
        ("from 1 May to 3 May", "1 – 3 May 2026", "custom", False),
        ("20 Dec - 5 Jan", "20 Dec 2025 – 5 Jan 2026", "custom", False),
        ("last 7 days", "last 7 days", "custom", True),
        ("2w", "last 2 weeks", "custom", True),
        ("since monday", "since 16 Nov 2026", "custom", False),
        ("2026-W46", "2026-W46", "week", False),
        ("last weekend", "last weekend", "weekend", False),
        ("monday", "Monday 16 Nov 2026", "day", False),
        ("2026-11-01", "1 Nov 2026", "day", False),
    ],
)
def test_labels_grains_and_rolling(text: str, label: str, grain: str, rolling: bool) -> None:
    r = parse(text)
    assert (r.label, r.grain, r.rolling) == (label, grain, rolling)


@pytest.mark.parametrize(
    "text",
    ["the last week", "for the last 7 days", "during November", "in Q3 2025", "over the past 30 days", "Last week?"],
)
def test_filler_words_case_and_punctuation_are_ignored(text: str) -> None:
    bare = text.lower().rstrip("?")
    for filler in ("the ", "for ", "during ", "in ", "over "):
        bare = bare.replace(filler, "")
    assert parse(text) == parse(bare)


@pytest.mark.parametrize("dash", ["-", "–", "—", "−", " - ", " – ", "..", " to ", " until ", " through "])
def test_range_separators(dash: str) -> None:
    r = parse(f"1 May{dash}3 May")
    assert (r.start, r.end) == (d("05-01"), d("05-03"))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11-01-2026-11-10", d("11-01"), d("11-10")),
        ("1 - 3 May 2026", d("05-01"), d("05-03")),
        ("May 1-3", d("05-01"), d("05-03")),
        ("1 May – 3 Jun 2026", d("05-01"), d("06-03")),
        ("from May to November", d("05-01"), d("11-18")),  # the end is the current month: cut at today
        ("from Q1 to Q2", d("01-01"), d("06-30")),
        ("between monday and yesterday", d("11-16"), d("11-17")),
        ("from last week to today", d("11-09"), d("11-18")),
        ("from 2026-W40 until 2026-W42", d("09-28"), d("10-18")),
        ("20 Dec - 5 Jan", d("12-20", 2025), d("01-05")),  # a yearless pair wraps over New Year
        ("from 20 Dec to 5 Jan 2026", d("12-20", 2025), d("01-05")),
        ("november 2025 - january 2026", d("11-01", 2025), d("01-31")),
        ("from 2026-11-01", d("11-01"), d("11-18")),  # `from X` alone means since X
        ("since 1st of November", d("11-01"), d("11-18")),
        ("since last week", d("11-09"), d("11-18")),
    ],
)
def test_ranges(text: str, start: date, end: date) -> None:
    r = parse(text)
    assert (r.start, r.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "start", "end", "grain"),
    [
        ("2 weeks ago", d("11-02"), d("11-08"), "week"),
        ("a week ago", d("11-09"), d("11-15"), "week"),
        ("2 months ago", d("09-01"), d("09-30"), "month"),
        ("1 year ago", d("01-01", 2025), d("12-31", 2025), "year"),
        ("last two weeks", d("11-04"), d("11-17"), "custom"),
        ("3m", d("08-18"), d("11-17"), "custom"),
        ("last 12 months", d("11-18", 2025), d("11-17"), "custom"),
        ("month before last", d("09-01"), d("09-30"), "month"),
        ("wtd", d("11-16"), d("11-18"), "week"),
        ("mtd", d("11-01"), d("11-18"), "month"),
        ("month to date", d("11-01"), d("11-18"), "month"),
        ("this monday", d("11-16"), d("11-16"), "day"),
        ("last may", d("05-01"), d("05-31"), "month"),
        ("last november", d("11-01", 2025), d("11-30", 2025), "month"),
        ("weekend", d("11-14"), d("11-15"), "weekend"),
        ("2025", d("01-01", 2025), d("12-31", 2025), "year"),
        ("2026", d("01-01"), d("11-18"), "year"),
        ("2026-10", d("10-01"), d("10-31"), "month"),
        ("1 Nov", d("11-01"), d("11-01"), "day"),
        ("Nov 19", d("11-19", 2025), d("11-19", 2025), "day"),  # yearless: the most recent, not the future
        ("29 Feb", d("02-29", 2024), d("02-29", 2024), "day"),
        ("1st of November 2026", d("11-01"), d("11-01"), "day"),
        ("Nov. 1st, 2026", d("11-01"), d("11-01"), "day"),
        ("Sunday 1 November 2026", d("11-01"), d("11-01"), "day"),
        ("week 46 of 2025", d("11-10", 2025), d("11-16", 2025), "week"),
        ("kw47", d("11-16"), d("11-18"), "week"),
        ("2025 Q3", d("07-01", 2025), d("09-30", 2025), "quarter"),
        ("q3-2025", d("07-01", 2025), d("09-30", 2025), "quarter"),
        ("Q4 2026 so far", d("10-01"), d("11-18"), "quarter"),
        ("`last week`", d("11-09"), d("11-15"), "week"),
    ],
)
def test_more_forms(text: str, start: date, end: date, grain: str) -> None:
    r = parse(text)
    assert (r.start, r.end, r.grain) == (start, end, grain)


# --- rejections: the message names the problem and suggests what would work ------------------------------------

REJECTIONS: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("tomorrow", {}, ("future", "`today`")),
    ("next week", {}, ("future", "`this week`")),
    ("in 3 days", {}, ("future",)),
    ("this weekend", {}, ("future", "21 nov 2026", "`last weekend`")),
    ("this friday", {}, ("future", "20 nov 2026", "`yesterday`")),
    ("since 2026-12-01", {}, ("future", "1 dec 2026", "since")),
    ("2026-W53", {}, ("future", "28 dec 2026", "`last week`")),
    ("December 2026", {}, ("future", "`this month`")),
    ("Q1 2027", {}, ("future", "`this quarter`")),
    ("from 1 Nov to 20 Nov", {}, ("ends in the future", "`since 1 nov 2026`")),
    ("from 3 May to 1 May", {}, ("backwards", "swap", "`from 1 may to 3 may`")),
    ("3 May - 1 May", {}, ("backwards", "swap", "`1 may - 3 may`")),
    ("2026-11-10..2026-11-01", {}, ("backwards", "swap", "2026-11-01..2026-11-10")),
    ("2026-02-30", {}, ("not a date", "28 days", "`2026-02-28`")),
    ("30 Feb", {}, ("not a date", "at most 29", "`29 feb`")),
    ("13/13/2026", {}, ("not a date", "no month 13")),
    ("31.04.2026", {}, ("not a date", "30 days")),
    ("Monday 1 November 2026", {}, ("sunday", "`1 nov 2026`")),
    ("2025-W53", {}, ("does not exist", "52 iso weeks", "`2025-w52`")),
    ("week 54", {}, ("not a week", "1 to 52")),
    ("week 53", {}, ("not started", "`last week`")),
    ("last 24 hours", {}, ("whole days", "`today`", "`yesterday`", "`last 1 day`")),
    ("3 hours", {}, ("whole days", "`last 1 day`")),
    ("24h", {}, ("whole days",)),
    ("1 May 10:00", {}, ("whole days",)),
    ("last 0 days", {}, ("empty", "`last 1 day`")),
    ("0d", {}, ("empty",)),
    ("last 500 days", {}, ("500 days", "at most 366", "`last 366 days`")),
    ("last 13 months", {}, ("at most 366", "`last 366 days`")),
    ("2024-01-01..2026-01-01", {}, ("732 days", "at most 366")),
    ("last 2 months", {"max_days": 31}, ("at most 31", "`last 31 days`")),
    ("Q5", {}, ("not a quarter", "q1 to q4", "`q3 2025`")),
    ("", {}, ("no date range", "`today`", "`last week`", "`last 7 days`")),
    ("   ", {}, ("no date range", "`today`")),
    ("blah", {}, ("could not read", "`blah`", "`today`", "`q3 2025`", "`2026-11-01..2026-11-10`")),
    ("5", {}, ("could not read",)),
    ("x" * 200, {}, ("too long", "`last 7 days`")),
    ("01/05/26", {}, ("four digits", "`2026-05-01`")),
    ("01/05/2026", {"date_order": None}, ("ambiguous", "`2026-05-01`", "`1 may 2026`", "date order")),
    ("1/5", {"date_order": None}, ("ambiguous", "date order")),
    ("01/05/2026", {"date_order": "YMD"}, ("ambiguous",)),
    ("999999 days ago", {}, ("outside the calendar", "`last 7 days`")),
]


@pytest.mark.parametrize(
    ("text", "kw", "words"), [pytest.param(t, kw, w, id=t[:30] or "empty") for t, kw, w in REJECTIONS]
)
def test_rejections_explain_and_suggest(text: str, kw: dict[str, Any], words: tuple[str, ...]) -> None:
    with pytest.raises(DateRangeError) as caught:
        parse(text, **kw)
    message = str(caught.value).lower()
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_the_error_is_a_user_input_error_and_a_value_error() -> None:
    assert issubclass(DateRangeError, UserInputError)
    assert issubclass(DateRangeError, ValueError)


def test_messages_echo_what_the_user_typed() -> None:
    with pytest.raises(DateRangeError, match="`2026-W53`"):
        parse("2026-W53")
    with pytest.raises(DateRangeError, match="`Last 24 hours`"):
        parse(" Last  24 hours ")  # case kept; runs of spaces collapsed


# --- previous period (conventions §2.1.6) --------------------------------------------------------------------

PREVIOUS: list[tuple[str, date, date, str]] = [
    ("last week", d("11-02"), d("11-08"), "previous week"),
    ("this month", d("10-01"), d("10-18"), "first 18 days of previous month"),
    ("last 7 days", d("11-04"), d("11-10"), "the 7 days before"),
    ("this quarter", d("07-01"), d("08-18"), "first 49 days of previous quarter"),
    ("ytd", d("01-01", 2025), d("11-18", 2025), "first 322 days of previous year"),
    ("yesterday", d("11-16"), d("11-16"), "the day before"),
    ("today", d("11-17"), d("11-17"), "the day before"),
    ("last month", d("09-01"), d("09-30"), "previous month"),
    ("Q3 2025", d("04-01", 2025), d("06-30", 2025), "previous quarter"),
    ("last year", d("01-01", 2024), d("12-31", 2024), "previous year"),
    ("last weekend", d("11-07"), d("11-08"), "previous weekend"),
    ("2025-W01", d("12-23", 2024), d("12-29", 2024), "previous week"),
    ("this week", d("11-09"), d("11-11"), "first 3 days of previous week"),
    ("last 3 months", d("05-18"), d("08-17"), "the 92 days before"),
    ("from 1 May to 3 May", d("04-28"), d("04-30"), "the 3 days before"),
    ("since monday", d("11-13"), d("11-15"), "the 3 days before"),
]


@pytest.mark.parametrize(("text", "start", "end", "label"), PREVIOUS)
def test_previous_period(text: str, start: date, end: date, label: str) -> None:
    r = parse(text)
    p = previous_period(r)
    assert (p.start, p.end, p.label) == (start, end, label)
    assert p.end < r.start


def test_previous_period_keeps_the_length_of_rolling_ranges() -> None:
    r = parse("last 30 days")
    p = previous_period(r)
    assert (p.days, p.rolling) == (30, True)


def test_previous_period_of_a_partial_period_never_runs_past_the_previous_period() -> None:
    """31 March: this month has 31 days, February 28: compare with all of February, not 1-3 March."""
    r = parse("this month", now=datetime(2026, 3, 31, 12, tzinfo=BERLIN))
    p = previous_period(r)
    assert (p.start, p.end, p.label, p.grain) == (d("02-01"), d("02-28"), "previous month", "month")


def test_previous_period_counts_days_across_a_leap_day() -> None:
    """Same number of days from the start: 60 days of 2025 compare with 1 Jan - 29 Feb 2024."""
    r = parse("ytd", now=datetime(2025, 3, 1, 12, tzinfo=BERLIN))
    p = previous_period(r)
    assert (p.start, p.end, p.days) == (d("01-01", 2024), d("02-29", 2024), 60)


def test_previous_period_of_a_hand_made_unaligned_range_steps_back_by_its_length() -> None:
    r = DateRange(d("11-05"), d("11-10"), "odd", grain="month")
    p = previous_period(r)
    assert (p.start, p.end, p.label) == (d("10-30"), d("11-04"), "the 6 days before")


def test_previous_period_at_the_start_of_the_calendar_is_a_user_error() -> None:
    with pytest.raises(DateRangeError, match="no period before"):
        previous_period(DateRange(date(1, 1, 1), date(1, 1, 7), "week 1", grain="week"))


# --- date orders -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("01/05/2026", "DMY", d("05-01")),
        ("01/05/2026", "MDY", d("01-05")),
        ("01-05-2026", "MDY", d("01-05")),
        ("1/5", "MDY", d("01-05")),
        ("5.11.2026", "DMY", d("11-05")),
        ("5.11.2026", "MDY", d("11-05")),  # dots are day-first wherever they are used
        ("5.11.2026", None, d("11-05")),
        ("5.11.", None, d("11-05")),
        ("13/05/2026", None, d("05-13")),  # only one reading is a date: nothing to guess
        ("05/13/2026", None, d("05-13")),
        ("05/05/2026", None, d("05-05")),
        ("2026/05/01", None, d("05-01")),  # year first is always year-month-day
        ("2026/05/01", "YMD", d("05-01")),
        ("2026.05.01", "MDY", d("05-01")),
    ],
)
def test_numeric_date_orders(text: str, order: str | None, expected: date) -> None:
    r = parse(text, date_order=order)
    assert (r.start, r.end) == (expected, expected)


def test_ranges_of_numeric_dates_follow_the_order() -> None:
    r = parse("05/01/2026 - 05/03/2026", date_order="MDY")
    assert (r.start, r.end) == (d("05-01"), d("05-03"))
    with pytest.raises(DateRangeError, match="ambiguous"):
        parse("05/01/2026 - 05/03/2026", date_order=None)


# --- week start -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("this week", d("11-15"), d("11-18")),
        ("wtd", d("11-15"), d("11-18")),
        ("last week", d("11-08"), d("11-14")),
        ("week before last", d("11-01"), d("11-07")),
        ("this sunday", d("11-15"), d("11-15")),
        ("this monday", d("11-16"), d("11-16")),
        ("2026-W46", d("11-09"), d("11-15")),  # ISO weeks stay Monday-based
        ("last weekend", d("11-14"), d("11-15")),  # weekends stay Saturday + Sunday
    ],
)
def test_sunday_weeks(text: str, start: date, end: date) -> None:
    r = parse(text, week_start="sunday")
    assert (r.start, r.end) == (start, end)


def test_sunday_weeks_compare_with_the_previous_sunday_week() -> None:
    p = previous_period(parse("last week", week_start="sunday"))
    assert (p.start, p.end) == (d("11-01"), d("11-07"))


@pytest.mark.parametrize(
    ("now", "text", "start", "end", "partial"),
    [
        (datetime(2026, 11, 21, 12, tzinfo=BERLIN), "this weekend", d("11-21"), d("11-21"), True),
        (datetime(2026, 11, 21, 12, tzinfo=BERLIN), "weekend", d("11-21"), d("11-21"), True),
        (datetime(2026, 11, 21, 12, tzinfo=BERLIN), "last weekend", d("11-14"), d("11-15"), False),
        (datetime(2026, 11, 22, 12, tzinfo=BERLIN), "this weekend", d("11-21"), d("11-22"), True),
        (datetime(2026, 11, 22, 12, tzinfo=BERLIN), "last weekend", d("11-14"), d("11-15"), False),
        (datetime(2026, 11, 23, 12, tzinfo=BERLIN), "last weekend", d("11-21"), d("11-22"), False),
    ],
)
def test_weekends_through_the_week(now: datetime, text: str, start: date, end: date, partial: bool) -> None:
    r = parse(text, now=now)
    assert (r.start, r.end, r.partial) == (start, end, partial)


def test_previous_of_a_weekend_under_way() -> None:
    p = previous_period(parse("this weekend", now=datetime(2026, 11, 21, 12, tzinfo=BERLIN)))
    assert (p.start, p.end, p.label) == (d("11-14"), d("11-14"), "first day of previous weekend")


# --- zones, DST and year boundaries ------------------------------------------------------------------------------


def test_last_month_contains_the_25_hour_day_as_one_whole_day() -> None:
    r = parse("last month")
    assert r.start <= d("10-25") <= r.end
    assert r.days == 31


def test_last_7_days_across_the_23_hour_day() -> None:
    r = parse("last 7 days", now=datetime(2026, 3, 30, 10, tzinfo=BERLIN))
    assert (r.start, r.end, r.days) == (d("03-23"), d("03-29"), 7)


@pytest.mark.parametrize(
    ("now", "tz", "today"),
    [
        (datetime(2026, 11, 18, 0, 30, tzinfo=BERLIN), "Europe/Berlin", d("11-18")),
        (datetime(2026, 11, 18, 0, 30, tzinfo=BERLIN), "UTC", d("11-17")),  # still the 17th in UTC
        (datetime(2026, 11, 18, 0, 30, tzinfo=BERLIN), ZoneInfo("UTC"), d("11-17")),
        (datetime(2026, 11, 18, 6, 0, tzinfo=UTC), "America/Los_Angeles", d("11-17")),
        (datetime(2026, 11, 18, 11, 0, tzinfo=UTC), "Pacific/Kiritimati", d("11-19")),
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), "Europe/Berlin", d("10-26")),  # 00:30 CET, after the switch
        (datetime(2026, 10, 24, 22, 30, tzinfo=UTC), "Europe/Berlin", d("10-25")),  # 00:30 CEST on the long day
    ],
)
def test_today_depends_on_the_zone(now: datetime, tz: ZoneInfo | str, today: date) -> None:
    r = parse("today", now=now, tz=tz)
    assert (r.start, r.end) == (today, today)


def test_iso_year_boundary() -> None:
    jan2 = datetime(2026, 1, 2, 12, tzinfo=BERLIN)  # ISO 2026-W01 began on Mon 29 Dec 2025
    r = parse("w1", now=jan2)
    assert (r.start, r.end, r.partial, r.label) == (d("12-29", 2025), d("01-02"), True, "2026-W01 so far")
    r = parse("this week", now=jan2)
    assert (r.start, r.end) == (d("12-29", 2025), d("01-02"))
    r = parse("week 52", now=jan2)  # not started in ISO 2026: last ISO year's
    assert (r.start, r.end) == (d("12-22", 2025), d("12-28", 2025))
    r = parse("December", now=jan2)
    assert (r.start, r.end) == (d("12-01", 2025), d("12-31", 2025))
    r = parse("last 7 days", now=jan2)
    assert (r.start, r.end) == (d("12-26", 2025), d("01-01"))


# --- argument checks are programming errors, not user errors -----------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        {"now": datetime(2026, 11, 18, 10)},  # noqa: DTZ001 - the naive datetime under test
        {"tz": "Mars/Olympus_Mons"},
        {"week_start": "tuesday"},
        {"date_order": "DDMM"},
        {"max_days": 0},
    ],
)
def test_bad_arguments_raise_value_error(kw: dict[str, Any]) -> None:
    args: dict[str, Any] = {"now": NOW, "tz": BERLIN} | kw
    with pytest.raises(ValueError) as caught:
        parse_range("today", **args)
    assert not isinstance(caught.value, DateRangeError)


def test_date_range_checks_itself() -> None:
    assert DateRange(d("11-01"), d("11-10"), "x").days == 10
    with pytest.raises(ValueError, match="starts after"):
        DateRange(d("11-10"), d("11-01"), "x")
    with pytest.raises(ValueError, match="grain"):
        DateRange(d("11-01"), d("11-01"), "x", grain="fortnight")
    with pytest.raises(ValueError, match="label"):
        DateRange(d("11-01"), d("11-01"), " ")


def test_describe_conventions() -> None:
    text = describe_conventions(week_start="sunday", date_order="MDY", max_days=90)
    assert "Sunday" in text and "5 January" in text and "90 days" in text and "`last week`" in text
    assert "2026-05-01" in describe_conventions()
