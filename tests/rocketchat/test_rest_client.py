"""RestClient against a real sandbox on port 0: auth, the error mapping, idempotent sends, uploads, analytics.

Nothing of ours is mocked. Retries get an injected `sleep` that records the delays, and rate-limit arithmetic
gets an injected clock. Timeouts use a held route and a 0.2 s timeout. Where a test needs an answer that the
sandbox cannot give (a gateway's 429 body, an HTML page), a small httpx transport stands in for the network in
front of it.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.config import Secret, Settings
from bot.errors import (
    AuthFailed,
    BadRequest,
    BotError,
    ConnectionLost,
    Forbidden,
    InvalidResponse,
    NotFound,
    RateLimited,
    RequestTimeout,
    ServerError,
    TwoFactorRequired,
)
from bot.rocketchat.ids import ID_ALPHABET, reply_id
from bot.rocketchat.rest import CHARTS_ROUTES, NO_DATA, Identity, RestClient
from bot.rocketchat.transport import PooledTransport
from bot.sandbox import Sandbox
from tests.sandbox.workspace import BOT_PAT, NOW, PASSWORD, small_workspace, worked_example

pytestmark = pytest.mark.anyio

DAY = date(2024, 3, 5)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
REAL_CHARTS, DOUBLED_CHARTS = (f"/api/v1/{route}" for route in CHARTS_ROUTES)


def pat(sb: Sandbox, **options: Any) -> Settings:
    return Settings(url=sb.url, user_id="u-bot", auth_token=Secret(BOT_PAT), **options)


def password(sb: Sandbox, username: str = "maria", secret: str = PASSWORD, **options: Any) -> Settings:
    return Settings(url=sb.url, username=username, password=Secret(secret), **options)


def session_tokens(sb: Sandbox, user_id: str) -> list[str]:
    return [token for token, found in sb.store.tokens.items() if found.user_id == user_id and found.kind == "resume"]


class Sleeps:
    """An injected `sleep` that records what it was asked to wait and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class Recorder(httpx.AsyncBaseTransport):
    """The bot's own transport, recording every path and query the RestClient sends."""

    def __init__(self) -> None:
        self.requests: list[httpx.URL] = []
        self.inner = PooledTransport(connections=4)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    @property
    def paths(self) -> list[str]:
        return [url.path for url in self.requests]


class GatewayTransport(httpx.AsyncBaseTransport):
    """A proxy in front of the sandbox that answers its 429s with a body naming no wait, keeping the headers."""

    def __init__(self) -> None:
        self.inner = PooledTransport(connections=4)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if response.status_code != 429:
            return response
        await response.aread()
        await response.aclose()
        headers = {k: v for k, v in response.headers.items() if k.startswith("x-ratelimit")}
        return httpx.Response(429, headers=headers, json={"success": False, "error": "Too Many Requests"})

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(small_workspace()) as sandbox:
        yield sandbox


@pytest.fixture
async def bot(sb: Sandbox) -> AsyncIterator[RestClient]:
    async with RestClient(pat(sb)) as client:
        yield client


# --- authentication ----------------------------------------------------------------------------


async def test_pat_login_checks_the_token_with_me(sb: Sandbox) -> None:
    async with RestClient(pat(sb)) as client:
        identity = await client.login()
        assert identity == Identity("u-bot", "analytics-bot", frozenset({"bot", "livechat-manager"}))
        assert client.user_id == "u-bot"
        assert client.auth_token == Secret(BOT_PAT)
        assert (await client.server_info())["version"] == "7.12"  # /api/info goes without credentials
    assert session_tokens(sb, "u-bot") == []  # a PAT never creates a login token


async def test_password_login_happens_once_and_its_token_is_reused(sb: Sandbox) -> None:
    recorder = Recorder()
    async with recorder, RestClient(password(sb), transport=recorder) as client:
        identity = await client.login()
        assert (identity.user_id, identity.username) == ("u-manager", "maria")
        assert "livechat-manager" in identity.roles
        for _ in range(3):
            await client.me()
            await client.subscriptions()
            await client.overview("Conversations", DAY, DAY)
        assert await client.login() == identity  # verified with `me`, not a second login
        tokens = session_tokens(sb, "u-manager")
        assert len(tokens) == 1
        assert client.auth_token == Secret(tokens[0])
        assert client.user_id == "u-manager"
    assert recorder.paths.count("/api/v1/login") == 1


async def test_concurrent_first_calls_share_one_password_login(sb: Sandbox) -> None:
    async with RestClient(password(sb)) as client:
        results = await asyncio.gather(*(client.me() for _ in range(5)))
    assert {me["username"] for me in results} == {"maria"}
    assert len(session_tokens(sb, "u-manager")) == 1


async def test_a_revoked_password_session_logs_in_again_only_when_asked(sb: Sandbox) -> None:
    async with RestClient(password(sb)) as client:
        await client.login()
        first = client.auth_token
        assert first is not None
        sb.revoke_token(first.reveal())
        with pytest.raises(AuthFailed, match="refused the bot's credentials"):
            await client.me()
        await client.login()
        assert client.auth_token not in (None, first)
        assert (await client.me())["username"] == "maria"
    assert len(session_tokens(sb, "u-manager")) == 1


async def test_wrong_password_is_auth_failed(sb: Sandbox) -> None:
    async with RestClient(password(sb, secret="not-the-password")) as client:
        with pytest.raises(AuthFailed, match="refused the password login of 'maria'") as caught:
            await client.login()
    assert not isinstance(caught.value, TwoFactorRequired)
    assert "not-the-password" not in str(caught.value)


async def test_totp_is_two_factor_required_with_pat_advice() -> None:
    document = small_workspace()
    document["users"][2]["services"] = {"totp": {"enabled": True}}
    async with Sandbox(document) as sb, RestClient(password(sb, "jane")) as client:
        with pytest.raises(TwoFactorRequired, match="Personal Access Token") as caught:
            await client.login()
    assert isinstance(caught.value, AuthFailed)
    assert not caught.value.retryable


async def test_revoked_pat_is_auth_failed(sb: Sandbox, bot: RestClient) -> None:
    await bot.login()
    sb.revoke_token(BOT_PAT)
    with pytest.raises(AuthFailed, match="refused the bot's credentials"):
        await bot.me()
    with pytest.raises(AuthFailed):
        await bot.login()  # a PAT cannot be renewed by the bot


async def test_permissions_and_roles(sb: Sandbox, bot: RestClient) -> None:
    assert await bot.user_roles("analytics-bot") == frozenset({"bot", "livechat-manager"})
    assert await bot.user_roles("maria") is None  # hidden: the bot lacks view-full-other-user-info
    grants = await bot.permission_roles()
    assert grants["view-livechat-manager"] == {"livechat-manager", "livechat-monitor", "admin"}
    async with RestClient(password(sb, "admin")) as admin:
        assert await admin.user_roles("maria") == frozenset({"livechat-manager", "user"})


# --- the error mapping -------------------------------------------------------------------------


async def test_ordinary_user_is_forbidden_analytics_with_the_permission_named(sb: Sandbox) -> None:
    async with RestClient(password(sb, "olivia")) as client:
        with pytest.raises(Forbidden) as caught:
            await client.overview("Conversations", DAY, DAY)
        message = str(caught.value)
        assert "livechat/analytics/overview" in message
        assert "view-livechat-manager" in message
        with pytest.raises(Forbidden, match="view-livechat-departments"):
            await client.departments()


async def test_429_retry_after_comes_from_the_body_whatever_the_clock() -> None:
    skewed = NOW + timedelta(hours=1)  # the body's relative wait is immune to clock skew
    async with (
        Sandbox(small_workspace(), clock=lambda: NOW) as sb,
        RestClient(pat(sb), clock=lambda: skewed) as client,
    ):
        sb.fault("me", status=429, retry_after_ms=7000, times=1)
        with pytest.raises(RateLimited) as caught:
            await client.me()
    assert caught.value.retry_after == 7.0
    assert caught.value.retryable


async def test_429_retry_after_from_x_ratelimit_reset_and_the_injected_clock() -> None:
    gateway = GatewayTransport()
    async with (
        gateway,
        Sandbox(small_workspace(), clock=lambda: NOW) as sb,
        RestClient(pat(sb), transport=gateway, clock=lambda: NOW - timedelta(seconds=2.5)) as client,
    ):
        sb.fault("me", status=429, retry_after_ms=7000, times=1)
        with pytest.raises(RateLimited) as caught:
            await client.me()
    assert caught.value.retry_after == 9.5  # reset (NOW + 7 s, epoch ms) minus our clock (NOW - 2.5 s)


async def test_the_real_rate_limiter_for_a_user_without_the_bypass() -> None:
    async with Sandbox(small_workspace(), clock=lambda: NOW) as sb, RestClient(password(sb, "olivia")) as client:
        for _ in range(10):
            await client.me()
        with pytest.raises(RateLimited) as caught:
            await client.me()
    assert caught.value.retry_after == 60.0


async def test_5xx_is_server_error(sb: Sandbox, bot: RestClient) -> None:
    sb.fault("subscriptions.get", status=503)
    with pytest.raises(ServerError, match="HTTP 503") as caught:
        await bot.subscriptions()
    assert caught.value.retryable


async def test_held_route_is_request_timeout(sb: Sandbox) -> None:
    hold = asyncio.Event()
    sb.fault("me", hold=hold, times=1)
    try:
        async with RestClient(pat(sb, timeout=0.2)) as client:
            with pytest.raises(RequestTimeout, match=r"within 0\.2 s"):
                await client.me()
    finally:
        hold.set()


async def test_stopped_server_is_connection_lost_and_recovers(sb: Sandbox, bot: RestClient) -> None:
    await bot.me()
    await sb.stop_listening()
    with pytest.raises(ConnectionLost, match="cannot reach") as caught:
        await bot.me()
    assert caught.value.retryable
    await sb.start_listening()
    assert (await bot.me())["_id"] == "u-bot"


async def test_unknown_room_is_bad_request_with_rocket_chats_error(bot: RestClient) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.room_info("no-such-room")
    assert caught.value.error == "not-allowed"
    assert caught.value.error_type == "error-not-allowed"


async def test_a_page_that_is_not_rocket_chat_is_invalid_response() -> None:
    def sso_portal(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/me":
            return httpx.Response(200, html="<html>Please sign in</html>")
        return httpx.Response(301, headers={"location": "https://chat.example.com" + request.url.path})

    settings = Settings(url="http://chat.example.com", user_id="u-bot", auth_token=Secret(BOT_PAT))
    async with RestClient(settings, transport=httpx.MockTransport(sso_portal)) as client:
        with pytest.raises(InvalidResponse, match="text/html"):
            await client.me()
        with pytest.raises(InvalidResponse, match=r"redirected .* https://chat\.example\.com"):
            await client.subscriptions()


# --- sending -----------------------------------------------------------------------------------


async def history_texts(client: RestClient, rid: str) -> list[str]:
    updated, _ = await client.sync_messages(rid, LONG_AGO)
    return [m["msg"] for m in updated]


async def test_send_is_retried_after_a_503_with_the_same_id_and_posts_once(sb: Sandbox) -> None:
    sleeps = Sleeps()
    msg_id = reply_id("m-1")
    sb.fault("chat.sendMessage", status=503, times=1)
    async with RestClient(pat(sb), sleep=sleeps) as client:
        sent = await client.send_message("GENERAL", "answer after a 503", msg_id=msg_id)
        assert sent is not None
        assert sent["_id"] == msg_id
        assert sleeps.delays == [0.5]
        assert (await history_texts(client, "GENERAL")).count("answer after a 503") == 1


async def test_send_honours_retry_after_and_gives_up_after_bounded_attempts(sb: Sandbox) -> None:
    sleeps = Sleeps()
    async with RestClient(pat(sb), sleep=sleeps) as client:
        sb.fault("chat.sendMessage", status=429, retry_after_ms=3000, times=1)
        assert await client.send_message("GENERAL", "after a 429", msg_id=reply_id("m-429")) is not None
        assert sleeps.delays == [3.0]
        sleeps.delays.clear()
        sb.fault("chat.sendMessage", status=500)
        with pytest.raises(ServerError):
            await client.send_message("GENERAL", "never posted", msg_id=reply_id("m-500"))
        assert sleeps.delays == [0.5, 1.0, 2.0]
        sb.clear_faults()
        assert "never posted" not in await history_texts(client, "GENERAL")


async def test_a_refused_send_is_not_retried(sb: Sandbox) -> None:
    sleeps = Sleeps()
    async with RestClient(pat(sb), sleep=sleeps) as client:
        with pytest.raises(BadRequest) as caught:
            await client.send_message("GENERAL", "x" * 5001, msg_id=reply_id("m-long"))
    assert caught.value.error_type == "error-message-size-exceeded"
    assert sleeps.delays == []


async def test_a_duplicate_id_returns_none_and_posts_nothing(bot: RestClient) -> None:
    msg_id = reply_id("m-dup")
    first = await bot.send_message("GENERAL", "only once", msg_id=msg_id)
    assert first is not None and first["_id"] == msg_id
    assert await bot.send_message("GENERAL", "only once", msg_id=msg_id) is None
    assert (await history_texts(bot, "GENERAL")).count("only once") == 1


async def test_a_thread_reply_keeps_tmid_and_attachments(bot: RestClient) -> None:
    root = await bot.send_message("r-managers", "root", msg_id=reply_id("m-root"))
    assert root is not None
    fields = [{"title": "Total", "value": "2", "short": True}]
    reply = await bot.send_message(
        "r-managers", "in the thread", msg_id=reply_id("m-root", 1), tmid=root["_id"], attachments=[{"fields": fields}]
    )
    assert reply is not None
    assert reply["tmid"] == root["_id"]
    assert reply["attachments"] == [{"fields": fields}]


async def test_upload_and_confirm_posts_an_image_attachment(sb: Sandbox, bot: RestClient) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
    root = await bot.send_message("GENERAL", "chart below", msg_id=reply_id("m-chart"))
    assert root is not None
    message = await bot.upload_file(
        "GENERAL", "chart.png", png, "image/png", msg="Conversations", description="last week", tmid=root["_id"]
    )
    assert message["msg"] == "Conversations"
    assert message["tmid"] == root["_id"]
    attachment = message["attachments"][0]
    assert attachment["image_type"] == "image/png"
    assert attachment["description"] == "last week"
    async with httpx.AsyncClient(base_url=sb.url) as http:
        assert (await http.get(attachment["image_url"])).content == png


async def test_sync_messages_returns_updates_and_needs_an_aware_time(bot: RestClient) -> None:
    updated, deleted = await bot.sync_messages("GENERAL", LONG_AGO)
    assert [m["_id"] for m in updated] == ["m-1"]
    assert deleted == []
    assert await bot.sync_messages("GENERAL", NOW + timedelta(days=365)) == ([], [])
    with pytest.raises(ValueError, match="aware"):
        await bot.sync_messages("GENERAL", datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


async def test_subscriptions_and_room_info(bot: RestClient) -> None:
    rids = {s["rid"] for s in await bot.subscriptions()}
    assert {"GENERAL", "r-managers"} <= rids
    room = await bot.room_info("r-managers")
    assert (room["name"], room["t"]) == ("omnichannel-managers", "p")


def test_reply_ids_are_deterministic_rocket_chat_ids() -> None:
    first = reply_id("aBcD1234")
    assert first == reply_id("aBcD1234")
    assert len(first) == 17 and set(first) <= set(ID_ALPHABET)
    assert len({reply_id("aBcD1234", part) for part in range(50)} | {reply_id("aBcD1235")}) == 51
    with pytest.raises(ValueError):
        reply_id("")


# --- Omnichannel -------------------------------------------------------------------------------


@pytest.fixture
async def worked() -> AsyncIterator[Sandbox]:
    async with Sandbox(worked_example()) as sandbox:
        yield sandbox


async def test_overview_on_the_worked_example(worked: Sandbox) -> None:
    """rocketchat-analytics.md §3.7."""
    async with RestClient(pat(worked)) as client:
        conversations = await client.overview("Conversations", DAY, DAY)
        productivity = await client.overview("Productivity", DAY, DAY)
        sales = await client.overview("Conversations", DAY, DAY, department_id="dep-sales")
    assert {row["title"]: row["value"] for row in conversations} == {
        "Total_conversations": 2,
        "Open_conversations": 1,
        "On_Hold_conversations": 0,
        "Total_messages": 8,
        "Busiest_day": "Tuesday",
        "Conversations_per_day": "2.00",
        "Busiest_time": "2PM - 3PM",
    }
    assert productivity == [
        {"title": "Avg_response_time", "value": "00:01:05"},
        {"title": "Avg_first_response_time", "value": "00:01:00"},
        {"title": "Avg_reaction_time", "value": "00:00:08"},
    ]
    assert sales[0] == {"title": "Total_conversations", "value": 1}


async def test_agent_overview_and_charts_on_the_worked_example(worked: Sandbox) -> None:
    async with RestClient(pat(worked)) as client:
        share = await client.agent_overview("Total_conversations", DAY, DAY)
        messages = await client.agent_overview("Total_messages", DAY, DAY)
        chart = await client.charts_data("Total_conversations", DAY, DAY + timedelta(days=1))
        response = await client.charts_data("Avg_response_time", DAY, DAY + timedelta(days=1))
    assert share == {
        "head": [{"name": "Agent"}, {"name": "%_of_conversations"}],
        "data": [{"name": "jane", "value": "50.00%"}, {"name": "john", "value": "50.00%"}],
    }
    assert messages["data"] == [{"name": "jane", "value": 4}, {"name": "john", "value": 1}]
    assert chart == {"chartLabel": "Total_conversations", "dataLabels": ["3/5", "3/6"], "dataPoints": [2, 0]}
    assert response["dataPoints"] == [65, 0]  # seconds, not HH:MM:SS


async def test_dates_go_out_as_days_only(worked: Sandbox) -> None:
    recorder = Recorder()
    evening = datetime(2024, 3, 5, 23, 30, tzinfo=UTC)
    async with recorder, RestClient(pat(worked), transport=recorder) as client:
        await client.overview("Conversations", evening, evening)
        await client.charts_data("Total_messages", evening, evening)
    overview, chart = recorder.requests
    assert dict(overview.params) == {"name": "Conversations", "from": "2024-03-05", "to": "2024-03-05"}
    assert dict(chart.params) == {"chartName": "Total_messages", "start": "2024-03-05", "end": "2024-03-05"}


async def test_silent_success_is_bad_request_not_zeros(worked: Sandbox) -> None:
    async with RestClient(pat(worked)) as client:
        calls: list[Callable[[], Awaitable[object]]] = [
            lambda: client.overview("Conversation", DAY, DAY),
            lambda: client.agent_overview("Total_chats", DAY, DAY),
            lambda: client.charts_data("Total_chats", DAY, DAY),
        ]
        for call in calls:
            with pytest.raises(BadRequest, match=r"no data .* 2024-03-05 to 2024-03-05") as caught:
                await call()
            assert caught.value.error_type == NO_DATA
        with pytest.raises(BadRequest) as empty:
            await client.overview("", DAY, DAY)
    assert empty.value.error == "invalid-chart-name"


async def test_charts_data_falls_back_to_the_doubled_path_and_remembers_it() -> None:
    recorder = Recorder()
    async with (
        recorder,
        Sandbox(worked_example(Sandbox_Charts_Data_Route="doubled")) as sb,
        RestClient(pat(sb), transport=recorder) as client,
    ):
        before = client.charts_route
        assert before is None
        first = await client.charts_data("Total_conversations", DAY, DAY + timedelta(days=1))
        assert first["dataPoints"] == [2, 0]
        assert client.charts_route == CHARTS_ROUTES[1]
        assert recorder.paths == [REAL_CHARTS, DOUBLED_CHARTS]
        recorder.requests.clear()
        await client.charts_data("Total_messages", DAY, DAY)
        assert recorder.paths == [DOUBLED_CHARTS]
        # The server is upgraded to the path in the code: the client follows once and remembers that.
        sb.store.settings["Sandbox_Charts_Data_Route"] = "real"
        recorder.requests.clear()
        await client.charts_data("Total_messages", DAY, DAY)
        assert recorder.paths == [DOUBLED_CHARTS, REAL_CHARTS]
        assert client.charts_route == CHARTS_ROUTES[0]
        sb.store.settings["Sandbox_Charts_Data_Route"] = "neither"
        with pytest.raises(NotFound, match=r"7\.11"):
            await client.charts_data("Total_messages", DAY, DAY)


async def test_departments_and_managers_are_read_page_by_page() -> None:
    document = small_workspace()
    document["departments"] += [{"_id": f"dep-{n:03d}", "name": f"Team {n:03d}"} for n in range(205)]
    document["users"] += [
        {"_id": f"u-m{n:03d}", "username": f"manager{n:03d}", "roles": ["livechat-manager", "user"]} for n in range(120)
    ]
    recorder = Recorder()
    async with recorder, Sandbox(document) as sb, RestClient(pat(sb), transport=recorder) as client:
        departments = await client.departments()
        assert [url.params["offset"] for url in recorder.requests] == ["0", "100", "200"]
        recorder.requests.clear()
        managers = await client.livechat_managers()
        assert [url.params["offset"] for url in recorder.requests] == ["0", "100"]
    assert len(departments) == 208
    assert len({d["_id"] for d in departments}) == 208
    assert {"Sales", "Support", "Customer Success"} <= {d["name"] for d in departments}
    assert len({m["username"] for m in managers}) == 122  # maria and the bot too


# --- secrets -----------------------------------------------------------------------------------


def rendered(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


async def test_no_token_or_password_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-password-for-the-log-test"
    document = small_workspace()
    document["users"][2]["services"] = {"totp": {"enabled": True}}
    failures: list[BotError] = []
    secrets = [BOT_PAT, PASSWORD, wrong]
    async with Sandbox(document) as sb:
        sessions = []
        for settings in (
            pat(sb),
            password(sb),
            password(sb, "olivia"),
            password(sb, "jane"),
            password(sb, secret=wrong),
        ):
            async with RestClient(settings, sleep=Sleeps()) as client:
                try:
                    await client.login()
                    await client.send_message("GENERAL", "hello", msg_id=reply_id(str(settings.username)))
                    if client.auth_token is not None:
                        sessions.append(client.auth_token.reveal())
                    sb.fault("chat.sendMessage", status=503)
                    await client.send_message("GENERAL", "again", msg_id=reply_id("again"))
                except BotError as exc:
                    failures.append(exc)
                sb.clear_faults()
                try:
                    await client.overview("Conversations", DAY, DAY)
                except BotError as exc:
                    failures.append(exc)
                assert wrong not in repr(settings) and BOT_PAT not in repr(settings)
        sb.revoke_token(BOT_PAT)
        async with RestClient(pat(sb)) as revoked:
            with pytest.raises(AuthFailed) as caught:
                await revoked.me()
            failures.append(caught.value)
        await sb.stop_listening()
        async with RestClient(pat(sb)) as unreachable:
            with pytest.raises(ConnectionLost) as lost:
                await unreachable.me()
            failures.append(lost.value)
    kinds = {type(exc) for exc in failures}
    assert {ServerError, Forbidden, AuthFailed, TwoFactorRequired, ConnectionLost} <= kinds
    secrets += sessions
    assert len(sessions) >= 2
    for failure in failures:
        text = rendered(failure)
        assert not [s for s in secrets if s in text], text
    assert caplog.records, "the client should log what it does"
    assert not [s for s in secrets if s in caplog.text]


async def test_the_bot_edits_its_own_message_in_place(sb: Sandbox, bot: RestClient) -> None:
    """chat.update, for lines that change as work goes on (export progress, an alert's incident)."""
    posted = await bot.send_message("r-managers", "Exporting… 0 of 300", msg_id="progress-1")
    assert posted is not None
    edited = await bot.update_message("r-managers", "progress-1", "Exporting… 100 of 300")
    assert edited["msg"] == "Exporting… 100 of 300"
    assert sb.store.messages["progress-1"]["msg"] == "Exporting… 100 of 300"
    room = await bot.get_object("rooms.info", {"roomId": "r-managers"})
    assert room["room"]["name"] == "omnichannel-managers"
