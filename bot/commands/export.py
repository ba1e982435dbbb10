"""`!export`: the data behind the replies as a file in the room, CSV by default, Excel with `xlsx`.

- `!export conversations RANGE [dept=NAME] [agent=USERNAME] [xlsx]`: one row per conversation of the range,
  read from `livechat/rooms` page by page (bot.exports.conversations), with progress for long ones.
- `!export chart NAME RANGE [dept=NAME]` and `!export agents NAME RANGE [dept=NAME]`: the series and the
  table behind `!chart` and `!agents`, from the same analytics service.

Who may: the dispatcher lets through people whose roles grant `view-livechat-manager`; listing conversations
needs what Rocket.Chat itself requires to list those rooms, `view-livechat-rooms`
(`apps/meteor/server/api/v1/omnichannel/rooms.ts`; rocketchat-live-ops.md §2), checked here by the asker's own
roles through `ExportTools.rooms_access` (an Access for that permission). Chart and agent exports hold the
same figures as the replies, so they need nothing more.

What a file looks like, how it fits Rocket.Chat's upload limit and how it is posted are bot.exports' business;
this module parses, checks, and turns every outcome into one answer. Its dependencies come in
`Services.exports` (an ExportTools, wired by the app); without them the command says exports are not set up.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.analytics.metrics import Metric, split_metric
from bot.commands.analytics import Services, heading, resolve_range, services_of
from bot.commands.args import tokenize
from bot.commands.router import Invocation, Reply, Router
from bot.errors import (
    BadArgument,
    BadRequest,
    ConnectionLost,
    Forbidden,
    InvalidResponse,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
    UserInputError,
)
from bot.exports.conversations import ConversationsRequest, read_conversations, resolve_agent
from bot.exports.delivery import DEFAULT_LIMIT, Package, UploadLimit, package, read_upload_limit, size_text
from bot.exports.posting import ExportSender, ProgressLine, UploadFailed, post_files
from bot.exports.table import Table, agents_table, chart_table
from bot.exports.writers import Format, xlsx_available
from bot.replies.figures import label, number
from bot.replies.markup import code, echo
from bot.rocketchat.rooms import RoomsForbidden

__all__ = ["ExportRequest", "ExportTools", "file_stem", "parse_export", "register_export"]

log = logging.getLogger(__name__)

What = Literal["conversations", "chart", "agents"]
KINDS: dict[str, What] = {
    "conversations": "conversations",
    "conversation": "conversations",
    "chats": "conversations",
    "chart": "chart",
    "graph": "chart",
    "agents": "agents",
    "agent": "agents",
}
FORMAT_WORDS: dict[str, Format] = {"csv": "csv", "xlsx": "xlsx", "excel": "xlsx"}
OPTIONS = {"dept": "dept", "department": "dept", "agent": "agent"}
USAGE = "export conversations|chart NAME|agents NAME [RANGE] [dept=NAME] [agent=USERNAME] [xlsx]"
REFUSAL = (
    "Sorry, exporting conversations is only for people whose own Rocket.Chat roles may list Omnichannel "
    "conversations (the `view-livechat-rooms` permission, e.g. livechat-manager or livechat-monitor). "
    "Ask a workspace admin if you need it."
)
CLI_EXAMPLE = 'analytics-bot export conversations --range "last month" -o FILE'
NOT_SET_UP = "Exports are not set up in this bot: an admin has to start it with export support."


class PermissionCheck(Protocol):
    async def may_view(self, username: str) -> bool: ...


class ExportClient(ExportSender, Protocol):
    async def get_object(self, route: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...


@dataclass
class ExportTools:
    """What `!export` needs besides the analytics: the REST client, the `view-livechat-rooms` check, and the
    export settings (`[exports]` in the config)."""

    rest: ExportClient
    rooms_access: PermissionCheck
    base_url: str
    visitor_details: bool = False  # visitor name and phone in conversation exports: personal data
    fallback_limit: int = DEFAULT_LIMIT  # upload limit when the server does not publish FileUpload_MaxFileSize
    progress_interval: float = 2.0  # seconds between edits of the progress line
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


@dataclass(frozen=True)
class ExportRequest:
    what: What
    metric: Metric | None
    range_text: str
    dept: str | None
    agent: str | None
    fmt: Format


def parse_export(text: str) -> ExportRequest:
    """`conversations last month dept=Sales xlsx` -> an ExportRequest; BadArgument names what is wrong."""
    words: list[str] = []
    options: dict[str, str] = {}
    fmt: Format | None = None
    for token in tokenize(text):
        key, sep, value = token.partition("=")
        if sep and key and " " not in key:
            name = OPTIONS.get(key.lower())
            if name is None:
                close = difflib.get_close_matches(key.lower(), list(OPTIONS), n=1)
                hint = f" Did you mean {code(close[0] + '=')}?" if close else ""
                raise BadArgument(
                    f"Unknown option {echo(key + '=', limit=30)}.{hint} "
                    f"Options here: {code('dept=')}, {code('agent=')}."
                )
            if not value.strip():
                raise BadArgument(
                    f"{code(key + '=')} needs a value, e.g. {code('dept=Sales')} or {code('agent=jane')}."
                )
            if name in options:
                raise BadArgument(f"{code(name + '=')} is given twice; give it once.")
            options[name] = value.strip()
        elif token.lower() in FORMAT_WORDS:
            if fmt is not None:
                raise BadArgument(f"Give one file format: {code('csv')} (the default) or {code('xlsx')}.")
            fmt = FORMAT_WORDS[token.lower()]
        else:
            words.append(token)
    if not words:
        raise BadArgument(
            f"What should I export? {code('conversations')}, {code('chart NAME')} or {code('agents NAME')}, "
            f"e.g. {code('!export conversations last month')}."
        )
    what = KINDS.get(words[0].lower())
    if what is None:
        close = difflib.get_close_matches(words[0].lower(), list(KINDS), n=1, cutoff=0.6)
        hint = f" Did you mean {code(KINDS[close[0]])}?" if close else ""
        raise BadArgument(
            f"I can't export {echo(words[0], limit=30)}.{hint} I export {code('conversations')}, "
            f"{code('chart NAME')} and {code('agents NAME')}."
        )
    metric = None
    rest = words[1:]
    if what != "conversations":
        metric, rest = split_metric(rest)
        if "agent" in options:
            raise BadArgument(
                f"{code('agent=')} narrows {code('export conversations')} only; a chart or agent table covers "
                f"every agent (the agent table has one row each)."
            )
    return ExportRequest(what, metric, " ".join(rest), options.get("dept"), options.get("agent"), fmt or "csv")


def file_stem(what: str, start: str, end: str, *extra: str | None) -> str:
    """`conversations-2026-10-01-2026-10-31-sales`: lowercase letters, digits and dashes only."""
    parts = [what, start, end, *(e for e in extra if e)]
    slug = "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)
    return re.sub(r"-{2,}", "-", slug)[:120].strip("-") or "export"


def _failure_text(exc: TransportError) -> str:
    """Why an export stopped, for the asker (the log has the details)."""
    if isinstance(exc, RoomsForbidden):
        return (
            "I can't list the conversations: my service account needs a role holding `view-livechat-rooms` "
            "(e.g. livechat-manager). Please tell a workspace admin."
        )
    if isinstance(exc, RateLimited):
        return f"Rocket.Chat is rate-limiting me; please try the export again in {max(1, round(exc.retry_after))} s."
    if isinstance(exc, InvalidResponse):
        return "Rocket.Chat sent an answer I could not read in the middle of the export; details are in my log."
    if not exc.retryable:
        return "Rocket.Chat refused a request the export needs; an admin can find its reason in my log."
    return "Rocket.Chat stopped answering in the middle of the export; please try again in a minute."


def _upload_failure_text(failed: UploadFailed, limit: UploadLimit, package_: Package) -> str:
    cause = failed.cause
    which = f"file {failed.index} of {failed.count}" if failed.count > 1 else "the file"
    if isinstance(cause, BadRequest) and cause.error_type == "error-file-too-large":
        biggest = size_text(max(len(f.data) for f in package_.files))
        if limit.from_server:
            why = f"Rocket.Chat refused {which} ({biggest}) as too large"
        else:
            assumed = f"I assumed {size_text(limit.bytes)}" if limit.bytes else "I assumed none"
            why = (
                f"Rocket.Chat refused {which} ({biggest}) as too large; it does not publish its upload limit and "
                f"{assumed}: an admin can set `[exports] max_file_bytes` to its FileUpload_MaxFileSize"
            )
    elif isinstance(cause, BadRequest) and cause.error_type == "error-invalid-file-type":
        why = f"Rocket.Chat does not accept this file type ({code(package_.files[0].mime)}); an admin can allow it"
    elif isinstance(cause, Forbidden):
        why = "my account may not post files in this room"
    elif isinstance(cause, RateLimited):
        why = f"Rocket.Chat is rate-limiting me; try again in {max(1, round(cause.retry_after))} s"
    elif isinstance(cause, ServerError):
        why = f"Rocket.Chat failed while storing {which}"
    elif isinstance(cause, ConnectionLost | RequestTimeout):
        why = f"the connection to Rocket.Chat broke while sending {which}"
    else:
        why = f"Rocket.Chat refused {which}"
    if failed.left:
        return f"The export could not be posted: {why}. {failed.left} part(s) posted before could not be removed."
    return f"The export could not be posted: {why}. Nothing was posted."


async def _table_for(
    services: Services, tools: ExportTools, request: ExportRequest, line: ProgressLine
) -> tuple[Table, str, str, str]:
    """(table, heading, what the rows are, file stem)."""
    rng = resolve_range(services, "export" if request.what == "conversations" else request.what, request.range_text)
    department = await services.analytics.department(request.dept)
    tz = services.settings.timezone
    dept_name = department.name if department else None
    if request.what == "conversations":
        agent_id = await resolve_agent(tools.rest, request.agent) if request.agent else None

        async def progress(done: int, total: int) -> None:
            if total > done:  # more pages to come: worth a progress line
                await line.show(f"Exporting… {number(done)} of {number(total)} conversations")

        table = await read_conversations(
            tools.rest,
            services.analytics,
            ConversationsRequest(rng, department, request.agent, agent_id),
            tz=tz,
            base_url=tools.base_url,
            now=services.clock(),
            visitor_details=tools.visitor_details,
            sleep=tools.sleep,
            progress=progress,
        )
        title = "Export: conversations" + (f" · agent {echo(request.agent, limit=40)}" if request.agent else "")
        rows = f"{number(len(table.rows))} conversation{'s' if len(table.rows) != 1 else ''}, one row each"
        stem = file_stem("conversations", rng.start.isoformat(), rng.end.isoformat(), dept_name, request.agent)
        return table, heading(title, rng, tz, department), rows, stem
    assert request.metric is not None
    metric = request.metric
    if request.what == "chart":
        report = await services.analytics.chart(metric, rng, department)
        table = chart_table(report)
        rows = f"{number(len(table.rows))} point{'s' if len(table.rows) != 1 else ''} of the series"
        stem = file_stem(metric.name, rng.start.isoformat(), rng.end.isoformat(), dept_name)
        return table, heading(f"Export: {label(metric.name)}", rng, tz, department), rows, stem
    agents = await services.analytics.agents(metric, rng, department)
    table = agents_table(agents)
    rows = f"{number(len(table.rows))} agent{'s' if len(table.rows) != 1 else ''}, ranked as in {code('!agents')}"
    stem = file_stem("agents", metric.name, rng.start.isoformat(), rng.end.isoformat(), dept_name)
    return table, heading(f"Export: {label(metric.name)} by agent", rng, tz, department), rows, stem


def _summary(
    title: str, rows: str, pkg: Package, fmt: Format, limit: int | None, request: ExportRequest, visitors: bool
) -> str:
    kind = "Excel" if fmt == "xlsx" else "CSV"
    names = ", ".join(code(f.name) for f in pkg.files)
    if pkg.split:
        how = (
            f"split into {len(pkg.files)} files{' (zipped)' if pkg.compressed else ''} to fit Rocket.Chat's upload "
            f"limit of {size_text(limit or 0)}: {names} ({kind}, {size_text(pkg.size)} in all)"
        )
    elif pkg.compressed:
        how = (
            f"in {names} ({kind}, {size_text(pkg.size)}, zipped to {size_text(len(pkg.files[0].data))} to fit "
            f"Rocket.Chat's upload limit of {size_text(limit or 0)})"
        )
    else:
        how = f"in {names} ({kind}, {size_text(pkg.size)})"
    lines = [title, f"{rows}, {how}."]
    if request.what == "conversations" and not visitors:
        lines.append("Visitors appear by id only; names and phone numbers are personal data and left out.")
    return "\n".join(lines)


def register_export(router: Router) -> None:
    @router.command(
        "export",
        summary="the data behind a reply as a CSV or Excel file: conversations, a chart's series, the agent table",
        usage=USAGE,
        examples=(
            "export conversations last month",
            "export conversations last week dept=Sales xlsx",
            "export chart frt last 30 days",
            "export agents response time this month dept=Support",
        ),
        aliases=("download",),
    )
    async def export(invocation: Invocation) -> Reply:
        services = services_of(invocation)
        request = parse_export(invocation.args)
        if not invocation.room_id:  # `analytics-bot ask`: there is no room to post a file in
            raise BadArgument(f"An export is a file posted in a room; from the command line use {code(CLI_EXAMPLE)}.")
        tools = getattr(services, "exports", None)
        if not isinstance(tools, ExportTools):
            return Reply(NOT_SET_UP)
        if request.what == "conversations" and not await tools.rooms_access.may_view(invocation.asker):
            log.info("refused a conversations export to %s in %s", invocation.asker, invocation.room_id)
            return Reply(REFUSAL)
        if request.fmt == "xlsx" and not xlsx_available():
            raise BadArgument(
                "Excel files need the bot's `xlsx` extra, which is not installed; leave out `xlsx` for a CSV file."
            )
        # Until Invocation carries them (see the report): the command's message id and thread, when known.
        command_id = str(getattr(invocation, "message_id", "") or "")
        thread: str | None = getattr(invocation, "thread_id", None)
        line = ProgressLine(
            tools.rest,
            invocation.room_id,
            tmid=thread,
            command_id=command_id,
            clock=services.clock,
            interval=tools.progress_interval,
        )
        tz = services.settings.timezone
        limit: UploadLimit | None = None
        pkg: Package | None = None
        try:
            table, title, rows, stem = await _table_for(services, tools, request, line)
            limit = await read_upload_limit(tools.rest, tools.fallback_limit)
            if line.shown:
                await line.show(
                    f"Exporting… writing the {'Excel' if request.fmt == 'xlsx' else 'CSV'} file", force=True
                )
            pkg = await asyncio.to_thread(package, table, request.fmt, stem, tz, limit.bytes)
            await post_files(tools.rest, invocation.room_id, thread, pkg, title)
        except UploadFailed as failed:
            assert limit is not None and pkg is not None
            text = _upload_failure_text(failed, limit, pkg)
            await line.close(text)
            return Reply(text)
        except UserInputError as exc:
            await line.close(str(exc))
            raise
        except TransportError as exc:
            if not line.shown and not isinstance(exc, RoomsForbidden):
                raise  # the dispatcher retries what is transient, and explains the rest
            text = _failure_text(exc)
            log.warning("export in %s stopped: %s", invocation.room_id, exc)
            await line.close(text)
            return Reply(text)
        except Exception:
            await line.close("Sorry, the export failed on my side; an admin can find why in the bot's log.")
            raise
        text = _summary(title, rows, pkg, request.fmt, limit.bytes, request, tools.visitor_details)
        await line.close(text)
        return Reply(text, data={"files": [f.name for f in pkg.files], "rows": pkg.rows})
