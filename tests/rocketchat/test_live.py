"""The typed live-operations calls: against the sandbox's hand-worked workspace (tests/sandbox/live_workspace.py,
where every value is derived), and against bodies no Rocket.Chat sends, each of which must be InvalidResponse
naming the route (a small httpx transport stands in for such a server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.config import Secret, Settings
from bot.errors import Forbidden, InvalidResponse
from bot.rocketchat import live
from bot.rocketchat.live import AgentRecord, AgentsStatus, QueuedInquiry, Timing, Version
from bot.rocketchat.rest import RestClient
from bot.sandbox import Sandbox
from tests.sandbox.live_workspace import NOW, START, live_workspace

pytestmark = pytest.mark.anyio
BOT_PAT = "live-bot-token-0123456789"


def with_bot(**settings: Any) -> dict[str, Any]:
    document = live_workspace(**settings)
    document["users"].append(
        {
            "_id": "u-bot",
            "username": "analytics-bot",
            "roles": ["bot", "livechat-manager"],
            "personalAccessTokens": [{"name": "bot", "token": BOT_PAT}],
        }
    )
    return document


async def client(**settings: Any) -> AsyncIterator[RestClient]:
    async with (
        Sandbox(with_bot(**settings), clock=lambda: NOW) as sb,
        RestClient(Settings(url=sb.url, user_id="u-bot", auth_token=Secret(BOT_PAT))) as rest,
    ):
        yield rest


@pytest.fixture
async def rest() -> AsyncIterator[RestClient]:
    async for found in client():
        yield found


def at(hour: float, day: int = 18) -> datetime:
    return datetime(2026, 11, day, tzinfo=UTC) + timedelta(hours=hour)


async def test_the_queue_is_the_queued_inquiries_with_their_creation_time(rest: RestClient) -> None:
    assert await live.queued_inquiries(rest, None) == [QueuedInquiry("inq-q1", "q1", at(11 + 50 / 60), "dep-b")]
    assert await live.queued_inquiries(rest, "dep-a") == []


async def test_agents_with_presence_service_status_and_departments(rest: RestClient) -> None:
    found = {agent.username: agent for agent in await live.agents(rest)}
    assert found["jane"] == AgentRecord("u-jane", "jane", "jane", "online", "available", ("dep-a",))
    assert found["bob"] == AgentRecord("u-bob", "bob", "bob", "offline", "not-available", ())
    assert (found["cat"].status, found["cat"].service) == ("online", None)


async def test_agents_status_counts_as_rocket_chat_buckets_them(rest: RestClient) -> None:
    """available: jane, john; away: ann; offline: bob (not-available) and dan (offline, available); cat (no
    statusLivechat) in none (§1.3)."""
    assert await live.agents_status(rest, None) == AgentsStatus(available=2, away=1, busy=0, offline=2)
    assert await live.agents_status(rest, "dep-b") == AgentsStatus(available=0, away=1, busy=0, offline=0)


async def test_agents_status_without_any_agent_is_zeros(rest: RestClient) -> None:
    """Gamma has no agent: Rocket.Chat answers `{success: true}` alone (§1.5 quirk 6)."""
    assert await live.agents_status(rest, "dep-c") == AgentsStatus(0, 0, 0, 0)


async def test_room_lists_by_state_and_the_limit(rest: RestClient) -> None:
    """open=true: served, open, not on hold — r0, r2, r3, r6 (newest first); on hold: r1."""
    opened = await live.room_list(rest, {"open": "true"}, limit=10)
    assert [room.id for room in opened.rooms] == ["r6", "r3", "r2", "r0"]
    assert (opened.total, opened.complete) == (4, True)
    r0 = opened.rooms[-1]
    assert (r0.agent, r0.department_id, r0.department_name, r0.on_hold) == ("jane", "dep-a", "Alpha", False)
    assert (r0.opened, r0.taken, r0.queued) == (at(9), at(9 + 10 / 3600), None)
    held = await live.room_list(rest, {"onhold": "true"}, limit=10)
    assert [(room.id, room.on_hold) for room in held.rooms] == [("r1", True)]
    assert await live.room_list(rest, {"open": "true"}, limit=3) == live.RoomList((), 4, complete=False)


async def test_rooms_created_between_two_instants(rest: RestClient) -> None:
    found = await live.room_list(rest, live.created_between(at(10), at(11)), limit=10)
    assert sorted(room.id for room in found.rooms) == ["r2", "r3", "r6", "x1"]


async def test_totalizers_and_timings_over_a_window(rest: RestClient) -> None:
    """The values tests/sandbox/test_dashboards.py derives for [now - 1 day, now]."""
    assert await live.totalizers(rest, "chats-totalizers", START, NOW, None) == {
        "Total_abandoned_chats": 2,
        "Avg_of_abandoned_chats": "38%",
        "Avg_of_chat_duration_time": "00:01:06",
    }
    assert await live.timings(rest, START, NOW, None) == {
        "response": Timing(28, 50),
        "reaction": Timing(5, 8),
        "chatDuration": Timing(54, 100),
    }
    assert (await live.timings(rest, START, NOW, "dep-b"))["response"] == Timing(0, None)


def test_dashboard_instants_keep_their_offset() -> None:
    berlin = datetime(2026, 11, 18, tzinfo=ZoneInfo("Europe/Berlin"))
    assert live.dashboard_instant(berlin) == "2026-11-18T00:00:00.000+01:00"
    assert live.dashboard_instant(NOW) == "2026-11-18T12:00:00.000+00:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        live.dashboard_instant(datetime(2026, 11, 18))  # noqa: DTZ001 - the refused case


async def test_settings_need_view_privileged_setting() -> None:
    async for rest in client(Default_Timezone_For_Reporting="custom"):
        with pytest.raises(Forbidden):
            await live.setting(rest, "Default_Timezone_For_Reporting")
    async for rest in client(Sandbox_Permissions={"view-privileged-setting": ["bot"]}):
        assert await live.setting(rest, "Default_Timezone_For_Reporting") == "server"


@pytest.mark.parametrize(
    ("version", "expected"),
    [("7.12.2", Version(7, 12)), ("8.8.0", Version(8, 8)), ("8.8.0-rc.1", Version(8, 8)), ("dev", None)],
)
async def test_the_server_version(version: str, expected: Version | None) -> None:
    """Read anonymously, /api/info names major.minor only (`getTrimmedServerVersion`); `dev` matches nothing."""
    async for rest in client(Sandbox_Version=version):
        assert await live.server_version(rest) == expected
    assert Version(7, 10, 5) < Version(7, 11) < Version(8, 0, 0)
    assert Version(7, 11) == Version(7, 11, 0) < Version(7, 11, 2)  # an unknown patch is .0, never a TypeError
    assert str(Version(8, 8)) == "8.8"


@pytest.mark.parametrize(("version", "expected"), [("7.12.2", Version(7, 12, 2)), ("8.8.0-rc.1", Version(8, 8, 0))])
async def test_a_full_version_keeps_its_patch_number(version: str, expected: Version) -> None:
    """What a caller holding view-statistics is told (`Info.version`)."""
    async with served({"version": version, "success": True}) as rest:
        assert await live.server_version(rest) == expected


# --- bodies Rocket.Chat does not send ------------------------------------------------------------------------


def served(body: Any) -> RestClient:
    """A REST client whose server answers `body` (with `total: 1` pages) to every request."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    settings = Settings(url="http://rc.invalid", user_id="u", auth_token=Secret("t"))
    return RestClient(settings, transport=httpx.MockTransport(handler))


QUEUED = {"_id": "i", "rid": "r", "status": "queued", "ts": "2026-11-18T10:00:00.000Z"}
AGENT = {"_id": "a", "username": "jane", "status": "online", "statusLivechat": "available", "departments": []}
ROOM = {"_id": "r", "ts": "2026-11-18T10:00:00.000Z", "open": True}
Call = Callable[[RestClient], Any]


def page(key: str, item: dict[str, Any]) -> dict[str, Any]:
    return {key: [item], "count": 1, "offset": 0, "total": 1, "success": True}


@pytest.mark.parametrize(
    ("body", "call", "message"),
    [
        (
            page("inquiries", {**QUEUED, "rid": None}),
            lambda rest: live.queued_inquiries(rest, None),
            "livechat/inquiries.list answered an inquiry without _id and rid",
        ),
        (
            page("inquiries", {**QUEUED, "status": "taken"}),
            lambda rest: live.queued_inquiries(rest, None),
            "or not queued",
        ),
        (
            page("inquiries", {**QUEUED, "ts": "yesterday"}),
            lambda rest: live.queued_inquiries(rest, None),
            "livechat/inquiries.list answered a date that is not an ISO instant",
        ),
        (
            page("inquiries", {**QUEUED, "ts": "2026-11-18T10:00:00"}),  # no offset: which zone?
            lambda rest: live.queued_inquiries(rest, None),
            "a date that is not an ISO instant",
        ),
        (
            page("inquiries", {k: v for k, v in QUEUED.items() if k != "ts"}),
            lambda rest: live.queued_inquiries(rest, None),
            "an item without its date",
        ),
        (
            page("users", {**AGENT, "status": "sleeping"}),
            live.agents,
            "livechat/users/agent answered a status Rocket.Chat does not use",
        ),
        (
            page("users", {**AGENT, "statusLivechat": True}),
            live.agents,
            "a statusLivechat Rocket.Chat does not use",
        ),
        (page("users", {**AGENT, "departments": [1]}), live.agents, "a list that should hold only strings"),
        (page("users", {**AGENT, "name": {"first": "J"}}), live.agents, "a name that is not a short text"),
        (
            page("rooms", {**ROOM, "onHold": "yes"}),
            lambda rest: live.room_list(rest, {}, limit=5),
            "livechat/rooms answered an onHold that is not true or false",
        ),
        (
            page("rooms", {**ROOM, "servedBy": "jane"}),
            lambda rest: live.room_list(rest, {}, limit=5),
            "a servedBy that is not an object",
        ),
        (
            {"rooms": [ROOM], "success": True},
            lambda rest: live.room_list(rest, {}, limit=5),
            "livechat/rooms answered without a total",
        ),
        (
            {"totalizers": [{"title": "Total_abandoned_chats", "value": "2"}], "success": True},
            lambda rest: live.totalizers(rest, "chats-totalizers", START, NOW, None),
            "chats-totalizers answered Total_abandoned_chats in a form Rocket.Chat does not use",
        ),
        (
            {"totalizers": [{"title": "Avg_of_waiting_time", "value": 21}], "success": True},
            lambda rest: live.totalizers(rest, "productivity-totalizers", START, NOW, None),
            "answered Avg_of_waiting_time in a form Rocket.Chat does not use",
        ),
        (
            {"totalizers": [{"value": 2}], "success": True},
            lambda rest: live.totalizers(rest, "chats-totalizers", START, NOW, None),
            "a totalizer without a title and a value",
        ),
        (
            {"response": {"avg": -1, "longest": 2}, "reaction": {}, "chatDuration": {}, "success": True},
            lambda rest: live.timings(rest, START, NOW, None),
            "charts/timings answered response without numbers of seconds",
        ),
        (
            {"_id": None, "available": 1.5, "away": 0, "busy": 0, "offline": 0, "success": True},
            lambda rest: live.agents_status(rest, None),
            "charts/agents-status answered counts that are not whole numbers",
        ),
        (
            {"_id": "Language", "value": "en", "success": True},
            lambda rest: live.setting(rest, "Default_Timezone_For_Reporting"),
            "settings/Default_Timezone_For_Reporting answered without the setting's _id and value",
        ),
    ],
)
async def test_malformed_bodies_are_invalid_responses(body: Any, call: Call, message: str) -> None:
    async with served(body) as rest:
        with pytest.raises(InvalidResponse, match=message.replace("(", r"\(").replace(")", r"\)")):
            await call(rest)


async def test_a_room_date_with_an_offset_is_read_as_that_instant() -> None:
    async with served(page("rooms", {**ROOM, "ts": "2026-11-18T11:00:00+01:00"})) as rest:
        found = await live.room_list(rest, {}, limit=5)
    assert found.rooms[0].opened == datetime(2026, 11, 18, 10, tzinfo=UTC)
    assert found.rooms[0].opened.utcoffset() == timezone(timedelta(hours=1)).utcoffset(None)
