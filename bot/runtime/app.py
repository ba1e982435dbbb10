"""Wiring: settings → REST and realtime clients → pipeline → access → dispatcher → replies.

`BotApp.run()` logs in over REST, opens the state file, answers what the journal says is still pending,
learns its rooms, then keeps one realtime session alive. After every (re)connect it catches up each room
over REST (`chat.syncMessages`), through the same pipeline, so a command posted while the link was down is
answered once and a command older than the catch-up age is skipped and logged (rocketchat-realtime-rest.md
§1.14, §3.8).

A room's watermark (where its next catch-up starts) only moves over messages that a completed catch-up
has covered: by the catch-up itself, or by live messages of a room already caught up on the same link
(minus an overlap; message ids de-duplicate). A live message that arrives before its room's catch-up
therefore cannot push the watermark past commands posted while the bot was away (issue 9, cause 1).
Rooms are caught up concurrently under a bound, each retried until it succeeds or the link drops; the
next link resumes what an interrupted catch-up left.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bot.alerts.runner import AlertRunner
from bot.alerts.setup import start_alerts
from bot.analytics.service import AnalyticsService
from bot.analytics.sharing import Ages
from bot.commands.alert import register_alert
from bot.commands.analytics import Services, register_analytics
from bot.commands.digest import register_digest
from bot.commands.export import ExportTools, register_export
from bot.commands.help import register_help
from bot.commands.now import register_now
from bot.commands.router import Router
from bot.config import Settings
from bot.dates.grammar import DateRangeError, parse_range
from bot.digests.service import Digests
from bot.errors import AuthFailed, ConfigError, InvalidResponse, RateLimited, TransportError
from bot.replies.pictures import warm_up
from bot.rocketchat.ids import reply_id
from bot.rocketchat.models import IncomingMessage
from bot.rocketchat.realtime import RealtimeClient, websocket_url
from bot.rocketchat.rest import Identity, RestClient
from bot.runtime.access import Access
from bot.runtime.dispatch import REFUSAL, Dispatcher
from bot.runtime.pipeline import Command, Drop, Pipeline
from bot.state.journal import PENDING, CommandRecord
from bot.state.store import State
from bot.understanding.directory import Directory
from bot.understanding.reader import Addressed, Reader

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]

CATCH_UP_OVERLAP = timedelta(seconds=60)  # live messages move a watermark to their _updatedAt minus this
CATCH_UP_CONCURRENCY = 8
CATCH_UP_PAUSES = (0.5, 1.0, 2.0, 5.0)  # between tries of one room's catch-up while the link stays up
JOURNAL_KEEP = timedelta(days=3)  # finished commands are remembered this long


@dataclass
class Room:
    rid: str
    kind: str  # c, p, d, l
    name: str | None
    watermark: datetime  # every message updated before this has been through the pipeline
    synced_link: int | None = None  # the realtime link on which this room's catch-up completed


def build_router(settings: Settings) -> Router:
    router = Router(prefix=settings.prefix)
    register_analytics(router)
    register_digest(router)
    register_alert(router)
    register_export(router)
    register_now(router)  # before help, so `!help` lists it
    register_help(router)
    return router


def check_default_ranges(settings: Settings, now: datetime) -> None:
    """A configured default range that does not parse would fail every bare command: refuse it at start."""
    for command, text in settings.default_ranges:
        try:
            parse_range(
                text,
                now=now,
                tz=settings.timezone,
                week_start=settings.week_start,
                date_order=settings.date_order,
                max_days=settings.max_days,
            )
        except DateRangeError as exc:
            raise ConfigError(f"[dates] {command} = {text!r} is not a range I understand: {exc}") from None


class BotApp:
    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = lambda: datetime.now(UTC),
        backoff: Callable[[], Iterator[float]] | None = None,
        router: Router | None = None,
        services: Any = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        check_default_ranges(settings, clock())
        self.rest = RestClient(settings, transport=transport, clock=clock, sleep=sleep)
        if services is None:
            # Shared by all; [analytics] sets how long each kind of answer is reused.
            analytics = AnalyticsService(
                self.rest, clock=clock, tz=settings.timezone, sleep=sleep, ages=Ages.from_settings(settings)
            )
            services = Services(analytics, settings, clock, pictures=settings.charts_enabled)
        self.router = router or build_router(settings)
        if isinstance(services, Services) and services.exports is None:
            # Listing conversations needs the asker's own view-livechat-rooms, whatever [access] adds.
            rooms_access = Access(
                self.rest, permission="view-livechat-rooms", ttl=settings.role_cache_seconds, clock=clock
            )
            services.exports = ExportTools(
                self.rest,
                rooms_access,
                settings.url,
                visitor_details=settings.export_visitor_details,
                fallback_limit=settings.export_max_file_bytes,
                sleep=sleep,
            )
        self.access = Access(
            self.rest,
            permission=settings.permission,
            allowed_users=settings.allowed_users,
            allowed_roles=settings.allowed_roles,
            ttl=settings.role_cache_seconds,
            clock=clock,
        )
        self.reader = Reader(
            self.router,
            settings,
            Directory.of(services.analytics, self.rest, clock=clock),
            clock=clock,
            may_view=self.access.may_view,
            refusal=REFUSAL,
        )
        self.dispatcher = Dispatcher(
            self.router,
            self.access,
            self.rest,
            services=services,
            concurrency=settings.concurrency,
            clock=clock,
            sleep=sleep,
            journal=self,
            deadline=timedelta(seconds=settings.answer_deadline),
            tz=ZoneInfo(settings.timezone),
            reader=self.reader,
        )
        self.state: State | None = None
        self.rooms: dict[str, Room] = {}
        self.identity: Identity | None = None
        self.pipeline: Pipeline | None = None
        self.started_at = clock()
        self._backoff = backoff
        self.realtime: RealtimeClient | None = None
        self._catching_up: asyncio.Lock = asyncio.Lock()
        self._stopping = False
        self._sleep = sleep
        self.services = services
        self._warming: asyncio.Task[None] | None = None
        self.digests: Digests | None = None
        self.alerts: AlertRunner | None = None
        self.sessions = 0  # realtime sessions established and caught up
        self._session_change = asyncio.Condition()

    # --- life cycle ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until `stop()`; AuthFailed (bad or revoked credentials) propagates: it is fatal."""
        try:
            self.identity = await self.rest.login()
            self.pipeline = Pipeline(
                bot_user_id=self.identity.user_id,
                bot_username=self.identity.username,
                prefix=self.settings.prefix,
                respond_to_bots=self.settings.respond_to_bots,
                max_age=timedelta(seconds=self.settings.catch_up_max_age),
                allowed_rooms=self.settings.rooms,
                awaiting=self.reader.answers_choice,
            )
            log.info("logged in as %s (%s)", self.identity.username, self.identity.user_id)
            scheduler = await self._start_digests()
            alerts = await self._start_alerts()
            self._resume_pending()
            options: dict[str, Any] = {}
            if self._backoff is not None:
                options["backoff"] = self._backoff
            self.realtime = RealtimeClient(
                websocket_url(self.settings.url),
                credentials=self._credentials,
                on_message=self.on_message,
                on_ready=self.on_ready,
                on_notify=self.on_notify,
                ping_interval=self.settings.ping_interval,
                silence_timeout=self.settings.silence_timeout,
                **options,
            )
            try:
                if not self._stopping:
                    await self.realtime.run()
            finally:
                self.stop()
                await scheduler
                await alerts
        finally:
            await self.dispatcher.drain()
            if self._warming is not None and not self._warming.done():
                self._warming.cancel()  # the chart thread finishes on its own; nobody waits for it
                await asyncio.gather(self._warming, return_exceptions=True)
            await self.rest.aclose()
            if self.state is not None:
                self.state.close()

    async def _start_digests(self) -> asyncio.Task[None]:
        """Open the state file (a corrupt one raises StateError: fatal), sync [[digest]] entries, start posting."""
        state = await asyncio.to_thread(State, self.settings.state_file)
        self.state = state
        await asyncio.to_thread(state.prune_commands, before=self.clock() - JOURNAL_KEEP)
        shared = self.services.analytics if isinstance(self.services, Services) else None
        self.digests = Digests(self.settings, state, self.rest, clock=self.clock, sleep=self._sleep, analytics=shared)
        if isinstance(self.services, Services):
            self.services.digests = self.digests
        await self.digests.sync_config()
        return asyncio.get_running_loop().create_task(self.digests.scheduler.run(), name="digest scheduler")

    async def _start_alerts(self) -> asyncio.Task[None]:
        """Sync [[alert]] entries (a bad one raises ConfigError: fatal, like [[digest]]) and start watching over
        the shared analytics layer, so alerts and !now share one read per figure."""
        assert self.state is not None and self.digests is not None
        self.alerts = await start_alerts(
            self.settings, self.state, self.rest, self.digests.service, clock=self.clock, sleep=self._sleep
        )
        return asyncio.get_running_loop().create_task(self.alerts.run(), name="alert runner")

    def stop(self) -> None:
        """Stop listening; in-flight replies finish (bounded) before `run()` returns."""
        self._stopping = True
        if self.digests is not None:
            self.digests.scheduler.stop()
        if self.alerts is not None:
            self.alerts.stop()
        if self.realtime is not None:
            self.realtime.stop()

    async def _credentials(self) -> tuple[str, str]:
        token = self.rest.auth_token
        if self.rest.user_id is None or token is None:
            raise AuthFailed("not logged in over REST")
        return self.rest.user_id, token.reveal()

    # --- rooms ---------------------------------------------------------------------------------

    async def refresh_rooms(self) -> None:
        """The bot's rooms from `subscriptions.get`, the authoritative list of what it is in."""
        subscriptions = await self.rest.subscriptions()
        seen: set[str] = set()
        for sub in subscriptions:
            self._add_room(sub)
            seen.add(str(sub.get("rid")))
        for rid in list(self.rooms):
            if rid not in seen:
                del self.rooms[rid]

    def _add_room(self, sub: dict[str, Any]) -> None:
        rid, kind = sub.get("rid"), sub.get("t")
        if not isinstance(rid, str) or not isinstance(kind, str):
            return
        if rid not in self.rooms:
            # Read back twice the catch-up age on first sight of a room: commands within the age are
            # answered, older ones in that window are logged as skipped, so an operator sees what a
            # downtime cost.
            since = self.started_at - timedelta(seconds=2 * self.settings.catch_up_max_age)
            self.rooms[rid] = Room(rid, kind, sub.get("name"), since)

    # --- incoming ------------------------------------------------------------------------------

    def on_message(self, message: IncomingMessage) -> None:
        room = self.rooms.get(message.rid)
        kind = message.room_type or (room.kind if room else None)
        member = message.room_participant if message.room_participant is not None else room is not None
        if room is not None and self.realtime is not None and room.synced_link == self.realtime.link_number:
            # This room was caught up on this very link, so everything before this live message has been
            # seen (give or take messages stored out of order: the overlap, de-duplicated by id).
            room.watermark = max(room.watermark, message.updated_at - CATCH_UP_OVERLAP)
        self._consider(message, kind=kind, member=bool(member), room_name=room.name if room else None)

    def _consider(self, message: IncomingMessage, *, kind: str | None, member: bool, room_name: str | None) -> None:
        assert self.pipeline is not None
        outcome = self.pipeline.classify(message, now=self.clock(), room_type=kind, member=member, room_name=room_name)
        if isinstance(outcome, Command):
            self.pipeline.mark_handled(message.id)
            if self.dispatcher.is_active(message.id) or not self._journal_new(outcome):
                return
            log.info("command from %s in %s: %r", message.sender_username, message.rid, outcome.text[:100])
            self.dispatcher.submit(outcome)
        elif outcome is Drop.TOO_OLD and self.pipeline.command_text(message.text, direct=kind == "d") is not None:
            log.info(
                "skipped a command from %s in %s: posted %s, older than the catch-up age",
                message.sender_username,
                message.rid,
                message.ts.isoformat(),
            )
        elif outcome in (Drop.LIVECHAT, Drop.ROOM_NOT_ALLOWED):
            log.debug("ignored message %s: %s", message.id, outcome.value)

    # --- the command journal (bot.runtime.dispatch.CommandJournal) -------------------------------------

    def _journal_new(self, command: Command) -> bool:
        """Record the command as pending before anything is done with it; False if it was decided before.

        A synchronous write on the loop: in WAL mode a commit is tens of microseconds, and ordering the
        record before the dispatch is the point."""
        if self.state is None:
            return True
        message = command.message
        record = CommandRecord(
            message.id, message.rid, message.tmid, command.room_type, message.sender_username, command.text, message.ts,
            addressed=command.addressed.value if command.addressed is not None else None,
        )  # fmt: skip
        return self.state.record_command(record, now=self.clock()).status == PENDING

    async def answered(self, command: Command) -> None:
        if self.state is not None:
            self.state.finish_command(command.message.id, "answered", now=self.clock())

    async def gave_up(self, command: Command, status: str, reason: str) -> None:
        if self.state is not None:
            self.state.finish_command(command.message.id, status, now=self.clock(), reason=reason[:500])

    def _resume_pending(self) -> None:
        """Answer what an earlier run recorded but never got answered; past the deadline, say so once.

        Each command is rebuilt as it was addressed, so it is read as it would have been live: a prefixed one
        stays exact, a mentioned one may be a question. A row from before the journal kept that (schema 4) has
        none and is read as if mentioned, as it always was."""
        assert self.state is not None and self.identity is not None
        now = self.clock()
        for record in self.state.pending_commands():
            message = IncomingMessage(
                id=record.message_id,
                rid=record.room_id,
                text=record.text,
                sender_id="",
                sender_username=record.sender,
                ts=record.posted_at,
                updated_at=record.posted_at,
                tmid=record.thread_id,
                room_type=record.room_type,
            )
            late = now >= record.posted_at + self.dispatcher.deadline
            log.info(
                "resuming command %s from %s in %s%s",
                record.message_id,
                record.sender,
                record.room_id,
                " (past its deadline)" if late else "",
            )
            if self.pipeline is not None:
                self.pipeline.mark_handled(record.message_id)
            addressed = Addressed(record.addressed) if record.addressed is not None else None
            self.dispatcher.submit(Command(message, record.text, record.room_type, addressed), late=late)

    def on_notify(self, event: str, args: list[Any]) -> None:
        if event == "subscriptions-changed" and len(args) >= 2 and isinstance(args[1], dict):
            action, sub = args[0], args[1]
            if action == "removed":
                self.rooms.pop(str(sub.get("rid")), None)
            else:
                self._add_room(sub)
        elif event == "message" and args and isinstance(args[0], dict):
            log.warning("Rocket.Chat says: %s", str(args[0].get("msg", ""))[:300])

    async def on_ready(self, connection: int) -> None:
        """After every (re)connect: refresh the room list and catch up every room (concurrently, bounded)."""
        link = self.realtime.link_number if self.realtime is not None else 0
        async with self._catching_up:
            try:
                await self.refresh_rooms()
            except TransportError as exc:
                log.warning("could not refresh rooms after connecting: %s", exc)
            slots = asyncio.Semaphore(CATCH_UP_CONCURRENCY)

            async def one(room: Room) -> None:
                async with slots:
                    await self._catch_up_until_done(room, link)

            # Never read livechat rooms: the bot never acts in them.
            await asyncio.gather(*(one(room) for room in list(self.rooms.values()) if room.kind != "l"))
            log.info("connected (session %d), %d rooms", connection, len(self.rooms))
        if self.sessions == 0:
            # Start-up garbage (imports, config, the first catch-up) will live as long as the process: moving it
            # out of the collector's view keeps full collections short (bench/latency.py saw 22-40 ms pauses).
            gc.freeze()
            pictures = not isinstance(self.services, Services) or self.services.pictures
            if pictures and self.settings.charts_warm_at_start:
                self._warming = asyncio.get_running_loop().create_task(self._warm_charts(), name="chart warm-up")
        async with self._session_change:
            self.sessions += 1
            self._session_change.notify_all()

    async def _warm_charts(self) -> None:
        """Import and warm matplotlib on a chart thread once connected, so no `!chart` imports it."""
        if await warm_up():
            gc.freeze()  # its import garbage lives as long as the process, like the start-up garbage
            log.info("charts ready: matplotlib imported and warmed on the chart thread")

    async def wait_for_session(self, count: int) -> None:
        """Wait until `count` sessions have been established and caught up (tests, readiness probes)."""
        async with self._session_change:
            await self._session_change.wait_for(lambda: self.sessions >= count)

    async def _catch_up_until_done(self, room: Room, link: int) -> None:
        """Catch one room up, retrying while this link stays up (a drop cancels it; the next link resumes)."""
        for attempt in itertools.count():
            try:
                await self._catch_up(room)
            except TransportError as exc:
                pause = CATCH_UP_PAUSES[min(attempt, len(CATCH_UP_PAUSES) - 1)]
                if isinstance(exc, RateLimited):
                    pause = max(pause, exc.retry_after)
                log.warning("catch-up of room %s failed (%s); trying again in %.1f s", room.rid, exc, pause)
                await self._sleep(pause)
                continue
            room.synced_link = link
            return

    async def _catch_up(self, room: Room) -> None:
        since = room.watermark
        updated, _deleted = await self.rest.sync_messages(room.rid, since)
        present = {doc.get("_id") for doc in updated}
        messages: list[IncomingMessage] = []
        for doc in updated:
            try:
                messages.append(IncomingMessage.from_document(doc))
            except InvalidResponse as exc:
                log.warning("skipped a malformed message in %s: %s", room.rid, exc)
        assert self.pipeline is not None
        for message in sorted(messages, key=lambda m: m.ts):
            if reply_id(message.id) in present:
                # Already answered (by an earlier run of the bot): remember it, do not answer again.
                self.pipeline.mark_handled(message.id)
                if self.state is not None and not self.dispatcher.is_active(message.id):
                    self.state.finish_command(message.id, "answered", now=self.clock())
                continue
            self._consider(message, kind=room.kind, member=True, room_name=room.name)
        newest = max((m.updated_at for m in messages), default=since)
        room.watermark = max(room.watermark, newest)
