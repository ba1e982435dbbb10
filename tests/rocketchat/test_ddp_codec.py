"""The sans-I/O DDP codec (and the pure reconnect policy) as tables of strings: frames out, events in.

Wire shapes are those of rocketchat-realtime-rest.md §1; the sample message is the RC 3.8 example of §1.7.
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import (
    AuthFailed,
    BadRequest,
    ConfigError,
    ConnectionLost,
    Forbidden,
    InvalidResponse,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
    TwoFactorRequired,
)
from bot.rocketchat import ddp
from bot.rocketchat.backoff import backoff, is_retryable
from bot.rocketchat.models import IncomingMessage

TS = datetime(2020, 11, 17, 17, 11, 20, 313000, tzinfo=UTC)  # {"$date": 1605633080313}
RC38 = (
    '{"_id":"84YMDeXmEA6WE4hyc","rid":"RQg5HEbuAeQcK34y7upapMwRTXwpLvntWJ","msg":"a","ts":{"$date":1605633080313},'
    '"u":{"_id":"RQg5HEbuAeQcK34y7","username":"felipe.tomm","name":"Felipe Tomm"},"unread":true,'
    '"_updatedAt":{"$date":1605633080431},"mentions":[],"channels":[]}'
)
META = '{"roomParticipant":true,"roomType":"d"}'
RATE_LIMIT = (
    '{"isClientSafe":true,"error":"too-many-requests","reason":"Error, too many requests. Please slow down. '
    'You must wait 54 seconds before trying again.","details":{"timeToReset":53975},'
    '"message":"... [too-many-requests]","errorType":"Meteor.Error"}'
)


def my_messages(args: str) -> str:
    return (
        '{"msg":"changed","collection":"stream-room-messages","id":"id",'
        f'"fields":{{"eventName":"__my_messages__","args":{args}}}}}'
    )


# --- frames out ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "text"),
    [
        (ddp.connect(), '{"msg":"connect","version":"1","support":["1","pre2","pre1"]}'),
        (ddp.connect("pre2", ("pre2", "pre1")), '{"msg":"connect","version":"pre2","support":["pre2","pre1"]}'),
        (ddp.ping(), '{"msg":"ping"}'),
        (ddp.ping("3.9"), '{"msg":"ping","id":"3.9"}'),
        (ddp.pong(), '{"msg":"pong"}'),
        (ddp.pong("x"), '{"msg":"pong","id":"x"}'),
        (ddp.unsub("2.4"), '{"msg":"unsub","id":"2.4"}'),
    ],
)
def test_fixed_frames(frame: str, text: str) -> None:
    assert frame == text


def test_ids_increase_per_session_and_differ_between_sessions() -> None:
    first = ddp.Frames(prefix="1.")
    assert first.method("login", [{"resume": "tok"}]) == (
        "1.1",
        '{"msg":"method","id":"1.1","method":"login","params":[{"resume":"tok"}]}',
    )
    assert first.sub("stream-room-messages", ["__my_messages__", {"useCollection": False, "args": []}]) == (
        "1.2",
        '{"msg":"sub","id":"1.2","name":"stream-room-messages",'
        '"params":["__my_messages__",{"useCollection":false,"args":[]}]}',
    )
    assert first.next_id() == "1.3"
    second = ddp.Frames(prefix="2.")
    assert second.method("x", [])[0] == "2.1"
    assert ddp.Frames().method("x", []) == ("1", '{"msg":"method","id":"1","method":"x","params":[]}')


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (TS, {"$date": 1605633080313}),
        ({"ts": TS, "list": [TS]}, {"ts": {"$date": 1605633080313}, "list": [{"$date": 1605633080313}]}),
        (b"hi", {"$binary": "aGk="}),
        (math.inf, {"$InfNaN": 1}),
        (-math.inf, {"$InfNaN": -1}),
        ({"$date": 5}, {"$escape": {"$date": 5}}),  # a user key that looks like EJSON is escaped
        ({"$type": "t", "$value": 1}, {"$escape": {"$type": "t", "$value": 1}}),
        ({"$date": 5, "other": 1}, {"$date": 5, "other": 1}),  # not a type form: left as it is
        (("a", 1, None, True), ["a", 1, None, True]),
    ],
)
def test_encode_ejson(value: Any, wire: Any) -> None:
    assert ddp.encode_ejson(value) == wire
    decoded = ddp.decode_ejson(wire)
    assert decoded == (list(value) if isinstance(value, tuple) else value)


def test_encode_refuses_naive_datetimes_and_nan_survives() -> None:
    with pytest.raises(ValueError, match="naive"):
        ddp.encode_ejson(datetime(2024, 1, 1))  # noqa: DTZ001 - the point of the test
    assert ddp.encode_ejson(math.nan) == {"$InfNaN": 0}
    assert math.isnan(ddp.decode_ejson({"$InfNaN": 0}))


# --- events in -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "event"),
    [
        ('{"server_id":"0"}', ddp.Greeting()),
        ('{"msg":"server_id","server_id":"0"}', ddp.Greeting()),
        ('{"msg":"connected","session":"Fh7uzQqgKJt4dKF5b"}', ddp.Connected("Fh7uzQqgKJt4dKF5b")),
        ('{"msg":"failed","version":"1"}', ddp.Failed("1")),
        ('{"msg":"ping"}', ddp.Ping(None)),
        ('{"msg":"ping","id":"7"}', ddp.Ping("7")),
        ('{"msg":"pong","id":"1.5"}', ddp.Pong("1.5")),
        ('{"msg":"result","id":"1.2"}', ddp.Result("1.2")),
        (
            '{"msg":"result","id":"42","result":{"id":"u-bot","token":"t","tokenExpires":{"$date":1605633080313},'
            '"type":"resume"}}',
            ddp.Result("42", {"id": "u-bot", "token": "t", "tokenExpires": TS, "type": "resume"}),
        ),
        (
            f'{{"msg":"result","id":"9","error":{RATE_LIMIT}}}',
            ddp.Result(
                "9",
                None,
                ddp.MeteorError(
                    "too-many-requests",
                    "Error, too many requests. Please slow down. You must wait 54 seconds before trying again.",
                    {"timeToReset": 53975},
                    "Meteor.Error",
                ),
            ),
        ),
        (
            '{"msg":"result","id":"3","error":{"error":404,"reason":"Method \'x\' not found"}}',
            ddp.Result("3", None, ddp.MeteorError(404, "Method 'x' not found")),
        ),
        ('{"msg":"updated","methods":["1.2","1.3"]}', ddp.Updated(("1.2", "1.3"))),
        ('{"msg":"ready","subs":["1.3","1.4"]}', ddp.Ready(("1.3", "1.4"))),
        ('{"msg":"nosub","id":"1.3"}', ddp.NoSub("1.3")),
        ('{"msg":"nosub"}', ddp.NoSub(None)),
        (
            '{"msg":"nosub","id":"1.4","error":{"isClientSafe":true,"error":"not-allowed","message":"[not-allowed]",'
            '"errorType":"Meteor.Error"}}',
            ddp.NoSub("1.4", ddp.MeteorError("not-allowed", None, None, "Meteor.Error")),
        ),
        (
            '{"msg":"added","collection":"users","id":"u-bot","fields":{"username":"analytics-bot"}}',
            ddp.Added("users", "u-bot", {"username": "analytics-bot"}),
        ),
        ('{"msg":"added","collection":"users","id":"u-bot"}', ddp.Added("users", "u-bot", {})),
        (
            '{"msg":"changed","collection":"users","id":"u-bot","fields":{"status":"online"},"cleared":["name"]}',
            ddp.Changed("users", "u-bot", {"status": "online"}, ("name",)),
        ),
        ('{"msg":"removed","collection":"users","id":"u-bot"}', ddp.Removed("users", "u-bot")),
        (
            my_messages(f"[{RC38},{META}]"),
            ddp.StreamEvent(
                "stream-room-messages",
                "__my_messages__",
                (
                    {
                        "_id": "84YMDeXmEA6WE4hyc",
                        "rid": "RQg5HEbuAeQcK34y7upapMwRTXwpLvntWJ",
                        "msg": "a",
                        "ts": TS,
                        "u": {"_id": "RQg5HEbuAeQcK34y7", "username": "felipe.tomm", "name": "Felipe Tomm"},
                        "unread": True,
                        "_updatedAt": datetime(2020, 11, 17, 17, 11, 20, 431000, tzinfo=UTC),
                        "mentions": [],
                        "channels": [],
                    },
                    {"roomParticipant": True, "roomType": "d"},
                ),
            ),
        ),
        (
            '{"msg":"changed","collection":"stream-notify-user","id":"id",'
            '"fields":{"eventName":"u-bot/rooms-changed","args":["updated",{"_id":"GENERAL"}]}}',
            ddp.StreamEvent("stream-notify-user", "u-bot/rooms-changed", ("updated", {"_id": "GENERAL"})),
        ),
        (
            '{"msg":"error","reason":"Must connect first","offendingMessage":{"msg":"ping"}}',
            ddp.ServerErrorFrame("Must connect first", {"msg": "ping"}),
        ),
        ('{"msg":"error","reason":"Parse error"}', ddp.ServerErrorFrame("Parse error")),
        ('{"msg":"addedBefore","collection":"c","id":"1","fields":{},"before":null}', ddp.Ignored("addedBefore")),
        ('{"msg":"something-new"}', ddp.Ignored("something-new")),
    ],
)
def test_parse(text: str, event: ddp.Event) -> None:
    assert ddp.parse(text) == event
    assert ddp.parse(text.encode()) == event  # a binary frame carrying the same text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        ("[1,2]", "not a JSON object"),
        ('"connected"', "not a JSON object"),
        ("{}", "no 'msg'"),
        ('{"msg":1}', "no 'msg'"),
        ('{"msg":"connected"}', "string 'session'"),
        ('{"msg":"result"}', "string 'id'"),
        ('{"msg":"result","id":5}', "string 'id'"),
        ('{"msg":"result","id":"1","error":"boom"}', "not a Meteor.Error"),
        ('{"msg":"result","id":"1","error":{"reason":"no code"}}', "no error code"),
        ('{"msg":"ready","subs":"1"}', "list of strings in 'subs'"),
        ('{"msg":"updated","methods":[1]}', "list of strings in 'methods'"),
        ('{"msg":"ping","id":5}', "ping id must be a string"),
        ('{"msg":"added","collection":"users"}', "string 'id'"),
        ('{"msg":"changed","collection":"users","id":"u","fields":[]}', "non-object fields"),
        ('{"msg":"changed","collection":"stream-x","id":"id","fields":{"eventName":"e"}}', "lacks eventName or args"),
        ('{"msg":"changed","collection":"stream-x","id":"id","fields":{"args":[]}}', "lacks eventName or args"),
        ('{"msg":"result","id":"1","result":{"$date":"yesterday"}}', "epoch milliseconds"),
        ('{"msg":"result","id":"1","result":{"$date":1e20}}', "out of range"),
        ('{"msg":"result","id":"1","result":{"$binary":"!!"}}', "not base64"),
        ('{"msg":"result","id":"1","result":{"$InfNaN":2}}', "0, 1 or -1"),
    ],
)
def test_malformed_frames_raise_a_protocol_error(text: str | bytes, problem: str) -> None:
    with pytest.raises(ddp.ProtocolError, match=problem) as caught:
        ddp.parse(text)
    assert isinstance(caught.value, InvalidResponse)


@pytest.mark.parametrize(
    ("wire", "value"),
    [
        ({"$date": 1605633080313}, TS),
        ({"$date": 0}, datetime(1970, 1, 1, tzinfo=UTC)),
        ({"$date": -1000}, datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ({"a": [{"b": {"$date": 1605633080313}}]}, {"a": [{"b": TS}]}),
        ({"$escape": {"$date": 5, "x": {"$date": 0}}}, {"$date": 5, "x": datetime(1970, 1, 1, tzinfo=UTC)}),
        ({"$binary": "aGk="}, b"hi"),
        ({"$InfNaN": -1}, -math.inf),
        ({"$type": "oid", "$value": "abc"}, {"$type": "oid", "$value": "abc"}),  # no custom types: kept as is
        ({"$regexp": "a+", "$flags": "i"}, {"$regexp": "a+", "$flags": "i"}),
    ],
)
def test_decode_ejson(wire: Any, value: Any) -> None:
    decoded = ddp.decode_ejson(wire)
    assert decoded == value
    if isinstance(value, datetime):
        assert decoded.tzinfo is UTC
    # A received frame decodes the same way, whichever path parse() takes ($escape or not), str or bytes.
    for text in (json.dumps({"msg": "result", "id": "1", "result": wire}), json.dumps({"msg": "result", "id": "1",
                 "result": [wire, {"nested": wire}]}).encode()):  # fmt: skip
        result = ddp.parse(text)
        assert isinstance(result, ddp.Result)
        expected = value if isinstance(text, str) else [value, {"nested": value}]
        assert result.result == expected


# --- Meteor errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind", "text"),
    [
        (
            ddp.MeteorError("too-many-requests", "Error, too many requests.", {"timeToReset": 53975}),
            RateLimited,
            "method x failed: Error, too many requests. [too-many-requests]",
        ),
        (ddp.MeteorError(403, "User not found"), AuthFailed, "method x failed: User not found [403]"),
        (
            ddp.MeteorError(403, "You've been logged out by the server. Please log in again."),
            AuthFailed,
            "method x failed: You've been logged out by the server. Please log in again. [403]",
        ),
        (ddp.MeteorError("error-user-is-not-activated", "User is not activated"), AuthFailed, "not activated"),
        (ddp.MeteorError("totp-required", "TOTP Required"), TwoFactorRequired, "Personal Access Token"),
        (ddp.MeteorError(404, "Method 'x' not found"), BadRequest, "method x failed: Method 'x' not found [404]"),
        (ddp.MeteorError(500, "Internal server error"), ServerError, "Internal server error [500]"),
        (ddp.MeteorError("not-allowed"), BadRequest, "method x failed: [not-allowed]"),
    ],
)
def test_meteor_errors_map_into_the_bot_errors(error: ddp.MeteorError, kind: type[Exception], text: str) -> None:
    exc = error.to_exception("method x")
    assert type(exc) is kind
    assert text in str(exc)


def test_rate_limit_and_bad_request_details() -> None:
    limited = ddp.MeteorError("too-many-requests", "slow down", {"timeToReset": 53975}).to_exception("sub")
    assert isinstance(limited, RateLimited) and limited.retry_after == pytest.approx(53.975)
    unknown = ddp.MeteorError("too-many-requests", "slow down").to_exception("sub")
    assert isinstance(unknown, RateLimited) and unknown.retry_after == 60
    bad = ddp.MeteorError("error-not-allowed", "Not allowed", None, "Meteor.Error").to_exception("method sendMessage")
    assert isinstance(bad, BadRequest) and (bad.error, bad.error_type) == ("error-not-allowed", "Meteor.Error")


# --- __my_messages__ arguments (§1.7) --------------------------------------------------------------------------


def _event(args: str) -> ddp.StreamEvent:
    event = ddp.parse(my_messages(args))
    assert isinstance(event, ddp.StreamEvent)
    return event


@pytest.mark.parametrize("args", [f"[{RC38},{META}]", f"[[{RC38}],{META}]"], ids=["current", "legacy-3.8"])
def test_message_args_current_and_legacy_forms(args: str) -> None:
    document, meta = ddp.message_args(_event(args).args)
    message = IncomingMessage.from_document(document, meta)
    assert (message.id, message.text, message.sender_username, message.ts) == (
        "84YMDeXmEA6WE4hyc",
        "a",
        "felipe.tomm",
        TS,
    )
    assert (message.room_type, message.room_participant) == ("d", True)


def test_message_args_without_meta() -> None:
    document, meta = ddp.message_args(_event(f"[{RC38}]").args)
    assert document["_id"] == "84YMDeXmEA6WE4hyc" and meta is None


@pytest.mark.parametrize("args", ["[]", '["text"]', f"[[{RC38},{RC38}],{META}]", "[null]"])
def test_message_args_without_a_message(args: str) -> None:
    with pytest.raises(ddp.ProtocolError):
        ddp.message_args(_event(args).args)


# --- the reconnect policy ------------------------------------------------------------------------------------


class _Highest(random.Random):
    """Always the top of the range, to read the bounds of the jitter."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_bounds_grow_to_the_cap() -> None:
    delays = backoff(rng=_Highest())
    assert [next(delays) for _ in range(9)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_backoff_is_full_jitter_within_the_bounds() -> None:
    delays = backoff(base=0.5, cap=30.0, rng=random.Random(7))
    values = [next(delays) for _ in range(200)]
    bounds = [min(30.0, 0.5 * 2**n) for n in range(200)]
    assert all(0.0 <= value <= bound for value, bound in zip(values, bounds, strict=True))
    assert len(set(values)) == len(values)  # jittered, not a fixed ladder
    again = backoff(base=0.5, cap=30.0, rng=random.Random(7))
    assert [next(again) for _ in range(200)] == values  # a seeded source gives reproducible delays


@pytest.mark.parametrize("options", [{"base": 0}, {"base": 2, "cap": 1}, {"factor": 0.5}])
def test_backoff_refuses_nonsense(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        next(backoff(**options))


@pytest.mark.parametrize(
    ("exc", "retry"),
    [
        (ConnectionLost("dropped"), True),
        (RequestTimeout("slow"), True),
        (RateLimited("slow down", 5), True),
        (ServerError("503"), True),
        (BadRequest("subscription refused", error="not-allowed"), True),
        (Forbidden("no permission"), True),
        (InvalidResponse("garbled"), True),
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
        (AuthFailed("revoked"), False),
        (TwoFactorRequired("totp"), False),
        (ConfigError("bad url"), False),
        (TransportError("other"), True),
        (RuntimeError("a bug"), False),
        (KeyError("a bug"), False),
    ],
)
def test_is_retryable(exc: BaseException, retry: bool) -> None:
    assert is_retryable(exc) is retry
