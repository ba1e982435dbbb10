"""A live Omnichannel morning for the `!now` and live-service tests, played through the sandbox's fault API at
exact instants of one clock that the sandbox and the bot share.

The day: Wed 18 Nov 2026 in Europe/Berlin (UTC+1), which is also Rocket.Chat's reporting zone here. Before
11:00 four chats opened (r1 08:05 Sales, r2 09:10 Support, r3 09:30 Sales, r4 10:50 Sales), taken after 60 s,
180 s, 30 s and 120 s; jane answered r1 after 120 s and r3 after 60 s, john r2 after 240 s (first response
(120 + 240 + 60) / 3 = 140 s); jane closed r3 at 10:40, 69 min after her last reply (abandoned: the visitor
stayed silent past the 1 h timeout). r5 (Support, 11:20) and r6 (Sales, 11:30) wait. John also holds a chat on
hold since yesterday. A week earlier, Wed 11 Nov, chats opened at 08:15, 09:45 and 10:20, then 11:30 and 14:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sandbox import Sandbox
from tests.sandbox.workspace import BOT_PAT  # what tests.harness.bot_settings logs in with

PASSWORD = "pw-now"
ZONE = "Europe/Berlin"


class Clock:
    """One clock for the sandbox and the bot; `at(h, m, s)` is Berlin time on 18 Nov (UTC+1)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 18, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def at(self, hour: int, minute: int, second: int = 0, day: int = 18) -> None:
        self.now = datetime(2026, 11, day, hour, minute, second, tzinfo=UTC) - timedelta(hours=1)


def _agent(name: str, status: str, service: str | None) -> dict[str, Any]:
    user = {"_id": f"u-{name}", "username": name, "roles": ["livechat-agent", "user"], "status": status}
    return user | ({"statusLivechat": service} if service else {}) | {"password": PASSWORD}


def workspace(**settings: Any) -> dict[str, Any]:
    users = [
        {"_id": "u-maria", "username": "maria", "roles": ["livechat-manager", "user"], "password": PASSWORD},
        {
            "_id": "u-bot",
            "username": "analytics-bot",
            "roles": ["bot", "livechat-manager"],
            "password": PASSWORD,
            "personalAccessTokens": [{"name": "bot", "token": BOT_PAT}],
        },
        _agent("jane", "online", "available"),
        _agent("john", "online", "available"),
        _agent("ann", "away", "available"),
        _agent("bob", "offline", "not-available"),
    ]
    links = [
        {"agentId": f"u-{name}", "departmentId": dep}
        for name, dep in (("jane", "dep-sales"), ("ann", "dep-sales"), ("john", "dep-support"), ("bob", "dep-support"))
    ]
    held = {
        "_id": "held",
        "t": "l",
        "ts": "2026-11-17T15:00:00Z",
        "open": True,
        "onHold": True,
        "departmentId": "dep-support",
        "servedBy": {"_id": "u-john", "username": "john", "ts": "2026-11-17T15:01:00Z"},
        "v": {"_id": "v-held", "username": "guest-held", "token": "tok-held"},
    }
    week_ago = [
        {
            "_id": f"w{i}",
            "t": "l",
            "ts": f"2026-11-11T{hm}:00Z",
            "closedAt": f"2026-11-11T{hm}:30Z",
            "departmentId": "dep-sales",
            "servedBy": {"_id": "u-jane", "username": "jane", "ts": f"2026-11-11T{hm}:00Z"},
            "v": {"_id": f"v-w{i}", "username": f"guest-w{i}", "token": f"tok-w{i}"},
            "metrics": {"chatDuration": 1800},
        }
        for i, hm in enumerate(("07:15", "08:45", "09:20", "10:30", "13:00"))  # 08:15 ... 14:00 in Berlin
    ]
    base = {
        "API_Enable_Rate_Limiter": False,
        "Sandbox_Dashboards_Cache_ms": 0,
        "Sandbox_Analytics_Cache_ms": 0,
        "Default_Timezone_For_Reporting": "custom",
        "Default_Custom_Timezone": ZONE,
        "Sandbox_Server_Timezone": ZONE,
    }
    return {
        "settings": base | settings,
        "users": users,
        "departments": [{"_id": "dep-sales", "name": "Sales"}, {"_id": "dep-support", "name": "Support"}],
        "departmentAgents": links,
        "rooms": [
            {"_id": "r-managers", "t": "p", "name": "omnichannel-managers", "members": ["maria", "analytics-bot"]},
            held,
            *week_ago,
        ],
        "messages": [],
    }


def the_morning(sb: Sandbox, clock: Clock) -> None:
    """The module docstring's day, up to 11:37:05."""
    clock.at(8, 5)
    r1 = sb.enqueue(department="Sales")
    clock.at(8, 6)
    sb.take(r1, "jane")
    clock.at(8, 7)
    sb.message(r1, "Let me look", "jane")
    clock.at(9, 10)
    r2 = sb.enqueue(department="Support")
    clock.at(9, 13)
    sb.take(r2, "john")
    clock.at(9, 14)
    sb.message(r2, "Hello", "john")
    clock.at(9, 30)
    r3 = sb.enqueue(department="Sales")
    clock.at(9, 30, 30)
    sb.take(r3, "jane")
    clock.at(9, 31)
    sb.message(r3, "Anything else?", "jane")
    clock.at(10, 40)
    sb.close(r3, "jane")
    clock.at(10, 50)
    r4 = sb.enqueue(department="Sales")
    clock.at(10, 52)
    sb.take(r4, "jane")
    clock.at(11, 20)
    sb.enqueue(department="Support")
    clock.at(11, 30)
    sb.enqueue(department="Sales")
    clock.at(11, 37, 5)
