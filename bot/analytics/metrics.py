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
from bot.replies.markup import code, escape


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
        ("chat duration", "duration", "avg chat duration", "average chat duration"),
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


def metric_names_text() -> str:
    return ", ".join(code(m.name) for m in METRICS)


def split_metric(words: list[str]) -> tuple[Metric, list[str]]:
    """Take the longest run of leading words that names a metric; return it and the words left.

    Raises BadArgument with a "did you mean" suggestion and the list of names."""
    if not words:
        raise BadArgument(f"Which chart? Name one of {metric_names_text()} (or e.g. “frt”, “response time”).")
    for size in range(min(_LONGEST, len(words)), 0, -1):
        metric = _LOOKUP.get(_key(" ".join(words[:size])))
        if metric is not None:
            return metric, words[size:]
    guess = _key(words[0])
    close = difflib.get_close_matches(guess, list(_LOOKUP), n=1, cutoff=0.6)
    hint = f" Did you mean {code(_LOOKUP[close[0]].name)}?" if close else ""
    raise BadArgument(
        f"I don't know the chart “{escape(words[0], limit=40)}”.{hint} "
        f"Charts: {metric_names_text()} (aliases like “frt”, “response time”, “chat duration” work too)."
    )
