"""What a question says, before deciding what it asks: names, dates, digest times, vocabulary, and the words
left over that nothing explains.

Order matters and is fixed: `dept=` options, names spelled out (so "Customer Success" is a department before
"customer" can be a metric), a digest's time and days (so "every monday" is a schedule, not a date), date
phrases, then the vocabulary, longest phrase first. Whatever remains and is not an ordinary word is unknown:
a typo of a name, a name the bot does not know, or something it does not understand, which lowers the
confidence of the reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.understanding import vocabulary as v
from bot.understanding.names import Agent, Match, close_names, exact_names
from bot.understanding.text import Sentence, squash
from bot.understanding.when import DATE_WORDS, DateOptions, Found, TimeOfDay, date_phrases, digest_days, time_of_day

COMMON = frozenset(w for phrase in v.PHRASES for w in phrase) | v.STOP_WORDS | DATE_WORDS
# Words that mean nothing more when they stand alone; any other word left over is not understood (a word of a
# longer phrase, like "weekday" of "each weekday", is not understood alone).
KNOWN_ALONE = frozenset(p[0] for p in v.PHRASES if len(p) == 1) | v.STOP_WORDS | DATE_WORDS
# Words a typo is corrected to ("respnse" → "response", "chtas" → "chats"): one letter wrong, missing, extra
# or swapped, in a word of at least five letters ("rate" is not "rated", "conversion" not "conversation"),
# or four for a date word ("tody").
SPELLED = frozenset(w for w in (COMMON - v.STOP_WORDS) | DATE_WORDS if len(w) >= 4 and w.isalpha())
TYPO_MIN_LENGTH = 5
TYPO_SCORE = 0.9
# Words that start or make a time phrase: left unread, they mean a period was not understood ("last wk").
_DATE_CUES = frozenset({"last", "past", "previous", "since", "ago", "until", "till", "between"})
_UNITS = frozenset({"day", "days", "date", "dates", "week", "weeks", "weekend", "weekends", "month", "months"})
_UNITS |= {"year", "years", "quarter", "quarters", "so", "far", "today", "yesterday"}
_UNREAD_DATES = _DATE_CUES | (DATE_WORDS - _UNITS - {"may", "march", "mar", "sat", "sun", "mon", "wed"})
_STRONG_DIGEST = frozenset({"digest", "digests", "subscribe", "subscription", "schedule", "scheduled", "remind"})
_RECURRING = frozenset({"every", "each", "daily", "weekly", "everyday", "recurring", "automatically"})
# Days in the plural are a schedule ("on mondays", "weekends"); "on monday" is a date.
_SCHEDULE_DAYS = frozenset({"mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays"})
_SCHEDULE_DAYS |= {"weekdays", "weekends", "workdays"}
_POSTING = frozenset({"post", "send", "share", "deliver", "summary", "summaries", "report", "numbers", "figures"})
_COMPARING = frozenset({"compare", "compared", "comparison", "vs", "versus", "against"})
_APART = frozenset({"to", "and", "with", "vs", "versus", "against", "than"})
_TIME_METRICS = frozenset({v.FRT, v.BEST_FRT, v.ART, v.REACTION, v.DURATION})  # named; not "how fast"


@dataclass
class Signals:
    words: tuple[str, ...]  # lowercase, typos corrected
    departments: list[str] = field(default_factory=list)  # as Rocket.Chat spells them
    agents: list[str] = field(default_factory=list)
    name_score: float = 1.0  # the weakest name or spelling match (1.0 exact)
    ambiguous_names: list[list[Match]] = field(default_factory=list)  # one word, several close names
    dates: list[Found] = field(default_factory=list)
    digest: bool = False
    time: TimeOfDay = field(default_factory=lambda: TimeOfDay(None))
    days: str | None = None
    metrics: list[str] = field(default_factory=list)  # in order of mention, no repeats
    cues: set[str] = field(default_factory=set)
    ranks: set[str] = field(default_factory=set)
    topics: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # as typed
    unknown_in_name_slot: list[str] = field(default_factory=list)
    unread_date: str | None = None  # as typed: words of a time phrase the date grammar did not read

    @property
    def metric_set(self) -> set[str]:
        return set(self.metrics)


def _slot(said: Sentence, start: int, end: int) -> bool:
    """A place where a name is expected: "in X", "for X", "did X have", "the X team", or a capital letter
    inside the sentence ("how busy was Support")."""
    words = said.words
    before = words[start - 1] if start > 0 else ""
    after = words[end] if end < len(words) else ""
    capital = start > 0 and said.tokens[start].capitalised
    return before in v.NAME_SLOT_BEFORE or after in v.NAME_SLOT_AFTER or capital


def read_signals(said: Sentence, dates: DateOptions, departments: Sequence[str], agents: Sequence[Agent]) -> Signals:
    words = list(said.words)
    free = [True] * len(words)
    found = Signals(said.words)

    for option in said.options:  # `dept=NAME` typed inside a question: as Rocket.Chat spells it if known
        known = [d for d in departments if squash(d) == squash(option)]
        _add(found.departments, known[0] if known else option)

    slots = [_slot(said, i, i + 1) for i in range(len(words))]
    for match in exact_names(words, free, departments, agents, common=COMMON, slot=slots):
        _add(found.departments if match.kind == "department" else found.agents, match.name)
        found.name_score = min(found.name_score, match.score)
        for i in range(match.start, match.end):
            free[i] = False

    _correct_typos(words, free, found, departments, agents)
    found.words = tuple(words)

    recurring = any(w in _RECURRING or w in _SCHEDULE_DAYS for w in words)
    if any(w in _STRONG_DIGEST for w in words) or recurring:
        time = time_of_day(words)
        days, used = digest_days(words)
        posting = any(w in _POSTING for w in words)
        if any(w in _STRONG_DIGEST for w in words) or (recurring and (time.text or time.hour or (days and posting))):
            found.digest, found.time, found.days = True, time, days
            for i in time.used | used:
                free[i] = False

    apart = _APART if _COMPARING & set(words) else frozenset()
    for phrase in date_phrases(words, free, dates, apart=apart):
        for i in range(phrase.start, phrase.end):
            free[i] = False
        if phrase.range is not None:
            found.dates.append(phrase)
        else:  # a phrase the grammar refuses: said so, not read without it
            _add(found.topics, "future" if phrase.future else "part of a day")

    _vocabulary(words, free, found)
    if v.CONVERSATIONS in found.metrics and found.metric_set & _TIME_METRICS and "count" not in found.cues:
        found.metrics.remove(v.CONVERSATIONS)  # "time to pick up chats": chats are what is timed, not counted

    unread = [i for i, w in enumerate(words) if free[i] and (w in _UNREAD_DATES or _odd_number(w))]
    if unread:
        first, last = unread[0], unread[-1]
        while last + 1 < len(words) and free[last + 1] and words[last + 1] not in v.STOP_WORDS:
            last += 1  # "last wk": the unknown word after the cue belongs to it
        found.unread_date = " ".join(t.raw for t in said.tokens[first : last + 1])
        for i in range(first, last + 1):
            free[i] = False

    for i, word in enumerate(words):
        if not free[i] or word in KNOWN_ALONE or word.isdigit():
            continue
        typed = said.tokens[i].raw
        close = close_names(word, departments, agents)
        if close and (len(close) == 1 or close[0].score - close[1].score >= 0.05):
            best = close[0]
            _add(found.departments if best.kind == "department" else found.agents, best.name)
            found.name_score = min(found.name_score, best.score)
        elif close:
            found.ambiguous_names.append(close[:3])
        elif _slot(said, i, i + 1):
            found.unknown_in_name_slot.append(typed)
        else:
            found.unknown.append(typed)
    return found


def _odd_number(word: str) -> bool:
    """A word with digits that is not a plain count ("12th", "3/4"): a date the grammar did not read."""
    return any(c.isdigit() for c in word) and not word.isdigit()


def _correct_typos(
    words: list[str], free: Sequence[bool], found: Signals, departments: Sequence[str], agents: Sequence[Agent]
) -> None:
    """A word nobody knows that is one slip away from exactly one vocabulary word, and is not close to a
    name, is read as that word ("chtas" → "chats"); the reading's confidence drops a little."""
    for i, word in enumerate(words):
        if not free[i] or word in COMMON or not word.isalpha() or not TYPO_MIN_LENGTH - 1 <= len(word) <= 40:
            continue
        matches = [w for w in SPELLED if abs(len(w) - len(word)) <= 1 and _one_slip(word, w)]
        if len(word) < TYPO_MIN_LENGTH:  # four letters: only to a longer date word ("tody"); too much is close
            matches = [w for w in matches if w in DATE_WORDS and len(w) >= TYPO_MIN_LENGTH]
        if len(matches) != 1 or close_names(word, departments, agents):
            continue
        words[i] = matches[0]
        found.name_score = min(found.name_score, TYPO_SCORE)


def _one_slip(a: str, b: str) -> bool:
    """a and b differ by one letter changed, added, removed, or two neighbours swapped."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [k for k in range(len(a)) if a[k] != b[k]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:k] + long[k + 1 :] == short for k in range(len(long)))


def _vocabulary(words: Sequence[str], free: list[bool], found: Signals) -> None:
    """Left to right, the longest phrase of free words at each place."""
    i = 0
    while i < len(words):
        for size in range(min(v.LONGEST, len(words) - i), 0, -1):
            key = tuple(words[i : i + size])
            meanings = v.PHRASES.get(key) if all(free[i : i + size]) else None
            if meanings:
                for meaning in meanings:
                    _note(found, meaning)
                for k in range(i, i + size):
                    free[k] = False
                i += size
                break
        else:
            i += 1


def _note(found: Signals, meaning: v.Meaning) -> None:
    if meaning.kind == "metric":
        _add(found.metrics, meaning.value)
    elif meaning.kind == "cue":
        found.cues.add(meaning.value)
    elif meaning.kind == "rank":
        found.ranks.add(meaning.value)
    elif meaning.kind == "topic":
        _add(found.topics, meaning.value)


def _add(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)
