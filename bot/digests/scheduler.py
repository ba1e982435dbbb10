"""Posting digests exactly once per (subscription, local date), through restarts and clock changes.

A thin loop over pure pieces: `next_run` says when a subscription is due; the state file says what
was decided. Each pass re-reads the wall clock (so suspend, clock jumps and DST cannot double-fire
or skip), looks at every occurrence since the last decision, and for each one:

- within the grace window: record `posting`, build, post with a message id derived from
  (subscription, date), record `posted` — late posts are marked as late;
- past the grace window: record `missed`, and the next digest says so;
- a `posting` left by a crash is reconciled: resent with the same id (Rocket.Chat drops a duplicate
  id), or, past the window, checked on the server.

Between passes it sleeps in bounded steps on an injected clock (conventions.md §3).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.analytics.service import AnalyticsService
from bot.digests.content import build_digest
from bot.digests.next_run import next_run
from bot.errors import BotError, TransportError
from bot.rocketchat.ids import reply_id
from bot.rocketchat.models import MessageSender
from bot.state.store import State, Subscription

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
MAX_OCCURRENCES = 100  # per subscription and pass, after a very long downtime


class Poster(MessageSender, Protocol):
    async def message_exists(self, message_id: str) -> bool: ...


@dataclass(frozen=True)
class Outcome:
    subscription_id: int
    local_date: date
    status: str  # posted | late | missed | skipped | failed | reconciled


def digest_message_id(sub_id: int, local_date: date) -> str:
    return reply_id(f"digest/{sub_id}/{local_date.isoformat()}")


class Scheduler:
    def __init__(
        self,
        state: State,
        service: AnalyticsService,
        poster: Poster,
        *,
        clock: Clock,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        grace: timedelta = timedelta(hours=2),
        late_after: timedelta = timedelta(minutes=1),
        step: float = 60.0,
        concurrency: int = 3,
        max_days: int = 366,
        on_pass: Callable[[list[Outcome]], None] | None = None,
    ) -> None:
        self.state = state
        self.service = service
        self.poster = poster
        self.clock = clock
        self.sleep = sleep
        self.grace = grace
        self.late_after = late_after
        self.step = step
        self.max_days = max_days
        self.on_pass = on_pass
        self._slots = asyncio.Semaphore(concurrency)
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                outcomes = await self.tick()
                if self.on_pass is not None:
                    self.on_pass(outcomes)
            except BotError as exc:
                log.error("digest pass failed: %s", exc)
            wait = await self._seconds_to_next()
            sleeper = asyncio.ensure_future(self.sleep(wait))
            stopper = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for task in (sleeper, stopper):
                task.cancel()

    async def _seconds_to_next(self) -> float:
        now = self.clock()
        subs = await asyncio.to_thread(self.state.subscriptions)
        upcoming = [next_run(now, at=s.at, tz=ZoneInfo(s.tz), weekdays=s.weekdays) for s in subs if not s.paused]
        if not upcoming:
            return self.step
        return max(0.0, min(self.step, (min(upcoming) - now).total_seconds()))

    async def tick(self) -> list[Outcome]:
        """One pass: decide every occurrence that has come due since the last decision."""
        now = self.clock()
        subs = await asyncio.to_thread(self.state.subscriptions)
        jobs = []
        for sub in subs:
            if sub.paused:
                continue
            for occurrence in self._due(sub, now):
                jobs.append(self._decide(sub, occurrence, now))
        outcomes = list(await asyncio.gather(*jobs))
        for sub in subs:
            if not sub.paused:
                await self._advance(sub, now)
        return outcomes

    def _due(self, sub: Subscription, now: datetime) -> list[datetime]:
        tz = ZoneInfo(sub.tz)
        found: list[datetime] = []
        cursor = max(sub.created_at, sub.checked_until)
        while len(found) < MAX_OCCURRENCES:
            occurrence = next_run(cursor, at=sub.at, tz=tz, weekdays=sub.weekdays)
            if occurrence > now:
                break
            found.append(occurrence)
            cursor = occurrence
        return found

    async def _advance(self, sub: Subscription, now: datetime) -> None:
        """Move `checked_until` past every occurrence that is decided (none stays undecided before it)."""
        tz = ZoneInfo(sub.tz)
        until = max(sub.created_at, sub.checked_until)
        for occurrence in self._due(sub, now):
            run = await asyncio.to_thread(self.state.run, sub.id, occurrence.astimezone(tz).date())
            if run is None or run.status == "posting":
                break
            until = occurrence
        if until > sub.checked_until:
            await asyncio.to_thread(self.state.set_checked, sub.id, until)

    async def _decide(self, sub: Subscription, occurrence: datetime, now: datetime) -> Outcome:
        local_date = occurrence.astimezone(ZoneInfo(sub.tz)).date()
        message_id = digest_message_id(sub.id, local_date)
        existing = await asyncio.to_thread(self.state.run, sub.id, local_date)
        if existing is not None and existing.status != "posting":
            return Outcome(sub.id, local_date, existing.status)
        if now >= occurrence + self.grace:
            if existing is not None:  # a crash between recording and acknowledging, found too late to resend
                return await self._reconcile_late(sub, local_date, message_id, now)
            await asyncio.to_thread(self.state.record_missed, sub.id, local_date, occurrence, now=now)
            log.warning(
                "digest %d for %s missed: the bot was unavailable past the %s grace window",
                sub.id,
                local_date,
                self.grace,
            )
            return Outcome(sub.id, local_date, "missed")
        late = now - occurrence > self.late_after
        if existing is None:
            began = await asyncio.to_thread(
                self.state.begin_run, sub.id, local_date, occurrence, message_id, late=late, now=now
            )
            if not began:
                return Outcome(sub.id, local_date, "duplicate")
        return await self._post(sub, occurrence, local_date, message_id, late=late, now=now)

    async def _post(
        self, sub: Subscription, occurrence: datetime, local_date: date, message_id: str, *, late: bool, now: datetime
    ) -> Outcome:
        tz = ZoneInfo(sub.tz)
        note = None
        if late:
            note = (
                f"Late: scheduled for {occurrence.astimezone(tz):%H:%M}, posted at {now.astimezone(tz):%H:%M} "
                "— the bot was unavailable at the scheduled time."
            )
        missed = tuple(r.local_date for r in await asyncio.to_thread(self.state.unnoted_missed, sub.id))
        async with self._slots:
            try:
                digest = await build_digest(
                    self.service, sub, as_of=occurrence, max_days=self.max_days, late=note, missed=missed
                )
                if sub.skip_when_empty and digest.conversations == 0:
                    await asyncio.to_thread(self.state.finish_run, sub.id, local_date, "skipped", now=self.clock())
                    return Outcome(sub.id, local_date, "skipped")
                await self.poster.send_message(sub.room_id, digest.text, msg_id=message_id)
            except (TransportError, BotError) as exc:
                # Stays `posting`: the next pass tries again with the same id, until the grace window ends.
                log.warning("digest %d for %s not posted yet: %s", sub.id, local_date, exc)
                return Outcome(sub.id, local_date, "failed")
        await asyncio.to_thread(self.state.finish_run, sub.id, local_date, "posted", now=self.clock())
        if missed:
            await asyncio.to_thread(self.state.mark_noted, sub.id, list(missed))
        log.info("digest %d for %s posted%s", sub.id, local_date, " (late)" if late else "")
        return Outcome(sub.id, local_date, "late" if late else "posted")

    async def _reconcile_late(self, sub: Subscription, local_date: date, message_id: str, now: datetime) -> Outcome:
        try:
            exists = await self.poster.message_exists(message_id)
        except TransportError as exc:
            log.warning("cannot check digest %d for %s yet: %s", sub.id, local_date, exc)
            return Outcome(sub.id, local_date, "failed")
        await asyncio.to_thread(self.state.finish_run, sub.id, local_date, "posted" if exists else "missed", now=now)
        return Outcome(sub.id, local_date, "reconciled" if exists else "missed")
