"""A sans-I/O codec for DDP, the JSON protocol of Rocket.Chat's realtime API: no awaits, no sockets.

Frames are built as text and received text is parsed into typed, frozen events, so the protocol can be
table-tested with strings and `realtime.py` only moves text (style-by-example.md §2, §7.2: the model is
websockets' `protocol.py`). Shapes follow rocketchat-realtime-rest.md §1:

- §1.1 every frame is EJSON: `{"$date": ms}` becomes an aware UTC datetime, `$binary` bytes, `$InfNaN`
  a float, and `$escape` protects user keys that look like those; the legacy greeting `{"server_id":"0"}`
  and the streamer's `{"msg":"server_id"}` are a Greeting to ignore.
- §1.2 `connect` offers ["1", "pre2", "pre1"]; §1.3 pings are answered echoing `id`.
- §1.4 method ids increase per session; an error is a serialised Meteor.Error, decoded into MeteorError and
  mapped into `bot.errors` by `MeteorError.to_exception` (too-many-requests carries `timeToReset` in ms).
- §1.6 `changed` on a `stream-*` collection is a StreamEvent(stream, event_name, args); §1.7 the
  `__my_messages__` args are `[message, meta]`, or `[[message], meta]` from RC 3.8-3.12 (`message_args`).

A frame that is not JSON, not an object or lacks a field its kind requires raises ProtocolError (an
InvalidResponse) naming the problem; the caller logs it and skips the frame.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.errors import (
    AuthFailed,
    BadRequest,
    InvalidResponse,
    RateLimited,
    ServerError,
    TransportError,
    TwoFactorRequired,
)

__all__ = [
    "SUPPORTED_VERSIONS",
    "Added",
    "Changed",
    "Connected",
    "Event",
    "Failed",
    "Frames",
    "Greeting",
    "Ignored",
    "MeteorError",
    "NoSub",
    "Ping",
    "Pong",
    "ProtocolError",
    "Ready",
    "Removed",
    "Result",
    "ServerErrorFrame",
    "StreamEvent",
    "Updated",
    "connect",
    "decode_ejson",
    "encode_ejson",
    "message_args",
    "parse",
    "ping",
    "pong",
    "unsub",
]

SUPPORTED_VERSIONS = ("1", "pre2", "pre1")  # Meteor's DDPCommon.SUPPORTED_DDP_VERSIONS, preferred first
DEFAULT_RETRY_AFTER_MS = 60_000  # too-many-requests without a readable timeToReset: one limiter window
_AUTH_ERRORS = {403, 401, "403", "401", "error-user-is-not-activated"}  # the login's refusals (§1.5)


class ProtocolError(InvalidResponse):
    """A frame that is not DDP as Rocket.Chat documents it."""


# --- EJSON (§1.1) ------------------------------------------------------------------------------------


def decode_ejson(value: Any) -> Any:
    """JSON value -> Python: `$date` -> aware datetime, `$binary` -> bytes, `$InfNaN` -> float, `$escape`
    -> its object with the keys taken literally. Other `$` forms (custom `$type`) stay as they are."""
    if isinstance(value, list):
        return [decode_ejson(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key == "$escape" and isinstance(inner, dict):
            return {k: decode_ejson(v) for k, v in inner.items()}
        typed = _typed(key, inner)
        if typed is not _PLAIN:
            return typed
    return {k: decode_ejson(v) for k, v in value.items()}


_PLAIN = object()  # `_typed`'s answer for an object that is no EJSON type


def _typed(key: str, inner: Any) -> Any:
    """The value of a one-key object `{key: inner}` that is an EJSON type (inner already decoded), or _PLAIN."""
    if key == "$date":
        return _date(inner)
    if key == "$binary":
        try:
            return base64.b64decode(str(inner), validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolError("a $binary value is not base64") from None
    if key == "$InfNaN":
        if inner not in (0, 1, -1) or isinstance(inner, bool):
            raise ProtocolError(f"an $InfNaN must be 0, 1 or -1, got {inner!r}")
        return math.nan if inner == 0 else math.copysign(math.inf, inner)
    return _PLAIN


def _object_hook(obj: dict[str, Any]) -> Any:
    """`json.loads`' hook, called bottom-up on each object as it is read: EJSON decoding without a second walk
    over the frame (a reply's frame carries its whole parsed-markdown tree). Not for `$escape`, whose inner keys
    must stay literal: frames that name it go through `decode_ejson`."""
    if len(obj) == 1:
        ((key, inner),) = obj.items()
        typed = _typed(key, inner)
        if typed is not _PLAIN:
            return typed
    return obj


def _date(ms: Any) -> datetime:
    if isinstance(ms, bool) or not isinstance(ms, (int, float)):
        raise ProtocolError(f"a $date must be epoch milliseconds, got {ms!r}")
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ProtocolError(f"a $date is out of range: {ms!r}") from None


def _looks_typed(obj: Mapping[str, Any]) -> bool:
    """Keys the decoder would read as an EJSON type, so a plain object with them must be escaped."""
    keys = set(obj)
    return (len(keys) == 1 and keys <= {"$date", "$binary", "$InfNaN", "$escape"}) or keys in (
        {"$type", "$value"},
        {"$regexp", "$flags"},
    )


def encode_ejson(value: Any) -> Any:
    """Python -> JSON value, the inverse of `decode_ejson` (datetimes must be aware)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes cannot go on the wire; attach a time zone")
        return {"$date": round(value.timestamp() * 1000)}
    if isinstance(value, (bytes, bytearray)):
        return {"$binary": base64.b64encode(value).decode("ascii")}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$InfNaN": 0 if math.isnan(value) else int(math.copysign(1, value))}
    if isinstance(value, Mapping):
        encoded = {str(k): encode_ejson(v) for k, v in value.items()}
        return {"$escape": encoded} if _looks_typed(encoded) else encoded
    if isinstance(value, (list, tuple)):
        return [encode_ejson(item) for item in value]
    return value


def _dump(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


# --- frames out ------------------------------------------------------------------------------------------


def connect(version: str = SUPPORTED_VERSIONS[0], support: tuple[str, ...] = SUPPORTED_VERSIONS) -> str:
    return _dump({"msg": "connect", "version": version, "support": list(support)})


def ping(ping_id: str | None = None) -> str:
    return _dump({"msg": "ping"} if ping_id is None else {"msg": "ping", "id": ping_id})


def pong(ping_id: str | None = None) -> str:
    """The answer to a server ping, echoing its id when it had one (§1.3)."""
    return _dump({"msg": "pong"} if ping_id is None else {"msg": "pong", "id": ping_id})


def unsub(sub_id: str) -> str:
    return _dump({"msg": "unsub", "id": sub_id})


class Frames:
    """Builds the frames that need ids for one session: ids increase and are never reused, and `prefix`
    (one per connection) keeps them distinct from an earlier session's, so late answers cannot match."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._counter = 0

    def next_id(self) -> str:
        self._counter += 1
        return f"{self.prefix}{self._counter}"

    def method(self, name: str, params: list[Any]) -> tuple[str, str]:
        """Return (id, frame) for a method call; the result arrives as Result(id)."""
        method_id = self.next_id()
        frame = {"msg": "method", "id": method_id, "method": name, "params": encode_ejson(params)}
        return method_id, _dump(frame)

    def sub(self, name: str, params: list[Any]) -> tuple[str, str]:
        """Return (id, frame) for a subscription; it is confirmed by Ready([id]) or refused by NoSub(id)."""
        sub_id = self.next_id()
        return sub_id, _dump({"msg": "sub", "id": sub_id, "name": name, "params": encode_ejson(params)})


# --- events in ---------------------------------------------------------------------------------------------


class Event:
    """Base of everything `parse` returns."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class MeteorError:
    """A serialised Meteor.Error (§1.4): `error` is a code string or number."""

    error: str | int
    reason: str | None = None
    details: Any = None
    error_type: str | None = None

    @classmethod
    def from_wire(cls, value: Any) -> MeteorError:
        if not isinstance(value, Mapping) or isinstance(value.get("error"), bool):
            raise ProtocolError(f"an error is not a Meteor.Error object: {value!r:.200}")
        code = value.get("error")
        if not isinstance(code, (str, int)):
            raise ProtocolError(f"a Meteor.Error has no error code: {value!r:.200}")
        reason, kind = value.get("reason"), value.get("errorType")
        return cls(code, reason if isinstance(reason, str) else None, value.get("details"), _str_or_none(kind))

    def describe(self) -> str:
        return f"{self.reason} [{self.error}]" if self.reason else f"[{self.error}]"

    def to_exception(self, context: str) -> TransportError:
        """Map into bot.errors; `context` (e.g. "method login") starts the message. Never includes params."""
        text = f"{context} failed: {self.describe()}"
        if self.error == "too-many-requests":
            details = self.details if isinstance(self.details, Mapping) else {}
            wait = details.get("timeToReset")
            wait_ms = wait if isinstance(wait, (int, float)) and not isinstance(wait, bool) else DEFAULT_RETRY_AFTER_MS
            return RateLimited(text, retry_after=wait_ms / 1000)
        if self.error == "totp-required":
            return TwoFactorRequired(f"{text}; use a Personal Access Token, which is not subject to 2FA")
        if self.error in _AUTH_ERRORS:
            return AuthFailed(text)
        if self.error in (500, "500"):
            return ServerError(text)
        return BadRequest(text, error=self.error, error_type=self.error_type)


@dataclass(frozen=True, slots=True)
class Greeting(Event):
    """`{"server_id":"0"}` or `{"msg":"server_id"}` on socket open: ignore."""


@dataclass(frozen=True, slots=True)
class Connected(Event):
    session: str


@dataclass(frozen=True, slots=True)
class Failed(Event):
    """The server wants another protocol version; it closes the socket."""

    version: str | None


@dataclass(frozen=True, slots=True)
class Ping(Event):
    id: str | None


@dataclass(frozen=True, slots=True)
class Pong(Event):
    id: str | None


@dataclass(frozen=True, slots=True)
class Result(Event):
    id: str
    result: Any = None
    error: MeteorError | None = None


@dataclass(frozen=True, slots=True)
class Updated(Event):
    methods: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ready(Event):
    subs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NoSub(Event):
    """A subscription ended: refused (with `error`) or answered to `unsub` (without)."""

    id: str | None
    error: MeteorError | None = None


@dataclass(frozen=True, slots=True)
class Added(Event):
    collection: str
    id: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Changed(Event):
    collection: str
    id: str
    fields: Mapping[str, Any]
    cleared: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Removed(Event):
    collection: str
    id: str


@dataclass(frozen=True, slots=True)
class StreamEvent(Event):
    """`changed` on a `stream-*` collection: one event of a Rocket.Chat stream (§1.6)."""

    stream: str
    event_name: str
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ServerErrorFrame(Event):
    """`{"msg":"error"}`: the server could not process one of our frames (e.g. "Must connect first")."""

    reason: str
    offending: Any = None


@dataclass(frozen=True, slots=True)
class Ignored(Event):
    """A valid frame the bot has no use for (`addedBefore`, `movedBefore`, unknown kinds)."""

    kind: str


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _need_str(frame: Mapping[str, Any], key: str) -> str:
    value = frame.get(key)
    if not isinstance(value, str):
        raise ProtocolError(f"a {frame.get('msg')!r} frame needs a string {key!r}")
    return value


def _str_tuple(frame: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = frame.get(key)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ProtocolError(f"a {frame.get('msg')!r} frame needs a list of strings in {key!r}")
    return tuple(value)


def _fields(frame: Mapping[str, Any]) -> Mapping[str, Any]:
    fields = frame.get("fields", {})
    if not isinstance(fields, Mapping):
        raise ProtocolError(f"a {frame.get('msg')!r} frame has non-object fields")
    return fields


def parse(text: str | bytes) -> Event:
    """Parse one received frame; raise ProtocolError when it is not valid DDP."""
    escaped = ('"$escape"' in text) if isinstance(text, str) else (b'"$escape"' in text)
    try:
        raw = json.loads(text) if escaped else json.loads(text, object_hook=_object_hook)
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError(f"a frame is not JSON: {text!r:.200}") from None
    if not isinstance(raw, dict):
        raise ProtocolError(f"a frame is not a JSON object: {text!r:.200}")
    frame = decode_ejson(raw) if escaped else raw
    kind = frame.get("msg")
    if (kind is None and "server_id" in frame) or kind == "server_id":
        return Greeting()
    if not isinstance(kind, str):
        raise ProtocolError(f"a frame has no 'msg': {text!r:.200}")
    if kind == "connected":
        return Connected(_need_str(frame, "session"))
    if kind == "failed":
        return Failed(_str_or_none(frame.get("version")))
    if kind in ("ping", "pong"):
        ping_id = frame.get("id")
        if ping_id is not None and not isinstance(ping_id, str):
            raise ProtocolError(f"a {kind} id must be a string, got {ping_id!r}")
        return Ping(ping_id) if kind == "ping" else Pong(ping_id)
    if kind == "result":
        error = MeteorError.from_wire(frame["error"]) if frame.get("error") is not None else None
        return Result(_need_str(frame, "id"), frame.get("result"), error)
    if kind == "updated":
        return Updated(_str_tuple(frame, "methods"))
    if kind == "ready":
        return Ready(_str_tuple(frame, "subs"))
    if kind == "nosub":
        error = MeteorError.from_wire(frame["error"]) if frame.get("error") is not None else None
        return NoSub(_str_or_none(frame.get("id")), error)
    if kind in ("added", "changed", "removed"):
        collection, doc_id = _need_str(frame, "collection"), _need_str(frame, "id")
        if kind == "removed":
            return Removed(collection, doc_id)
        fields = _fields(frame)
        if kind == "added":
            return Added(collection, doc_id, fields)
        if collection.startswith("stream-"):
            name, args = fields.get("eventName"), fields.get("args")
            if not isinstance(name, str) or not isinstance(args, list):
                raise ProtocolError(f"a {collection} event lacks eventName or args: {text!r:.200}")
            return StreamEvent(collection, name, tuple(args))
        cleared = frame.get("cleared", [])
        return Changed(collection, doc_id, fields, tuple(cleared) if isinstance(cleared, list) else ())
    if kind == "error":
        reason = frame.get("reason")
        return ServerErrorFrame(reason if isinstance(reason, str) else "(no reason)", frame.get("offendingMessage"))
    return Ignored(kind)


def message_args(args: tuple[Any, ...] | list[Any]) -> tuple[Mapping[str, Any], Mapping[str, Any] | None]:
    """The (message, meta) of a `__my_messages__` event: `[message, meta]`, or the RC 3.8-3.12 form
    `[[message], meta]` unwrapped (§1.7). Raise ProtocolError when there is no message document."""
    if not args:
        raise ProtocolError("a message event has no arguments")
    message = args[0]
    if isinstance(message, list) and len(message) == 1:
        message = message[0]
    if not isinstance(message, Mapping):
        raise ProtocolError(f"a message event's first argument is not a message: {message!r:.200}")
    meta = args[1] if len(args) > 1 and isinstance(args[1], Mapping) else None
    return message, meta
