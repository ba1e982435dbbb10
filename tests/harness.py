"""Run the real bot against a real sandbox, and watch what it posts (no mocks of our own code).

Replies are observed through the sandbox's store events (the server side), so a test awaits the
event instead of sleeping. To show that something got *no* reply, a test posts a later "sentinel"
command and awaits its answer: the bot reads one socket in order, so everything posted before the
sentinel has been decided by then.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.commands.router import Invocation, Reply, Router
from bot.config import Secret, Settings
from bot.rocketchat.ids import reply_id
from bot.runtime.app import BotApp, build_router
from bot.sandbox import Sandbox
from bot.sandbox.store import MessageChanged
from tests.sandbox.workspace import BOT_PAT, PASSWORD

SECRET_FIGURE = "42 conversations"
_RUN_TASKS: weakref.WeakKeyDictionary[BotApp, asyncio.Task[None]] = weakref.WeakKeyDictionary()


def run_task(app: BotApp) -> asyncio.Task[None]:
    """The task running `app.run()` inside `running_bot`, to await how the bot ended."""
    return _RUN_TASKS[app]


def test_router(settings: Settings) -> Router:
    """The production router plus one command that needs the analytics permission."""
    router = build_router(settings)

    @router.command("figures", summary="a protected figure (tests only)", usage="figures")
    async def figures(invocation: Invocation) -> Reply:
        return Reply(f"{SECRET_FIGURE} for {invocation.asker}")

    return router


class ShiftedClock:
    """The bot's clock: real time plus an offset the test can move (the sandbox stamps real time)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class Replies:
    """Every message the bot user inserts, in order, as the server stored it."""

    def __init__(self, sb: Sandbox, bot_user_id: str = "u-bot") -> None:
        self.messages: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()
        self._bot = bot_user_id
        sb.store.listen(self._on_event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, MessageChanged) and event.inserted and event.message["u"]["_id"] == self._bot:
            self.messages.append(event.message)
            asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._arrived:
            self._arrived.notify_all()

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool], within: float = 5.0) -> dict[str, Any]:
        async def wait() -> dict[str, Any]:
            async with self._arrived:
                while True:
                    for message in self.messages:
                        if predicate(message):
                            return message
                    await self._arrived.wait()

        return await asyncio.wait_for(wait(), within)

    def to(self, command: dict[str, Any]) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["_id"] == reply_id(command["_id"])]

    async def answer_to(self, command: dict[str, Any], within: float = 5.0) -> dict[str, Any]:
        return await self.wait_for(lambda m: m["_id"] == reply_id(command["_id"]), within)


class Poster:
    """Posts over REST as a workspace user, the way a person's client would."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.http = http
        self.headers = headers

    @classmethod
    async def login(cls, http: httpx.AsyncClient, username: str) -> Poster:
        response = await http.post("/api/v1/login", json={"user": username, "password": PASSWORD})
        data = response.json()["data"]
        return cls(http, {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]})

    async def post(self, rid: str, text: str, **extra: Any) -> dict[str, Any]:
        body = {"message": {"rid": rid, "msg": text, **extra}}
        response = await self.http.post("/api/v1/chat.sendMessage", json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        message: dict[str, Any] = response.json()["message"]
        return message

    async def call(self, route: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(f"/api/v1/{route}", json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


def bot_settings(sb: Sandbox, **overrides: Any) -> Settings:
    """Settings for a test bot; its state file goes to a fresh temporary folder unless one is given."""
    state_file = str(Path(tempfile.mkdtemp(prefix="analytics-bot-test-")) / "state.sqlite3")
    base = Settings(
        url=sb.url,
        user_id="u-bot",
        auth_token=Secret(BOT_PAT),
        ping_interval=0.5,
        silence_timeout=2.0,
        state_file=state_file,
    )
    return replace(base, **overrides)


@asynccontextmanager
async def running_bot(
    sb: Sandbox, *, clock: Callable[[], datetime] | None = None, **overrides: Any
) -> AsyncIterator[BotApp]:
    settings = bot_settings(sb, **overrides)
    app = BotApp(
        settings,
        router=test_router(settings),
        backoff=lambda: itertools.repeat(0.02),
        clock=clock or (lambda: datetime.now(UTC)),
    )
    task = asyncio.create_task(app.run())
    _RUN_TASKS[app] = task
    try:
        waiter = asyncio.ensure_future(app.wait_for_session(1))
        done, _ = await asyncio.wait({waiter, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            waiter.cancel()
            task.result()  # raises what stopped the bot
        assert waiter in done, "the bot did not connect within 10 s"
        yield app
    finally:
        app.stop()
        await asyncio.wait_for(asyncio.shield(task), 15) if not task.done() else None
