"""An alerts world for tests: the live morning's workspace (tests/analytics/live_morning.py) with no chats yet,
a default business hour, one clock for the sandbox and the bot, a state file, and runners made on demand (a new
runner on the same state file is what a restart is). What the room shows is read from the server's store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.alerts.core import Condition
from bot.alerts.runner import AlertRunner
from bot.analytics.service import AnalyticsService
from bot.errors import ConnectionLost
from bot.rocketchat.rest import RestClient
from bot.sandbox import Sandbox
from bot.state.incidents import AlertRecord
from bot.state.store import State
from tests.analytics.counting import Requests
from tests.analytics.live_morning import ZONE, Clock, workspace
from tests.harness import bot_settings

ROOM = "r-managers"
BUSINESS_HOUR = {
    "_id": "bh-default",
    "name": "",
    "active": True,
    "type": "default",
    "timezone": {"name": ZONE},
    "workHours": [
        {"day": day, "start": "08:00", "finish": "18:00", "open": day not in ("Saturday", "Sunday")}
        for day in ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
    ],
}


class Flaky:
    """The REST client, failing on purpose: `lose_after` sends reach the server but their answer is lost (a crash
    or a dropped connection between posting and recording); `refuse` sends fail before reaching it."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest
        self.lose_after = 0
        self.refuse = 0

    async def send_message(self, rid: str, text: str, *, msg_id: str, tmid: str | None = None, **kw: Any) -> Any:
        if self.refuse:
            self.refuse -= 1
            raise ConnectionLost("the connection dropped (test)")
        result = await self.rest.send_message(rid, text, msg_id=msg_id, tmid=tmid, **kw)
        if self.lose_after:
            self.lose_after -= 1
            raise ConnectionLost("the answer was lost (test)")
        return result

    async def update_message(self, rid: str, msg_id: str, text: str) -> Any:
        if self.refuse:
            self.refuse -= 1
            raise ConnectionLost("the connection dropped (test)")
        return await self.rest.update_message(rid, msg_id, text)


class World:
    def __init__(self, sb: Sandbox, clock: Clock, rest: RestClient, state_file: Path) -> None:
        self.sb, self.clock, self.rest = sb, clock, rest
        self.state = State(state_file)
        self.analytics = AnalyticsService(rest, clock=clock, tz=ZONE)
        self.poster = Flaky(rest)
        self.requests = Requests(sb)

    def runner(self, interval: float = 30) -> AlertRunner:
        """A fresh runner on the same state file (a restarted bot)."""
        return AlertRunner(self.state, self.analytics, self.poster, clock=self.clock, tz=ZONE, interval=interval)

    def add(self, condition: Condition, notify: tuple[str, ...] = ()) -> AlertRecord:
        record = AlertRecord(0, None, "chat", ROOM, asdict(condition), notify, created_by="maria")
        return self.state.add_alert(record)

    def posted(self) -> list[dict[str, Any]]:
        """The bot's messages in the room, in order, as the server holds them now (edits included)."""
        return [m for m in self.sb.store.messages.values() if m["rid"] == ROOM and m["u"]["_id"] == "u-bot"]


@asynccontextmanager
async def alerts_world(tmp_path: Path, **settings: Any) -> AsyncIterator[World]:
    clock = Clock()
    clock.at(9, 0)
    document = workspace(**settings)
    document["businessHours"] = [BUSINESS_HOUR]
    async with Sandbox(document, clock=clock) as sb, RestClient(bot_settings(sb, timezone=ZONE), clock=clock) as rest:
        world = World(sb, clock, rest, tmp_path / "state.sqlite3")
        try:
            yield world
        finally:
            world.state.close()
