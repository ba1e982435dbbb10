"""The queue, agent and room-list routes (rocketchat-live-ops.md §2–5) on the hand-worked workspace, with two
more queued chats: q2 in Alpha (11:55) and q3 without a department (11:57)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.sandbox import Sandbox

from .live_workspace import NOW, PASSWORD, at, live_workspace

pytestmark = pytest.mark.anyio

V1 = "/api/v1/"


def workspace(**settings: Any) -> dict[str, Any]:
    document = live_workspace(**settings)
    for rid, dep, minute in (("q2", "dep-a", 55), ("q3", None, 57)):
        room: dict[str, Any] = {"_id": rid, "t": "l", "ts": at(11 + minute / 60), "open": True, "fname": f"Guest {rid}"}
        room["v"] = {"_id": f"v-{rid}", "username": f"guest-{rid}", "token": f"tok-{rid}"}
        inquiry: dict[str, Any] = {
            "_id": f"inq-{rid}",
            "rid": rid,
            "status": "queued",
            "queuedAt": at(11 + minute / 60),
        }
        if dep:
            room["departmentId"] = inquiry["department"] = dep
        document["rooms"].append(room)
        document["inquiries"].append(inquiry)
    document["inquiries"].append({"_id": "inq-r3", "rid": "r3", "status": "taken", "department": "dep-a"})
    return document


class Api:
    def __init__(self, sb: Sandbox, http: httpx.AsyncClient) -> None:
        self.sb, self.http, self.tokens = sb, http, {}

    async def as_(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            data = (await self.http.post(V1 + "login", json={"user": username, "password": PASSWORD})).json()["data"]
            self.tokens[username] = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
        return self.tokens[username]

    async def get(self, who: str, route: str, params: Any = None, status: int = 200) -> Any:
        response = await self.http.get(V1 + route, params=params, headers=await self.as_(who))
        assert response.status_code == status, response.text
        return response.json()

    async def post(self, who: str, route: str, body: Any, status: int = 200) -> Any:
        response = await self.http.post(V1 + route, json=body, headers=await self.as_(who))
        assert response.status_code == status, response.text
        return response.json()


async def serve(**settings: Any) -> AsyncIterator[Api]:
    async with Sandbox(workspace(**settings), clock=lambda: NOW) as sb, httpx.AsyncClient(base_url=sb.url) as http:
        yield Api(sb, http)


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async for served in serve():
        yield served


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["_id"] for item in items]


async def test_inquiries_list_is_queued_only_newest_first_with_six_fields(api: Api) -> None:
    body = await api.get("maria", "livechat/inquiries.list")
    assert ids(body["inquiries"]) == ["inq-q3", "inq-q2", "inq-q1"]
    assert body["inquiries"][2] == {
        "_id": "inq-q1",
        "rid": "q1",
        "name": "Guest q1",
        "ts": "2026-11-18T11:50:00.000Z",
        "status": "queued",
        "department": "dep-b",
    }
    assert (body["count"], body["offset"], body["total"], body["success"]) == (3, 0, 3, True)
    by_name = await api.get("maria", "livechat/inquiries.list", {"department": "Beta"})
    assert ids(by_name["inquiries"]) == ["inq-q1"]
    unknown = await api.get("maria", "livechat/inquiries.list", {"department": "Nowhere"})
    assert unknown["total"] == 3  # an unknown department is silently ignored
    oldest = await api.get("maria", "livechat/inquiries.list", {"sort": '{"ts": 1}', "count": 1, "offset": 1})
    assert (ids(oldest["inquiries"]), oldest["count"], oldest["total"]) == (["inq-q2"], 1, 3)
    bad = await api.get("maria", "livechat/inquiries.list", {"sort": "ts"}, status=400)
    assert bad["error"] == 'Invalid sort parameter provided: "ts" [error-invalid-sort]'
    denied = await api.get("jane", "livechat/inquiries.list", status=403)
    assert denied["error"].endswith("[error-unauthorized]")


async def test_queued_for_user_is_what_the_caller_may_take_in_queue_order(api: Api) -> None:
    """jane is in Alpha (enabled): q2 (Alpha) and q3 (no department), oldest queued first; a department she
    is not in is refused; bob has no department and sees only the public q3."""
    jane = await api.get("jane", "livechat/inquiries.queuedForUser")
    assert ids(jane["inquiries"]) == ["inq-q2", "inq-q3"]
    assert jane["inquiries"][0]["queuedAt"] == "2026-11-18T11:55:00.000Z"
    refused = await api.get("jane", "livechat/inquiries.queuedForUser", {"department": "dep-b"}, status=400)
    assert refused == {"success": False, "error": "error-not-authorized"}
    assert ids((await api.get("bob", "livechat/inquiries.queuedForUser"))["inquiries"]) == ["inq-q3"]
    one = await api.get("jane", "livechat/inquiries.getOne", {"roomId": "q1"})
    assert one["inquiry"]["_id"] == "inq-q1"
    assert (await api.get("jane", "livechat/inquiries.getOne", {"roomId": "r0"}))["inquiry"] is None
    missing = await api.get("jane", "livechat/inquiries.getOne", {}, status=400)
    assert missing["error"] == "must have required property 'roomId' [invalid-params]"


async def test_inquiries_take(api: Api) -> None:
    """jane takes q2 (`{success: true}` alone: takeInquiry returns nothing); taking it again, an unknown inquiry,
    an unknown user or an agent who is not available are refused with Rocket.Chat's errors."""
    assert await api.post("jane", "livechat/inquiries.take", {"inquiryId": "inq-q2"}) == {"success": True}
    assert api.sb.store.rooms["q2"]["servedBy"]["username"] == "jane"
    again = await api.post("john", "livechat/inquiries.take", {"inquiryId": "inq-q2"}, status=400)
    assert again == {
        "success": False,
        "error": "Inquiry already taken [error-inquiry-taken]",
        "errorType": "error-inquiry-taken",
        "details": {"method": "livechat:takeInquiry"},
    }
    missing = await api.post("jane", "livechat/inquiries.take", {"inquiryId": "nope"}, status=400)
    assert missing["error"] == "Inquiry not found [error-not-found]"
    ghost = await api.post("maria", "livechat/inquiries.take", {"inquiryId": "inq-q3", "userId": "u-x"}, status=400)
    assert ghost == {"success": False, "error": "The user is invalid"}
    offline = await api.post("maria", "livechat/inquiries.take", {"inquiryId": "inq-q3", "userId": "u-bob"}, status=400)
    assert offline["errorType"] == "error-agent-status-service-offline"
    bad = await api.post("jane", "livechat/inquiries.take", {"inquiry": "inq-q3"}, status=400)
    assert bad["error"] == "must have required property 'inquiryId' [invalid-params]"


async def test_queue_is_the_load_per_agent_and_department(api: Api) -> None:
    """Open served rooms: jane r0, r1 (on hold is still open); john r2, r3, r6 (all Alpha); ordered by chats."""
    body = await api.get("jane", "livechat/queue")
    alpha = {"_id": "dep-a", "name": "Alpha"}
    assert body["queue"] == [
        {"user": {"_id": "u-john", "username": "john", "status": "online"}, "department": alpha, "chats": 3},
        {"user": {"_id": "u-jane", "username": "jane", "status": "online"}, "department": alpha, "chats": 2},
    ]
    assert (body["count"], body["total"]) == (2, 2)
    api.sb.store.users["u-jane"]["status"] = "offline"
    assert [row["chats"] for row in (await api.get("jane", "livechat/queue"))["queue"]] == [3]
    everyone = await api.get("jane", "livechat/queue", {"includeOfflineAgents": "true"})
    assert [row["user"]["status"] for row in everyone["queue"]] == ["online", "offline"]
    only_jane = await api.get("jane", "livechat/queue", {"includeOfflineAgents": "true", "agentId": "u-jane"})
    assert [row["chats"] for row in only_jane["queue"]] == [2]


async def test_livechat_users_agent_rows_permissions_and_filters(api: Api) -> None:
    body = await api.get("maria", "livechat/users/agent")
    assert [u["username"] for u in body["users"]] == ["ann", "bob", "cat", "dan", "jane", "john"]
    assert body["users"][4] == {
        "_id": "u-jane",
        "username": "jane",
        "status": "online",
        "statusLivechat": "available",
        "name": "jane",
        "emails": None,
        "livechat": None,
        "departments": ["dep-a"],
    }
    available = await api.get("maria", "livechat/users/agent", {"onlyAvailable": "true"})
    assert [u["username"] for u in available["users"]] == ["ann", "dan", "jane", "john"]
    not_idle = await api.get("maria", "livechat/users/agent", {"showIdleAgents": "false", "text": "A"})
    assert [u["username"] for u in not_idle["users"]] == ["ann", "cat", "jane"]
    assert (await api.get("jane", "livechat/users/agent"))["total"] == 6  # edit-omnichannel-contact
    denied = await api.get("olivia", "livechat/users/agent", status=403)
    assert denied == {"success": False, "error": "unauthorized"}
    bad = await api.get("maria", "livechat/users/agent", {"onlyAvailable": "yes"}, status=400)
    assert bad["error"] == "must be boolean [invalid-params]"
    assert (await api.get("maria", "livechat/users/robot", status=400)) == {"success": False, "error": "Invalid type"}
    one = await api.get("maria", "livechat/users/agent/u-john")
    assert one["user"] == {
        "_id": "u-john",
        "username": "john",
        "name": "john",
        "status": "online",
        "statusLivechat": "available",
    }
    assert (await api.get("maria", "livechat/users/manager/u-john"))["user"] is None


async def test_department_agents(api: Api) -> None:
    body = await api.get("jane", "livechat/department/dep-a/agents")
    assert [(a["username"], a["order"], a["departmentEnabled"], a["count"]) for a in body["agents"]] == [
        ("jane", 1, True, 0),
        ("john", 0, True, 0),
    ]
    by_order = await api.get("jane", "livechat/department/dep-a/agents", {"sort": '{"order": 1}', "count": "1"})
    assert ([a["username"] for a in by_order["agents"]], by_order["total"]) == (["john"], 2)
    assert (await api.get("jane", "livechat/department/nope/agents"))["agents"] == []
    assert (await api.get("olivia", "livechat/department/dep-a/agents", status=403))["success"] is False
    mine = (await api.get("jane", "livechat/agents/u-jane/departments"))["departments"]
    assert [(d["departmentId"], d["departmentName"], d["username"]) for d in mine] == [("dep-a", "Alpha", "jane")]
    api.sb.store.department_agents[0]["departmentEnabled"] = False
    enabled = await api.get("jane", "livechat/agents/u-jane/departments", {"enabledDepartmentsOnly": "true"})
    assert enabled["departments"] == []


async def test_agent_status_toggles_sets_and_refuses(api: Api) -> None:
    assert await api.post("jane", "livechat/agent.status", {}) == {"status": "not-available", "success": True}
    assert api.sb.store.users["u-jane"]["statusLivechat"] == "not-available"
    assert await api.post("jane", "livechat/agent.status", {"status": "not-available"}) == {
        "status": "not-available",
        "success": True,
    }
    assert await api.post("maria", "livechat/agent.status", {"agentId": "u-john", "status": "not-available"}) == {
        "status": "not-available",
        "success": True,
    }
    other = await api.post("jane", "livechat/agent.status", {"agentId": "u-ann"}, status=403)
    assert other == {"success": False, "error": "unauthorized"}
    unknown = await api.post("maria", "livechat/agent.status", {"agentId": "u-olivia"}, status=404)
    assert unknown == {"success": False, "error": "Agent not found"}
    bad = await api.post("jane", "livechat/agent.status", {"status": "busy"}, status=400)
    assert bad["error"] == "must be equal to one of the allowed values [invalid-params]"


async def test_agent_status_respects_closed_business_hours() -> None:
    """Business hours on, the default one open Monday 08:00-20:00 only: on a Wednesday jane cannot make herself
    available (400), and a manager's change for her silently keeps the old status."""
    monday = {"day": "Monday", "start": "08:00", "finish": "20:00", "open": True}
    hours = {"_id": "bh-1", "name": "", "active": True, "type": "default", "timezone": {"name": "UTC"}}
    async for api in serve(Livechat_enable_business_hours=True):
        from bot.sandbox.data_omnichannel import SECTIONS

        SECTIONS["businessHours"](api.sb.store, {**hours, "workHours": [monday]}, "test")
        api.sb.store.users["u-jane"]["statusLivechat"] = "not-available"
        refused = await api.post("jane", "livechat/agent.status", {"status": "available"}, status=400)
        assert refused == {"success": False, "error": "error-business-hours-are-closed"}
        kept = await api.post("maria", "livechat/agent.status", {"agentId": "u-jane", "status": "available"})
        assert kept == {"status": "not-available", "success": True}
        api.sb.store.users["u-jane"]["openBusinessHours"] = ["bh-1"]
        assert (await api.post("jane", "livechat/agent.status", {}))["status"] == "available"
        shown = await api.get("maria", "livechat/business-hour")
        assert shown["businessHour"]["workHours"][0]["start"]["utc"] == {"dayOfWeek": "Monday", "time": "08:00"}
        assert await api.get("maria", "livechat/business-hour", {"_id": "nope"}) == {"success": True}
        assert (await api.get("jane", "livechat/business-hour", status=403))["success"] is False


async def test_livechat_rooms_filters(api: Api) -> None:
    everyone = await api.get("maria", "livechat/rooms")
    assert (everyone["total"], everyone["count"], everyone["offset"]) == (13, 13, 0)
    assert ids(everyone["rooms"])[:3] == ["q3", "q2", "q1"]  # newest first
    assert everyone["rooms"][2]["department"] == {"_id": "dep-b", "name": "Beta"}

    async def rooms(params: Any, who: str = "maria") -> list[str]:
        return ids((await api.get(who, "livechat/rooms", params))["rooms"])

    assert await rooms({"open": "true", "sort": '{"ts": 1}'}) == ["r0", "r2", "r3", "r6"]
    assert sorted(await rooms({"open": "false"})) == ["old", "r4", "r5", "x1", "y1"]
    assert await rooms({"onhold": "1"}) == ["r1"]
    assert await rooms({"queued": "t"}) == ["q3", "q2", "q1"]
    assert await rooms({"agents[]": "u-john", "sort": '{"ts": 1}'}) == ["r5", "r4", "r2", "r3", "r6"]
    assert await rooms({"departmentId": "dep-b"}) == ["q1", "y1"]
    assert await rooms({"departmentId[]": ["dep-b", "dep-x"]}) == ["q1", "y1"]
    assert await rooms({"roomName": '"Guest r0"'}) == ["r0"]
    assert await rooms({"createdAt": '{"start": "2026-11-18T11:00:00Z"}', "sort": '{"ts": 1}'}) == [
        "r6",
        "q1",
        "q2",
        "q3",
    ]
    assert await rooms({"closedAt": '{"end": "2026-11-17T23:00:00Z"}'}) == ["y1", "old"]
    assert await rooms({"createdAt": "{}"}) == []  # `ts: {}` matches nothing
    by_open = await rooms({"sort": '{"open": 1, "ts": 1}', "count": 5})
    assert by_open == ["old", "y1", "r5", "r4", "x1"]  # rooms without `open` first, as MongoDB sorts missing fields
    assert await rooms({"agents[]": "u-jane"}, who="jane") == ["r1", "r0", "old"]


async def test_livechat_rooms_errors_and_permission(api: Api) -> None:
    denied = await api.get("jane", "livechat/rooms", status=403)
    assert denied == {"success": False, "error": "unauthorized"}
    assert (await api.get("jane", "livechat/rooms", {"agents[]": "u-john"}, status=403))["error"] == "unauthorized"
    bad_date = await api.get("olivia", "livechat/rooms", {"createdAt": '{"start": "soon"}'}, status=400)
    assert bad_date == {"success": False, "error": 'The "createdAt.start" query parameter must be a valid date.'}
    bad_fields = await api.get("maria", "livechat/rooms", {"customFields": "[1"}, status=400)
    assert bad_fields["error"] == 'The "customFields" query parameter must be a valid JSON.'
    scalar = await api.get("maria", "livechat/rooms", {"agents": "u-john"}, status=400)
    assert scalar["error"] == "must be array [invalid-params]"
    extra = await api.get("maria", "livechat/rooms", {"status": "open"}, status=400)
    assert extra["error"] == "must NOT have additional properties [invalid-params]"
    capped = await api.get("maria", "livechat/rooms", {"count": "500"})
    assert capped["count"] == 13  # capped at 100; all 13 fit
    api.sb.store.settings["API_Upper_Count_Limit"] = 2
    assert (await api.get("maria", "livechat/rooms", {"count": "500"}))["count"] == 2


@pytest.mark.parametrize(
    ("who", "route"),
    [
        ("olivia", "livechat/inquiries.queuedForUser"),
        ("olivia", "livechat/inquiries.getOne?roomId=q1"),
        ("olivia", "livechat/queue"),
        ("olivia", "livechat/agents/u-jane/departments"),
        ("jane", "livechat/users/agent/u-john"),
        ("olivia", "livechat/users/manager"),
    ],
)
async def test_each_route_refuses_callers_without_its_permission(api: Api, who: str, route: str) -> None:
    body = await api.get(who, route, status=403)
    assert body["success"] is False
    assert body["error"] in (
        "unauthorized",
        "User does not have the permissions required for this action [error-unauthorized]",
    )
    anonymous = await api.http.get(V1 + route)
    assert anonymous.status_code == 401
