"""`analytics-bot ask "TEXT"`: one command through the same handlers, for scripts and cron.

TEXT may be a command (`overview last week`, `!chart frt`) or a plain question ("how many chats did Sales
have last week?"), read as in a direct message; the reading is printed on top of the reply, and `--json`
carries it as `understood` (the command that ran, with the prefix), so scripts and tests can check it. A
question the bot would ask back, or cannot answer, is exit 2 with that answer on stderr (and, with
`--json`, the choices on stdout): a script cannot answer with a number.

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
from bot.digests.service import Digests
from bot.errors import TransportError, UserInputError
from bot.rocketchat.rest import RestClient
from bot.runtime.app import build_router, check_default_ranges
from bot.runtime.dispatch import describe_transport_error
from bot.state.store import State, StateError
from bot.understanding.answers import read_as
from bot.understanding.directory import Directory
from bot.understanding.reader import Addressed, Question, Reader, Reading, Said


def addressed(text: str, prefix: str) -> tuple[str, Addressed]:
    """Accept what people paste (`!overview ...`, `@bot overview ...`, `overview ...`, a question), and say how
    it was written: the prefix form is exact, anything else may be a question."""
    stripped = text.strip()
    if stripped.startswith(prefix):
        return stripped[len(prefix) :].strip(), Addressed.PREFIX
    if stripped.startswith("@"):
        return stripped.partition(" ")[2].strip(), Addressed.MENTION
    return stripped, Addressed.DIRECT


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


def _said(said: Said, prefix: str, as_json: bool) -> int:
    """A question back or a "cannot answer": exit 2, the text on stderr, the choices as JSON for scripts."""
    print(said.text, file=sys.stderr)
    if as_json:
        choices = [prefix + c for c in said.choices]
        print(json.dumps({"command": None, "understood": None, "choices": choices, "text": said.text}, indent=2))
    return 2


async def ask(settings: Settings, text: str, *, as_json: bool = False, pictures: Path | None = None) -> int:
    check_default_ranges(settings, datetime.now(UTC))
    router = build_router(settings)
    command, how = addressed(text, settings.prefix)

    def clock() -> datetime:
        return datetime.now(UTC)

    async with RestClient(settings) as rest:
        analytics = AnalyticsService(rest, tz=settings.timezone)
        services = Services(analytics, settings, clock, pictures=settings.charts_enabled)
        reader = Reader(router, settings, Directory.of(analytics, rest, clock=clock), clock=clock)
        spec = None
        reading: Reading | None = None
        try:
            found = await reader.interpret(Question(command or "help", how, "", "cli", "cli"))
            if isinstance(found, Said):
                return _said(found, settings.prefix, as_json)
            reading = found if isinstance(found, Reading) else None
            spec, args = router.resolve(found.command if isinstance(found, Reading) else found.text)
            await rest.login()
            if spec.name == "digest":  # digests live in the running bot's state file; work on it as the bot would
                state_path = Path(settings.state_file)
                if not await asyncio.to_thread(state_path.exists):
                    print(
                        f"analytics-bot: digests live in the bot's state file, and {str(state_path)!r} does not "
                        "exist yet: start the bot once, or point [digests] state_file at its file",
                        file=sys.stderr,
                    )
                    return 1
                state = await asyncio.to_thread(State, state_path)
                services.digests = Digests(settings, state, rest, clock=clock, analytics=analytics)
            reply: Reply = await spec.handler(Invocation(spec.name, args, "cli", "", clock(), services))
        except UserInputError as exc:
            usage = f"\n{router.usage(spec)}" if spec is not None else ""
            line = f"{read_as(settings.prefix, reading.command)}\n" if reading else ""
            print(f"{line}{exc}{usage}", file=sys.stderr)
            return 2
        except TransportError as exc:
            print(f"{describe_transport_error(exc)} ({exc})", file=sys.stderr)
            return 1
        except StateError as exc:
            print(f"analytics-bot: {exc}", file=sys.stderr)
            return 1
    understood = settings.prefix + " ".join(filter(None, (spec.name, args)))
    if as_json:
        result = {"command": spec.name, "understood": understood, "text": reply.text, "result": to_json(reply.data)}
        print(json.dumps(result, indent=2))
    else:
        print(f"{read_as(settings.prefix, reading.command)}\n{reply.text}" if reading else reply.text)
    for picture in reply.pictures:
        if pictures is None:
            print(f"(a picture, {picture.filename}, was not saved: add --pictures DIR)", file=sys.stderr)
            continue
        path = await asyncio.to_thread(_save, pictures, picture.filename, picture.data)
        print(f"picture saved: {path}", file=sys.stderr)
    return 0
