"""The one table from what a question is about to the command that answers it.

A reading ends as command text in the router's own syntax, so everything after the reading (arguments,
ranges, department lookup, access, rendering, errors) is the commands' own. To point a kind of question at
another command, or to follow a command whose syntax changes (`!now`, `!export` and `!alert` are being
built beside this), change this file only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.understanding import vocabulary as v

# What each kind of question becomes; empty slots vanish.
TEMPLATES: Mapping[str, str] = MappingProxyType(
    {
        "overview": "overview {section} {range} {dept}",
        "chart": "chart {metric} {range} {dept}",
        "agents": "agents {metric} {range} {dept}",
        "departments": "departments",
        "help": "help",
        "now": "now {dept}",  # queue, agents online, today so far
        "export": "export conversations {range} {dept} {agent} {format}",
        "export chart": "export chart {metric} {range} {dept} {format}",
        "export agents": "export agents {metric} {range} {dept} {format}",
        "digest": "digest subscribe {time} {days} {dept} {digest_range}",
    }
)

# "What was X (over a period)?": the command that shows figure X, and the overview section holding it.
# Times are read from the overview (one average over the whole period, with the change against the period
# before); chat duration and the best first response are not in the overview, so their chart answers.
FIGURE: Mapping[str, tuple[str, str | None]] = MappingProxyType(
    {
        v.CONVERSATIONS: ("overview", "conversations"),
        v.MESSAGES: ("overview", "conversations"),
        v.BUSIEST: ("overview", "conversations"),
        v.OPEN: ("overview", "conversations"),
        v.FRT: ("overview", "productivity"),
        v.ART: ("overview", "productivity"),
        v.REACTION: ("overview", "productivity"),
        v.SPEED: ("overview", "productivity"),
        v.DURATION: ("chart", None),
        v.BEST_FRT: ("chart", None),
    }
)
# For charts and agent tables, which chart a non-chart meaning stands for.
AS_CHART: Mapping[str, str] = MappingProxyType({v.BUSIEST: v.CONVERSATIONS, v.OPEN: v.CONVERSATIONS})
# When a ranking or chart names no metric, these are offered (at most three choices).
SPEED_CHOICES = (v.FRT, v.ART)
ANY_CHOICES = (v.CONVERSATIONS, v.FRT, v.ART)

# Questions the analytics cannot answer, and the command whose figures come closest (None: no suggestion).
TOPICS: Mapping[str, tuple[str, str | None]] = MappingProxyType(
    {
        "csat": ("satisfaction ratings (CSAT) are not in the analytics I read", "overview"),
        "abandoned": ("abandoned chats are not in the analytics I read", "overview conversations"),
        "transfers": ("transfers and escalations are not in the analytics I read", "overview conversations"),
        "sla": ("SLA targets and breaches are not in the analytics I read", "overview productivity"),
        "tags": ("tags, topics and contact reasons are not in the analytics I read", "overview conversations"),
        "transcripts": ("I read figures, not what was written in conversations", None),
        "percentiles": (
            "Rocket.Chat's analytics give averages (and the best first response), not medians, percentiles or maximums",
            "overview",
        ),
        "future": ("I can only report on what has already happened", None),
        "part of a day": ("Rocket.Chat's analytics work in whole days, not hours", "overview"),
        "departments ranking": ("I show one department at a time, not a ranking of departments", "departments"),
        "history of now": ("the queue and who is online are shown only as they are now", "now"),
        "alert": ("I cannot set alerts from a question", None),
    }
)


@dataclass(frozen=True)
class Slots:
    section: str | None = None  # "conversations" or "productivity"
    metric: str | None = None  # a chart name (bot.analytics.metrics)
    range: str | None = None  # a phrase the date grammar reads
    departments: tuple[str, ...] = ()
    time: str | None = None  # HH:MM
    days: str | None = None  # as `!digest subscribe` reads them
    format: str | None = None  # "xlsx"
    agent: str | None = None  # a username (exports of one agent's conversations)
    digest_range: str | None = None


def option_value(value: str) -> str:
    """A value the argument splitter reads back whole: quoted when it has spaces or quote characters."""
    if value and not any(c.isspace() or c in "\"'“”‘’«»„=" for c in value):
        return value
    for opening, closing in (('"', '"'), ("'", "'"), ("“", "”"), ("«", "»")):
        if opening not in value and closing not in value:
            return f"{opening}{value}{closing}"
    return '"' + value.replace('"', "") + '"'


def shown_as_is(text: str) -> str:
    """Text that `markup.echo` shows exactly as it is: one space between words, no backtick (it would end the
    code span), and a space between `>` and a following `@` or `#` (echo puts one there). Only names from the
    server can hold such characters; such a name then fails the lookup with the command's own message, rather
    than the reply showing one command and running another."""
    text = " ".join(text.split()).replace("`", "'")
    return re.sub(r">(?=[@#])", "> ", text)


def render(kind: str, slots: Slots) -> str:
    """The command text (without the prefix) for a kind of question and its slots."""
    fields = {
        "section": slots.section or "",
        "metric": slots.metric or "",
        "range": slots.range or "",
        "dept": ("dept=" + option_value(",".join(slots.departments))) if slots.departments else "",
        "time": slots.time or "",
        "days": slots.days or "",
        "format": slots.format or "",
        "agent": ("agent=" + option_value(slots.agent)) if slots.agent else "",
        "digest_range": ("range=" + option_value(slots.digest_range)) if slots.digest_range else "",
    }
    return shown_as_is(TEMPLATES[kind].format(**fields))
