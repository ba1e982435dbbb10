"""Dates for `bot.dates`: the types a phrase resolves to, calendar arithmetic and the formatting of labels
and messages, shared by the grammar rules (`bot.dates_rules`) and the validation in `bot.dates`.

Kept apart from the rules so each module is one thing: this one knows calendars, the rules know phrases.
DateRangeError lives here so both can raise it without an import cycle; import it from `bot.dates`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from bot.errors import UserInputError
from bot.replies.markup import echo


class DateRangeError(UserInputError, ValueError):
    """A date phrase the bot cannot answer for. The message goes to the user verbatim, so it says what was wrong
    and shows forms that would work. Also a ValueError, so generic argument validation catches it too."""


CALENDAR_GRAINS = frozenset({"week", "weekend", "month", "quarter", "year"})
GRAINS = CALENDAR_GRAINS | {"day", "custom"}
EXAMPLES = ("today", "last week", "last 7 days", "Q3 2025", "since 1 Nov", "2026-11-01..2026-11-10")
MONTH_NAMES = tuple(calendar.month_name)[1:]
WEEKDAY_NAMES = tuple(calendar.day_name)
MAX_TEXT = 80  # no sensible date phrase is longer; it also bounds the work done on garbage


@dataclass(frozen=True)
class Ctx:
    """What the rules need besides the text: today in the configured zone and the admin's conventions."""

    today: date
    week_first: int  # date.weekday() of the first day of a week: 0 Monday (ISO), 6 Sunday
    date_order: str | None  # "DMY" | "MDY" | "YMD" | None (refuse ambiguous numeric dates)
    max_days: int


@dataclass(frozen=True)
class Span:
    """A resolved phrase before validation. `label` None means "name it by its dates" (done after cutting);
    `cuttable` marks calendar periods, which are cut at today instead of being rejected as future."""

    start: date
    end: date
    label: str | None
    grain: str = "day"
    rolling: bool = False
    cuttable: bool = False


@dataclass(frozen=True)
class Floating:
    """A month, or a day of a month, written without a year: the year depends on where it is used."""

    month: int
    day: int | None = None


@dataclass(frozen=True)
class BareDay:
    """A lone day number, meaningful only as one end of a range ("1 - 3 May")."""

    day: int


Endpoint = Span | Floating | BareDay


# --- formatting ----------------------------------------------------------------------------------------------


def fmt_day(d: date) -> str:
    return f"{d.day} {MONTH_NAMES[d.month - 1][:3]} {d.year:04d}"


def fmt_range(start: date, end: date) -> str:
    """ "1 – 3 May 2026", "1 May – 3 Jun 2026", "20 Dec 2025 – 5 Jan 2026": short, and parseable again."""
    if start == end:
        return fmt_day(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day} – {fmt_day(end)}"
    if start.year == end.year:
        return f"{start.day} {MONTH_NAMES[start.month - 1][:3]} – {fmt_day(end)}"
    return f"{fmt_day(start)} – {fmt_day(end)}"


def quote(text: str) -> str:
    """The user's text as the one escaping rule shows it (bot.replies.markup.echo): inline code that
    renders and copies as typed and mentions nobody, shortened to 40 characters."""
    return echo(text, limit=40)


def plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def too_long_message(text: str, days: int, max_days: int, *, at_least: bool = False) -> str:
    amount = f"at least {days}" if at_least else str(days)
    return (
        f"{quote(text)} covers {amount} days, but I can report on at most {max_days} days at once "
        f"(the overview runs one query per day). Try `last {max_days} days`, or split it into shorter ranges "
        "such as `Q3 2025`."
    )


# --- calendar arithmetic ---------------------------------------------------------------------------------------


def days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(d: date, n: int) -> date:
    """`d` moved by n calendar months, the day clamped to the target month (31 Mar - 1 month = 28/29 Feb)."""
    year, month0 = divmod(d.year * 12 + d.month - 1 + n, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    return date(year, month0 + 1, min(d.day, days_in(year, month0 + 1)))


def period_start(grain: str, d: date, week_first: int) -> date:
    """The first day of the calendar period of this grain that contains `d` (weekends: the Saturday before)."""
    if grain == "week":
        return d - timedelta(days=(d.weekday() - week_first) % 7)
    if grain == "weekend":
        return d - timedelta(days=(d.weekday() - 5) % 7)
    if grain == "month":
        return d.replace(day=1)
    if grain == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    return date(d.year, 1, 1)


def shift(grain: str, start: date, n: int) -> date:
    """The start of the period n periods after the one starting at `start` (n < 0: before)."""
    if grain in ("week", "weekend"):
        return start + timedelta(weeks=n)
    return add_months(start, n * {"month": 1, "quarter": 3, "year": 12}[grain])


def period_end(grain: str, start: date) -> date:
    if grain in ("week", "weekend"):
        return start + timedelta(days=6 if grain == "week" else 1)
    return shift(grain, start, 1) - timedelta(days=1)


def period(grain: str, start: date, label: str) -> Span:
    return Span(start, period_end(grain, start), label, grain, cuttable=True)


def day_span(d: date, label: str | None = None) -> Span:
    return Span(d, d, label or fmt_day(d))


def user_date(year: int, month: int, day: int, written: str) -> date:
    """A date the user wrote; an impossible one is their mistake, explained with the nearest valid form."""
    if not 1 <= month <= 12:
        raise DateRangeError(f"{quote(written)} is not a date: there is no month {month}. Months run from 1 to 12.")
    if not 1 <= year <= 9999:
        raise DateRangeError(f"{quote(written)} is not a date I can use: years run from 0001 to 9999.")
    last = days_in(year, month)
    if not 1 <= day <= last:
        raise DateRangeError(
            f"{quote(written)} is not a date: {MONTH_NAMES[month - 1]} {year} has {last} days. "
            f"Did you mean `{year:04d}-{month:02d}-{min(max(day, 1), last):02d}`?"
        )
    return date(year, month, day)


def floating_day(month: int, day: int, written: str) -> Floating:
    if not 1 <= month <= 12:
        raise DateRangeError(f"{quote(written)} is not a date: there is no month {month}. Months run from 1 to 12.")
    most = days_in(2000, month)  # a leap year: 29 Feb exists in some years
    if not 1 <= day <= most:
        raise DateRangeError(
            f"{quote(written)} is not a date: {MONTH_NAMES[month - 1]} has at most {most} days. "
            f"Try `{most} {MONTH_NAMES[month - 1][:3]}`."
        )
    return Floating(month, day)


def resolve(f: Floating, ctx: Ctx) -> Span:
    """A yearless month or day on its own: the most recent one that has started (conventions §2.1.4)."""
    t = ctx.today
    if f.day is None:
        year = t.year if f.month <= t.month else t.year - 1
        start = add_months(date(t.year, t.month, 1), (year - t.year) * 12 + f.month - t.month)
        return period("month", start, f"{MONTH_NAMES[f.month - 1]} {start.year:04d}")
    for year in range(t.year, max(t.year - 9, 0), -1):  # 29 Feb: up to 8 years back
        if f.day <= days_in(year, f.month) and (d := date(year, f.month, f.day)) <= t:
            return day_span(d)
    raise OverflowError("no such day before year 1")


def in_year(f: Floating, year: int) -> Span | None:
    if not 1 <= year <= 9999 or (f.day is not None and f.day > days_in(year, f.month)):
        return None
    if f.day is None:
        return period("month", date(year, f.month, 1), f"{MONTH_NAMES[f.month - 1]} {year:04d}")
    return day_span(date(year, f.month, f.day))
