"""`analytics-bot export conversations|chart NAME|agents NAME --range RANGE [--dept NAME] [--agent USERNAME]
[--format csv|xlsx] [-o FILE]`: the same files as `!export`, written locally, for scripts and cron.

- Output: `-o FILE` (written to a temporary name and renamed, so a failed run never leaves half a file), or
  standard output with `-o -` or no `-o`. On a pipe, standard output carries the file's bytes and nothing else.
- Progress: a bar on standard error while conversations are read, only when standard error is a terminal.
- The format is `--format`, else the extension of FILE (`.xlsx`), else CSV. An Excel file is never written to
  a terminal.
- Exit codes as `ask`: 0 written, 2 the input was wrong (message on standard error), 1 Rocket.Chat failed.
  The operator holds the service account's credentials, so no asker permission applies (as `ask`); the
  account itself needs `view-livechat-rooms` for conversations.
- No upload, so no upload limit: the file is written whole.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, TextIO

from bot.analytics.metrics import split_metric
from bot.analytics.service import AnalyticsService
from bot.commands.analytics import Services, resolve_range
from bot.config import Settings, load_settings
from bot.errors import BadArgument, ConfigError, TransportError, UserInputError
from bot.exports.conversations import ConversationsRequest, read_conversations, resolve_agent
from bot.exports.table import Table, agents_table, chart_table
from bot.exports.writers import Format, render
from bot.rocketchat.rest import RestClient
from bot.rocketchat.rooms import RoomsForbidden
from bot.runtime.app import check_default_ranges
from bot.runtime.dispatch import describe_transport_error

__all__ = ["ExportOptions", "main", "options_from", "run_export"]

BAR = 30  # characters of the progress bar


@dataclass(frozen=True)
class ExportOptions:
    what: str  # conversations | chart | agents
    name: str  # the chart or agents metric, as typed ("" for conversations)
    range: str
    dept: str | None = None
    agent: str | None = None
    fmt: str | None = None  # csv | xlsx; None: from the output's extension
    output: str = "-"


def options_from(args: argparse.Namespace) -> ExportOptions:
    return ExportOptions(
        what=args.export_what,
        name=" ".join(getattr(args, "name", None) or []),
        range=args.range,
        dept=args.dept,
        agent=getattr(args, "agent", None),
        fmt=args.format,
        output=args.output,
    )


def _format(options: ExportOptions) -> Format:
    if options.fmt in ("csv", "xlsx"):
        return "xlsx" if options.fmt == "xlsx" else "csv"
    return "xlsx" if options.output.lower().endswith(".xlsx") else "csv"


class ProgressBar:
    """`Exporting… [#####-----] 1,200 of 5,400 conversations` on one terminal line, redrawn in place."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = False

    async def __call__(self, done: int, total: int) -> None:
        filled = BAR if total <= 0 else min(BAR, round(BAR * done / total))
        bar = "#" * filled + "-" * (BAR - filled)
        self.stream.write(f"\rExporting… [{bar}] {done:,} of {total:,} conversations")
        self.stream.flush()
        self.drawn = True

    def end(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


async def _table(rest: RestClient, services: Services, options: ExportOptions, progress: ProgressBar | None) -> Table:
    what = options.what
    range_command = "export" if what == "conversations" else what
    rng = resolve_range(services, range_command, options.range)
    department = await services.analytics.department(options.dept)
    if what == "conversations":
        agent_id = await resolve_agent(rest, options.agent) if options.agent else None
        return await read_conversations(
            rest,
            services.analytics,
            ConversationsRequest(rng, department, options.agent, agent_id),
            tz=services.settings.timezone,
            base_url=services.settings.url,
            now=services.clock(),
            visitor_details=bool(getattr(services.settings, "export_visitor_details", False)),
            sleep=asyncio.sleep,
            progress=progress,
        )
    metric, rest_words = split_metric(options.name.split())
    if rest_words:
        raise BadArgument(f"NAME is a metric only; give the range with --range (found {' '.join(rest_words)!r}).")
    if what == "chart":
        return chart_table(await services.analytics.chart(metric, rng, department))
    return agents_table(await services.analytics.agents(metric, rng, department))


def _write(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder, renamed at the end."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


async def run_export(
    settings: Settings,
    options: ExportOptions,
    *,
    stdout: BinaryIO,
    stderr: TextIO,
    stdout_is_tty: bool,
    stderr_is_tty: bool,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    fmt = _format(options)
    to_stdout = options.output in ("", "-")
    if to_stdout and stdout_is_tty and fmt == "xlsx":
        stderr.write("analytics-bot: an Excel file is not for the terminal; write it with -o FILE.xlsx\n")
        return 2
    target = None if to_stdout else Path(options.output)
    if target is not None and not target.parent.is_dir():
        stderr.write(f"analytics-bot: cannot write {options.output}: the folder {target.parent} does not exist\n")
        return 2
    check_default_ranges(settings, clock())
    progress = ProgressBar(stderr) if stderr_is_tty else None
    async with RestClient(settings, clock=clock) as rest:
        services = Services(AnalyticsService(rest, clock=clock, tz=settings.timezone), settings, clock)
        try:
            await rest.login()
            table = await _table(rest, services, options, progress)
            data = await asyncio.to_thread(render, table, fmt, settings.timezone)
        except UserInputError as exc:
            stderr.write(f"analytics-bot: {exc}\n")
            return 2
        except RoomsForbidden as exc:  # the generic explanation would name the analytics permission
            stderr.write(f"analytics-bot: {exc}\n")
            return 1
        except TransportError as exc:
            stderr.write(f"analytics-bot: {describe_transport_error(exc)} ({exc})\n")
            return 1
        finally:
            if progress is not None:
                progress.end()
    if target is None:
        stdout.write(data)
        stdout.flush()
        return 0
    try:
        await asyncio.to_thread(_write, target, data)
    except OSError as exc:
        stderr.write(f"analytics-bot: cannot write {options.output}: {exc.strerror or exc}\n")
        return 2
    if stderr_is_tty:
        stderr.write(f"wrote {target} ({len(table.rows):,} rows, {fmt.upper()})\n")
    return 0


def main(args: argparse.Namespace) -> int:
    """`analytics-bot export ...`: settings, logging, exit codes (a configuration problem is 2, as `ask`)."""
    from bot.cli.main import setup_logging

    try:
        settings = load_settings(args.config)
        setup_logging("WARNING")
        return asyncio.run(
            run_export(
                settings,
                options_from(args),
                stdout=sys.stdout.buffer,
                stderr=sys.stderr,
                stdout_is_tty=sys.stdout.isatty(),
                stderr_is_tty=sys.stderr.isatty(),
            )
        )
    except ConfigError as exc:
        print(f"analytics-bot: configuration problem: {exc}", file=sys.stderr)
        return 2
