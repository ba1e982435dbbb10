"""Every command answered exactly once: the causes of lost commands found by the fault harness, each
reproduced deterministically (held routes instead of delays, events instead of sleeps)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from bot.runtime.app import BotApp
from bot.sandbox import Sandbox
from tests import harness
from tests.harness import Poster, Replies, ShiftedClock, bot_settings

pytestmark = pytest.mark.anyio

MANAGERS, GENERAL = "r-managers", "GENERAL"


class NoSleep:
    """The bot's retry pauses, recorded and skipped: the test decides time, not the wall clock."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        await asyncio.sleep(0)


@asynccontextmanager
async def started_bot(sb: Sandbox, state_file: Path | None = None, **options: Any) -> AsyncIterator[BotApp]:
    """A bot whose `run()` has started; unlike `running_bot`, this does not wait for the catch-up."""
    overrides: dict[str, Any] = {"state_file": str(state_file)} if state_file else {}
    settings = bot_settings(sb, **overrides)
    app = BotApp(
        settings,
        router=harness.test_router(settings),
        backoff=lambda: itertools.repeat(0.02),
        clock=options.pop("clock", lambda: datetime.now(UTC)),
        **options,
    )
    task = asyncio.create_task(app.run())
    try:
        yield app
    finally:
        app.stop()
        await asyncio.wait_for(task, 15)


async def post_around(poster: Poster, rid: str, text: str) -> dict[str, Any]:
    """Post through `chat.postMessage`, so faults injected on the bot's `chat.sendMessage` spare people."""
    message: dict[str, Any] = (await poster.call("chat.postMessage", {"roomId": rid, "text": text}))["message"]
    return message


class Gate(asyncio.Event):
    """A sandbox route hold that also says when a request reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = asyncio.Event()

    async def wait(self) -> Literal[True]:
        self.reached.set()
        return await super().wait()


async def reached(gate: Gate) -> None:
    await asyncio.wait_for(gate.reached.wait(), 10)


async def test_a_live_message_during_the_catch_up_does_not_hide_a_command_posted_while_away(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    """Cause 1: a live message that reaches a room after the bot re-subscribed but before that room's
    catch-up used to move the room's watermark past the commands posted while the bot was away."""
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    while_away = await maria.post(MANAGERS, "!help")
    release = Gate()
    sb.fault("chat.syncMessages", hold=release)
    async with started_bot(sb) as app:
        await reached(release)  # subscribed, and the catch-up is waiting on the server
        await maria.post(MANAGERS, "good morning")  # live, while the catch-up waits
        sentinel = await maria.post(GENERAL, "!figures")  # read after "good morning" on the same socket
        await replies.answer_to(sentinel)
        release.set()
        await replies.answer_to(while_away)
        await app.wait_for_session(1)
        later = await maria.post(MANAGERS, "!help")
        await replies.answer_to(later)
    assert len(replies.to(while_away)) == 1


async def test_a_catch_up_cut_short_by_a_drop_resumes_on_the_next_session(sb: Sandbox, http: httpx.AsyncClient) -> None:
    """The catch-up after a reconnect was abandoned when the link dropped again before it finished."""
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    while_away = await maria.post(MANAGERS, "!help")
    release = Gate()
    fault = sb.fault("chat.syncMessages", hold=release)
    async with started_bot(sb) as app:
        await reached(release)
        await sb.drop_sockets()  # the first catch-up is still waiting on chat.syncMessages
        await maria.post(MANAGERS, "chatter while the link is down")
        sb.api.faults.remove(fault)
        release.set()
        await replies.answer_to(while_away, within=10)
        await app.wait_for_session(1)
    assert len(replies.to(while_away)) == 1


async def test_a_reply_that_cannot_be_sent_for_a_while_is_sent_once_it_can(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    """Cause 2: a reply that could not be sent within ~3.5 s was dropped for good."""
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    pauses = NoSleep()
    async with started_bot(sb, sleep=pauses) as app:
        await app.wait_for_session(1)
        sb.fault("chat.sendMessage", status=503, times=12)  # bot's sends fail a dozen times in a row
        command = await post_around(maria, MANAGERS, "!figures")
        await replies.answer_to(command, within=10)
    assert len(replies.to(command)) == 1
    assert sum(pauses.pauses) > 3.5  # it kept trying past the old give-up point


async def test_a_transient_analytics_failure_is_retried_before_the_asker_hears_of_it(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    """Cause 3: one 503 or 429 on an analytics route was answered 'try again' instead of being retried."""
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    pauses = NoSleep()
    async with started_bot(sb, sleep=pauses) as app:
        await app.wait_for_session(1)
        sb.fault("livechat/department", status=503, times=1)
        sb.fault("livechat/department", status=429, times=1, retry_after_ms=2000)
        command = await maria.post(MANAGERS, "!departments")
        reply = await replies.answer_to(command, within=10)
    assert "try again" not in reply["msg"]
    assert "Sales" in reply["msg"] or "department" in reply["msg"].lower()


async def test_a_command_pending_when_the_bot_stops_is_answered_after_its_restart(
    sb: Sandbox, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The command in flight when the server went away was never answered; now it is journaled in
    the state file and retried by the next run."""
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    state = tmp_path / "state.sqlite3"
    release = Gate()
    sb.fault("chat.sendMessage", hold=release)
    async with started_bot(sb, state_file=state) as app:
        await app.wait_for_session(1)
        command = await post_around(maria, MANAGERS, "!figures")
        await reached(release)  # the reply is on its way, held by the server
        app.dispatcher.grace = 0.0  # stop without waiting for the held send
    sb.clear_faults()
    release.set()
    async with started_bot(sb, state_file=state) as again:
        await again.wait_for_session(1)
        await replies.answer_to(command, within=10)
        sentinel = await maria.post(MANAGERS, "!help")
        await replies.answer_to(sentinel)
    assert len(replies.to(command)) == 1


async def test_past_the_deadline_the_asker_hears_once_that_the_command_could_not_be_answered(
    sb: Sandbox, http: httpx.AsyncClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    state = tmp_path / "state.sqlite3"
    clock = ShiftedClock()
    release = Gate()
    sb.fault("chat.sendMessage", hold=release)
    async with started_bot(sb, state_file=state, clock=clock) as app:
        await app.wait_for_session(1)
        command = await post_around(maria, MANAGERS, "!figures")
        await reached(release)
        app.dispatcher.grace = 0.0
    sb.clear_faults()
    release.set()
    clock.offset = timedelta(minutes=16)  # the bot was down past the 15-minute deadline
    caplog.set_level(logging.INFO, logger="bot")
    async with started_bot(sb, state_file=state, clock=clock) as again:
        await again.wait_for_session(1)
        notice = await replies.answer_to(command, within=10)
    assert "could not be answered" in notice["msg"]
    assert len(replies.to(command)) == 1
    assert any("deadline" in r.getMessage() for r in caplog.records)


async def test_a_command_waiting_to_retry_does_not_hold_up_the_others(sb: Sandbox, http: httpx.AsyncClient) -> None:
    """With one slot, a command pausing after a 503 used to keep the slot for its whole pause."""
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    pausing, resume = asyncio.Event(), asyncio.Event()

    async def sleep(seconds: float) -> None:
        pausing.set()
        await resume.wait()

    async with started_bot(sb, sleep=sleep) as app:
        await app.wait_for_session(1)
        app.dispatcher._slots = asyncio.Semaphore(1)  # concurrency = 1
        sb.fault("livechat/department", status=503, times=1)
        waiting = await maria.post(MANAGERS, "!departments")
        await asyncio.wait_for(pausing.wait(), 10)
        other = await maria.post(MANAGERS, "!help")
        await replies.answer_to(other)  # answered while the first one waits
        resume.set()
        await replies.answer_to(waiting)
    assert len(replies.to(waiting)) == 1


async def direct_room(poster: Poster) -> str:
    room: str = (await poster.call("im.create", {"username": "analytics-bot"}))["room"]["rid"]
    return room


@pytest.mark.parametrize(
    ("where", "text", "expected"),
    [
        # The prefix form is exact: `!how` is no command, and the asker is told so, not answered a reading.
        (MANAGERS, "!how many chats last week", "I don't know the command `how`."),
        ("dm", "!how many chats last week", "I don't know the command `how`."),
        # A mention, or plain words in a direct message, may be a question: it is read.
        (MANAGERS, "@analytics-bot how many chats last week", "I read this as `!overview conversations last week`"),
        ("dm", "how many chats last week", "I read this as `!overview conversations last week`"),
    ],
)
async def test_a_command_resumed_after_a_restart_is_read_as_it_was_addressed(
    sb: Sandbox, http: httpx.AsyncClient, tmp_path: Path, where: str, text: str, expected: str
) -> None:
    """The journal kept only the text after the prefix or mention, so a restarted bot read every pending
    command as if mentioned: `!how many chats last week`, exact when live ("I don't know the command `how`"),
    was answered after a restart with a reading and an overview."""
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    room = await direct_room(maria) if where == "dm" else where
    state = tmp_path / "state.sqlite3"
    release = Gate()
    async with started_bot(sb, state_file=state) as app:
        await app.wait_for_session(1)
        live = await replies.answer_to(await maria.post(room, text), within=10)
        sb.fault("chat.sendMessage", hold=release)
        command = await post_around(maria, room, text)
        await reached(release)  # read, journaled and answered; the reply is held by the server
        app.dispatcher.grace = 0.0  # stop with the command still pending
    sb.clear_faults()
    release.set()
    async with started_bot(sb, state_file=state) as again:
        await again.wait_for_session(1)
        resumed = await replies.answer_to(command, within=10)
    assert live["msg"].startswith(expected)
    assert resumed["msg"].splitlines()[0] == live["msg"].splitlines()[0]
    assert len(replies.to(command)) == 1
