"""Run each command as its own task, under a concurrency bound, and turn every outcome into a reply.

This is the one place where exceptions become messages: the asker's mistakes (UserInputError) are
answered with what was wrong and the right usage; Rocket.Chat's refusals and outages get short human
explanations; anything else is a bug, logged with its traceback and a reference id, and the asker
gets an apology with that id — never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

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
from bot.replies.markup import fit
from bot.rocketchat.ids import reply_id
from bot.rocketchat.models import MessageSender
from bot.rocketchat.rest import NO_DATA
from bot.runtime.access import Access
from bot.runtime.pipeline import Command

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, Omnichannel analytics are only for people who may see them in Rocket.Chat "
    "(a role with the `view-livechat-manager` permission, such as livechat-manager). "
    "Ask a workspace admin if you need access."
)


class Sender(MessageSender, Protocol):
    async def upload_file(
        self,
        rid: str,
        filename: str,
        data: bytes,
        mime: str,
        *,
        msg: str = "",
        description: str = "",
        tmid: str | None = None,
    ) -> dict[str, Any]: ...


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
        return "Rocket.Chat no longer accepts my credentials; please tell a workspace admin (details in my log)."
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
    ) -> None:
        self.router = router
        self.access = access
        self.sender = sender
        self.services = services
        self.clock = clock
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, command: Command) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._run(command), name=f"command {command.message.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def idle(self) -> None:
        """Wait until every command submitted so far has been answered."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def drain(self, grace: float) -> bool:
        """Let in-flight commands finish within `grace` seconds; cancel what is left. True if all finished."""
        if not self._tasks:
            return True
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            log.warning("shutdown: %d command(s) cancelled after %.0f s", len(pending), grace)
        return not pending

    async def _run(self, command: Command) -> None:
        async with self._slots:
            reply = await self.answer(command)
            await self._send(command, reply)

    async def answer(self, command: Command) -> Reply:
        """The reply to one command, whatever happens (used by `run` and by `ask`)."""
        message = command.message
        spec = None
        try:
            spec, args = self.router.resolve(command.text)
            if spec.needs_access and not await self.access.may_view(message.sender_username):
                log.info("refused %s for %s in %s", spec.name, message.sender_username, message.rid)
                return Reply(REFUSAL)
            invocation = Invocation(spec.name, args, message.sender_username, message.rid, self.clock(), self.services)
            return await spec.handler(invocation)
        except UserInputError as exc:
            # Every mistake ends with the right usage of the command it was made in.
            return Reply(str(exc) if spec is None else f"{exc}\n{self.router.usage(spec)}")
        except TransportError as exc:
            log.warning("command %s failed talking to Rocket.Chat: %s", message.id, exc)
            return Reply(describe_transport_error(exc))
        except Exception:
            ref = secrets.token_hex(3)
            log.exception("command %s (%r) failed [ref %s]", message.id, command.text[:200], ref)
            return Reply(f"Sorry, something went wrong on my side (ref {ref}). An admin can find it in the bot's log.")

    async def _send(self, command: Command, reply: Reply) -> None:
        message = command.message
        try:
            await self.sender.send_message(message.rid, fit(reply.text), msg_id=reply_id(message.id), tmid=message.tmid)
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
                    await self.sender.send_message(
                        message.rid, note, msg_id=reply_id(message.id, index), tmid=message.tmid
                    )
        except TransportError as exc:
            log.error("could not reply to %s in %s: %s", message.id, message.rid, exc)
        except Exception:
            log.exception("could not reply to %s in %s", message.id, message.rid)
