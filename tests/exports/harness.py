"""Exports answered in-process against a sandbox holding the demo workspace: the real router, dispatcher, access
checks, REST client and export code, without the realtime link. What the asker reads is what
`Dispatcher.answer` returns; the files are what the sandbox stored for the bot's file messages.

The demo workspace (bot.sandbox.demo) has ~27 conversations a day, so a month is several pages of 100. Its
reporting time zone is set to the bot's (Europe/Berlin), as the README asks, so overview and export count
the same days. The bot may read askers' roles (`view-full-other-user-info`), so access follows the roles.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import openpyxl

from bot.analytics.service import AnalyticsService
from bot.commands.analytics import Services
from bot.commands.export import ExportTools, register_export
from bot.commands.router import Reply
from bot.config import Secret, Settings
from bot.rocketchat.models import IncomingMessage
from bot.rocketchat.rest import RestClient
from bot.runtime.access import Access
from bot.runtime.app import build_router
from bot.runtime.dispatch import Dispatcher
from bot.runtime.pipeline import Command
from bot.sandbox import Sandbox
from bot.sandbox.demo import BOT_TOKEN, BOT_USER_ID, demo_document
from bot.sandbox.store import MessageChanged

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # a Wednesday; "last month" is October 2026 (a 25 h day in it)
TZ = "Europe/Berlin"
ROOM = "omnichannel-managers"
MANAGER = "maria.manager"


def demo_workspace(days: int = 50, **settings: Any) -> dict[str, Any]:
    document = demo_document(now=NOW, days=days)
    document["settings"] = {
        "API_Enable_Rate_Limiter": False,
        "Sandbox_Analytics_Cache_ms": 0,
        "Sandbox_Dashboards_Cache_ms": 0,
        "Default_Timezone_For_Reporting": "custom",
        "Default_Custom_Timezone": TZ,
        "Sandbox_Permissions": {"view-full-other-user-info": ["admin", "bot"]},
        **settings,
    }
    return document


def demo_settings(sb: Sandbox, **overrides: Any) -> Settings:
    base = Settings(url=sb.url, user_id=BOT_USER_ID, auth_token=Secret(BOT_TOKEN), timezone=TZ)
    return replace(base, **overrides)


@dataclass
class Exporter:
    sb: Sandbox
    rest: RestClient
    services: Services
    tools: ExportTools
    dispatcher: Dispatcher
    edits: list[str] = field(default_factory=list)  # texts of every edit of a bot message, in order
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def say(self, text: str, *, asker: str = MANAGER) -> str:
        """What `asker` reads after typing `text` in the managers' room."""
        return (await self.reply(text, asker=asker)).text

    async def reply(self, text: str, *, asker: str = MANAGER) -> Reply:
        message = IncomingMessage(
            id=f"cmd-{next(self._ids)}", rid=ROOM, text=text, sender_id="", sender_username=asker, ts=NOW,
            updated_at=NOW,
        )  # fmt: skip
        return await self.dispatcher.answer(Command(message, text.removeprefix("!"), "p"))

    def file_messages(self) -> list[dict[str, Any]]:
        return [
            m for m in self.sb.store.messages.values() if m["u"]["_id"] == BOT_USER_ID and m.get("file") is not None
        ]

    def stray_lines(self, answer: str) -> list[str]:
        """Progress lines still in the room after the answer `answer`: none may stay. (When the command's id is
        known the progress line becomes the answer; otherwise it is removed.)"""
        return [
            m["msg"]
            for m in self.sb.store.messages.values()
            if m["u"]["_id"] == BOT_USER_ID and m["msg"].startswith("Exporting…") and m["msg"] != answer
        ]

    def files(self) -> list[tuple[str, bytes]]:
        """(name, bytes) of every file the bot has posted, in order."""
        return [(m["file"]["name"], self.sb.store.upload_data[m["file"]["_id"]]) for m in self.file_messages()]


@asynccontextmanager
async def exporting(document: dict[str, Any] | None = None, **tool_options: Any) -> AsyncIterator[Exporter]:
    async with Sandbox(document or demo_workspace(), clock=lambda: NOW) as sb:
        settings = demo_settings(sb)
        async with RestClient(settings, clock=lambda: NOW) as rest:
            analytics = AnalyticsService(rest, clock=lambda: NOW, tz=TZ)
            services = Services(analytics, settings, lambda: NOW, pictures=False)
            rooms_access = Access(rest, permission="view-livechat-rooms", clock=lambda: NOW, ttl=0)
            tools = ExportTools(rest, rooms_access, sb.url, **{"progress_interval": 0.0, **tool_options})
            services.exports = tools  # type: ignore[attr-defined]  # the field app.py wires (see the report)
            router = build_router(settings)
            register_export(router)
            access = Access(rest, clock=lambda: NOW, ttl=0)
            exporter = Exporter(sb, rest, services, tools, Dispatcher(router, access, rest, services=services))

            def on_event(event: object) -> None:
                if (
                    isinstance(event, MessageChanged)
                    and not event.inserted
                    and event.message["u"]["_id"] == BOT_USER_ID
                ):
                    exporter.edits.append(event.message["msg"])

            sb.store.listen(on_event)
            yield exporter


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark, for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(data: bytes) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    sheet = book.worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def unzip(data: bytes) -> tuple[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = archive.namelist()
        return name, archive.read(name)


def read_table(name: str, data: bytes) -> list[list[Any]]:
    """Header + rows of an exported file, whatever its packaging; CSV cells as text, Excel cells as typed."""
    if name.endswith(".zip"):
        name, data = unzip(data)
    return xlsx_rows(data) if name.endswith(".xlsx") else csv_rows(data)
