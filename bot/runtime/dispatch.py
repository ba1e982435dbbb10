"""Run each command as its own task, under a concurrency bound, turn every outcome into a reply, and
deliver that reply exactly once.

This is the one place where exceptions become messages: the asker's mistakes (UserInputError) are
answered with what was wrong and the right usage; Rocket.Chat's refusals and outages get short human
explanations; anything else is a bug, logged with its traceback and a reference id, and the asker
gets an apology with that id — never a traceback.

Exactly once (issue "never lose a command, never answer twice"): a transient failure while computing
the answer (429, 5xx, a timeout, a dropped connection) is retried within a small budget before the asker
hears of it; a reply that cannot be posted is retried with backoff until the command's deadline, with the
same deterministic `_id` every time, so Rocket.Chat stores it at most once (rocketchat-realtime-rest.md
§2.4). The journal (the state file) learns the outcome only once Rocket.Chat acknowledged the reply.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.commands.router import Invocation, Reply, Router
from bot.errors import (
    AuthFailed,
    BadRequest,
    ConnectionLost,
    Forbidden,
    InvalidResponse,
    NotFound,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
    UserInputError,
)
from bot.replies.markup import echo, fit
from bot.rocketchat.ids import reply_id
from bot.rocketchat.models import FileSender
from bot.rocketchat.rest import NO_DATA
from bot.runtime.access import Access
from bot.runtime.pipeline import Command
from bot.understanding.reader import Reader

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, Omnichannel analytics are only for people who may see them in Rocket.Chat "
    "(a role with the `view-livechat-manager` permission, such as livechat-manager). "
    "Ask a workspace admin if you need access."
)


Sender = FileSender  # what the dispatcher needs of the REST client


def describe_transport_error(exc: TransportError) -> str:
    """What a chat user should read when Rocket.Chat refused or failed a request made for them.

    Each sentence names the party at fault: Rocket.Chat or the bot's account, never the asker, because
    every command is checked before anything is sent (a request Rocket.Chat refuses is not their typo).
    """
    if isinstance(exc, Forbidden):
        return (
            "I'm not allowed to read that: my service account lacks a permission "
            "(it needs a role holding `view-livechat-manager`, e.g. livechat-manager). Please tell a workspace admin."
        )
    if isinstance(exc, AuthFailed):
        return "Rocket.Chat refused my credentials; please tell a workspace admin (details in my log)."
    if isinstance(exc, RateLimited):
        return f"Rocket.Chat is rate-limiting me right now; please try again in {max(1, round(exc.retry_after))} s."
    if isinstance(exc, RequestTimeout):
        return "Rocket.Chat took too long to answer; please try again, or ask for a shorter range."
    if isinstance(exc, (ConnectionLost, ServerError)):
        return "Rocket.Chat isn't answering properly right now; please try again in a minute."
    if isinstance(exc, InvalidResponse):
        return "Rocket.Chat sent an answer I could not read; an admin can find details in my log."
    if isinstance(exc, NotFound):
        return (
            "This Rocket.Chat server does not offer what that needs (an endpoint is missing: an older version?); "
            "an admin can find details in my log."
        )
    if isinstance(exc, BadRequest) and exc.error_type == NO_DATA:
        return (
            "Rocket.Chat answered that request without any figures, which it does when it considers a request "
            "invalid; an admin can find the request in my log."
        )
    return "Rocket.Chat refused the request I made for that; an admin can find its reason in my log."


ANSWER_TRIES = 3  # a transient failure is retried twice before the asker hears of it ...
ANSWER_BUDGET = 20.0  # ... and only while the answer can still come within this many seconds
ANSWER_PAUSES = (1.0, 2.0)
SEND_BASE, SEND_CAP = 1.0, 30.0
SEND_CONCURRENCY = 16  # backoff between attempts to post a reply, up to the command's deadline
APOLOGY = "Sorry, something went wrong on my side (ref {ref}). An admin can find it in the bot's log."


class CommandJournal(Protocol):
    """Where the outcome of each command is recorded (the state file, in the running bot)."""

    async def answered(self, command: Command) -> None: ...

    async def gave_up(self, command: Command, status: str, reason: str) -> None: ...


class Dispatcher:
    def __init__(
        self,
        router: Router,
        access: Access,
        sender: Sender,
        *,
        services: Any = None,
        concurrency: int = 8,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        journal: CommandJournal | None = None,
        deadline: timedelta = timedelta(minutes=15),
        tz: ZoneInfo | None = None,
        rng: random.Random | None = None,
        reader: Reader | None = None,
    ) -> None:
        self.router = router
        self.reader = reader  # reads plain questions and numbered answers (bot.understanding); None: commands only
        self.access = access
        self.sender = sender
        self.services = services
        self.clock = clock
        self.journal = journal
        self.deadline = deadline
        self.tz = tz or ZoneInfo("UTC")
        self.grace = 10.0  # seconds `drain` lets in-flight commands finish at shutdown
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._slots = asyncio.Semaphore(concurrency)
        # Replies posted at once: a burst of finished answers would otherwise queue hundreds of requests in
        # httpx's pool, which scans its queue on every event (bench/burst.py: most of the CPU of 1000 at once).
        self._sending = asyncio.Semaphore(SEND_CONCURRENCY)
        self._tasks: set[asyncio.Task[None]] = set()
        self._active: set[str] = set()  # message ids being answered by this process

    def submit(self, command: Command, *, late: bool = False) -> asyncio.Task[None] | None:
        """Answer `command` in its own task; None when it is already being answered (a re-delivery).

        `late` marks a command found pending in the journal after its deadline: the asker is told once
        that it could not be answered instead."""
        message_id = command.message.id
        if message_id in self._active:
            return None
        self._active.add(message_id)
        work = self._expire(command, "I was not running, or could not reach Rocket.Chat") if late else None
        task = asyncio.get_running_loop().create_task(work or self._run(command), name=f"command {message_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._active.discard(message_id))
        return task

    def is_active(self, message_id: str) -> bool:
        return message_id in self._active

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def idle(self) -> None:
        """Wait until every command submitted so far has been answered."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def drain(self, grace: float | None = None) -> bool:
        """Let in-flight commands finish within `grace` seconds; cancel what is left (it stays pending in
        the journal, so the next run answers it). True if all finished."""
        grace = self.grace if grace is None else grace
        if not self._tasks:
            return True
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace) if grace > 0 else (set(), set(self._tasks))
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            log.warning(
                "shutdown: %d command(s) left pending after %.0f s; the next run answers them", len(pending), grace
            )
        return not pending

    async def _run(self, command: Command) -> None:
        try:
            reply = await self.answer(command)
            await self._deliver(command, reply)
        except Exception:
            log.exception("command %s could not be delivered; it stays pending", command.message.id)

    async def answer(self, command: Command) -> Reply:
        """The reply to one command, whatever happens. Each attempt holds one of the `concurrency` slots;
        the pause between attempts does not, so a command waiting out a 429 never holds up the others."""
        started = self.clock()
        for attempt in range(ANSWER_TRIES):
            try:
                async with self._slots:
                    return await self._attempt(command)
            except TransportError as exc:
                pause = self._answer_pause(exc, attempt, started)
                if pause is None:
                    log.warning("command %s failed talking to Rocket.Chat: %s", command.message.id, exc)
                    return Reply(describe_transport_error(exc))
                log.info("command %s: %s; trying again in %.1f s", command.message.id, exc, pause)
                await self._sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover - the last attempt always returns

    async def _attempt(self, command: Command) -> Reply:
        """One try: the reader decides what runs (the text as typed, a question's reading under "I read this
        as", or a question back); our bugs become replies; Rocket.Chat's failures propagate."""
        if self.reader is None:
            return await self._run_text(command)
        try:
            return await self.reader.answer(
                command.question(), lambda text: self._run_text(replace(command, text=text))
            )
        except TransportError:
            raise
        except Exception:
            ref = secrets.token_hex(3)
            log.exception("command %s (%r) could not be read [ref %s]", command.message.id, command.text[:200], ref)
            return Reply(APOLOGY.format(ref=ref))

    async def _run_text(self, command: Command) -> Reply:
        """Run `command.text` as a typed command: the asker's mistakes and our bugs become replies."""
        message = command.message
        spec = None
        try:
            spec, args = self.router.resolve(command.text)
            if spec.needs_access and not await self.access.may_view(message.sender_username):
                log.info("refused %s for %s in %s", spec.name, message.sender_username, message.rid)
                return Reply(REFUSAL)
            invocation = Invocation(
                spec.name, args, message.sender_username, message.rid, self.clock(), self.services,
                message_id=message.id, thread_id=message.tmid,
            )  # fmt: skip
            return await spec.handler(invocation)
        except UserInputError as exc:
            # Every mistake ends with the right usage of the command it was made in.
            return Reply(str(exc) if spec is None else f"{exc}\n{self.router.usage(spec)}")
        except TransportError:
            raise
        except Exception:
            ref = secrets.token_hex(3)
            log.exception("command %s (%r) failed [ref %s]", message.id, command.text[:200], ref)
            return Reply(APOLOGY.format(ref=ref))

    def _answer_pause(self, exc: TransportError, attempt: int, started: datetime) -> float | None:
        """How long to wait before trying a failed answer again, or None to answer with the failure now."""
        if not exc.retryable or attempt + 1 >= ANSWER_TRIES:
            return None
        pause = max(ANSWER_PAUSES[attempt], exc.retry_after if isinstance(exc, RateLimited) else 0.0)
        spent = (self.clock() - started).total_seconds()
        return pause if spent + pause <= ANSWER_BUDGET else None

    async def _deliver(self, command: Command, reply: Reply) -> None:
        """Post the reply, retrying transient failures with backoff until the command's deadline."""
        message = command.message
        deadline = message.ts + self.deadline
        attempt = 0
        while True:
            try:
                async with self._sending:
                    stored = await self.sender.send_message(
                        message.rid,
                        fit(reply.text),
                        msg_id=reply_id(message.id),
                        tmid=message.tmid,
                        attachments=list(reply.attachments) or None,
                    )
                break
            except AuthFailed:
                raise  # fatal for the bot; the command stays pending for the next run
            except TransportError as exc:
                if not exc.retryable:
                    log.error("could not reply to %s in %s: %s", message.id, message.rid, exc)
                    await self._gave_up(command, "undeliverable", str(exc))
                    return
                pause = min(SEND_CAP, SEND_BASE * 2**attempt) * (0.5 + self._rng.random() / 2)
                if isinstance(exc, RateLimited):
                    pause = max(pause, exc.retry_after)
                if self.clock() + timedelta(seconds=pause) >= deadline:
                    await self._expire(command, "Rocket.Chat did not accept my reply")
                    return
                log.warning("reply to %s not posted (%s); trying again in %.1f s", message.id, exc, pause)
                attempt += 1
                await self._sleep(pause)
        if self.journal is not None:
            await self.journal.answered(command)
        if stored is None and reply.pictures:
            # The reply existed already: an earlier run posted it and may have uploaded its pictures too.
            # An upload cannot be repeated safely (rooms.media has no client id), so a picture may be missing.
            log.info("reply to %s was already posted; its pictures are not uploaded again", message.id)
            return
        await self._upload_pictures(command, reply)

    async def _upload_pictures(self, command: Command, reply: Reply) -> None:
        message = command.message
        for index, picture in enumerate(reply.pictures, start=1):
            try:
                await self.sender.upload_file(
                    message.rid,
                    picture.filename,
                    picture.data,
                    picture.mime,
                    description=picture.description,
                    tmid=message.tmid,
                )
            except TransportError as exc:
                log.warning("picture upload for %s failed: %s", message.id, exc)
                note = f"(No picture: the upload to Rocket.Chat failed — {describe_transport_error(exc)})"
                try:
                    await self.sender.send_message(
                        message.rid, note, msg_id=reply_id(message.id, index), tmid=message.tmid
                    )
                except TransportError as again:
                    log.warning("could not post the missing-picture note for %s: %s", message.id, again)

    async def _expire(self, command: Command, why: str) -> None:
        """Past the deadline: say so once, under the reply's own id (if the answer got through after
        all, Rocket.Chat ignores this), and record the command as expired."""
        message = command.message
        log.warning("command %s in %s passed its deadline unanswered: %s", message.id, message.rid, why)
        when = message.ts.astimezone(self.tz).strftime("%H:%M")
        text = f"Sorry, your command {echo(command.text, limit=60)} from {when} could not be answered in time: {why}."
        try:
            await self.sender.send_message(message.rid, text, msg_id=reply_id(message.id), tmid=message.tmid)
        except TransportError as exc:
            log.error("could not tell %s that command %s expired: %s", message.sender_username, message.id, exc)
        await self._gave_up(command, "expired", why)

    async def _gave_up(self, command: Command, status: str, reason: str) -> None:
        if self.journal is not None:
            await self.journal.gave_up(command, status, reason)
