"""What happens to Omnichannel data when chats and agents move: enqueue, take, messages, close, agent status.

Each operation writes the fields Rocket.Chat writes, so the dashboards, the queue and `livechat/rooms` see a
live chat exactly as they would see one in Rocket.Chat (rocketchat-live-ops.md §1.3 "Where the room metrics
come from", §3, §4; rocketchat-analytics.md §3.2):

- a new chat is a room (`open: true`, `v`, `departmentId`, `source`), an inquiry (`status: 'queued'`,
  `queuedAt`) and the visitor's first message; a visitor message sets `waitingResponse: true`, unsets
  `responseBy` and moves `v.lastMessageTs` (`markRoomNotResponded`);
- taking sets `servedBy {_id, username, ts}`, the inquiry's `status: 'taken'`/`takenAt`, and subscribes the agent;
- an agent reply sets `responseBy {_id, username, firstResponseTs, lastMessageTs}` and unsets `waitingResponse`
  (`markRoomResponded`), and updates `metrics.response`/`metrics.reaction` as `saveAnalyticsData` does;
- closing sets `closedAt`, `closer`, `closedBy`, `metrics.chatDuration`, `metrics.serviceTimeDuration` (when
  served), `v.status: 'offline'`, unsets `open` (`LivechatRooms.closeRoomById`) and removes the inquiry;
  `metrics.visitorInactivity` is written when someone other than the visitor closes a chat whose last message
  was the agent's (`processRoomAbandonment.ts`);
- an agent's availability is `statusLivechat`; time spent available and connected is recorded per server-local
  day in `agentActivity` (`LivechatAgentActivityMonitor.ts`): a session starts when an available agent is
  online, stops when they go offline or not-available, and is split at midnight.
"""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from .model import MeteorError
from .store import Doc, Store

__all__ = [
    "agent_message",
    "close",
    "enqueue",
    "set_agent_status",
    "set_presence",
    "split_activity_at_midnight",
    "take",
    "visitor_message",
]


_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"  # Random.id()'s, as the store uses


def _new_id(store: Store, rng: random.Random | None, length: int = 17) -> str:
    """An id from `rng` when the caller wants ids of its own (the living workspace), else the store's."""
    return "".join(rng.choice(_ALPHABET) for _ in range(length)) if rng is not None else store.new_id(length)


def _seconds(later: datetime, earlier: datetime) -> float:
    return round((later - earlier).total_seconds(), 3)


def _livechat_room(store: Store, rid: str) -> Doc:
    room = store.rooms.get(rid)
    if room is None or room.get("t") != "l":
        raise MeteorError("error-invalid-room", "Invalid room", status=400)
    return room


def _message(
    store: Store, room: Doc, sender: Doc, text: str, at: datetime, rng: random.Random | None = None, **extra: object
) -> Doc:
    message: Doc = {
        "_id": _new_id(store, rng),
        "rid": room["_id"],
        "msg": text,
        "ts": at,
        "u": sender,
        "_updatedAt": at,
    }
    message.update(extra)
    store.store_message(message)
    return message


def enqueue(
    store: Store,
    *,
    department_id: str | None,
    text: str,
    visitor: Doc | None = None,
    at: datetime | None = None,
    rng: random.Random | None = None,
) -> Doc:
    """A visitor starts a chat: visitor, room, queued inquiry and the first message. Returns the room.
    Ids come from `rng` when given (else from the store's generator)."""
    now = at or store.now()
    if department_id is not None and department_id not in store.departments:
        raise MeteorError("error-invalid-department", "Invalid department", status=400)
    if visitor is None:
        number = len(store.visitors) + 1
        visitor = {"_id": _new_id(store, rng), "token": _new_id(store, rng, 24), "username": f"guest-{number}"}
        visitor["name"] = f"Guest {number}"
    visitor = store.visitors.setdefault(visitor["_id"], visitor)
    visitor.update({"ts": visitor.get("ts", now), "_updatedAt": now, "status": "online"})
    if department_id is not None:
        visitor["department"] = department_id
    ref = {"_id": visitor["_id"], "username": visitor["username"], "token": visitor["token"], "status": "online"}
    room: Doc = {"_id": _new_id(store, rng), "t": "l", "fname": visitor.get("name", visitor["username"]), "ts": now}
    room.update({"open": True, "v": ref, "source": {"type": "widget"}, "msgs": 0, "_updatedAt": now})
    room.update({"queuedAt": now, "metrics": {"v": {"lq": now}}, "estimatedWaitingTimeQueue": 9999999})
    if department_id is not None:
        room["departmentId"] = department_id
    store.add_room(room)
    inquiry: Doc = {
        "_id": _new_id(store, rng),
        "rid": room["_id"],
        "name": room["fname"],
        "ts": now,
        "status": "queued",
    }
    inquiry.update({"queuedAt": now, "v": dict(ref), "message": text, "source": {"type": "widget"}, "_updatedAt": now})
    inquiry.update({"priorityWeight": 99, "estimatedWaitingTimeQueue": 9999999})
    if department_id is not None:
        inquiry["department"] = department_id
    store.inquiries[inquiry["_id"]] = inquiry
    visitor_message(store, room["_id"], text, at=now, rng=rng)
    return room


def visitor_message(
    store: Store, rid: str, text: str, *, at: datetime | None = None, rng: random.Random | None = None
) -> Doc:
    now = at or store.now()
    room = _livechat_room(store, rid)
    visitor = room["v"]
    sender = {"_id": visitor["_id"], "username": visitor["username"]}
    message = _message(store, room, sender, text, now, rng, token=visitor["token"])
    room["v"]["lastMessageTs"] = now
    room.setdefault("metrics", {}).setdefault("v", {})["lq"] = now
    if not room.get("waitingResponse"):
        room["waitingResponse"] = True
        room.pop("responseBy", None)
    inquiry = _inquiry_of(store, rid)
    if inquiry is not None:
        inquiry["lastMessage"] = message
    if visitor["_id"] in store.visitors:
        store.visitors[visitor["_id"]]["_updatedAt"] = now
    return message


def _inquiry_of(store: Store, rid: str) -> Doc | None:
    return next((i for i in store.inquiries.values() if i.get("rid") == rid), None)


def take(store: Store, rid: str, agent: Doc, *, at: datetime | None = None, rng: random.Random | None = None) -> Doc:
    """An agent takes a queued chat (`takeInquiry` + `RoutingManager.assignAgent`). Returns the inquiry."""
    now = at or store.now()
    room = _livechat_room(store, rid)
    inquiry = _inquiry_of(store, rid)
    if inquiry is None or inquiry.get("status") != "queued" or "servedBy" in room:
        raise MeteorError("error-not-allowed", "Inquiry already taken", status=400)
    if "livechat-agent" not in agent.get("roles", []):
        raise MeteorError("error-not-allowed", "Not allowed", status=400)
    inquiry.update({"status": "taken", "takenAt": now, "_updatedAt": now})
    inquiry.pop("queuedAt", None)
    inquiry["defaultAgent"] = {"agentId": agent["_id"], "username": agent["username"]}
    room["servedBy"] = {"_id": agent["_id"], "username": agent["username"], "ts": now}
    room["_updatedAt"] = now
    store.subscribe_user(room, agent)
    sender = {"_id": agent["_id"], "username": agent["username"]}
    _message(store, room, sender, agent["username"], now, rng, t="uj")
    agent["lastAssignTime"] = now
    return inquiry


def agent_message(
    store: Store, rid: str, agent: Doc, text: str, *, at: datetime | None = None, rng: random.Random | None = None
) -> Doc:
    now = at or store.now()
    room = _livechat_room(store, rid)
    message = _message(store, room, {"_id": agent["_id"], "username": agent["username"]}, text, now, rng)
    metrics = room.setdefault("metrics", {})
    asked = metrics.get("v", {}).get("lq", room["ts"])
    last_reply = metrics.get("servedBy", {}).get("lr")
    response = metrics.get("response")
    if response is None:
        joined = room.get("servedBy", {}).get("ts", room["ts"])
        ft = _seconds(now, asked)
        metrics["response"] = {"ft": ft, "avg": ft, "tt": ft, "total": 1}
        metrics["reaction"] = {"ft": _seconds(now, joined), "tt": _seconds(now, joined)}
    elif last_reply is None or asked > last_reply:
        response["tt"] = round(response["tt"] + _seconds(now, asked), 3)
        response["total"] += 1
        response["avg"] = round(response["tt"] / response["total"], 3)
        metrics["reaction"]["tt"] = round(metrics["reaction"].get("tt", 0) + _seconds(now, asked), 3)
    metrics.setdefault("servedBy", {})["lr"] = now
    first = (room.get("responseBy") or {}).get("firstResponseTs", now)
    room["responseBy"] = {"_id": agent["_id"], "username": agent["username"], "firstResponseTs": first}
    room["responseBy"]["lastMessageTs"] = now
    room.pop("waitingResponse", None)
    return message


def close(
    store: Store, rid: str, *, by: Doc | None = None, at: datetime | None = None, rng: random.Random | None = None
) -> Doc:
    """Close a chat; `by` is the closing user, or None for the visitor. Returns the room."""
    now = at or store.now()
    room = _livechat_room(store, rid)
    if room.get("open") is not True:
        raise MeteorError("error-room-closed", "Room closed", status=400)
    metrics = room.setdefault("metrics", {})
    metrics["chatDuration"] = _seconds(now, room["ts"])
    served = room.get("servedBy")
    if served and isinstance(served.get("ts"), datetime):
        metrics["serviceTimeDuration"] = _seconds(now, served["ts"])
    room.update({"closedAt": now, "_updatedAt": now})
    if by is None:
        room["closer"], room["closedBy"] = "visitor", {"_id": room["v"]["_id"], "username": room["v"]["username"]}
    else:
        room["closer"], room["closedBy"] = "user", {"_id": by["_id"], "username": by["username"]}
        _abandonment(store, room, now)
    room["v"]["status"] = "offline"
    room.pop("open", None)
    store.inquiries = {k: i for k, i in store.inquiries.items() if i.get("rid") != rid}
    if served:
        agent = store.users.get(served["_id"])
        if agent is not None:
            store.unsubscribe_user(room, agent)
    actor = by or {"_id": room["v"]["_id"], "username": room["v"]["username"]}
    _message(store, room, {"_id": actor["_id"], "username": actor["username"]}, "", now, rng, t="livechat-close")
    return room


def _abandonment(store: Store, room: Doc, closed_at: datetime) -> None:
    """`processRoomAbandonment`: seconds from the first agent message after the visitor's last one to closing,
    only when the last message was the agent's (business hours are not applied: the sandbox default is off)."""
    last_visitor = room["v"].get("lastMessageTs")
    texts = [store.messages[m] for m in store.room_message_ids(room["_id"]) if not store.messages[m].get("t")]
    if not isinstance(last_visitor, datetime) or not texts or "token" in texts[-1]:
        return
    replies = [m for m in texts if "token" not in m and m["ts"] > last_visitor]
    if replies:
        room["metrics"]["visitorInactivity"] = _seconds(closed_at, min(m["ts"] for m in replies))


# --- agents ------------------------------------------------------------------------------------------------


def _server_day(store: Store, moment: datetime) -> int:
    zone = ZoneInfo(str(store.settings.get("Sandbox_Server_Timezone", "UTC")))
    return int(moment.astimezone(zone).strftime("%Y%m%d"))


def _open_session(store: Store, agent_id: str) -> Doc | None:
    return next((a for a in store.agent_activity if a.get("agentId") == agent_id and not a.get("lastStoppedAt")), None)


def _start_session(store: Store, agent: Doc, now: datetime) -> None:
    if _open_session(store, agent["_id"]) is not None:
        return
    day = _server_day(store, now)
    doc = next((a for a in store.agent_activity if a["agentId"] == agent["_id"] and a.get("date") == day), None)
    if doc is None:
        doc = {"_id": store.new_id(), "agentId": agent["_id"], "date": day, "availableTime": 0}
        store.agent_activity.append(doc)
    doc["lastStartedAt"] = now
    doc.pop("lastStoppedAt", None)


def _stop_session(store: Store, agent: Doc, now: datetime) -> None:
    doc = _open_session(store, agent["_id"])
    if doc is None:
        return
    started = doc["lastStartedAt"]
    doc["availableTime"] = round(doc.get("availableTime", 0) + _seconds(now, started), 3)
    doc["lastStoppedAt"] = now
    doc.setdefault("serviceHistory", []).append({"startedAt": started, "stoppedAt": now})


def _sync_session(store: Store, agent: Doc, now: datetime) -> None:
    if agent.get("statusLivechat") == "available" and agent.get("status", "offline") != "offline":
        _start_session(store, agent, now)
    else:
        _stop_session(store, agent, now)


def set_agent_status(store: Store, agent: Doc, status: str, *, at: datetime | None = None) -> None:
    """`setUserStatusLivechat`: `statusLivechat` is `available` or `not-available`."""
    if status not in ("available", "not-available"):
        raise MeteorError("error-invalid-status", "Invalid status", status=400)
    agent["statusLivechat"] = status
    agent["livechatStatusSystemModified"] = False
    _sync_session(store, agent, at or store.now())


def set_presence(store: Store, agent: Doc, status: str, *, at: datetime | None = None) -> None:
    """The user's presence (`status`, `statusConnection`): online, away, busy or offline."""
    if status not in ("online", "away", "busy", "offline"):
        raise MeteorError("error-invalid-status", "Invalid status", status=400)
    agent["status"] = agent["statusConnection"] = status
    _sync_session(store, agent, at or store.now())


def split_activity_at_midnight(store: Store, midnight: datetime) -> None:
    """The 00:00 server-time job: open sessions stop at midnight and start again on the new day."""
    for doc in [a for a in store.agent_activity if not a.get("lastStoppedAt")]:
        agent = store.users.get(doc["agentId"])
        if agent is not None:
            _stop_session(store, agent, midnight)
            _start_session(store, agent, midnight)
