"""The typed results of live operations (`!now`) and of a period's Real-time Monitoring figures, with how
each reads in a reply; `live.py` asks Rocket.Chat for them (its docstring says what each figure measures)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.analytics.service import Department
from bot.dates.grammar import DateRange
from bot.replies.figures import duration, number
from bot.rocketchat.live import AgentRecord, LiveRoom, Version

AVAILABLE, AWAY, BUSY, OFF = "available", "away", "busy", "offline or not taking chats"
BUCKETS = (AVAILABLE, AWAY, BUSY, OFF)
QUEUE, NAMES, ROOMS, DASHBOARDS, HOURLY = "queue", "agents' names", "chats", "dashboards", "hourly comparison"


@dataclass(frozen=True)
class Unavailable:
    """A figure this server or this account does not give, and why (said in the reply instead of it)."""

    why: str


@dataclass(frozen=True)
class Capabilities:
    version: Version | None
    edition: str  # "Community", "Enterprise" or "unknown"
    edition_why: str
    missing: dict[str, str]  # feature -> why it is not asked

    def has(self, feature: str) -> bool:
        return feature not in self.missing


@dataclass(frozen=True)
class Queue:
    waiting: int
    oldest: datetime | None  # when the longest-waiting chat opened
    by_department: tuple[tuple[str, int], ...]  # name, waiting (most first); empty for one department


@dataclass(frozen=True)
class AgentLine:
    username: str
    bucket: str
    chats: int | None  # open + on hold; None when the rooms cannot be listed
    on_hold: int


@dataclass(frozen=True)
class Agents:
    counts: dict[str, int]  # bucket -> agents
    names: tuple[AgentLine, ...] | Unavailable


@dataclass(frozen=True)
class Chats:
    open: int
    on_hold: int
    by_department: tuple[tuple[str, int, int], ...]  # name, open, on hold


@dataclass(frozen=True)
class QueueWait:
    chats: int  # chats taken
    average: float | None
    longest: float | None


@dataclass(frozen=True)
class HourlyComparison:
    hours: int  # full hours compared, from local midnight
    today: int
    before: int
    day: date  # the day compared with


@dataclass(frozen=True)
class Today:
    day: date
    conversations: int
    first_response: float | None  # seconds; None: no chat answered yet
    abandoned: int
    comparison: HourlyComparison | Unavailable
    queue_wait: QueueWait | Unavailable

    @property
    def abandoned_share(self) -> float | None:
        return 100 * self.abandoned / self.conversations if self.conversations else None


@dataclass(frozen=True)
class Snapshot:
    department: Department | None
    now: datetime
    queue: Queue | Unavailable
    agents: Agents | Unavailable
    chats: Chats | Unavailable
    today: Today | Unavailable
    as_of: datetime


@dataclass(frozen=True)
class PeriodFigures:
    """The Real-time Monitoring figures of whole days, for `!overview` and the digests."""

    range: DateRange
    department: Department | None
    conversations: int
    visitors: int  # Total_visitors: visitors whose record changed in the period — not new visitors
    abandoned: int
    chat_duration: float | None  # mean over closed chats (charts/timings: avg of chatDuration)
    longest_chat: float | None
    longest_first_response: float | None  # charts/timings response.longest is the longest *first* response
    service_time: float | None  # Avg_of_service_time: taken → last agent message, mean of department means
    available_time: float | None  # Avg_of_available_service_time, one day only (None for longer ranges)
    queue_wait: QueueWait | Unavailable
    as_of: datetime

    @property
    def abandoned_share(self) -> float | None:
        return 100 * self.abandoned / self.conversations if self.conversations else None

    def lines(self) -> list[str]:
        """One bullet per group of figures, each named for what it measures (see `!help now`)."""
        lines = []
        if isinstance(self.queue_wait, QueueWait) and self.queue_wait.chats:
            lines.append(f"• Queue wait: {wait_text(self.queue_wait)}")
        share = self.abandoned_share
        lines.append(
            f"• Abandoned (visitor silent past the inactivity timeout): {number(self.abandoned)}"
            + (f" of {number(self.conversations)} ({share:.0f}%)" if share is not None else "")
        )
        lines.append(f"• Visitors active: {number(self.visitors)}")
        if self.chat_duration and self.longest_chat:
            closed = f"avg {duration(self.chat_duration)}, longest {duration(self.longest_chat)}"
            lines.append(f"• Chat duration, closed chats: {closed}")
        if self.longest_first_response:
            lines.append(f"• Longest first response: {duration(self.longest_first_response)}")
        agents = []
        if self.available_time:
            agents.append(f"available for chats {duration(self.available_time)} on average")
        if self.service_time:
            agents.append(f"service time {duration(self.service_time)} (taken → last agent reply)")
        if agents:
            lines.append("• Agents: " + " · ".join(agents))
        return lines


def wait_text(wait: QueueWait) -> str:
    """ "avg 45s, longest 3m 10s (12 chats taken)" or "no chat taken yet"."""
    if not wait.chats or wait.average is None or wait.longest is None:
        return "no chat taken yet"
    taken = f"{number(wait.chats)} chat{'s' if wait.chats != 1 else ''} taken"
    return f"avg {duration(wait.average)}, longest {duration(wait.longest)} ({taken})"


def bucket(agent: AgentRecord) -> str:
    """The agent's bucket (module docstring)."""
    if agent.service != "available":
        return OFF
    return {"online": AVAILABLE, "away": AWAY, "busy": BUSY}.get(agent.status or "offline", OFF)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A local day's first and last instant (as Rocket.Chat's web UI asks: start and end of the day)."""
    return datetime.combine(day, time(), tz), datetime.combine(day, time(23, 59, 59, 999000), tz)


def queue_wait(rooms: Sequence[LiveRoom]) -> QueueWait:
    waits = [
        max(0.0, (room.taken - (room.queued or room.opened)).total_seconds())
        for room in rooms
        if room.taken is not None
    ]
    if not waits:
        return QueueWait(0, None, None)
    return QueueWait(len(waits), sum(waits) / len(waits), max(waits))
