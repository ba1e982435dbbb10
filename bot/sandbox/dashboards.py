"""The Real-time Monitoring figures, computed from the store as Rocket.Chat's dashboard lib computes them.

Sources: `apps/meteor/app/livechat/server/lib/analytics/dashboards.ts` (the totalizers and charts),
`.../analytics/departments.ts` and the model queries in `packages/models/src/models/LivechatRooms.ts`,
`Users.ts` (`countAllAgentsStatus`), `LivechatVisitors.ts` (`getVisitorsBetweenDate`) and
`LivechatAgentActivity.ts` (`findAllAverageAvailableServiceTime`); rocketchat-live-ops.md §1.3 and §1.5 list
the formulas and the quirks kept here on purpose:

- three different definitions of "open" and two of "closed" (charts/chats, per agent, per department);
- per-department averages are ceil'ed, then averaged without weights, and rooms without a department are a
  department of their own;
- per-agent objects can lack `onhold` (the closed pass rebuilds the entry without it);
- `longest` is the maximum *first* response, null when rooms exist but none has the field;
- the on-hold count has no livechat filter and an exclusive end;
- `Total_visitors` counts visitors *updated* in [start, end), filtered on the visitor's own `department`;
- `Avg_of_available_service_time` reads one day (`YYYYMMDD` of `start` in the server's zone) and adds the
  running time of still-open sessions.

Every function takes exact instants except the overview-derived items, which go through analytics.py's
day-expanded overview in the reporting time zone. The REST layer (routes_dashboards.py) validates, caches
and picks, per version, what the overview is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import analytics
from .mongo import field, has_field
from .store import Doc, Store

__all__ = [
    "agents_productivity_totalizers",
    "agents_status",
    "chats",
    "chats_per_agent",
    "chats_per_department",
    "chats_totalizers",
    "conversation_totalizers",
    "productivity_totalizers",
    "timings",
]


def _department(department_id: str | None) -> str | None:
    """Every model method treats a missing, empty or `"undefined"` department as no filter."""
    return department_id if department_id and department_id != "undefined" else None


def _rooms(store: Store, department_id: str | None, start: datetime | None, end: datetime | None) -> Iterator[Doc]:
    """`{t: 'l', ts: {$gte: start, $lte: end}, departmentId?}` (either bound may be left open)."""
    department = _department(department_id)
    for room in store.livechat_rooms():
        ts = room.get("ts")
        if not isinstance(ts, datetime) or (start is not None and ts < start) or (end is not None and ts > end):
            continue
        if department is None or room.get("departmentId") == department:
            yield room


def _closed_by(room: Doc, end: datetime) -> bool:
    closed = room.get("closedAt")
    return isinstance(closed, datetime) and closed <= end


def _js_key(value: Any) -> str:
    """An object key as JavaScript writes `result[value]`: null and undefined become their names."""
    return "null" if value is None else value if isinstance(value, str) else str(value)


def _js_number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _number(value: Any) -> float:
    """What `$sum` adds for a field: numbers count, anything else (missing, null, text) adds nothing."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _department_means(rooms: Iterator[Doc], value: Callable[[Doc], float], *, floor: bool = False) -> list[float]:
    """Group by `departmentId` (missing = its own group) and `ceil` (or `floor`) Σvalue / rooms per group."""
    groups: dict[Any, list[float]] = {}
    for room in rooms:
        total = groups.setdefault(room.get("departmentId"), [0.0, 0])
        total[0] += value(room)
        total[1] += 1
    round_ = math.floor if floor else math.ceil
    return [float(round_(s / n)) if n else 0.0 for s, n in groups.values()]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _overview(store: Store, name: str, from_: str, to: str, department_id: str | None, user: Doc) -> list[Doc]:
    return analytics.overview(store, name=name, from_=from_, to=to, department_id=department_id, user=user) or []


# --- totalizers (§1.2) -----------------------------------------------------------------------------------


def conversation_totalizers(
    store: Store, *, start: datetime, end: datetime, day_from: str, day_to: str, department_id: str | None, user: Doc
) -> Doc:
    """Total/open/on-hold conversations and messages from the day-expanded overview, then Total_visitors."""
    keep = ("Total_conversations", "Open_conversations", "On_Hold_conversations", "Total_messages")
    items = [i for i in _overview(store, "Conversations", day_from, day_to, department_id, user) if i["title"] in keep]
    department = _department(department_id)
    visitors = sum(
        1
        for v in store.visitors.values()
        if isinstance(v.get("_updatedAt"), datetime)
        and start <= v["_updatedAt"] < end
        and (department is None or v.get("department") == department)
    )
    return {"totalizers": [*items, {"title": "Total_visitors", "value": visitors}]}


def productivity_totalizers(
    store: Store, *, start: datetime, end: datetime, day_from: str, day_to: str, department_id: str | None, user: Doc
) -> Doc:
    """The overview Productivity items plus `Avg_of_waiting_time`, which is the first-response average of rooms
    not waiting for a response, per department (`findAllAverageWaitingTime`)."""
    items = _overview(store, "Productivity", day_from, day_to, department_id, user)
    answered = (r for r in _rooms(store, department_id, start, end) if r.get("waitingResponse") is not True)
    waiting = _mean(_department_means(answered, lambda r: _number(field(r, "metrics.response.ft"))))
    return {"totalizers": [*items, {"title": "Avg_of_waiting_time", "value": analytics.hhmmss(waiting)}]}


def chats_totalizers(store: Store, *, start: datetime, end: datetime, department_id: str | None) -> Doc:
    """Abandoned chats (`metrics.visitorInactivity >= Livechat_visitor_inactivity_timeout`), their percentage per
    department and the mean chat duration of closed rooms (departments.ts + LivechatRooms.ts)."""
    timeout = float(store.settings.get("Livechat_visitor_inactivity_timeout", 3600))

    def inactive(room: Doc) -> bool:  # `{'metrics.visitorInactivity': {$gte: timeout}}`
        inactivity = field(room, "metrics.visitorInactivity")
        return isinstance(inactivity, int | float) and not isinstance(inactivity, bool) and inactivity >= timeout

    def abandoned(room: Doc) -> float:  # `$and: [{$ifNull: [inactivity, false]}, {$gte: [inactivity, timeout]}]`
        return 100.0 if inactive(room) and analytics.js_truthy(field(room, "metrics.visitorInactivity")) else 0.0

    total = sum(1 for r in _rooms(store, department_id, start, None) if inactive(r) and _closed_by(r, end))
    percentages = _department_means(_rooms(store, department_id, start, end), abandoned, floor=True)
    closed = (r for r in _rooms(store, department_id, start, None) if _closed_by(r, end))
    duration = _mean(_department_means(closed, lambda r: _number(field(r, "metrics.chatDuration"))))
    return {
        "totalizers": [
            {"title": "Total_abandoned_chats", "value": total},
            {"title": "Avg_of_abandoned_chats", "value": f"{analytics.js_string(_mean(percentages))}%"},
            {"title": "Avg_of_chat_duration_time", "value": analytics.hhmmss(duration)},
        ]
    }


def agents_productivity_totalizers(
    store: Store,
    *,
    start: datetime,
    end: datetime,
    day_from: str,
    day_to: str,
    department_id: str | None,
    user: Doc,
    server_zone: ZoneInfo,
) -> Doc:
    """Busiest_time from the overview, the mean available time of one day's agent activity, and the mean
    service time (`responseBy.lastMessageTs - servedBy.ts`) per department."""
    busiest = [i for i in _overview(store, "Conversations", day_from, day_to, department_id, user)]
    available = _available_service_time(store, start, department_id, server_zone)

    def service(room: Doc) -> float:
        last, joined = field(room, "responseBy.lastMessageTs"), field(room, "servedBy.ts")
        both = isinstance(last, datetime) and isinstance(joined, datetime)
        return (last - joined).total_seconds() if both else 0.0

    served = (
        r
        for r in _rooms(store, department_id, start, end)
        if has_field(r, "responseBy.lastMessageTs") and has_field(r, "servedBy._id")
    )
    service_time = _mean(_department_means(served, service))
    return {
        "totalizers": [
            *(i for i in busiest if i["title"] == "Busiest_time"),
            {"title": "Avg_of_available_service_time", "value": analytics.hhmmss(available)},
            {"title": "Avg_of_service_time", "value": analytics.hhmmss(service_time)},
        ]
    }


def _available_service_time(store: Store, start: datetime, department_id: str | None, server_zone: ZoneInfo) -> float:
    day = int(start.astimezone(server_zone).strftime("%Y%m%d"))
    department = _department(department_id)
    linked = {a["agentId"] for a in store.department_agents if a.get("departmentId") == department}
    now = store.now()
    total, docs = 0.0, 0
    for activity in store.agent_activity:
        if activity.get("date") != day or (department is not None and activity.get("agentId") not in linked):
            continue
        docs += 1
        total += _number(activity.get("availableTime"))
        started = activity.get("lastStartedAt")
        if not activity.get("lastStoppedAt") and isinstance(started, datetime):
            total += (now - started).total_seconds()
    return float(math.trunc(total / docs)) if docs else 0.0


# --- charts (§1.2, §1.3) ---------------------------------------------------------------------------------


def chats(store: Store, *, start: datetime, end: datetime, department_id: str | None) -> Doc:
    """`findAllChatsStatusAsync`: open = not closed, served, not on hold; closed = has chatDuration; queued =
    open and unserved; on hold = any room type with `onHold: true`, `ts` in [start, end)."""
    department = _department(department_id)
    counts = {"open": 0, "closed": 0, "queued": 0, "onhold": 0}
    for room in _rooms(store, department_id, start, end):
        if has_field(room, "metrics.chatDuration"):
            counts["closed"] += 1
        elif _not_on_hold(room) and has_field(room, "servedBy"):
            counts["open"] += 1
        if room.get("open") is True and not has_field(room, "servedBy"):
            counts["queued"] += 1
    for room in store.rooms.values():
        ts = room.get("ts")
        if room.get("onHold") is True and isinstance(ts, datetime) and start <= ts < end:
            counts["onhold"] += 1 if department is None or room.get("departmentId") == department else 0
    return counts


def _not_on_hold(room: Doc) -> bool:
    """`$or: [{onHold: {$exists: false}}, {onHold: {$exists: true, $eq: false}}]`."""
    return "onHold" not in room or room["onHold"] is False


def chats_per_agent(store: Store, *, start: datetime, end: datetime, department_id: str | None) -> Doc:
    """Three `$group`s by `servedBy.username`, merged as the lib merges them (open, then closed without
    `onhold`, then on hold spread over whatever is there)."""
    opened: dict[str, int] = {}
    closed: dict[str, int] = {}
    held: dict[str, int] = {}
    for room in _rooms(store, department_id, start, None):
        if not has_field(room, "servedBy._id"):
            continue
        key = _js_key(field(room, "servedBy.username"))
        if room.get("open") is True and room["ts"] <= end:
            target = held if room.get("onHold") is True else opened if _not_on_hold(room) else None
            if target is not None:
                target[key] = target.get(key, 0) + 1
        elif "open" not in room and _closed_by(room, end):
            closed[key] = closed.get(key, 0) + 1
    result: dict[str, Doc] = {name: {"open": n, "closed": 0, "onhold": 0} for name, n in opened.items()}
    for name, n in closed.items():
        result[name] = {"open": result[name]["open"] if name in result else 0, "closed": n}
    for name, n in held.items():
        result[name] = {**result.get(name, {}), "onhold": n}
    return result


def agents_status(store: Store, *, department_id: str | None) -> Doc | None:
    """`Users.countAllAgentsStatus()[0]`: None (REST `{success: true}`) when no agent matches."""
    department = _department(department_id)
    linked = {a["agentId"] for a in store.department_agents if a.get("departmentId") == department}
    agents = [
        u
        for u in store.users.values()
        if "livechat-agent" in u.get("roles", []) and (department is None or u["_id"] in linked)
    ]
    if not agents:
        return None
    result: Doc = {"_id": None, "offline": 0, "away": 0, "busy": 0, "available": 0}
    for agent in agents:
        status, service = agent.get("status"), agent.get("statusLivechat")
        if (status == "offline" and service == "available") or service == "not-available":
            result["offline"] += 1
        for name, bucket in (("away", "away"), ("busy", "busy"), ("online", "available")):
            if status == name and service == "available":
                result[bucket] += 1
    return result


def chats_per_department(store: Store, *, start: datetime, end: datetime, department_id: str | None) -> Doc:
    """Rooms with a `departmentId` by department *name*: open = `open: true` (on hold included), closed =
    `open` absent; a deleted department's rooms land under the key "undefined"."""
    opened: dict[str, int] = {}
    closed: dict[str, int] = {}
    for room in _rooms(store, department_id, start, end):
        if "departmentId" not in room:
            continue
        department = store.departments.get(room["departmentId"]) if isinstance(room["departmentId"], str) else None
        name = department["name"] if department and "name" in department else "undefined"
        if room.get("open") is True:
            opened[name] = opened.get(name, 0) + 1
        elif "open" not in room:
            closed[name] = closed.get(name, 0) + 1
    result: dict[str, Doc] = {name: {"open": n, "closed": 0} for name, n in opened.items()}
    for name, n in closed.items():
        result[name] = {"open": result[name]["open"] if name in result else 0, "closed": n}
    return result


def timings(store: Store, *, start: datetime, end: datetime, department_id: str | None) -> Doc:
    """`calculate{Response,Reaction,Duration}TimingsBetweenDates`: avg = trunc(Σ / rooms where the field is
    truthy), longest = `$max` of the first response / first reaction / duration (null when none has it)."""
    rooms = list(_rooms(store, department_id, start, end))

    def timing(sum_path: str, max_path: str, pool: list[Doc]) -> Doc:
        if not pool:
            return {"avg": 0, "longest": 0}
        total = sum(_number(field(r, sum_path)) for r in pool)
        having = sum(1 for r in pool if analytics.js_truthy(field(r, sum_path)))
        values = [field(r, max_path) for r in pool if isinstance(field(r, max_path), int | float)]
        longest = _js_number(max(values)) if values else None
        return {"avg": _js_number(math.trunc(total / having)) if having else 0, "longest": longest}

    durations = [r for r in rooms if has_field(r, "metrics.chatDuration")]
    return {
        "response": timing("metrics.response.avg", "metrics.response.ft", rooms),
        "reaction": timing("metrics.reaction.ft", "metrics.reaction.ft", rooms),
        "chatDuration": timing("metrics.chatDuration", "metrics.chatDuration", durations),
    }
