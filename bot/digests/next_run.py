"""When a daily digest fires: local wall-clock times in an IANA zone, turned into exact instants (conventions.md §3).

Why our own arithmetic rather than a cron library: the measured libraries disagree at DST changes, and two of
them fire twice on the fall-back day. The rule here is the one the conventions recommend:

- A run belongs to a *local date* in the subscription's zone, and each local date maps to exactly one instant
  (`occurrence`). A day can therefore never fire twice, and no day is skipped because of DST.
- A wall time that happens twice (fall back) fires at its first occurrence: 02:30 Europe/Berlin on 2026-10-25 is
  00:30Z, not 01:30Z.
- A wall time that does not exist (spring forward) fires at the first valid instant after the gap: 02:30
  Europe/Berlin on 2026-03-29 is 03:00 CEST (01:00Z), the moment the clocks jump. Not "02:30 in the old offset"
  (03:30 CEST, what APScheduler 3 does), which would fire half an hour later than any valid reading of 02:30.
- Weekdays are judged on that local date, never on the server's date or on UTC: a Monday digest in Kiritimati
  (+14) runs while it is still Sunday in UTC.

Every instant returned is an aware datetime in UTC; convert with `.astimezone(tz)` to show it. Not in `tz`,
because Python compares and subtracts two datetimes of the *same* zone by wall clock (so 02:30 on the fall-back
day would equal its second reading, and a difference across a DST change would be an hour off), and never
considers an ambiguous local time equal to any instant in another zone (PEP 495). Inputs may be in any zone.

Pure: no I/O and no clock. The caller passes the instants, so the scheduler loop can re-read its wall clock after
every sleep and the tests can use exact instants. Parsing and describing schedules for chat live here too, so the
command, the stored subscription and the reply agree on one vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.replies.markup import echo

__all__ = [
    "WEEKDAYS",
    "WORKDAYS",
    "describe",
    "last_run",
    "next_run",
    "occurrence",
    "parse_time",
    "parse_weekdays",
    "runs_between",
]

WEEKDAYS: frozenset[int] = frozenset(range(7))
"""Every day of the week, as Python weekday numbers (`date.weekday()`): Monday = 0 … Sunday = 6."""

WORKDAYS: frozenset[int] = frozenset(range(5))
"""Monday to Friday, what "weekdays" means in `parse_weekdays`."""

WEEKEND: frozenset[int] = frozenset({5, 6})

_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Far more than any real gap between two allowed local dates (at most 7 days, plus a day either side for a
# spring-forward gap that crosses midnight); a bound so a bug can never turn into an endless loop.
_SEARCH_DAYS = 16


# --- instants -------------------------------------------------------------------------------------------------------


def occurrence(local_day: date, *, at: time, tz: ZoneInfo) -> datetime:
    """The single instant (aware, UTC) at which a run scheduled for `local_day` at wall time `at` in `tz` fires.

    `datetime.combine(..., tzinfo=tz)` with fold=0 already picks the first of two ambiguous readings. For a wall
    time that does not exist, fold=0 would silently mean "in the offset before the jump", i.e. an instant whose
    wall clock reads an hour *later* than asked; instead we detect the gap by a round trip through UTC and return
    the transition instant itself, found exactly (transitions are whole seconds). `at.fold` is ignored: a schedule
    always means the first occurrence.
    """
    _check_at(at)
    wall = datetime.combine(local_day, at.replace(fold=0), tzinfo=tz)
    instant = wall.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant  # the wall time exists (once, or first of twice)
    return _end_of_gap(wall, tz)


def _end_of_gap(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first instant whose local wall clock is past the nonexistent `wall`: the moment the clocks jump.

    The two readings of a wall time in a gap bracket the transition: fold=1 uses the offset after the jump (an
    instant before it), fold=0 the offset before (an instant at or after it). Bisect over whole POSIX seconds,
    which is exact because tzdata transitions fall on whole seconds; an hour-long gap takes about 12 steps.
    """
    naive = wall.replace(tzinfo=None)
    readings = (wall.timestamp(), wall.replace(fold=1).timestamp())
    lo = int(min(readings)) - 1  # wall clock still before `wall` here
    hi = int(max(readings)) + 1  # and already past it here
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) > naive:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def next_run(after: datetime, *, at: time, tz: ZoneInfo, weekdays: AbstractSet[int] = WEEKDAYS) -> datetime:
    """The first run strictly after `after` (aware, any zone), as an aware datetime in UTC.

    Strictly: passing the instant of the run just sent yields the following one, so a loop of "send, then ask for
    the next run" can never send a day twice. Candidate local dates start the day before `after`'s local date,
    because a spring-forward gap crossing midnight can push a date's run into the next local day.

    Raises ValueError for a naive `after`, an `at` carrying a tzinfo, or empty or invalid `weekdays`.
    """
    days = _check_weekdays(weekdays)
    start = _utc(after)
    _check_at(at)
    first = start.astimezone(tz).date() - timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        day = first + timedelta(days=offset)
        if day.weekday() in days:
            run = occurrence(day, at=at, tz=tz)
            if run > start:
                return run
    raise AssertionError("unreachable: some allowed weekday lies within any 16 consecutive days")  # pragma: no cover


def last_run(
    before_or_at: datetime, *, at: time, tz: ZoneInfo, weekdays: AbstractSet[int] = WEEKDAYS
) -> datetime | None:
    """The most recent run at or before `before_or_at`, for catching up after downtime.

    Inclusive, unlike `next_run`: at exactly 09:00 the 09:00 run is due. Whether it is still worth sending (the
    grace period) and whether it was already sent (the stored local date) is the caller's decision. None only when
    there is no earlier run on the calendar at all (`date.min`), never for ordinary instants.
    """
    days = _check_weekdays(weekdays)
    end = _utc(before_or_at)
    _check_at(at)
    try:
        today = end.astimezone(tz).date()
    except OverflowError:  # the instant is before the first representable local date
        return None
    # Start a day after the local date for symmetry with next_run: a run belongs to its scheduled date, which can
    # differ from the local date of its instant only through a gap.
    for offset in range(-1, _SEARCH_DAYS - 1):
        try:
            day = today - timedelta(days=offset)
            if day.weekday() not in days:
                continue
            run = occurrence(day, at=at, tz=tz)
        except OverflowError:
            return None
        if run <= end:
            return run
    return None  # pragma: no cover - an allowed weekday always lies within the window


def runs_between(
    after: datetime, until: datetime, *, at: time, tz: ZoneInfo, weekdays: AbstractSet[int] = WEEKDAYS
) -> Iterator[tuple[date, datetime]]:
    """Every run in (`after`, `until`], oldest first, each with the local date it was scheduled for (instants in UTC).

    The scheduler records runs by local date (sent, or missed after a long outage); this yields that date directly
    instead of re-deriving it from the instant, which is a different day when a gap crosses midnight.
    """
    days = _check_weekdays(weekdays)
    _check_at(at)
    end = _utc(until)
    previous = _utc(after)
    day = previous.astimezone(tz).date() - timedelta(days=1)  # the day before, as in next_run
    while True:
        if day.weekday() in days:
            run = occurrence(day, at=at, tz=tz)
            if run > end:
                return
            if run > previous:  # strictly later: a date whose run coincides with the previous one adds nothing
                yield day, run
                previous = run
        day += timedelta(days=1)


def _utc(instant: datetime) -> datetime:
    """The instant in UTC, where comparisons are exact (see the module docstring); refuses naive datetimes, which
    would silently mean the server's zone."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got naive {instant.isoformat()}: attach a tzinfo (e.g. UTC)")
    return instant.astimezone(UTC)


def _check_at(at: time) -> None:
    if at.tzinfo is not None:
        raise ValueError(f"the run time must be a wall-clock time without tzinfo (the zone is `tz`), got {at!r}")


def _check_weekdays(weekdays: AbstractSet[int]) -> frozenset[int]:
    if not weekdays:
        raise ValueError("a schedule needs at least one weekday (0 = Monday … 6 = Sunday)")
    bad = sorted(repr(d) for d in weekdays if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6)
    if bad:
        raise ValueError(f"weekdays are Python weekday numbers 0 (Monday) to 6 (Sunday), got {', '.join(bad)}")
    return frozenset(weekdays)


# --- parsing and describing -----------------------------------------------------------------------------------------

_TIME_RE = re.compile(
    r"(?P<hour>[0-9]{1,2})(?:\s*[:.h]\s*(?P<minute>[0-9]{2}))?(?:\s*(?P<half>[ap])\.?\s*m\.?)?",
    re.ASCII,
)
_TIME_HELP = "use 24-hour HH:MM like 09:00 or 21:30, or 12-hour like 9am or 9:30pm"


def parse_time(text: str) -> time:
    """A wall-clock time from chat: "09:00", "9:00", "9.30", "21:30", "9am", "9:30 pm", "noon", "midnight".

    A bare hour ("9") is refused rather than guessed: it reads as 09:00 to some people and 21:00 to others, and a
    digest at the wrong time is worse than a prompt to retype. Minute precision only; a digest needs no seconds.
    """
    cleaned = " ".join(text.split()).lower()
    if not cleaned:
        raise ValueError(f"no time given: {_TIME_HELP}")
    if cleaned in ("noon", "midday"):
        return time(12, 0)
    if cleaned == "midnight":
        return time(0, 0)
    match = _TIME_RE.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"cannot read {echo(text)} as a time: {_TIME_HELP}")
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    half = match["half"]
    if half is None and match["minute"] is None:
        raise ValueError(f"{echo(text)} is ambiguous without minutes or am/pm: write {hour:02d}:00 or {hour}am/pm")
    if minute > 59:
        raise ValueError(f"{echo(text)}: minutes must be 00–59")
    if half is not None:
        if not 1 <= hour <= 12:
            raise ValueError(f"{echo(text)}: with am/pm the hour must be 1–12 (for 24-hour time drop the am/pm)")
        hour = hour % 12 + (12 if half == "p" else 0)
    elif hour == 24 and minute == 0:
        raise ValueError(f"{echo(text)}: write midnight as 00:00 (a run belongs to the day it starts)")
    elif hour > 23:
        raise ValueError(f"{echo(text)}: hours must be 00–23 ({_TIME_HELP})")
    return time(hour, minute)


_DAY_WORDS: dict[str, int] = {}
for _number, _name in enumerate(_DAY_NAMES):
    _low = _name.lower()
    for _word in (_low, _low + "s", _low[:3], _low[:3] + "s"):
        _DAY_WORDS[_word] = _number
_DAY_WORDS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})

_SET_WORDS: dict[str, frozenset[int]] = {
    "daily": WEEKDAYS,
    "everyday": WEEKDAYS,
    "weekdays": WORKDAYS,
    "weekday": WORKDAYS,
    "workdays": WORKDAYS,
    "weekends": WEEKEND,
    "weekend": WEEKEND,
}
_RANGE_SEP = re.compile(r"\s*(?:-|–|—|\bto\b|\bthrough\b|\bthru\b)\s*")
_LIST_SEP = re.compile(r"\s*(?:,|&|\+|\band\b|\s)\s*")
_DAYS_HELP = "use day names like mon, wed, fri, ranges like mon-fri or fri-mon, or daily, weekdays, weekends"


def parse_weekdays(text: str) -> frozenset[int]:
    """The days a digest runs on, from chat: "mon-fri", "weekdays", "daily", "every day", "mon,wed,fri",
    "Mon, Wed and Fri", "sat-sun", "weekends", "every monday".

    Ranges follow the week round, so "fri-mon" is Friday to Monday (a weekend on-call rota), not an error. A range
    from a day to itself is refused: it could mean one day or the whole week.
    """
    cleaned = " ".join(text.split()).lower()
    cleaned = re.sub(r"^every\s+", "", cleaned)
    if cleaned in ("day", "days"):
        return WEEKDAYS
    if not cleaned:
        raise ValueError(f"no days given: {_DAYS_HELP}")
    cleaned = _RANGE_SEP.sub("-", cleaned)
    result: set[int] = set()
    for item in filter(None, _LIST_SEP.split(cleaned)):
        if item in _SET_WORDS:
            result |= _SET_WORDS[item]
            continue
        ends = item.split("-")
        if len(ends) == 1:
            result.add(_day(ends[0], text))
            continue
        if len(ends) != 2 or not all(ends):
            raise ValueError(f"cannot read {echo(item)} in {echo(text)} as a range of days: write it like mon-fri")
        first, last = _day(ends[0], text), _day(ends[1], text)
        if first == last:
            raise ValueError(
                f"{echo(item)} in {echo(text)} starts and ends on the same day: name the day alone, or say daily"
            )
        result.update((first + step) % 7 for step in range((last - first) % 7 + 1))
    if not result:
        raise ValueError(f"no days given in {echo(text)}: {_DAYS_HELP}")
    return frozenset(result)


def _day(word: str, text: str) -> int:
    number = _DAY_WORDS.get(word.rstrip("."))
    if number is None:
        if word in _SET_WORDS:
            raise ValueError(f"{echo(word)} cannot be one end of a range in {echo(text)}: {_DAYS_HELP}")
        raise ValueError(f"unknown day {echo(word)} in {echo(text)}: {_DAYS_HELP}")
    return number


def describe(at: time, tz: ZoneInfo, weekdays: AbstractSet[int]) -> str:
    """A schedule in words for chat replies and listings: "every weekday at 09:00 Europe/Berlin".

    Runs of three or more consecutive days (going round the week) read as ranges, "Mon–Thu" or "Fri–Mon"; the
    output reads back through `parse_weekdays`, so a listing can be pasted into a command. The zone is always
    named: the same 09:00 is a different instant for a teammate elsewhere.
    """
    days = _check_weekdays(weekdays)
    _check_at(at)
    clock = at.isoformat(timespec="seconds" if at.second or at.microsecond else "minutes")
    if days == WEEKDAYS:
        when = "daily"
    elif days == WORKDAYS:
        when = "every weekday"
    elif days == WEEKEND:
        when = "weekends"
    elif len(days) == 1:
        when = f"every {_DAY_NAMES[next(iter(days))]}"
    else:
        when = ", ".join(_runs(days))
    return f"{when} at {clock} {tz}"


def _runs(days: frozenset[int]) -> list[str]:
    """The allowed days as abbreviations, with circular runs of 3+ days collapsed to "Mon–Thu"."""
    start = next(d for d in range(7) if d in days and (d - 1) % 7 not in days)  # a run start; not all 7 days here
    parts: list[str] = []
    step = 0
    while step < 7:
        day = (start + step) % 7
        if day not in days:
            step += 1
            continue
        length = 1
        while length < 7 - step and (day + length) % 7 in days:
            length += 1
        if length >= 3:
            parts.append(f"{_DAY_ABBR[day]}–{_DAY_ABBR[(day + length - 1) % 7]}")
        else:
            parts.extend(_DAY_ABBR[(day + i) % 7] for i in range(length))
        step += length
    return parts
