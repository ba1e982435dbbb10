"""The DDP wire for the sandbox's `/websocket`: frames, Meteor error bodies, and one socket's session.

Each socket is a `Connection` with an outgoing queue drained by its own writer task, so the store's
synchronous events never wait on a client and a slow client delays only itself. Incoming messages are
handled one at a time in arrival order, as Meteor's per-session queue does, by the connection's owner
(the `Realtime` endpoint, seen here only through `FrameHandler` so this module does not import it).
The heartbeat follows Meteor's `ddp-common/heartbeat.js` (rocketchat-realtime-rest.md §1.3).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect

from .ejson import to_ejson
from .store import Doc, MeteorError, Token

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS = ("1", "pre2", "pre1")  # DDPCommon.SUPPORTED_DDP_VERSIONS, preferred first
ROOM_MESSAGES, NOTIFY_USER, NOTIFY_ROOM = "stream-room-messages", "stream-notify-user", "stream-notify-room"
STREAMS = (ROOM_MESSAGES, NOTIFY_USER, NOTIFY_ROOM)
MY_MESSAGES = "__my_messages__"
CLOSE_NORMAL = (1000, "Normal closure")  # sockjs' raw-websocket close(), used by Meteor's session.close()
_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"  # Meteor's Random.id()


def meteor_error(error: str | int, reason: str | None = None, details: Any = None) -> Doc:
    """A serialised `Meteor.Error` (§1.4); `reason` and `details` are absent when undefined."""
    body: Doc = {"isClientSafe": True, "error": error}
    if reason:
        body["reason"] = reason
    if details is not None:
        body["details"] = details
    body["message"] = f"{reason} [{error}]" if reason else f"[{error}]"
    body["errorType"] = "Meteor.Error"
    return body


def error_body(exc: MeteorError) -> Doc:
    return meteor_error(exc.error, exc.reason, exc.details)


def match_failed() -> MeteorError:
    """A failed `check()`: Match.Error's sanitised client error."""
    return MeteorError(400, "Match failed")


def encode(frame: Any) -> str:
    return json.dumps(to_ejson(frame), separators=(",", ":"), ensure_ascii=False)


def changed(stream: str, event: str, args: list[Any]) -> Doc:
    """A stream event as its subscribers receive it."""
    return {"msg": "changed", "collection": stream, "id": "id", "fields": {"eventName": event, "args": args}}


def new_session_id() -> str:
    """17 characters of Meteor's id alphabet; not from the store's seeded generator, so connecting
    clients never shift the ids of a seeded workspace."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def ejson_ok(value: Any) -> bool:
    """False where Meteor's EJSON decoding throws: a custom `$type` (none is registered) or bad `$binary`."""
    if isinstance(value, list):
        return all(ejson_ok(item) for item in value)
    if not isinstance(value, dict):
        return True
    if set(value) == {"$type", "$value"}:
        return False
    if set(value) == {"$binary"}:
        try:
            base64.b64decode(value["$binary"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            return False
        return True
    return all(ejson_ok(item) for item in value.values())


def js_truthy(value: Any) -> bool:
    return value not in (None, False, 0, "")


def split_event(event: str) -> tuple[str, str]:
    """`const [id, e] = eventName.split('/')`: the room or user id and the event kind."""
    parts = event.split("/")
    return parts[0], parts[1] if len(parts) > 1 else ""


class FrameHandler(Protocol):
    """What a connection hands its incoming text frames to (the `Realtime` endpoint)."""

    def on_frame(self, conn: Connection, text: str) -> None: ...


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


@dataclass(eq=False)
class Sub:
    """One named subscription to a stream event (`params: [eventName, options]`)."""

    conn: Connection
    id: str
    name: str
    event: str
    args: list[Any]


@dataclass(eq=False)
class Connection:
    """One WebSocket and, once `connect` succeeded, its DDP session (login and subscriptions).

    `token` is the login token (or PAT) the session logged in with: revoking it closes the connection."""

    handler: FrameHandler
    ws: WebSocket
    outbox: asyncio.Queue[str | _Close] = field(default_factory=asyncio.Queue)
    session_id: str | None = None
    version: str = ""
    user_id: str | None = None
    token: Token | None = None
    subs: dict[str, Sub] = field(default_factory=dict)
    frozen: bool = False
    closing: bool = False
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    _dropped: asyncio.Event = field(default_factory=asyncio.Event)
    _heard: asyncio.Event = field(default_factory=asyncio.Event)
    _heartbeat: asyncio.Task[None] | None = None

    # --- outgoing -------------------------------------------------------------------------------

    def send(self, frame: Any) -> None:
        """Queue a frame, encoded now so later changes to the documents do not leak into it."""
        self.send_text(encode(frame))

    def send_text(self, text: str) -> None:
        if not (self.frozen or self.closing):
            self.outbox.put_nowait(text)

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued (a `failed` reply, the heartbeat timeout, a revoked
        token). A frozen socket stays silent: its close frame is lost like everything else."""
        if not self.closing:
            self.closing = True
            if not self.frozen:
                self.outbox.put_nowait(_Close(code, reason))

    def drop(self) -> None:
        """End the socket now, frozen or not; the endpoint returns without a close frame."""
        self._dropped.set()

    def freeze(self) -> None:
        self.frozen = True
        while not self.outbox.empty():
            self.outbox.get_nowait()
        if self._heartbeat is not None:
            self._heartbeat.cancel()

    # --- tasks ----------------------------------------------------------------------------------

    async def serve(self) -> None:
        self.send({"server_id": "0"})  # the legacy greeting (§1.1)
        tasks = [asyncio.create_task(coro) for coro in (self._read(), self._write(), self._dropped.wait())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if self._heartbeat is not None:
                tasks.append(self._heartbeat)
            for task in tasks:
                task.cancel()
            for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(outcome, Exception):
                    log.error("DDP connection task failed", exc_info=outcome)

    async def _read(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            if self.frozen or self.closing:
                continue
            text = message.get("text")
            if text is None:
                text = bytes(message.get("bytes") or b"").decode("utf-8", errors="replace")
            self.handler.on_frame(self, text)

    async def _write(self) -> None:
        while True:
            item = await self.outbox.get()
            try:
                if isinstance(item, _Close):
                    await self.ws.close(item.code, item.reason)
                    return
                await self.ws.send_text(item)
            except (OSError, RuntimeError, WebSocketDisconnect):
                return  # the client went away; the reader ends the connection

    def start_heartbeat(self, interval_ms: int, timeout_ms: int) -> None:
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat(interval_ms / 1000, timeout_ms / 1000))

    def heard(self) -> None:
        """Any incoming message counts as a pong (Meteor's `heartbeat.messageReceived()`)."""
        self._heard.set()

    async def _beat(self, interval: float, grace: float) -> None:
        """Ping after `interval` of silence from the client; close if `grace` more passes (§1.3)."""
        while True:
            self._heard.clear()
            if await self._silent_for(interval):
                self.send({"msg": "ping"})
                if await self._silent_for(grace):
                    self.close(*CLOSE_NORMAL)
                    return

    async def _silent_for(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self._heard.wait()
        except TimeoutError:
            return True
        return False
