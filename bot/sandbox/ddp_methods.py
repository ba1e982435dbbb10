"""The DDP methods the sandbox answers (rocketchat-realtime-rest.md §1.4, §1.5, §1.9, §1.12).

`login` (password, TOTP-wrapped password, resume token or PAT), `logout`, `sendMessage`, and the
stream write methods (`stream-notify-user`, `stream-notify-room` typing). They follow Meteor's
`accounts-base`/`accounts-password` and Rocket.Chat's `sendMessage.ts` and `notifications.module.ts`.
Kept apart from `realtime.py`, which invokes them: `Realtime` inherits `DdpMethods` and provides the
session and fan-out pieces declared at the top of the class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .ddp_connection import NOTIFY_ROOM, NOTIFY_USER, ROOM_MESSAGES, Connection, js_truthy, match_failed, split_event
from .store import Doc, MeteorError, Store, Token, UserActivity

MethodHandler = Callable[[Connection, list[Any]], Any]

EPHEMERAL_TEXT = {"error-invalid-room": "Invalid room", "error-not-allowed": "Not allowed"}  # en i18n
# `check(message, {...})` of the sendMessage method (§1.12): these keys only, each optional.
SEND_MESSAGE_PATTERN: dict[str, type] = {
    **dict.fromkeys(("_id", "rid", "msg", "tmid", "t", "e2e"), str),
    **dict.fromkeys(("tshow", "groupable", "sentByEmail"), bool),
    **dict.fromkeys(("bot", "content", "e2eMentions", "customFields", "federation"), dict),
    "ts": datetime,
}


@dataclass(frozen=True)
class StreamWrite:
    """A stream write in progress: its events skip the writer's own connection (retransmitToSelf: false)."""

    origin: Connection
    event: str
    args: list[Any]


class DdpMethods:
    """The method handlers, mixed into `Realtime`; `method_handlers()` maps DDP method names to them."""

    store: Store
    _writing: StreamWrite | None

    if TYPE_CHECKING:  # provided by Realtime

        def _set_user(self, conn: Connection, user_id: str | None) -> None: ...

        def _deliver(self, stream: str, event: str, args: list[Any], *, origin: Connection | None = None) -> None: ...

    def method_handlers(self) -> dict[str, MethodHandler]:
        return {
            "login": self._login,
            "logout": self._logout,
            "sendMessage": self._send_message,
            ROOM_MESSAGES: lambda conn, params: None,  # allowWrite('none'): nothing happens
            NOTIFY_USER: self._notify_user_write,
            NOTIFY_ROOM: self._notify_room_write,
        }

    def _user(self, conn: Connection) -> Doc | None:
        return self.store.users.get(conn.user_id) if conn.user_id else None

    # --- login, logout (§1.5) ----------------------------------------------------------------------

    def _login(self, conn: Connection, params: list[Any]) -> Doc:
        """`login` (§1.5): password (digest or plain) or resume token/PAT; `totp` wraps a password login."""
        if not params or not isinstance(params[0], dict):
            raise match_failed()
        options: Doc = params[0]
        code: Any = None
        token: Token | None
        totp = options.get("totp")
        if isinstance(totp, dict) and js_truthy(totp.get("code")):
            code, inner = totp["code"], totp.get("login")
            options = inner if isinstance(inner, dict) else {}
        if js_truthy(options.get("resume")):
            if not isinstance(options["resume"], str):
                raise match_failed()
            user, token = self.store.resolve_token(options["resume"])
            kind = "resume"
        elif js_truthy(options.get("password")):
            user = self._password_user(options)
            if user.get("services", {}).get("totp", {}).get("enabled") and not js_truthy(code):
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
        without a user. Like the sandbox's REST `logout`, a personal access token is kept. The token
        is detached from this connection first, so only other sessions using it are closed."""
        token, conn.token = conn.token, None
        if token is not None and token.kind == "resume":
            self.store.revoke_token(token.token)
        self._set_user(conn, None)

    # --- sendMessage (§1.12) -----------------------------------------------------------------------

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

    # --- stream writes (§1.9) ----------------------------------------------------------------------

    def _notify_user_write(self, conn: Connection, params: list[Any]) -> None:
        """The `stream-notify-user` method: any logged-in caller may emit (RC's allowWrite)."""
        event, args = self._stream_params(params)
        if conn.user_id is not None:
            self._deliver(NOTIFY_USER, event, args, origin=conn)

    def _notify_room_write(self, conn: Connection, params: list[Any]) -> None:
        """The `stream-notify-room` method (§1.9): `user-activity` (and the deprecated `typing`) only
        under the caller's own username; a refused write is an empty result, not an error."""
        event, args = self._stream_params(params)
        rid, kind = split_event(event)
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
        self._writing = StreamWrite(conn, f"{rid}/user-activity", wire)
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
        if isinstance(extra, dict) and js_truthy(extra.get("token")):  # the livechat widget's visitor
            room = self.store.rooms.get(rid)
            return room is not None and room.get("t") == "l" and room.get("v", {}).get("token") == extra["token"]
        user = self._user(conn)
        key = "name" if self.store.settings.get("UI_Use_Real_Name") else "username"
        return user is not None and user.get(key) == username
