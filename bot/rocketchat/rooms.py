"""`GET livechat/rooms`, typed and paged: the Omnichannel conversations of a period, one page at a time.

Exports read every conversation of a range from this list (rocketchat-live-ops.md §2; route
`apps/meteor/server/api/v1/omnichannel/rooms.ts`, model `LivechatRooms.findRoomsWithCriteria`):

- The range goes out as `createdAt={"start": ISO, "end": ISO}` (a room is in a period when its creation time
  `ts` is, both ends inclusive), the department as `departmentId`, an agent as `agents[]=<user id>`
  (`servedBy._id`). `query` and `fields` are never sent: 7.0 ignores them and 9.0 answers them with 400 (§6).
- Pages are at most 100 rooms (`API_Upper_Count_Limit`). They are read oldest first with `_id` as the tie
  breaker (`sort={"ts":1,"_id":1}`): a conversation that starts while a long export is paging lands after the
  pages already read instead of shifting them, and MongoDB gives no stable order to ties of one key.
- The caller's permission is `view-livechat-rooms` (or `view-l-room` for one's own rooms only); a 403 is
  re-raised naming that permission, not the analytics one.
- Every room is checked here and becomes a `LivechatRoom`; anything that is not the shape core-typings'
  `IOmnichannelRoom` describes is InvalidResponse naming the field, never echoing the body (it holds visitor
  data and the visitor's token, which must not reach a log).
- Transient failures of one page (429, 5xx, timeouts, dropped connections) are retried here a few times, so
  a long export is not restarted from its first page by the dispatcher.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.errors import BadRequest, Forbidden, InvalidResponse, RateLimited, TransportError
from bot.rocketchat.shapes import MAX_FIGURE, objects_at

__all__ = [
    "MAX_ROOM_PAGES",
    "PAGE_SIZE",
    "ROUTE",
    "LivechatRoom",
    "RoomFilter",
    "RoomsClient",
    "RoomsForbidden",
    "RoomsPage",
    "Sleep",
    "checked_room",
    "room_pages",
    "user_id_of",
]

log = logging.getLogger(__name__)

ROUTE = "livechat/rooms"
PAGE_SIZE = 100  # API_Upper_Count_Limit's default: a bigger `count` is cut to it anyway
MAX_ROOM_PAGES = 5000  # 500,000 conversations: more than a year of any workspace this bot is meant for
SORT = json.dumps({"ts": 1, "_id": 1}, separators=(",", ":"))
PAGE_PAUSES = (1.0, 2.0, 4.0)  # before the 2nd, 3rd and 4th try of one page
MAX_RATE_WAIT = 60.0  # a 429 asking for longer than this ends the export (the message says when to retry)
Json = dict[str, Any]
Sleep = Callable[[float], Awaitable[None]]


class RoomsForbidden(Forbidden):
    """The bot's account may not list Omnichannel rooms: it lacks `view-livechat-rooms`."""


class RoomsClient(Protocol):
    """What this module needs of `bot.rocketchat.rest.RestClient`."""

    async def get_object(self, route: str, params: dict[str, Any] | None = None) -> Json: ...


@dataclass(frozen=True)
class RoomFilter:
    """Which conversations: created in [start, end] (aware instants, both inclusive), optionally of one
    department (by id) and one serving agent (by user id)."""

    start: datetime
    end: datetime
    department_id: str | None = None
    agent_id: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")

    def params(self) -> dict[str, Any]:
        created = {"start": _iso(self.start), "end": _iso(self.end)}
        params: dict[str, Any] = {"createdAt": json.dumps(created, separators=(",", ":")), "sort": SORT}
        if self.department_id:
            params["departmentId"] = self.department_id
        if self.agent_id:
            params["agents[]"] = [self.agent_id]  # qs reads `agents[]=x` as an array; `agents=x` is a 400
        return params


@dataclass(frozen=True)
class LivechatRoom:
    """One conversation as an export needs it. Durations are seconds as Rocket.Chat stored them."""

    id: str
    started: datetime  # ts
    closed: datetime | None  # closedAt
    open: bool  # `open: true`; Rocket.Chat unsets it on close (LivechatRooms.closeRoomById)
    on_hold: bool
    queued_at: datetime | None
    agent: str | None  # servedBy.username
    served_at: datetime | None  # servedBy.ts: when the agent took it
    department_id: str | None
    department_name: str | None  # the `department: {_id, name}` livechat/rooms adds
    visitor_id: str | None
    visitor_name: str | None
    visitor_phone: str | None
    messages: int | None  # msgs: the room's message counter
    first_response: float | None  # metrics.response.ft
    average_response: float | None  # metrics.response.avg
    reaction: float | None  # metrics.reaction.ft
    chat_duration: float | None  # metrics.chatDuration (closed rooms)
    has_response_metrics: bool  # both metrics.response and metrics.reaction: the overview's Productivity set
    tags: tuple[str, ...]
    source: str | None  # source.type, with its label or alias: "widget", "app (WhatsApp)"
    rating: int | None  # surveyFeedback.satisfaction, "1".."5"

    @property
    def status(self) -> str:
        """open, on hold, queued or closed, as the Current Chats page tells them apart: not open is closed; open
        and on hold is on hold; open without an agent is queued (the `queued` filter of livechat/rooms)."""
        if not self.open:
            return "closed"
        if self.on_hold:
            return "on hold"
        return "queued" if self.agent is None else "open"

    def waiting_seconds(self, now: datetime) -> float | None:
        """Seconds in the queue, as Rocket.Chat's client `formatQueuedAt` measures it: from `queuedAt` (else `ts`)
        until the agent took it (`servedBy.ts`); still queued: until `now`; closed unserved: until `closedAt`."""
        begin = self.queued_at or self.started
        if self.served_at is not None:
            end = self.served_at
        elif self.open:
            end = now
        elif self.closed is not None:
            end = self.closed
        else:
            return None
        return max(0.0, round((end - begin).total_seconds(), 3))


@dataclass(frozen=True)
class RoomsPage:
    rooms: list[LivechatRoom]
    fetched: int  # rooms read so far, this page included
    total: int  # what the server says the whole list holds (it can grow while paging "today")


async def room_pages(
    client: RoomsClient,
    which: RoomFilter,
    *,
    sleep: Sleep,
    page_size: int = PAGE_SIZE,
) -> AsyncIterator[RoomsPage]:
    """Every room of `which`, a page at a time, each room once (a room seen on an earlier page is skipped)."""
    seen: set[str] = set()
    offset = 0
    base = which.params()
    for _ in range(MAX_ROOM_PAGES):
        body = await _page(client, {**base, "count": page_size, "offset": offset}, sleep)
        docs = objects_at(body, "rooms", f"GET /api/v1/{ROUTE}")
        total = body.get("total")
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise InvalidResponse(f"GET /api/v1/{ROUTE} answered a page without a whole-number total")
        rooms = []
        for index, doc in enumerate(docs):
            room = checked_room(doc, f"GET /api/v1/{ROUTE} (room {offset + index + 1})")
            if room.id not in seen:
                seen.add(room.id)
                rooms.append(room)
        offset += len(docs)
        yield RoomsPage(rooms, len(seen), max(total, len(seen)))
        if not docs or offset >= total:
            return
    raise InvalidResponse(f"GET /api/v1/{ROUTE} was still paging after {MAX_ROOM_PAGES} pages of {page_size}")


async def _page(client: RoomsClient, params: dict[str, Any], sleep: Sleep) -> Json:
    for attempt in range(len(PAGE_PAUSES) + 1):
        try:
            return await client.get_object(ROUTE, params)
        except Forbidden as exc:
            raise RoomsForbidden(
                f"GET /api/v1/{ROUTE} is forbidden for the bot's account: it needs a role holding "
                "`view-livechat-rooms` (by default livechat-manager, livechat-monitor or admin)"
            ) from exc
        except TransportError as exc:
            last = attempt == len(PAGE_PAUSES)
            wait = exc.retry_after if isinstance(exc, RateLimited) else PAGE_PAUSES[min(attempt, len(PAGE_PAUSES) - 1)]
            if not exc.retryable or last or wait > MAX_RATE_WAIT:
                raise
            log.info("%s page at offset %s failed (%s); trying again in %.1f s", ROUTE, params["offset"], exc, wait)
            await sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover - the last attempt returns or raises


async def user_id_of(client: RoomsClient, username: str) -> str | None:
    """The user id behind a username (`users.info`), or None when there is no such user."""
    try:
        body = await client.get_object("users.info", {"username": username})
    except BadRequest:
        return None  # Rocket.Chat answers an unknown username with 400 "User not found."
    user = body.get("user")
    found = user.get("_id") if isinstance(user, dict) else None
    if not isinstance(found, str) or not found:
        raise InvalidResponse("GET /api/v1/users.info answered a user without an _id")
    return found


# --- shape checks --------------------------------------------------------------------------------


def checked_room(doc: Json, where: str) -> LivechatRoom:
    """A `livechat/rooms` item as a LivechatRoom; InvalidResponse naming the field if it is malformed."""
    rid = doc.get("_id")
    if not isinstance(rid, str) or not rid:
        raise InvalidResponse(f"{where} has no _id")
    if doc.get("t") != "l":
        raise InvalidResponse(f"{where} is not an Omnichannel room (t is not 'l')")
    served = _object(doc, "servedBy", where)
    metrics = _object(doc, "metrics", where)
    response = _object(metrics, "response", where)
    reaction = _object(metrics, "reaction", where)
    visitor = _object(doc, "v", where)
    department = _object(doc, "department", where)
    source = _object(doc, "source", where)
    survey = _object(doc, "surveyFeedback", where)
    started = _instant(doc.get("ts"), "ts", where)
    if started is None:
        raise InvalidResponse(f"{where} has no creation time ts")
    return LivechatRoom(
        id=rid,
        started=started,
        closed=_instant(doc.get("closedAt"), "closedAt", where),
        open=doc.get("open") is True,
        on_hold=doc.get("onHold") is True,
        queued_at=_instant(doc.get("queuedAt"), "queuedAt", where),
        agent=_text(served.get("username"), "servedBy.username", where),
        served_at=_instant(served.get("ts"), "servedBy.ts", where),
        department_id=_text(doc.get("departmentId"), "departmentId", where),
        department_name=_text(department.get("name"), "department.name", where),
        visitor_id=_text(visitor.get("_id"), "v._id", where),
        visitor_name=_text(visitor.get("name"), "v.name", where) or _text(doc.get("fname"), "fname", where),
        visitor_phone=_phone(visitor.get("phone"), where),
        messages=_count(doc.get("msgs"), "msgs", where),
        first_response=_seconds(response.get("ft"), "metrics.response.ft", where),
        average_response=_seconds(response.get("avg"), "metrics.response.avg", where),
        reaction=_seconds(reaction.get("ft"), "metrics.reaction.ft", where),
        chat_duration=_seconds(metrics.get("chatDuration"), "metrics.chatDuration", where),
        has_response_metrics="response" in metrics and "reaction" in metrics,
        tags=_tags(doc.get("tags"), where),
        source=_source(source, where),
        rating=_rating(survey.get("satisfaction")),
    )


def _object(doc: Json, key: str, where: str) -> Json:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidResponse(f"{where}: {key} is not an object")
    return value


def _text(value: Any, name: str, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidResponse(f"{where}: {name} is not a string")
    return value


def _instant(value: Any, name: str, where: str) -> datetime | None:
    """An ISO-8601 date as REST serialises one (`"2024-03-05T14:10:00.000Z"`), or EJSON `{"$date": ms}`."""
    if value is None:
        return None
    try:
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError(value)
            return parsed.astimezone(UTC)
        if isinstance(value, dict) and isinstance(value.get("$date"), int | float):
            return datetime.fromtimestamp(value["$date"] / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise InvalidResponse(f"{where}: {name} is not a date")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _seconds(value: Any, name: str, where: str) -> float | None:
    if value is None:
        return None
    if not _number(value) or abs(value) > MAX_FIGURE:
        raise InvalidResponse(f"{where}: {name} is not a number of seconds")
    return float(value)


def _count(value: Any, name: str, where: str) -> int | None:
    if value is None:
        return None
    if not _number(value) or value != int(value) or not 0 <= value <= MAX_FIGURE:
        raise InvalidResponse(f"{where}: {name} is not a whole number")
    return int(value)


def _tags(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise InvalidResponse(f"{where}: tags is not a list of strings")
    return tuple(value)


def _phone(value: Any, where: str) -> str | None:
    """`v.phone`: a string in the room type; visitor documents keep `[{phoneNumber}]`, accepted too."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        numbers = [item.get("phoneNumber") for item in value if isinstance(item, dict)]
        return next((n for n in numbers if isinstance(n, str)), None)
    raise InvalidResponse(f"{where}: v.phone is neither a string nor a list of phone numbers")


def _source(source: Json, where: str) -> str | None:
    kind = _text(source.get("type"), "source.type", where)
    if kind is None:
        return None
    name = source.get("label") or source.get("alias")
    return f"{kind} ({name})" if isinstance(name, str) and name and name != kind else kind


def _rating(value: Any) -> int | None:
    """`surveyFeedback.satisfaction` is a string "1".."5" (rocketchat-live-ops.md §7); anything else is no rating
    (the field is not in the typed interface, and the survey's values are configurable)."""
    if isinstance(value, str) and re.fullmatch(r"\d{1,3}", value.strip(), re.ASCII):
        return int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
