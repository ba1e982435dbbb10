"""`!alert` end to end: the real router with `alert` registered, the access check and dispatcher against the live
morning's sandbox (tests/analytics/live_morning.py): what a manager reads, and what an agent is refused."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.analytics.service import AnalyticsService
from bot.commands import alert as alert_command
from bot.commands.analytics import Services
from bot.commands.router import Router
from bot.config import Settings
from bot.digests.service import Digests
from bot.rocketchat.models import IncomingMessage
from bot.rocketchat.rest import RestClient
from bot.runtime import app
from bot.runtime.access import Access
from bot.runtime.dispatch import REFUSAL, Dispatcher
from bot.runtime.pipeline import Command
from bot.sandbox import Sandbox
from bot.state.store import State
from tests.analytics.live_morning import ZONE, Clock, the_morning, workspace
from tests.harness import bot_settings

pytestmark = pytest.mark.anyio
Ask = Callable[..., Awaitable[str]]


def router_with_alert(settings: Settings) -> Router:
    router = app.build_router(settings)
    if "alert" not in router.specs:
        alert_command.register_alert(router)
    return router


@asynccontextmanager
async def asking(tmp_path: Path) -> AsyncIterator[tuple[Ask, State]]:
    clock = Clock()
    async with Sandbox(workspace(), clock=clock) as sb:
        the_morning(sb, clock)
        settings = bot_settings(sb, timezone=ZONE, state_file=str(tmp_path / "state.sqlite3"))
        async with RestClient(settings, clock=clock) as rest:
            state = State(settings.state_file)
            digests = Digests(settings, state, rest, clock=clock)
            services = Services(AnalyticsService(rest, clock=clock, tz=ZONE), settings, clock, False, digests)
            dispatcher = Dispatcher(router_with_alert(settings), Access(rest, clock=clock), rest, services=services)
            ids = itertools.count()

            async def ask(text: str, user: str = "maria") -> str:
                message = IncomingMessage(
                    id=f"m-{next(ids)}", rid="r-managers", text=text, sender_id=f"u-{user}", sender_username=user,
                    ts=clock(), updated_at=clock(),
                )  # fmt: skip
                return (await dispatcher.answer(Command(message, text.removeprefix("!"), "p"))).text

            try:
                yield ask, state
            finally:
                state.close()


async def test_a_manager_adds_lists_tests_mutes_and_removes_an_alert(tmp_path: Path) -> None:
    async with asking(tmp_path) as (ask, state):
        reply = await ask("!alert add queue > 1 for 2m dept=sales notify=@maria")
        assert reply == (
            "Alert `1` added: queue > 1 for 2m 00s in `Sales`, mentioning `maria`. One message opens an incident and "
            "is edited while it lasts; it resolves at 0 (`recover=` changes that). `!alert test 1` shows it now."
        )
        assert (await ask("!alert add wait > 3m")).startswith("Alert `2` added: wait > 3m 00s.")
        listing = await ask("!alert list")
        assert listing.startswith("*Alerts in this room*\n")
        assert "queue > 1 for 2m 00s" in listing and "watching" in listing
        test = await ask("!alert test 1")
        assert test.splitlines()[:3] == [
            "_Test of alert 1, breached now; when it fires the message reads (nobody is mentioned here):_",
            ":rotating_light: *Alert 1* · queue > 1 for 2m 00s · department `Sales`",
            "*Queue* 1 (threshold 1) · since 11:37, under a minute so far",
        ] or test.splitlines()[0].startswith("_Test of alert 1, not breached now")
        assert "@" not in test
        assert (await ask("!alert mute 2 1h")) == (
            "Alert `2` muted until Wed 12:37: no new incident and no reminder until then."
        )
        assert (await ask("!alert pause 2")).startswith("Alert `2` paused")
        assert [a.paused for a in state.alerts()] == [False, True]
        assert (await ask("!alert remove 1")) == "Alert `1` removed."
        assert [a.id for a in state.alerts()] == [2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!alert add queues > 5", "`queues` is not a figure I watch; alerts can watch `queue`, `wait`"),
        ("!alert add wait > 3x", "`3x` is not a duration for a time threshold; write it like `90s`, `3m`"),
        ("!alert add queue 5", "I cannot read `queue 5` as an alert. Write the figure, `>` and a threshold"),
        ("!alert add queue > 5 for soon", "`soon` is not a duration for how long it must hold"),
        ("!alert add abandoned today > 120%", "A share over `120%` can never happen"),
        ("!alert add queue > 5 recover=7", "`recover=` must be below the threshold (5) so the alert can clear"),
        ("!alert add queue > 5 notify=@here", "`@here` would page everyone in the room; only the config file"),
        ("!alert add queue > 5 notify=@jane", "`jane` may not see analytics (no role with `view-livechat-manager`)"),
        ("!alert add queue > 5 notify=@nobody", "There is no user `nobody` here"),
        ("!alert add queue > 5 dept=Marketing", "Marketing"),
        ("!alert add queue > 5 colour=red", "Unknown option `colour=`; alerts take `dept=`, `notify=`"),
        ("!alert pause 9", "There is no alert `9` in this room; `!alert list` shows them."),
        ("!alert pause x", "`x` is not an alert number. `!alert list` shows this room's"),
        ("!alert mute", "Which alert?"),
        ("!alert explode", "`explode` is not an alert action; use one of add, list"),
    ],
)
async def test_bad_input_is_answered_with_what_was_wrong_and_what_works(
    tmp_path: Path, text: str, expected: str
) -> None:
    async with asking(tmp_path) as (ask, state):
        reply = await ask(text)
        assert expected in reply
        assert state.alerts() == []


async def test_an_agent_without_the_analytics_permission_cannot_add_alerts(tmp_path: Path) -> None:
    async with asking(tmp_path) as (ask, state):
        assert await ask("!alert add queue > 5", user="jane") == REFUSAL
        assert state.alerts() == []
