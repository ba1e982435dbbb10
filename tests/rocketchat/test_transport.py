"""The bot's HTTP transport (bot/rocketchat/transport.py) against small servers that misbehave on purpose.

What an admin or Rocket.Chat sees: a bounded number of kept-alive sockets, every request answered when the
server closes idle sockets, bodies intact, TLS verified (and refused with a readable reason), the proxy of the
environment used, compressed answers read, and timeouts and cut answers turned into the bot's own errors.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
import pytest
import trustme

from bot.config import Secret, Settings
from bot.errors import ConfigError, ConnectionLost, RequestTimeout
from bot.rocketchat import transport as transport_module
from bot.rocketchat.rest import RestClient
from bot.rocketchat.transport import AsyncioBackend, PooledTransport, environment_proxy, open_transport

pytestmark = pytest.mark.anyio

ME = {"_id": "u-bot", "username": "analytics-bot", "roles": ["bot"], "success": True}


@dataclass
class Seen:
    """What a server saw: one entry per request (its head lines and body), and the connections it accepted."""

    connections: int = 0
    heads: list[list[str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)


Answer = Callable[[Seen, asyncio.StreamWriter], Awaitable[None]]


async def json_answer(seen: Seen, writer: asyncio.StreamWriter, body: object = ME, extra: bytes = b"") -> None:
    data = json.dumps(body).encode()
    writer.write(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n%scontent-length: %d\r\n\r\n" % (extra, len(data))
    )
    writer.write(data)


@asynccontextmanager
async def server(answer: Answer = json_answer, tls: ssl.SSLContext | None = None) -> AsyncIterator[tuple[str, Seen]]:
    """An HTTP/1.1 keep-alive server on port 0 that records what it is sent and answers with `answer`."""
    seen = Seen()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")[:-2]
                length = next((int(h.split(":")[1]) for h in head if h.lower().startswith("content-length:")), 0)
                seen.heads.append(head)
                seen.bodies.append(await reader.readexactly(length))
                await answer(seen, writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    listening = await asyncio.start_server(connection, "127.0.0.1", 0, ssl=tls)
    port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}", seen


def settings(url: str, timeout: float = 5.0) -> Settings:
    return Settings(url=url, user_id="u-bot", auth_token=Secret("a-token"), timeout=timeout)


async def test_a_burst_shares_a_few_kept_alive_sockets() -> None:
    async with server() as (url, seen), RestClient(settings(url), transport=PooledTransport(connections=3)) as rest:
        identities = await asyncio.gather(*(rest.me() for _ in range(60)))
        for _ in range(10):
            await rest.me()
    assert len(identities) == 60 and all(answer["username"] == "analytics-bot" for answer in identities)
    assert len(seen.heads) == 70
    assert seen.connections <= 3  # the burst queued for three sockets, and the calls after it reused them


async def test_requests_say_who_asks_and_accept_compressed_json() -> None:
    async def gzipped(seen: Seen, writer: asyncio.StreamWriter) -> None:
        data = gzip.compress(json.dumps(ME).encode())
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n")
        writer.write(b"content-length: %d\r\n\r\n%s" % (len(data), data))

    async with server(gzipped) as (url, seen), RestClient(settings(url)) as rest:
        assert (await rest.me())["username"] == "analytics-bot"
    head = [line.lower() for line in seen.heads[0]]
    assert head[0] == "get /api/v1/me http/1.1"
    assert "accept-encoding: gzip, deflate" in head
    assert "user-agent: rocketchat-analytics-bot" in head
    assert "x-user-id: u-bot" in head and "x-auth-token: a-token" in head


async def test_a_large_body_arrives_whole() -> None:
    """An upload bigger than what the transport holds back before sending goes out in full."""
    payload = bytes(range(256)) * 8192  # 2 MiB
    async with server() as (url, seen), RestClient(settings(url)) as rest:
        await rest.get_object("me")  # a first small request on the same pool
        await rest.post_object("chat.postMessage", {"blob": payload.hex()})
    assert len(seen.bodies[1]) > 2 * len(payload)  # 4 MiB of hex went through the held-back path
    assert json.loads(seen.bodies[1]) == {"blob": payload.hex()}


class Remembering(AsyncioBackend):
    """The bot's network backend, keeping the streams it opened so a test can wait on what they see."""

    def __init__(self) -> None:
        self.streams: list[httpcore.AsyncNetworkStream] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        stream = await super().connect_tcp(host, port, *args, **kwargs)
        self.streams.append(stream)
        return stream


async def test_a_socket_the_server_closed_while_idle_is_not_reused() -> None:
    """Rocket.Chat (Node) closes a kept-alive socket after 5 s idle; the next request must not fail on it."""
    closers: list[asyncio.StreamWriter] = []

    async def answer_and_remember(seen: Seen, writer: asyncio.StreamWriter) -> None:
        await json_answer(seen, writer)
        closers.append(writer)

    backend = Remembering()
    transport = PooledTransport(connections=1, network_backend=backend)
    async with server(answer_and_remember) as (url, seen), RestClient(settings(url), transport=transport) as rest:
        await rest.me()
        closers[0].close()  # the server's idle timeout
        await closers[0].wait_closed()
        idle = backend.streams[0]
        async with asyncio.timeout(5):  # the end of file reaches the client (an event, not a pause)
            assert await idle.read(1) == b""
        assert idle.get_extra_info("is_readable")  # what httpcore's pool asks before it reuses a socket
        assert (await rest.me())["username"] == "analytics-bot"
    assert seen.connections == 2


async def test_a_silent_server_is_a_timeout_and_a_cut_answer_a_lost_connection() -> None:
    async def silent(seen: Seen, writer: asyncio.StreamWriter) -> None:
        await asyncio.Event().wait()

    async def cut(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"_id"')
        await writer.drain()
        writer.transport.abort()

    async with server(silent) as (url, _), RestClient(settings(url, timeout=0.05)) as rest:
        with pytest.raises(
            RequestTimeout, match=r"GET /api/v1/me: no answer from http://127\.0\.0\.1:\d+ within 0\.05 s"
        ):
            await rest.me()
    async with server(cut) as (url, _), RestClient(settings(url)) as rest:
        with pytest.raises(ConnectionLost, match="GET /api/v1/me: cannot reach"):
            await rest.me()


async def test_nothing_listening_is_a_lost_connection() -> None:
    async with server() as (url, _):
        pass  # closed again: the port is free
    async with RestClient(settings(url)) as rest:
        with pytest.raises(ConnectionLost, match=r"cannot reach http://127\.0\.0\.1:\d+ \(ConnectError"):
            await rest.me()


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def server_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return context


async def test_tls_is_verified_against_the_trusted_authorities(authority: trustme.CA) -> None:
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    async with server(tls=server_tls(authority)) as (url, seen):
        async with RestClient(settings(url), transport=PooledTransport(connections=2, ssl_context=trusting)) as rest:
            assert (await rest.me())["username"] == "analytics-bot"
            assert (await rest.me())["username"] == "analytics-bot"
        assert seen.connections == 1
        async with RestClient(settings(url)) as rest:  # the default authorities do not know this one
            with pytest.raises(ConnectionLost, match="CERTIFICATE_VERIFY_FAILED"):
                await rest.me()


async def test_the_environment_s_proxy_carries_the_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    async with server() as (proxy, seen):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with RestClient(settings("http://chat.example.invalid")) as rest:
            assert (await rest.me())["username"] == "analytics-bot"
        monkeypatch.setenv("NO_PROXY", "chat.example.invalid")
        assert environment_proxy("http://chat.example.invalid") is None
        assert isinstance(open_transport("http://chat.example.invalid", connections=2), PooledTransport)
    assert seen.heads[0][0] == "GET http://chat.example.invalid/api/v1/me HTTP/1.1"


def test_no_proxy_in_the_environment_means_the_bot_s_own_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert environment_proxy("https://chat.example.com") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert environment_proxy("https://chat.example.com") == "http://proxy.internal:3128"
    assert environment_proxy("http://chat.example.com") is None  # a proxy for https says nothing about http
    assert not isinstance(open_transport("https://chat.example.com", connections=2), PooledTransport)


async def test_a_mock_transport_still_plugs_in() -> None:
    """Tests and embedders pass any httpx transport; the client does not care which."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, json=ME)

    async with RestClient(settings("http://rc.invalid"), transport=httpx.MockTransport(handler)) as rest:
        await rest.me()
    assert calls == ["/api/v1/me"]


async def test_a_failed_request_gives_its_socket_back() -> None:
    """One socket: after a dropped connection and a cut answer, the next request still gets it (no slot leaks)."""
    answers = iter(["silent", "cut", "json", "json"])

    async def varied(seen: Seen, writer: asyncio.StreamWriter) -> None:
        kind = next(answers)
        if kind == "silent":
            writer.transport.abort()  # the bot gave up already; the socket is gone
        elif kind == "cut":
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{")
            await writer.drain()
            writer.transport.abort()
        else:
            await json_answer(seen, writer)

    transport = PooledTransport(connections=1)
    async with server(varied) as (url, seen), RestClient(settings(url), transport=transport) as rest:
        for expected in (ConnectionLost, ConnectionLost):
            with pytest.raises(expected):
                await rest.me()
        assert (await rest.me())["username"] == "analytics-bot"
        assert (await rest.me())["username"] == "analytics-bot"
    assert len(seen.heads) == 4


async def test_a_request_waiting_for_a_socket_times_out_with_the_request_timeout() -> None:
    held = asyncio.Event()

    async def hold(seen: Seen, writer: asyncio.StreamWriter) -> None:
        held.set()
        await asyncio.Event().wait()  # never answers: the one socket stays busy

    transport = PooledTransport(connections=1)
    async with server(hold) as (url, _), RestClient(settings(url, timeout=0.05), transport=transport) as rest:
        first = asyncio.ensure_future(rest.me())
        await held.wait()
        with pytest.raises(RequestTimeout, match="no answer from"):
            await rest.me()  # never got the socket: the pool's wait is the request's timeout
        with pytest.raises(RequestTimeout):
            await first


class Held(asyncio.Transport):
    """A socket that records when it is told to stop and start reading."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def pause_reading(self) -> None:
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self.calls.append("resume")

    def is_closing(self) -> bool:
        return False


async def test_reading_stops_while_too_much_is_unread_and_starts_again() -> None:
    """An answer arriving faster than it is read is held at the socket (memory stays bounded), not dropped."""
    socket, protocol = Held(), transport_module._Protocol()
    protocol.connection_made(socket)
    stream = transport_module._Stream(socket, protocol)
    sent = bytes(range(256)) * 4096  # 1 MiB in 16 pieces, nothing read in between
    for piece in range(16):
        protocol.data_received(sent[piece * 65536 : (piece + 1) * 65536])
    assert socket.calls == ["pause"]  # once, past 256 KiB unread
    received = b""
    while len(received) < len(sent):
        received += await stream.read(65536)
    assert received == sent and socket.calls == ["pause", "resume"]


async def test_a_large_answer_is_read_whole() -> None:
    """An answer bigger than what the transport buffers before it stops reading (export pages, long lists)."""
    rooms = [{"_id": f"r{i}", "fname": "x" * 200} for i in range(5000)]  # about 1.2 MB of JSON

    async def big(seen: Seen, writer: asyncio.StreamWriter) -> None:
        await json_answer(seen, writer, {"rooms": rooms, "success": True})

    async with server(big) as (url, _), RestClient(settings(url)) as rest:
        assert (await rest.get_object("livechat/rooms"))["rooms"] == rooms


@pytest.mark.parametrize(
    ("proxy", "said"),
    [
        ("socks5://ops:s3cret@127.0.0.1:1080", "(socks5://127.0.0.1:1080) is a SOCKS proxy, which needs the socksio"),
        ("ftp://ops:s3cret@proxy.internal:2121", "(ftp://proxy.internal:2121) is not one the bot can use"),
    ],
)
def test_a_proxy_the_bot_cannot_use_is_a_configuration_problem(
    monkeypatch: pytest.MonkeyPatch, proxy: str, said: str
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(ConfigError) as caught:
        RestClient(settings("https://chat.example.com"))
    assert said in str(caught.value) and "NO_PROXY" in str(caught.value)
    assert "s3cret" not in str(caught.value) and "ops" not in str(caught.value)


async def test_a_proxy_that_does_not_answer_is_named_in_the_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    async with server() as (free, _):
        pass  # closed again: nothing listens on this port
    monkeypatch.setenv("HTTP_PROXY", free.replace("http://", "http://ops:s3cret@"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with RestClient(settings("http://chat.example.invalid")) as rest:
        with pytest.raises(ConnectionLost) as caught:
            await rest.me()
    assert f"cannot reach http://chat.example.invalid through the proxy {free}" in str(caught.value)
    assert "s3cret" not in str(caught.value)
