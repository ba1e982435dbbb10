"""DDP over WebSocket at `/websocket`: Meteor's ddp-server and Rocket.Chat's streams, in process.

What a client sees is fixed by rocketchat-realtime-rest.md §1 (greeting, handshake, heartbeat, methods,
login, subscriptions, the three streams, the rate limiter); details the reference leaves open follow
Meteor's `ddp-server/livedata_server.js` and RC's `streamer.module.ts`, `notifications.module.ts` and
`listeners.module.ts`. Each socket is a `Connection` with an outgoing queue drained by its own writer
task, so the store's synchronous events never wait on a client and a slow client delays only itself.
Incoming messages are handled one at a time in arrival order, as Meteor's per-session queue does.

Test controls: `drop_all()` ends every socket without a close frame (the client sees 1006, like a
dropped link), `freeze_all()` silences the open sockets, `accepting = False` refuses new ones (503).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from .ddp_limits import DdpRateLimiter, Invocation, too_many_requests
from .ejson import from_ejson, to_ejson
from .store import (
    Doc,
    EphemeralMessage,
    Event,
    MessageChanged,
    MessageDeleted,
    MeteorError,
    RoomChanged,
    Store,
    SubscriptionChanged,
    Token,
    UserActivity,
)

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS = ("1", "pre2", "pre1")  # DDPCommon.SUPPORTED_DDP_VERSIONS, preferred first
ROOM_MESSAGES, NOTIFY_USER, NOTIFY_ROOM = "stream-room-messages", "stream-notify-user", "stream-notify-room"
STREAMS = (ROOM_MESSAGES, NOTIFY_USER, NOTIFY_ROOM)
MY_MESSAGES = "__my_messages__"
CLOSE_NORMAL = (1000, "Normal closure")  # sockjs' raw-websocket close(), used by Meteor's session.close()
_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"  # Meteor's Random.id()
EPHEMERAL_TEXT = {"error-invalid-room": "Invalid room", "error-not-allowed": "Not allowed"}  # en i18n
# `check(message, {...})` of the sendMessage method (§1.12): these keys only, each optional.
SEND_MESSAGE_PATTERN: dict[str, type] = {
    **dict.fromkeys(("_id", "rid", "msg", "tmid", "t", "e2e"), str),
    **dict.fromkeys(("tshow", "groupable", "sentByEmail"), bool),
    **dict.fromkeys(("bot", "content", "e2eMentions", "customFields", "federation"), dict),
    "ts": datetime,
}


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


def new_session_id() -> str:
    """17 characters of Meteor's id alphabet; not from the store's seeded generator, so connecting
    clients never shift the ids of a seeded workspace."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def _ejson_ok(value: Any) -> bool:
    """False where Meteor's EJSON decoding throws: a custom `$type` (none is registered) or bad `$binary`."""
    if isinstance(value, list):
        return all(_ejson_ok(item) for item in value)
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
    return all(_ejson_ok(item) for item in value.values())


def _js_truthy(value: Any) -> bool:
    return value not in (None, False, 0, "")


def _split_event(event: str) -> tuple[str, str]:
    """`const [id, e] = eventName.split('/')`: the room or user id and the event kind."""
    parts = event.split("/")
    return parts[0], parts[1] if len(parts) > 1 else ""


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


@dataclass(frozen=True)
class _Write:
    """A stream write in progress: its events skip the writer's own connection (retransmitToSelf: false)."""

    origin: Connection
    event: str
    args: list[Any]


@dataclass(eq=False)
class Connection:
    """One WebSocket and, once `connect` succeeded, its DDP session (login and subscriptions)."""

    realtime: Realtime
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
        """Close after the frames already queued (a `failed` reply, the heartbeat timeout)."""
        if not self.closing:
            self.closing = True
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
            self.realtime.on_frame(self, text)

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


class Realtime:
    """The DDP endpoint over a Store: sessions, methods, publications, and the store's event fan-out."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.accepting = True
        self.limiter = DdpRateLimiter(store)
        self._connections: set[Connection] = set()
        self._streams: dict[tuple[str, str], dict[Sub, None]] = {}  # (stream, eventName) -> subs in order
        self._writing: _Write | None = None
        self._methods: dict[str, Callable[[Connection, list[Any]], Any]] = {
            "login": self._login,
            "logout": self._logout,
            "sendMessage": self._send_message,
            ROOM_MESSAGES: lambda conn, params: None,  # allowWrite('none'): nothing happens
            NOTIFY_USER: self._notify_user_write,
            NOTIFY_ROOM: self._notify_room_write,
        }
        store.listen(self._on_event)

    # --- the interface the Sandbox and tests use ----------------------------------------------------

    async def endpoint(self, websocket: WebSocket) -> None:
        """One DDP connection per WebSocket; its session and subscriptions end with the socket."""
        if not self.accepting:
            await self._refuse(websocket)
            return
        await websocket.accept()
        conn = Connection(self, websocket)
        self._connections.add(conn)
        try:
            await conn.serve()
        finally:
            self._connections.discard(conn)
            self._end_session(conn)
            conn.finished.set()

    async def drop_all(self) -> None:
        """A dropped link or a server going down: every socket (frozen ones too) ends at once."""
        connections = list(self._connections)
        for conn in connections:
            conn.drop()
        await asyncio.gather(*(conn.finished.wait() for conn in connections))

    def forget_sessions(self) -> None:
        """A server restart: sessions, subscriptions and rate-limit windows are gone (tokens stay in the store)."""
        for conn in list(self._connections):
            self._end_session(conn)
        self._streams.clear()
        self.limiter.reset()

    def freeze_all(self) -> None:
        """A proxy that silently cut the link: sockets stay open, nothing goes out, input is ignored,
        the server's heartbeat stops; only the client's own pings can notice."""
        for conn in self._connections:
            conn.freeze()

    def session_count(self) -> int:
        """Open DDP sessions (sockets past `connect`)."""
        return sum(1 for conn in self._connections if conn.session_id is not None)

    def subscription_count(self, user_id: str | None = None) -> int:
        """Active subscriptions, of one user's sessions when `user_id` is given."""
        return sum(len(c.subs) for c in self._connections if user_id is None or c.user_id == user_id)

    async def _refuse(self, websocket: WebSocket) -> None:
        """Refuse before the handshake: 503 where the server can send an HTTP answer, else close 1013."""
        if "websocket.http.response" in websocket.scope.get("extensions", {}):
            await websocket.send_denial_response(PlainTextResponse("Service Unavailable", status_code=503))
        else:
            await websocket.close(code=1013)

    def _end_session(self, conn: Connection) -> None:
        for sub in conn.subs.values():
            self._unindex(sub)
        conn.subs.clear()
        conn.session_id = None

    # --- incoming frames (livedata_server.js: stream_server data handler, processMessage) ----------------

    def on_frame(self, conn: Connection, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None  # parseDDP discards invalid JSON: "Bad request" below, without the message
        if not isinstance(msg, (dict, list)):
            msg = None
        if isinstance(msg, dict) and not all(_ejson_ok(msg.get(key)) for key in ("params", "fields", "result")):
            conn.send({"msg": "error", "reason": "Parse error"})  # parseDDP threw: no offendingMessage
            return
        if not isinstance(msg, dict) or not _js_truthy(msg.get("msg")):
            self._send_error(conn, "Bad request", msg)
        elif msg["msg"] == "connect":
            if conn.session_id is not None:
                self._send_error(conn, "Already connected", msg)
            else:
                self._connect(conn, msg)
        elif conn.session_id is None:
            self._send_error(conn, "Must connect first", msg)
        else:
            self._process(conn, msg)

    def _send_error(self, conn: Connection, reason: str, offending: Any) -> None:
        frame: Doc = {"msg": "error", "reason": reason}
        if offending is not None:  # a parsed object or array, truthy in JavaScript even when empty
            frame["offendingMessage"] = offending
        conn.send(frame)

    def _connect(self, conn: Connection, msg: Doc) -> None:
        """Version negotiation (§1.2): the first of the client's versions the server supports must be the
        one it proposes, otherwise `failed` with the version to use, and the socket closes."""
        version, support = msg.get("version"), msg.get("support")
        if not (
            isinstance(version, str)
            and isinstance(support, list)
            and all(isinstance(v, str) for v in support)
            and version in support
        ):
            conn.send({"msg": "failed", "version": SUPPORTED_VERSIONS[0]})
            conn.close(*CLOSE_NORMAL)
            return
        chosen = next((v for v in support if v in SUPPORTED_VERSIONS), SUPPORTED_VERSIONS[0])
        if chosen != version:
            conn.send({"msg": "failed", "version": chosen})
            conn.close(*CLOSE_NORMAL)
            return
        conn.session_id, conn.version = new_session_id(), version
        conn.send({"msg": "connected", "session": conn.session_id})
        interval = int(self.store.settings.get("Sandbox_Heartbeat_Interval_ms", 15000))
        timeout = int(self.store.settings.get("Sandbox_Heartbeat_Timeout_ms", 15000))
        if version != "pre1" and interval > 0:
            conn.start_heartbeat(interval, timeout)

    def _process(self, conn: Connection, msg: Doc) -> None:
        conn.heard()
        kind = msg["msg"]
        if conn.version != "pre1" and kind == "ping":
            conn.send({"msg": "pong", "id": msg["id"]} if "id" in msg else {"msg": "pong"})
        elif conn.version != "pre1" and kind == "pong":
            return
        elif kind == "sub":
            self._sub(conn, msg)
        elif kind == "unsub":
            self._unsub(conn, msg)
        elif kind == "method":
            self._method(conn, msg)
        else:
            self._send_error(conn, "Bad request", msg)

    # --- methods (§1.4) --------------------------------------------------------------------------

    def _method(self, conn: Connection, msg: Doc) -> None:
        mid, name, params = msg.get("id"), msg.get("method"), msg.get("params", [])
        if (
            not isinstance(mid, str)
            or not isinstance(name, str)
            or not isinstance(params, list)
            or ("randomSeed" in msg and not isinstance(msg["randomSeed"], str))
        ):
            self._send_error(conn, "Malformed method invocation", msg)
            return
        reply: Doc = {"msg": "result", "id": mid}
        handler = self._methods.get(name)
        if handler is None:  # answered before the write fence, so `result` precedes `updated` here
            conn.send({**reply, "error": meteor_error(404, f"Method '{name}' not found")})
            conn.send({"msg": "updated", "methods": [mid]})
            return
        try:
            wait_ms = self.limiter.hit(Invocation(str(conn.session_id), conn.user_id, "method", name))
            if wait_ms is not None:
                raise too_many_requests(wait_ms)
            result = handler(conn, from_ejson(params))
        except MeteorError as exc:
            reply["error"] = error_body(exc)
        except Exception:
            log.exception("DDP method %r failed", name)
            reply["error"] = meteor_error(500, "Internal server error")
        else:
            if result is not None:
                reply["result"] = result
        conn.send({"msg": "updated", "methods": [mid]})
        conn.send(reply)

    def _user(self, conn: Connection) -> Doc | None:
        return self.store.users.get(conn.user_id) if conn.user_id else None

    def _login(self, conn: Connection, params: list[Any]) -> Doc:
        """`login` (§1.5): password (digest or plain) or resume token/PAT; `totp` wraps a password login."""
        if not params or not isinstance(params[0], dict):
            raise match_failed()
        options: Doc = params[0]
        code: Any = None
        token: Token | None
        totp = options.get("totp")
        if isinstance(totp, dict) and _js_truthy(totp.get("code")):
            code, inner = totp["code"], totp.get("login")
            options = inner if isinstance(inner, dict) else {}
        if _js_truthy(options.get("resume")):
            if not isinstance(options["resume"], str):
                raise match_failed()
            user, token = self.store.resolve_token(options["resume"])
            kind = "resume"
        elif _js_truthy(options.get("password")):
            user = self._password_user(options)
            if user.get("services", {}).get("totp", {}).get("enabled") and not _js_truthy(code):
                details = {"method": "totp", "codeGenerated": False, "availableMethods": ["totp"]}
                raise MeteorError("totp-required", "TOTP Required", details)
            token, kind = None, "password"
        else:
            raise MeteorError(400, "Unrecognized options for login request")
        if user.get("active", True) is not True:
            details = {"function": "Accounts.validateLoginAttempt"}
            raise MeteorError("error-user-is-not-activated", "User is not activated", details)
        if token is None:
            token = self.store.issue_login_token(user["_id"])
        conn.token = token
        self._set_user(conn, user["_id"])
        days = int(self.store.settings.get("Accounts_LoginExpiration", 90))
        expires = token.expires or self.store.now() + timedelta(days=days)  # a PAT has no expiry of its own
        return {"id": user["_id"], "token": token.token, "tokenExpires": expires, "type": kind}

    def _password_user(self, options: Doc) -> Doc:
        """accounts-password's handler: `check(options, {user, password, code?})`, then find and verify."""
        if set(options) - {"user", "password", "code"}:
            raise match_failed()
        query, password = options.get("user"), options["password"]
        if not isinstance(query, dict) or len(query) != 1:
            raise match_failed()
        ((field_name, value),) = query.items()
        if field_name not in ("id", "username", "email") or not isinstance(value, str) or not value:
            raise match_failed()
        digest = password.get("digest") if isinstance(password, dict) else None
        if isinstance(password, dict):
            if set(password) != {"digest", "algorithm"} or password["algorithm"] != "sha-256":
                raise match_failed()
            if not isinstance(digest, str) or len(digest) != 64:
                raise match_failed()
        elif not isinstance(password, str) or len(password) > 256:
            raise match_failed()
        if field_name == "id":
            user = self.store.users.get(value)
        elif field_name == "username":
            user = self.store.user_by_username(value) or next(
                (u for u in self.store.users.values() if str(u.get("username", "")).lower() == value.lower()), None
            )
        else:
            user = self.store.user_by_login(value) if "@" in value else None
        if user is None:
            raise MeteorError(403, "User not found")
        if user["_id"] not in self.store.passwords:
            raise MeteorError(403, "User has no password set")
        plain = password if isinstance(password, str) else None
        if not self.store.password_matches(user, plain=plain, digest=digest):
            raise MeteorError(403, "Incorrect password")
        return user

    def _logout(self, conn: Connection, params: list[Any]) -> None:
        """Meteor's `logout`: the connection's login token is destroyed and the subscriptions re-run
        without a user. Like the sandbox's REST `logout`, a personal access token is kept."""
        if conn.token is not None and conn.token.kind == "resume":
            self.store.revoke_token(conn.token.token)
        conn.token = None
        self._set_user(conn, None)

    def _set_user(self, conn: Connection, user_id: str | None) -> None:
        """`Session._setUserId`: re-run every subscription for the new user. Refused ones end with `nosub`
        at once; the users document is swapped; one `ready` then lists every subscription that re-ran."""
        previous = conn.user_id
        subs = list(conn.subs.values())
        for sub in subs:
            self._unindex(sub)
        conn.user_id = user_id
        user = self._user(conn)
        rerun: list[str] = []
        for sub in subs:
            if self._can_read(user, sub.name, sub.event, sub.args):
                self._index(sub)
                rerun.append(sub.id)
            else:
                del conn.subs[sub.id]
                conn.send({"msg": "nosub", "id": sub.id, "error": meteor_error("not-allowed")})
        if previous != user_id:
            if previous is not None:
                conn.send({"msg": "removed", "collection": "users", "id": previous})
            if user is not None:
                fields = {k: user[k] for k in ("username", "emails") if k in user}
                conn.send({"msg": "added", "collection": "users", "id": user["_id"], "fields": fields})
        if rerun:
            conn.send({"msg": "ready", "subs": rerun})

    def _send_message(self, conn: Connection, params: list[Any]) -> Doc | None:
        """`sendMessage` (§1.12): strict argument check, then only `error-not-allowed` (and
        `restricted-workspace`) reach the caller; other failures give an empty result."""
        message = params[0] if params else None
        if not isinstance(message, dict) or any(
            key not in SEND_MESSAGE_PATTERN or not (value is None or isinstance(value, SEND_MESSAGE_PATTERN[key]))
            for key, value in message.items()
        ):
            raise match_failed()
        if len(params) > 2 and params[2] is not None and not isinstance(params[2], list):
            raise match_failed()
        user = self._user(conn)
        if user is None:
            raise MeteorError("error-invalid-user", "Invalid user", {"method": "sendMessage"})
        if message.get("t") not in (None, "e2e"):
            raise RuntimeError("Cannot send system messages using 'sendMessage'")
        fields = {key: value for key, value in message.items() if value is not None}
        try:
            return self._execute_send(user, fields)
        except MeteorError as exc:
            if exc.error in ("error-not-allowed", "restricted-workspace"):
                raise MeteorError(exc.error, exc.reason, {"method": "sendMessage"}) from None
            return None

    def _execute_send(self, user: Doc, fields: Doc) -> Doc | None:
        """`executeSendMessage`: the parameter checks first; then room access and the insert, whose
        failures also reach the sender as an ephemeral message (`notify.ephemeralMessage`)."""
        settings = self.store.settings
        details = {"method": "sendMessage"}
        if fields.get("tshow") and not fields.get("tmid"):
            raise MeteorError("invalid-params", "tshow provided but missing tmid", details)
        if fields.get("tmid") and not settings.get("Threads_enabled", True):
            raise MeteorError("error-not-allowed", "not-allowed", details)
        ts = fields.get("ts")
        if isinstance(ts, datetime) and abs((ts - self.store.now()).total_seconds()) > 60:
            raise MeteorError("error-message-ts-out-of-sync", "Message timestamp is out of sync", details)
        text = fields.get("msg")
        if text and len(text) > int(settings.get("Message_MaxAllowedSize", 5000)):
            raise MeteorError("error-message-size-exceeded", "Message size exceeds Message_MaxAllowedSize", details)
        rid = fields.get("rid")
        parent = self.store.messages.get(fields["tmid"]) if fields.get("tmid") else None
        rid = parent["rid"] if parent is not None else rid
        if not rid:
            raise MeteorError("error-invalid-params", "The 'rid' property on the message object is missing.")
        try:
            room = self.store.rooms.get(rid)
            if room is None:
                raise MeteorError("error-invalid-room", "Invalid room")
            if not self.store.can_access_room(user, room):
                raise MeteorError("error-not-allowed", "")  # canSendMessage throws it without a reason
            return self.store.send_message(user, room, {**fields, "rid": rid})
        except MeteorError as exc:  # the ephemeral text is the translation of the error code
            text = EPHEMERAL_TEXT.get(str(exc.error)) or exc.reason or str(exc.error)
            self.store.ephemeral(user["_id"], fields.get("rid") or rid, text)
            raise

    def _notify_user_write(self, conn: Connection, params: list[Any]) -> None:
        """The `stream-notify-user` method: any logged-in caller may emit (RC's allowWrite)."""
        event, args = self._stream_params(params)
        if conn.user_id is not None:
            self._deliver(NOTIFY_USER, event, args, origin=conn)

    def _notify_room_write(self, conn: Connection, params: list[Any]) -> None:
        """The `stream-notify-room` method (§1.9): `user-activity` (and the deprecated `typing`) only
        under the caller's own username; a refused write is an empty result, not an error."""
        event, args = self._stream_params(params)
        rid, kind = _split_event(event)
        username = args[0] if args else None
        activity = args[1] if len(args) > 1 else None
        extra = args[2] if len(args) > 2 else None
        if kind not in ("typing", "user-activity") or not self._can_type(conn, rid, username, extra):
            return
        if kind == "typing":  # deprecated: converted to `user-activity`, then sent as it is too
            activities = ["user-typing"] if activity else []
            self._emit_activity(conn, rid, username, activities, [username, activities, extra])
            self._deliver(NOTIFY_ROOM, event, args, origin=conn)
            return
        if isinstance(activity, list) and (not activity or "user-typing" in activity):
            self._deliver(NOTIFY_ROOM, f"{rid}/typing", [username, "user-typing" in activity], origin=conn)
        activities = [a for a in activity if isinstance(a, str)] if isinstance(activity, list) else []
        self._emit_activity(conn, rid, username, activities, args)

    def _emit_activity(self, conn: Connection, rid: str, username: Any, activities: list[str], wire: list[Any]) -> None:
        """Announce a typing change through the store; the listener sends `wire` (the arguments as
        they go out) to every subscriber except the caller's own connection."""
        self._writing = _Write(conn, f"{rid}/user-activity", wire)
        try:
            self.store.emit(UserActivity(rid, str(username), tuple(activities)))
        finally:
            self._writing = None

    @staticmethod
    def _stream_params(params: list[Any]) -> tuple[str, list[Any]]:
        if not params or not isinstance(params[0], str):
            raise TypeError("a stream method's first parameter is the event name")
        return params[0], list(params[1:])

    def _can_type(self, conn: Connection, rid: str, username: Any, extra: Any) -> bool:
        if isinstance(extra, dict) and _js_truthy(extra.get("token")):  # the livechat widget's visitor
            room = self.store.rooms.get(rid)
            return room is not None and room.get("t") == "l" and room.get("v", {}).get("token") == extra["token"]
        user = self._user(conn)
        key = "name" if self.store.settings.get("UI_Use_Real_Name") else "username"
        return user is not None and user.get(key) == username

    # --- subscriptions (§1.6-§1.9) ------------------------------------------------------------------

    def _sub(self, conn: Connection, msg: Doc) -> None:
        sub_id, name, params = msg.get("id"), msg.get("name"), msg.get("params", [])
        if not isinstance(sub_id, str) or not isinstance(name, str) or not isinstance(params, list):
            self._send_error(conn, "Malformed subscription", msg)
            return
        if name not in STREAMS:
            conn.send({"msg": "nosub", "id": sub_id, "error": meteor_error(404, f"Subscription '{name}' not found")})
            return
        if sub_id in conn.subs:
            return  # Meteor ignores a sub whose id is already active
        wait_ms = self.limiter.hit(Invocation(str(conn.session_id), conn.user_id, "subscription", name))
        if wait_ms is not None:
            conn.send({"msg": "nosub", "id": sub_id, "error": error_body(too_many_requests(wait_ms))})
            return
        params = from_ejson(params)
        event = params[0] if params else None
        options = (
            params[1] if len(params) > 1 and isinstance(params[1], dict) else {"useCollection": params[1:2] == [True]}
        )
        use_collection = options.get("useCollection") is True
        args = options["args"] if isinstance(options.get("args"), list) else []
        if not isinstance(event, str) or not event:
            conn.send({"msg": "nosub", "id": sub_id, "error": meteor_error("invalid-event-name")})
            return
        if not self._can_read(self._user(conn), name, event, args):
            conn.send({"msg": "nosub", "id": sub_id, "error": meteor_error("not-allowed")})
            return
        sub = Sub(conn, sub_id, name, event, args)
        conn.subs[sub_id] = sub
        self._index(sub)
        if use_collection:
            conn.send({"msg": "added", "collection": name, "id": "id", "fields": {"eventName": event}})
        conn.send({"msg": "ready", "subs": [sub_id]})

    def _unsub(self, conn: Connection, msg: Doc) -> None:
        sub = conn.subs.pop(msg["id"], None) if isinstance(msg.get("id"), str) else None
        if sub is not None:
            self._unindex(sub)
        conn.send({"msg": "nosub", "id": msg["id"]} if "id" in msg else {"msg": "nosub"})

    def _can_read(self, user: Doc | None, stream: str, event: str, args: list[Any]) -> bool:
        """The streams' read rules (notifications.module.ts)."""
        if stream == ROOM_MESSAGES:
            if event == MY_MESSAGES:
                return True  # allowRead('__my_messages__', 'all'); the emit rule filters per message
            room = self.store.rooms.get(event)
            if room is None or user is None:
                return False
            if self.store.can_access_room(user, room):
                return True
            return room.get("t") == "c" and self.store.has_permission(user, "preview-c-room")
        target = _split_event(event)[0]
        if stream == NOTIFY_USER:
            return user is not None and user["_id"] == target
        extra = args[0] if args and isinstance(args[0], dict) else {}
        if _js_truthy(extra.get("token")):
            room = self.store.rooms.get(target)
            return room is not None and room.get("t") == "l" and room.get("v", {}).get("token") == extra["token"]
        return user is not None and self.store.is_member(user["_id"], target)

    def _index(self, sub: Sub) -> None:
        self._streams.setdefault((sub.name, sub.event), {})[sub] = None

    def _unindex(self, sub: Sub) -> None:
        subs = self._streams.get((sub.name, sub.event))
        if subs is not None:
            subs.pop(sub, None)
            if not subs:
                del self._streams[(sub.name, sub.event)]

    # --- the store's events to subscribers (listeners.module.ts) --------------------------------------

    def _on_event(self, event: Event) -> None:
        try:
            self._fan_out(event)
        except Exception:  # never break the store operation (a REST call) that announced the change
            log.exception("DDP fan-out of %r failed", event)

    def _fan_out(self, event: Event) -> None:
        if isinstance(event, MessageChanged):
            message, room = event.message, event.room
            if message.get("private") or not message.get("rid"):
                return
            self._deliver(ROOM_MESSAGES, MY_MESSAGES, [message], meta=lambda sub: self._my_messages_meta(sub, room))
            self._deliver(ROOM_MESSAGES, message["rid"], [message])
        elif isinstance(event, MessageDeleted):
            self._deliver(NOTIFY_ROOM, f"{event.rid}/deleteMessage", [{"_id": event.mid}])
        elif isinstance(event, SubscriptionChanged):
            if event.action == "removed":
                self._leave_room_stream(event.user_id, str(event.subscription.get("rid")))
            args = [event.action, event.subscription]
            self._deliver(NOTIFY_USER, f"{event.user_id}/subscriptions-changed", args)
        elif isinstance(event, RoomChanged):
            for uid in event.user_ids:
                self._deliver(NOTIFY_USER, f"{uid}/rooms-changed", [event.action, event.room])
        elif isinstance(event, EphemeralMessage):
            self._deliver(NOTIFY_USER, f"{event.user_id}/message", [event.message])
        elif isinstance(event, UserActivity):
            name = f"{event.rid}/user-activity"
            writing = self._writing if self._writing is not None and self._writing.event == name else None
            args = writing.args if writing else [event.username, list(event.activities)]
            self._deliver(NOTIFY_ROOM, name, args, origin=writing.origin if writing else None)

    def _my_messages_meta(self, sub: Sub, room: Doc) -> Doc | None:
        """The `__my_messages__` emit rule: only for users who can access the room, with the result
        (`roomParticipant`, `roomType`, `roomName`) as the event's second argument (§1.7)."""
        user = self._user(sub.conn)
        if user is None or not self.store.can_access_room(user, room):
            return None
        meta: Doc = {"roomParticipant": self.store.is_member(user["_id"], room["_id"]), "roomType": room.get("t")}
        if room.get("name") is not None:
            meta["roomName"] = room["name"]
        return meta

    def _leave_room_stream(self, user_id: str, rid: str) -> None:
        """A user removed from a room loses their `stream-room-messages <rid>` subscriptions, silently."""
        for sub in list(self._streams.get((ROOM_MESSAGES, rid), {})):
            if sub.conn.user_id == user_id:
                self._unindex(sub)
                sub.conn.subs.pop(sub.id, None)

    def _deliver(
        self,
        stream: str,
        event: str,
        args: list[Any],
        *,
        origin: Connection | None = None,
        meta: Callable[[Sub], Doc | None] | None = None,
    ) -> None:
        """Send `changed` to every subscription of the event (each duplicate too: nothing is merged)."""
        subs = self._streams.get((stream, event))
        if not subs:
            return
        shared: str | None = None
        for sub in list(subs):
            if origin is not None and sub.conn is origin:
                continue
            if meta is not None:
                extra = meta(sub)
                if extra is not None:
                    sub.conn.send(_changed(stream, event, [*args, extra]))
                continue
            shared = shared or encode(_changed(stream, event, args))
            sub.conn.send_text(shared)


def _changed(stream: str, event: str, args: list[Any]) -> Doc:
    return {"msg": "changed", "collection": stream, "id": "id", "fields": {"eventName": event, "args": args}}


__all__ = ["Realtime", "meteor_error"]
