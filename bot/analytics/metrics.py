"""The seven chart metrics of Rocket.Chat's Analytics page, their readable aliases and their nature.

Names follow `livechat/analytics/dashboards/charts-data` and `agent-overview` (rocketchat-analytics.md
§2.2–2.3). People type "frt" or "response time", so each has aliases; matching is case-insensitive and
treats spaces, dashes and underscores alike.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from bot.errors import BadArgument
from bot.replies.markup import code, echo


@dataclass(frozen=True)
class Metric:
    name: str  # the API's chartName
    is_time: bool  # values are durations (seconds): lower is better
    aliases: tuple[str, ...]
    agents_descending: bool  # how a person ranks agents on it (biggest first, or fastest first)
    summable: bool  # a total over buckets makes sense


METRICS: tuple[Metric, ...] = (
    Metric("Total_conversations", False, ("conversations", "total conversations", "chats", "volume"), True, True),
    Metric(
        "Avg_chat_duration",
        True,
        (
            "chat duration",
            "duration",
            "avg chat duration",
            "average chat duration",
            "aht",  # the industry's average handle time is the chat's duration
            "handle time",
            "average handle time",
            "avg handle time",
        ),
        True,
        False,
    ),
    Metric("Total_messages", False, ("messages", "total messages", "msgs"), True, True),
    Metric(
        "Avg_first_response_time",
        True,
        (
            "frt",
            "first response",
            "first response time",
            "avg frt",
            "avg first response time",
            "average first response time",
        ),
        False,
        False,
    ),
    Metric(
        "Best_first_response_time",
        True,
        ("best frt", "best first response", "best first response time", "fastest first response"),
        False,
        False,
    ),
    Metric(
        "Avg_response_time",
        True,
        ("response time", "response", "art", "avg response time", "average response time"),
        False,
        False,
    ),
    Metric(
        "Avg_reaction_time",
        True,
        ("reaction time", "reaction", "avg reaction time", "average reaction time"),
        False,
        False,
    ),
)
BY_NAME = {m.name: m for m in METRICS}


def _key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


_LOOKUP: dict[str, Metric] = {}
for _metric in METRICS:
    _LOOKUP[_key(_metric.name)] = _metric
    for _alias in _metric.aliases:
        _LOOKUP[_key(_alias)] = _metric
_LONGEST = max(len(k.split()) for k in _LOOKUP)


# Industry words that are not one of Rocket.Chat's seven charts: what to offer instead, and why.
_NEAR_MISSES: dict[str, tuple[tuple[str, ...], str]] = {
    "wait": (("Avg_first_response_time",), "a visitor's wait for a first reply; `!now` shows who waits now"),
    "wait time": (("Avg_first_response_time",), "a visitor's wait for a first reply; `!now` shows who waits now"),
    "waiting time": (("Avg_first_response_time",), "a visitor's wait for a first reply; `!now` shows who waits now"),
    "queue": ((), "the queue is live, not a chart: `!now` shows it"),
    "backlog": ((), "the queue is live, not a chart: `!now` shows it"),
    "csat": ((), "Rocket.Chat's analytics have no satisfaction (CSAT) chart"),
    "satisfaction": ((), "Rocket.Chat's analytics have no satisfaction (CSAT) chart"),
    "rating": ((), "Rocket.Chat's analytics have no satisfaction (CSAT) chart"),
}


def metric_names_text() -> str:
    return ", ".join(code(m.name) for m in METRICS)


def split_metric(words: list[str]) -> tuple[Metric, list[str]]:
    """Take the longest run of leading words that names a metric; return it and the words left.

    Raises BadArgument suggesting the one or two metrics the whole phrase is closest to (typos included:
    "avg reponse time" is Avg_response_time, not Avg_first_response_time), and the list of names."""
    if not words:
        raise BadArgument(f"Which chart? Name one of {metric_names_text()} (or e.g. “frt”, “response time”).")
    for size in range(min(_LONGEST, len(words)), 0, -1):
        metric = _LOOKUP.get(_key(" ".join(words[:size])))
        if metric is not None:
            return metric, words[size:]
    size, names, why = _suggest(words)
    shown = " ".join(words[: max(size, 1)])
    hint = ""
    if names:
        options = " or ".join(code(name) for name in names)
        hint = f" Did you mean {options}" + (f" ({why})?" if why else "?")
    elif why:
        hint = f" {why[0].upper()}{why[1:]}."
    raise BadArgument(
        f"I don't know the chart {echo(shown, limit=40)}.{hint} "
        f"Charts: {metric_names_text()} (aliases like “frt”, “response time”, “aht” work too)."
    )


def _suggest(words: list[str]) -> tuple[int, list[str], str]:
    """(how many leading words were meant as the name, up to two metric names, a note) for an unknown name.

    Each run of 1..4 leading words is compared as a whole with every name and alias; the best-scoring
    metrics win, so a typo inside a longer name still points at that name."""
    scores: dict[str, tuple[float, int]] = {}
    for size in range(min(_LONGEST + 1, len(words)), 0, -1):
        phrase = _key(" ".join(words[:size]))
        if phrase in _NEAR_MISSES:
            meant, note = _NEAR_MISSES[phrase]
            return size, list(meant), note
        for key, metric in _LOOKUP.items():
            ratio = difflib.SequenceMatcher(None, phrase, key).ratio()
            if ratio >= 0.75 and ratio > scores.get(metric.name, (0.0, 0))[0]:
                scores[metric.name] = (ratio, size)
    ranked = sorted(scores.items(), key=lambda item: -item[1][0])
    if not ranked:
        return 1, [], ""
    best = ranked[0][1][0]
    close = [name for name, (ratio, _) in ranked[:2] if ratio >= best - 0.05]
    return ranked[0][1][1], close, ""
