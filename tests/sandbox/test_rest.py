"""The REST envelope, check order, rate limiter, faults and analytics parameter handling, over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.sandbox import Sandbox

from .workspace import BOT_PAT, PASSWORD, small_workspace, worked_example

pytestmark = pytest.mark.anyio

OVERVIEW = "/api/v1/livechat/analytics/overview"
CHARTS = "/api/v1/livechat/analytics/dashboards/charts-data"
DOUBLED = "/api/v1/livechat/livechat/analytics/dashboards/charts-data"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def login(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post("/api/v1/login", json={"user": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(worked_example()) as sb:
        yield sb


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        yield client


async def test_not_logged_in_is_401_with_compat_keys(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "error": "You must be logged in to do this.",
        "status": "error",
        "message": "You must be logged in to do this.",
    }
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


async def test_wrong_password_and_form_encoded_login_are_refused(http: httpx.AsyncClient) -> None:
    wrong = await http.post("/api/v1/login", json={"user": "maria", "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.json() == {"success": False, "error": "Unauthorized", "status": "error", "message": "Unauthorized"}
    form = await http.post("/api/v1/login", data={"user": "maria", "password": PASSWORD})
    assert form.status_code == 401  # 7.6+: JSON only


async def test_login_by_resume_token_and_logout(http: httpx.AsyncClient) -> None:
    headers = await login(http, "maria")
    resumed = await http.post("/api/v1/login", json={"resume": headers["X-Auth-Token"]})
    assert resumed.json()["data"]["userId"] == "u-manager"
    out = await http.post("/api/v1/logout", headers=headers)
    assert out.json() == {"status": "success", "data": {"message": "You've been logged out!"}}
    assert (await http.get("/api/v1/me", headers=headers)).status_code == 401


async def test_personal_access_token_works_as_headers(http: httpx.AsyncClient) -> None:
    me = await http.get("/api/v1/me", headers={"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT})
    assert me.json()["username"] == "analytics-bot"
    wrong_user = await http.get("/api/v1/me", headers={"X-User-Id": "u-admin", "X-Auth-Token": BOT_PAT})
    assert wrong_user.status_code == 401


async def test_revoked_token_is_logged_out(sandbox: Sandbox, http: httpx.AsyncClient) -> None:
    headers = {"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT}
    assert (await http.get("/api/v1/me", headers=headers)).status_code == 200
    revoked = await http.post("/_sandbox/revoke", json={"token": BOT_PAT})
    assert revoked.json() == {"revoked": 1, "success": True}
    assert (await http.get("/api/v1/me", headers=headers)).status_code == 401


async def test_totp_user_gets_totp_required() -> None:
    document = small_workspace()
    document["users"][2]["services"] = {"totp": {"enabled": True}}
    async with Sandbox(document) as sb, httpx.AsyncClient(base_url=sb.url) as http:
        response = await http.post("/api/v1/login", json={"user": "jane", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json()["error"] == "totp-required"
    assert response.json()["details"]["method"] == "totp"


async def test_unknown_route_is_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/no.such.route")
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Resource not found"}


async def test_analytics_query_schema_errors(http: httpx.AsyncClient) -> None:
    """Ajv without `allErrors` reports only its first error; the legacy route joins `error.message`s
    (ApiClass.ts), so a type error is plain "must be string" with no instance path."""
    headers = await login(http, "admin")
    missing = await http.get(OVERVIEW, params={"name": "Conversations"}, headers=headers)
    assert missing.status_code == 400
    assert missing.json() == {
        "success": False,
        "error": "must have required property 'from' [invalid-params]",
        "errorType": "invalid-params",
    }
    extra = await http.get(
        OVERVIEW,
        params={"name": "Conversations", "from": "2024-03-05", "to": "2024-03-05", "utcOffset": "2"},
        headers=headers,
    )
    assert extra.json()["error"] == "must NOT have additional properties [invalid-params]"
    repeated = await http.get(
        OVERVIEW + "?name=Conversations&name=Productivity&from=2024-03-05&to=2024-03-05", headers=headers
    )
    assert repeated.json()["error"] == "must be string [invalid-params]"


async def test_analytics_name_handling(http: httpx.AsyncClient) -> None:
    headers = await login(http, "admin")
    empty = await http.get(OVERVIEW, params={"name": "", "from": "2024-03-05", "to": "2024-03-05"}, headers=headers)
    assert (empty.status_code, empty.json()) == (400, {"success": False, "error": "invalid-chart-name"})
    unknown = await http.get(
        OVERVIEW, params={"name": "Nope", "from": "2024-03-05", "to": "2024-03-05"}, headers=headers
    )
    assert (unknown.status_code, unknown.json()) == (200, {"success": True})
    bad_dates = await http.get(
        OVERVIEW, params={"name": "Conversations", "from": "soon", "to": "later"}, headers=headers
    )
    assert (bad_dates.status_code, bad_dates.json()) == (200, {"success": True})
    agent_empty = await http.get(
        "/api/v1/livechat/analytics/agent-overview",
        params={"name": "", "from": "2024-03-05", "to": "2024-03-05"},
        headers=headers,
    )
    assert agent_empty.json() == {"success": False, "error": "invalid-chart-name"}
    chart_unknown = await http.get(
        CHARTS, params={"chartName": "Nope", "start": "2024-03-05", "end": "2024-03-05"}, headers=headers
    )
    assert (chart_unknown.status_code, chart_unknown.json()) == (400, {"success": False, "error": "No data available"})


async def test_permission_is_checked_after_the_schema(http: httpx.AsyncClient) -> None:
    """Legacy addRoute order: 401, 429, 400 (schema), 403 (permission)."""
    headers = await login(http, "olivia")
    bad = await http.get(OVERVIEW, params={"name": "Conversations"}, headers=headers)
    assert bad.status_code == 400
    good = await http.get(
        OVERVIEW, params={"name": "Conversations", "from": "2024-03-05", "to": "2024-03-05"}, headers=headers
    )
    assert good.status_code == 403
    assert good.json() == {
        "success": False,
        "error": "User does not have the permissions required for this action [error-unauthorized]",
    }


async def test_charts_data_route_can_be_the_documented_doubled_path() -> None:
    async with (
        Sandbox(worked_example(Sandbox_Charts_Data_Route="doubled")) as sb,
        httpx.AsyncClient(base_url=sb.url) as http,
    ):
        headers = {"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT}
        params = {"chartName": "Total_conversations", "start": "2024-03-05", "end": "2024-03-06"}
        assert (await http.get(CHARTS, params=params, headers=headers)).status_code == 404
        doubled = await http.get(DOUBLED, params=params, headers=headers)
        assert doubled.status_code == 200
        assert doubled.json()["dataPoints"] == [2, 0]
        # Switched at runtime through the control API:
        await http.post("/_sandbox/settings", json={"Sandbox_Charts_Data_Route": "real"})
        assert (await http.get(CHARTS, params=params, headers=headers)).status_code == 200
        assert (await http.get(DOUBLED, params=params, headers=headers)).status_code == 404


async def test_overview_cache_serves_stale_results_within_the_window() -> None:
    clock = Clock()
    document = worked_example(Sandbox_Analytics_Cache_ms=60000)
    async with Sandbox(document, clock=clock) as sb, httpx.AsyncClient(base_url=sb.url) as http:
        headers = {"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT}
        params = {"name": "Conversations", "from": "2024-03-05", "to": "2024-03-05"}
        first = (await http.get(OVERVIEW, params=params, headers=headers)).json()
        room = dict(sb.store.rooms["room-b"], _id="room-c")
        sb.store.add_room(room)
        stale = (await http.get(OVERVIEW, params=params, headers=headers)).json()
        assert stale == first
        clock.now += timedelta(seconds=61)
        fresh = (await http.get(OVERVIEW, params=params, headers=headers)).json()
        assert fresh[0] == {"title": "Total_conversations", "value": 3}


async def test_rate_limiter_answers_429_with_reset_in_epoch_ms() -> None:
    clock = Clock()
    async with Sandbox(small_workspace(), clock=clock) as sb, httpx.AsyncClient(base_url=sb.url) as http:
        headers = await login(http, "olivia")
        remaining = []
        for _ in range(10):
            response = await http.get("/api/v1/me", headers=headers)
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
        assert remaining == list(range(9, -1, -1))
        limited = await http.get("/api/v1/me", headers=headers)
        assert limited.status_code == 429
        reset = int(limited.headers["x-ratelimit-reset"])
        assert reset == int(clock.now.timestamp() * 1000) + 60000
        assert limited.headers["x-ratelimit-limit"] == "10"
        assert limited.json() == {
            "success": False,
            "error": "Error, too many requests. Please slow down. You must wait 60 seconds before trying this "
            "endpoint again. [error-too-many-requests]",
        }
        # Another route has its own window; after the window the route answers again.
        assert (await http.get("/api/v1/subscriptions.get", headers=headers)).status_code == 200
        clock.now += timedelta(seconds=60)
        assert (await http.get("/api/v1/me", headers=headers)).status_code == 200


async def test_bypass_role_is_not_limited_and_gets_no_headers(http: httpx.AsyncClient) -> None:
    headers = {"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT}
    for _ in range(15):
        response = await http.get("/api/v1/me", headers=headers)
        assert response.status_code == 200
        assert "x-ratelimit-limit" not in response.headers


async def test_route_faults_by_http_control(http: httpx.AsyncClient) -> None:
    headers = {"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT}
    added = await http.post("/_sandbox/faults", json={"route": "me", "status": 503, "times": 2})
    assert added.json() == {"faults": 1, "success": True}
    statuses = [(await http.get("/api/v1/me", headers=headers)).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    await http.post("/_sandbox/faults", json={"route": "me", "status": 429, "retry_after_ms": 5000})
    limited = await http.get("/api/v1/me", headers=headers)
    assert limited.status_code == 429
    assert "You must wait 5 seconds" in limited.json()["error"]
    await http.delete("/_sandbox/faults")
    assert (await http.get("/api/v1/me", headers=headers)).status_code == 200
    bad = await http.post("/_sandbox/faults", json={"route": "me", "status": 200})
    assert bad.status_code == 400
    assert "HTTP error status" in bad.json()["error"]


async def test_held_route_answers_when_released(sandbox: Sandbox, http: httpx.AsyncClient) -> None:
    release = asyncio.Event()
    sandbox.fault("me", hold=release, times=1)
    pending = asyncio.ensure_future(http.get("/api/v1/me", headers={"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT}))
    other = await http.get("/api/info")  # the server is not blocked meanwhile
    assert other.status_code == 200
    assert not pending.done()
    release.set()
    assert (await asyncio.wait_for(pending, 5)).status_code == 200


async def test_restart_keeps_tokens_and_data(sandbox: Sandbox) -> None:
    headers = {"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT}
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        sent = await http.post(
            "/api/v1/chat.sendMessage", json={"message": {"rid": "r-managers", "msg": "before"}}, headers=headers
        )
        assert sent.status_code == 200
    await sandbox.stop_listening()
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/api/info")
    await sandbox.start_listening()
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        history = await http.get("/api/v1/groups.history", params={"roomId": "r-managers"}, headers=headers)
    assert [m["msg"] for m in history.json()["messages"]] == ["before"]


async def test_send_message_validation(http: httpx.AsyncClient) -> None:
    headers = {"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT}

    async def send(body: Any) -> httpx.Response:
        return await http.post("/api/v1/chat.sendMessage", json=body, headers=headers)

    assert (await send({"message": {"rid": "GENERAL", "msg": "x" * 5001}})).json() == {
        "success": False,
        "error": "Message size exceeds Message_MaxAllowedSize [error-message-size-exceeded]",
        "errorType": "error-message-size-exceeded",
    }
    assert (await send({"message": {"rid": "GENERAL", "msg": "hi"}, "extra": 1})).json()[
        "errorType"
    ] == "invalid-params"
    assert (await send({"message": {"msg": "hi"}})).json()[
        "error"
    ] == "must have required property 'rid' [invalid-params]"
    not_member = await send({"message": {"rid": "r-public-other", "msg": "hi"}})
    assert not_member.status_code == 200  # a public channel: posting joins it, as in Rocket.Chat
    private = await http.post(
        "/api/v1/chat.sendMessage",
        json={"message": {"rid": "r-managers", "msg": "hi"}},
        headers=await login(http, "olivia"),
    )
    assert private.status_code == 400


async def test_thread_replies_stay_in_the_thread(http: httpx.AsyncClient) -> None:
    headers = {"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT}
    root = (
        await http.post(
            "/api/v1/chat.sendMessage", json={"message": {"rid": "GENERAL", "msg": "root"}}, headers=headers
        )
    ).json()["message"]
    reply = (
        await http.post(
            "/api/v1/chat.sendMessage",
            json={"message": {"rid": "GENERAL", "msg": "reply", "tmid": root["_id"]}},
            headers=headers,
        )
    ).json()["message"]
    nested = (
        await http.post(
            "/api/v1/chat.sendMessage",
            json={"message": {"rid": "GENERAL", "msg": "nested", "tmid": reply["_id"]}},
            headers=headers,
        )
    ).json()["message"]
    assert reply["tmid"] == root["_id"]
    assert nested["tmid"] == root["_id"]  # no nested threads: redirected to the root


async def test_departments_and_livechat_users(http: httpx.AsyncClient) -> None:
    headers = {"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT}
    listing = (await http.get("/api/v1/livechat/department", params={"text": "s"}, headers=headers)).json()
    assert [d["name"] for d in listing["departments"]] == ["Customer Success", "Sales", "Support"]
    assert (listing["count"], listing["offset"], listing["total"]) == (3, 0, 3)
    page = (await http.get("/api/v1/livechat/department", params={"count": 1, "offset": 1}, headers=headers)).json()
    assert [d["name"] for d in page["departments"]] == ["Sales"]
    managers = (await http.get("/api/v1/livechat/users/manager", headers=headers)).json()
    # Sorted by `name` as MongoDB compares strings (binary, no collation): "Maria Manager" < "analytics-bot".
    assert [u["username"] for u in managers["users"]] == ["maria", "analytics-bot"]
    agents = (await http.get("/api/v1/livechat/users/agent", headers=headers)).json()
    assert [u["username"] for u in agents["users"]] == ["jane", "john"]
    olivia = await login(http, "olivia")
    assert (await http.get("/api/v1/livechat/department", headers=olivia)).status_code == 403


async def test_subscriptions_and_room_info(http: httpx.AsyncClient) -> None:
    headers = {"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT}
    subs = (await http.get("/api/v1/subscriptions.get", headers=headers)).json()
    assert sorted((s["rid"], s["t"], s["name"]) for s in subs["update"]) == [
        ("GENERAL", "c", "general"),
        ("r-managers", "p", "omnichannel-managers"),
    ]
    info = (await http.get("/api/v1/rooms.info", params={"roomName": "omnichannel-managers"}, headers=headers)).json()
    assert info["room"]["_id"] == "r-managers"
    denied = await http.get("/api/v1/rooms.info", params={"roomId": "r-managers"}, headers=await login(http, "olivia"))
    assert (denied.status_code, denied.json()["error"]) == (400, "not-allowed")


async def test_one_setting_needs_view_privileged_setting(http: httpx.AsyncClient) -> None:
    """settings/:_id (apps/meteor/app/api/server/v1/settings.ts): admins read it, others get 403."""
    admin, maria = await login(http, "admin"), await login(http, "maria")
    zone = await http.get("/api/v1/settings/Default_Timezone_For_Reporting", headers=admin)
    assert zone.status_code == 200
    assert zone.json() == {"_id": "Default_Timezone_For_Reporting", "value": "server", "success": True}
    refused = await http.get("/api/v1/settings/Default_Timezone_For_Reporting", headers=maria)
    assert refused.status_code == 403
    assert "[error-unauthorized]" in refused.json()["error"]
    missing = await http.get("/api/v1/settings/No_Such_Setting", headers=admin)
    assert (missing.status_code, missing.json()) == (400, {"success": False})
    hidden = await http.get("/api/v1/settings/Sandbox_Version", headers=admin)
    assert (hidden.status_code, hidden.json()) == (400, {"success": False})
