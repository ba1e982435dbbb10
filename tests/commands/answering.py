"""Commands answered in-process: the real router, handlers, access check, digests and dispatcher against a
sandbox, without the realtime link, so a test can ask hundreds of things quickly and read each reply.

`Dispatcher.answer` is where the running bot turns every outcome into the reply it posts (the apology for a
bug included), so what it returns is exactly what the asker would read.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from bot.analytics.service import AnalyticsService
from bot.commands.analytics import Services
from bot.digests.service import Digests
from bot.rocketchat.models import IncomingMessage
from bot.rocketchat.rest import RestClient
from bot.runtime.access import Access
from bot.runtime.app import build_router
from bot.runtime.dispatch import Dispatcher
from bot.runtime.pipeline import Command
from bot.sandbox import Sandbox
from bot.state.store import State
from tests.harness import bot_settings

Answer = Callable[[str], Awaitable[str]]
APOLOGY = "Sorry, something went wrong on my side"
MANAGERS = "r-managers"


@asynccontextmanager
async def answering(
    sb: Sandbox, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC), **overrides: Any
) -> AsyncIterator[Answer]:
    """`answer("!digest list")` -> the reply maria (a livechat manager) reads in #omnichannel-managers."""
    settings = bot_settings(sb, **overrides)
    ids = itertools.count(1)
    async with RestClient(settings, clock=clock) as rest:
        state = State(settings.state_file)
        try:
            digests = Digests(settings, state, rest, clock=clock)
            analytics = AnalyticsService(rest, clock=clock, tz=settings.timezone)
            services = Services(analytics, settings, clock, pictures=False, digests=digests)
            access = Access(rest, allowed_users=frozenset({"maria"}), clock=clock)
            dispatcher = Dispatcher(build_router(settings), access, rest, services=services, clock=clock)

            async def answer(text: str) -> str:
                now = clock()
                message = IncomingMessage(
                    id=f"m-{next(ids)}", rid=MANAGERS, text=text, sender_id="u-maria", sender_username="maria",
                    ts=now, updated_at=now,
                )  # fmt: skip
                reply = await dispatcher.answer(Command(message, text.removeprefix(settings.prefix), "c"))
                return reply.text

            yield answer
        finally:
            state.close()
