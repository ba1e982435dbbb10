"""A hand-worked Omnichannel workspace for the live-operations tests (values derived in the test docstrings).

Now is Wed 2026-11-18 12:00 UTC; the dashboards are asked for [now - 1 day, now]. Department Alpha replays
Rocket.Chat's e2e fixture (`apps/meteor/tests/end-to-end/api/livechat/04-dashboards.ts`, rocketchat-live-ops.md
§1.4): jane serves r0 and r1 (on hold), john r2-r6, of which r4 and r5 are closed and r5 was abandoned. Around
it: a queued chat in Beta, a closed chat without a department, an old chat, a chat created before the window
on the window's first day, and a channel that carries `onHold` (counted by the on-hold query, which has no
livechat filter).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
START = NOW - timedelta(days=1)
PASSWORD = "pw-live"


def at(hours: float, day: int = 18) -> str:
    moment = datetime(2026, 11, day, tzinfo=UTC) + timedelta(hours=hours)
    return moment.isoformat().replace("+00:00", "Z")


def _agent(uid: str, status: str | None, service: str | None, **extra: Any) -> dict[str, Any]:
    user: dict[str, Any] = {"_id": f"u-{uid}", "username": uid, "roles": ["livechat-agent", "user"], **extra}
    if status is not None:
        user["status"] = status
    if service is not None:
        user["statusLivechat"] = service
    return user | {"password": PASSWORD}


def _room(rid: str, ts: str, dep: str | None, agent: str | None, **fields: Any) -> dict[str, Any]:
    room: dict[str, Any] = {"_id": rid, "t": "l", "ts": ts, "fname": f"Guest {rid}"}
    room["v"] = {"_id": f"v-{rid}", "username": f"guest-{rid}", "token": f"tok-{rid}"}
    if dep is not None:
        room["departmentId"] = dep
    if agent is not None:
        room["servedBy"] = {"_id": f"u-{agent}", "username": agent, "ts": fields.pop("joined", ts)}
    return room | fields


def _metrics(ft: float, avg: float, reaction: float, **extra: Any) -> dict[str, Any]:
    return {"response": {"ft": ft, "avg": avg, "tt": avg, "total": 1}, "reaction": {"ft": reaction}, **extra}


def live_workspace(**settings: Any) -> dict[str, Any]:
    users = [
        {"_id": "u-maria", "username": "maria", "roles": ["livechat-manager", "user"], "password": PASSWORD},
        {"_id": "u-olivia", "username": "olivia", "roles": ["user"], "password": PASSWORD},
        _agent("jane", "online", "available"),
        _agent("john", "online", "available"),
        _agent("ann", "away", "available"),
        _agent("bob", "offline", "not-available"),
        _agent("cat", "online", None),
        _agent("dan", "offline", "available"),
    ]
    departments = [
        {"_id": "dep-a", "name": "Alpha"},
        {"_id": "dep-b", "name": "Beta"},
        {"_id": "dep-c", "name": "Gamma"},
    ]
    links = [
        {"agentId": "u-jane", "departmentId": "dep-a", "order": 1},
        {"agentId": "u-john", "departmentId": "dep-a", "order": 0},
        {"agentId": "u-ann", "departmentId": "dep-b"},
    ]
    rooms = [
        _room("r0", at(9), "dep-a", "jane", open=True, waitingResponse=True, metrics=_metrics(10, 10, 5),
              joined=at(9 + 10 / 3600), responseBy={"username": "jane", "lastMessageTs": at(9 + 10 / 60)}),
        _room("r1", at(9.5), "dep-a", "jane", open=True, onHold=True, metrics=_metrics(20, 30, 4),
              responseBy={"username": "jane", "lastMessageTs": at(9.5 + 5 / 60)}),
        _room("r2", at(10), "dep-a", "john", open=True, waitingResponse=True, metrics=_metrics(30, 20, 6),
              responseBy={"username": "john", "lastMessageTs": at(10 + 20 / 60)}),
        _room("r3", at(10.5), "dep-a", "john", open=True, waitingResponse=True),
        _room("r4", at(8), "dep-a", "john", closedAt=at(11), metrics=_metrics(50, 60, 7, chatDuration=40),
              responseBy={"username": "john", "lastMessageTs": at(8 + 5 / 60)}, closer="user"),
        _room("r5", at(7), "dep-a", "john", closedAt=at(11.5),
              metrics=_metrics(12, 12, 3, chatDuration=22.5, visitorInactivity=5),
              responseBy={"username": "john", "lastMessageTs": at(7 + 1 / 60)}, closer="user"),
        _room("r6", at(11), "dep-a", "john", open=True, metrics={}),
        _room("q1", at(11 + 50 / 60), "dep-b", None, open=True, waitingResponse=True),
        _room("x1", at(10), None, "ann", closedAt=at(10.5),
              metrics=_metrics(40, 40, 8, chatDuration=100, visitorInactivity=4000),
              responseBy={"username": "ann", "lastMessageTs": at(10 + 10 / 60)}, closer="user"),
        _room("old", at(10, day=15), "dep-a", "jane", closedAt=at(11, day=15), metrics={"chatDuration": 999}),
        _room("y1", at(5, day=17), "dep-b", "ann", closedAt=at(5 + 10 / 60, day=17), metrics={"chatDuration": 10}),
        {"_id": "lobby", "t": "c", "name": "lobby", "ts": at(11), "onHold": True},
    ]  # fmt: skip
    messages = [
        {"_id": f"r0-{i}", "rid": "r0", "ts": at(9 + i / 60), "msg": "m", "u": {"username": who}, **token}
        for i, (who, token) in enumerate(
            [("guest-r0", {"token": "tok-r0"})] * 3 + [("jane", {})] * 2,
        )
    ]
    visitors = [
        {"_id": "v0", "token": "t0", "department": "dep-a", "_updatedAt": at(9)},
        {"_id": "v1", "token": "t1", "department": "dep-a", "_updatedAt": at(11, day=17)},
        {"_id": "v2", "token": "t2", "department": "dep-b", "_updatedAt": at(10)},
        {"_id": "v3", "token": "t3", "_updatedAt": at(12)},  # exactly `end`: excluded
        {"_id": "v4", "token": "t4", "department": "dep-a", "_updatedAt": at(12, day=17)},  # exactly `start`
    ]
    activity = [
        {"agentId": "u-jane", "date": 20261117, "availableTime": 3600, "lastStartedAt": at(8, day=17),
         "lastStoppedAt": at(9, day=17)},
        {"agentId": "u-john", "date": 20261117, "availableTime": 1800, "lastStartedAt": at(23, day=17)},
        {"agentId": "u-ann", "date": 20261117, "availableTime": 600, "lastStartedAt": at(8, day=17),
         "lastStoppedAt": at(8 + 10 / 60, day=17)},
        {"agentId": "u-jane", "date": 20261118, "availableTime": 7200, "lastStartedAt": at(8),
         "lastStoppedAt": at(10)},
    ]  # fmt: skip
    inquiries = [
        {"_id": "inq-q1", "rid": "q1", "status": "queued", "queuedAt": at(11 + 50 / 60), "department": "dep-b"}
    ]
    base: dict[str, Any] = {
        "Livechat_visitor_inactivity_timeout": 3,
        "Sandbox_Dashboards_Cache_ms": 0,
        "Sandbox_Analytics_Cache_ms": 0,
        "API_Enable_Rate_Limiter": False,
    }
    return {
        "settings": base | settings,
        "users": users,
        "departments": departments,
        "departmentAgents": links,
        "rooms": rooms,
        "messages": messages,
        "visitors": visitors,
        "agentActivity": activity,
        "inquiries": inquiries,
    }
