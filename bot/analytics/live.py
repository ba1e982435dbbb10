"""Live operations (`!now`) and the Real-time Monitoring figures of a period (for `!overview` and digests).

Every request goes through the shared analytics layer (`sharing.CoalescingSource.read`): identical questions
share one request and answers are kept `ages.realtime` seconds (5 s, as Rocket.Chat's own `mem` cache keeps
the dashboards, rocketchat-live-ops.md §1.1), so each result says when it was read (`as_of`, the oldest read).

What is asked depends on what the server answers (`capabilities`, probed and kept `PROBE_AGE` seconds): a
route this account may not use or this version lacks is not asked; its section says why instead.

Figures are named for what they measure (§1.3; the names Rocket.Chat gives some of them mislead):
- **queue**: queued inquiries; the wait counts from the chat's creation (`ts`: inquiries.list returns no
  `queuedAt`, §3);
- **agents** by Rocket.Chat's buckets (`Users.countAllAgentsStatus`): available = online with the service
  switch on; away/busy likewise; everyone else — offline, or with `statusLivechat` not-available or never set
  — is "offline or not taking chats" (Rocket.Chat's count leaves the never-set out; they cannot be routed
  chats either, `queryStatusAgentOnline`). Each agent's chats: the open and on-hold rooms they serve;
- **chats** per department: taken and not on hold (`open=true`), on hold (`onhold=true`) (§2);
- **queue wait**: taken time (`servedBy.ts`) minus `queuedAt` (else `ts`) of the chats opened in the period and
  taken. Rocket.Chat's `Avg_of_waiting_time` is *not* this: it is a first-response average per department
  (`findAllAverageWaitingTime`), so the bot does not show it as a waiting time;
- **abandoned**: `Total_abandoned_chats` — chats an agent closed after the visitor stayed silent for the
  inactivity timeout (`processRoomAbandonment.ts`), not visitors who left the queue; their share is of the
  period's conversations (Rocket.Chat's `Avg_of_abandoned_chats` is an unweighted mean of floor'ed department
  percentages);
- **today compared fairly**: a day in progress is never compared with a whole one. Conversations are compared
  over the full hours so far with the same hours of the same weekday a week earlier, from the one-day hourly
  charts (`charts-data`, bucket *i* = hour *i* from local midnight: the index, never the label, whose form
  differs between versions). Times and abandoned chats have no fair comparison while the day runs.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from bot.analytics.cache import Read
from bot.analytics.live_figures import (
    AVAILABLE,
    AWAY,
    BUCKETS,
    BUSY,
    DASHBOARDS,
    HOURLY,
    NAMES,
    OFF,
    QUEUE,
    ROOMS,
    AgentLine,
    Agents,
    Capabilities,
    Chats,
    HourlyComparison,
    PeriodFigures,
    Queue,
    QueueWait,
    Snapshot,
    Today,
    Unavailable,
    bucket,
    day_bounds,
    queue_wait,
    wait_text,
)
from bot.analytics.service import AnalyticsService, Department, numeric
from bot.analytics.sharing import Question
from bot.dates.grammar import DateRange
from bot.errors import BadRequest, Forbidden, NotFound, TransportError
from bot.replies.figures import number
from bot.rocketchat import live as api_live
from bot.rocketchat.live import JsonApi, Version

__all__ = [
    "AVAILABLE",
    "AWAY",
    "BUCKETS",
    "BUSY",
    "DASHBOARDS",
    "HOURLY",
    "NAMES",
    "OFF",
    "QUEUE",
    "ROOMS",
    "AgentLine",
    "Agents",
    "Capabilities",
    "Chats",
    "HourlyComparison",
    "LiveService",
    "PeriodFigures",
    "Queue",
    "QueueWait",
    "Snapshot",
    "Today",
    "Unavailable",
    "bucket",
    "day_bounds",
    "live_for",
    "queue_wait",
    "wait_text",
]

T = TypeVar("T")
PROBE_AGE = 300.0  # seconds a probe of the server is trusted (a permission or an upgrade can change it)
ROOM_LIMIT = 1000  # rooms listed at most for one figure (10 pages); past it the figure says so
CHARTS_SINCE = Version(7, 11)  # charts-data was added in 7.11 (rocketchat-analytics.md §2.3)
_NEEDS = {
    QUEUE: "`view-livechat-manager`",
    NAMES: "`transfer-livechat-guest` or `edit-omnichannel-contact` (livechat-manager holds the first by default)",
    ROOMS: "`view-livechat-rooms`",
    DASHBOARDS: "`view-livechat-manager`",
    HOURLY: "`view-livechat-manager`",
}


_SERVICES: weakref.WeakKeyDictionary[AnalyticsService, LiveService] = weakref.WeakKeyDictionary()


def live_for(analytics: AnalyticsService) -> LiveService:
    """The live service over the same shared layer as `analytics` (one per analytics service), so commands,
    digests and the overview share its answers. The transport is the REST client under that layer."""
    found = _SERVICES.get(analytics)
    if found is None:
        transport = analytics.source.source
        if not isinstance(transport, JsonApi):
            raise TypeError(f"live figures need a REST client under the analytics layer, not {transport!r}")
        found = _SERVICES[analytics] = LiveService(transport, analytics)
    return found


class LiveService:
    """Live snapshots and period figures over `analytics`' shared layer; `api` is the REST client under it
    (`live_for` builds one per analytics service)."""

    def __init__(self, api: JsonApi, analytics: AnalyticsService, *, room_limit: int = ROOM_LIMIT) -> None:
        self.api = api
        self.analytics = analytics
        self.source = analytics.source
        self.room_limit = room_limit

    def _now(self) -> datetime:
        return self.analytics.clock()

    async def _read(
        self, key: tuple[Hashable, ...], call: Callable[[], Awaitable[T]], age: float | None = None
    ) -> Read[T]:
        return await self.source.read(("live", *key), call, age=self.source.ages.realtime if age is None else age)

    # --- what the server offers --------------------------------------------------------------------------

    async def capabilities(self) -> Capabilities:
        read: Read[Capabilities] = await self._read(("capabilities",), self.probe, age=PROBE_AGE)
        return read.value

    async def probe(self) -> Capabilities:
        """Ask each live route once for one item; a refusal or a missing route marks its figures unavailable.
        Other failures (timeouts, 5xx) go up: they say nothing about what the server offers."""
        try:
            version = await api_live.server_version(self.api)
        except TransportError:
            version = None
        today = self._now().astimezone(self.analytics.tz).date()
        checks: dict[str, Callable[[], Awaitable[Any]]] = {
            QUEUE: lambda: api_live.probe(self.api, "livechat/inquiries.list"),
            NAMES: lambda: api_live.probe(self.api, "livechat/users/agent"),
            ROOMS: lambda: api_live.probe(self.api, "livechat/rooms", {"open": "true"}),
            DASHBOARDS: lambda: api_live.agents_status(self.api, None),
            HOURLY: lambda: self.source.ask(Question("charts_data", "Total_conversations", today, today)),
        }
        outcomes = await asyncio.gather(*(_refusal(call) for call in checks.values()))
        missing = {f: why.replace("NEEDS", _NEEDS[f]) for f, why in zip(checks, outcomes, strict=True) if why}
        if HOURLY in missing and version is not None and version < CHARTS_SINCE:
            missing[HOURLY] = f"charts-data came in Rocket.Chat 7.11; this server is {version}"
        edition, edition_why = await self._edition()
        return Capabilities(version, edition, edition_why, missing)

    async def _edition(self) -> tuple[str, str]:
        route = "livechat/business-hours"  # Enterprise only: `license: ['livechat-enterprise']` (§5)
        try:
            await api_live.probe(self.api, route)
        except NotFound:
            return "Community", f"{route}, an Enterprise route, does not exist here"
        except Forbidden:
            return "Enterprise", f"{route}, an Enterprise route, exists (this account may not read it)"
        except TransportError as exc:
            return "unknown", f"{route} could not be probed ({exc})"
        return "Enterprise", f"{route}, an Enterprise route, answers"

    # --- !now --------------------------------------------------------------------------------------------

    async def snapshot(self, department: Department | None) -> Snapshot:
        """Queue, agents, chats in progress and today so far, for one department or all."""
        caps = await self.capabilities()
        reads: list[Read[Any]] = []
        dept = department.id if department else None
        names = {d.id: d.name for d in await self.analytics.departments()}
        now = self._now()

        async def rooms() -> tuple[api_live.RoomList, api_live.RoomList] | Unavailable:
            if not caps.has(ROOMS):
                return Unavailable(caps.missing[ROOMS])
            opened, held = await asyncio.gather(
                self._rooms(("rooms-open", dept), {"open": "true"}, dept),
                self._rooms(("rooms-on-hold", dept), {"onhold": "true"}, dept),
            )
            reads.extend((opened, held))
            if not opened.value.complete or not held.value.complete:
                return Unavailable(f"more than {number(self.room_limit)} chats in progress: too many to list")
            return opened.value, held.value

        async def queue() -> Queue | Unavailable:
            if not caps.has(QUEUE):
                return Unavailable(caps.missing[QUEUE])
            read = await self._read(("inquiries", dept), lambda: api_live.queued_inquiries(self.api, dept))
            reads.append(read)
            counts = Counter(_department_name(i.department_id, None, names) for i in read.value)
            split = tuple(counts.most_common()) if dept is None and len(counts) > 1 else ()
            return Queue(len(read.value), min((i.since for i in read.value), default=None), split)

        async def rooms_and_agents() -> tuple[Chats | Unavailable, Agents | Unavailable]:
            listed = await rooms()  # the agents' chat counts come from the same listings
            chats = listed if isinstance(listed, Unavailable) else _chats(listed, names)
            return chats, await self._agents(caps, dept, listed, reads)

        (chats, agents), waiting, today = await asyncio.gather(
            rooms_and_agents(), queue(), self._today(caps, dept, reads)
        )
        as_of = min((r.at for r in reads), default=now)
        return Snapshot(department, now, waiting, agents, chats, today, as_of)

    async def _rooms(
        self, key: tuple[Hashable, ...], params: dict[str, Any], dept: str | None
    ) -> Read[api_live.RoomList]:
        query = {**params, "departmentId": dept} if dept else params
        return await self._read(key, lambda: api_live.room_list(self.api, query, limit=self.room_limit))

    async def _agents(
        self,
        caps: Capabilities,
        dept: str | None,
        listed: tuple[api_live.RoomList, api_live.RoomList] | Unavailable,
        reads: list[Read[Any]],
    ) -> Agents | Unavailable:
        if not caps.has(NAMES):
            if not caps.has(DASHBOARDS):
                return Unavailable(caps.missing[NAMES])
            counted = await self._read(("agents-status", dept), lambda: api_live.agents_status(self.api, dept))
            reads.append(counted)
            status = counted.value
            counts = {AVAILABLE: status.available, AWAY: status.away, BUSY: status.busy, OFF: status.offline}
            return Agents(counts, Unavailable(caps.missing[NAMES]))
        read = await self._read(("agents",), lambda: api_live.agents(self.api))
        reads.append(read)
        held: Counter[str] = Counter()
        paused: Counter[str] = Counter()
        if not isinstance(listed, Unavailable):
            held.update(room.agent for room in (*listed[0].rooms, *listed[1].rooms) if room.agent)
            paused.update(room.agent for room in listed[1].rooms if room.agent)
        lines = tuple(
            AgentLine(
                a.username, bucket(a), None if isinstance(listed, Unavailable) else held[a.username], paused[a.username]
            )
            for a in sorted(read.value, key=lambda a: a.username.lower())
            if dept is None or dept in a.departments
        )
        counts = {name: sum(1 for line in lines if line.bucket == name) for name in BUCKETS}
        return Agents(counts, lines)

    async def _today(self, caps: Capabilities, dept: str | None, reads: list[Read[Any]]) -> Today | Unavailable:
        if not caps.has(DASHBOARDS):
            return Unavailable(caps.missing[DASHBOARDS])
        day = self._now().astimezone(self.analytics.tz).date()
        start, end = day_bounds(day, self.analytics.tz)
        conversations, productivity, chats = await asyncio.gather(
            *(self._totalizers(name, start, end, dept) for name in ("conversation", "productivity", "chats"))
        )
        reads.extend((conversations, productivity, chats))
        comparison, wait = await asyncio.gather(
            self._hourly(caps, day, dept), self._wait(caps, start, end, dept, reads)
        )
        return Today(
            day,
            int(conversations.value.get("Total_conversations", 0)),
            numeric(productivity.value.get("Avg_first_response_time")) or None,
            int(chats.value.get("Total_abandoned_chats", 0)),
            comparison,
            wait,
        )

    async def _totalizers(
        self, name: str, start: datetime, end: datetime, dept: str | None, age: float | None = None
    ) -> Read[dict[str, Any]]:
        route = f"{name}-totalizers"
        key = ("totalizers", route, start.isoformat(), end.isoformat(), dept)
        return await self._read(key, lambda: api_live.totalizers(self.api, route, start, end, dept), age)

    async def _hourly(self, caps: Capabilities, day: date, dept: str | None) -> HourlyComparison | Unavailable:
        if not caps.has(HOURLY):
            return Unavailable(caps.missing[HOURLY])
        before = day - timedelta(days=7)
        today, earlier = await asyncio.gather(
            *(self.source.ask(Question("charts_data", "Total_conversations", d, d, dept)) for d in (day, before))
        )
        # Full hours at the moment today's chart was read: an hour still running there is not compared. Full
        # hours no longer change, so this (up to `ages.analytics` old) read does not make the reply older.
        midnight = datetime.combine(day, time(), self.analytics.tz)
        hours = max(0, min(24, int((today.at - midnight).total_seconds() // 3600)))
        ours, theirs = (_points(read.value)[:hours] for read in (today, earlier))
        return HourlyComparison(hours, int(sum(ours)), int(sum(theirs)), before)

    async def _wait(
        self,
        caps: Capabilities,
        start: datetime,
        end: datetime,
        dept: str | None,
        reads: list[Read[Any]],
        age: float | None = None,
    ) -> QueueWait | Unavailable:
        if not caps.has(ROOMS):
            return Unavailable(caps.missing[ROOMS])
        params = {**api_live.created_between(start, end), **({"departmentId": dept} if dept else {})}
        read = await self._read(
            ("rooms-created", start.isoformat(), end.isoformat(), dept),
            lambda: api_live.room_list(self.api, params, limit=self.room_limit),
            age,
        )
        reads.append(read)
        if not read.value.complete:
            return Unavailable(f"{number(read.value.total)} chats: more than the {number(self.room_limit)} I list")
        return queue_wait(read.value.rooms)

    # --- a period, for !overview and digests -------------------------------------------------------------

    async def period(self, rng: DateRange, department: Department | None) -> PeriodFigures | Unavailable:
        """The Real-time Monitoring figures of `rng`'s whole days (kept longer once the period is closed)."""
        caps = await self.capabilities()
        if not caps.has(DASHBOARDS):
            return Unavailable(caps.missing[DASHBOARDS])
        tz, dept = self.analytics.tz, department.id if department else None
        age = self.source.ages.closed if self.source.closed(rng.end) else None
        start, end = day_bounds(rng.start, tz)[0], day_bounds(rng.end, tz)[1]
        reads: list[Read[Any]] = []
        timing_key = ("timings", start.isoformat(), end.isoformat(), dept)
        conversations, chats, agents, timing = await asyncio.gather(
            self._totalizers("conversation", start, end, dept, age),
            self._totalizers("chats", start, end, dept, age),
            self._totalizers("agents-productivity", start, end, dept, age),
            self._read(timing_key, lambda: api_live.timings(self.api, start, end, dept), age),
        )
        reads.extend((conversations, chats, agents, timing))
        available = None
        if rng.start == rng.end:  # the route reads the day of `start` in the *server's* zone: ask at local noon
            noon = datetime.combine(rng.start, time(12), tz)
            one_day = await self._totalizers("agents-productivity", noon, noon, dept, age)
            reads.append(one_day)
            available = _seconds(one_day.value.get("Avg_of_available_service_time"))
        wait = await self._wait(caps, start, end, dept, reads, age)
        return PeriodFigures(
            rng,
            department,
            int(conversations.value.get("Total_conversations", 0)),
            int(conversations.value.get("Total_visitors", 0)),
            int(chats.value.get("Total_abandoned_chats", 0)),
            timing.value["chatDuration"].avg or None,
            timing.value["chatDuration"].longest or None,
            timing.value["response"].longest or None,
            _seconds(agents.value.get("Avg_of_service_time")),
            available,
            wait,
            min(r.at for r in reads),
        )


async def _refusal(call: Callable[[], Awaitable[Any]]) -> str | None:
    """None when the call answers; why not when it is refused or missing (NEEDS: the permission)."""
    try:
        await call()
    except Forbidden:
        return "my account lacks NEEDS"
    except NotFound as exc:
        return f"this server does not offer it ({exc})"
    except BadRequest as exc:
        return f"the server refused it ({exc})"
    return None


def _points(body: dict[str, Any]) -> list[float]:
    points = body.get("dataPoints")
    return [float(numeric(p) or 0) for p in points] if isinstance(points, list) else []


def _seconds(value: Any) -> float | None:
    """A HH:MM:SS duration; "00:00:00" is Rocket.Chat's answer for "nothing to average", so no figure."""
    return numeric(value) or None


def _department_name(ident: str | None, given: str | None, names: dict[str, str]) -> str:
    """A department's name; a chat may have none, or name one deleted since (Rocket.Chat keeps the id)."""
    if not ident:
        return "no department"
    return names.get(ident) or given or "a deleted department"


def _chats(listed: tuple[api_live.RoomList, api_live.RoomList], names: dict[str, str]) -> Chats:
    opened, held = listed
    per: dict[str, list[int]] = {}
    for index, rooms in enumerate((opened.rooms, held.rooms)):
        for room in rooms:
            name = _department_name(room.department_id, room.department_name, names)
            per.setdefault(name, [0, 0])[index] += 1
    ordered = sorted(per.items(), key=lambda item: (-sum(item[1]), item[0].lower()))
    return Chats(len(opened.rooms), len(held.rooms), tuple((name, o, h) for name, (o, h) in ordered))
