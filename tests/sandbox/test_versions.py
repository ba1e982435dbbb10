"""`Sandbox_Version`: what /api/info reports, and the behaviours that differ between the 7.x and 8.x lines
(versions.py; the dashboards' date handling is tested in test_dashboards.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.sandbox.versions import PROFILE_7, PROFILE_8, profile

from .live_workspace import NOW, PASSWORD, at, live_workspace

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
    for version, order, chart_status in (("8.8.0", ["inq-qb", "inq-qa"], 200), ("7.12.2", ["inq-qa", "inq-qb"], 400)):
        async with Sandbox(requeued(version), clock=lambda: NOW) as sb, httpx.AsyncClient(base_url=sb.url) as http:
            assert (await http.get("/api/info")).json() == {"version": version, "success": True}
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
