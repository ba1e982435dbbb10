"""What the commands and digests ask Rocket.Chat, and the typed results they render.

Every question goes through one shared layer (`sharing.CoalescingSource`): identical questions share a
request, answers are kept briefly, rate limits are waited out, and each answer says when it was read, so
each report carries `as_of` — the read time of the oldest answer its figures rest on. The requests of one
report are issued concurrently: the period, what its changes are against (`baseline`, `compare`: like with
like, never a running day against a whole one), and the conversation count a chart or agent table rests on.
Departments are looked up by name (case-insensitive). Values stay as Rocket.Chat sent them (`HH:MM:SS`,
"71.43%", numbers) plus a numeric reading, so replies can both quote and compare them.
"""

from __future__ import annotations

import asyncio
import difflib
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.analytics.buckets import by_day, hours_before, named_buckets
from bot.analytics.cache import Read, utc_now
from bot.analytics.metrics import Metric
from bot.analytics.sharing import Ages, AnalyticsSource, CoalescingSource, Question, oldest
from bot.dates.grammar import DateRange, previous_period
from bot.errors import BadArgument, InvalidResponse
from bot.replies.figures import Point, parse_hhmmss
from bot.replies.markup import echo

__all__ = [
    "AgentRow",
    "AgentsReport",
    "AnalyticsService",
    "AnalyticsSource",
    "Baseline",
    "ChartReport",
    "Comparison",
    "Department",
    "Figures",
    "OverviewReport",
    "as_of_text",
    "baseline",
    "numeric",
    "ranking_order",
]

Json = dict[str, Any]
_HOUR = timedelta(hours=1)
_MONTH_DAY = re.compile(r"(\d{1,2})/(\d{1,2})")
# The times the Productivity overview averages itself (rocketchat-analytics.md §3.3).
PRODUCTIVITY = ("Avg_response_time", "Avg_first_response_time", "Avg_reaction_time")


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    enabled: bool = True


@dataclass(frozen=True)
class Figures:
    """One overview section: title key -> value as Rocket.Chat sent it, read at `as_of`."""

    values: dict[str, Any]
    as_of: datetime | None = None

    def number(self, key: str) -> float | None:
        return numeric(self.values.get(key))


@dataclass(frozen=True)
class Baseline:
    """What a period's figures are compared with: `range` and, in words, `why` that one ("the same weekday a
    week earlier"). `until`: the period ends today, which is still running, at this hour (reporting zone); a
    running day is never compared with a whole one (see `AnalyticsService.compare`)."""

    range: DateRange
    why: str
    until: int | None = None


@dataclass(frozen=True)
class Comparison:
    """Figures of a period and of its baseline measured alike: `pairs` maps a figure's key to (this period's,
    the baseline's). For a period running today, `counted_until` is the hour up to which conversations were
    counted on the last day of both (from the hourly charts), and `whole` the complete days (this period's,
    the baseline's) the other figures were compared over; a key without a pair has no fair comparison yet."""

    baseline: Baseline
    pairs: dict[str, tuple[float, float]]
    counted_until: int | None = None
    whole: tuple[DateRange, DateRange] | None = None


@dataclass(frozen=True)
class OverviewReport:
    range: DateRange
    department: Department | None
    sections: dict[str, Figures]  # "Conversations" / "Productivity" -> figures
    comparison: Comparison  # the changes, against `comparison.baseline`
    conversations: int  # how many conversations the figures rest on
    as_of: datetime  # when the figures for `range` were read (the oldest of them)


@dataclass(frozen=True)
class ChartReport:
    """A chart as Rocket.Chat sent it (`labels`, `points`: its "M/D" or hour labels, 0 for empty buckets) and as
    the replies show it (`buckets`: named by the bot, gaps as None, no future hours; see buckets.py)."""

    metric: Metric
    range: DateRange
    department: Department | None
    labels: list[str]
    points: list[float]
    conversations: int
    as_of: datetime
    buckets: list[Point]
    hourly: bool  # one day: a bucket an hour
    average: float | None  # Rocket.Chat's own average of the metric for the period, where it has one


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
    rows: list[AgentRow]  # in the order `order` says
    conversations: int
    as_of: datetime
    order: str  # how the rows are ranked, in words ("fastest first"): see `ranking_order`


# How people rank agents on each metric, in words for the reply. Times a customer waits (first response,
# response, reaction) are better shorter: fastest first. A chat's duration is neither better nor worse longer (a
# long chat may be a hard case well handled), so it is ranked by its value, longest first as Rocket.Chat does,
# and the reply says that the order is no verdict. Counts: most first.
_ORDERS = {
    "Total_conversations": "by share of conversations, largest first",
    "Total_messages": "by messages, most first",
    "Avg_chat_duration": "by average chat duration, longest first: a longer chat is neither better nor worse",
}


def as_of_text(when: datetime, tz: str) -> str:
    """`as of 10:42`: when figures were read, on the clock of the time zone the reply speaks in."""
    return f"as of {when.astimezone(ZoneInfo(tz)):%H:%M}"


def baseline(rng: DateRange, now: datetime, tz: ZoneInfo) -> Baseline:
    """What `rng` is compared with, so that like is compared with like.

    Weekdays differ (a Monday is not a Sunday), so a range of up to seven days (a day, a week so far, "since
    monday", a weekend, a week, the last 7 days) is compared with the same weekdays a week earlier. A calendar
    month, quarter or year, and anything longer than a week, is compared with the period before it
    (`previous_period`: the same days of the previous month while this one runs). `until` is set when `rng`
    ends today in `tz` at `now`: that day is in progress."""
    local = now.astimezone(tz)
    until = local.hour if rng.partial and rng.end == local.date() else None
    if rng.grain in ("month", "quarter", "year") or rng.days > 7:
        before = previous_period(rng)
        if rng.grain not in ("month", "quarter", "year"):
            why = f"the {rng.days} days before"
        elif not rng.partial:
            why = f"the previous {rng.grain}"
        elif before.days == rng.days:
            why = f"the same days of the previous {rng.grain}"
        else:  # the 31st of a month after a shorter one
            why = f"the whole previous {rng.grain}"
        return Baseline(before, why, until)
    week = timedelta(days=7)
    before = DateRange(rng.start - week, rng.end - week, "a week earlier", grain="custom")
    if rng.grain in ("week", "weekend") and rng.days == (7 if rng.grain == "week" else 2):
        why = f"the {rng.grain} before"
    elif rng.days == 7:
        why = "the 7 days before"
    else:
        why = "the same weekday a week earlier" if rng.days == 1 else "the same weekdays a week earlier"
    return Baseline(before, why, until)


def ranking_order(metric: Metric) -> str:
    """How `AnalyticsService.agents` ranks agents on `metric`, in words: "fastest first" and the like."""
    if metric.name in _ORDERS:
        return _ORDERS[metric.name]
    if metric.is_time:
        return "longest first" if metric.agents_descending else "fastest first"
    return "most first" if metric.agents_descending else "fewest first"


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
    """Typed reports over one shared layer. Pass a `CoalescingSource` to share it with others (commands,
    digests, live monitoring); any other source is wrapped in one of its own with `ages`, `clock`, `tz`
    (the reporting time zone, which also resolves "closed" periods) and `sleep` (rate-limit waits)."""

    def __init__(
        self,
        source: AnalyticsSource,
        *,
        clock: Callable[[], datetime] = utc_now,
        tz: str = "UTC",
        ages: Ages | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not isinstance(source, CoalescingSource):
            source = CoalescingSource(source, clock=clock, tz=tz, ages=ages, sleep=sleep)
        self.source: CoalescingSource = source
        self.tz = ZoneInfo(tz)  # the zone date ranges are resolved in ([bot] timezone)
        self.clock = clock
        self._departments: tuple[list[Json], list[Department]] | None = None

    async def departments(self) -> list[Department]:
        raw = (await self.source.departments_read()).value
        if self._departments is not None and self._departments[0] is raw:
            return self._departments[1]
        found = []
        for doc in raw:
            if isinstance(doc.get("_id"), str) and isinstance(doc.get("name"), str):
                found.append(Department(doc["_id"], doc["name"], bool(doc.get("enabled", True))))
        found.sort(key=lambda d: d.name.lower())
        self._departments = (raw, found)
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
            ids = ", ".join(echo(d.id, limit=40) for d in exact)
            raise BadArgument(
                f"Several departments are called {echo(name, limit=40)} ({ids}); rename one in "
                "Omnichannel → Departments so they can be told apart."
            )
        partial = [d.name for d in departments if wanted in d.name.lower()]
        close = partial or difflib.get_close_matches(name, [d.name for d in departments], n=3, cutoff=0.5)
        quoted = ", ".join(echo(f'dept="{n}"' if " " in n else f"dept={n}") for n in close[:3])
        hint = f" Did you mean {quoted}?" if close else ""
        listing = ", ".join(echo(d.name, limit=40) for d in departments) or "none"
        raise BadArgument(f"There is no department {echo(name, limit=40)}.{hint} Departments: {listing}.")

    async def figures(self, section: str, rng: DateRange, department: Department | None) -> Figures:
        """One overview section ("Conversations" or "Productivity") for one range."""
        read = await self._overview(section, rng, department)
        return _figures(read.value, section, read.at)

    async def _overview(self, section: str, rng: DateRange, department: Department | None) -> Read[list[Json]]:
        read: Read[list[Json]] = await self.source.ask(
            Question("overview", section, rng.start, rng.end, _id(department))
        )
        return read

    async def overview(
        self, sections: tuple[str, ...], rng: DateRange, department: Department | None
    ) -> OverviewReport:
        """The sections for `rng` and their changes against its `baseline`; `as_of` is that of `rng`'s figures,
        as those are the ones shown (the baseline's are usually closed, and kept longer)."""
        wanted = tuple(dict.fromkeys(("Conversations", *sections)))  # the count always comes from Conversations
        reads, comparison = await asyncio.gather(
            asyncio.gather(*(self._overview(name, rng, department) for name in wanted)),
            self.compare(sections, rng, department, baseline(rng, self.clock(), self.tz)),
        )
        current = {name: _figures(read.value, name, read.at) for name, read in zip(wanted, reads, strict=True)}
        count = int(current["Conversations"].number("Total_conversations") or 0)
        shown = {k: v for k, v in current.items() if k in sections}
        return OverviewReport(rng, department, shown, comparison, count, oldest(*reads))

    async def compare(
        self, sections: tuple[str, ...], rng: DateRange, department: Department | None, base: Baseline
    ) -> Comparison:
        """The figures of `sections` for `rng` and for `base.range`, measured alike.

        Two whole periods: their overviews. A period whose last day is today, still running (`base.until`):
        never against a whole day. Conversations are counted up to the same hour on the last day of both, from
        the hourly charts (a one-day chart has 24 hourly buckets, §3.4), plus the whole days before it from the
        overview. Averages, messages and conversations per day cannot be cut at an hour, so they are compared
        over the whole days before today only, and not at all when today is the only day."""
        if base.until is None:
            reads = await asyncio.gather(
                *(self._overview(name, r, department) for r in (rng, base.range) for name in sections)
            )
            now, before = reads[: len(sections)], reads[len(sections) :]
            return Comparison(base, _pairs(sections, now, before))
        hour, whole = base.until, rng.days - 1
        day = timedelta(days=1)
        heads = None
        if whole:
            last = base.range.end if base.range.days < rng.days else base.range.start + (whole - 1) * day
            heads = (
                DateRange(rng.start, rng.end - day, "the whole days so far", grain="custom"),
                DateRange(base.range.start, last, "the same whole days", grain="custom"),
            )
        # Up to the hour only where the baseline has the same day: a shorter month has no 31st to count.
        counted = "Conversations" in sections and hour > 0 and base.range.days == rng.days
        head_reads = (
            asyncio.gather(*(self._overview(name, r, department) for r in heads for name in sections))
            if heads
            else _nothing()
        )
        hourly = (
            asyncio.gather(
                self._count_until(rng.end, hour, department), self._count_until(base.range.end, hour, department)
            )
            if counted
            else _nothing()
        )
        reads, counts = await asyncio.gather(head_reads, hourly)
        pairs = _pairs(sections, reads[: len(sections)], reads[len(sections) :]) if heads else {}
        counted = counted and None not in counts  # a day answered in whole days cannot be counted to the hour
        if counted:
            before_today = pairs.get("Total_conversations", (0.0, 0.0))
            pairs["Total_conversations"] = (before_today[0] + counts[0], before_today[1] + counts[1])
        return Comparison(base, pairs, hour if counted else None, heads)

    async def _count_until(self, day: date, hour: int, department: Department | None) -> float | None:
        """Conversations created on `day` before `hour`:00, from the day's hourly Total_conversations chart; None
        when Rocket.Chat answered that day in whole days (the 25-hour day the clocks go back, see buckets.py),
        which cannot be cut at an hour."""
        read = await self.source.ask(Question("charts_data", "Total_conversations", day, day, _id(department)))
        labels, points = _series(read.value)
        if by_day(labels):
            return None
        return math.fsum(p or 0.0 for p in points[: hours_before(day, hour, self.tz)])

    async def chart(self, metric: Metric, rng: DateRange, department: Department | None) -> ChartReport:
        """The metric's buckets for `rng`, named and cut as the replies show them (`ChartReport.buckets`).

        Beside the chart it asks: the Conversations overview (the count the chart rests on); for a time metric
        the Total_conversations chart of the same range, whose empty buckets are gaps in the time chart
        (Rocket.Chat reports them as 0, rocketchat-analytics.md §3.4); and for the three Productivity times
        that overview, whose average is Rocket.Chat's own for the period."""
        dept = _id(department)
        asks: list[Awaitable[Read[Any]]] = [
            self.source.ask(Question("charts_data", metric.name, rng.start, rng.end, dept)),
            self._overview("Conversations", rng, department),
        ]
        if metric.is_time:
            asks.append(self.source.ask(Question("charts_data", "Total_conversations", rng.start, rng.end, dept)))
        if metric.name in PRODUCTIVITY:
            asks.append(self._overview("Productivity", rng, department))
        reads = await asyncio.gather(*asks)
        chart, counted = reads[0], reads[1]
        labels, points = _series(chart.value)
        per_bucket = None
        if metric.is_time:
            per_bucket = _series(reads[2].value)[1]
            if len(per_bucket) != len(points):
                raise InvalidResponse("charts-data answered a different number of buckets for Total_conversations")
        average = None
        if metric.name in PRODUCTIVITY:
            average = _figures(reads[-1].value, "Productivity").number(metric.name) or None  # 00:00:00: no data
        hourly = rng.start == rng.end and not by_day(labels)
        now = self.clock()
        buckets = named_buckets(metric, rng, labels, points, per_bucket, hourly=hourly, now=now, tz=self.tz)
        return ChartReport(
            metric,
            rng,
            department,
            labels,
            [p or 0.0 for p in points],
            _count(counted),
            oldest(chart, counted),
            buckets,
            hourly,
            average,
        )

    async def agents(self, metric: Metric, rng: DateRange, department: Department | None) -> AgentsReport:
        agents, counted = await asyncio.gather(
            self.source.ask(Question("agent_overview", metric.name, rng.start, rng.end, _id(department))),
            self._overview("Conversations", rng, department),
        )
        body = agents.value
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
        return AgentsReport(
            metric, rng, department, column, rows, _count(counted), oldest(agents, counted), ranking_order(metric)
        )


def _id(department: Department | None) -> str | None:
    return department.id if department else None


def _figures(rows: list[Json], name: str, as_of: datetime | None = None) -> Figures:
    values: dict[str, Any] = {}
    for row in rows:
        if isinstance(row, dict) and isinstance(row.get("title"), str):
            values[row["title"]] = row.get("value")
    if not values:
        raise InvalidResponse(f"the {name} overview came back without figures")
    return Figures(values, as_of)


def _pairs(
    sections: tuple[str, ...], now: Sequence[Read[list[Json]]], before: Sequence[Read[list[Json]]]
) -> dict[str, tuple[float, float]]:
    """(this period's, the baseline's) for each figure both overviews give as a number."""
    pairs = {}
    for name, a, b in zip(sections, now, before, strict=True):
        mine, theirs = _figures(a.value, name), _figures(b.value, name)
        for key in mine.values:
            x, y = mine.number(key), theirs.number(key)
            if x is not None and y is not None:
                pairs[key] = (x, y)
    return pairs


async def _nothing() -> list[Any]:
    return []


def _series(body: Json) -> tuple[list[str], list[float | None]]:
    labels, points = body.get("dataLabels"), body.get("dataPoints")
    if not isinstance(labels, list) or not isinstance(points, list) or len(labels) != len(points):
        raise InvalidResponse("charts-data answered without matching dataLabels and dataPoints")
    return [str(x) for x in labels], [numeric(p) for p in points]


def _count(conversations: Read[list[Json]]) -> int:
    """How many conversations a chart or agent table rests on, from the Conversations overview of its range."""
    return int(_figures(conversations.value, "Conversations").number("Total_conversations") or 0)
