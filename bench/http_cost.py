"""What one REST request costs the bot's process, per way of using httpx, side by side with a floor.

Why: a reply is one `chat.sendMessage`; in a burst of 1000 commands the bot's CPU per request decides when the
last reply lands (bench/burst.py). This posts the same JSON request, `--concurrency` in flight (16: the
replies the dispatcher posts at once), to a minimal keep-alive HTTP/1.1 server in its own process, and reads
this process's CPU time per request for:

- `AsyncClient()`: httpx's client as it comes (up to 100 connections, 20 kept alive);
- `AsyncClient(limits=16)`: the same with the pool bounded to 16 connections, all kept alive;
- `bot transport`: what the bot does (bot/rocketchat/transport.py): `httpx.Request`s on httpcore's pool over
  asyncio sockets, with the bot's number of connections (bot/rocketchat/rest.py CONNECTIONS) and with 16;
- `floor`: 16 asyncio connections writing prebuilt request bytes and reading `content-length` bytes back (no
  HTTP library at all: no client in Python can cost less per request).

Each way runs `--runs` times (interleaved, so a noisy neighbour hits all alike); printed: the median CPU per
request, the spread, and the ratio to the floor of the same round.

    .venv/bin/python bench/http_cost.py [--requests 2000] [--concurrency 16] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from bot.rocketchat.rest import CONNECTIONS
from bot.rocketchat.transport import PooledTransport

BODY = json.dumps({"message": {"_id": "x" * 17, "rid": "GENERAL", "msg": "Overview " * 40}}).encode()
ANSWER = json.dumps({"message": {"_id": "x" * 17, "rid": "GENERAL", "msg": "Overview " * 40}, "success": True})
HEADERS = {"X-User-Id": "u-bot", "X-Auth-Token": "t" * 43, "Content-Type": "application/json"}


# --- the server (its own process) -------------------------------------------------------------------------


async def serve() -> None:
    answer = ANSWER.encode()
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(answer)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request_head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in request_head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                writer.write(head + answer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.get_running_loop().create_future()


# --- the ways of sending ----------------------------------------------------------------------------------

Send = Callable[[], Awaitable[None]]


def client_way(url: str, client: httpx.AsyncClient) -> Send:
    async def send() -> None:
        response = await client.post(url, content=BODY, headers=HEADERS)
        response.json()

    return send


def transport_way(url: str, transport: PooledTransport) -> Send:
    """As bot/rocketchat/rest.py sends: the URL parsed once and the headers built once."""
    timeouts = httpx.Timeout(10.0).as_dict()
    parsed, headers = httpx.URL(url), httpx.Headers(HEADERS)

    async def send() -> None:
        request = httpx.Request("POST", parsed, content=BODY, headers=headers, extensions={"timeout": timeouts})
        response = await transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        response.json()

    return send


class Floor:
    """Prebuilt request bytes on `size` raw connections, each answer read by its content-length."""

    def __init__(self, port: int, size: int) -> None:
        self.port = port
        self.size = size
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        head = f"POST /api/v1/chat.sendMessage HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items()) + f"content-length: {len(BODY)}\r\n\r\n"
        self.request = head.encode() + BODY

    async def open(self) -> None:
        for _ in range(self.size):
            self.idle.put_nowait(await asyncio.open_connection("127.0.0.1", self.port))

    async def send(self) -> None:
        reader, writer = await self.idle.get()
        writer.write(self.request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        json.loads(await reader.readexactly(length))
        self.idle.put_nowait((reader, writer))

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get_nowait()[1].close()


async def cpu_per_request(send: Send, requests: int, concurrency: int) -> float:
    slots = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with slots:
            await send()

    await asyncio.gather(*(one() for _ in range(100)))  # connections open, code paths warm
    began = time.process_time()
    await asyncio.gather(*(one() for _ in range(requests)))
    return (time.process_time() - began) / requests * 1000


async def measure(args: argparse.Namespace) -> None:
    server = await asyncio.create_subprocess_exec(sys.executable, __file__, "--serve", stdout=asyncio.subprocess.PIPE)
    assert server.stdout is not None
    port = int((await server.stdout.readline()).split()[-1])
    url = f"http://127.0.0.1:{port}/api/v1/chat.sendMessage"
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    results: dict[str, list[float]] = {}
    ratios: dict[str, list[float]] = {}
    try:
        for _ in range(args.runs):
            floor = Floor(port, args.concurrency)
            await floor.open()
            stock, bounded = httpx.AsyncClient(), httpx.AsyncClient(limits=limits)
            ours = PooledTransport(connections=CONNECTIONS)
            ours16 = PooledTransport(connections=16)
            ways = {
                "floor (raw asyncio, no HTTP library)": floor.send,
                "AsyncClient()": client_way(url, stock),
                "AsyncClient(limits=16)": client_way(url, bounded),
                f"bot transport, {CONNECTIONS} connections (the bot's)": transport_way(url, ours),
                "bot transport, 16 connections": transport_way(url, ours16),
            }
            round_ = {name: await cpu_per_request(send, args.requests, args.concurrency) for name, send in ways.items()}
            for name, cost in round_.items():
                results.setdefault(name, []).append(cost)
                ratios.setdefault(name, []).append(cost / round_["floor (raw asyncio, no HTTP library)"])
            floor.close()
            await stock.aclose()
            await bounded.aclose()
            await ours.aclose()
            await ours16.aclose()
    finally:
        server.kill()
        await server.wait()
    print(f"CPU per request of this process, {args.requests} POSTs, {args.concurrency} in flight, {args.runs} runs:")
    for name, costs in results.items():
        spread = ", ".join(f"{c:.3f}" for c in costs)
        ratio = ", ".join(f"{r:.2f}" for r in ratios[name])
        print(f"  {name:<46} median {statistics.median(costs):.3f} ms ({spread}); × floor {ratio}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(serve() if args.serve else measure(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
