"""Digests wired to the bot: the state file, `[[digest]]` entries, the scheduler task, previews.

Config-managed subscriptions are synced into the state file at start (by name, keeping their
history); chat-made ones live only there. Digests ask through the analytics service they are given —
the bot's one shared layer, so a digest and a command asking the same question share one request — or,
alone (tests, tools), through their own; either way a burst of digests shares requests and waits out
rate limits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.analytics.service import AnalyticsService
from bot.analytics.sharing import Ages, CoalescingSource
from bot.config import DigestEntry, Settings
from bot.dates.grammar import DateRangeError, parse_range
from bot.digests.content import Digest, build_digest
from bot.digests.next_run import WEEKDAYS, occurrence, parse_time, parse_weekdays
from bot.digests.scheduler import Scheduler
from bot.errors import BadArgument, BadRequest, ConfigError, NotFound
from bot.rocketchat.rest import RestClient
from bot.state.store import SECTIONS, State, Subscription

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def check_sections(sections: tuple[str, ...], where: str) -> tuple[str, ...]:
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ConfigError(f"{where}: unknown section {unknown[0]!r}; sections are {', '.join(SECTIONS)}")
    return sections


def subscription_from_entry(entry: DigestEntry, settings: Settings, *, room_id: str, now: datetime) -> Subscription:
    """A `[[digest]]` entry as a schedule; every problem names the entry and the key."""
    where = f"[[digest]] {entry.name!r}"
    try:
        at = parse_time(entry.time)
    except ValueError as exc:
        raise ConfigError(f"{where}: time: {exc}") from None
    try:
        weekdays = parse_weekdays(entry.weekdays)
    except ValueError as exc:
        raise ConfigError(f"{where}: weekdays: {exc}") from None
    tz = entry.timezone or settings.timezone
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: timezone {tz!r} is not an IANA time zone like 'Europe/Berlin'") from None
    try:
        parse_range(entry.range, now=now, tz=tz, max_days=settings.max_days)
    except DateRangeError as exc:
        raise ConfigError(f"{where}: range {entry.range!r}: {exc}") from None
    return Subscription(
        id=0,
        name=entry.name,
        source="config",
        room_id=room_id,
        room_name=entry.room.lstrip("#"),
        at=at,
        tz=tz,
        weekdays=weekdays,
        range=entry.range,
        sections=check_sections(entry.sections, where),
        departments=entry.departments,
        skip_when_empty=entry.skip_when_empty,
        created_at=now,
        checked_until=now,
    )


class Digests:
    def __init__(
        self,
        settings: Settings,
        state: State,
        rest: RestClient,
        *,
        clock: Clock,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        analytics: AnalyticsService | None = None,
    ) -> None:
        self.settings = settings
        self.state = state
        self.rest = rest
        self.clock = clock
        if analytics is None:
            source = CoalescingSource(
                rest, sleep=sleep, clock=clock, tz=settings.timezone, ages=Ages.from_settings(settings)
            )
            analytics = AnalyticsService(source, clock=clock, tz=settings.timezone)
        self.service = analytics
        self.source: CoalescingSource = analytics.source
        self.scheduler = Scheduler(
            state,
            self.service,
            rest,
            clock=clock,
            sleep=sleep,
            grace=timedelta(seconds=settings.digest_grace),
            max_days=settings.max_days,
        )

    async def sync_config(self) -> None:
        """Resolve each `[[digest]]` room and store the entries; a room that does not exist is a config error."""
        now = self.clock()
        wanted = []
        for entry in self.settings.digests:
            room_id = await self._room_id(entry)
            wanted.append(subscription_from_entry(entry, self.settings, room_id=room_id, now=now))
        await asyncio.to_thread(self.state.sync_config, wanted, now=now)

    async def _room_id(self, entry: DigestEntry) -> str:
        name = entry.room.lstrip("#")
        room = None
        for lookup in (self.rest.room_info_by_name, self.rest.room_info):
            try:
                room = await lookup(name)
                break
            except (BadRequest, NotFound):
                continue
        rid = room.get("_id") if room else None
        if not isinstance(rid, str):
            raise ConfigError(
                f"[[digest]] {entry.name!r}: room {entry.room!r} is not a room the bot can see; use the room's "
                'name (e.g. "omnichannel-managers") or id, and invite the bot there'
            )
        return rid

    async def preview(self, sub: Subscription, run_day: date) -> Digest:
        return await preview_digest(self.service, sub, run_day, now=self.clock(), max_days=self.settings.max_days)

    async def now(self, sub: Subscription) -> Digest:
        return await build_digest(self.service, sub, as_of=self.clock(), max_days=self.settings.max_days)


async def preview_digest(
    service: AnalyticsService, sub: Subscription, run_day: date, *, now: datetime, max_days: int
) -> Digest:
    """The digest as it would be (or was) posted on `run_day` at its scheduled time."""
    as_of = occurrence(run_day, at=sub.at, tz=ZoneInfo(sub.tz))
    if as_of > now:
        raise BadArgument(f"The {run_day.isoformat()} digest is not due yet; preview today's or an earlier day.")
    return await build_digest(service, sub, as_of=as_of, max_days=max_days)


def chat_subscription(
    settings: Settings,
    *,
    room_id: str,
    room_name: str | None,
    at_text: str,
    weekdays_text: str | None,
    tz: str | None,
    departments: tuple[str, ...],
    range_text: str | None,
    created_by: str,
    now: datetime,
) -> Subscription:
    """A subscription typed in chat; errors are BadArgument with what would be right."""
    try:
        at = parse_time(at_text)
    except ValueError as exc:
        raise BadArgument(f"{exc}") from None
    try:
        weekdays = parse_weekdays(weekdays_text) if weekdays_text else WEEKDAYS - {5, 6}
    except ValueError as exc:
        raise BadArgument(f"{exc}") from None
    zone = tz or settings.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadArgument(f"“{zone}” is not a time zone; use an IANA name like `tz=Europe/Berlin`.") from None
    range_phrase = range_text or "yesterday"
    parse_range(range_phrase, now=now, tz=zone, max_days=settings.max_days)  # DateRangeError is a user error
    return Subscription(
        id=0,
        name=None,
        source="chat",
        room_id=room_id,
        room_name=room_name,
        at=at,
        tz=zone,
        weekdays=weekdays,
        range=range_phrase,
        departments=departments,
        created_by=created_by,
        created_at=now,
        checked_until=now,
    )
