"""An analytics source for bursts: identical requests share one call, rate limits are waited out.

When fifty digests fall due in the same minute they ask Rocket.Chat mostly the same questions
(yesterday's overview, the department list). Sharing identical in-flight and recent requests keeps
the burst small; a bound on concurrent calls spreads the rest; a 429 is answered by waiting the time
the server gave, then asking again (rocketchat-analytics.md §4: x-ratelimit-reset, the 429 wait).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from bot.analytics.service import AnalyticsSource
from bot.errors import RateLimited

log = logging.getLogger(__name__)


class CoalescingSource:
    def __init__(
        self,
        source: AnalyticsSource,
        *,
        concurrency: int = 3,
        attempts: int = 5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.source = source
        self.attempts = attempts
        self.sleep = sleep
        self._slots = asyncio.Semaphore(concurrency)
        self._calls: dict[tuple[Any, ...], asyncio.Future[Any]] = {}
        self.upstream_calls = 0

    def forget(self) -> None:
        """Drop remembered answers (the scheduler calls this between bursts, so data stays fresh)."""
        self._calls = {key: f for key, f in self._calls.items() if not f.done()}

    async def _shared(self, key: tuple[Any, ...], call: Callable[[], Awaitable[Any]]) -> Any:
        future = self._calls.get(key)
        if future is None or (future.done() and future.exception() is not None):
            future = asyncio.ensure_future(self._call(call))
            self._calls[key] = future
        return await asyncio.shield(future)

    async def _call(self, call: Callable[[], Awaitable[Any]]) -> Any:
        for attempt in range(1, self.attempts + 1):
            async with self._slots:
                try:
                    self.upstream_calls += 1
                    return await call()
                except RateLimited as exc:
                    if attempt == self.attempts:
                        raise
                    wait = exc.retry_after
            log.info("rate-limited by Rocket.Chat; waiting %.1f s (attempt %d of %d)", wait, attempt, self.attempts)
            await self.sleep(wait)
        raise AssertionError("unreachable")

    async def overview(self, name: str, start: date, end: date, department_id: str | None = None) -> list[Any]:
        key = ("overview", name, start, end, department_id)
        result: list[Any] = await self._shared(key, lambda: self.source.overview(name, start, end, department_id))
        return result

    async def agent_overview(self, name: str, start: date, end: date, department_id: str | None = None) -> Any:
        key = ("agent_overview", name, start, end, department_id)
        return await self._shared(key, lambda: self.source.agent_overview(name, start, end, department_id))

    async def charts_data(self, chart_name: str, start: date, end: date, department_id: str | None = None) -> Any:
        key = ("charts_data", chart_name, start, end, department_id)
        return await self._shared(key, lambda: self.source.charts_data(chart_name, start, end, department_id))

    async def departments(self) -> list[Any]:
        result: list[Any] = await self._shared(("departments",), self.source.departments)
        return result
