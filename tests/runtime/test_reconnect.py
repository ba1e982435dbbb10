"""Staying up: dropped sockets, a server restart, downtime, a restart of the bot, a revoked token."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx
import pytest

from bot.errors import AuthFailed
from bot.sandbox import Sandbox
from tests.harness import Poster, Replies, ShiftedClock, run_task, running_bot
from tests.sandbox.workspace import BOT_PAT

pytestmark = pytest.mark.anyio

MANAGERS = "r-managers"


async def test_ten_drops_and_a_restart_lose_nothing_and_duplicate_nothing(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    commands = []
    async with running_bot(sb) as app:
        for _ in range(10):
            await sb.drop_sockets()
            command = await maria.post(MANAGERS, "!figures")  # arrives live or through catch-up
            commands.append(command)
            await replies.answer_to(command)
        sessions = app.sessions
        await sb.restart()  # every session and subscription forgotten; tokens kept
        await asyncio.wait_for(app.wait_for_session(sessions + 1), 2.0)  # back within 2 s of being reachable
        after_restart = await maria.post(MANAGERS, "!figures")
        commands.append(after_restart)
        await replies.answer_to(after_restart)
        assert sb.realtime.subscription_count("u-bot") == 3  # one of each, never duplicated
        assert sb.realtime.session_count() == 1
    assert app.sessions >= 12
    assert [len(replies.to(c)) for c in commands] == [1] * 11
    assert len(replies.messages) == 11


async def test_a_command_posted_while_disconnected_is_answered_once_after_reconnecting(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb) as app:
        sessions = app.sessions
        sb.realtime.accepting = False
        await sb.drop_sockets()
        while_down = await maria.post(MANAGERS, "!figures")
        sb.realtime.accepting = True
        await app.wait_for_session(sessions + 1)
        await replies.answer_to(while_down)
        sentinel = await maria.post(MANAGERS, "!help")
        await replies.answer_to(sentinel)
    assert len(replies.to(while_down)) == 1


async def test_on_start_recent_commands_are_answered_and_stale_ones_skipped(
    sb: Sandbox, http: httpx.AsyncClient, server_clock: ShiftedClock, caplog: pytest.LogCaptureFixture
) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    server_clock.offset = -timedelta(minutes=11)
    stale = await maria.post(MANAGERS, "!figures")
    server_clock.offset = -timedelta(minutes=5)
    recent = await maria.post(MANAGERS, "!figures")
    server_clock.offset = timedelta(0)
    caplog.set_level(logging.INFO, logger="bot")
    async with running_bot(sb):
        await replies.answer_to(recent)
        sentinel = await maria.post(MANAGERS, "!help")
        await replies.answer_to(sentinel)
    assert replies.to(stale) == []
    assert len(replies.to(recent)) == 1
    assert any("older than the catch-up age" in r.getMessage() for r in caplog.records)


async def test_a_restarted_bot_does_not_answer_again(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb):
        command = await maria.post(MANAGERS, "!figures")
        await replies.answer_to(command)
    async with running_bot(sb):  # a new process: catch-up sees the command and the reply to it
        sentinel = await maria.post(MANAGERS, "!help")
        await replies.answer_to(sentinel)
    assert len(replies.to(command)) == 1


async def test_a_silent_server_is_detected_and_left(sb: Sandbox, http: httpx.AsyncClient) -> None:
    """A proxy that cuts the link without closing it: only the bot's own pings notice."""
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb, ping_interval=0.1, silence_timeout=0.3) as app:
        sessions = app.sessions
        sb.realtime.freeze_all()
        await asyncio.wait_for(app.wait_for_session(sessions + 1), 5)
        command = await maria.post(MANAGERS, "!figures")
        await replies.answer_to(command)


async def test_a_revoked_token_ends_the_bot_with_a_clear_error(sb: Sandbox) -> None:
    async with running_bot(sb) as app:
        sb.revoke_token(BOT_PAT)
        with pytest.raises(AuthFailed) as caught:
            await asyncio.wait_for(run_task(app), 10)
    assert BOT_PAT not in str(caught.value)
    assert "Personal Access Token" in str(caught.value)
