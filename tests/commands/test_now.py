"""`!now` end to end: the real router (with `now` registered), access check and dispatcher against a sandbox
whose live state the fault API sets (tests/analytics/live_morning.py derives every value), so each reply is
asserted in full."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.analytics.service import AnalyticsService
from bot.commands import now as now_command
from bot.commands.analytics import Services
from bot.commands.router import Router
from bot.config import Settings
from bot.rocketchat.models import IncomingMessage
from bot.rocketchat.rest import RestClient
from bot.runtime import app
from bot.runtime.access import Access
from bot.runtime.dispatch import REFUSAL, Dispatcher
from bot.runtime.pipeline import Command
from bot.sandbox import Sandbox
from tests.analytics.live_morning import ZONE, Clock, the_morning, workspace
from tests.commands import answering
from tests.commands.answering import Answer
from tests.harness import bot_settings

pytestmark = pytest.mark.anyio


def router_with_now(settings: Settings) -> Router:
    router = app.build_router(settings)
    now_command.register_now(router)
    return router


@asynccontextmanager
async def serving(
    monkeypatch: pytest.MonkeyPatch, *, morning: bool = True, **settings: Any
) -> AsyncIterator[tuple[Sandbox, Clock, Answer]]:
    """A sandbox with the workspace (and the morning played), and `answer` as maria reads it."""
    monkeypatch.setattr(answering, "build_router", router_with_now)
    clock = Clock()
    async with Sandbox(workspace(**settings), clock=clock) as sb:
        if morning:
            the_morning(sb, clock)
        async with answering.answering(sb, clock=clock, timezone=ZONE) as answer:
            yield sb, clock, answer


QUEUE = "*Queue* 2 waiting · longest 17m 05s (since 11:20:00) · `Sales` 1, `Support` 1"
AGENTS = [
    "*Agents* 2 available · 1 away · 1 offline or not taking chats (chats each holds after the name)",
    "• available: `jane` 2, `john` 2 (1 on hold)",
    "• away: `ann`",
    "• offline or not taking chats: `bob`",
]
TODAY = [
    "*Today so far* · Wed 18 Nov · day in progress",
    "• Conversations: 6 · to 11:00: 4, ▲ 33% vs Wed 11 Nov to 11:00 (3)",
    "• First response, average: 2m 20s",
    "• Queue wait: avg 1m 38s, longest 3m 00s (4 chats taken)",
    "• Abandoned (visitor silent past the timeout): 1 of 6 (17%)",
]


async def test_now_shows_the_queue_agents_chats_and_today_compared_to_the_same_hours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with serving(monkeypatch) as (_, _, answer):
        reply = await answer("!now")
    assert reply.splitlines() == [
        "*Live now* · Wed 18 Nov 2026, Europe/Berlin",
        QUEUE,
        *AGENTS,
        "*Chats in progress* 3 open · 1 on hold",
        "• `Sales` 2 open · 0 on hold",
        "• `Support` 1 open · 1 on hold",
        *TODAY,
        "as of 11:37:05",
    ]


@pytest.mark.parametrize("version", ["7.12.2", "8.8.0"])
async def test_both_version_lines_give_the_same_day(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    """8.x reads the leading date of `start`, 7.x the day of the instant in the reporting zone: the offset
    instants the bot sends name 18 Nov both ways (a `Z` instant would be 17 Nov 23:00 for 8.x)."""
    async with serving(monkeypatch, Sandbox_Version=version) as (_, _, answer):
        reply = await answer("!now")
    assert reply.splitlines()[-6:-1] == TODAY


async def test_one_department_only(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serving(monkeypatch) as (_, _, answer):
        reply = await answer("!now dept=support")
    assert reply.splitlines() == [
        "*Live now* · Wed 18 Nov 2026, Europe/Berlin · department `Support`",
        "*Queue* 1 waiting · longest 17m 05s (since 11:20:00)",
        "*Agents* 1 available · 1 offline or not taking chats (chats each holds after the name)",
        "• available: `john` 2 (1 on hold)",
        "• offline or not taking chats: `bob`",
        "*Chats in progress* 1 open · 1 on hold",
        "*Today so far* · Wed 18 Nov · day in progress",
        "• Conversations: 2 · to 11:00: 1, new vs Wed 11 Nov to 11:00 (0)",
        "• First response, average: 4m 00s",
        "• Queue wait: avg 3m 00s, longest 3m 00s (1 chat taken)",
        "• Abandoned (visitor silent past the timeout): 0 of 2 (0%)",
        "as of 11:37:05",
    ]


async def test_an_empty_queue_early_in_the_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 00:40 nothing has happened today and no hour is complete: nothing to compare, said so."""
    async with serving(monkeypatch, morning=False) as (_, clock, answer):
        clock.at(0, 40)
        reply = await answer("!now")
    assert reply.splitlines() == [
        "*Live now* · Wed 18 Nov 2026, Europe/Berlin",
        "*Queue* empty",
        *AGENTS[:1],
        "• available: `jane`, `john` 1 (1 on hold)",
        *AGENTS[2:],
        "*Chats in progress* 0 open · 1 on hold",
        "• `Support` 0 open · 1 on hold",
        "*Today so far* · Wed 18 Nov · day in progress",
        "• Conversations: 0 (no full hour yet to compare)",
        "• First response, average: no chat answered yet",
        "• Queue wait: no chat taken yet",
        "• Abandoned (visitor silent past the timeout): 0",
        "as of 00:40:00",
    ]


async def test_a_chat_waiting_since_yesterday_with_every_agent_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serving(monkeypatch, morning=False) as (sb, clock, answer):
        clock.at(23, 50, day=17)
        sb.enqueue(department="Sales")
        for name in ("jane", "john", "ann"):
            sb.set_agent_status(name, status="offline")
        clock.at(0, 35, 30)
        reply = await answer("!now")
    lines = reply.splitlines()
    assert lines[1] == "*Queue* 1 waiting · longest 45m 30s (since Tue 17 Nov 23:50)"
    assert lines[2:4] == [
        "*Agents* 0 available · 4 offline or not taking chats — nobody can take the queue"
        " (chats each holds after the name)",
        "• offline or not taking chats: `ann`, `bob`, `jane`, `john` 1 (1 on hold)",
    ]
    assert lines[-1] == "as of 00:35:30"


async def test_a_long_wait_is_counted_from_when_the_chat_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two hours later nothing was taken: the wait grows, and the hourly comparison moves to 13:00."""
    async with serving(monkeypatch) as (_, clock, answer):
        clock.at(13, 20)
        reply = await answer("!now")
    lines = reply.splitlines()
    assert lines[1] == "*Queue* 2 waiting · longest 2h 00m (since 11:20:00) · `Sales` 1, `Support` 1"
    assert "• Conversations: 6 · to 13:00: 6, ▲ 50% vs Wed 11 Nov to 13:00 (4)" in lines


async def test_without_charts_data_there_is_no_comparison_and_the_reply_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with serving(monkeypatch, Sandbox_Version="7.10.0") as (sb, _, answer):
        sb.fault("livechat/analytics/dashboards/charts-data", status=404)
        sb.fault("livechat/livechat/analytics/dashboards/charts-data", status=404)
        reply = await answer("!now")
    assert (
        "• Conversations: 6 (no comparison: charts-data came in Rocket.Chat 7.11; this server is 7.10)"
        in reply.splitlines()
    )


async def test_without_the_agent_list_permission_agents_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    grants = {"transfer-livechat-guest": ["admin"], "edit-omnichannel-contact": ["admin"]}
    async with serving(monkeypatch, Sandbox_Permissions=grants) as (_, _, answer):
        reply = await answer("!now")
    assert reply.splitlines()[2] == (
        "*Agents* 2 available · 1 away · 1 offline or not taking chats (no names: my account lacks "
        "`transfer-livechat-guest` or `edit-omnichannel-contact` (livechat-manager holds the first by default))"
    )


async def test_names_from_the_server_are_echoed_never_raw(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serving(monkeypatch, morning=False) as (sb, clock, answer):
        sb.store.departments["dep-sales"]["name"] = "@all *Sales*"
        clock.at(9, 0)
        sb.enqueue(department="dep-sales")
        sb.enqueue(department="dep-support")
        sb.enqueue()
        sb.store.departments.pop("dep-support")  # deleted since: its chats keep the id
        reply = await answer("!now")
    assert reply.splitlines()[1] == (
        "*Queue* 3 waiting · longest 0s (since 09:00:00) · `@all *Sales*` 1, `a deleted department` 1, "
        "`no department` 1"
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "!now today",
            "`!now` shows the current moment and takes only `dept=NAME`, not `today`; for a period use "
            "`!overview RANGE`.",
        ),
        ("!now dept=Nowhere", "There is no department `Nowhere`. Departments: `Sales`, `Support`."),
        ("!now team=Sales", "Unknown option `team=`. Options here: `dept=`."),
    ],
)
async def test_bad_input_gets_a_specific_message(monkeypatch: pytest.MonkeyPatch, text: str, error: str) -> None:
    async with serving(monkeypatch, morning=False) as (_, _, answer):
        reply = await answer(text)
    assert reply == f"{error}\nUsage: `!now [dept=NAME]`\nExamples: `!now`, `!now dept=Sales`"


async def test_help_now_says_what_each_figure_measures(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serving(monkeypatch, morning=False) as (_, _, answer):
        reply = await answer("!help now")
        listing = await answer("!help")
    assert reply.startswith("*!now* — live operations: the queue, agents, chats in progress and today so far\n")
    assert 'Rocket.Chat\'s "Average of waiting time" (Avg_of_waiting_time) is *also* a first-response average' in reply
    assert "not visitors who left the queue" in reply
    assert "never a day in progress with a whole day" in reply
    assert "• `!now [dept=NAME]` — live operations" in listing


async def test_only_people_who_may_see_analytics_get_live_figures() -> None:
    """The dispatcher checks the asker's own roles (`needs_access`): an agent is refused, a manager answered."""
    clock = Clock()
    async with Sandbox(workspace(), clock=clock) as sb:
        settings = bot_settings(sb, timezone=ZONE)
        async with RestClient(settings, clock=clock) as rest:
            services = Services(AnalyticsService(rest, clock=clock, tz=ZONE), settings, clock, pictures=False)
            dispatcher = Dispatcher(router_with_now(settings), Access(rest, clock=clock), rest, services=services)
            ids = itertools.count()

            async def ask(user: str) -> str:
                message = IncomingMessage(
                    id=f"m-{next(ids)}", rid="r-managers", text="!now", sender_id=f"u-{user}", sender_username=user,
                    ts=clock(), updated_at=clock(),
                )  # fmt: skip
                return (await dispatcher.answer(Command(message, "now", "p"))).text

            assert await ask("jane") == REFUSAL
            assert (await ask("maria")).startswith("*Live now* · Wed 18 Nov 2026, Europe/Berlin\n")


HOSTILE = [
    "!now dept=",
    "!now dept=@all",
    '!now dept="Sales',
    "!now dept=" + "x" * 5000,
    "!now ```",
    "!now \x00 \u202e",
    "!now dept=Sales dept=Support",
    "!now @here #general",
    "!now dept=١",
]


async def test_hostile_text_gets_an_answer_never_an_apology(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serving(monkeypatch, morning=False) as (_, _, answer):
        replies = [await answer(text) for text in HOSTILE]
    assert not [reply for reply in replies if answering.APOLOGY in reply]
    assert all(reply.endswith("Examples: `!now`, `!now dept=Sales`") for reply in replies)
    assert not [reply for reply in replies if "@here" in reply.replace("`@here", "")]
    assert replies[0].startswith("`dept=` needs a value")
    assert replies[6].startswith("`dept=` is given twice")
    assert replies[7].startswith("`!now` shows the current moment and takes only `dept=NAME`, not `@here` `#general`")
