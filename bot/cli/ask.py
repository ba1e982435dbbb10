"""`analytics-bot ask "TEXT"`: one command through the same handlers, for scripts and cron.

The operator running it holds the service account's credentials, so no asker permission check
applies. Exit codes: 0 answered, 2 the input was wrong (message on stderr), 1 Rocket.Chat failed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.analytics.service import AnalyticsService
from bot.commands.analytics import Services
from bot.commands.router import Invocation, Reply
from bot.config import Settings
from bot.errors import TransportError, UserInputError
from bot.rocketchat.rest import RestClient
from bot.runtime.app import build_router, check_default_ranges
from bot.runtime.dispatch import describe_transport_error


def strip_addressing(text: str, prefix: str) -> str:
    """Accept what people paste: `!overview ...`, `@bot overview ...` or just `overview ...`."""
    stripped = text.strip()
    if stripped.startswith(prefix):
        return stripped[len(prefix) :].strip()
    if stripped.startswith("@"):
        return stripped.partition(" ")[2].strip()
    return stripped


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _save(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


async def ask(settings: Settings, text: str, *, as_json: bool = False, pictures: Path | None = None) -> int:
    check_default_ranges(settings, datetime.now(UTC))
    router = build_router(settings)
    command = strip_addressing(text, settings.prefix)
    async with RestClient(settings) as rest:
        services = Services(AnalyticsService(rest, tz=settings.timezone), settings, lambda: datetime.now(UTC))
        spec = None
        try:
            spec, args = router.resolve(command or "help")
            await rest.login()
            reply: Reply = await spec.handler(Invocation(spec.name, args, "cli", "", datetime.now(UTC), services))
        except UserInputError as exc:
            usage = f"\n{router.usage(spec)}" if spec is not None else ""
            print(f"{exc}{usage}", file=sys.stderr)
            return 2
        except TransportError as exc:
            print(f"{describe_transport_error(exc)} ({exc})", file=sys.stderr)
            return 1
    if as_json:
        print(json.dumps({"command": spec.name, "text": reply.text, "result": to_json(reply.data)}, indent=2))
    else:
        print(reply.text)
    for picture in reply.pictures:
        if pictures is None:
            print(f"(a picture, {picture.filename}, was not saved: add --pictures DIR)", file=sys.stderr)
            continue
        path = await asyncio.to_thread(_save, pictures, picture.filename, picture.data)
        print(f"picture saved: {path}", file=sys.stderr)
    return 0
