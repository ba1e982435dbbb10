"""`analytics-bot demo`: the sandbox with 90 days of demo data, the real bot against it, and a chat.

A newcomer types `!overview last week` as the demo manager in #omnichannel-managers and sees the
bot's replies, with chart pictures saved to a folder. Everything runs in this process over real
sockets on a free loopback port; nothing outside the machine is touched.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot.config import Secret, Settings
from bot.errors import RateLimited
from bot.rocketchat.ids import reply_id
from bot.rocketchat.realtime import RealtimeClient
from bot.runtime.app import BotApp
from bot.sandbox import Sandbox
from bot.sandbox import demo as demo_data
from bot.sandbox.store import MessageChanged

ROOM_NAME = "omnichannel-managers"
REPLY_WAIT = 60.0  # seconds to wait for the bot's reply before saying there was none


class Transcript:
    """Prints what the bot posts in the demo room as the server stores it; saves pictures."""

    def __init__(self, sb: Sandbox, rid: str, pictures: Path, out: Callable[[str], None]) -> None:
        self.sb, self.rid, self.pictures, self.out = sb, rid, pictures, out
        self.seen: set[str] = set()
        self.arrived = asyncio.Event()
        sb.store.listen(self._on_event)

    def _on_event(self, event: object) -> None:
        if not isinstance(event, MessageChanged) or not event.inserted:
            return
        message = event.message
        if message["rid"] != self.rid or message["u"]["username"] != demo_data.BOT_USERNAME:
            return
        self.seen.add(message["_id"])
        if message.get("msg"):
            self.out(f"{demo_data.BOT_USERNAME}: {message['msg']}")
        for file in message.get("files", []):
            data = self.sb.store.upload_data.get(file["_id"])
            if data is not None:
                self.pictures.mkdir(parents=True, exist_ok=True)
                path = self.pictures / file["name"]
                path.write_bytes(data)
                kind = "picture" if str(file.get("type", "")).startswith("image/") else "file"
                self.out(f"{demo_data.BOT_USERNAME}: [{kind} saved: {path}]")
        self.arrived.set()


class Manager:
    """The demo manager, posting the way Rocket.Chat's web client does: the `sendMessage` DDP method.

    REST would do, but Rocket.Chat's REST limiter allows a plain user 10 calls per route and minute
    (rocketchat-realtime-rest.md §2.9), which a newcomer typing fast hits on the 11th command; the web
    client's own path allows 5 messages a second."""

    def __init__(self, sb: Sandbox, user_id: str, token: str) -> None:
        async def credentials() -> tuple[str, str]:
            return user_id, token

        self.client = RealtimeClient(sb.ws_url, credentials=credentials, on_message=lambda _: None)
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Manager:
        self.task = asyncio.create_task(self.client.run())
        await asyncio.wait_for(self.client.ready.wait(), 30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.client.stop()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)

    async def post(self, rid: str, text: str) -> str:
        """Post `text`; returns the message id. Waits out the limiter if someone types faster than it allows."""
        while True:
            try:
                message = await self.client.call("sendMessage", [{"rid": rid, "msg": text}])
            except RateLimited as exc:
                await asyncio.sleep(exc.retry_after)
                continue
            return str(message["_id"])


def _stdin_lines() -> asyncio.Queue[str | None]:
    """Lines typed on stdin, read by a daemon thread: Ctrl-C ends the demo at once instead of waiting for
    Enter (a worker thread blocked in readline() would hold up the event loop's shutdown)."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=read, name="demo stdin", daemon=True).start()
    return lines


async def run_demo(says: list[str] | None, *, pictures: Path, seed: int, out: Callable[[str], None] = print) -> int:
    now = datetime.now(UTC)
    document = demo_data.demo_document(seed=seed, now=now)
    async with Sandbox(document, seed=seed) as sb:
        scratch = tempfile.mkdtemp(prefix="analytics-bot-demo-")  # the demo's digests live only as long as it does
        settings = Settings(
            url=sb.url,
            user_id=demo_data.BOT_USER_ID,
            auth_token=Secret(demo_data.BOT_TOKEN),
            state_file=str(Path(scratch) / "state.sqlite3"),
        )
        app = BotApp(settings)
        bot = asyncio.create_task(app.run())
        try:
            await asyncio.wait_for(app.wait_for_session(1), 30)
            async with httpx.AsyncClient(base_url=sb.url) as http:
                login = await http.post(
                    "/api/v1/login", json={"user": demo_data.MANAGER_USERNAME, "password": demo_data.DEMO_PASSWORD}
                )
                data = login.json()["data"]
                headers = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
                room = (await http.get("/api/v1/rooms.info", params={"roomName": ROOM_NAME}, headers=headers)).json()
            rid = room["room"]["_id"]
            transcript = Transcript(sb, rid, pictures, out)
            async with Manager(sb, data["userId"], data["authToken"]) as manager:
                out(f"Demo workspace at {sb.url} — you are {demo_data.MANAGER_USERNAME} in #{ROOM_NAME}.")

                async def say(text: str) -> None:
                    message_id = await manager.post(rid, text)
                    if not app.pipeline or app.pipeline.command_text(text, direct=False) is None:
                        return  # not a command: the bot stays quiet
                    try:
                        while reply_id(message_id) not in transcript.seen:
                            transcript.arrived.clear()
                            await asyncio.wait_for(transcript.arrived.wait(), REPLY_WAIT)
                    except TimeoutError:
                        out(f"(no reply within {REPLY_WAIT:g} s; the bot's log says why)")
                        return
                    await app.dispatcher.idle()  # pictures and follow-ups of the same command

                if says:
                    for text in says:
                        out(f"{demo_data.MANAGER_USERNAME}: {text}")  # no terminal echoed it
                        await say(text)
                    return 0
                out(
                    "Type a command (e.g. !help, !overview last week, !chart frt last 30 days dept=Sales); Ctrl-D quits"
                )
                lines = _stdin_lines()
                while True:
                    print(f"{demo_data.MANAGER_USERNAME}> ", end="", flush=True)
                    line = await lines.get()
                    if line is None:
                        print()
                        return 0
                    if line.strip():
                        await say(line.strip())
        finally:
            app.stop()
            await asyncio.gather(bot, return_exceptions=True)


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(run_demo(args.say, pictures=Path(args.pictures), seed=args.seed))
    except KeyboardInterrupt:
        print()
        return 0


__all__ = ["main", "run_demo"]
