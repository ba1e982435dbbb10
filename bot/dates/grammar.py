"""Date ranges for analytics commands: what `!overview last week` means, and what to compare it with.

The conventions (conventions.md §2.1), which the bot should echo to users (see `describe_conventions`):
- Ranges are whole days in one configured IANA zone, both ends inclusive; "today" is the injected `now` in that
  zone, so the same instant can be a different day for a team in another zone.
- Weeks start on Monday (ISO) unless configured to start on Sunday; ISO weeks (`2026-W46`) are always Monday-based
  and weekends are always Saturday and Sunday.
- `last N days` is the N full days ending yesterday; `this X` (and a bare `Q4` or `November` while it runs) is
  X so far, cut at today; a bare month, day or quarter is the most recent one that has started.
- The future is refused, not clipped: only a current calendar period is cut at today. Sub-day spans are refused
  because Rocket.Chat's analytics work in whole days, and so are spans over `max_days` (the overview runs one
  query per day).

Here: the public API, the parsing pipeline (normalise, refuse the future and sub-day spans, the phrase rules,
`since`, ranges, dateutil as a last resort) and the validation against today. The phrase rules themselves live in
`bot.dates_rules`. Pure: no I/O and no clock but the injected `now`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser  # type: ignore[import-untyped]

from bot.dates.calendar import (
    CALENDAR_GRAINS,
    EXAMPLES,
    GRAINS,
    MAX_TEXT,
    BareDay,
    Ctx,
    DateRangeError,
    Endpoint,
    Floating,
    Span,
    day_span,
    floating_day,
    fmt_day,
    fmt_range,
    in_year,
    period_end,
    period_start,
    plural,
    quote,
    resolve,
    shift,
    too_long_message,
    user_date,
)
from bot.dates.rules import (
    MONTH_PATTERN,
    NUMBER_PATTERN,
    match_rules,
)

__all__ = [
    "DEFAULT_RANGES",
    "EXAMPLES",
    "DateRange",
    "DateRangeError",
    "default_range",
    "describe_conventions",
    "parse_range",
    "previous_period",
]

DEFAULT_RANGES: Mapping[str, str] = MappingProxyType(
    {"overview": "today", "chart": "last 7 days", "agents": "last 7 days"}
)
_FALLBACK_DEFAULT = "today"  # an unknown command gets the cheapest range: one day, one query
_WEEK_FIRST = {"monday": 0, "sunday": 6}
_DATE_ORDERS = (None, "DMY", "MDY", "YMD")
_HINTS = {
    "day": "`today` or `yesterday`",
    "week": "`this week` or `last week`",
    "weekend": "`last weekend`",
    "month": "`this month` or `last month`",
    "quarter": "`this quarter` or `last quarter`",
    "year": "`this year` or `last year`",
}


@dataclass(frozen=True)
class DateRange:
    """Whole days `start`..`end`, both inclusive. `partial`: the range ends today, which is not over yet
    ("this month", "today", a current `Q4`). `grain` says how `previous_period` steps back (day, week, weekend,
    month, quarter, year; custom = by the range's own length); `rolling` marks "last N days"-style ranges."""

    start: date
    end: date
    label: str
    partial: bool = False
    grain: str = "day"
    rolling: bool = False

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"DateRange starts after it ends: {self.start} > {self.end}")
        if self.grain not in GRAINS:
            raise ValueError(f"unknown grain {self.grain!r}; expected one of {sorted(GRAINS)}")
        if not self.label.strip():
            raise ValueError("a DateRange needs a label")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _context(now: datetime, tz: ZoneInfo | str, week_start: str, date_order: str | None, max_days: int) -> Ctx:
    """Checks the caller's arguments (their mistakes are programming errors: ValueError, not DateRangeError)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime; today is taken from it in the configured zone")
    if isinstance(tz, str):
        try:
            tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}; use an IANA name such as 'Europe/Berlin'") from exc
    if week_start.lower() not in _WEEK_FIRST:
        raise ValueError(f"week_start must be 'monday' or 'sunday', not {week_start!r}")
    order = date_order.upper() if date_order else None
    if order not in _DATE_ORDERS:
        raise ValueError(f"date_order must be None, 'DMY', 'MDY' or 'YMD', not {date_order!r}")
    if max_days < 1:
        raise ValueError(f"max_days must be at least 1, not {max_days}")
    return Ctx(now.astimezone(tz).date(), _WEEK_FIRST[week_start.lower()], order, max_days)


def parse_range(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo | str,
    week_start: str = "monday",
    date_order: str | None = None,
    max_days: int = 366,
) -> DateRange:
    """The range a user's phrase means, checked against today and `max_days`.

    Raises DateRangeError (a UserInputError: its message is the reply) for anything that cannot be answered;
    ValueError for bad arguments (naive `now`, unknown zone, week start or date order)."""
    ctx = _context(now, tz, week_start, date_order, max_days)
    try:
        said, span = _parse(text, ctx)
        return _validate(said, span, ctx)
    except OverflowError:
        raise DateRangeError(
            f"{quote(text)} reaches outside the calendar I can work with (years 0001 to 9999). "
            "Try a range closer to today, e.g. `last 7 days`."
        ) from None


def _validate(text: str, span: Span, ctx: Ctx) -> DateRange:
    """Future starts are refused; a future end is cut at today for calendar periods (`this month`, a current
    `Q4`) and refused for everything else; then the length limit."""
    today = ctx.today
    if span.start > today:
        hint = _HINTS.get(span.grain, f"a start up to today, e.g. `since {fmt_day(today - timedelta(days=7))}`")
        raise DateRangeError(
            f"{quote(text)} is in the future: it starts on {fmt_day(span.start)}, and today is {fmt_day(today)}. "
            f"I can only report on days that have begun; try {hint}."
        )
    end = span.end
    if end > today:
        if not span.cuttable:
            raise DateRangeError(
                f"{quote(text)} ends in the future ({fmt_day(end)}; today is {fmt_day(today)}). End it by today, "
                f"e.g. `since {fmt_day(span.start)}` or `from {fmt_day(span.start)} to {fmt_day(today)}`."
            )
        end = today
    days = (end - span.start).days + 1
    if days > ctx.max_days:
        raise DateRangeError(too_long_message(text, days, ctx.max_days))
    label = span.label or fmt_range(span.start, end)
    if span.label and end < span.end and not label.startswith("this ") and not label.endswith(" to date"):
        label += " so far"
    return DateRange(span.start, end, label, partial=end == today, grain=span.grain, rolling=span.rolling)


# --- the pipeline: normalise, refuse, rules, since, ranges, fallback ----------------------------------------

_MONTH_WORD = re.compile(rf"\b(?:{MONTH_PATTERN})\b", re.ASCII)
_FUTURE = re.compile(
    rf"\b(?:tomorrow|tmrw|next|upcoming|coming|from\s+now|later)\b"
    rf"|\bin\s+(?:\d+|{NUMBER_PATTERN}|an?)\s+(?:day|week|month|quarter|year)s?\b",
    re.ASCII,
)
_SUB_DAY = re.compile(
    r"\b\d+\s*(?:h|hrs?|hours?|mins?|minutes?|secs?|seconds?)\b|\b(?:hours?|minutes?)\b"
    r"|\b(?:tonight|this\s+morning|this\s+afternoon|this\s+evening|noon|midnight)\b"
    r"|\b\d{1,2}:\d{2}\b|\b\d{1,2}\s*[ap]m\b",
    re.ASCII,
)
_FILLERS = frozenset({"for", "in", "the", "during", "on", "over"})
_DASHES = str.maketrans("‐‑‒–—―−", "-" * 7)
_SEPARATOR = re.compile(r"\s+(?P<w>to|until|till|through|thru|and)\s+|\s*(?:\.\.|-)\s*", re.ASCII)
_SINCE = re.compile(r"(?:since|from|starting(?:\s+from)?)\s+(?P<x>.+)", re.ASCII)
_RANGE_PREFIX = re.compile(r"(?P<p>from|between)\s+(?P<x>.+)", re.ASCII)


def _normalise(text: str) -> str:
    """Lowercase, one space between words, dashes and ellipses made ASCII, commas and abbreviation dots
    ("Nov.") and surrounding quotes or punctuation gone. Filler words are dropped later, after the check for
    "in 3 days", which needs its "in"."""
    s = text.lower().translate(_DASHES).replace("…", "..")
    s = re.sub(r"(?<=[a-z])\.(?!\.)", " ", s.replace(",", " "))
    return " ".join(s.split()).strip(" `'\"“”‘’?!.;:")


def _drop_fillers(s: str) -> str:
    s = re.sub(r"\bso far\b", " ", s)  # "Q4 2026 so far", a label of ours, reads back as Q4 2026
    return " ".join(w for w in s.split() if w not in _FILLERS)


def _endpoint(s: str, ctx: Ctx, *, fallback: bool) -> Endpoint | None:
    """One date or period: the grammar's rules, else (if allowed) dateutil."""
    found = match_rules(s, ctx)
    return _dateutil(s, ctx) if found is None and fallback else found


def _dateutil(s: str, ctx: Ctx) -> Endpoint | None:
    """The last resort (conventions §2.1.2): dateutil's fuzzy parser, trusted only if the month is a word
    (numeric dates have their own rule, which refuses to guess the order), nothing but punctuation or "of"
    is left over, and the day was written: parsing with two different defaults must agree on day and month.
    A year must appear as four digits, so "12 13 May" is not read as 13 May 2012."""
    if not _MONTH_WORD.search(s) or len(s) > 40:
        return None
    try:
        first, rest = dateutil_parser.parse(
            s, default=datetime(2000, 1, 1, tzinfo=UTC), dayfirst=ctx.date_order != "MDY", fuzzy_with_tokens=True
        )
        second = dateutil_parser.parse(
            s, default=datetime(2001, 2, 2, 1, 1, tzinfo=UTC), dayfirst=ctx.date_order != "MDY", fuzzy=True
        )
    except (ValueError, OverflowError, TypeError):  # ParserError is a ValueError
        return None
    if any(tok.strip(" ,.") not in ("", "of") for tok in rest):
        return None
    written_time = (first.hour, first.minute) == (second.hour, second.minute)  # the defaults' times differ
    if (first.month, first.day) != (second.month, second.day) or written_time:
        return None
    if first.year != second.year:
        return Floating(first.month, first.day)
    if not re.search(rf"(?<!\d){first.year:04d}(?!\d)", s):
        return None
    return day_span(date(first.year, first.month, first.day))


def _single(e: Endpoint | None, ctx: Ctx) -> Span | None:
    if isinstance(e, Floating):
        return resolve(e, ctx)
    return e if isinstance(e, Span) else None


def _since(s: str, ctx: Ctx) -> Span | None:
    """`since X` (also `from X` alone): from the start of X through today."""
    if not (m := _SINCE.fullmatch(s)) or not (start := _single(_endpoint(m["x"], ctx, fallback=True), ctx)):
        return None
    return Span(start.start, ctx.today, f"since {fmt_day(start.start)}", "custom")


def _borrow(bare: BareDay, other: Endpoint, written: str) -> Endpoint | None:
    """A lone day number takes its month (and year) from the other end: "1 - 3 May 2026", "May 1 - 3"."""
    if isinstance(other, Floating) and other.day is not None:
        return floating_day(other.month, bare.day, written)
    if isinstance(other, Span) and other.grain == "day" and other.start == other.end:
        return day_span(user_date(other.start.year, other.start.month, bare.day, written))
    return None


def _place(f: Floating, anchor: Span, *, left: bool) -> Span | None:
    """The year for a yearless end, given the other end: the nearest placement that keeps the range in order,
    unless reading it as written backwards gives the shorter span ("3 May to 1 May" is reversed, "20 Dec to
    5 Jan" wraps over New Year). The caller sees a reversed range as start > end."""
    a = anchor.end if left else anchor.start
    step = -1 if left else 1
    candidates = (c for y in range(a.year, a.year + 9 * step, step) if (c := in_year(f, y)))  # 29 Feb: 8 years
    in_order = next((c for c in candidates if (c.start <= a if left else c.end >= a)), None)
    backwards = in_year(f, a.year)
    if backwards and (backwards.start > a if left else backwards.end < a):
        reach = (backwards.start - a) if left else (a - backwards.end)
        if in_order is None or reach < ((a - in_order.start) if left else (in_order.end - a)):
            return backwards
    return in_order


def _join(ls: str, rs: str, left: Endpoint, right: Endpoint, ctx: Ctx) -> Span | None:
    """Both ends as one span from the start of the left to the end of the right (start > end: reversed)."""
    if isinstance(left, BareDay):
        left = _borrow(left, right, ls) or left
    if isinstance(right, BareDay):
        right = _borrow(right, left, rs) or right
    if isinstance(left, BareDay) or isinstance(right, BareDay):
        return None
    if isinstance(left, Floating):  # two yearless ends: the start is the most recent that has begun
        first = resolve(left, ctx) if isinstance(right, Floating) else _place(left, right, left=True)
    else:
        first = left
    last = _place(right, first, left=False) if first and isinstance(right, Floating) else right
    if first is None or not isinstance(last, Span):
        return None
    return Span(first.start, last.end, None, "custom", cuttable=last.cuttable)


def _range(s: str, ctx: Ctx) -> Span | None:
    """`from X to Y`, `between X and Y`, `X - Y`, `X..Y`, `X until Y`: from the start of X to the end of Y,
    both ends inclusive. Every separator position is tried (ISO dates contain dashes); the first split whose
    two sides both parse wins. Errors met on the way are kept and raised only if no split works."""
    prefix, body = ("", s) if not (m := _RANGE_PREFIX.fullmatch(s)) else (m["p"] + " ", m["x"])
    error: DateRangeError | None = None
    for sep in _SEPARATOR.finditer(body):
        ls, rs = body[: sep.start()], body[sep.end() :]
        if not ls or not rs or (sep["w"] == "and" and prefix != "between "):
            continue
        try:
            left, right = _endpoint(ls, ctx, fallback=True), _endpoint(rs, ctx, fallback=True)
            span = _join(ls, rs, left, right, ctx) if left and right else None
        except DateRangeError as exc:
            error = error or exc
            continue
        if span is None:
            continue
        if span.start <= span.end:
            return span
        error = error or DateRangeError(
            f"{quote(s)} runs backwards: {fmt_day(span.start)} comes after {fmt_day(span.end)}. "
            f"Swap the two ends: `{prefix}{rs}{sep[0]}{ls}`."
        )
    if error:
        raise error
    return None


def _parse(text: str, ctx: Ctx) -> tuple[str, Span]:
    """The text as typed (spaces collapsed, for messages) and the phrase resolved, not yet checked against today
    or the length limit."""
    norm, said = _normalise(text), " ".join(text.split())  # messages echo what the user typed
    examples = ", ".join(f"`{e}`" for e in EXAMPLES)
    if not norm:
        raise DateRangeError(f"No date range given. Try for example {examples}.")
    if len(norm) > MAX_TEXT:
        raise DateRangeError(f"That is too long for a date range. Try for example {examples}.")
    if _FUTURE.search(norm):
        raise DateRangeError(
            f"{quote(said)} is in the future, and I can only report on what has already happened. "
            "Try `today`, `this week` or `last 7 days`."
        )
    if _SUB_DAY.search(norm):
        raise DateRangeError(
            f"{quote(said)} is shorter than a day, but Rocket.Chat's analytics work in whole days. "
            "Try `today`, `yesterday` or `last 1 day`."
        )
    s = _drop_fillers(norm) or norm
    found = _single(_endpoint(s, ctx, fallback=False), ctx) or _since(s, ctx) or _range(s, ctx)
    found = found or _single(_dateutil(s, ctx), ctx)
    if found is None:
        raise DateRangeError(
            f"I could not read {quote(said)} as a date range. I understand for example {examples}, "
            "weekdays (`monday`), months (`May 2024`), ISO weeks (`2026-W46`) and `since …` / `from … to …`."
        )
    return said, found


# --- comparing --------------------------------------------------------------------------------------------


def previous_period(r: DateRange) -> DateRange:
    """What `r` is compared with (conventions §2.1.6). A whole calendar period: the one before it. A period that
    runs until today (partial): as many days from the start of the previous period, even on its last day (30 days
    of April compare with 1-30 March), but never past that period's end (the 31 days of "this month" on 31 March
    compare with all of February). A single day: the day before. Anything else (rolling, since, from..to): the
    same number of days just before it."""
    try:
        return _previous(r)
    except OverflowError:
        raise DateRangeError(f"There is no period before {r.label} that I can compare with.") from None


def _previous(r: DateRange) -> DateRange:
    n = r.days
    if r.grain in CALENDAR_GRAINS and _aligned(r):
        start = shift(r.grain, r.start, -1)
        whole_end = period_end(r.grain, start)
        whole = r.end == period_end(r.grain, r.start) and not r.partial
        end = whole_end if whole else min(start + timedelta(days=n - 1), whole_end)
        if end == whole_end:
            return DateRange(start, end, f"previous {r.grain}", grain=r.grain)
        first = "first day" if n == 1 else f"first {n} days"
        return DateRange(start, end, f"{first} of previous {r.grain}", grain="custom")
    if n == 1:
        day = r.start - timedelta(days=1)
        return DateRange(day, day, "the day before", grain="day")
    start, end = r.start - timedelta(days=n), r.start - timedelta(days=1)
    return DateRange(start, end, f"the {plural(n, 'day')} before", grain="custom", rolling=r.rolling)


def _aligned(r: DateRange) -> bool:
    """Whether `r` is (the start of) one calendar period, as every calendar range from `parse_range` is. Week
    starts are not checked: an ISO week and a Sunday week are both weeks."""
    if r.grain == "week":
        return r.days <= 7
    first = period_start(r.grain, r.start, 0)
    return r.start == first and r.end <= period_end(r.grain, first)


def default_range(
    command: str,
    *,
    now: datetime,
    tz: ZoneInfo | str,
    week_start: str = "monday",
    date_order: str | None = None,
    max_days: int = 366,
    defaults: Mapping[str, str] | None = None,
) -> DateRange:
    """The range a command uses when none is given (corpus #43): overview = today, chart and agents = the last
    7 days. `defaults` (command -> phrase, e.g. from the config) overrides or extends that table; unknown
    commands get today."""
    table = {**DEFAULT_RANGES, **(defaults or {})}
    phrase = table.get(command.strip().lstrip("!").lower(), _FALLBACK_DEFAULT)
    return parse_range(phrase, now=now, tz=tz, week_start=week_start, date_order=date_order, max_days=max_days)


def describe_conventions(*, week_start: str = "monday", date_order: str | None = None, max_days: int = 366) -> str:
    """The conventions in a few lines, for the help reply: users should not have to guess what "last week"
    or `01/05/2026` means here."""
    order = {
        "DMY": "`01/05/2026` is 1 May",
        "MDY": "`01/05/2026` is 5 January",
        "YMD": "numeric dates are year first (`2026/05/01`)",
    }.get((date_order or "").upper(), "numeric dates like `01/05/2026` must be written `2026-05-01` or `1 May 2026`")
    return "\n".join(
        (
            f"Weeks start on {week_start.capitalize()}; ISO weeks (`2026-W46`) on Monday.",
            "`last 7 days` is the 7 full days up to yesterday; `this month` is the month so far, up to today.",
            "A month or quarter without a year is the most recent one that has started.",
            f"Both ends of `from … to …` are included; at most {max_days} days at once; {order}.",
            "Examples: " + ", ".join(f"`{e}`" for e in EXAMPLES) + ".",
        )
    )
