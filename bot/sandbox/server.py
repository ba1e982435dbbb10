"""Run the sandbox: in-process for tests (`async with Sandbox(...) as sb`), in a thread for
synchronous clients, or from the command line (`python -m bot sandbox`).

The listening socket is bound before uvicorn starts, so port 0 gives a usable port at once and
clients that connect early simply wait in the backlog; a restart rebinds the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import uvicorn

from .api import Api, RouteFault
from .app import Controls, build_app
from .controls_live import LiveControls
from .data import load_document
from .realtime import Realtime
from .store import Clock, Doc, Store, system_clock


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal capture: whoever embeds the sandbox (tests, the CLI, the demo
    with the bot in the same process) decides what Ctrl-C means."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Sandbox(Controls):
    """A running Rocket.Chat-compatible server over a Store.

    Fault API for tests: `drop_sockets()`, `restart()`, `stop_listening()`/`start_listening()`,
    `fault(route, status=..., delay=..., times=..., hold=...)`, `clear_faults()`, `revoke_token()`.
    """

    def __init__(
        self,
        document: Any = None,
        *,
        store: Store | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock = system_clock,
        seed: int | None = None,
    ) -> None:
        self.store = store if store is not None else load_document(document or {}, clock=clock, seed=seed)
        self.host = host
        self.port = port
        self.api = Api(self.store)
        self.realtime = Realtime(self.store)
        self.app = build_app(self.store, self.api, self.realtime, self)
        self.live = LiveControls(self.store)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/websocket"

    async def __aenter__(self) -> Sandbox:
        await self.start_listening()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop_listening()

    async def start_listening(self) -> None:
        if self._task is not None:
            return
        # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP,
        # and without it every response waits ~40 ms on Nagle + delayed ACK.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
            ws_ping_interval=None,  # DDP has its own heartbeat
            ws_max_size=16 * 1024 * 1024,
            timeout_graceful_shutdown=1,
        )
        server = _EmbeddedServer(config)
        self._server = server
        self._task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))

    async def stop_listening(self) -> None:
        """Close the listening socket and every connection: the server is unreachable until restarted."""
        if self._server is None or self._task is None:
            return
        await self.realtime.drop_all()
        self._server.should_exit = True
        self._server.force_exit = True
        task, self._task, self._server = self._task, None, None
        await task

    async def drop_sockets(self) -> None:
        await self.realtime.drop_all()

    async def restart(self, downtime: float = 0.0) -> None:
        """Like a server restart: sessions, subscriptions, rate-limit windows and caches are gone;
        login tokens and data (MongoDB's) are kept."""
        await self.stop_listening()
        self.realtime.forget_sessions()
        self.api.limiter.windows.clear()
        if downtime:
            await asyncio.sleep(downtime)
        await self.start_listening()

    def fault(
        self,
        route: str,
        *,
        status: int | None = None,
        delay: float = 0.0,
        times: int | None = None,
        hold: asyncio.Event | None = None,
        retry_after_ms: int = 30000,
    ) -> RouteFault:
        fault = RouteFault(route, status=status, delay=delay, times=times, hold=hold, retry_after_ms=retry_after_ms)
        self.api.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.api.faults.clear()

    def revoke_token(self, token: str) -> bool:
        return self.store.revoke_token(token)

    # --- live operations (controls_live.py) ------------------------------------------------------------

    def set_agent_status(self, username: str, *, status: str | None = None, livechat: str | None = None) -> Doc:
        """Set an agent's presence (`status`: online/away/busy/offline) and/or `statusLivechat`."""
        return self.live.set_agent_status(username, status=status, livechat=livechat)

    def enqueue(
        self, *, department: str | None = None, text: str = "Hello, I need help", visitor: Doc | None = None
    ) -> str:
        """A visitor opens a chat; returns the room id (its inquiry is queued)."""
        return str(self.live.enqueue(department=department, text=text, visitor=visitor)["rid"])

    def take(self, rid: str, username: str) -> None:
        self.live.take(rid, username)

    def message(self, rid: str, text: str, username: str | None = None) -> None:
        """A message in a livechat room: from `username` (an agent), or from the visitor when None."""
        self.live.message(rid, text, username)

    def close(self, rid: str, username: str | None = None) -> None:
        """Close a chat as `username`, or as the visitor when None."""
        self.live.close(rid, username)


@contextlib.contextmanager
def sandbox_in_thread(document: Any = None, **options: Any) -> Iterator[Sandbox]:
    """Run a Sandbox on its own event loop in a thread, for synchronous clients (rocketchat_API)."""
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        try:
            async with Sandbox(document, **options) as sb:
                holder["sandbox"], holder["loop"], holder["stop"] = sb, asyncio.get_running_loop(), stop
                ready.set()
                await stop.wait()
        except BaseException as exc:  # surfaced to the caller below
            holder["error"] = exc
            ready.set()

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="sandbox", daemon=True)
    thread.start()
    ready.wait()
    if "error" in holder:
        raise holder["error"]
    try:
        yield holder["sandbox"]
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join()
