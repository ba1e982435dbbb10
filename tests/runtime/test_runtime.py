"""The runtime end to end: commands in, exactly one reply out, for the right people, in the right rooms."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.commands.router import Reply
from bot.runtime.dispatch import REFUSAL
from bot.sandbox import Sandbox
from tests.harness import SECRET_FIGURE, Poster, Replies, run_task, running_bot
from tests.mentions import mentions
from tests.sandbox.workspace import BOT_PAT

pytestmark = pytest.mark.anyio

MANAGERS = "r-managers"  # private room: maria (manager), admin, the bot


async def test_an_authorized_command_gets_exactly_one_reply(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb):
        command = await maria.post(MANAGERS, "!figures")
        answer = await replies.answer_to(command)
        assert answer["msg"] == f"{SECRET_FIGURE} for maria"
        assert answer["rid"] == MANAGERS
        sentinel = await maria.post(MANAGERS, "!help")
        assert "*Omnichannel analytics*" in (await replies.answer_to(sentinel))["msg"]
    assert len(replies.to(command)) == 1
    assert len(replies.messages) == 2


async def test_an_ordinary_user_is_refused_without_figures(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    olivia = await Poster.login(http, "olivia")
    async with running_bot(sb):
        command = await olivia.post("GENERAL", "!figures")
        answer = await replies.answer_to(command)
    assert answer["msg"] == REFUSAL
    assert SECRET_FIGURE not in answer["msg"]


async def test_no_reply_in_livechat_rooms(sb: Sandbox, http: httpx.AsyncClient) -> None:
    """The bot (a livechat-manager) sees livechat rooms on __my_messages__, but never acts there."""
    replies = Replies(sb)
    jane = await Poster.login(http, "jane")  # the agent serving r-live-1
    maria = await Poster.login(http, "maria")
    async with running_bot(sb):
        in_livechat = await jane.post("r-live-1", "!figures")
        sentinel = await maria.post(MANAGERS, "!help")
        await replies.answer_to(sentinel)
    assert replies.to(in_livechat) == []
    assert all(m["rid"] != "r-live-1" for m in replies.messages)


async def test_edits_reactions_and_thread_replies_do_not_answer_again(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb):
        command = await maria.post(MANAGERS, "!figures")
        await replies.answer_to(command)
        await maria.call("chat.update", {"roomId": MANAGERS, "msgId": command["_id"], "text": "!help"})
        await maria.call("chat.react", {"messageId": command["_id"], "emoji": "thumbsup"})
        await maria.post(MANAGERS, "thanks", tmid=command["_id"])
        sentinel = await maria.post(MANAGERS, "!help")
        await replies.answer_to(sentinel)
    assert len(replies.to(command)) == 1
    assert len(replies.messages) == 2


async def test_dm_without_prefix_and_mention_forms(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    room = (await maria.call("im.create", {"username": "analytics-bot"}))["room"]
    async with running_bot(sb):
        plain = await maria.post(room["rid"], "figures")
        answer = await replies.answer_to(plain)
        assert answer["rid"] == room["rid"]
        assert answer["msg"] == f"{SECRET_FIGURE} for maria"
        mention = await maria.post("GENERAL", "@analytics-bot figures")
        assert (await replies.answer_to(mention))["rid"] == "GENERAL"
        plain_in_channel = await maria.post("GENERAL", "figures")
        sentinel = await maria.post("GENERAL", "!help")
        await replies.answer_to(sentinel)
    assert replies.to(plain_in_channel) == []


async def test_a_dm_opened_while_running_is_answered(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    admin = await Poster.login(http, "admin")
    async with running_bot(sb):
        room = (await admin.call("im.create", {"username": "analytics-bot"}))["room"]
        command = await admin.post(room["rid"], "help")
        assert (await replies.answer_to(command))["rid"] == room["rid"]


async def test_the_bots_own_messages_never_trigger_it(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    bot = Poster(http, {"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT})
    maria = await Poster.login(http, "maria")
    async with running_bot(sb):
        own = await bot.post(MANAGERS, "!help")
        sentinel = await maria.post(MANAGERS, "!help")
        await replies.answer_to(sentinel)
    assert replies.to(own) == []


async def test_replies_in_a_thread_stay_in_the_thread(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb):
        root = await maria.post(MANAGERS, "let's look at the numbers")
        command = await maria.post(MANAGERS, "!figures", tmid=root["_id"])
        answer = await replies.answer_to(command)
    assert answer["tmid"] == root["_id"]


async def test_unknown_command_gets_a_suggestion_and_no_echoed_markup(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb):
        command = await maria.post(MANAGERS, "!figurez @all")
        answer = await replies.answer_to(command)
        hostile = await maria.post(MANAGERS, "!@here`boom`")
        hostile_answer = await replies.answer_to(hostile)
    assert "Did you mean `!figures`?" in answer["msg"]
    assert "`@here'boom'`" in hostile_answer["msg"]  # shown as typed (a backtick cannot be), notifying nobody
    assert mentions(hostile_answer["msg"]) == [] and not hostile_answer.get("mentions")


async def test_a_failing_handler_gets_an_apology_with_a_reference(
    sb: Sandbox, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb) as app:

        @app.router.command("boom", summary="fails", usage="boom", needs_access=False)
        async def boom(invocation: object) -> object:
            raise RuntimeError("internal detail")

        command = await maria.post(MANAGERS, "!boom")
        answer = await replies.answer_to(command)
    assert answer["msg"].startswith("Sorry, something went wrong on my side (ref ")
    assert "internal detail" not in answer["msg"] and "Traceback" not in answer["msg"]
    ref = answer["msg"].split("(ref ")[1].split(")")[0]
    assert any(ref in r.getMessage() and r.exc_info for r in caplog.records)


async def test_stopping_lets_in_flight_replies_finish(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    started, release = asyncio.Event(), asyncio.Event()
    async with running_bot(sb) as app:

        @app.router.command("slow", summary="a slow query", usage="slow", needs_access=False)
        async def slow(invocation: object) -> Reply:
            started.set()
            await release.wait()
            return Reply("finished after stop")

        command = await maria.post(MANAGERS, "!slow")
        await asyncio.wait_for(started.wait(), 5)
        app.stop()  # SIGTERM does this
        release.set()
        await asyncio.wait_for(run_task(app), 10)
    assert [m["msg"] for m in replies.to(command)] == ["finished after stop"]
