"""The time phrase of a question, found by the date grammar itself; and the time and days of a digest.

Rather than a second date grammar, every run of words that could be a date is offered to
`bot.dates.parse_range`, longest first: the phrase it accepts is the one the command will carry, so the
command means exactly what `!overview last week` means. Words that are dates only sometimes ("may", "sat",
"sun", "march", "mon") count only after a preposition ("in May") or inside a longer phrase ("1 May").
A phrase the grammar refuses for a reason it explains (the future, parts of a day) is kept too, so the
command's own message says why, instead of the question being read without it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.dates.grammar import DateRange, DateRangeError, parse_range
from bot.understanding.vocabulary import word_set

MAX_WORDS = 7
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DATE_WORDS = (
    word_set(
        """january february march april may june july august september october november december
        jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
        today yesterday week weeks month months year years quarter quarters day days weekend weekends since ago
        wtd mtd qtd ytd fortnight date so far"""
    )
    | frozenset(_FULL_DAYS)
    | frozenset(d + "s" for d in _FULL_DAYS)
)
_ONLY_AFTER_A_PREPOSITION = frozenset({"may", "march", "mar", "sat", "sun", "mon", "wed", "jun", "dec", "second"})
_PREPOSITIONS = frozenset({"in", "since", "on", "during", "for", "from", "until", "till", "of", "by", "last", "this"})
_FILLERS = frozenset({"for", "in", "the", "during", "on", "over", "of", "within", "across", "throughout"})
# Words of phrases the grammar refuses with an explanation: the future and parts of a day.
_REFUSED = re.compile(
    r"tomorrow|tmrw|next|upcoming|coming|later|tonight|hours?|hrs?|minutes?|mins?|morning|afternoon|evening|noon"
    r"|midnight|\d{1,2}(?::\d{2})?(?:am|pm)|am|pm|\d{1,2}:\d{2}"
)
_FUTURE = re.compile(r"tomorrow|tmrw|next|upcoming|coming|later")
_RANGE_WORDS = frozenset({"to", "until", "till", "through", "thru", "and", "-", ".."})
_REFUSED_JOINERS = frozenset({"last", "this", "the", "past", "in", "since", "from", "to", "a", "an", "few"})


@dataclass(frozen=True)
class DateOptions:
    """How the bot reads dates (`[bot] timezone`, `[dates]`), and now."""

    now: datetime
    tz: str = "UTC"
    week_start: str = "monday"
    date_order: str | None = None
    max_days: int = 366

    def parse(self, text: str) -> DateRange:
        return parse_range(
            text,
            now=self.now,
            tz=self.tz,
            week_start=self.week_start,
            date_order=self.date_order,
            max_days=self.max_days,
        )


@dataclass(frozen=True)
class Found:
    start: int  # token indexes, end exclusive
    end: int
    text: str  # the phrase for the command: the grammar's own label when it reads back the same
    range: DateRange | None  # None: a phrase the grammar refuses (the future, part of a day)
    future: bool = False  # why it is refused


def _dateish(word: str) -> bool:
    """Could be part of a date: a date word, or anything with a digit (2026-11-01, Q3, W46, 1st, 30)."""
    return word in DATE_WORDS or any(c.isdigit() for c in word)


def _parses(words: Sequence[str], options: DateOptions) -> DateRange | None:
    try:
        return options.parse(" ".join(words))
    except DateRangeError:
        return None


def _trimmed(words: list[str], found: DateRange, options: DateOptions) -> list[str]:
    """The phrase without fillers at its ends ("for the last 30 days" → "last 30 days", "yesterday in" →
    "yesterday"), as long as it still means the same days."""
    for end in (0, -1):
        while len(words) > 1 and words[end] in _FILLERS:
            shorter = words[1:] if end == 0 else words[:-1]
            again = _parses(shorter, options)
            if again is None or (again.start, again.end) != (found.start, found.end):
                break
            words = shorter
    return words


def _said(words: list[str], rng: DateRange, options: DateOptions) -> str:
    """How the command says the range: the grammar's label ("October 2026", "last 30 days", "since 16 Nov
    2026") when it reads back as the same days, which also shows the asker how the phrase was resolved."""
    again = _parses(rng.label.split(), options)
    if again is not None and (again.start, again.end) == (rng.start, rng.end):
        return rng.label
    return " ".join(words)


def date_phrases(
    words: Sequence[str], free: Sequence[bool], options: DateOptions, *, apart: frozenset[str] = frozenset()
) -> list[Found]:
    """The date phrases among the free words, longest first, not overlapping (a comparison has two). No
    phrase contains a word of `apart` ("compare last week to this week" is two periods, not one range)."""
    taken = list(free)
    found: list[Found] = []
    n = len(words)
    for size in range(min(MAX_WORDS, n), 0, -1):
        for i in range(n - size + 1):
            span = list(words[i : i + size])
            if not all(taken[i : i + size]) or not any(_dateish(w) for w in span) or apart & set(span):
                continue
            if size == 1 and span[0] in _ONLY_AFTER_A_PREPOSITION and (i == 0 or words[i - 1] not in _PREPOSITIONS):
                continue
            if span[0] == "from" and not _RANGE_WORDS & set(span) and size > 1:
                span = span[1:]  # "chats from yesterday": yesterday's chats (the grammar reads "from X" as since X)
            rng = _parses(span, options)
            if rng is None:
                continue
            found.append(Found(i, i + size, _said(_trimmed(span, rng, options), rng, options), rng))
            for k in range(i, i + size):
                taken[k] = False
    if not found:
        refused = _refused_phrase(words, free)
        return [refused] if refused else []
    return sorted(found, key=lambda f: f.start)


def _refused_phrase(words: Sequence[str], free: Sequence[bool]) -> Found | None:
    """A run of date words with a future or part-of-day word in it ("next week", "the last 2 hours")."""
    i, n = 0, len(words)
    while i < n:
        j = i
        while j < n and free[j] and (_dateish(words[j]) or words[j] in _REFUSED_JOINERS or _refused(words[j])):
            j += 1
        run = list(words[i:j])
        if any(_refused(w) for w in run) and any(_refused(w) or _dateish(w) for w in run):
            while run and run[0] in _FILLERS:
                run, i = run[1:], i + 1
            return Found(i, j, " ".join(run), None, future=any(_FUTURE.fullmatch(w) for w in run))
        i = max(j, i + 1)
    return None


def _refused(word: str) -> bool:
    return bool(_REFUSED.fullmatch(word))


# --- digests: at what time, on which days -------------------------------------------------------------------

_TIME = re.compile(r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?(?P<half>am|pm|h)?")
_DAY_CODES = {d: d[:3] for d in _FULL_DAYS}
_DAY_CODES |= {d + "s": d[:3] for d in list(_DAY_CODES)}
_DAY_CODES |= {"mon": "mon", "tue": "tue", "tues": "tue", "wed": "wed", "thu": "thu", "thur": "thu", "thurs": "thu"}
_DAY_CODES |= {"fri": "fri", "sat": "sat", "sun": "sun"}
_ORDER = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MORNING_HOURS = range(7, 12)  # a bare "at 9" for a digest reads as the morning; other bare hours are asked back


@dataclass(frozen=True)
class TimeOfDay:
    text: str | None  # "09:00", when it is clear
    hour: int | None = None  # a bare hour that could be morning or evening ("at 5")
    used: frozenset[int] = frozenset()


def time_of_day(words: Sequence[str]) -> TimeOfDay:
    """`at 9`, `9am`, `at 9:30`, `9 oclock`, `17:00`, `at noon`, `at midnight`."""
    for i, word in enumerate(words):
        if word in ("noon", "midday"):
            return TimeOfDay("12:00", used=frozenset({i}))
        if word == "midnight":
            return TimeOfDay("00:00", used=frozenset({i}))
        match = _TIME.fullmatch(word)
        if match is None:
            continue
        before = words[i - 1] if i else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        half = match["half"] or (after.replace(".", "") if after.replace(".", "") in ("am", "pm") else None)
        explicit = match["m"] is not None or half is not None or after == "oclock"
        if before not in ("at", "around", "by", "@") and not explicit:
            continue
        hour, minute = int(match["h"]), int(match["m"] or 0)
        used = {i} | ({i + 1} if after.replace(".", "") in ("am", "pm", "oclock") else set())
        if minute > 59 or hour > 23 or (half in ("am", "pm") and not 1 <= hour <= 12):
            return TimeOfDay(None, used=frozenset(used))
        if half in ("am", "pm"):
            hour = hour % 12 + (12 if half == "pm" else 0)
        elif match["m"] is None and half != "h" and 1 <= hour <= 12 and hour not in MORNING_HOURS:
            return TimeOfDay(None, hour=hour, used=frozenset(used))
        return TimeOfDay(f"{hour:02d}:{minute:02d}", used=frozenset(used))
    return TimeOfDay(None)


_EVERY = frozenset({"every", "on", "each", "and", "to", "through", "thru"})
_WORKDAYS = frozenset({"weekday", "weekdays", "workday", "workdays", "working", "business"})
_EVERY_DAY = frozenset({"daily", "everyday"})


def digest_days(words: Sequence[str]) -> tuple[str | None, frozenset[int]]:
    """The days of a digest as `!digest subscribe` reads them (`mon-fri`, `daily`, `mon,thu`), and the words used."""
    used: set[int] = set()
    days: list[str] = []
    kind: str | None = None
    for i, word in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else ""
        if word in _WORKDAYS and (word.startswith("week") or word.startswith("work") or after == "days"):
            kind = "mon-fri"
            used |= {i} | ({i + 1} if after in ("day", "days") else set())
        elif word in _EVERY_DAY or (word in ("every", "each") and after in ("day", "morning", "evening")):
            kind = kind or "daily"
            used |= {i} | ({i + 1} if word in ("every", "each") else set())
        elif word in ("weekend", "weekends"):
            days += ["sat", "sun"]
            used.add(i)
        elif len(ends := word.split("-")) == 2 and all(e in _DAY_CODES for e in ends):  # "mon-fri" typed whole
            days += [_DAY_CODES[ends[0]], "-", _DAY_CODES[ends[1]]]
            used.add(i)
        elif word in _DAY_CODES and (word not in _ONLY_AFTER_A_PREPOSITION or (i and words[i - 1] in _EVERY)):
            days.append(_DAY_CODES[word])
            used.add(i)
        elif word in ("to", "through", "thru", "-") and days and i + 1 < len(words) and words[i + 1] in _DAY_CODES:
            days.append("-")
            used.add(i)
    if "-" in days:
        ends = [d for d in days if d != "-"]
        if len(ends) == 2 and (ends[0], ends[1]) == ("mon", "fri"):
            return "mon-fri", frozenset(used)
        if len(ends) == 2:
            return f"{ends[0]}-{ends[1]}", frozenset(used)
    unique = sorted(set(d for d in days if d != "-"), key=_ORDER.index)
    if unique and kind != "mon-fri":
        return ",".join(unique), frozenset(used)
    return kind, frozenset(used)
