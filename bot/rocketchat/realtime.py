"""The realtime link: DDP over one WebSocket, kept up by ONE reconnect loop, used only to receive.

Why it is shaped this way (rocketchat-realtime-rest.md; style-by-example.md §2, §4, §7.3-§7.5):

- Rocket.Chat keeps nothing for a dropped client: no session resumption, subscriptions and login are
  forgotten (§0.3, §1.14). So every (re)connect runs the whole session: `connect` → `login {resume}` →
  one subscription per stream with new ids → `on_ready(n)`, where the app catches up over REST. State that
  must outlive a socket (the connection count) lives on the client; everything per socket lives in a
  `_Link` that is thrown away, so subscriptions can never pile up across reconnects (§3.1 #141, §3.2 #114).
- Backoff with full jitter between attempts, reset once a session was established (logged in, subscribed)
  and stayed up for `MIN_UP` seconds: a link that flaps every few seconds is back within a second each
  time, while a server that accepts and drops at once still backs off, so it cannot cause a hot loop
  (§1.14, §3.5). A refused login (403:
  revoked, expired, unknown token) is fatal: `run()` raises AuthFailed instead of looping (§3.7).
- Server pings are answered at once and the client pings every `ping_interval`; `silence_timeout` with no
  frame at all means a dead link, e.g. a proxy that stopped forwarding without closing (§1.3, §3.8.6).
- One reader task handles frames in order, correlates results by id, and calls `on_message` for every
  `__my_messages__` event (inserts and updates alike: filtering is the app's job, §1.7, §3.8.2). A frame
  or message that cannot be decoded is logged and skipped. When the link drops, every pending `call()`
  fails with ConnectionLost.
- `websockets` accepts 1 MiB frames by default; room payloads can be larger, so the limit is 16 MiB
  (§3.8.7). Its own keepalive is off: the DDP heartbeat is the one liveness check, as the server's is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException

from bot.errors import (
    AuthFailed,
    BadRequest,
    ConfigError,
    ConnectionLost,
    InvalidResponse,
    RateLimited,
    RequestTimeout,
    TransportError,
)
from bot.rocketchat import ddp
from bot.rocketchat.backoff import backoff as default_backoff
from bot.rocketchat.backoff import is_retryable
from bot.rocketchat.models import IncomingMessage

__all__ = ["RealtimeClient", "websocket_url"]

_LOGGER = logging.getLogger(__name__)

MAX_FRAME = 16 * 1024 * 1024
OPEN_TIMEOUT = 10.0  # TCP + TLS + HTTP upgrade
CLOSE_TIMEOUT = 2.0  # wait for the server's close frame, then drop TCP (a dead link never answers)
SETUP_TIMEOUT = 10.0  # each step of the session: handshake, login, subscriptions
ROOM_MESSAGES, NOTIFY_USER, MY_MESSAGES = "stream-room-messages", "stream-notify-user", "__my_messages__"
# §1.8. Not `rooms-changed`: it comes twice per message the bot posts and nothing here reads it.
NOTIFY_EVENTS = ("subscriptions-changed", "message")
MIN_UP = 1.0  # seconds an established session must last for the backoff to start afresh
_REFUSED_LOGIN = (
    "the server refused the realtime login of user id {user_id!r} ({reason}): the bot's token was revoked or "
    "is invalid. Create a new Personal Access Token for the bot's account (My Account > Personal Access "
    "Tokens) and set it as RC_AUTH_TOKEN, or check the configured username and password."
)


def websocket_url(base_url: str) -> str:
    """The DDP endpoint of a workspace: `https://chat.example.com` -> `wss://chat.example.com/websocket`."""
    base = base_url.rstrip("/")
    for web, ws in (("https://", "wss://"), ("http://", "ws://")):
        if base.startswith(web):
            base = ws + base[len(web) :]
    return f"{base}/websocket"


class _Link:
    """One socket and its DDP session: ids, pending calls and subscriptions. Never reused."""

    def __init__(self, ws: ClientConnection, number: int) -> None:
        self.ws = ws
        self.frames = ddp.Frames(prefix=f"{number}.")
        self.handshake: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.calls: dict[str, tuple[str, asyncio.Future[Any]]] = {}
        self.pending_subs: dict[str, asyncio.Future[None]] = {}
        self.sub_names: dict[str, str] = {}  # id -> "stream event", for logs
        self.down: str | None = None

    async def send(self, text: str) -> None:
        if self.down is not None:
            raise ConnectionLost(self.down)
        try:
            await self.ws.send(text)
        except ConnectionClosed as exc:
            raise ConnectionLost(f"the realtime socket closed: {exc}") from None

    def fail(self, reason: str) -> None:
        """The link is gone: every waiter gets its own ConnectionLost."""
        self.down = self.down or reason
        waiting = [self.handshake, *(f for _, f in self.calls.values()), *self.pending_subs.values()]
        for future in waiting:
            if not future.done():
                future.set_exception(ConnectionLost(self.down))
                future.exception()  # expected: no "never retrieved" log for a waiter that already gave up
        self.calls.clear()
        self.pending_subs.clear()


class RealtimeClient:
    """Receives messages and notifications over DDP; reconnects until `stop()`.

    `ready` is set while logged in and subscribed; `connections` counts established sessions; `session`
    is the current DDP session id (None while down). A stopped client stays stopped.
    """

    def __init__(
        self,
        ws_url: str,
        *,
        credentials: Callable[[], Awaitable[tuple[str, str]]],
        on_message: Callable[[IncomingMessage], None],
        on_ready: Callable[[int], Awaitable[None]] | None = None,
        on_notify: Callable[[str, list[Any]], None] | None = None,
        ping_interval: float = 20.0,
        silence_timeout: float = 35.0,
        backoff: Callable[[], Iterator[float]] = default_backoff,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        min_up: float = MIN_UP,
    ) -> None:
        if not 0 < ping_interval < silence_timeout:
            raise ValueError("need 0 < ping_interval < silence_timeout")
        self._url = ws_url
        self._credentials = credentials
        self._on_message = on_message
        self._on_ready = on_ready
        self._on_notify = on_notify
        self._ping_interval = ping_interval
        self._silence = silence_timeout
        self._backoff = backoff
        self._sleep = sleep
        self._min_up = min_up
        self._stopping = asyncio.Event()
        self._running = False
        self._attempts = 0
        self._link: _Link | None = None
        self._up_since: float | None = None
        self.ready = asyncio.Event()
        self.connections = 0
        self.session: str | None = None

    # --- public ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect and reconnect until `stop()`; raise AuthFailed (or ConfigError) when retrying cannot help."""
        if self._running:
            raise RuntimeError("RealtimeClient.run() is already running")
        self._running = True
        loop = asyncio.get_running_loop()
        delays: Iterator[float] | None = None
        try:
            while not self._stopping.is_set():
                self._up_since = None
                try:
                    await self._until_stopped(self._session())
                except Exception as exc:
                    if self._stopping.is_set():
                        break
                    if not is_retryable(exc):
                        _LOGGER.error("realtime: giving up: %s", exc)
                        raise
                    failure = exc
                else:
                    break  # a session only ends normally when stop() cancelled it
                if self._stayed_up(loop.time()):
                    delays = None  # the session stayed up: start the backoff afresh
                if delays is None:
                    delays = self._backoff()
                delay = next(delays)
                if isinstance(failure, RateLimited):
                    delay = max(delay, failure.retry_after)
                _LOGGER.warning("realtime link down (%s); reconnecting in %.2f s", failure, delay)
                await self._until_stopped(self._sleep(delay))
        finally:
            self._running = False
            self.ready.clear()

    def _stayed_up(self, now: float) -> bool:
        return self._up_since is not None and now - self._up_since >= self._min_up

    @property
    def link_number(self) -> int:
        """Which connection attempt the current (or last) link is: frames of one link share it, so the app
        can tell whether a room was caught up on the link a live message came through."""
        return self._attempts

    def stop(self) -> None:
        """Close the socket cleanly and make `run()` return."""
        self._stopping.set()

    async def call(self, method: str, params: list[Any], *, timeout: float = 10.0) -> Any:  # noqa: ASYNC109
        """Call a DDP method on the current session and return its (EJSON-decoded) result.

        Raises ConnectionLost when the link is down or drops first, RequestTimeout, and the mapped Meteor
        error: RateLimited (too-many-requests), AuthFailed, BadRequest (others, with `error`).
        """
        link = self._link
        if link is None or not self.ready.is_set():
            raise ConnectionLost("the realtime link is down; wait for `ready`")
        return await self._call(link, method, params, limit=timeout)

    # --- one session ------------------------------------------------------------------------------

    async def _session(self) -> None:
        """Dial, establish, serve until the link drops (always ends with an exception, or cancellation)."""
        user_id, token = await self._credentials()
        self._attempts += 1
        ws = await self._dial()
        link = _Link(ws, self._attempts)
        tasks = [asyncio.create_task(self._read(link), name=f"realtime-reader-{self._attempts}")]
        try:
            await self._establish(link, user_id, token)
            tasks.append(asyncio.create_task(self._heartbeat(link), name=f"realtime-heartbeat-{self._attempts}"))
            number, self.connections = self.connections, self.connections + 1
            self._link, self._up_since = link, asyncio.get_running_loop().time()
            self.ready.set()
            _LOGGER.info("realtime: session %s established (connection %d)", self.session, number)
            watched = list(tasks)
            if self._on_ready is not None:
                tasks.append(asyncio.create_task(self._ready_callback(number), name=f"realtime-on-ready-{number}"))
            done, _ = await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
            raise ConnectionLost("the realtime link ended")  # pragma: no cover - both tasks end by raising
        finally:
            self.ready.clear()
            self._link = self.session = None
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            link.fail(link.down or "the realtime session ended")
            await ws.close()

    async def _dial(self) -> ClientConnection:
        try:
            return await connect(
                self._url,
                max_size=MAX_FRAME,
                ping_interval=None,
                open_timeout=OPEN_TIMEOUT,
                close_timeout=CLOSE_TIMEOUT,
            )
        except InvalidURI as exc:
            raise ConfigError(f"the realtime URL is not a WebSocket URL: {exc}") from None
        except InvalidStatus as exc:
            status = exc.response.status_code
            if 400 <= status < 500 and status not in (408, 429):
                _LOGGER.error("realtime: %s answered HTTP %d to the upgrade; check the URL", self._url, status)
            raise ConnectionLost(f"{self._url} refused the WebSocket upgrade with HTTP {status}") from None
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise ConnectionLost(f"cannot connect to {self._url}: {exc or type(exc).__name__}") from None

    async def _establish(self, link: _Link, user_id: str, token: str) -> None:
        """`connect` → `login {resume}` → one subscription per stream, all confirmed (§1.2, §1.5, §1.6)."""
        await link.send(ddp.connect())
        self.session = await self._bounded(link.handshake, "the DDP handshake")
        try:
            result = await self._call(link, "login", [{"resume": token}], limit=SETUP_TIMEOUT)
        except AuthFailed as exc:
            reason = str(exc).removeprefix("method login failed: ")
            raise AuthFailed(_REFUSED_LOGIN.format(user_id=user_id, reason=reason)) from None
        if not isinstance(result, Mapping) or not isinstance(result.get("id"), str):
            raise InvalidResponse("the login result has no user id")
        if result["id"] != user_id:
            raise AuthFailed(f"the token belongs to user id {result['id']!r}, not to the configured {user_id!r}")
        options = {"useCollection": False, "args": []}
        wanted = [(ROOM_MESSAGES, MY_MESSAGES)] + [(NOTIFY_USER, f"{user_id}/{name}") for name in NOTIFY_EVENTS]
        waiting: list[asyncio.Future[None]] = []
        for stream, event in wanted:
            sub_id, frame = link.frames.sub(stream, [event, options])
            link.sub_names[sub_id] = f"{stream} {event}"
            link.pending_subs[sub_id] = future = asyncio.get_running_loop().create_future()
            waiting.append(future)
            await link.send(frame)
        await self._bounded(asyncio.gather(*waiting), "the subscriptions")

    async def _call(self, link: _Link, method: str, params: list[Any], *, limit: float) -> Any:
        method_id, frame = link.frames.method(method, params)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        link.calls[method_id] = (method, future)
        try:
            await link.send(frame)
            return await self._bounded(future, f"method {method}", limit)
        finally:
            link.calls.pop(method_id, None)

    @staticmethod
    async def _bounded(waiting: Awaitable[Any], what: str, limit: float = SETUP_TIMEOUT) -> Any:
        try:
            async with asyncio.timeout(limit):
                return await waiting
        except TimeoutError:
            raise RequestTimeout(f"{what}: no answer within {limit:g} s") from None

    async def _ready_callback(self, number: int) -> None:
        assert self._on_ready is not None
        try:
            await self._on_ready(number)
        except Exception:
            _LOGGER.exception("realtime: on_ready(%d) raised; the link stays up", number)

    # --- reading and the heartbeat --------------------------------------------------------------------

    async def _read(self, link: _Link) -> None:
        reason = "the realtime session ended"
        try:
            while True:
                try:
                    async with asyncio.timeout(self._silence):
                        text = await link.ws.recv()
                except TimeoutError:
                    raise ConnectionLost(f"no frame for {self._silence:g} s: the link is dead") from None
                except ConnectionClosed as exc:
                    raise ConnectionLost(f"the realtime socket closed: {exc}") from None
                await self._handle(link, text)
        except TransportError as exc:
            reason = str(exc)
            raise
        finally:
            link.fail(reason)

    async def _heartbeat(self, link: _Link) -> None:
        while True:
            await asyncio.sleep(self._ping_interval)
            await link.send(ddp.ping(link.frames.next_id()))

    async def _handle(self, link: _Link, text: str | bytes) -> None:
        try:
            event = ddp.parse(text)
        except ddp.ProtocolError as exc:
            _LOGGER.warning("realtime: skipped a malformed frame: %s", exc)
            return
        match event:
            case ddp.Ping(id=ping_id):
                await link.send(ddp.pong(ping_id))
                _LOGGER.debug("realtime: answered a server ping")
            case ddp.StreamEvent():
                self._dispatch(event)
            case ddp.Result(id=method_id, result=result, error=error):
                method, future = link.calls.get(method_id, ("", None))
                if future is None or future.done():
                    _LOGGER.debug("realtime: result for unknown or abandoned call %s", method_id)
                elif error is not None:
                    future.set_exception(error.to_exception(f"method {method}"))
                else:
                    future.set_result(result)
            case ddp.Ready(subs=ids):
                for sub_id in ids:
                    future = link.pending_subs.pop(sub_id, None)
                    if future is not None and not future.done():
                        future.set_result(None)
            case ddp.NoSub():
                self._nosub(link, event)
            case ddp.Connected(session=session):
                if not link.handshake.done():
                    link.handshake.set_result(session)
            case ddp.Failed(version=version):
                if not link.handshake.done():
                    link.handshake.set_exception(InvalidResponse(f"the server wants DDP version {version}"))
            case ddp.ServerErrorFrame(reason=reason, offending=offending):
                _LOGGER.warning("realtime: the server rejected a frame: %s (%.200r)", reason, offending)
            case _:
                pass  # greeting, updated, users added/removed: nothing to do (§1.1, §1.4, §1.5)

    def _nosub(self, link: _Link, event: ddp.NoSub) -> None:
        """A refused subscription fails the session setup; an active one ended by the server ends the link
        (without it the bot would silently stop receiving), so the next session subscribes again."""
        name = link.sub_names.get(event.id or "", f"subscription {event.id}")
        error = event.error or ddp.MeteorError("nosub", "ended without an error")
        future = link.pending_subs.pop(event.id or "", None)
        if future is not None:
            _LOGGER.error("realtime: the server refused the subscription %s: %s", name, error.describe())
            exc = error.to_exception(f"subscription {name}")
            if not isinstance(exc, RateLimited):
                exc = BadRequest(str(exc), error=error.error, error_type=error.error_type)
            if not future.done():
                future.set_exception(exc)
        elif event.id in link.sub_names:
            _LOGGER.error("realtime: the server ended the subscription %s: %s", name, error.describe())
            raise ConnectionLost(f"the server ended the subscription {name}: {error.describe()}")

    def _dispatch(self, event: ddp.StreamEvent) -> None:
        if event.stream == ROOM_MESSAGES and event.event_name == MY_MESSAGES:
            try:
                document, meta = ddp.message_args(event.args)
                message = IncomingMessage.from_document(document, meta)
            except InvalidResponse as exc:
                _LOGGER.warning("realtime: skipped a malformed message event: %s", exc)
                return
            try:
                self._on_message(message)
            except Exception:
                _LOGGER.exception("realtime: on_message raised for message %s; skipped", message.id)
        elif event.stream == NOTIFY_USER and self._on_notify is not None:
            name = event.event_name.partition("/")[2]
            try:
                self._on_notify(name, list(event.args))
            except Exception:
                _LOGGER.exception("realtime: on_notify raised for %s; skipped", name)

    # --- stop ------------------------------------------------------------------------------------------

    async def _until_stopped(self, work: Awaitable[None]) -> None:
        """Run `work` as a task; cancel it (its cleanup still runs) as soon as `stop()` is called."""
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            task.cancel()
            await asyncio.wait({task, stopper})
        if not task.cancelled():
            task.result()
