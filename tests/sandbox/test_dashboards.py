"""The Real-time Monitoring routes (`livechat/analytics/dashboards/*`) against rocketchat-live-ops.md §1 on the
hand-worked workspace of live_workspace.py. Every expected value is derived by hand in the test's docstring."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.sandbox import Sandbox, dashboards
from bot.sandbox.data import load_document

from .live_workspace import NOW, PASSWORD, START, live_workspace

pytestmark = pytest.mark.anyio

BASE = "/api/v1/livechat/analytics/dashboards/"
WINDOW = {"start": START.isoformat().replace("+00:00", "Z"), "end": NOW.isoformat().replace("+00:00", "Z")}
ALPHA = {**WINDOW, "departmentId": "dep-a"}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> Any:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def serve(clock: Clock, **settings: Any) -> AsyncIterator[tuple[Sandbox, httpx.AsyncClient, dict[str, str]]]:
    async with Sandbox(live_workspace(**settings), clock=clock) as sb, httpx.AsyncClient(base_url=sb.url) as http:
        login = await http.post("/api/v1/login", json={"user": "maria", "password": PASSWORD})
        data = login.json()["data"]
        yield sb, http, {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}


@pytest.fixture
async def api(clock: Clock) -> AsyncIterator[tuple[Sandbox, httpx.AsyncClient, dict[str, str]]]:
    async for served in serve(clock):
        yield served


async def get(api: Any, route: str, params: dict[str, str]) -> Any:
    _, http, headers = api
    response = await http.get(BASE + route, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_charts_chats_counts_open_closed_queued_and_on_hold(api: Any) -> None:
    """Window rooms r0-r6, q1, x1. closed = has chatDuration: r4, r5, x1; open = no duration, not on hold,
    served: r0, r2, r3, r6; queued = open, unserved: q1; on hold = any room type, ts in [start, end): r1 and
    the channel `lobby`. Alpha alone is the e2e fixture's {4, 2, 0, 1}."""
    assert await get(api, "charts/chats", WINDOW) == {"open": 4, "closed": 3, "queued": 1, "onhold": 2, "success": True}
    expected = {"open": 4, "closed": 2, "queued": 0, "onhold": 1, "success": True}
    assert await get(api, "charts/chats", ALPHA) == expected


async def test_chats_per_agent_merges_three_groups_and_loses_onhold_after_a_closed_pass(api: Any) -> None:
    """open: jane r0, john r2 r3 r6; closed (no `open`, closedAt <= end): john r4 r5, ann x1; on hold: jane r1.
    The closed pass rebuilds john and ann without `onhold`; jane keeps it (e2e: B has no onhold key)."""
    body = await get(api, "charts/chats-per-agent", WINDOW)
    assert body == {
        "jane": {"open": 1, "closed": 0, "onhold": 1},
        "john": {"open": 3, "closed": 2},
        "ann": {"open": 0, "closed": 1},
        "success": True,
    }
    assert list(body) == ["jane", "john", "ann", "success"]


async def test_chats_per_department_by_name_with_on_hold_as_open_and_deleted_as_undefined(api: Any) -> None:
    """Rooms with a department: Alpha open r0 r1 (on hold counts) r2 r3 r6, closed r4 r5; Beta open q1.
    x1 has no department and is left out. A deleted department's rooms fall under "undefined"."""
    expected = {"Alpha": {"open": 5, "closed": 2}, "Beta": {"open": 1, "closed": 0}, "success": True}
    assert await get(api, "charts/chats-per-department", WINDOW) == expected
    sandbox = api[0]
    del sandbox.store.departments["dep-b"]
    body = await get(api, "charts/chats-per-department", WINDOW)
    assert body["undefined"] == {"open": 1, "closed": 0}


async def test_agents_status_buckets_and_the_empty_answer(api: Any) -> None:
    """available = online+available: jane, john; away = away+available: ann; offline = offline+available (dan)
    or not-available (bob); cat has no statusLivechat and is in no bucket. A department without agents has no
    group at all, so the body is only `success` (`[0]` of an empty aggregate)."""
    everyone = {"_id": None, "offline": 2, "away": 1, "busy": 0, "available": 2, "success": True}
    assert await get(api, "charts/agents-status", {}) == everyone
    alpha = {"_id": None, "offline": 0, "away": 0, "busy": 0, "available": 2, "success": True}
    assert await get(api, "charts/agents-status", ALPHA) == alpha  # start/end tolerated
    assert await get(api, "charts/agents-status", {"departmentId": "dep-c"}) == {"success": True}


async def test_timings_truncate_averages_and_report_the_longest_first_response(api: Any) -> None:
    """response: Σavg 10+30+20+60+12+40 = 172 over 6 rooms -> 28; longest = max ft = 50. reaction: Σft 33 / 6
    -> 5, longest 8. chatDuration over r4, r5, x1: 162.5 / 3 -> 54, longest 100. Beta has only q1: no response
    fields -> avg 0 and longest null; no room with a duration -> 0 and 0."""
    assert await get(api, "charts/timings", WINDOW) == {
        "response": {"avg": 28, "longest": 50},
        "reaction": {"avg": 5, "longest": 8},
        "chatDuration": {"avg": 54, "longest": 100},
        "success": True,
    }
    beta = await get(api, "charts/timings", {**WINDOW, "departmentId": "dep-b"})
    assert beta["response"] == {"avg": 0, "longest": None}
    assert beta["chatDuration"] == {"avg": 0, "longest": 0}


async def test_chats_totalizers(api: Any) -> None:
    """Abandoned (inactivity >= 3 s, ts >= start, closedAt <= end): r5, x1. Percentage per department over all
    window rooms: Alpha floor(100/7) = 14, Beta 0, no department 100 -> mean 38. Duration of closed rooms:
    Alpha ceil(62.5/2) = 32, no department 100 -> mean 66 s. Alpha alone: 1, "14%" (the e2e values), 32 s."""
    assert await get(api, "chats-totalizers", WINDOW) == {
        "totalizers": [
            {"title": "Total_abandoned_chats", "value": 2},
            {"title": "Avg_of_abandoned_chats", "value": "38%"},
            {"title": "Avg_of_chat_duration_time", "value": "00:01:06"},
        ],
        "success": True,
    }
    alpha = (await get(api, "chats-totalizers", ALPHA))["totalizers"]
    assert [item["value"] for item in alpha] == [1, "14%", "00:00:32"]


async def test_conversation_totalizers_mix_whole_days_and_exact_instants(api: Any) -> None:
    """Overview items over whole days 11-17..11-18 (Alpha: r0-r6): 7 conversations; open = has metrics, no
    duration, not on hold: r0, r2, r6 (`{}` counts); on hold r1; messages r0 5 + six rooms counted as 1 = 11.
    Total_visitors: Alpha visitors updated in [start, end): v0 and v4 (exactly start); v1 is older."""
    assert await get(api, "conversation-totalizers", ALPHA) == {
        "totalizers": [
            {"title": "Total_conversations", "value": 7},
            {"title": "Open_conversations", "value": 3},
            {"title": "On_Hold_conversations", "value": 1},
            {"title": "Total_messages", "value": 11},
            {"title": "Total_visitors", "value": 2},
        ],
        "success": True,
    }
    everyone = (await get(api, "conversation-totalizers", WINDOW))["totalizers"]
    assert everyone[0] == {"title": "Total_conversations", "value": 10}  # + q1, x1 and y1 (11-17 05:00)
    assert everyone[4] == {"title": "Total_visitors", "value": 3}  # v0, v2, v4; v3 is exactly `end`


async def test_productivity_totalizers(api: Any) -> None:
    """Productivity over rooms with both response and reaction (Alpha r0 r1 r2 r4 r5): avg 132/5 = 26.4,
    ft 122/5 = 24.4, reaction 25/5 = 5. Waiting time = first responses of rooms not waiting: Alpha r1 r4 r5 r6
    (20+50+12+0)/4 = 20.5 -> 21; with x1 (no department, 40) the mean is 30.5, and `Math.round` makes 31."""
    alpha = (await get(api, "productivity-totalizers", ALPHA))["totalizers"]
    assert alpha == [
        {"title": "Avg_response_time", "value": "00:00:26"},
        {"title": "Avg_first_response_time", "value": "00:00:24"},
        {"title": "Avg_reaction_time", "value": "00:00:05"},
        {"title": "Avg_of_waiting_time", "value": "00:00:21"},
    ]
    everyone = (await get(api, "productivity-totalizers", WINDOW))["totalizers"]
    assert everyone[3] == {"title": "Avg_of_waiting_time", "value": "00:00:31"}


async def test_agents_productivity_totalizers(api: Any) -> None:
    """Busiest time: r0's five messages and r1's one make 9AM the busiest hour. Available time on 20261117
    (the day of `start`): jane 3600 (stopped), john 1800 + 13 h still running = 48600 -> Alpha (3600+48600)/2 =
    26100 s; everyone adds ann's 600 -> 17600 s. Service time (lastMessageTs - servedBy.ts) r0 590, r1 300,
    r2 1200, r4 300, r5 60 -> 490 s."""
    alpha = (await get(api, "agents-productivity-totalizers", ALPHA))["totalizers"]
    assert alpha == [
        {"title": "Busiest_time", "value": "9AM - 10AM"},
        {"title": "Avg_of_available_service_time", "value": "07:15:00"},
        {"title": "Avg_of_service_time", "value": "00:08:10"},
    ]
    everyone = (await get(api, "agents-productivity-totalizers", WINDOW))["totalizers"]
    assert everyone[1] == {"title": "Avg_of_available_service_time", "value": "04:53:20"}


async def test_query_errors_permissions_and_their_order(api: Any) -> None:
    _, http, manager = api
    missing = await http.get(BASE + "charts/chats", params={"end": WINDOW["end"]}, headers=manager)
    assert (missing.status_code, missing.json()) == (
        400,
        {
            "success": False,
            "error": "must have required property 'start' [invalid-params]",
            "errorType": "invalid-params",
        },
    )
    extra = await http.get(BASE + "charts/timings", params={**WINDOW, "_": "1"}, headers=manager)
    assert extra.json()["error"] == "must NOT have additional properties [invalid-params]"
    bad = await http.get(BASE + "chats-totalizers", params={**WINDOW, "end": "soon"}, headers=manager)
    assert (bad.status_code, bad.json()) == (
        400,
        {"success": False, "error": 'The "end" query parameter must be a valid date.'},
    )
    login = await http.post("/api/v1/login", json={"user": "jane", "password": PASSWORD})
    agent = {"X-User-Id": "u-jane", "X-Auth-Token": login.json()["data"]["authToken"]}
    forbidden = await http.get(BASE + "conversation-totalizers", params={**WINDOW, "start": "x"}, headers=agent)
    assert (forbidden.status_code, forbidden.json()["error"]) == (
        403,
        "User does not have the permissions required for this action [error-unauthorized]",
    )
    schema_first = await http.get(BASE + "conversation-totalizers", params={"end": "x"}, headers=agent)
    assert schema_first.status_code == 400  # validateParams runs before the permission check
    anonymous = await http.get(BASE + "charts/chats", params=WINDOW)
    assert anonymous.status_code == 401


async def test_identical_requests_within_five_seconds_share_one_answer(clock: Clock) -> None:
    async for sandbox, http, headers in serve(clock, Sandbox_Dashboards_Cache_ms=5000):
        first = (await http.get(BASE + "charts/chats", params=ALPHA, headers=headers)).json()
        sandbox.store.rooms["r6"]["metrics"]["chatDuration"] = 5  # r6 is now closed
        clock.now = NOW + timedelta(milliseconds=4999)
        assert (await http.get(BASE + "charts/chats", params=ALPHA, headers=headers)).json() == first
        clock.now = NOW + timedelta(seconds=5)
        fresh = (await http.get(BASE + "charts/chats", params=ALPHA, headers=headers)).json()
        assert (fresh["open"], fresh["closed"]) == (3, 3)


async def test_7x_passes_dates_8x_passes_text_to_the_overview_items(clock: Clock) -> None:
    """start 2026-11-17T23:30-01:00 is 11-18 00:30 UTC: 8.x reads its date text (11-17, so y1 created on 11-17
    counts: 10), 7.x the day of the instant in UTC (11-18: 9)."""
    params = {"start": "2026-11-17T23:30:00-01:00", "end": WINDOW["end"]}
    for version, expected in (("8.8.0", 10), ("7.12.2", 9)):
        async for _, http, headers in serve(clock, Sandbox_Version=version):
            body = (await http.get(BASE + "conversation-totalizers", params=params, headers=headers)).json()
            assert body["totalizers"][0] == {"title": "Total_conversations", "value": expected}, version


def test_a_zero_inactivity_counts_as_abandoned_but_not_in_the_percentage() -> None:
    """`findAllNumberOfAbandonedRooms` matches `{$gte: timeout}`; `findPercentageOfAbandonedRooms` also wants the
    value truthy (`$ifNull: [x, false]` inside `$and`). With a timeout of 0 a 0 s inactivity tells them apart."""
    room = {"_id": "z", "t": "l", "ts": "2026-11-18T10:00:00Z", "closedAt": "2026-11-18T10:05:00Z"}
    room["metrics"] = {"chatDuration": 300, "visitorInactivity": 0}
    store = load_document({"settings": {"Livechat_visitor_inactivity_timeout": 0}, "rooms": [room]}, clock=lambda: NOW)
    body = dashboards.chats_totalizers(store, start=START, end=NOW, department_id=None)
    assert [item["value"] for item in body["totalizers"]] == [1, "0%", "00:05:00"]
