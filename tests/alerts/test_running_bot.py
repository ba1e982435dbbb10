"""An alert in the running bot, end to end: added in chat, an incident opened when the queue breaches,
edited while it lasts, resolved in its thread when it clears, with the realtime link dropped in between."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.sandbox.store import MessageChanged
from tests.harness import Poster, Replies, running_bot

pytestmark = pytest.mark.anyio
MANAGERS = "r-managers"


async def until(replies: Replies, predicate: Any, within: float = 15.0) -> dict[str, Any]:
    return await replies.wait_for(predicate, within)


async def test_a_queue_alert_opens_once_and_resolves_in_its_thread(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    edits: list[dict[str, Any]] = []
    sb.store.listen(lambda e: edits.append(e.message) if isinstance(e, MessageChanged) and not e.inserted else None)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb, alert_interval=0.05) as app:
        added = await maria.post(MANAGERS, "!alert add queue > 0")
        answer = await replies.answer_to(added)
        assert "Alert" in answer["msg"] and "queue" in answer["msg"].lower(), answer["msg"]
        rid = sb.enqueue(text="Hello?")
        incident = await until(replies, lambda m: m["rid"] == MANAGERS and "queue" in m["msg"].lower()
                               and m["_id"] != answer["_id"] and not m.get("tmid"))  # fmt: skip
        sessions = app.sessions
        await sb.drop_sockets()  # the link drops during the incident: nothing new is posted for it
        await app.wait_for_session(sessions + 1)
        agent = next(u["username"] for u in sb.store.users.values() if "livechat-agent" in u.get("roles", []))
        sb.take(rid, agent)
        resolved = await until(replies, lambda m: m.get("tmid") == incident["_id"])
        assert "resolved" in resolved["msg"].lower()
    incidents = [m for m in replies.messages if m["rid"] == MANAGERS and not m.get("tmid") and m["_id"] not in
                 (answer["_id"],) and "queue" in m["msg"].lower()]  # fmt: skip
    assert [m["_id"] for m in incidents] == [incident["_id"]]  # one incident message, never re-posted
    assert any(e["_id"] == incident["_id"] and "resolved" in e["msg"].lower() for e in edits)
