"""DDP over WebSocket at `/websocket`: Meteor's ddp-server and Rocket.Chat's streams, in process.

What a client sees is fixed by rocketchat-realtime-rest.md §1 (greeting, handshake, heartbeat, methods,
login, subscriptions, the three streams, the rate limiter); details the reference leaves open follow
Meteor's `ddp-server/livedata_server.js` and RC's `streamer.module.ts`, `notifications.module.ts` and
`listeners.module.ts`. This module is the endpoint: sessions, frame dispatch, subscriptions and the
store's event fan-out. The wire (frames, one socket's queue and heartbeat) is in `ddp_connection.py`,
the methods (login, sendMessage, stream writes) in `ddp_methods.py`. As in Meteor, a session is closed
when the login token it used is revoked (logout elsewhere, REST logout, the sandbox's revoke control).

Test controls: `drop_all()` ends every socket without a close frame (the client sees 1006, like a
dropped link), `freeze_all()` silences the open sockets, `accepting = False` refuses new ones (503).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket

from .ddp_connection import (
    CLOSE_NORMAL,
    MY_MESSAGES,
    NOTIFY_ROOM,
    NOTIFY_USER,
    ROOM_MESSAGES,
    STREAMS,
    SUPPORTED_VERSIONS,
    Connection,
    Sub,
    changed,
    ejson_ok,
    encode,
    error_body,
    js_truthy,
    meteor_error,
    new_session_id,
    split_event,
)
from .ddp_limits import DdpRateLimiter, Invocation, too_many_requests
from .ddp_methods import DdpMethods, StreamWrite
from .ejson import from_ejson
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
    TokenRevoked,
    UserActivity,
)

log = logging.getLogger(__name__)


class Realtime(DdpMethods):
    """The DDP endpoint over a Store: sessions, methods, publications, and the store's event fan-out."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.accepting = True
        self.limiter = DdpRateLimiter(store)
        self._connections: set[Connection] = set()
        self._streams: dict[tuple[str, str], dict[Sub, None]] = {}  # (stream, eventName) -> subs in order
        self._writing: StreamWrite | None = None
        self._methods = self.method_handlers()
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

    def _close_sessions_with(self, token: str) -> None:
        """Meteor's login-token observer: a session whose login token is removed ends now and its socket
        closes (1000); a later resume with the token fails with 403 "You've been logged out by the server"."""
        for conn in list(self._connections):
            if conn.token is not None and conn.token.token == token:
                conn.token = None
                self._end_session(conn)
                conn.close(*CLOSE_NORMAL)

    # --- incoming frames (livedata_server.js: stream_server data handler, processMessage) ----------------

    def on_frame(self, conn: Connection, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None  # parseDDP discards invalid JSON: "Bad request" below, without the message
        if not isinstance(msg, (dict, list)):
            msg = None
        if isinstance(msg, dict) and not all(ejson_ok(msg.get(key)) for key in ("params", "fields", "result")):
            conn.send({"msg": "error", "reason": "Parse error"})  # parseDDP threw: no offendingMessage
            return
        if not isinstance(msg, dict) or not js_truthy(msg.get("msg")):
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
        target = split_event(event)[0]
        if stream == NOTIFY_USER:
            return user is not None and user["_id"] == target
        extra = args[0] if args and isinstance(args[0], dict) else {}
        if js_truthy(extra.get("token")):
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
        elif isinstance(event, TokenRevoked):
            self._close_sessions_with(event.token)

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
                    sub.conn.send(changed(stream, event, [*args, extra]))
                continue
            shared = shared or encode(changed(stream, event, args))
            sub.conn.send_text(shared)


__all__ = ["Realtime", "meteor_error"]
