"""The phrase rules behind `bot.dates.parse_range` (the types they produce and the calendar arithmetic live
in `bot.dates_calendar`).

Why an own grammar (conventions.md §2.1): the phrases people type after a command are few and predictable, and a
general NLP parser guesses exactly where this bot must refuse (ambiguous numeric dates, the future, sub-day spans).
Each rule is a full-match regex plus a resolver, tried in the order of §2.1.2; the first one that matches
decides. Normalising, ranges (`from X to Y`), the dateutil last resort and validation are `bot.dates`' job.

Rules return a `Span` that may still reach past today: `bot.dates` cuts calendar periods ("this month", "Q4")
at today and rejects everything else that ends in the future, in one place. Nothing here reads a clock:
`Ctx.today` is the caller's `now` in the configured zone. Date arithmetic that leaves years 1-9999 raises
OverflowError, which `parse_range` turns into a DateRangeError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from bot.dates.calendar import (
    MONTH_NAMES,
    WEEKDAY_NAMES,
    BareDay,
    Ctx,
    DateRangeError,
    Endpoint,
    Floating,
    Span,
    add_months,
    day_span,
    days_in,
    floating_day,
    fmt_day,
    period,
    period_start,
    plural,
    quote,
    shift,
    too_long_message,
    user_date,
)

_MONTHS = {name: i + 1 for i, full in enumerate(MONTH_NAMES) for name in {full.lower(), full.lower()[:3]}}
_MONTHS["sept"] = 9
_WEEKDAYS = {name: i for i, full in enumerate(WEEKDAY_NAMES) for name in {full.lower(), full.lower()[:3]}}
_WEEKDAYS.update(tues=1, weds=2, thur=3, thurs=3)
_NUMBER_WORDS = {
    w: i + 1
    for i, w in enumerate(
        ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
    )
}
_UNITS = {"d": "day", "w": "week", "wk": "week", "wks": "week", "m": "month", "mo": "month", "mos": "month"}
_UNITS |= {"q": "quarter", "y": "year", "yr": "year", "yrs": "year"}
_UNITS |= {f"{u}{s}": u for u in ("day", "week", "month", "quarter", "year") for s in ("", "s")}
_MIN_DAYS = {"day": 1, "week": 7, "month": 28, "quarter": 89, "year": 365}


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))  # longest first: "september" before "sep"


MONTH_PATTERN, _WD, _UNIT, NUMBER_PATTERN = _alt(_MONTHS), _alt(_WEEKDAYS), _alt(_UNITS), _alt(_NUMBER_WORDS)
_ORD = r"(?:st|nd|rd|th)?"


# --- the rules ------------------------------------------------------------------------------------------------

Rule = Callable[[re.Match[str], Ctx], Endpoint | None]


def _g(m: re.Match[str], name: str) -> str | None:
    """An optional named group; rules share resolvers across patterns that do not all define every group."""
    return m.groupdict().get(name)


def _num(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS.get(word, 1)  # "a"/"an" mean one


def _r_iso_day(m: re.Match[str], ctx: Ctx) -> Endpoint:
    return day_span(user_date(int(m[1]), int(m[2]), int(m[3]), m[0]))


def _r_iso_month(m: re.Match[str], ctx: Ctx) -> Endpoint:
    start = user_date(int(m[1]), int(m[2]), 1, m[0])
    return period("month", start, f"{MONTH_NAMES[start.month - 1]} {start.year:04d}")


def _r_year(m: re.Match[str], ctx: Ctx) -> Endpoint:
    start = user_date(int(m[1]), 1, 1, m[0])
    return period("year", start, f"{start.year:04d}")


def _r_iso_week(m: re.Match[str], ctx: Ctx) -> Endpoint:
    """ISO weeks are Monday-based by definition, whatever `week_start` says. No year: this ISO year's week
    if it has started, else last year's."""
    week, written_year = int(m["w"]), _g(m, "y")
    if not 1 <= week <= 53:
        raise DateRangeError(f"{quote(m[0])} is not a week: ISO weeks are numbered 1 to 52 (53 in some years).")
    if written_year:
        year = user_date(int(written_year), 1, 1, m[0]).year
        if week > (weeks := date(year, 12, 28).isocalendar().week):
            raise DateRangeError(
                f"{quote(m[0])} does not exist: {year:04d} has {weeks} ISO weeks. "
                f"Try `{year:04d}-W{weeks:02d}` or `{min(year + 1, 9999):04d}-W01`."
            )
        return period("week", date.fromisocalendar(year, week, 1), f"{year:04d}-W{week:02d}")
    this_year = ctx.today.isocalendar().year
    for year in (this_year, this_year - 1):
        if year >= 1 and week <= date(year, 12, 28).isocalendar().week:
            start = date.fromisocalendar(year, week, 1)
            if start <= ctx.today:
                return period("week", start, f"{year:04d}-W{week:02d}")
    raise DateRangeError(
        f"{quote(m[0])}: week {week} of {this_year:04d} has not started yet, and {this_year - 1:04d} had no week "
        f"{week}. Try `this week`, `last week` or a week with its year, e.g. `{this_year - 1:04d}-W52`."
    )


def _order(a: int, b: int, year: int | None, written: str, ctx: Ctx) -> tuple[int, int]:
    """(day, month) of a numeric a/b date. Without a configured order, accept only what cannot be misread."""
    if ctx.date_order in ("DMY", "MDY"):
        return (a, b) if ctx.date_order == "DMY" else (b, a)

    def valid(day: int, month: int) -> bool:
        return 1 <= month <= 12 and 1 <= day <= days_in(year or 2000, month)

    dmy, mdy = valid(a, b), valid(b, a)
    if a == b or dmy != mdy or not (dmy or mdy):
        return (a, b) if dmy or not mdy else (b, a)
    y, iso_year = (f" {year:04d}", year) if year else ("", ctx.today.year)
    one, other = f"{a} {MONTH_NAMES[b - 1][:3]}{y}", f"{b} {MONTH_NAMES[a - 1][:3]}{y}"
    raise DateRangeError(
        f"{quote(written)} is ambiguous: it could be {one} or {other}. Write it unambiguously, as ISO "
        f"year-month-day (`{iso_year:04d}-{b:02d}-{a:02d}`) or with the month as a word (`{one}`). "
        "An admin can also set the date order (DMY or MDY) in the bot's configuration."
    )


def _r_numeric(m: re.Match[str], ctx: Ctx) -> Endpoint:
    """a/b/yyyy, a.b.yyyy and yearless a/b: dots are day-first wherever they are used, slashes follow config."""
    written_year = _g(m, "y")
    a, b, year = int(m["a"]), int(m["b"]), int(written_year) if written_year else None
    day, month = (a, b) if m["sep"] == "." else _order(a, b, year, m[0], ctx)
    if year is None:
        return floating_day(month, day, m[0])
    return day_span(user_date(year, month, day, m[0]))


def _r_numeric_ymd(m: re.Match[str], ctx: Ctx) -> Endpoint:
    return day_span(user_date(int(m[1]), int(m[2]), int(m[3]), m[0]))


def _r_two_digit_year(m: re.Match[str], ctx: Ctx) -> Endpoint:
    raise DateRangeError(
        f"{quote(m[0])}: please write the year with four digits, e.g. `2026-05-01` or `1 May 2026`, "
        "so the year cannot be mistaken for a day."
    )


def _r_quarter(m: re.Match[str], ctx: Ctx) -> Endpoint:
    """`Q3 2025`; a bare `Q3` is the most recent Q3 that has started (the current one is cut at today)."""
    q, written_year, t = int(m["q"]), _g(m, "y"), ctx.today
    if not 1 <= q <= 4:
        raise DateRangeError(
            f"{quote(m[0].upper())} is not a quarter: there are four, Q1 to Q4. Try e.g. `Q3` or `Q3 2025`."
        )
    year = int(written_year) if written_year else t.year if q <= (t.month + 2) // 3 else t.year - 1
    start = user_date(year, 3 * q - 2, 1, m[0])
    return period("quarter", start, f"Q{q} {year:04d}")


def _r_to_date(m: re.Match[str], ctx: Ctx) -> Endpoint:
    grain = {"w": "week", "m": "month", "q": "quarter", "y": "year"}.get(_g(m, "x") or "", _g(m, "g") or "")
    return period(grain, period_start(grain, ctx.today, ctx.week_first), f"{grain} to date")


def _r_today(m: re.Match[str], ctx: Ctx) -> Endpoint:
    back = {"today": 0, "yesterday": 1}.get(m[0], 2)
    return day_span(ctx.today - timedelta(days=back), m[0])


def _r_ago(m: re.Match[str], ctx: Ctx) -> Endpoint:
    n, grain = _num(m["n"]), m["g"]
    label = f"{plural(n, grain)} ago"
    if grain == "day":
        return day_span(ctx.today - timedelta(days=n), label)
    return period(grain, shift(grain, period_start(grain, ctx.today, ctx.week_first), -n), label)


def _r_relative(m: re.Match[str], ctx: Ctx) -> Endpoint:
    grain, back = m["g"], 0 if m["w"] in ("this", "current") else 1
    label = f"{'this' if back == 0 else 'last'} {grain}"
    return period(grain, shift(grain, period_start(grain, ctx.today, ctx.week_first), -back), label)


def _r_before_last(m: re.Match[str], ctx: Ctx) -> Endpoint:
    grain = m["g"]
    return period(grain, shift(grain, period_start(grain, ctx.today, ctx.week_first), -2), f"{grain} before last")


def _r_rolling(m: re.Match[str], ctx: Ctx) -> Endpoint:
    """ "last N days" = the N full days ending yesterday; weeks are 7 days, months and years calendar-exact."""
    n, unit = _num(m["n"]), _UNITS[m["u"]]
    label = f"last {plural(n, unit)}"
    if n == 0:
        raise DateRangeError(f"{quote(m[0])} is an empty range. Use at least one, e.g. `last 1 day` or `last 7 days`.")
    if n * _MIN_DAYS[unit] > ctx.max_days:
        raise DateRangeError(too_long_message(label, n * _MIN_DAYS[unit], ctx.max_days, at_least=unit != "day"))
    t = ctx.today
    if unit in ("day", "week"):
        start = t - timedelta(days=n * _MIN_DAYS[unit])
    else:
        start = add_months(t, -n * {"month": 1, "quarter": 3, "year": 12}[unit])
    return Span(start, t - timedelta(days=1), label, "custom", rolling=True)


def _r_weekday(m: re.Match[str], ctx: Ctx) -> Endpoint:
    """`monday`: the most recent Monday, today included; `last monday`: the one before today;
    `this monday`: the Monday of the current week (which may not have come yet)."""
    wd, t = _WEEKDAYS[m["d"]], ctx.today
    if m["w"] == "this":
        d = period_start("week", t, ctx.week_first) + timedelta(days=(wd - ctx.week_first) % 7)
    else:
        d = t - timedelta(days=(t.weekday() - wd) % 7 + (7 if m["w"] and t.weekday() == wd else 0))
    return day_span(d, f"{WEEKDAY_NAMES[wd]} {fmt_day(d)}")


def _r_weekend(m: re.Match[str], ctx: Ctx) -> Endpoint:
    """Saturday and Sunday, whatever `week_start` says. `this weekend` is the one under way or coming;
    `last weekend` the one before it; a bare `weekend` the most recent that has started."""
    t = ctx.today
    saturday = t - timedelta(days=1) if t.weekday() == 6 else t + timedelta(days=5 - t.weekday())
    current = m["w"] == "this" or (m["w"] is None and t.weekday() >= 5)
    start = saturday if current else saturday - timedelta(weeks=1)
    return period("weekend", start, "this weekend" if current else "last weekend")


def _r_month(m: re.Match[str], ctx: Ctx) -> Endpoint:
    month = _MONTHS[m["m"]]
    if m["y"]:
        start = user_date(int(m["y"]), month, 1, m[0])
        return period("month", start, f"{MONTH_NAMES[month - 1]} {start.year:04d}")
    t = ctx.today
    if m["w"] == "this":
        return period("month", date(t.year, month, 1), f"{MONTH_NAMES[month - 1]} {t.year:04d}")
    if m["w"]:  # last May: the most recent May that is over
        year = t.year if month < t.month else t.year - 1
        start = add_months(date(t.year, month, 1), 12 * (year - t.year))
        return period("month", start, f"{MONTH_NAMES[month - 1]} {start.year:04d}")
    return Floating(month)


def _r_day_month(m: re.Match[str], ctx: Ctx) -> Endpoint:
    month, day = _MONTHS[m["m"]], int(m["d"])
    if not m["y"]:
        return floating_day(month, day, m[0])
    d = user_date(int(m["y"]), month, day, m[0])
    if m["wd"] and _WEEKDAYS[m["wd"]] != d.weekday():
        raise DateRangeError(
            f"{quote(m[0])} does not add up: {fmt_day(d)} is a {WEEKDAY_NAMES[d.weekday()]}. Try just `{fmt_day(d)}`."
        )
    return day_span(d)


def _rules() -> list[tuple[re.Pattern[str], Rule]]:
    wd = rf"(?:(?P<wd>{_WD})\s+)?"
    table: list[tuple[str, Rule]] = [
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", _r_iso_day),
        (r"(\d{4})[-/](\d{1,2})", _r_iso_month),
        (r"(?:year\s+)?(\d{4})", _r_year),
        (r"(?P<y>\d{4})-?w(?P<w>\d{1,2})", _r_iso_week),
        (r"(?:w|week|wk|kw|cw)\s*(?P<w>\d{1,2})(?:\s+(?:of\s+)?(?P<y>\d{4}))?", _r_iso_week),
        (r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})", _r_numeric_ymd),
        (r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})", _r_numeric),
        (r"(?P<a>\d{1,2})(?P<sep>/)(?P<b>\d{1,2})", _r_numeric),
        (r"(?P<a>\d{1,2})(?P<sep>\.)(?P<b>\d{1,2})\.?", _r_numeric),
        (r"\d{1,2}([/.-])\d{1,2}\1\d{2}", _r_two_digit_year),
        (r"q(?P<q>\d{1,2})(?:\s*[/-]?\s*(?P<y>\d{4}))?", _r_quarter),
        (r"(?P<y>\d{4})\s*[/-]?\s*q(?P<q>\d{1,2})", _r_quarter),
        (r"(?P<x>[wmqy])td", _r_to_date),
        (r"(?P<g>week|month|quarter|year)\s+to\s+date", _r_to_date),
        (r"today|yesterday|day\s+before\s+yesterday", _r_today),
        (rf"(?P<n>\d{{1,6}}|{NUMBER_PATTERN}|an?)\s+(?P<g>day|week|month|quarter|year)s?\s+ago", _r_ago),
        (r"(?P<w>this|current|last|previous|past)\s+(?P<g>week|month|quarter|year)", _r_relative),
        (r"(?P<g>week|month|quarter|year)\s+before\s+last", _r_before_last),
        (rf"(?:(?:last|past|previous|trailing)\s+)?(?P<n>\d{{1,6}}|{NUMBER_PATTERN})\s*(?P<u>{_UNIT})", _r_rolling),
        (rf"(?:(?P<w>last|previous|past|this)\s+)?(?P<d>{_WD})", _r_weekday),
        (r"(?:(?P<w>last|previous|past|this)\s+)?weekend", _r_weekend),
        (rf"(?:(?P<w>last|previous|past|this)\s+)?(?P<m>{MONTH_PATTERN})(?:\s+(?P<y>\d{{4}}))?", _r_month),
        (rf"{wd}(?P<d>\d{{1,2}}){_ORD}\s*(?:of\s+)?(?P<m>{MONTH_PATTERN})(?:\s+(?P<y>\d{{4}}))?", _r_day_month),
        (rf"{wd}(?P<m>{MONTH_PATTERN})\s*(?P<d>\d{{1,2}}){_ORD}(?:\s+(?P<y>\d{{4}}))?", _r_day_month),
    ]
    return [(re.compile(p, re.ASCII), rule) for p, rule in table]


_RULES = _rules()
_BARE_DAY = re.compile(rf"(\d{{1,2}}){_ORD}", re.ASCII)


def match_rules(s: str, ctx: Ctx) -> Endpoint | None:
    """One date or period: the first rule whose pattern matches all of `s` (a lone day number last)."""
    for pattern, rule in _RULES:
        if (m := pattern.fullmatch(s)) and (found := rule(m, ctx)) is not None:
            return found
    if (m := _BARE_DAY.fullmatch(s)) and 1 <= int(m[1]) <= 31:
        return BareDay(int(m[1]))
    return None
