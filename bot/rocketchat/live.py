"""Typed calls for Rocket.Chat's live-operations endpoints, each body checked at the boundary.

Built on `RestClient.get_object`/`all_pages` (or anything with the same three methods, `JsonApi`), so the
errors are the client's; a body that is not what Rocket.Chat documents is InvalidResponse naming the route,
as in shapes.py. Facts from rocketchat-live-ops.md (§ numbers below), with Rocket.Chat's sources:

- the waiting queue: `livechat/inquiries.list` (§3; `apps/meteor/server/api/v1/omnichannel/inquiries.ts`):
  queued inquiries only, six fields each (`_id, rid, name, ts, status, department`) — so the wait of a queued
  chat can only be counted from `ts`, the chat's creation;
- agents: `livechat/users/agent` (§4; `omnichannel/users.ts`), allowed by `transfer-livechat-guest` or
  `edit-omnichannel-contact`, with `status`, `statusLivechat` and department ids; without it, only the counts
  of `charts/agents-status` (§1.2, `Users.countAllAgentsStatus`);
- rooms: `livechat/rooms` (§2; `omnichannel/rooms.ts`, `LivechatRooms.findRoomsWithCriteria`): `open=true`
  is taken, not on hold; `onhold=true` on hold; `createdAt` a JSON `{start, end}`. `query` and `fields` are
  never sent: ignored since 7.0, refused (400) from 9.0 (§6);
- the Real-time Monitoring dashboards (§1.1–1.3; `omnichannel/dashboards.ts`): `start`/`end` go out as ISO
  instants *with the bot's UTC offset* (`2026-11-18T00:00:00+01:00`). 8.x hands the raw strings to the
  overview-derived items, which read the leading `YYYY-MM-DD`; 7.x passes `new Date(...)`, whose day is taken
  in the reporting zone; the other items use the exact instants. A `Z` instant would name the previous UTC
  date east of Greenwich in 8.x; the offset form gives the same local day on both lines;
- `settings/:_id` (`apps/meteor/app/api/server/v1/settings.ts`): `{_id, value}`, `view-privileged-setting`;
- `/api/info`: `version`, anonymously without the patch number since PR #16050 (§6).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

from bot.errors import InvalidResponse
from bot.rocketchat.shapes import (
    is_amount,
    is_any_figure,
    is_count,
    is_duration,
    is_percent,
    is_word,
    object_at,
    objects_at,
    string_list,
)

__all__ = [
    "AgentRecord",
    "AgentsStatus",
    "JsonApi",
    "LiveRoom",
    "QueuedInquiry",
    "RoomList",
    "Timing",
    "Version",
    "agents",
    "agents_status",
    "created_between",
    "dashboard_instant",
    "probe",
    "queued_inquiries",
    "room_list",
    "server_version",
    "setting",
    "timings",
    "totalizers",
]

Json = dict[str, Any]
PAGE = 100  # API_Upper_Count_Limit's default
DASHBOARDS = "livechat/analytics/dashboards/"
TOTALIZER_FORMATS = {
    "Total_conversations": is_count,
    "Open_conversations": is_count,
    "On_Hold_conversations": is_count,
    "Total_messages": is_count,
    "Total_visitors": is_count,
    "Total_abandoned_chats": is_count,
    "Avg_of_abandoned_chats": is_percent,
    "Busiest_time": is_word,
    **dict.fromkeys(
        (
            "Avg_response_time",
            "Avg_first_response_time",
            "Avg_reaction_time",
            "Avg_of_waiting_time",
            "Avg_of_chat_duration_time",
            "Avg_of_available_service_time",
            "Avg_of_service_time",
        ),
        is_duration,
    ),
}
AGENT_STATUSES = frozenset({"online", "away", "busy", "offline"})
SERVICE_STATUSES = frozenset({"available", "not-available"})
_VERSION = re.compile(r"(\d{1,4})\.(\d{1,4})(?:\.(\d{1,4}))?")


@runtime_checkable
class JsonApi(Protocol):
    """What these calls need of the REST client (RestClient has it)."""

    async def get_object(self, route: str, params: dict[str, Any] | None = None) -> Json: ...

    async def all_pages(self, route: str, key: str, params: dict[str, Any] | None = None) -> list[Json]: ...

    async def server_info(self) -> Json: ...


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    """A server version. Anonymous callers of `/api/info` get major.minor only (Rocket.Chat's getServerInfo),
    so `patch` may be unknown; it then compares as .0 (7.11 == 7.11.0 < 7.11.2), never as an error."""

    major: int
    minor: int
    patch: int | None = None

    def _key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch or 0)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}" + ("" if self.patch is None else f".{self.patch}")


@dataclass(frozen=True)
class QueuedInquiry:
    id: str
    rid: str
    since: datetime  # the inquiry's `ts`: when the chat opened
    department_id: str | None


@dataclass(frozen=True)
class AgentRecord:
    id: str
    username: str
    name: str | None
    status: str | None  # presence: online | away | busy | offline (None: never connected)
    service: str | None  # statusLivechat: available | not-available (None: never set)
    departments: tuple[str, ...]


@dataclass(frozen=True)
class AgentsStatus:
    """`charts/agents-status`: counts only (Users.countAllAgentsStatus, §1.3)."""

    available: int
    away: int
    busy: int
    offline: int


@dataclass(frozen=True)
class LiveRoom:
    id: str
    opened: datetime  # ts
    department_id: str | None
    department_name: str | None  # the `department` the route adds
    agent: str | None  # servedBy.username
    taken: datetime | None  # servedBy.ts: when the agent now serving it took it
    queued: datetime | None  # queuedAt
    on_hold: bool


@dataclass(frozen=True)
class RoomList:
    rooms: tuple[LiveRoom, ...]
    total: int
    complete: bool  # False: more than the limit matched, and none were read


@dataclass(frozen=True)
class Timing:
    avg: float
    longest: float | None  # null when rooms matched but none has the field (§1.5 quirk 3)


# --- requests --------------------------------------------------------------------------------------------


async def server_version(api: JsonApi) -> Version | None:
    """The version `/api/info` names (`8.8.0`, or `8.8` anonymously), or None when it names none."""
    value = (await api.server_info()).get("version")
    found = _VERSION.match(value) if isinstance(value, str) else None
    if found is None:
        return None
    patch = found[3]
    return Version(int(found[1]), int(found[2]), int(patch) if patch is not None else None)


async def probe(api: JsonApi, route: str, params: dict[str, Any] | None = None) -> Json:
    """One page of one item: whether a route answers this account (its errors are the client's)."""
    return await api.get_object(route, {"count": 1, **(params or {})})


async def queued_inquiries(api: JsonApi, department_id: str | None) -> list[QueuedInquiry]:
    route = "livechat/inquiries.list"
    params = {"department": department_id} if department_id else {}
    found = []
    for item in await api.all_pages(route, "inquiries", params):
        ident, rid, status = item.get("_id"), item.get("rid"), item.get("status")
        if not isinstance(ident, str) or not isinstance(rid, str) or status != "queued":
            raise InvalidResponse(f"GET /api/v1/{route} answered an inquiry without _id and rid, or not queued")
        found.append(
            QueuedInquiry(ident, rid, _instant(item.get("ts"), route), _optional_text(item, "department", route))
        )
    return found


async def agents(api: JsonApi) -> list[AgentRecord]:
    route = "livechat/users/agent"
    found = []
    for item in await api.all_pages(route, "users"):
        ident, username = item.get("_id"), item.get("username")
        if not isinstance(ident, str) or not isinstance(username, str) or not username:
            raise InvalidResponse(f"GET /api/v1/{route} answered an agent without _id and username")
        status, service = item.get("status"), item.get("statusLivechat")
        if status is not None and status not in AGENT_STATUSES:
            raise InvalidResponse(f"GET /api/v1/{route} answered a status Rocket.Chat does not use")
        if service is not None and service not in SERVICE_STATUSES:
            raise InvalidResponse(f"GET /api/v1/{route} answered a statusLivechat Rocket.Chat does not use")
        departments = string_list(item.get("departments") or [], route)
        name = _optional_text(item, "name", route)
        found.append(AgentRecord(ident, username, name, status, service, tuple(departments)))
    return found


async def agents_status(api: JsonApi, department_id: str | None) -> AgentsStatus:
    """The counts per bucket; zeros when no user has the agent role (Rocket.Chat then answers `{success: true}`)."""
    route = DASHBOARDS + "charts/agents-status"
    body = await api.get_object(route, {"departmentId": department_id} if department_id else {})
    keys = ("available", "away", "busy", "offline")
    if not any(key in body for key in keys):
        return AgentsStatus(0, 0, 0, 0)
    if not all(is_count(body.get(key)) for key in keys):
        raise InvalidResponse(f"GET /api/v1/{route} answered counts that are not whole numbers")
    return AgentsStatus(*(int(body[key]) for key in keys))


async def room_list(api: JsonApi, params: dict[str, Any], *, limit: int) -> RoomList:
    """The rooms `livechat/rooms` lists for `params`, newest first; none when more than `limit` match.

    Pages are read by offset while chats keep arriving, so a room can show up on two pages: kept once."""
    route = "livechat/rooms"
    rooms: dict[str, LiveRoom] = {}
    offset, total = 0, 1
    while offset < total:
        body = await api.get_object(route, {**params, "count": PAGE, "offset": offset})
        if not is_count(body.get("total")):
            raise InvalidResponse(f"GET /api/v1/{route} answered without a total")
        total = int(body["total"])
        if total > limit:
            return RoomList((), total, complete=False)
        page = objects_at(body, "rooms", route)
        for item in page:
            room = _room(item, route)
            rooms.setdefault(room.id, room)
        if not page:
            break
        offset += len(page)
    return RoomList(tuple(rooms.values()), len(rooms), complete=True)


def created_between(start: datetime, end: datetime) -> dict[str, str]:
    """`livechat/rooms`' `createdAt` filter: rooms with `ts` in [start, end] (both inclusive)."""
    return {"createdAt": json.dumps({"start": dashboard_instant(start), "end": dashboard_instant(end)})}


async def totalizers(
    api: JsonApi, name: str, start: datetime, end: datetime, department_id: str | None
) -> dict[str, Any]:
    """`{title: value}` of one totalizers route (`conversation-`, `productivity-`, `chats-`,
    `agents-productivity-totalizers`), each value in its documented format (§1.2)."""
    route = DASHBOARDS + name
    body = await api.get_object(route, _window(start, end, department_id))
    values: dict[str, Any] = {}
    for row in objects_at(body, "totalizers", route):
        title = row.get("title")
        if not isinstance(title, str) or "value" not in row:
            raise InvalidResponse(f"GET /api/v1/{route} answered a totalizer without a title and a value")
        if not TOTALIZER_FORMATS.get(title, is_any_figure)(row["value"]):
            raise InvalidResponse(f"GET /api/v1/{route} answered {title[:64]} in a form Rocket.Chat does not use")
        values[title] = row["value"]
    return values


async def timings(api: JsonApi, start: datetime, end: datetime, department_id: str | None) -> dict[str, Timing]:
    """`charts/timings`: `response`, `reaction`, `chatDuration` → avg (truncated seconds) and longest."""
    route = DASHBOARDS + "charts/timings"
    body = await api.get_object(route, _window(start, end, department_id))
    result = {}
    for key in ("response", "reaction", "chatDuration"):
        part = object_at(body, key, route)
        avg, longest = part.get("avg"), part.get("longest")
        if not is_amount(avg) or not (longest is None or is_amount(longest)):
            raise InvalidResponse(f"GET /api/v1/{route} answered {key} without numbers of seconds")
        result[key] = Timing(float(part["avg"]), None if longest is None else float(part["longest"]))
    return result


async def setting(api: JsonApi, name: str) -> Any:
    """A setting's value (`settings/:_id`); Forbidden without `view-privileged-setting`."""
    route = f"settings/{quote(name, safe='')}"
    body = await api.get_object(route)
    if body.get("_id") != name or "value" not in body:
        raise InvalidResponse(f"GET /api/v1/{route} answered without the setting's _id and value")
    return body["value"]


def dashboard_instant(moment: datetime) -> str:
    """An ISO instant with the moment's own UTC offset (module docstring): `2026-11-18T00:00:00.000+01:00`."""
    if moment.tzinfo is None:
        raise ValueError("dashboard instants must be timezone-aware")
    return moment.isoformat(timespec="milliseconds")


# --- shapes ----------------------------------------------------------------------------------------------


def _window(start: datetime, end: datetime, department_id: str | None) -> dict[str, str]:
    params = {"start": dashboard_instant(start), "end": dashboard_instant(end)}
    if department_id:
        params["departmentId"] = department_id
    return params


def _instant(value: Any, route: str) -> datetime:
    """An ISO-8601 date as Rocket.Chat's REST writes them (`2024-03-05T14:10:00.000Z`)."""
    moment = _maybe_instant(value, route)
    if moment is None:
        raise InvalidResponse(f"GET /api/v1/{route} answered an item without its date")
    return moment


def _maybe_instant(value: Any, route: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidResponse(f"GET /api/v1/{route} answered a date that is not an ISO instant")
    return moment


def _optional_text(item: Json, key: str, route: str) -> str | None:
    value = item.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > 1000):
        raise InvalidResponse(f"GET /api/v1/{route} answered a {key} that is not a short text")
    return value or None


def _room(item: Json, route: str) -> LiveRoom:
    ident = item.get("_id")
    if not isinstance(ident, str) or not ident:
        raise InvalidResponse(f"GET /api/v1/{route} answered a room without an _id")
    served = item.get("servedBy")
    if served is not None and not isinstance(served, dict):
        raise InvalidResponse(f"GET /api/v1/{route} answered a servedBy that is not an object")
    department = item.get("department")
    if department is not None and not isinstance(department, dict):
        raise InvalidResponse(f"GET /api/v1/{route} answered a department that is not an object")
    on_hold = item.get("onHold", False)
    if not isinstance(on_hold, bool):
        raise InvalidResponse(f"GET /api/v1/{route} answered an onHold that is not true or false")
    return LiveRoom(
        ident,
        _instant(item.get("ts"), route),
        _optional_text(item, "departmentId", route),
        _optional_text(department, "name", route) if department else None,
        _optional_text(served, "username", route) if served else None,
        _maybe_instant(served.get("ts"), route) if served else None,
        _maybe_instant(item.get("queuedAt"), route),
        on_hold,
    )
