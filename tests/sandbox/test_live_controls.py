"""The live-operations fault API drives exact situations, and the real routes read them back as Rocket.Chat
would write them: a chat queued, taken, answered and closed; agents going available, away and offline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.sandbox import Sandbox

from .live_workspace import NOW, PASSWORD, live_workspace

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def sb(clock: Clock) -> AsyncIterator[Sandbox]:
    async with Sandbox(live_workspace(), clock=clock) as sandbox:
        yield sandbox


async def manager(http: httpx.AsyncClient) -> dict[str, str]:
    data = (await http.post("/api/v1/login", json={"user": "maria", "password": PASSWORD})).json()["data"]
    return {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}


async def test_a_chat_from_queue_to_close_through_the_http_controls(sb: Sandbox, clock: Clock) -> None:
    async with httpx.AsyncClient(base_url=sb.url) as http:
        headers = await manager(http)

        async def control(action: str, body: dict[str, Any]) -> Any:
            response = await http.post(f"/_sandbox/{action}", json=body)
            assert response.status_code == 200, response.text
            return response.json()

        queued = await control("enqueue", {"department": "Alpha", "text": "My invoice is wrong"})
        rid = queued["rid"]
        listing = (await http.get("/api/v1/livechat/inquiries.list", headers=headers)).json()
        assert listing["inquiries"][0]["rid"] == rid and listing["total"] == 2
        room = (await http.get("/api/v1/livechat/rooms", params={"queued": "true"}, headers=headers)).json()["rooms"][0]
        assert (room["_id"], room["open"], room["waitingResponse"], room["department"]["name"]) == (
            rid,
            True,
            True,
            "Alpha",
        )

        clock.advance(30)
        await control("take", {"rid": rid, "username": "jane"})
        assert (await http.get("/api/v1/livechat/inquiries.list", headers=headers)).json()["total"] == 1
        clock.advance(15)
        await control("message", {"rid": rid, "text": "Let me check", "username": "jane"})
        clock.advance(60)
        await control("message", {"rid": rid, "text": "Thanks"})
        clock.advance(20)
        await control("message", {"rid": rid, "text": "Fixed. Anything else?", "username": "jane"})
        clock.advance(3600)
        await control("close", {"rid": rid, "username": "jane"})

        closed = sb.store.rooms[rid]
        assert "open" not in closed
        assert closed["servedBy"]["username"] == "jane"
        assert closed["metrics"]["response"] == {"ft": 45.0, "avg": 32.5, "tt": 65.0, "total": 2}
        assert closed["metrics"]["reaction"]["ft"] == 15.0
        assert closed["metrics"]["chatDuration"] == 3725.0
        assert closed["metrics"]["serviceTimeDuration"] == 3695.0
        assert closed["metrics"]["visitorInactivity"] == 3600.0  # the agent's reply to closing
        assert (closed["closer"], closed["closedBy"]["username"], closed["v"]["status"]) == ("user", "jane", "offline")
        assert closed["responseBy"]["lastMessageTs"] == NOW + timedelta(seconds=125)
        assert not any(i["rid"] == rid for i in sb.store.inquiries.values())
        refused = await http.post("/_sandbox/close", json={"rid": rid})
        assert (refused.status_code, refused.json()["error"]) == (400, "Room closed [error-room-closed]")


async def test_a_visitor_who_gives_up_closes_from_the_queue(sb: Sandbox, clock: Clock) -> None:
    rid = sb.enqueue(department="dep-b")
    clock.advance(300)
    sb.close(rid)
    room = sb.store.rooms[rid]
    assert (room["closer"], room["metrics"]["chatDuration"], "servedBy" in room) == ("visitor", 300.0, False)
    assert "visitorInactivity" not in room["metrics"]


async def test_agent_status_controls_feed_agents_status_and_activity(sb: Sandbox, clock: Clock) -> None:
    """jane goes away (still available: the away bucket), then offline (a stopped activity session of 10 min)."""
    sb.set_agent_status("jane", livechat="not-available")
    sb.set_agent_status("jane", livechat="available")  # online + available: a session starts
    clock.advance(600)
    sb.set_agent_status("jane", status="away")
    async with httpx.AsyncClient(base_url=sb.url) as http:
        headers = await manager(http)
        route = "/api/v1/livechat/analytics/dashboards/charts/agents-status"
        body = (await http.get(route, params={"departmentId": "dep-a"}, headers=headers)).json()
        assert (body["available"], body["away"]) == (1, 1)
        sb.set_agent_status("jane", status="offline")
        body = (await http.get(route, params={"departmentId": "dep-a"}, headers=headers)).json()
        assert (body["available"], body["away"], body["offline"]) == (1, 0, 1)
        bad = await http.post("/_sandbox/agent-status", json={"username": "jane", "status": "sleeping"})
        assert (bad.status_code, bad.json()["error"]) == (400, "Invalid status [error-invalid-status]")
    today = [a for a in sb.store.agent_activity if a["agentId"] == "u-jane" and a["date"] == 20261118]
    assert today[0]["availableTime"] == 7200 + 600  # the loaded 2 h plus this session
    assert today[0]["serviceHistory"][-1] == {"startedAt": NOW, "stoppedAt": NOW + timedelta(seconds=600)}


async def test_controls_name_what_is_wrong(sb: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sb.url) as http:
        for action, body, error in (
            ("enqueue", {"department": "Nowhere"}, "no department 'Nowhere' (give its _id or name)"),
            ("take", {"rid": "q1", "username": "ghost"}, "no user 'ghost'"),
            ("take", {"rid": "r0", "username": "jane"}, "Inquiry already taken [error-not-allowed]"),
            ("message", {"rid": "GENERAL", "text": "x"}, '"rid" must be a non-empty string'),
        ):
            if action == "message":
                body = {"text": "x"}
            response = await http.post(f"/_sandbox/{action}", json=body)
            assert (response.status_code, response.json()["error"]) == (400, error), action
