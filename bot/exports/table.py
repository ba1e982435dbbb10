"""The rows of an export, as plain values: one table per file, built from typed Rocket.Chat data.

A table is what both writers (CSV, Excel) render, so the two formats can never disagree on a row. Cells are
text, numbers (counts and seconds, as numbers a spreadsheet can sum), aware instants or a chart's hours
(`LocalHour`), both written as ISO 8601 with the offset of the bot's time zone, or empty. Nothing here talks
to Rocket.Chat.

Columns of the conversations export (one row per `livechat/rooms` item, rocketchat-live-ops.md §2):
conversation id and a link to it (`/live/<rid>`, Rocket.Chat's route for an Omnichannel room, client
`getLivechatRoomType`), started (`ts`), closed (`closedAt`), status, department, agent (`servedBy`), visitor
(its id; name and phone only when personal data are switched on), messages (`msgs`), first response
(`metrics.response.ft`), average response (`metrics.response.avg`), reaction (`metrics.reaction.ft`), chat
duration (`metrics.chatDuration`), waiting time (client `formatQueuedAt`), tags, source (`source.type`) and
rating (`surveyFeedback.satisfaction`). The visitor's token is never exported: it lets anyone act as the
visitor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.analytics.service import AgentsReport, ChartReport
from bot.replies.figures import day_text, label
from bot.replies.markup import echo
from bot.rocketchat.rooms import LivechatRoom

__all__ = [
    "Cell",
    "Column",
    "LocalHour",
    "Table",
    "agents_table",
    "bucket_day",
    "chart_table",
    "conversation_columns",
    "conversation_row",
    "conversations_table",
    "room_link",
]

Kind = Literal["text", "number", "time"]


@dataclass(frozen=True)
class LocalHour:
    """The `index`-th hourly bucket of a one-day chart of `day`. Rocket.Chat's hourly buckets start at local
    midnight in the reporting zone and follow each other by one real hour (rocketchat-analytics.md §3.4), so
    the 24th bucket of a 23-hour day is the next day's first hour. A writer places it in the bot's zone, which
    the replies name the hours in, and writes its start with that zone's offset."""

    day: date
    index: int

    def start(self, zone: ZoneInfo) -> datetime:
        midnight = datetime.combine(self.day, time(0), tzinfo=zone).astimezone(UTC)
        return (midnight + timedelta(hours=self.index)).astimezone(zone)


Cell = str | int | float | datetime | LocalHour | None


@dataclass(frozen=True)
class Column:
    title: str  # the header, in words a person reads
    kind: Kind
    zoned: bool = False  # the writer adds the zone it writes the column's times in: "Start (Europe/Berlin)"


@dataclass(frozen=True)
class Table:
    """`columns` and `rows` (each a tuple as long as `columns`); `sheet` names the Excel sheet."""

    sheet: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]]

    def __post_init__(self) -> None:
        width = len(self.columns)
        for number, row in enumerate(self.rows, start=1):
            if len(row) != width:
                raise ValueError(f"row {number} has {len(row)} cells for {width} columns")

    def slice(self, start: int, stop: int) -> Table:
        return Table(self.sheet, self.columns, self.rows[start:stop])


def _seconds(value: float | None) -> float | None:
    """Seconds kept to the millisecond Rocket.Chat measures them in."""
    return None if value is None else round(value, 3)


def room_link(base_url: str, rid: str) -> str:
    return f"{base_url.rstrip('/')}/live/{quote(rid, safe='')}"


def conversation_columns(*, visitor_details: bool) -> tuple[Column, ...]:
    visitor = (
        (Column("Visitor ID", "text"), Column("Visitor name", "text"), Column("Visitor phone", "text"))
        if visitor_details
        else (Column("Visitor ID", "text"),)
    )
    return (
        Column("Conversation ID", "text"),
        Column("Link", "text"),
        Column("Started", "time"),
        Column("Closed", "time"),
        Column("Status", "text"),
        Column("Department", "text"),
        Column("Agent", "text"),
        *visitor,
        Column("Messages", "number"),
        Column("First response (s)", "number"),
        Column("Average response (s)", "number"),
        Column("Reaction time (s)", "number"),
        Column("Chat duration (s)", "number"),
        Column("Waiting time (s)", "number"),
        Column("Tags", "text"),
        Column("Source", "text"),
        Column("Rating", "number"),
    )


def conversation_row(
    room: LivechatRoom,
    *,
    base_url: str,
    now: datetime,
    departments: Mapping[str, str],
    visitor_details: bool,
) -> tuple[Cell, ...]:
    """One conversation's cells, in `conversation_columns` order. `departments` (id -> name) names a department
    the list did not (a room whose department was deleted keeps its id)."""
    department = room.department_name or (
        departments.get(room.department_id, room.department_id) if room.department_id else None
    )
    visitor: tuple[Cell, ...] = (
        (room.visitor_id, room.visitor_name, room.visitor_phone) if visitor_details else (room.visitor_id,)
    )
    return (
        room.id,
        room_link(base_url, room.id),
        room.started,
        room.closed,
        room.status,
        department,
        room.agent,
        *visitor,
        room.messages,
        _seconds(room.first_response),
        _seconds(room.average_response),
        _seconds(room.reaction),
        _seconds(room.chat_duration),
        _seconds(room.waiting_seconds(now)),
        "; ".join(room.tags) or None,
        room.source,
        room.rating,
    )


def conversations_table(
    rooms: Iterable[LivechatRoom],
    *,
    base_url: str,
    now: datetime,
    departments: Mapping[str, str] | None = None,
    visitor_details: bool = False,
) -> Table:
    names = departments or {}
    rows = [
        conversation_row(room, base_url=base_url, now=now, departments=names, visitor_details=visitor_details)
        for room in rooms
    ]
    return Table("Conversations", conversation_columns(visitor_details=visitor_details), rows)


def bucket_day(bucket: str, start: date, end: date) -> date | None:
    """The day an "M/D" chart bucket stands for (None for any other label): of the years it could be in, the
    one nearest the range, which it may sit a day before or after, as multi-day buckets are aligned to UTC days
    (rocketchat-analytics.md §3.4), and which may cross New Year."""
    found = re.fullmatch(r"(\d{1,2})/(\d{1,2})", bucket.strip())
    if found is None:
        return None
    month, day = int(found[1]), int(found[2])
    candidates = []
    for year in range(start.year - 1, end.year + 2):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    middle = start + (end - start) / 2
    return min(candidates, key=lambda d: abs((d - middle).days))


def chart_table(report: ChartReport) -> Table:
    """The series behind `!chart`, bucket for bucket as the reply and its picture show it (`report.buckets`):
    the bucket's name ("Mon 16 Nov", "2PM-3PM"), when it is, and its value (seconds for time charts). A bucket
    where a time metric has no data is an empty cell, not Rocket.Chat's 0, which would read as instant replies;
    hours and days still to come are left out, as in the reply.

    When: a day's ISO date; an hour's start in the bot's zone with its offset (`LocalHour`), which also tells
    apart the two hours named "12AM-1AM" on the day clocks go forward."""
    unit = " (s)" if report.metric.is_time else ""
    value = Column(label(report.metric.name) + unit, "number")
    rows: list[tuple[Cell, ...]]
    if report.hourly:
        columns = (Column("Hour", "text"), Column("Start", "time", zoned=True), value)
        rows = [
            (bucket.label, LocalHour(report.range.start, index), _seconds(bucket.value))
            for index, bucket in enumerate(report.buckets)
        ]
    else:
        columns = (Column("Day", "text"), Column("Date", "text"), value)
        sources = _bucket_sources(report)
        rows = [
            (name, day.isoformat() if day else None, _seconds(bucket.value))
            for bucket, (name, day) in zip(report.buckets, sources, strict=True)
        ]
    return Table(_sheet(label(report.metric.name)), columns, rows)


def _bucket_sources(report: ChartReport) -> list[tuple[str, date | None]]:
    """For each of a day chart's buckets, its name and the day of the Rocket.Chat bucket it was named from.

    The buckets are Rocket.Chat's, in order, less days still to come; each is paired with the next label that
    gives its name (`day_text` of its day; a label that is no "M/D" is named as the server wrote it, and is
    exported as such rather than as chat markup)."""
    start, end = report.range.start, report.range.end
    labels = [(raw, bucket_day(raw, start, end)) for raw in report.labels]
    sources: list[tuple[str, date | None]] = []
    position = 0
    for bucket in report.buckets:
        while position < len(labels):
            raw, day = labels[position]
            position += 1
            if day is not None and day_text(day) == bucket.label:
                sources.append((bucket.label, day))
                break
            if day is None and echo(raw, limit=20) == bucket.label:
                sources.append((raw, None))
                break
        else:
            sources.append((bucket.label, None))
    return sources


def agents_table(report: AgentsReport) -> Table:
    """The table behind `!agents`, ranked as the reply ranks it: the value as a number (seconds, percent of
    conversations, or messages) beside Rocket.Chat's own text for it."""
    is_time = report.metric.is_time
    unit = " (s)" if is_time else (" (%)" if report.column.startswith("%") else "")
    title = label(report.column).removeprefix("% of ").capitalize() if unit == " (%)" else label(report.column)
    rows: list[tuple[Cell, ...]] = [
        (rank, row.agent, None if row.value is None else round(row.value, 3), row.shown)
        for rank, row in enumerate(report.rows, start=1)
    ]
    columns = (
        Column("Rank", "number"),
        Column("Agent", "text"),
        Column(title + unit, "number"),
        Column("As Rocket.Chat shows it", "text"),
    )
    return Table(_sheet(f"{label(report.metric.name)} by agent"), columns, rows)


def _sheet(name: str) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip()
    return cleaned[:31] or "Export"
