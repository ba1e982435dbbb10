"""`[analytics]` and `[charts]` as the running bot takes them: what it asks Rocket.Chat again, and its pictures.

The bot's clock stands still here, so an answer kept for any age above 0 is reused for the second of two
identical commands, and only an age of 0 (shared while in flight) makes the bot ask again.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.sandbox import Sandbox
from tests.analytics.counting import Requests
from tests.harness import Poster, Replies, running_bot

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]
MANAGERS = "r-managers"
TUESDAY_15_20 = datetime(2024, 3, 5, 15, 20, tzinfo=UTC)  # the worked example's day, after its two chats
OVERVIEW = "livechat/analytics/overview"


async def asked_by_the_repeat(sb: Sandbox, text: str, **settings: Any) -> Counter[str]:
    """The requests (by route) the second of two identical commands made, each answered before the next."""
    requests = Requests(sb)
    replies = Replies(sb)
    async with httpx.AsyncClient(base_url=sb.url) as http:
        maria = await Poster.login(http, "maria")
        async with running_bot(sb, clock=lambda: TUESDAY_15_20, **settings) as app:
            first = await maria.post(MANAGERS, text)
            await replies.answer_to(first)
            await app.dispatcher.idle()
            before = len(requests.queries)
            second = await maria.post(MANAGERS, text)
            await replies.answer_to(second)
            await app.dispatcher.idle()
    return Counter(route for route, _ in requests.queries[before:])


@pytest.mark.parametrize(
    ("setting", "command", "route"),
    [
        ("analytics_cache_seconds", "!overview today", OVERVIEW),  # [analytics] cache_seconds
        ("closed_cache_seconds", "!overview 2024-03-04", OVERVIEW),  # the day before: a closed period
        ("departments_cache_seconds", "!departments", "livechat/department"),
        ("realtime_cache_seconds", "!now", "livechat/inquiries.list"),  # the waiting queue, a real-time figure
    ],
)
@pytest.mark.parametrize("age", [0, None])
async def test_an_age_of_0_makes_a_repeated_question_ask_rocket_chat_again(
    sb: Sandbox, setting: str, command: str, route: str, age: float | None
) -> None:
    settings = {setting: age} if age is not None else {}  # None: the default, which keeps the answer
    asked = await asked_by_the_repeat(sb, command, **settings)
    assert (asked[route] > 0) is (age == 0)


async def test_cache_seconds_0_asks_again_only_about_the_period_that_includes_today(sb: Sandbox) -> None:
    """`cache_seconds` is for periods that include today; a closed day stays kept for `closed_cache_seconds`."""
    requests = Requests(sb)
    replies = Replies(sb)
    async with httpx.AsyncClient(base_url=sb.url) as http:
        maria = await Poster.login(http, "maria")
        async with running_bot(sb, clock=lambda: TUESDAY_15_20, analytics_cache_seconds=0):
            for text in ("!overview today", "!overview 2024-03-04", "!overview today", "!overview 2024-03-04"):
                await replies.answer_to(await maria.post(MANAGERS, text))
    days = Counter(query["from"] for route, query in requests.queries if route == OVERVIEW)
    assert days == {"2024-03-05": 4, "2024-03-04": 2, "2024-02-26": 2}  # 2 sections; today's asked twice


@pytest.mark.parametrize("enabled", [True, False])
async def test_with_charts_disabled_a_chart_is_text_only(sb: Sandbox, enabled: bool) -> None:
    replies = Replies(sb)
    async with httpx.AsyncClient(base_url=sb.url) as http:
        maria = await Poster.login(http, "maria")
        async with running_bot(sb, charts_enabled=enabled) as app:
            command = await maria.post(MANAGERS, "!chart conversations 2024-03-04..2024-03-06")
            text = (await replies.answer_to(command))["msg"]
            await app.dispatcher.idle()  # a picture is posted after the text
    uploads = [u for u in sb.store.uploads.values() if u["userId"] == "u-bot"]
    assert [u["type"] for u in uploads] == (["image/png"] if enabled else [])
    assert text.startswith("*Total Conversations* · 4 – 6 Mar 2024")
    assert "No picture" not in text  # switched off is no missing extra: nothing to excuse


@pytest.mark.parametrize(
    ("enabled", "warm_at_start", "warmed"), [(True, True, True), (True, False, False), (False, True, False)]
)
async def test_charts_are_warmed_after_connecting_only_when_configured(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch, enabled: bool, warm_at_start: bool, warmed: bool
) -> None:
    """Warming imports matplotlib on the chart thread; here a stand-in records the call (the import itself is
    tests/replies/test_pictures.py's), answering as if the extra were missing so nothing else changes."""
    calls = asyncio.Event()

    async def warm_up() -> bool:
        calls.set()
        return False

    monkeypatch.setattr("bot.runtime.app.warm_up", warm_up)
    replies = Replies(sb)
    async with httpx.AsyncClient(base_url=sb.url) as http:
        maria = await Poster.login(http, "maria")
        async with running_bot(sb, charts_enabled=enabled, charts_warm_at_start=warm_at_start) as app:
            # By this answer a warm-up started on connecting has long run (it is started before the session counts).
            await replies.answer_to(await maria.post(MANAGERS, "!help"))
            await app.dispatcher.idle()
            assert calls.is_set() is warmed
