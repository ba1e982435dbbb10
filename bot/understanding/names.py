"""Departments and agents named in a question, matched by name: exactly, by one word of a longer name
("Success" for "Customer Success"), or close enough to be a typo ("Suport").

The names come from Rocket.Chat at run time; here they are plain arguments, so matching stays pure and
testable. Matching is case-insensitive and ignores punctuation; a fuzzy match needs a word of at least four
letters and a similarity of `FUZZY` (difflib's ratio), and a word the vocabulary knows ("chats", "week") is
never taken for a name, unless a department is called exactly that and the question says so ("the Chat team").
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from bot.understanding.text import squash

FUZZY = 0.8
PARTIAL = 0.9  # the score of one distinctive word of a longer name


@dataclass(frozen=True)
class Agent:
    username: str
    name: str | None = None  # the display name, when Rocket.Chat has one


@dataclass(frozen=True)
class Match:
    kind: str  # "department" or "agent"
    name: str  # as Rocket.Chat spells it (an agent: the username)
    start: int  # token indexes, end exclusive
    end: int
    score: float  # 1.0 exact, PARTIAL, or the fuzzy ratio


@dataclass(frozen=True)
class _Entry:
    kind: str
    name: str
    words: tuple[str, ...]
    partial: bool = False  # one word of a longer name


def _entries(departments: Sequence[str], agents: Sequence[Agent], common: frozenset[str]) -> list[_Entry]:
    entries: list[_Entry] = []
    for name in departments:
        words = tuple(squash(name).split())
        if words:
            entries.append(_Entry("department", name, words))
    for agent in agents:
        for spelled in {agent.username, agent.name or ""} - {""}:
            words = tuple(squash(spelled).split())
            if words:
                entries.append(_Entry("agent", agent.username, words))
    # One distinctive word of a longer name ("success", "jane"), when no other name has it.
    owners: dict[str, set[tuple[str, str]]] = {}
    for entry in entries:
        if len(entry.words) > 1:
            for word in entry.words:
                owners.setdefault(word, set()).add((entry.kind, entry.name))
    for word, who in owners.items():
        if len(who) == 1 and len(word) >= 3 and word not in common and not word.isdigit():
            kind, name = next(iter(who))
            entries.append(_Entry(kind, name, (word,), partial=True))
    return entries


def exact_names(
    words: Sequence[str],
    free: Sequence[bool],
    departments: Sequence[str],
    agents: Sequence[Agent],
    *,
    common: frozenset[str],
    slot: Sequence[bool],
) -> list[Match]:
    """Names spelled out in the question, longest first. A name made only of common words needs `slot`
    (a place where a name is expected: "in X", "the X team")."""
    taken = list(free)
    found: list[Match] = []
    entries = sorted(_entries(departments, agents, common), key=lambda e: -len(e.words))
    for entry in entries:
        size = len(entry.words)
        for i in range(len(words) - size + 1):
            if not all(taken[i : i + size]) or tuple(words[i : i + size]) != entry.words:
                continue
            if all(w in common for w in entry.words) and not slot[i]:
                continue
            found.append(Match(entry.kind, entry.name, i, i + size, PARTIAL if entry.partial else 1.0))
    # The same words may name several things (a department and an agent both called "Sam"): keep them all,
    # the parser asks which; otherwise the longest name wins its words.
    kept: list[Match] = []
    for match in sorted(found, key=lambda m: (-(m.end - m.start), -m.score)):
        overlapping = [k for k in kept if k.start < match.end and match.start < k.end]
        same_words = all((k.start, k.end) == (match.start, match.end) for k in overlapping)
        if same_words and (match.kind, match.name) not in {(k.kind, k.name) for k in kept}:
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)


def close_names(word: str, departments: Sequence[str], agents: Sequence[Agent]) -> list[Match]:
    """Names a single unknown word may be a typo of, best first (index 0..1 stands for the word's place)."""
    if not 4 <= len(word) <= 40:
        return []
    scored: dict[tuple[str, str], float] = {}
    for entry in _entries(departments, agents, frozenset()):
        for part in (" ".join(entry.words), *entry.words):
            ratio = difflib.SequenceMatcher(None, word, part).ratio()
            key = (entry.kind, entry.name)
            if ratio >= FUZZY and ratio > scored.get(key, 0.0):
                scored[key] = ratio
    ranked = sorted(scored.items(), key=lambda item: (-item[1], item[0]))
    return [Match(kind, name, 0, 1, score) for (kind, name), score in ranked]


def similar_departments(word: str, departments: Sequence[str], limit: int = 3) -> list[str]:
    """Departments loosely like a name that matched none, for "did you mean" (cut-off lower than FUZZY)."""
    by_key = {squash(d): d for d in departments}
    close = difflib.get_close_matches(squash(word), list(by_key), n=limit, cutoff=0.6)
    return [by_key[c] for c in close]
