"""The names a question may use, from Rocket.Chat at run time: departments and agents, kept a few minutes.

Departments come through the analytics service (whose shared layer already keeps the list for its own age);
agents from `livechat/users/agent`. Agents only help a reading ("how did jane do?"), so if the service
account may not list them, questions are read without them rather than failing; a failure to read the
departments propagates, as any Rocket.Chat failure does (the dispatcher retries it or explains it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.analytics.service import AnalyticsService
from bot.errors import TransportError
from bot.understanding.names import Agent

log = logging.getLogger(__name__)
AGENTS_ROUTE = "livechat/users/agent"
KEEP = timedelta(minutes=5)


class Directory:
    """`await directory()` → (department names, agents); the reader's `names` callable."""

    def __init__(
        self,
        departments: Callable[[], Awaitable[Sequence[str]]],
        agents: Callable[[], Awaitable[Sequence[Agent]]] | None = None,
        *,
        clock: Callable[[], datetime],
        keep: timedelta = KEEP,
    ) -> None:
        self._departments = departments
        self._agents = agents
        self._clock = clock
        self._keep = keep
        self._agents_read: tuple[datetime, tuple[Agent, ...]] | None = None

    @classmethod
    def of(cls, analytics: AnalyticsService, rest: Any, *, clock: Callable[[], datetime]) -> Directory:
        """The running bot's: departments from the analytics service, agents over `rest.all_pages`."""

        async def departments() -> list[str]:
            return [d.name for d in await analytics.departments()]

        async def agents() -> list[Agent]:
            users = await rest.all_pages(AGENTS_ROUTE, "users")
            return [
                Agent(u["username"], u.get("name") if isinstance(u.get("name"), str) else None)
                for u in users
                if isinstance(u.get("username"), str)
            ]

        return cls(departments, agents, clock=clock)

    async def __call__(self) -> tuple[tuple[str, ...], tuple[Agent, ...]]:
        return tuple(await self._departments()), await self._agent_list()

    async def _agent_list(self) -> tuple[Agent, ...]:
        if self._agents is None:
            return ()
        now = self._clock()
        if self._agents_read is not None and now - self._agents_read[0] < self._keep:
            return self._agents_read[1]
        try:
            found = tuple(await self._agents())
        except TransportError as exc:
            log.info("questions are read without agent names: %s", exc)
            found = self._agents_read[1] if self._agents_read else ()
        self._agents_read = (now, found)
        return found
