"""Alert conditions written as a sentence: `queue > 5 for 2m`, `wait > 3m`, `no agent available during business
hours`, `first response today > 90s`, `abandoned today > 10%`.

One grammar serves `!alert add` and `[[alert]] condition = "..."`, so what works in chat works in the file and
the messages are the same. Each refusal says what was wrong and shows a form that works; what the person typed
is echoed through `markup.echo`, so it can never mention anyone.
"""

from __future__ import annotations

import re

from bot.alerts.core import FIGURES, Condition
from bot.errors import BadArgument
from bot.replies.figures import duration, number
from bot.replies.markup import code, echo

__all__ = ["EXAMPLES", "describe", "parse_condition", "parse_duration", "value_text"]

EXAMPLES = (
    "queue > 5 for 2m",
    "wait > 3m",
    "no agent available during business hours",
    "first response today > 90s",
    "abandoned today > 10%",
)
_FIGURE_WORDS = (
    (re.compile(r"^(?:queue(?: length| size)?|queued(?: chats)?|waiting chats)$"), "queue"),
    (re.compile(r"^(?:(?:longest |queue )?wait(?:ing)?(?: time)?)$"), "wait"),
    (re.compile(r"^first response(?: time)?(?: today)?$"), "first_response"),
    (re.compile(r"^abandoned(?: chats)?(?: today)?$"), "abandoned"),
)
_NO_AGENT = re.compile(r"^no agents? (?:is |are )?(?:available|online)$")
_OPERATOR = re.compile(r"^(?P<figure>.+?)\s*(?:>|>=|\babove\b|\bover\b|\bmore than\b)\s*(?P<value>\S+)$")
_PENDING = re.compile(r"\s+for\s+(?P<pending>\S+)")
_HOURS = re.compile(r"\s+(?:during|in|within) (?:the )?business hours")
_DURATION = re.compile(r"^(?:(?P<h>\d{1,3})h)?(?:(?P<m>\d{1,4})m(?:in)?)?(?:(?P<s>\d{1,5})s)?$")


def parse_duration(text: str, what: str) -> float:
    """`90s`, `3m`, `2m30s`, `1h` as seconds; BadArgument saying what `what` needs otherwise."""
    match = _DURATION.match(text.strip().lower())
    if not match or not any(match.groups()):
        raise BadArgument(
            f"{echo(text, limit=20)} is not a duration for {what}; write it like {code('90s')}, {code('3m')}, "
            f"{code('2m30s')} or {code('1h')}."
        )
    hours, minutes, seconds = (int(match.group(k) or 0) for k in "hms")
    return float(hours * 3600 + minutes * 60 + seconds)


def _threshold(figure: str, text: str) -> float:
    unit = FIGURES[figure].unit
    if unit == "seconds":
        return parse_duration(text, "a time threshold")
    raw = text.removesuffix("%") if unit == "percent" else text
    if not re.fullmatch(r"\d{1,6}(?:\.\d{1,2})?", raw):
        example = {"count": "queue > 5", "percent": "abandoned today > 10%"}[unit]
        raise BadArgument(f"{echo(text, limit=20)} is not a number for this threshold; e.g. {code(example)}.")
    value = float(raw)
    if unit == "percent" and value >= 100:
        raise BadArgument(f"A share over {echo(text, limit=20)} can never happen; use less than 100%, e.g. 10%.")
    return value


def parse_condition(
    text: str,
    *,
    department: str | None = None,
    recovery: str | None = None,
    remind: str | None = None,
) -> Condition:
    """The condition in `text` (see EXAMPLES); `recovery` and `remind` are the `recover=` and `every=` options."""
    sentence = " ".join(text.lower().split())
    business_hours = bool(_HOURS.search(" " + sentence))
    sentence = _HOURS.sub("", " " + sentence).strip()
    pending = 0.0
    found = _PENDING.search(" " + sentence)
    if found:
        pending = parse_duration(found.group("pending"), "how long it must hold (`for 2m`)")
        sentence = _PENDING.sub("", " " + sentence, count=1).strip()
    if _NO_AGENT.match(sentence):
        figure, threshold = "available", 1.0
    else:
        match = _OPERATOR.match(sentence)
        if match is None:
            raise BadArgument(
                f"I cannot read {echo(text, limit=60)} as an alert. Write the figure, `>` and a threshold, e.g. "
                + ", ".join(code(e) for e in EXAMPLES)
                + "."
            )
        figure = next((name for pattern, name in _FIGURE_WORDS if pattern.match(match.group("figure"))), "")
        if not figure:
            raise BadArgument(
                f"{echo(match.group('figure'), limit=30)} is not a figure I watch; alerts can watch "
                f"{code('queue')}, {code('wait')}, {code('first response today')}, {code('abandoned today')} "
                f"and {code('no agent available')}."
            )
        threshold = _threshold(figure, match.group("value"))
    level = None
    if recovery is not None:
        if figure == "available":
            raise BadArgument("`no agent available` resolves as soon as one agent is available; drop `recover=`.")
        level = _threshold(figure, recovery)
        if level >= threshold:
            raise BadArgument(
                f"{code('recover=')} must be below the threshold ({value_text(figure, threshold)}) so the alert "
                f"can clear; got {echo(recovery, limit=20)}."
            )
    every = parse_duration(remind, "reminders (`every=30m`)") if remind is not None else None
    if every is not None and every < 60:
        raise BadArgument(f"Reminders at most once a minute; {echo(remind or '', limit=20)} is too often.")
    return Condition(figure, threshold, pending, level, business_hours, department, every)


def value_text(figure: str, value: float) -> str:
    unit = FIGURES[figure].unit
    if unit == "seconds":
        return duration(value)
    if unit == "percent":
        return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"
    return number(int(value)) if value == int(value) else f"{value:g}"


def describe(condition: Condition) -> str:
    """The condition as a sentence again, the way `parse_condition` reads it (markup-safe: only our words)."""
    if condition.figure == "available":
        text = "no agent available"
    else:
        words = {"queue": "queue", "wait": "wait", "first_response": "first response today", "abandoned": "abandoned"}
        text = f"{words[condition.figure]} > {value_text(condition.figure, condition.threshold)}"
        if condition.figure == "abandoned":
            text = text.replace("abandoned >", "abandoned today >")
    if condition.pending:
        text += f" for {duration(condition.pending)}"
    if condition.business_hours:
        text += " during business hours"
    return text
