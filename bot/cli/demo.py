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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot.config import Secret, Settings
from bot.rocketchat.ids import reply_id
from bot.runtime.app import BotApp
from bot.sandbox import Sandbox
from bot.sandbox import demo as demo_data
from bot.sandbox.store import MessageChanged

ROOM_NAME = "omnichannel-managers"


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
                self.out(f"{demo_data.BOT_USERNAME}: [picture saved: {path}]")
        self.arrived.set()


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
                out(f"Demo workspace at {sb.url} — you are {demo_data.MANAGER_USERNAME} in #{ROOM_NAME}.")

                async def say(text: str) -> None:
                    out(f"{demo_data.MANAGER_USERNAME}: {text}")
                    body = {"message": {"rid": rid, "msg": text}}
                    posted = await http.post("/api/v1/chat.sendMessage", json=body, headers=headers)
                    message_id = posted.json()["message"]["_id"]
                    if not app.pipeline or app.pipeline.command_text(text, direct=False) is None:
                        return  # not a command: the bot stays quiet
                    while reply_id(message_id) not in transcript.seen:
                        transcript.arrived.clear()
                        await asyncio.wait_for(transcript.arrived.wait(), 60)
                    await app.dispatcher.idle()  # pictures and follow-ups of the same command

                if says:
                    for text in says:
                        await say(text)
                    return 0
                out(
                    "Type a command (e.g. !help, !overview last week, !chart frt last 30 days dept=Sales); "
                    "Ctrl-D to quit."
                )
                while True:
                    line = await asyncio.to_thread(sys.stdin.readline)
                    if not line:
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
        return 0


__all__ = ["main", "run_demo"]
