"""How the REST client's requests travel: httpx requests on one bounded keep-alive pool over asyncio's own sockets.

Why not `httpx.AsyncClient()` as it comes. bench/http_cost.py posts the same requests to a local server, 16 in
flight: the stock client costs 2.3-2.8 ms of CPU per request on these machines, which made the last reply of a
1000-command burst take 4-6 s (issue 10). Most of it is not HTTP: on every request event httpcore's pool asks
every pooled connection `has_expired()`, which asks anyio for the socket's attributes, and anyio builds a
dictionary of them (with a `getpeername` system call) on each call; the client also runs every response through
a urllib cookie jar the bot never uses, and an auth and a redirect flow it does not use either (it sends
tokens in headers and refuses redirects, rest.py). The requests below are the same `httpx.Request`s, sent on
httpcore's own pool (its public `network_backend` extension point) over asyncio transports whose "is this
idle socket readable?" is an attribute read: 0.76 ms per request in the same benchmark.

- One pool for the process, at most `connections` sockets, all kept alive (the stock client keeps 20 of 100:
  a burst opened and closed a socket per request past that). Requests past the bound wait for a socket
  (the pool timeout is the request timeout).
- Keep-alive ends after `KEEPALIVE_SECONDS` of idleness, below Node's default `server.keepAliveTimeout`
  (5 s, which Rocket.Chat does not change), so the bot does not reuse a socket the server is closing; a
  socket the server closed anyway is seen as readable (end of file) and dropped before reuse.
- TLS uses httpx's own default context (`httpx.create_ssl_context`: certifi, or SSL_CERT_FILE/SSL_CERT_DIR).
- A proxy named in the environment (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, minus NO_PROXY, as httpx and urllib
  read them) is honoured by falling back to httpx's own transport for it: proxies are rare for a bot that sits
  next to its server, and httpx already speaks them.
- Errors leave as httpx's exceptions (same names as httpcore's), which rest.py maps into `bot.errors`.
"""

# ruff: noqa: ASYNC109  (httpcore's network interface passes each deadline as a `timeout` argument)
from __future__ import annotations

import asyncio
import ssl
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from bot.errors import ConfigError

__all__ = [
    "KEEPALIVE_SECONDS",
    "AsyncioBackend",
    "PooledTransport",
    "environment_proxy",
    "open_transport",
    "shown_proxy",
]

KEEPALIVE_SECONDS = 4.0
_HIGH_WATER = 256 * 1024  # stop reading from the socket while this much is buffered and unread


class _Protocol(asyncio.Protocol):
    """One socket's bytes and state, kept so that `read` waits on a future and `is_readable` is a field read."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.reading: asyncio.Future[None] | None = None
        self.draining: asyncio.Future[None] | None = None
        self.paused = False  # the transport asked us to stop writing
        self.held = False  # we asked the transport to stop reading (too much unread)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _HIGH_WATER and self.transport is not None and not self.held:
            self.transport.pause_reading()
            self.held = True
        _wake(self.reading)

    def eof_received(self) -> bool:
        self.eof = True
        _wake(self.reading)
        return False  # close our side too: HTTP/1.1 has no use for a half-closed socket

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        _wake(self.reading)
        _wake(self.draining)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        _wake(self.draining)


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


async def _wait(protocol: _Protocol, kind: str, seconds: float | None) -> None:
    waiter = asyncio.get_running_loop().create_future()
    setattr(protocol, kind, waiter)
    try:
        async with asyncio.timeout(seconds):
            await waiter
    finally:
        setattr(protocol, kind, None)


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._unsent: list[bytes] = []
        self._unsent_size = 0

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._unsent:
            await self._flush(timeout)
        protocol = self._protocol
        if not protocol.buffer and not protocol.eof:
            try:
                await _wait(protocol, "reading", timeout)
            except TimeoutError as exc:
                raise httpcore.ReadTimeout(f"no bytes within {timeout} s") from exc
        if protocol.buffer:
            data = bytes(protocol.buffer[:max_bytes])
            del protocol.buffer[:max_bytes]
            if protocol.held and len(protocol.buffer) <= _HIGH_WATER // 4 and not protocol.eof:
                self._transport.resume_reading()
                protocol.held = False
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(str(protocol.error) or type(protocol.error).__name__)
        return b""  # the server closed the connection

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Hold the bytes until the request is complete: httpcore writes a request's head and its body
        separately, and one system call instead of two is a tenth of a small request's CPU (bench/http_cost.py).
        The request is complete when httpcore starts reading the answer; a large body goes out as it comes."""
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._unsent.append(buffer)
        self._unsent_size += len(buffer)
        if self._unsent_size >= _HIGH_WATER:
            await self._flush(timeout)

    async def _flush(self, timeout: float | None) -> None:
        data = b"".join(self._unsent)
        self._unsent.clear()
        self._unsent_size = 0
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(data)
        if self._protocol.paused:
            try:
                await _wait(self._protocol, "draining", timeout)
            except TimeoutError as exc:
                raise httpcore.WriteTimeout(f"could not send within {timeout} s") from exc
            if self._protocol.error is not None:
                raise httpcore.WriteError(str(self._protocol.error))

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                upgraded = await loop.start_tls(
                    self._transport, self._protocol, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout} s") from exc
        except OSError as exc:  # ssl.SSLError (a refused certificate among them) is an OSError
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        if upgraded is None:  # the connection closed during the handshake
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        assert isinstance(upgraded, asyncio.Transport)
        self._protocol.transport = upgraded
        return _Stream(upgraded, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # httpcore: an idle connection that is readable was closed by the server
            return self._protocol.eof or bool(self._protocol.buffer)
        names = {"ssl_object": "ssl_object", "client_addr": "sockname", "server_addr": "peername", "socket": "socket"}
        return self._transport.get_extra_info(names[info]) if info in names else None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio transports and protocols (no anyio in the request path)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        loop = asyncio.get_running_loop()
        stream = await _connect(timeout, lambda: loop.create_connection(_Protocol, host, port, local_addr=local))
        for option in socket_options or ():
            stream.get_extra_info("socket").setsockopt(*option)
        return stream

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        return await _connect(timeout, lambda: loop.create_unix_connection(_Protocol, path))

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connect(
    timeout: float | None, opening: Callable[[], Awaitable[tuple[asyncio.BaseTransport, _Protocol]]]
) -> _Stream:
    try:
        async with asyncio.timeout(timeout):
            transport, protocol = await opening()
    except TimeoutError as exc:  # before OSError, of which it is a subclass
        raise httpcore.ConnectTimeout(f"no connection within {timeout} s") from exc
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    assert isinstance(transport, asyncio.Transport)
    return _Stream(transport, protocol)


# httpcore's exceptions and httpx's share names; most specific first (the first match wins).
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        mapped = next((theirs for ours, theirs in _ERRORS if isinstance(exc, ours)), None)
        if mapped is None:
            raise
        raise mapped(str(exc) or type(exc).__name__, request=request) from exc


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: Any, request: httpx.Request, release: Callable[[], None]) -> None:
        self._stream = stream
        self._request = request
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx(self._request):
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        try:
            with _as_httpx(self._request):
                await self._stream.aclose()
        finally:
            if self._release is not None:
                self._release()
                self._release = None


class PooledTransport(httpx.AsyncBaseTransport):
    """httpx's transport interface on one `httpcore.AsyncConnectionPool` over `AsyncioBackend`."""

    def __init__(
        self,
        *,
        connections: int,
        ssl_context: ssl.SSLContext | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context if ssl_context is not None else httpx.create_ssl_context(),
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=network_backend if network_backend is not None else AsyncioBackend(),
        )
        # Requests wait here, not in httpcore's queue: the pool re-scans every queued request against every
        # connection on each request event, so a thousand queued sends cost quadratic CPU; here they cost none.
        self._slots = asyncio.Semaphore(connections)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        url = request.url
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        wait = request.extensions.get("timeout", {}).get("pool")
        try:
            async with asyncio.timeout(wait):
                await self._slots.acquire()
        except TimeoutError as exc:
            raise httpx.PoolTimeout(f"no free connection within {wait} s", request=request) from exc
        try:
            with _as_httpx(request):
                response = await self._pool.handle_async_request(core)
        except BaseException:
            self._slots.release()
            raise
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream, request, self._slots.release),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for `url` (HTTPS_PROXY/HTTP_PROXY/ALL_PROXY, minus NO_PROXY), or None."""
    parsed = httpx.URL(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parsed.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parsed.host):
        return None
    return proxy


def shown_proxy(proxy: str) -> str:
    """A proxy URL fit for a message or a log: scheme, host and port, never a user or password in it."""
    try:
        parsed = httpx.URL(proxy)
    except (httpx.InvalidURL, TypeError):
        return "an unreadable proxy URL"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


def open_transport(url: str, *, connections: int) -> httpx.AsyncBaseTransport:
    """The transport for requests to `url`: our pool, or httpx's own when the environment names a proxy.

    A proxy httpx cannot use is the environment's problem, said as a ConfigError before anything connects: a
    SOCKS proxy needs the socksio package, other schemes are not proxies httpx speaks."""
    proxy = environment_proxy(url)
    if proxy is None:
        return PooledTransport(connections=connections)
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=KEEPALIVE_SECONDS
    )
    unset = "or leave this server out of it with NO_PROXY"
    try:
        return httpx.AsyncHTTPTransport(proxy=proxy, limits=limits)
    except ImportError:
        raise ConfigError(
            f"the environment's proxy for {url} ({shown_proxy(proxy)}) is a SOCKS proxy, which needs the socksio "
            f"package: pip install 'httpx[socks]', {unset}"
        ) from None
    except (ValueError, httpx.InvalidURL):
        raise ConfigError(
            f"the environment's proxy for {url} ({shown_proxy(proxy)}) is not one the bot can use: set "
            f"HTTPS_PROXY/HTTP_PROXY to an http://, https:// or socks5:// URL, {unset}"
        ) from None
