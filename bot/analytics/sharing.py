"""The one place that asks Rocket.Chat's analytics questions, for commands, digests and live monitoring.

When a thousand commands or fifty digests arrive in the same second they ask mostly the same questions
(today's overview, yesterday's for the change, the department list). Here:

- identical questions in flight share one request (`cache.SharedCache`);
- answers are kept for a short age per kind of question (`Ages`): by default no longer than Rocket.Chat
  keeps them itself (its `mem` cache: 60 s for the analytics endpoints, 5 s for the real-time monitoring
  ones; rocketchat-analytics.md §2.1–2.2, §6 `AnalyticsTyped.ts`), and longer for a closed period — one
  that ended before today in the reporting time zone, whose figures no longer move with new conversations;
- a bound on concurrent requests spreads what is left, and a 429 is answered by waiting the time the server
  gave, then asking again (§4: x-ratelimit-reset, the 429 wait) — unless the wait is longer than `max_wait`,
  which a person in chat should not sit through: then RateLimited goes up at once and the reply says when
  to try again (a digest is retried by its scheduler);
- every answer carries the instant it was read (`Read.at`), so replies can say "as of 10:42".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.analytics.cache import Clock, Read, SharedCache, utc_now
from bot.config import Settings
from bot.errors import RateLimited

log = logging.getLogger(__name__)

T = TypeVar("T")
Json = dict[str, Any]


class AnalyticsSource(Protocol):
    async def overview(self, name: str, start: date, end: date, department_id: str | None = None) -> list[Json]: ...

    async def agent_overview(self, name: str, start: date, end: date, department_id: str | None = None) -> Json: ...

    async def charts_data(self, chart_name: str, start: date, end: date, department_id: str | None = None) -> Json: ...

    async def departments(self) -> list[Json]: ...


@dataclass(frozen=True)
class Ages:
    """How many seconds an answer is kept, per kind of question (0: shared while in flight only).

    The defaults are the config's (`[analytics]`), so a layer built without settings (tools, benchmarks) keeps
    answers exactly as long as a bot without a config file does."""

    analytics: float = Settings.analytics_cache_seconds  # overview, agent-overview, charts-data incl. today
    realtime: float = Settings.realtime_cache_seconds  # the real-time monitoring endpoints (live figures, alerts)
    closed: float = Settings.closed_cache_seconds  # any analytics question about a period that ended before today
    departments: float = Settings.departments_cache_seconds  # the department list

    @classmethod
    def from_settings(cls, settings: Settings) -> Ages:
        """The ages `[analytics]` sets (`bot.config` sits below this package, so it cannot build them itself)."""
        return cls(
            analytics=settings.analytics_cache_seconds,
            realtime=settings.realtime_cache_seconds,
            closed=settings.closed_cache_seconds,
            departments=settings.departments_cache_seconds,
        )


@dataclass(frozen=True)
class Question:
    """One analytics request: the endpoint, the metric or section name, the days and the department."""

    endpoint: str  # "overview" | "agent_overview" | "charts_data"
    name: str
    start: date
    end: date
    department_id: str | None = None

    async def ask(self, source: AnalyticsSource) -> Any:
        call = {"overview": source.overview, "agent_overview": source.agent_overview, "charts_data": source.charts_data}
        return await call[self.endpoint](self.name, self.start, self.end, self.department_id)


class CoalescingSource:
    """An AnalyticsSource that shares identical questions and keeps answers for `ages`; see the module text.

    `clock` and `tz` decide which periods are closed (`tz`: the reporting time zone, `[bot] timezone`);
    `share=False` sends every question about a period that includes today, each time, as the bot did before
    (benchmarks compare with it); closed periods and departments are still kept for their ages.
    """

    def __init__(
        self,
        source: AnalyticsSource,
        *,
        concurrency: int = 8,
        attempts: int = 5,
        max_wait: float = 20.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Clock = utc_now,
        tz: str = "UTC",
        ages: Ages | None = None,
        share: bool = True,
    ) -> None:
        self.source = source
        self.attempts = attempts
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.tz = ZoneInfo(tz)
        self.ages = ages if ages is not None else Ages()
        self._slots = asyncio.Semaphore(concurrency)
        self.share = share
        self._answers: SharedCache[Any] = SharedCache(clock=clock)
        self.upstream_calls = 0  # requests sent, retries after a 429 included

    def forget(self) -> None:
        """Drop every kept answer (calls in flight stay shared)."""
        self._answers.forget()

    def closed(self, end: date) -> bool:
        """Whether a period ending on `end` ended before today in the reporting time zone."""
        return end < self.clock().astimezone(self.tz).date()

    async def ask(self, question: Question) -> Read[Any]:
        """The answer to an analytics question, shared and kept by the age of its kind."""
        closed = self.closed(question.end)
        if not closed and not self.share:
            value = await self._call(lambda: question.ask(self.source))
            return Read(value, self.clock())
        age = self.ages.closed if closed else self.ages.analytics
        return await self.read(question, lambda: question.ask(self.source), age=age)

    async def read(self, key: Hashable, call: Callable[[], Awaitable[T]], *, age: float) -> Read[T]:
        """Any request through the shared layer (live monitoring passes `age=ages.realtime`)."""
        result: Read[T] = await self._answers.get(key, lambda: self._call(call), age=age)
        return result

    async def departments_read(self) -> Read[list[Json]]:
        return await self.read(("departments",), self.source.departments, age=self.ages.departments)

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        for attempt in range(1, self.attempts + 1):
            async with self._slots:
                try:
                    self.upstream_calls += 1
                    return await call()
                except RateLimited as exc:
                    if attempt == self.attempts or exc.retry_after > self.max_wait:
                        raise
                    wait = exc.retry_after
            log.info("rate-limited by Rocket.Chat; waiting %.1f s (attempt %d of %d)", wait, attempt, self.attempts)
            await self.sleep(wait)
        raise AssertionError("unreachable")

    # --- the AnalyticsSource protocol, for callers that need no read time -------------------------------

    async def overview(self, name: str, start: date, end: date, department_id: str | None = None) -> list[Json]:
        rows: list[Json] = (await self.ask(Question("overview", name, start, end, department_id))).value
        return rows

    async def agent_overview(self, name: str, start: date, end: date, department_id: str | None = None) -> Json:
        body: Json = (await self.ask(Question("agent_overview", name, start, end, department_id))).value
        return body

    async def charts_data(self, chart_name: str, start: date, end: date, department_id: str | None = None) -> Json:
        body: Json = (await self.ask(Question("charts_data", chart_name, start, end, department_id))).value
        return body

    async def departments(self) -> list[Json]:
        return (await self.departments_read()).value


def oldest(*reads: Read[Any]) -> datetime:
    """The read time of the oldest of these answers: what a reply built from all of them is "as of"."""
    return min(r.at for r in reads)
