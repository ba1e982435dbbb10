"""What an incident looks like in the room: the opening message (edited in place while it lasts), a reminder, the
resolution reply in its thread, and the original marked resolved.

Times are the bot's zone; a day other than today is named. Durations are shown to the minute so the message is
edited at most about once a minute (an edit happens only when the text changes). Department and agent names
come from the server and go through `echo`; the only mentions are the alert's `notify` list, written by
`mentions()`, so nobody is mentioned by a name the server sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.alerts.core import Condition
from bot.alerts.grammar import describe, value_text
from bot.analytics.live import AVAILABLE, Agents, Queue, Snapshot
from bot.replies.figures import duration
from bot.replies.markup import echo

__all__ = ["Context", "mentions", "open_text", "remind_text", "resolved_reply", "resolved_text"]

MAX_NAMES = 8


@dataclass(frozen=True)
class Context:
    """Who to look at, from the snapshot the value came from."""

    longest_wait: float | None  # seconds the longest-waiting visitor has waited; None: nobody waits
    available: tuple[str, ...] | None  # available agents' usernames; None: names not readable
    available_count: int | None

    @classmethod
    def of(cls, snapshot: Snapshot | None) -> Context:
        if snapshot is None:
            return cls(None, None, None)
        wait = None
        if isinstance(snapshot.queue, Queue) and snapshot.queue.oldest is not None:
            wait = max(0.0, (snapshot.now - snapshot.queue.oldest).total_seconds())
        names, count = None, None
        if isinstance(snapshot.agents, Agents):
            count = snapshot.agents.counts.get(AVAILABLE, 0)
            if isinstance(snapshot.agents.names, tuple):
                names = tuple(a.username for a in snapshot.agents.names if a.bucket == AVAILABLE)
        return cls(wait, names, count)

    def lines(self) -> str:
        wait = f"longest-waiting visitor {_minutes(self.longest_wait)}" if self.longest_wait else "nobody waiting"
        if self.available is not None:
            shown = ", ".join(echo(n, limit=30) for n in self.available[:MAX_NAMES]) or "none"
            more = f" and {len(self.available) - MAX_NAMES} more" if len(self.available) > MAX_NAMES else ""
            agents = f"agents available: {shown}{more}"
        elif self.available_count is not None:
            agents = f"agents available: {self.available_count}"
        else:
            agents = "agents available: unknown"
        return f"{wait[0].upper()}{wait[1:]} · {agents}"


def mentions(notify: tuple[str, ...]) -> str:
    """`cc @jane @here` for the alert's notify list (validated when the alert was made), or nothing."""
    return ("cc " + " ".join("@" + n.lstrip("@") for n in notify)) if notify else ""


def _when(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{local:%a %d %b %H:%M}"


def _head(alert_id: int, condition: Condition) -> str:
    where = f" · department {echo(condition.department, limit=40)}" if condition.department else ""
    return f"*Alert {alert_id}* · {describe(condition)}{where}"


def _minutes(seconds: float) -> str:
    return duration(max(60.0, seconds // 60 * 60)) if seconds >= 60 else "under a minute"


def open_text(
    alert_id: int,
    condition: Condition,
    *,
    started: datetime,
    now: datetime,
    value: float,
    peak: float,
    context: Context,
    zone: ZoneInfo,
    notify: tuple[str, ...] = (),
    unwatched_since: datetime | None = None,
) -> str:
    """The incident message while it lasts (posted once, then edited in place)."""
    figure, spec = condition.figure, condition.spec
    level = "threshold" if spec.above else "needs at least"
    current = f"*{spec.label}* {value_text(figure, value)} ({level} {value_text(figure, condition.threshold)})"
    if peak != value:
        current += f" · {'peak' if spec.above else 'lowest'} {value_text(figure, peak)}"
    lines = [
        f":rotating_light: {_head(alert_id, condition)}",
        f"{current} · since {_when(started, now, zone)}, {_minutes((now - started).total_seconds())} so far",
        context.lines(),
    ]
    if unwatched_since is not None:
        lines.append(
            f"_The bot was not watching from {_when(unwatched_since, now, zone)}: this may have begun earlier._"
        )
    tail = mentions(notify)
    if tail:
        lines.append(tail)
    return "\n".join(lines)


def remind_text(
    condition: Condition, *, started: datetime, now: datetime, value: float, notify: tuple[str, ...]
) -> str:
    text = (
        f"Still going: {condition.spec.label.lower()} {value_text(condition.figure, value)} for "
        f"{_minutes((now - started).total_seconds())}."
    )
    tail = mentions(notify)
    return f"{text} {tail}" if tail else text


def resolved_text(
    alert_id: int, condition: Condition, *, started: datetime, ended: datetime, peak: float, zone: ZoneInfo
) -> str:
    """The original message once the incident is over (edited in place)."""
    word = "peaked at" if condition.spec.above else "lowest"
    return "\n".join(
        (
            f":white_check_mark: *Resolved* · {_head(alert_id, condition)}",
            f"*{condition.spec.label}* {word} {value_text(condition.figure, peak)} · from "
            f"{_when(started, ended, zone)} to {_when(ended, ended, zone)} "
            f"({_minutes((ended - started).total_seconds())})",
        )
    )


def resolved_reply(
    condition: Condition,
    *,
    started: datetime,
    ended: datetime,
    value: float,
    reason: str,
    zone: ZoneInfo,
    unwatched_since: datetime | None = None,
) -> str:
    """The reply in the incident's thread: that it resolved, why, and how long it lasted."""
    lasted = _minutes((ended - started).total_seconds())
    if reason == "hours ended":
        text = f"Business hours ended; closing this incident at {_when(ended, ended, zone)} after {lasted}."
    elif reason == "removed":
        text = f"The alert was removed; closing this incident at {_when(ended, ended, zone)} after {lasted}."
    else:
        back = "at or below" if condition.spec.above else "at or above"
        text = (
            f"Resolved at {_when(ended, ended, zone)} after {lasted}: {condition.spec.label.lower()} "
            f"{value_text(condition.figure, value)}, {back} the recovery level "
            f"{value_text(condition.figure, condition.recovery_level)}."
        )
    if unwatched_since is not None:
        text += f" _The bot was not watching from {_when(unwatched_since, ended, zone)}: it may have cleared earlier._"
    return text
