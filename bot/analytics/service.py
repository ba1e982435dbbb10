"""What the commands ask Rocket.Chat, and the typed results they render.

One request per figure set, issued concurrently: the period, the previous period for the deltas,
and the conversation count a chart or agent table rests on. Departments are looked up by name
(case-insensitive) and cached briefly. Values stay as Rocket.Chat sent them (`HH:MM:SS`, "71.43%",
numbers) plus a numeric reading, so replies can both quote and compare them.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.analytics.metrics import Metric
from bot.dates.grammar import DateRange, previous_period
from bot.errors import BadArgument, InvalidResponse
from bot.replies.figures import parse_hhmmss
from bot.replies.markup import code, escape

Json = dict[str, Any]


CLOSED_PERIOD_TTL = timedelta(seconds=60)


class AnalyticsSource(Protocol):
    async def overview(self, name: str, start: date, end: date, department_id: str | None = None) -> list[Json]: ...

    async def agent_overview(self, name: str, start: date, end: date, department_id: str | None = None) -> Json: ...

    async def charts_data(self, chart_name: str, start: date, end: date, department_id: str | None = None) -> Json: ...

    async def departments(self) -> list[Json]: ...


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    enabled: bool = True


@dataclass(frozen=True)
class Figures:
    """One overview section: title key -> value as Rocket.Chat sent it."""

    values: dict[str, Any]

    def number(self, key: str) -> float | None:
        return numeric(self.values.get(key))


@dataclass(frozen=True)
class OverviewReport:
    range: DateRange
    previous: DateRange
    department: Department | None
    sections: dict[str, Figures]  # "Conversations" / "Productivity" -> figures
    previous_sections: dict[str, Figures]
    conversations: int  # how many conversations the figures rest on


@dataclass(frozen=True)
class ChartReport:
    metric: Metric
    range: DateRange
    department: Department | None
    labels: list[str]
    points: list[float]
    conversations: int


@dataclass(frozen=True)
class AgentRow:
    agent: str
    shown: str  # the value as Rocket.Chat sent it
    value: float | None  # its numeric reading (seconds, percent or count)


@dataclass(frozen=True)
class AgentsReport:
    metric: Metric
    range: DateRange
    department: Department | None
    column: str
    rows: list[AgentRow]
    conversations: int


def numeric(value: Any) -> float | None:
    """A number from Rocket.Chat's value shapes: 42, "6.00", "71.43%", "00:01:12"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if ":" in text:
            return parse_hhmmss(text)
        try:
            return float(text.rstrip("%"))
        except ValueError:
            return None
    return None


class AnalyticsService:
    def __init__(
        self,
        source: AnalyticsSource,
        *,
        department_ttl: float = 300.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        tz: str = "UTC",
    ) -> None:
        self.source = source
        self.tz = ZoneInfo(tz)  # the zone date ranges are resolved in ([bot] timezone)
        self.clock = clock
        self._department_ttl = timedelta(seconds=department_ttl)
        self._departments: tuple[datetime, list[Department]] | None = None
        self._closed: dict[tuple[Any, ...], tuple[datetime, list[Json]]] = {}

    async def departments(self) -> list[Department]:
        now = self.clock()
        if self._departments is not None and self._departments[0] > now:
            return self._departments[1]
        found = []
        for doc in await self.source.departments():
            if isinstance(doc.get("_id"), str) and isinstance(doc.get("name"), str):
                found.append(Department(doc["_id"], doc["name"], bool(doc.get("enabled", True))))
        found.sort(key=lambda d: d.name.lower())
        self._departments = (now + self._department_ttl, found)
        return found

    async def department(self, name: str | None) -> Department | None:
        """The department named (case-insensitive, exact), or None when no name was given."""
        return None if name is None else await self.require_department(name)

    async def require_department(self, name: str) -> Department:
        """The department named; none or several matches raise BadArgument with suggestions."""
        departments = await self.departments()
        wanted = name.strip().lower()
        exact = [d for d in departments if d.name.lower() == wanted]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            ids = ", ".join(code(d.id) for d in exact)
            raise BadArgument(
                f"Several departments are called “{escape(name, limit=40)}” ({ids}); rename one in "
                "Omnichannel → Departments so they can be told apart."
            )
        partial = [d.name for d in departments if wanted in d.name.lower()]
        close = partial or difflib.get_close_matches(name, [d.name for d in departments], n=3, cutoff=0.5)
        quoted = ", ".join(code(f'dept="{n}"' if " " in n else f"dept={n}") for n in close[:3])
        hint = f" Did you mean {quoted}?" if close else ""
        listing = ", ".join(d.name for d in departments) or "none"
        raise BadArgument(f"There is no department “{escape(name, limit=40)}”.{hint} Departments: {listing}.")

    async def figures(self, section: str, rng: DateRange, department: Department | None) -> Figures:
        """One overview section ("Conversations" or "Productivity") for one range."""
        return _figures(await self._overview(section, rng, department), section)

    async def _overview(self, section: str, rng: DateRange, department: Department | None) -> list[Json]:
        """Overview rows; a period that ended before today is kept for CLOSED_PERIOD_TTL, as Rocket.Chat's own
        `mem` cache keeps any answer for 60 s: the previous period of every comparison costs no second call."""
        key = (section, rng.start, rng.end, _id(department))
        now = self.clock()
        hit = self._closed.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        rows = await self.source.overview(section, rng.start, rng.end, _id(department))
        if rng.end < now.astimezone(self.tz).date():  # ended before today where ranges are resolved
            if len(self._closed) > 256:
                self._closed.clear()
            self._closed[key] = (now + CLOSED_PERIOD_TTL, rows)
        return rows

    async def _count(self, rng: DateRange, department: Department | None) -> int:
        figures = await self.figures("Conversations", rng, department)
        return int(figures.number("Total_conversations") or 0)

    async def overview(
        self, sections: tuple[str, ...], rng: DateRange, department: Department | None
    ) -> OverviewReport:
        previous = previous_period(rng)
        wanted = tuple(dict.fromkeys(("Conversations", *sections)))  # the count always comes from Conversations
        calls = [
            self.source.overview(name, r.start, r.end, _id(department)) for r in (rng, previous) for name in wanted
        ]
        results = await asyncio.gather(*calls)
        current = {name: _figures(rows, name) for name, rows in zip(wanted, results[: len(wanted)], strict=True)}
        before = {name: _figures(rows, name) for name, rows in zip(wanted, results[len(wanted) :], strict=True)}
        count = int(current["Conversations"].number("Total_conversations") or 0)
        return OverviewReport(
            rng,
            previous,
            department,
            {k: v for k, v in current.items() if k in sections},
            {k: v for k, v in before.items() if k in sections},
            count,
        )

    async def chart(self, metric: Metric, rng: DateRange, department: Department | None) -> ChartReport:
        body, count = await asyncio.gather(
            self.source.charts_data(metric.name, rng.start, rng.end, _id(department)), self._count(rng, department)
        )
        labels, points = body.get("dataLabels"), body.get("dataPoints")
        if not isinstance(labels, list) or not isinstance(points, list) or len(labels) != len(points):
            raise InvalidResponse("charts-data answered without matching dataLabels and dataPoints")
        values = [numeric(p) for p in points]
        return ChartReport(metric, rng, department, [str(x) for x in labels], [v or 0.0 for v in values], count)

    async def agents(self, metric: Metric, rng: DateRange, department: Department | None) -> AgentsReport:
        body, count = await asyncio.gather(
            self.source.agent_overview(metric.name, rng.start, rng.end, _id(department)), self._count(rng, department)
        )
        head, data = body.get("head"), body.get("data")
        if not isinstance(data, list) or not isinstance(head, list):
            raise InvalidResponse("agent-overview answered without head and data")
        column = str(head[1].get("name")) if len(head) > 1 and isinstance(head[1], dict) else metric.name
        rows = [
            AgentRow(str(item.get("name", "?")), str(item.get("value")), numeric(item.get("value")))
            for item in data
            if isinstance(item, dict)
        ]
        # Ranked as a person expects, numerically (Rocket.Chat's own sort compares parseFloat("00:01:40")).
        missing = float("inf")
        rows.sort(
            key=lambda r: (r.value is None, -(r.value or 0) if metric.agents_descending else (r.value or missing))
        )
        return AgentsReport(metric, rng, department, column, rows, count)


def _id(department: Department | None) -> str | None:
    return department.id if department else None


def _figures(rows: list[Json], name: str) -> Figures:
    values: dict[str, Any] = {}
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("title"), str):
            values[row["title"]] = row.get("value")
    if not values:
        raise InvalidResponse(f"the {name} overview came back without figures")
    return Figures(values)
