"""bot/rocketchat/rooms.py, the paging under every conversations export: what it sends to `livechat/rooms`
(over real sockets, to the sandbox), what it accepts back, and how it rides out a flaky page."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.errors import InvalidResponse, RateLimited
from bot.rocketchat.rest import RestClient
from bot.rocketchat.rooms import LivechatRoom, RoomFilter, RoomsForbidden, checked_room, room_pages
from bot.rocketchat.transport import PooledTransport
from bot.sandbox import Sandbox
from tests.exports.harness import NOW, demo_settings, demo_workspace, exporting

pytestmark = pytest.mark.anyio

OCTOBER = RoomFilter(datetime(2026, 9, 30, 22, tzinfo=UTC), datetime(2026, 10, 31, 22, 59, 59, 999000, tzinfo=UTC))


async def read_all(rest: RestClient, which: RoomFilter, sleeps: list[float] | None = None) -> list[LivechatRoom]:
    async def sleep(seconds: float) -> None:
        (sleeps if sleeps is not None else []).append(seconds)

    rooms: list[LivechatRoom] = []
    async for page in room_pages(rest, which, sleep=sleep):
        rooms.extend(page.rooms)
    return rooms


async def test_pages_of_100_oldest_first_without_query_or_fields() -> None:
    sent: list[httpx.URL] = []

    class Recording(PooledTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/livechat/rooms"):
                sent.append(request.url)
            return await super().handle_async_request(request)

    async with (
        Sandbox(demo_workspace(), clock=lambda: NOW) as sb,
        RestClient(demo_settings(sb), transport=Recording(connections=4)) as rest,
    ):
        rooms = await read_all(rest, OCTOBER)
        in_store = [r for r in sb.store.livechat_rooms() if OCTOBER.start <= r["ts"] <= OCTOBER.end]
    assert len(rooms) == len(in_store) > 300
    assert [r.started for r in rooms] == sorted(r.started for r in rooms)
    assert [int(u.params["offset"]) for u in sent] == list(range(0, len(rooms) + 1, 100))[: len(sent)]
    assert len(sent) == -(-len(rooms) // 100)
    for url in sent:
        assert url.params["count"] == "100"
        assert json.loads(url.params["sort"]) == {"ts": 1, "_id": 1}
        assert json.loads(url.params["createdAt"]) == {
            "start": "2026-09-30T22:00:00.000Z",
            "end": "2026-10-31T22:59:59.999Z",
        }
        assert "query" not in url.params and "fields" not in url.params


async def test_department_and_agent_filters_are_the_ids_rocket_chat_filters_by() -> None:
    async with Sandbox(demo_workspace(), clock=lambda: NOW) as sb, RestClient(demo_settings(sb)) as rest:
        which = RoomFilter(OCTOBER.start, OCTOBER.end, department_id="dep-sales", agent_id="u-diego-ramos")
        rooms = await read_all(rest, which)
    assert rooms and {(r.department_id, r.agent, r.department_name) for r in rooms} == {
        ("dep-sales", "diego.ramos", "Sales")
    }


async def test_a_flaky_page_is_tried_again_and_a_long_rate_limit_is_not_waited_out() -> None:
    async with Sandbox(demo_workspace(), clock=lambda: NOW) as sb, RestClient(demo_settings(sb)) as rest:
        sb.fault("livechat/rooms", status=503, times=2)
        sleeps: list[float] = []
        rooms = await read_all(rest, OCTOBER, sleeps)
        assert len(rooms) > 300 and sleeps == [1.0, 2.0]
        sb.clear_faults()
        sb.fault("livechat/rooms", status=429, times=1, retry_after_ms=120_000)
        with pytest.raises(RateLimited):
            await read_all(rest, OCTOBER)


async def test_without_view_livechat_rooms_the_error_names_that_permission() -> None:
    document = demo_workspace(Sandbox_Permissions={"view-livechat-rooms": ["admin"]})
    async with Sandbox(document, clock=lambda: NOW) as sb, RestClient(demo_settings(sb)) as rest:
        with pytest.raises(RoomsForbidden, match="needs a role holding `view-livechat-rooms`"):
            await read_all(rest, OCTOBER)


async def test_a_bot_without_view_livechat_rooms_tells_the_asker_so() -> None:
    document = demo_workspace(
        Sandbox_Permissions={"view-livechat-rooms": ["admin", "livechat-monitor"], "view-full-other-user-info": ["bot"]}
    )
    document["users"] = [
        u | {"roles": ["livechat-monitor", "user"]} if u["username"] == "maria.manager" else u
        for u in document["users"]
    ]
    async with exporting(document) as exporter:
        text = await exporter.say("!export conversations last month")
    assert text == (
        "I can't list the conversations: my service account needs a role holding `view-livechat-rooms` "
        "(e.g. livechat-manager). Please tell a workspace admin."
    )


ROOM: dict[str, Any] = {
    "_id": "r1",
    "t": "l",
    "ts": "2026-10-05T07:12:03.120Z",
    "open": True,
    "servedBy": {"_id": "u1", "username": "jane", "ts": "2026-10-05T07:12:33.120Z"},
    "metrics": {"response": {"ft": 30.5, "avg": 40}, "reaction": {"ft": 10}},
    "v": {"_id": "v1", "username": "guest", "token": "secret-token", "name": "Ann"},
    "tags": ["vip"],
    "source": {"type": "app", "label": "WhatsApp"},
    "surveyFeedback": {"satisfaction": "4"},
    "msgs": 3,
}


def test_a_room_becomes_typed_values() -> None:
    room = checked_room(ROOM, "room 1")
    assert (room.status, room.agent, room.first_response, room.average_response, room.reaction) == (
        "open", "jane", 30.5, 40.0, 10.0
    )  # fmt: skip
    assert (room.source, room.rating, room.tags, room.messages, room.visitor_name) == (
        "app (WhatsApp)",
        4,
        ("vip",),
        3,
        "Ann",
    )
    assert room.waiting_seconds(NOW) == 30.0
    assert "secret-token" not in repr(room)  # the visitor's token is never kept


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"_id": None}, "room 1 has no _id"),
        ({"t": "c"}, "room 1 is not an Omnichannel room"),
        ({"ts": "yesterday"}, "room 1: ts is not a date"),
        ({"ts": None}, "room 1 has no creation time ts"),
        ({"metrics": {"response": {"ft": "30"}}}, "room 1: metrics.response.ft is not a number of seconds"),
        ({"metrics": {"chatDuration": float("nan")}}, "room 1: metrics.chatDuration is not a number of seconds"),
        ({"msgs": 2.5}, "room 1: msgs is not a whole number"),
        ({"tags": "vip"}, "room 1: tags is not a list of strings"),
        ({"servedBy": "jane"}, "room 1: servedBy is not an object"),
        ({"servedBy": {"username": 7}}, "room 1: servedBy.username is not a string"),
    ],
)
def test_a_malformed_room_is_an_invalid_response_naming_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidResponse) as caught:
        checked_room({**ROOM, **change}, "room 1")
    assert str(caught.value).startswith(message)
    assert "secret-token" not in str(caught.value)


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ({"open": True}, "open"),
        ({"open": True, "onHold": True}, "on hold"),
        ({"open": True, "servedBy": None}, "queued"),
        ({"open": None, "closedAt": "2026-10-05T08:00:00Z"}, "closed"),
    ],
)
def test_status_as_the_current_chats_page_tells_them_apart(state: dict[str, Any], status: str) -> None:
    doc = {k: v for k, v in {**ROOM, **state}.items() if v is not None}
    assert checked_room(doc, "room").status == status
