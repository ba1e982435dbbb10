"""`Sandbox_Version`: what /api/info reports, and the behaviours that differ between the 7.x and 8.x lines
(versions.py; the dashboards' date handling is tested in test_dashboards.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.sandbox.versions import PROFILE_7, PROFILE_8, profile

from .live_workspace import NOW, PASSWORD, at, live_workspace
from .workspace import BOT_PAT, small_workspace
from .workspace import PASSWORD as WORKSPACE_PASSWORD

pytestmark = pytest.mark.anyio


def test_the_major_version_picks_the_profile() -> None:
    assert profile({}) is PROFILE_8  # the default is the newest 8.x
    assert profile({"Sandbox_Version": "8.0.0"}) is PROFILE_8
    assert profile({"Sandbox_Version": "9.1.0"}) is PROFILE_8
    assert profile({"Sandbox_Version": "7.12.2"}) is PROFILE_7
    assert profile({"Sandbox_Version": "6.13.0"}) is PROFILE_7


def requeued(version: str) -> dict[str, Any]:
    """Two queued chats: A created first but queued again later (re-queued at 11:30), B created at 11:00."""
    document = live_workspace(Sandbox_Version=version)
    for rid, ts, queued in (("qa", at(10), at(11.5)), ("qb", at(11), at(11))):
        room = {"_id": rid, "t": "l", "ts": ts, "open": True, "v": {"_id": f"v-{rid}", "token": rid, "username": rid}}
        document["rooms"].append(room)
        document["inquiries"].append({"_id": f"inq-{rid}", "rid": rid, "status": "queued", "queuedAt": queued})
    return document


async def test_queue_order_and_charts_data_follow_each_line() -> None:
    """8.x sorts the queue by `queuedAt` first (B, then the re-queued A); 7.x by `ts` (A, B). An unknown chart
    name is 200 with empty data on 8.x and 400 `No data available` on 7.x."""
    lines = (("8.8.0", "8.8", ["inq-qb", "inq-qa"], 200), ("7.12.2", "7.12", ["inq-qa", "inq-qb"], 400))
    for version, trimmed, order, chart_status in lines:
        async with Sandbox(requeued(version), clock=lambda: NOW) as sb, httpx.AsyncClient(base_url=sb.url) as http:
            assert (await http.get("/api/info")).json()["version"] == trimmed
            data = (await http.post("/api/v1/login", json={"user": "bob", "password": PASSWORD})).json()["data"]
            agent = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
            queue = (await http.get("/api/v1/livechat/inquiries.queuedForUser", headers=agent)).json()
            assert [i["_id"] for i in queue["inquiries"] if i["_id"] in order] == order, version
            data = (await http.post("/api/v1/login", json={"user": "maria", "password": PASSWORD})).json()["data"]
            manager = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
            params = {"start": "2026-11-18", "end": "2026-11-18", "chartName": "Nope"}
            chart = await http.get("/api/v1/livechat/analytics/dashboards/charts-data", params=params, headers=manager)
            assert chart.status_code == chart_status, version
            if chart_status == 200:
                assert chart.json() == {"chartLabel": "Nope", "dataLabels": [], "dataPoints": [], "success": True}


# --- /api/info: what an anonymous caller and a logged-in one are told ------------------------------------

MINIMUM_CLIENTS = {"desktop": "3.9.6", "mobile": "4.39.0"}


async def info(sb: Sandbox, username: str | None = None, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=sb.url) as http:
        if username is not None:
            login = await http.post("/api/v1/login", json={"user": username, "password": WORKSPACE_PASSWORD})
            data = login.json()["data"]
            headers = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
        return await http.get("/api/info", headers=headers)


@pytest.mark.parametrize(("version", "trimmed"), [("8.8.0", "8.8"), ("7.12.2", "7.12")])
async def test_an_anonymous_caller_is_told_major_and_minor_only(version: str, trimmed: str) -> None:
    async with Sandbox(small_workspace(Sandbox_Version=version)) as sb:
        answer = await info(sb)
    assert answer.status_code == 200
    assert answer.json() == {
        "version": trimmed,
        "minimumClientVersions": MINIMUM_CLIENTS,
        "cloudWorkspaceId": "",
        "success": True,
    }


@pytest.mark.parametrize("version", ["8.8.0", "7.12.2"])
async def test_a_caller_with_view_statistics_is_told_the_full_version_and_build(version: str) -> None:
    async with Sandbox(small_workspace(Sandbox_Version=version)) as sb:
        body = (await info(sb, "admin")).json()
    assert (body["version"], body["info"]["version"]) == (version, version)
    assert isinstance(body["info"]["build"], dict) and isinstance(body["info"]["commit"], dict)
    assert isinstance(body["info"]["marketplaceApiVersion"], str)
    assert (body["minimumClientVersions"], body["cloudWorkspaceId"], body["success"]) == (MINIMUM_CLIENTS, "", True)


async def test_a_caller_without_view_statistics_or_with_a_bad_token_is_answered_as_anonymous() -> None:
    anonymous = {"version": "8.8", "minimumClientVersions": MINIMUM_CLIENTS, "cloudWorkspaceId": "", "success": True}
    async with Sandbox(small_workspace(Sandbox_Version="8.8.0")) as sb:
        manager = await info(sb, "maria")  # livechat-manager: no view-statistics
        bot = await info(sb, **{"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT})
        wrong = await info(sb, **{"X-User-Id": "u-admin", "X-Auth-Token": "not-a-token"})
    assert [(r.status_code, r.json()) for r in (manager, bot, wrong)] == [(200, anonymous)] * 3
