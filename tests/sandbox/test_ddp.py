"""The sandbox's DDP endpoint as a raw client sees it (rocketchat-realtime-rest.md §1): whole frames.

Each test talks to an in-process Sandbox with `websockets` and posts over REST with `httpx`. Nothing
sleeps: tests await frames with a safety bound, and prove that nothing was sent with a barrier (a
client ping whose pong must be the very next frame, since a connection's frames go out in order).
Timestamps come from a fixed clock, so messages are compared in full.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK, InvalidStatus

from bot.sandbox import Sandbox

from .workspace import BOT_PAT, NOW, PASSWORD, small_workspace

pytestmark = pytest.mark.anyio

TIMEOUT = 5  # a safety bound only: every awaited frame is expected at once
QUICK_HEARTBEAT: dict[str, Any] = {"Sandbox_Heartbeat_Interval_ms": 50, "Sandbox_Heartbeat_Timeout_ms": 50}
DIGEST = hashlib.sha256(PASSWORD.encode()).hexdigest()
ADMIN = {"_id": "u-admin", "username": "admin", "name": "admin"}
JANE = {"_id": "u-agent", "username": "jane", "name": "jane"}


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def date(value: datetime = NOW) -> dict[str, int]:
    return {"$date": ms(value)}


def error(code: str | int, reason: str | None = None, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"isClientSafe": True, "error": code}
    if reason is not None:
        body["reason"] = reason
    if details is not None:
        body["details"] = details
    body["message"] = f"{reason} [{code}]" if reason else f"[{code}]"
    body["errorType"] = "Meteor.Error"
    return body


def message(mid: str, rid: str, text: str, sender: dict[str, str], **extra: Any) -> dict[str, Any]:
    """A message as the store writes it, in EJSON, at the fixed clock's time."""
    base = {"_id": mid, "rid": rid, "msg": text, "ts": date(), "u": sender, "_updatedAt": date()}
    return {**base, "mentions": [], "channels": [], **extra}


def changed(collection: str, event: str, *args: Any) -> dict[str, Any]:
    return {"msg": "changed", "collection": collection, "id": "id", "fields": {"eventName": event, "args": list(args)}}


def my_message(msg: dict[str, Any], participant: bool, kind: str, name: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"roomParticipant": participant, "roomType": kind}
    if name is not None:
        meta["roomName"] = name
    return changed("stream-room-messages", "__my_messages__", msg, meta)


def done(mid: str, result: Any = None, err: Any = None) -> list[dict[str, Any]]:
    """`updated` then `result`, as Meteor sends them for a method that exists."""
    reply: dict[str, Any] = {"msg": "result", "id": mid}
    if result is not None:
        reply["result"] = result
    if err is not None:
        reply["error"] = err
    return [{"msg": "updated", "methods": [mid]}, reply]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Ddp:
    """A raw DDP client: JSON frames in and out, nothing hidden."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._barriers = 0

    async def send(self, frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self) -> Any:
        return json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))

    async def handshake(self) -> str:
        assert await self.recv() == {"server_id": "0"}
        await self.send({"msg": "connect", "version": "1", "support": ["1", "pre2", "pre1"]})
        frame = await self.recv()
        assert frame == {"msg": "connected", "session": frame["session"]}
        return str(frame["session"])

    async def call(self, mid: str, method: str, *params: Any) -> list[Any]:
        """Every frame up to and including the method's `result`."""
        await self.send({"msg": "method", "id": mid, "method": method, "params": list(params)})
        frames = [await self.recv()]
        while frames[-1] != {**frames[-1], "msg": "result", "id": mid}:
            frames.append(await self.recv())
        return frames

    async def login(self, mid: str, **options: Any) -> dict[str, Any]:
        frames = await self.call(mid, "login", options)
        assert frames[-1].get("result"), frames
        return dict(frames[-1]["result"])

    async def sub(self, sid: str, name: str, *params: Any) -> Any:
        await self.send({"msg": "sub", "id": sid, "name": name, "params": list(params)})
        return await self.recv()

    async def barrier(self) -> None:
        """The next frame is the pong of this ping: nothing else was queued for this client before it."""
        self._barriers += 1
        tag = f"barrier-{self._barriers}"
        await self.send({"msg": "ping", "id": tag})
        assert await self.recv() == {"msg": "pong", "id": tag}


@asynccontextmanager
async def ddp_client(sb: Sandbox, *, handshake: bool = True) -> AsyncIterator[Ddp]:
    async with connect(sb.ws_url, proxy=None, ping_interval=None) as ws:
        client = Ddp(ws)
        if handshake:
            await client.handshake()
        yield client


@asynccontextmanager
async def sandbox(*, clock: Clock | None = None, **settings: Any) -> AsyncIterator[tuple[Sandbox, httpx.AsyncClient]]:
    sb = Sandbox(small_workspace(**settings), clock=clock or Clock())
    async with sb, httpx.AsyncClient(base_url=sb.url) as http:
        yield sb, http


async def rest_login(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post("/api/v1/login", json={"user": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}


async def post(http: httpx.AsyncClient, headers: dict[str, str], route: str, body: dict[str, Any]) -> Any:
    response = await http.post(f"/api/v1/{route}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@asynccontextmanager
async def client_for(sb: Sandbox, username: str, *subs: tuple[str, str]) -> AsyncIterator[Ddp]:
    """A logged-in client (password digest) with the given (publication, eventName) subscriptions ready."""
    async with ddp_client(sb) as ddp:
        await ddp.login("login", user={"username": username}, password={"digest": DIGEST, "algorithm": "sha-256"})
        for index, (name, event) in enumerate(subs):
            assert await ddp.sub(f"s{index}", name, event, False) == {"msg": "ready", "subs": [f"s{index}"]}
        yield ddp


# --- connection, handshake, framing (§1.1, §1.2) ------------------------------------------------------


async def test_greeting_then_connected_with_a_17_character_session_id() -> None:
    async with sandbox() as (sb, _), ddp_client(sb, handshake=False) as ddp:
        assert await ddp.recv() == {"server_id": "0"}
        await ddp.send({"msg": "connect", "version": "1", "support": ["1"]})
        frame = await ddp.recv()
        assert frame == {"msg": "connected", "session": frame["session"]}
        assert len(frame["session"]) == 17 and frame["session"].isalnum()
        assert sb.realtime.session_count() == 1


async def test_an_unsupported_or_not_preferred_version_fails_and_closes() -> None:
    async with sandbox() as (sb, _):
        for proposal in ({"version": "2", "support": ["2"]}, {"version": "pre2", "support": ["1", "pre2"]}):
            async with ddp_client(sb, handshake=False) as ddp:
                assert await ddp.recv() == {"server_id": "0"}
                await ddp.send({"msg": "connect", **proposal})
                assert await ddp.recv() == {"msg": "failed", "version": "1"}
                with pytest.raises(ConnectionClosedOK) as closed:
                    await ddp.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000


async def test_anything_before_connect_must_connect_first() -> None:
    async with sandbox() as (sb, _), ddp_client(sb, handshake=False) as ddp:
        assert await ddp.recv() == {"server_id": "0"}
        call = {"msg": "method", "id": "1", "method": "login", "params": [{"resume": BOT_PAT}]}
        await ddp.send(call)
        assert await ddp.recv() == {"msg": "error", "reason": "Must connect first", "offendingMessage": call}
        await ddp.send({"msg": "ping", "id": "p"})
        assert await ddp.recv() == {
            "msg": "error",
            "reason": "Must connect first",
            "offendingMessage": {"msg": "ping", "id": "p"},
        }
        assert sb.realtime.session_count() == 0


async def test_unparseable_frames_bad_requests_and_a_second_connect() -> None:
    """Meteor's parseDDP discards invalid JSON (answered "Bad request" without the message); "Parse
    error" is for a frame whose EJSON cannot be decoded, such as an unregistered custom `$type`."""
    async with sandbox() as (sb, _), ddp_client(sb, handshake=False) as ddp:
        assert await ddp.recv() == {"server_id": "0"}
        await ddp.ws.send("{not json")
        assert await ddp.recv() == {"msg": "error", "reason": "Bad request"}
        await ddp.send({"msg": "method", "id": "1", "method": "x", "params": [{"$type": "oid", "$value": "1"}]})
        assert await ddp.recv() == {"msg": "error", "reason": "Parse error"}
        await ddp.send({"hello": 1})
        assert await ddp.recv() == {"msg": "error", "reason": "Bad request", "offendingMessage": {"hello": 1}}
        await ddp.send({"msg": "connect", "version": "1", "support": ["1"]})
        assert (await ddp.recv())["msg"] == "connected"
        await ddp.send({"msg": "connect", "version": "1", "support": ["1"]})
        assert await ddp.recv() == {
            "msg": "error",
            "reason": "Already connected",
            "offendingMessage": {"msg": "connect", "version": "1", "support": ["1"]},
        }
        await ddp.send({"msg": "added", "collection": "x", "id": "1"})
        assert await ddp.recv() == {
            "msg": "error",
            "reason": "Bad request",
            "offendingMessage": {"msg": "added", "collection": "x", "id": "1"},
        }


# --- heartbeat (§1.3) -----------------------------------------------------------------------------


async def test_client_ping_gets_pong_with_and_without_id() -> None:
    async with sandbox() as (sb, _), ddp_client(sb) as ddp:
        await ddp.send({"msg": "ping", "id": "x"})
        assert await ddp.recv() == {"msg": "pong", "id": "x"}
        await ddp.send({"msg": "ping"})
        assert await ddp.recv() == {"msg": "pong"}


async def test_server_pings_a_quiet_client_and_closes_when_it_stays_quiet() -> None:
    async with sandbox(**QUICK_HEARTBEAT) as (sb, _), ddp_client(sb) as ddp:
        assert await ddp.recv() == {"msg": "ping"}
        with pytest.raises(ConnectionClosedOK) as closed:
            await ddp.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000


async def test_answering_the_server_ping_keeps_the_session() -> None:
    async with sandbox(**QUICK_HEARTBEAT) as (sb, _), ddp_client(sb) as ddp:
        for _ in range(2):
            assert await ddp.recv() == {"msg": "ping"}
            await ddp.send({"msg": "pong"})
        await ddp.barrier()
        assert sb.realtime.session_count() == 1


# --- methods and login (§1.4, §1.5) ------------------------------------------------------------------


async def test_unknown_method_is_404_before_updated() -> None:
    async with sandbox() as (sb, _), ddp_client(sb) as ddp:
        assert await ddp.call("1", "nope") == [
            {"msg": "result", "id": "1", "error": error(404, "Method 'nope' not found")},
        ]
        assert await ddp.recv() == {"msg": "updated", "methods": ["1"]}


async def test_login_by_password_digest_by_email_and_its_failures() -> None:
    async with sandbox() as (sb, _), ddp_client(sb) as ddp:
        frames = await ddp.call(
            "1", "login", {"user": {"username": "jane"}, "password": {"digest": DIGEST, "algorithm": "sha-256"}}
        )
        token = frames[-1]["result"]["token"]
        expires = date(NOW + timedelta(days=90))
        assert frames == [
            {"msg": "added", "collection": "users", "id": "u-agent", "fields": {"username": "jane"}},
            *done("1", {"id": "u-agent", "token": token, "tokenExpires": expires, "type": "password"}),
        ]
        assert sb.store.resolve_token(token)[0]["_id"] == "u-agent"

        wrong = {"digest": hashlib.sha256(b"nope").hexdigest(), "algorithm": "sha-256"}
        assert await ddp.call("2", "login", {"user": {"username": "jane"}, "password": wrong}) == done(
            "2", err=error(403, "Incorrect password")
        )
        unknown = {"user": {"username": "nobody"}, "password": {"digest": DIGEST, "algorithm": "sha-256"}}
        assert await ddp.call("3", "login", unknown) == done("3", err=error(403, "User not found"))
        assert await ddp.call("4", "login", "jane") == done("4", err=error(400, "Match failed"))
        assert await ddp.call("5", "login", {}) == done("5", err=error(400, "Unrecognized options for login request"))

    async with sandbox() as (sb, _), ddp_client(sb) as ddp:
        frames = await ddp.call("1", "login", {"user": {"email": "ADMIN@example.com"}, "password": PASSWORD})
        fields = {"username": "admin", "emails": [{"address": "admin@example.com", "verified": True}]}
        assert frames[0] == {"msg": "added", "collection": "users", "id": "u-admin", "fields": fields}
        assert frames[-1]["result"]["type"] == "password"


async def test_resume_with_a_rest_token_a_pat_a_revoked_and_an_expired_token() -> None:
    clock = Clock()
    async with sandbox(clock=clock) as (sb, http):
        token = (await rest_login(http, "jane"))["X-Auth-Token"]
        async with ddp_client(sb) as ddp:
            assert await ddp.call("1", "login", {"resume": token}) == [
                {"msg": "added", "collection": "users", "id": "u-agent", "fields": {"username": "jane"}},
                *done(
                    "1",
                    {"id": "u-agent", "token": token, "tokenExpires": date(NOW + timedelta(days=90)), "type": "resume"},
                ),
            ]
        async with ddp_client(sb) as ddp:
            result = await ddp.login("1", resume=BOT_PAT)
            assert result == {"id": "u-bot", "token": BOT_PAT, "tokenExpires": result["tokenExpires"], "type": "resume"}
        assert sb.revoke_token(token)
        async with ddp_client(sb) as ddp:
            logged_out = error(403, "You've been logged out by the server. Please log in again.")
            assert await ddp.call("1", "login", {"resume": token}) == done("1", err=logged_out)
        fresh = (await rest_login(http, "jane"))["X-Auth-Token"]
        clock.now += timedelta(days=91)
        async with ddp_client(sb) as ddp:
            expired = error(403, "Your session has expired. Please log in again.")
            assert await ddp.call("1", "login", {"resume": fresh}) == done("1", err=expired)
            assert (await ddp.login("2", resume=BOT_PAT))["id"] == "u-bot"  # a PAT does not expire


async def test_relogin_reruns_subscriptions_and_logout_destroys_the_login_token() -> None:
    async with sandbox() as (sb, _), client_for(sb, "jane", ("stream-room-messages", "__my_messages__")) as ddp:
        assert await ddp.sub("mine", "stream-notify-user", "u-agent/message", False) == {
            "msg": "ready",
            "subs": ["mine"],
        }
        frames = await ddp.call("2", "login", {"resume": BOT_PAT})
        assert frames[:-2] == [
            {"msg": "nosub", "id": "mine", "error": error("not-allowed")},
            {"msg": "removed", "collection": "users", "id": "u-agent"},
            {"msg": "added", "collection": "users", "id": "u-bot", "fields": {"username": "analytics-bot"}},
            {"msg": "ready", "subs": ["s0"]},
        ]
        assert sb.realtime.subscription_count("u-bot") == 1

        token = (await ddp.login("3", user={"id": "u-agent"}, password=PASSWORD))["token"]
        assert await ddp.call("4", "logout") == [
            {"msg": "removed", "collection": "users", "id": "u-agent"},
            {"msg": "ready", "subs": ["s0"]},  # __my_messages__ may be read by anyone; it stays, inert
            *done("4"),
        ]
        assert await ddp.call("5", "login", {"resume": token}) == done(
            "5", err=error(403, "You've been logged out by the server. Please log in again.")
        )


async def assert_closed_normally(ddp: Ddp) -> None:
    with pytest.raises(ConnectionClosedOK) as closed:
        await ddp.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000


async def test_revoking_a_login_token_closes_the_sessions_logged_in_with_it() -> None:
    logged_out = error(403, "You've been logged out by the server. Please log in again.")
    async with sandbox() as (sb, http):
        revoked = (await rest_login(http, "jane"))["X-Auth-Token"]
        kept = (await rest_login(http, "jane"))["X-Auth-Token"]
        async with ddp_client(sb) as first, ddp_client(sb) as second, ddp_client(sb) as other:
            assert (await first.login("1", resume=revoked))["id"] == "u-agent"
            assert (await second.login("1", resume=revoked))["id"] == "u-agent"
            assert (await other.login("1", resume=kept))["id"] == "u-agent"
            for ddp in (first, other):
                assert await ddp.sub("mine", "stream-notify-user", "u-agent/message", False) == {
                    "msg": "ready",
                    "subs": ["mine"],
                }
            assert sb.realtime.session_count() == 3 and sb.realtime.subscription_count("u-agent") == 2

            assert sb.revoke_token(revoked)
            assert sb.realtime.session_count() == 1 and sb.realtime.subscription_count("u-agent") == 1
            await assert_closed_normally(first)
            await assert_closed_normally(second)
            await other.barrier()  # another token of the same user: the session stays open
        async with ddp_client(sb) as ddp:
            assert await ddp.call("1", "login", {"resume": revoked}) == done("1", err=logged_out)
            assert (await ddp.login("2", resume=kept))["id"] == "u-agent"


async def test_the_revoke_control_and_a_logout_elsewhere_close_the_sessions_of_the_token() -> None:
    logged_out = error(403, "You've been logged out by the server. Please log in again.")
    async with sandbox() as (sb, http), ddp_client(sb) as ddp, ddp_client(sb) as bot:
        token = (await ddp.login("1", user={"username": "jane"}, password=PASSWORD))["token"]
        assert (await bot.login("1", resume=BOT_PAT))["id"] == "u-bot"
        response = await http.post("/_sandbox/revoke", json={"token": token})
        assert response.status_code == 200 and response.json()["revoked"] == 1
        await assert_closed_normally(ddp)
        await bot.barrier()
        assert sb.realtime.session_count() == 1

        shared = (await rest_login(http, "jane"))["X-Auth-Token"]
        async with ddp_client(sb) as leaving, ddp_client(sb) as staying:
            assert (await leaving.login("1", resume=shared))["id"] == "u-agent"
            assert (await staying.login("1", resume=shared))["id"] == "u-agent"
            assert await leaving.call("2", "logout") == [
                {"msg": "removed", "collection": "users", "id": "u-agent"},
                *done("2"),
            ]
            await assert_closed_normally(staying)  # Meteor closes the other sessions of a destroyed token
            assert await leaving.call("3", "login", {"resume": shared}) == done("3", err=logged_out)
            assert await leaving.call("4", "login", {"resume": token}) == done("4", err=logged_out)


# --- __my_messages__ and per-room messages (§1.7) --------------------------------------------------------


async def test_my_messages_delivers_inserts_edits_and_reactions_of_one_id() -> None:
    async with sandbox() as (sb, http), client_for(sb, "jane", ("stream-room-messages", "__my_messages__")) as ddp:
        admin = await rest_login(http, "admin")
        await post(http, admin, "chat.sendMessage", {"message": {"_id": "m-new", "rid": "GENERAL", "msg": "hello"}})
        inserted = message("m-new", "GENERAL", "hello", ADMIN)
        assert await ddp.recv() == my_message(inserted, True, "c", "general")

        await post(http, admin, "chat.update", {"roomId": "GENERAL", "msgId": "m-new", "text": "hello!"})
        edited = {**inserted, "msg": "hello!", "editedAt": date(), "editedBy": {"_id": "u-admin", "username": "admin"}}
        assert await ddp.recv() == my_message(edited, True, "c", "general")

        await post(http, admin, "chat.react", {"messageId": "m-new", "emoji": "thumbsup"})
        reacted = {**edited, "reactions": {":thumbsup:": {"usernames": ["admin"]}}}
        assert await ddp.recv() == my_message(reacted, True, "c", "general")
        await ddp.barrier()


async def test_my_messages_covers_unjoined_public_channels_but_not_private_rooms_of_others() -> None:
    async with sandbox() as (sb, http):
        admin = await rest_login(http, "admin")
        async with client_for(sb, "jane", ("stream-room-messages", "__my_messages__")) as jane:
            await post(
                http, admin, "chat.sendMessage", {"message": {"_id": "m-r", "rid": "r-public-other", "msg": "hi"}}
            )
            assert await jane.recv() == my_message(message("m-r", "r-public-other", "hi", ADMIN), False, "c", "random")
            await post(http, admin, "chat.sendMessage", {"message": {"_id": "m-p", "rid": "r-managers", "msg": "psst"}})
            await jane.barrier()  # jane is not in the private group
        async with client_for(sb, "maria", ("stream-room-messages", "__my_messages__")) as maria:
            await post(
                http, admin, "chat.sendMessage", {"message": {"_id": "m-p2", "rid": "r-managers", "msg": "psst"}}
            )
            expected = message("m-p2", "r-managers", "psst", ADMIN)
            assert await maria.recv() == my_message(expected, True, "p", "omnichannel-managers")


async def test_my_messages_livechat_reaches_a_manager_but_not_an_ordinary_user() -> None:
    async with sandbox(API_Enable_Rate_Limiter=False) as (sb, http):
        jane = await rest_login(http, "jane")
        admin = await rest_login(http, "admin")
        mine = ("stream-room-messages", "__my_messages__")
        async with client_for(sb, "maria", mine) as maria, client_for(sb, "olivia", mine) as olivia:
            await post(
                http, jane, "chat.sendMessage", {"message": {"_id": "m-l", "rid": "r-live-1", "msg": "how can I help?"}}
            )
            expected = message("m-l", "r-live-1", "how can I help?", JANE)
            assert await maria.recv() == my_message(expected, False, "l", None)  # livechat rooms have no name
            await post(http, admin, "chat.sendMessage", {"message": {"_id": "m-g", "rid": "GENERAL", "msg": "x"}})
            assert await olivia.recv() == my_message(message("m-g", "GENERAL", "x", ADMIN), True, "c", "general")


async def test_not_logged_in_my_messages_is_ready_but_silent() -> None:
    async with sandbox() as (sb, http), ddp_client(sb) as ddp:
        assert await ddp.sub("s", "stream-room-messages", "__my_messages__", False) == {"msg": "ready", "subs": ["s"]}
        await post(
            http, await rest_login(http, "admin"), "chat.sendMessage", {"message": {"rid": "GENERAL", "msg": "x"}}
        )
        await ddp.barrier()


async def test_per_room_subscription_delivers_the_bare_message_and_checks_access() -> None:
    async with sandbox() as (sb, http), client_for(sb, "jane", ("stream-room-messages", "GENERAL")) as ddp:
        await post(
            http,
            await rest_login(http, "admin"),
            "chat.sendMessage",
            {"message": {"_id": "m-1b", "rid": "GENERAL", "msg": "hey"}},
        )
        assert await ddp.recv() == changed("stream-room-messages", "GENERAL", message("m-1b", "GENERAL", "hey", ADMIN))
        assert await ddp.sub("p", "stream-room-messages", "r-managers", False) == {
            "msg": "nosub",
            "id": "p",
            "error": error("not-allowed"),
        }
        assert await ddp.sub("e", "stream-room-messages", "", False) == {
            "msg": "nosub",
            "id": "e",
            "error": error("invalid-event-name"),
        }


async def test_duplicate_subscriptions_deliver_twice_and_unsub_stops_delivery() -> None:
    async with sandbox() as (sb, http), client_for(sb, "jane", ("stream-room-messages", "__my_messages__")) as ddp:
        assert await ddp.sub("twin", "stream-room-messages", "__my_messages__", False) == {
            "msg": "ready",
            "subs": ["twin"],
        }
        await ddp.send({"msg": "sub", "id": "twin", "name": "stream-room-messages", "params": ["GENERAL", False]})
        await ddp.barrier()  # an id already in use is ignored
        assert sb.realtime.subscription_count("u-agent") == 2
        admin = await rest_login(http, "admin")
        await post(http, admin, "chat.sendMessage", {"message": {"_id": "m-2x", "rid": "GENERAL", "msg": "twice"}})
        expected = my_message(message("m-2x", "GENERAL", "twice", ADMIN), True, "c", "general")
        assert [await ddp.recv(), await ddp.recv()] == [expected, expected]

        await ddp.send({"msg": "unsub", "id": "twin"})
        assert await ddp.recv() == {"msg": "nosub", "id": "twin"}
        await ddp.send({"msg": "unsub", "id": "never-subscribed"})
        assert await ddp.recv() == {"msg": "nosub", "id": "never-subscribed"}
        await ddp.send({"msg": "unsub", "id": "s0"})
        assert await ddp.recv() == {"msg": "nosub", "id": "s0"}
        assert sb.realtime.subscription_count() == 0
        await post(http, admin, "chat.sendMessage", {"message": {"rid": "GENERAL", "msg": "unheard"}})
        await ddp.barrier()


async def test_subscription_refusals() -> None:
    async with sandbox() as (sb, _), ddp_client(sb) as ddp:
        assert await ddp.sub("a", "stream-notify-user", "u-agent/message", False) == {
            "msg": "nosub",
            "id": "a",
            "error": error("not-allowed"),
        }
        assert await ddp.sub("b", "stream-nothing", "x", False) == {
            "msg": "nosub",
            "id": "b",
            "error": error(404, "Subscription 'stream-nothing' not found"),
        }
        await ddp.login("1", resume=BOT_PAT)
        assert await ddp.sub("c", "stream-notify-user", "u-agent/message", False) == {
            "msg": "nosub",
            "id": "c",
            "error": error("not-allowed"),
        }
        assert await ddp.sub("d", "stream-notify-room", "r-public-other/deleteMessage", False) == {
            "msg": "nosub",
            "id": "d",
            "error": error("not-allowed"),
        }
        assert sb.realtime.subscription_count() == 0


# --- stream-notify-user (§1.8) -----------------------------------------------------------------------


async def test_notify_user_subscriptions_and_rooms_changed_on_a_new_dm() -> None:
    events = [("stream-notify-user", "u-agent/subscriptions-changed"), ("stream-notify-user", "u-agent/rooms-changed")]
    async with sandbox() as (sb, http), client_for(sb, "jane", *events) as ddp:
        await post(http, await rest_login(http, "admin"), "im.create", {"username": "jane"})
        rid = "u-adminu-agent"
        sub = sb.store.subscriptions[(rid, "u-agent")]
        expected_sub = {
            "_id": sub["_id"], "rid": rid, "u": {"_id": "u-agent", "username": "jane"}, "t": "d", "name": "admin",
            "fname": "admin", "open": True, "alert": False, "unread": 0, "userMentions": 0, "groupMentions": 0,
            "ts": date(), "ls": date(), "_updatedAt": date(),
        }  # fmt: skip
        expected_room = {
            "_id": rid, "t": "d", "msgs": 0, "usersCount": 2, "uids": ["u-admin", "u-agent"],
            "usernames": ["admin", "jane"], "ts": date(), "_updatedAt": date(),
        }  # fmt: skip
        assert await ddp.recv() == changed(
            "stream-notify-user", "u-agent/subscriptions-changed", "inserted", expected_sub
        )
        assert await ddp.recv() == changed("stream-notify-user", "u-agent/rooms-changed", "inserted", expected_room)
        await ddp.barrier()


async def test_send_message_method_results_errors_and_the_ephemeral_message() -> None:
    clock = Clock()
    async with sandbox(clock=clock, Message_MaxAllowedSize=20) as (sb, _):
        async with ddp_client(sb) as anonymous:
            assert await anonymous.call("1", "sendMessage", {"rid": "GENERAL", "msg": "x"}) == done(
                "1", err=error("error-invalid-user", "Invalid user", {"method": "sendMessage"})
            )
        async with client_for(sb, "jane", ("stream-notify-user", "u-agent/message")) as ddp:
            sent = await ddp.call("2", "sendMessage", {"_id": "m-ddp", "rid": "GENERAL", "msg": "via ddp"})
            assert sent == done("2", message("m-ddp", "GENERAL", "via ddp", JANE))
            assert await ddp.call("3", "sendMessage", {"_id": "m-ddp", "rid": "GENERAL", "msg": "again"}) == done("3")
            refused = {"rid": "GENERAL", "msg": "x", "attachments": [{"text": "a"}]}
            assert await ddp.call("4", "sendMessage", refused) == done("4", err=error(400, "Match failed"))
            # Over Message_MaxAllowedSize: swallowed before the part that notifies (methods/sendMessage.ts).
            assert await ddp.call("5", "sendMessage", {"rid": "GENERAL", "msg": "y" * 21}) == done("5")
            await ddp.barrier()
            clock.now += timedelta(milliseconds=1001)  # past the 5-per-second window of sendMessage

            frames = await ddp.call("6", "sendMessage", {"rid": "no-such-room", "msg": "hello"})
            ephemeral = {
                "_id": frames[0]["fields"]["args"][0]["_id"], "rid": "no-such-room", "ts": date(clock.now),
                "msg": "Invalid room", "u": {"_id": "rocket.cat", "username": "rocket.cat"}, "private": True,
                "groupable": False, "_updatedAt": date(clock.now),
            }  # fmt: skip
            assert frames == [changed("stream-notify-user", "u-agent/message", ephemeral), *done("6")]
            frames = await ddp.call("7", "sendMessage", {"rid": "r-managers", "msg": "let me in"})
            assert frames[0]["fields"]["args"][0]["msg"] == "Not allowed"
            assert frames[1:] == done("7", err=error("error-not-allowed", None, {"method": "sendMessage"}))


async def test_send_message_is_limited_to_5_per_second_without_send_many_messages() -> None:
    clock = Clock()
    async with sandbox(clock=clock) as (sb, _), client_for(sb, "jane") as jane, client_for(sb, "analytics-bot") as bot:
        for index in range(5):
            assert "result" in (await jane.call(f"j{index}", "sendMessage", {"rid": "GENERAL", "msg": "m"}))[-1]
        too_many = error(
            "too-many-requests",
            "Error, too many requests. Please slow down. You must wait 1 seconds before trying again.",
            {"timeToReset": 1000},
        )
        assert await jane.call("j5", "sendMessage", {"rid": "GENERAL", "msg": "m"}) == done("j5", err=too_many)
        for index in range(7):
            assert "result" in (await bot.call(f"b{index}", "sendMessage", {"rid": "GENERAL", "msg": "m"}))[-1]
        clock.now += timedelta(milliseconds=1001)
        assert "result" in (await jane.call("j6", "sendMessage", {"rid": "GENERAL", "msg": "m"}))[-1]


# --- stream-notify-room (§1.9) -----------------------------------------------------------------------


async def test_notify_room_delete_message() -> None:
    async with sandbox() as (sb, http), client_for(sb, "jane", ("stream-notify-room", "GENERAL/deleteMessage")) as ddp:
        await post(http, await rest_login(http, "admin"), "chat.delete", {"roomId": "GENERAL", "msgId": "m-1"})
        assert await ddp.recv() == changed("stream-notify-room", "GENERAL/deleteMessage", {"_id": "m-1"})


async def test_typing_reaches_other_members_only_under_the_callers_own_name() -> None:
    typing_events = [("stream-notify-room", "GENERAL/user-activity"), ("stream-notify-room", "GENERAL/typing")]
    async with (
        sandbox() as (sb, _),
        client_for(sb, "john", *typing_events) as john,
        client_for(sb, "jane", typing_events[0]) as jane,
    ):
        params = ["GENERAL/user-activity", "jane", ["user-typing"], {"tmid": "m-1"}]
        assert await jane.call("t1", "stream-notify-room", *params) == done("t1")
        await jane.barrier()  # the writer's own connection is skipped (retransmitToSelf: false)
        assert await john.recv() == changed("stream-notify-room", "GENERAL/typing", "jane", True)
        assert await john.recv() == changed(
            "stream-notify-room", "GENERAL/user-activity", "jane", ["user-typing"], {"tmid": "m-1"}
        )
        assert await jane.call("t2", "stream-notify-room", "GENERAL/user-activity", "jane", []) == done("t2")
        assert await john.recv() == changed("stream-notify-room", "GENERAL/typing", "jane", False)
        assert await john.recv() == changed("stream-notify-room", "GENERAL/user-activity", "jane", [])
        impostor = ["GENERAL/user-activity", "john", ["user-typing"]]
        assert await jane.call("t3", "stream-notify-room", *impostor) == done("t3")
        await john.barrier()


# --- rate limiter (§1.13) ----------------------------------------------------------------------------


async def test_ddp_rate_limit_per_connection_and_method_then_the_window_resets() -> None:
    clock = Clock()
    async with sandbox(clock=clock) as (sb, _), ddp_client(sb) as ddp:
        for index in range(10):
            assert await ddp.call(str(index), "login", {}) == done(
                str(index), err=error(400, "Unrecognized options for login request")
            )
        clock.now += timedelta(milliseconds=2500)
        reason = "Error, too many requests. Please slow down. You must wait 8 seconds before trying again."
        assert await ddp.call("10", "login", {}) == done(
            "10", err=error("too-many-requests", reason, {"timeToReset": 7500})
        )
        clock.now += timedelta(milliseconds=7501)
        assert (await ddp.login("11", resume=BOT_PAT))["id"] == "u-bot"


async def test_ddp_rate_limit_counts_stream_subscriptions_with_four_times_the_budget() -> None:
    async with sandbox() as (sb, _), ddp_client(sb) as ddp:
        for index in range(40):
            frame = await ddp.sub(f"n{index}", "stream-notify-user", "u-agent/message", False)
            assert frame == {"msg": "nosub", "id": f"n{index}", "error": error("not-allowed")}
        reason = "Error, too many requests. Please slow down. You must wait 40 seconds before trying again."
        assert await ddp.sub("n40", "stream-notify-user", "u-agent/message", False) == {
            "msg": "nosub",
            "id": "n40",
            "error": error("too-many-requests", reason, {"timeToReset": 40000}),
        }


# --- test controls: drop, refuse, freeze -----------------------------------------------------------------


async def test_drop_all_ends_sockets_without_a_close_frame() -> None:
    async with sandbox() as (sb, _), client_for(sb, "jane", ("stream-room-messages", "__my_messages__")) as ddp:
        await sb.realtime.drop_all()
        with pytest.raises(ConnectionClosedError) as closed:
            await ddp.recv()
        assert closed.value.rcvd is None  # like a dropped link: the client sees 1006
        assert sb.realtime.session_count() == 0 and sb.realtime.subscription_count() == 0


async def test_not_accepting_refuses_new_sockets_while_rest_works() -> None:
    async with sandbox() as (sb, http):
        sb.realtime.accepting = False
        with pytest.raises(InvalidStatus) as refused:
            async with ddp_client(sb):
                pass  # pragma: no cover
        assert refused.value.response.status_code == 503
        admin = await rest_login(http, "admin")
        await post(http, admin, "chat.sendMessage", {"message": {"rid": "GENERAL", "msg": "while down"}})
        sb.realtime.accepting = True
        async with ddp_client(sb) as ddp:
            await ddp.barrier()


async def test_freeze_all_makes_the_server_silent_until_the_drop() -> None:
    async with sandbox() as (sb, http), client_for(sb, "jane", ("stream-room-messages", "__my_messages__")) as ddp:
        sb.realtime.freeze_all()
        await ddp.send({"msg": "ping", "id": "anyone there?"})
        await asyncio.wait_for(await ddp.ws.ping(), TIMEOUT)  # the server's transport has read the ping
        await post(
            http, await rest_login(http, "admin"), "chat.sendMessage", {"message": {"rid": "GENERAL", "msg": "x"}}
        )
        assert sb.realtime.session_count() == 1
        await sb.realtime.drop_all()
        with pytest.raises(ConnectionClosedError):
            await ddp.recv()  # neither the pong nor the message came before the drop


async def test_restart_forgets_sessions_and_subscriptions_but_keeps_login_tokens() -> None:
    async with sandbox() as (sb, http):
        token = (await rest_login(http, "jane"))["X-Auth-Token"]
        async with client_for(sb, "jane", ("stream-room-messages", "__my_messages__")) as ddp:
            await sb.restart()
            with pytest.raises(ConnectionClosedError):
                await ddp.recv()
        assert sb.realtime.session_count() == 0 and sb.realtime.subscription_count() == 0
        async with ddp_client(sb) as ddp:
            assert (await ddp.login("1", resume=token))["id"] == "u-agent"
            assert sb.realtime.subscription_count("u-agent") == 0
