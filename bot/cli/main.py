"""`analytics-bot run` and `analytics-bot check`: configuration, logging, signals, exit codes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from bot.cli.check import FAILED, run_checks
from bot.config import Settings, load_settings
from bot.errors import AuthFailed, ConfigError, TransportError
from bot.rocketchat.rest import RestClient
from bot.runtime.app import BotApp
from bot.state.store import StateError

log = logging.getLogger("bot")


def _settings(args: argparse.Namespace) -> Settings | None:
    try:
        return load_settings(args.config)
    except ConfigError as exc:
        _configuration_problem(exc)
        return None


def _configuration_problem(exc: ConfigError) -> int:
    """Exit code 2 with the message: some settings ([dates] defaults) can only be checked where they are used."""
    print(f"analytics-bot: configuration problem: {exc}", file=sys.stderr)
    return 2


def setup_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines would repeat every call


async def _run(settings: Settings) -> int:
    try:
        app = BotApp(settings)
    except ConfigError as exc:
        return _configuration_problem(exc)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, app.stop)
    try:
        await app.run()
    except AuthFailed as exc:
        print(f"analytics-bot: Rocket.Chat refused the bot's credentials: {exc}", file=sys.stderr)
        return 1
    except (ConfigError, StateError) as exc:
        print(f"analytics-bot: cannot start: {exc}", file=sys.stderr)
        return 2
    except TransportError as exc:
        print(f"analytics-bot: cannot start: {exc}", file=sys.stderr)
        return 1
    log.info("stopped")
    return 0


def run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings is None:
        return 2
    setup_logging(settings.log_level)
    return asyncio.run(_run(settings))


async def _check(settings: Settings) -> int:
    async with RestClient(settings) as rest:
        lines = await run_checks(settings, rest)
    for line in lines:
        print(line.render())
    return 1 if any(line.status == FAILED for line in lines) else 0


def ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings is None:
        return 2
    setup_logging("WARNING")
    from pathlib import Path

    from bot.cli.ask import ask as run_ask

    pictures = Path(args.pictures) if args.pictures else None
    try:
        return asyncio.run(run_ask(settings, args.text, as_json=args.json, pictures=pictures))
    except ConfigError as exc:
        return _configuration_problem(exc)


def digest_preview(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings is None:
        return 2
    setup_logging("WARNING")
    from bot.cli.digest_preview import preview

    return asyncio.run(preview(settings, name=args.name, room=args.room, day=args.date))


def check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings is None:
        return 2
    return asyncio.run(_check(settings))
