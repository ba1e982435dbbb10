"""The wiring (router, dispatcher, app): follow-up buttons reach Rocket.Chat under the real bot's replies and
can be switched off; `!export` is registered and posts its file."""

from __future__ import annotations

import httpx
import pytest

from bot.sandbox import Sandbox
from tests.harness import Poster, Replies, running_bot

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]

MANAGERS = "r-managers"


async def test_replies_carry_follow_up_buttons_unless_switched_off(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb):
        command = await maria.post(MANAGERS, "!overview 2024-03-05")
        answer = await replies.answer_to(command)
    (attachment,) = answer["attachments"]
    assert [a["text"] for a in attachment["actions"]] == ["By agent", "Previous period", "As chart", "Export CSV"]
    assert attachment["actions"][1]["msg"] == "!overview 2024-03-04"
    async with running_bot(sb, buttons=False):
        command = await maria.post(MANAGERS, "!agents frt 2024-03-05")
        answer = await replies.answer_to(command)
    assert "attachments" not in answer


async def test_export_is_registered_and_posts_its_file(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb):
        command = await maria.post(MANAGERS, "!export conversations 2024-03-04..2024-03-05")
        answer = await replies.answer_to(command)
        file = await replies.wait_for(lambda m: m.get("file") is not None)
    assert "3 conversations, one row each" in answer["msg"]
    assert file["file"]["name"] == "conversations-2024-03-04-2024-03-05.csv"
    assert len(replies.to(command)) == 1
