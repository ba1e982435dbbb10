"""A small, hand-written workspace document for sandbox tests (dates relative to a fixed `now`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
PASSWORD = "pw-for-tests"
BOT_PAT = "bot-personal-access-token-0123456789"


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def small_workspace(**settings: Any) -> dict[str, Any]:
    """Users of every kind, a public and a private channel, a DM and two livechat rooms."""
    users = [
        {
            "_id": "u-admin",
            "username": "admin",
            "roles": ["admin", "user"],
            "password": PASSWORD,
            "emails": [{"address": "admin@example.com", "verified": True}],
        },
        {
            "_id": "u-manager",
            "username": "maria",
            "name": "Maria Manager",
            "roles": ["livechat-manager", "user"],
            "password": PASSWORD,
        },
        {"_id": "u-agent", "username": "jane", "roles": ["livechat-agent", "user"], "password": PASSWORD},
        {"_id": "u-agent2", "username": "john", "roles": ["livechat-agent", "user"], "password": PASSWORD},
        {"_id": "u-user", "username": "olivia", "roles": ["user"], "password": PASSWORD},
        {
            "_id": "u-bot",
            "username": "analytics-bot",
            "roles": ["bot", "livechat-manager"],
            "password": PASSWORD,
            "personalAccessTokens": [{"name": "bot", "token": BOT_PAT}],
        },
    ]
    rooms = [
        {"_id": "GENERAL", "t": "c", "name": "general", "members": [u["username"] for u in users]},
        {"_id": "r-managers", "t": "p", "name": "omnichannel-managers", "members": ["maria", "admin", "analytics-bot"]},
        {"_id": "r-public-other", "t": "c", "name": "random", "members": ["olivia"]},
        {
            "_id": "r-live-1",
            "t": "l",
            "ts": iso(NOW.replace(hour=8)),
            "open": True,
            "departmentId": "dep-sales",
            "servedBy": {"_id": "u-agent", "username": "jane"},
            "v": {"_id": "v-1", "username": "guest-1", "token": "tok-1"},
            "fname": "Guest 1",
        },
        {
            "_id": "r-live-2",
            "t": "l",
            "ts": iso(NOW.replace(hour=7)),
            "open": False,
            "departmentId": "dep-support",
            "servedBy": {"_id": "u-agent2", "username": "john"},
            "v": {"_id": "v-2", "username": "guest-2", "token": "tok-2"},
            "metrics": {"chatDuration": 300, "response": {"ft": 20, "avg": 30}, "reaction": {"ft": 5}},
        },
    ]
    messages = [
        {
            "_id": "m-1",
            "rid": "GENERAL",
            "msg": "good morning",
            "ts": iso(NOW.replace(hour=6)),
            "u": {"_id": "u-user", "username": "olivia"},
        },
        {
            "_id": "m-2",
            "rid": "r-live-1",
            "msg": "hello, I need help",
            "ts": iso(NOW.replace(hour=8)),
            "u": {"_id": "v-1", "username": "guest-1"},
            "token": "tok-1",
        },
    ]
    departments = [
        {"_id": "dep-sales", "name": "Sales"},
        {"_id": "dep-support", "name": "Support"},
        {"_id": "dep-cs", "name": "Customer Success"},
    ]
    # Pinned to the 7.x profile: tests outside tests/sandbox/ assert 7.12 (anonymous /api/info) on this workspace.
    base_settings: dict[str, Any] = {"Sandbox_Analytics_Cache_ms": 0, "Sandbox_Version": "7.12.2"}
    base_settings.update(settings)
    return {"settings": base_settings, "users": users, "departments": departments, "rooms": rooms, "messages": messages}


def worked_example(**settings: Any) -> dict[str, Any]:
    """rocketchat-analytics.md §3.7: two livechat rooms created on Tuesday 2024-03-05 (UTC)."""
    document = small_workspace(**settings)
    day = datetime(2024, 3, 5, tzinfo=UTC)
    room_a = {
        "_id": "room-a",
        "t": "l",
        "ts": iso(day.replace(hour=14, minute=10)),
        "open": False,
        "departmentId": "dep-sales",
        "servedBy": {"_id": "u-agent", "username": "jane"},
        "responseBy": {"_id": "u-agent", "username": "jane"},
        "v": {"_id": "v-a", "username": "guest-a", "token": "tok-a"},
        "metrics": {"chatDuration": 600, "response": {"ft": 30, "avg": 40}, "reaction": {"ft": 10}},
    }
    room_b = {
        "_id": "room-b",
        "t": "l",
        "ts": iso(day.replace(hour=14, minute=50)),
        "open": True,
        "departmentId": "dep-support",
        "servedBy": {"_id": "u-agent2", "username": "john"},
        "responseBy": {"_id": "u-agent2", "username": "john"},
        "v": {"_id": "v-b", "username": "guest-b", "token": "tok-b"},
        "metrics": {"response": {"ft": 90, "avg": 90}, "reaction": {"ft": 5}},
    }
    messages: list[dict[str, Any]] = []

    def add(rid: str, minute: int, agent: dict[str, str] | None, token: str) -> None:
        hour_start = day.replace(hour=14, minute=minute)
        message: dict[str, Any] = {"_id": f"{rid}-m{len(messages)}", "rid": rid, "msg": "text", "ts": iso(hour_start)}
        if agent is None:
            message.update({"u": {"_id": f"v-{rid[-1]}", "username": f"guest-{rid[-1]}"}, "token": token})
        else:
            message["u"] = agent
        messages.append(message)

    jane, john = {"_id": "u-agent", "username": "jane"}, {"_id": "u-agent2", "username": "john"}
    for minute, sender in ((10, None), (11, jane), (12, None), (13, jane), (14, jane), (15, jane)):
        add("room-a", minute, sender, "tok-a")
    messages.append(
        {
            "_id": "room-a-close",
            "rid": "room-a",
            "t": "livechat-close",
            "msg": "",
            "ts": iso(day.replace(hour=14, minute=20)),
            "u": jane,
        }
    )
    for minute, sender in ((50, None), (51, john)):
        add("room-b", minute, sender, "tok-b")
    document["rooms"] += [room_a, room_b]
    document["messages"] += messages
    return document
