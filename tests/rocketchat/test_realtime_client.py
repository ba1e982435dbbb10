"""RealtimeClient against a real sandbox on port 0: session setup, delivery, every kind of link failure.

Nothing of ours is mocked. Messages are posted over REST as another user (maria, a member of the private
room `r-managers`, as is the bot). Nothing sleeps on the wall clock: the backoff is injected (zero or tiny
delays), tests await the client's callbacks through queues with a 5 s safety bound, and "nothing more
arrived" is proven with a barrier message (a connection's frames arrive in order, so a duplicate of an
earlier message would come before the barrier).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from bot.errors import AuthFailed, BadRequest, ConnectionLost, RateLimited
from bot.rocketchat.models import IncomingMessage
from bot.rocketchat.realtime import RealtimeClient, websocket_url
from bot.sandbox import Sandbox
from bot.sandbox.model import MessageChanged
from tests.sandbox.workspace import BOT_PAT, PASSWORD, small_workspace

pytestmark = pytest.mark.anyio

TIMEOUT = 5  # a safety bound only: everything awaited is expected at once
ROOM = "r-managers"
REALTIME_LOGGER = "bot.rocketchat.realtime"


def no_delay() -> Iterator[float]:
    return itertools.repeat(0.0)


def tiny_delay() -> Iterator[float]:
    return itertools.repeat(0.005)


class Bot:
    """The callbacks of one client, recorded into queues the test awaits."""

    def __init__(self, token: str = BOT_PAT) -> None:
        self.token = token
        self.messages: asyncio.Queue[IncomingMessage] = asyncio.Queue()
        self.readies: asyncio.Queue[int] = asyncio.Queue()
        self.notes: asyncio.Queue[tuple[str, list[Any]]] = asyncio.Queue()
        self.credential_calls = 0

    async def credentials(self) -> tuple[str, str]:
        self.credential_calls += 1
        return "u-bot", self.token

    async def on_ready(self, number: int) -> None:
        self.readies.put_nowait(number)

    def on_notify(self, event: str, args: list[Any]) -> None:
        self.notes.put_nowait((event, args))

    async def next_message(self) -> IncomingMessage:
        return await asyncio.wait_for(self.messages.get(), TIMEOUT)

    async def next_ready(self) -> int:
        return await asyncio.wait_for(self.readies.get(), TIMEOUT)

    def client(self, sb: Sandbox, **options: Any) -> RealtimeClient:
        options.setdefault("backoff", no_delay)
        return RealtimeClient(
            sb.ws_url,
            credentials=self.credentials,
            on_message=self.messages.put_nowait,
            on_ready=self.on_ready,
            on_notify=self.on_notify,
            **options,
        )


@asynccontextmanager
async def running(client: RealtimeClient) -> AsyncIterator[asyncio.Task[None]]:
    """Run the client in a task; stop it and check that `run()` returned and left no task behind."""
    task = asyncio.create_task(client.run())
    try:
        yield task
    finally:
        client.stop()
        await asyncio.wait_for(asyncio.shield(task), TIMEOUT)
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("realtime-")]


@asynccontextmanager
async def maria(sb: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sb.url}/api/v1") as http:
        response = await http.post("/login", json={"user": "maria", "password": PASSWORD})
        data = response.json()["data"]
        http.headers.update({"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]})
        yield http


async def post(http: httpx.AsyncClient, text: str, rid: str = ROOM) -> str:
    response = await http.post("/chat.sendMessage", json={"message": {"rid": rid, "msg": text}})
    assert response.status_code == 200, response.text
    return str(response.json()["message"]["_id"])


async def post_and_receive(http: httpx.AsyncClient, bot: Bot, text: str) -> IncomingMessage:
    """Post, then return the very next message the bot gets, which must be this one."""
    mid = await post(http, text)
    got = await bot.next_message()
    assert (got.id, got.text) == (mid, text)
    return got


def workspace(**settings: Any) -> dict[str, Any]:
    return small_workspace(API_Enable_Rate_Limiter=False, **settings)


def test_websocket_url() -> None:
    assert websocket_url("https://chat.example.com/") == "wss://chat.example.com/websocket"
    assert websocket_url("http://127.0.0.1:3000") == "ws://127.0.0.1:3000/websocket"


async def test_connects_logs_in_subscribes_and_receives() -> None:
    async with Sandbox(workspace()) as sb, maria(sb) as http:
        bot = Bot()
        client = bot.client(sb)
        async with running(client):
            assert await bot.next_ready() == 0
            assert client.ready.is_set() and client.connections == 1 and client.session
            assert sb.realtime.subscription_count("u-bot") == 3
            assert sb.realtime.session_count() == 1

            got = await post_and_receive(http, bot, "hello bot")
            assert (got.rid, got.sender_id, got.sender_username) == (ROOM, "u-manager", "maria")
            assert (got.room_type, got.room_name, got.room_participant) == ("p", "omnichannel-managers", True)
            assert got.ts.tzinfo is not None and got.updated_at >= got.ts and not got.edited

            # A public channel the bot has joined arrives the same way, with its own meta.
            mid = await post(http, "morning all", rid="GENERAL")
            got = await bot.next_message()
            assert (got.id, got.room_type, got.room_name) == (mid, "c", "general")
        assert (client.ready.is_set(), client.session) == (False, None)
        assert bot.credential_calls == 1


async def test_notify_user_events_reach_on_notify() -> None:
    async with Sandbox(workspace()) as sb, maria(sb) as http:
        bot = Bot()
        client = bot.client(sb)
        async with running(client):
            await bot.next_ready()
            # A DDP send to a room that does not exist: an empty result plus an ephemeral message (§1.12).
            assert await client.call("sendMessage", [{"rid": "no-such-room", "msg": "hi"}]) is None
            event, args = await asyncio.wait_for(bot.notes.get(), TIMEOUT)
            assert event == "message"
            assert (args[0]["msg"], args[0]["private"], args[0]["u"]["username"]) == (
                "Invalid room",
                True,
                "rocket.cat",
            )

            # maria opens a DM with the bot: the bot's new subscription and room are announced.
            response = await http.post("/im.create", json={"username": "analytics-bot"})
            assert response.status_code == 200, response.text
            rid = response.json()["room"]["_id"]
            seen: dict[str, list[Any]] = {}
            while "subscriptions-changed" not in seen:
                event, args = await asyncio.wait_for(bot.notes.get(), TIMEOUT)
                seen.setdefault(event, args)
            assert (seen["subscriptions-changed"][0], seen["subscriptions-changed"][1]["rid"]) == ("inserted", rid)
            assert "rooms-changed" not in seen  # not subscribed: nothing here reads it (half the frames per reply)


async def test_an_edit_redelivers_the_same_id() -> None:
    async with Sandbox(workspace()) as sb, maria(sb) as http:
        bot = Bot()
        async with running(bot.client(sb)):
            await bot.next_ready()
            original = await post_and_receive(http, bot, "typo")
            response = await http.post("/chat.update", json={"roomId": ROOM, "msgId": original.id, "text": "fixed"})
            assert response.status_code == 200
            edited = await bot.next_message()
            assert (edited.id, edited.text, edited.edited) == (original.id, "fixed", True)
            assert edited.updated_at >= original.updated_at


async def test_ten_drops_resubscribe_once_each_and_deliver_exactly_once() -> None:
    async with Sandbox(workspace()) as sb, maria(sb) as http:
        bot = Bot()
        client = bot.client(sb)
        received: list[str] = []
        posted: list[str] = []
        async with running(client):
            for round_number in range(11):
                assert await bot.next_ready() == round_number
                assert sb.realtime.subscription_count("u-bot") == 3
                assert sb.realtime.session_count() == 1
                for n in range(2):
                    got = await post_and_receive(http, bot, f"round {round_number} message {n}")
                    posted.append(got.id)
                    received.append(got.id)
                if round_number < 10:
                    await sb.drop_sockets()
                    await post(http, f"while round {round_number} is down")  # may be missed: no replay (§1.14)
            barrier = await post(http, "barrier")
            while (got := await bot.next_message()).id != barrier:
                received.append(got.id)
            assert client.connections == 11
            assert sb.realtime.subscription_count("u-bot") == 3
        assert len(posted) == 22
        assert all(received.count(mid) == 1 for mid in posted)
        assert len(received) == len(set(received))


async def test_comes_back_after_a_server_restart_and_while_the_server_is_down() -> None:
    async with Sandbox(workspace()) as sb, maria(sb) as http:
        bot = Bot()
        gate = asyncio.Event()
        gate.set()
        refused: list[float] = []
        retried = asyncio.Event()

        async def sleep(delay: float) -> None:
            # Held while the server restarts, so the next session surely is on the restarted server (without
            # it, the client may get in again between the sandbox dropping the sockets and shutting down).
            await gate.wait()
            refused.append(delay)
            if len(refused) >= 4:
                retried.set()
            await asyncio.sleep(delay)

        client = bot.client(sb, backoff=tiny_delay, sleep=sleep)
        async with running(client):
            assert await bot.next_ready() == 0
            gate.clear()
            await sb.restart()  # sessions and subscriptions forgotten, tokens kept
            gate.set()
            assert await bot.next_ready() == 1
            assert sb.realtime.subscription_count("u-bot") == 3
            assert sb.realtime.session_count() == 1
            await post_and_receive(http, bot, "after the restart")

            gate.clear()
            await sb.stop_listening()  # connections refused until it listens again
            refused.clear()
            gate.set()
            await asyncio.wait_for(retried.wait(), TIMEOUT)
            await sb.start_listening()
            assert await bot.next_ready() == 2
            await post_and_receive(http, bot, "after the outage")
            assert sb.realtime.subscription_count("u-bot") == 3
        assert bot.credential_calls >= 3


async def test_a_silent_server_is_detected_and_the_client_reconnects(caplog: pytest.LogCaptureFixture) -> None:
    async with Sandbox(workspace()) as sb, maria(sb) as http:
        bot = Bot()
        client = bot.client(sb, ping_interval=0.05, silence_timeout=0.3)
        async with running(client):
            assert await bot.next_ready() == 0
            first = client.session
            sb.realtime.freeze_all()
            assert await bot.next_ready() == 1
            assert client.session != first
            await post_and_receive(http, bot, "after the silence")
            assert sb.realtime.subscription_count("u-bot") == 3
        assert "no frame for 0.3 s" in caplog.text


async def test_a_refused_subscription_is_logged_and_retried_after_the_limit(caplog: pytest.LogCaptureFixture) -> None:
    settings = {"DDP_Rate_Limit_User_By_Method_Requests_Allowed": 0}  # every call after the login is refused
    async with Sandbox(workspace(**settings)) as sb:
        pauses: list[float] = []
        paused = asyncio.Event()

        async def sleep(delay: float) -> None:
            pauses.append(delay)
            paused.set()
            await asyncio.Event().wait()  # a backoff pause that never ends by itself: stop() must interrupt it

        client = Bot().client(sb, sleep=sleep)
        async with running(client):
            await asyncio.wait_for(paused.wait(), TIMEOUT)
            assert client.connections == 0 and not client.ready.is_set()
        assert len(pauses) == 1 and 0 < pauses[0] <= 40  # the limiter's timeToReset, not the zero backoff
        refusals = [r for r in caplog.records if r.levelno == logging.ERROR and "refused the subscription" in r.message]
        assert refusals and "too-many-requests" in refusals[0].message


async def test_refused_sockets_are_retried_with_backoff(caplog: pytest.LogCaptureFixture) -> None:
    async with Sandbox(workspace()) as sb, maria(sb) as http:
        bot = Bot()
        sleeps: list[float] = []
        retried = asyncio.Event()

        def growing() -> Iterator[float]:
            return (0.001 * n for n in itertools.count(1))

        async def sleep(delay: float) -> None:
            sleeps.append(delay)
            if len(sleeps) >= 3:
                retried.set()
            await asyncio.sleep(delay)

        client = bot.client(sb, backoff=growing, sleep=sleep)
        async with running(client):
            assert await bot.next_ready() == 0
            sb.realtime.accepting = False
            await sb.drop_sockets()
            await asyncio.wait_for(retried.wait(), TIMEOUT)
            assert not client.ready.is_set()
            sb.realtime.accepting = True
            assert await bot.next_ready() == 1
            await post_and_receive(http, bot, "accepted again")
        assert sleeps[:3] == [0.001, 0.002, 0.003]  # one generator for the whole outage: the delays grow
        assert any("HTTP 503" in record.getMessage() for record in caplog.records)


async def test_a_flapping_link_is_back_at_the_first_delay_after_every_established_session() -> None:
    """Drops every few seconds used to push the delay to 28 s: the backoff only reset after a session had
    stayed up for the ping interval. Now an established session (that lasted `min_up`) resets it."""
    async with Sandbox(workspace()) as sb, maria(sb) as http:
        bot = Bot()
        sleeps: list[float] = []

        def growing() -> Iterator[float]:
            return (0.001 * n for n in itertools.count(1))

        async def sleep(delay: float) -> None:
            sleeps.append(delay)
            await asyncio.sleep(0)

        client = bot.client(sb, backoff=growing, sleep=sleep, min_up=0.0)
        async with running(client):
            for number in range(5):
                assert await bot.next_ready() == number
                await sb.drop_sockets()
            assert await bot.next_ready() == 5
            await post_and_receive(http, bot, "still here")
        assert sleeps == [0.001] * 5  # every drop starts a fresh backoff: the first delay each time


async def test_a_revoked_token_ends_run_with_auth_failed(caplog: pytest.LogCaptureFixture) -> None:
    async with Sandbox(workspace()) as sb:
        bot = Bot()
        client = bot.client(sb)
        task = asyncio.create_task(client.run())
        assert await bot.next_ready() == 0
        assert sb.revoke_token(BOT_PAT)
        await sb.drop_sockets()
        with pytest.raises(AuthFailed) as caught:
            await asyncio.wait_for(task, TIMEOUT)
        message = str(caught.value)
        assert "revoked or is invalid" in message and "Personal Access Token" in message
        assert BOT_PAT not in message and BOT_PAT not in caplog.text
        assert not client.ready.is_set() and client.connections == 1


async def test_an_invalid_token_fails_at_once_without_retrying() -> None:
    async with Sandbox(workspace()) as sb:
        bot = Bot(token="not-a-token")
        sleeps: list[float] = []

        async def sleep(delay: float) -> None:
            sleeps.append(delay)

        client = bot.client(sb, sleep=sleep)
        with pytest.raises(AuthFailed, match="Personal Access Token") as caught:
            await asyncio.wait_for(client.run(), TIMEOUT)
        assert "not-a-token" not in str(caught.value)
        assert sleeps == [] and client.connections == 0


async def test_a_pending_call_fails_with_connection_lost_when_the_socket_drops() -> None:
    async with Sandbox(workspace()) as sb:
        bot = Bot()
        client = bot.client(sb)
        async with running(client):
            assert await bot.next_ready() == 0
            sb.realtime.freeze_all()  # the server takes the call and never answers
            call = asyncio.create_task(client.call("sendMessage", [{"rid": ROOM, "msg": "lost"}]))
            for _ in range(10):
                await asyncio.sleep(0)  # let the call go out and wait for its result
            assert not call.done()
            await sb.drop_sockets()
            with pytest.raises(ConnectionLost, match="closed"):
                await asyncio.wait_for(call, TIMEOUT)
            assert await bot.next_ready() == 1
            with pytest.raises(ConnectionLost):
                await RealtimeClient(sb.ws_url, credentials=bot.credentials, on_message=print).call("x", [])


async def test_calls_return_decoded_results_and_map_meteor_errors() -> None:
    settings = {"DDP_Rate_Limit_Connection_By_Method_Requests_Allowed": 2}  # x4 for stream-* names
    async with Sandbox(workspace(**settings)) as sb:
        bot = Bot()
        client = bot.client(sb)
        async with running(client):
            await bot.next_ready()
            saved = await client.call("sendMessage", [{"rid": ROOM, "msg": "over DDP"}])
            assert saved["msg"] == "over DDP" and saved["ts"].tzinfo is not None
            with pytest.raises(BadRequest, match=r"Method 'no-such-method' not found \[404\]") as caught:
                await client.call("no-such-method", [])
            assert caught.value.error == 404
            for _ in range(8):
                assert await client.call("stream-room-messages", ["anything"]) is None
            with pytest.raises(RateLimited) as limited:
                await client.call("stream-room-messages", ["anything"])
            assert 0 < limited.value.retry_after <= 40


async def test_server_pings_are_answered_and_the_session_survives() -> None:
    heartbeat = {"Sandbox_Heartbeat_Interval_ms": 30, "Sandbox_Heartbeat_Timeout_ms": 300}
    pinged = asyncio.Event()
    answered = 0

    class Counter(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            nonlocal answered
            if record.getMessage() == "realtime: answered a server ping":
                answered += 1
                if answered >= 5:
                    pinged.set()

    logger = logging.getLogger(REALTIME_LOGGER)
    handler, level = Counter(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        async with Sandbox(workspace(**heartbeat)) as sb, maria(sb) as http:
            bot = Bot()
            client = bot.client(sb, ping_interval=60, silence_timeout=120)  # the client itself stays quiet
            async with running(client):
                assert await bot.next_ready() == 0
                session = client.session
                await asyncio.wait_for(pinged.wait(), TIMEOUT)
                await post_and_receive(http, bot, "still here")
                assert (client.session, client.connections, sb.realtime.session_count()) == (session, 1, 1)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_malformed_events_and_failing_callbacks_are_skipped() -> None:
    async with Sandbox(workspace()) as sb, maria(sb) as http:
        bot = Bot()
        failures = 0

        def on_message(message: IncomingMessage) -> None:
            nonlocal failures
            if message.text == "explode":
                failures += 1
                raise RuntimeError("a bug in the app")
            bot.messages.put_nowait(message)

        client = RealtimeClient(
            sb.ws_url, credentials=bot.credentials, on_message=on_message, on_ready=bot.on_ready, backoff=no_delay
        )
        async with running(client):
            await bot.next_ready()
            room = sb.store.rooms[ROOM]
            sb.store.emit(MessageChanged({"_id": "broken", "rid": ROOM, "msg": "no sender"}, room, True))
            await post(http, "explode")
            await post_and_receive(http, bot, "after the bad ones")
            assert failures == 1 and client.connections == 1


async def test_stop_ends_run_cleanly_even_while_waiting_to_reconnect() -> None:
    async with Sandbox(workspace()) as sb:
        bot = Bot()
        client = bot.client(sb)
        async with running(client) as task:
            assert await bot.next_ready() == 0
            client.stop()
            await asyncio.wait_for(asyncio.shield(task), TIMEOUT)
            assert task.result() is None and not client.ready.is_set()

        sleeping = asyncio.Event()

        async def sleep(delay: float) -> None:
            sleeping.set()
            await asyncio.sleep(delay)

        slow = Bot().client(sb, backoff=lambda: itertools.repeat(3600.0), sleep=sleep)  # an hour-long pause
        sb.realtime.accepting = False
        async with running(slow) as task:
            await asyncio.wait_for(sleeping.wait(), TIMEOUT)
            slow.stop()
            await asyncio.wait_for(asyncio.shield(task), TIMEOUT)
        assert slow.connections == 0
