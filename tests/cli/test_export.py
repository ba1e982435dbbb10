"""`analytics-bot export` as people run it: a file, or the file's bytes alone on a pipe, a progress bar only on
a terminal, and the exit codes of `ask` (0 written, 2 the input was wrong, 1 Rocket.Chat failed)."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.__main__ import build_parser
from bot.cli.export import ExportOptions, run_export
from bot.sandbox import Sandbox
from bot.sandbox.demo import BOT_TOKEN, BOT_USER_ID
from tests.exports.harness import NOW, demo_settings, demo_workspace, read_table

pytestmark = pytest.mark.anyio
OCTOBER = "2026-10-01..2026-10-31"


async def export(sb: Sandbox, options: ExportOptions, *, tty: bool = False) -> tuple[int, bytes, str]:
    stdout, stderr = io.BytesIO(), io.StringIO()
    code = await run_export(
        demo_settings(sb),
        options,
        stdout=stdout,
        stderr=stderr,
        stdout_is_tty=tty,
        stderr_is_tty=tty,
        clock=lambda: NOW,
    )
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(demo_workspace(), clock=lambda: NOW) as sb:
        yield sb


async def test_a_pipe_gets_the_file_and_nothing_else(sandbox: Sandbox) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    env |= {"RC_URL": sandbox.url, "RC_USER_ID": BOT_USER_ID, "RC_AUTH_TOKEN": BOT_TOKEN}
    config = Path(tempfile.mkdtemp(prefix="analytics-bot-export-")) / "config.toml"
    config.write_text('[bot]\ntimezone = "Europe/Berlin"\n')
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "export", "conversations", "--range", OCTOBER, "--dept", "Sales"),
        *("--config", str(config)),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=config.parent,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert (process.returncode, err) == (0, b"")
    rows = read_table("x.csv", out)
    assert rows[0][:3] == ["Conversation ID", "Link", "Started"] and len(rows) > 200
    assert {row[5] for row in rows[1:]} == {"Sales"}


async def test_a_file_is_written_with_a_progress_bar_on_a_terminal(sandbox: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "october.xlsx"
    code, out, err = await export(sandbox, ExportOptions("conversations", "", OCTOBER, output=str(target)), tty=True)
    rows = read_table(target.name, target.read_bytes())
    total = len(rows) - 1
    assert (code, out) == (0, b"")
    assert f"\rExporting… [{'#' * 30}] {total:,} of {total:,} conversations\n" in err
    assert "\rExporting… [" in err.split("\n")[0] and f"100 of {total:,} conversations" in err
    assert err.endswith(f"wrote {target} ({total:,} rows, XLSX)\n")  # the format came from the extension
    names = await asyncio.to_thread(lambda: [p.name for p in tmp_path.iterdir()])
    assert names == ["october.xlsx"]  # no temporary file left behind


async def test_chart_and_agents_files(sandbox: Sandbox) -> None:
    code, chart, _ = await export(sandbox, ExportOptions("chart", "response time", "last week", "Support", fmt="csv"))
    assert code == 0 and read_table("c.csv", chart)[0] == ["Day", "Date", "Average of Response Time (s)"]
    code, agents, _ = await export(sandbox, ExportOptions("agents", "conversations", "last week", fmt="xlsx"))
    table = read_table("a.xlsx", agents)
    assert code == 0 and table[0] == ["Rank", "Agent", "Conversations (%)", "As Rocket.Chat shows it"]
    assert sum(row[2] for row in table[1:]) == pytest.approx(100, abs=0.1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (ExportOptions("conversations", "", "next week"), "`next week` is in the future"),
        (ExportOptions("conversations", "", OCTOBER, dept="Sails"), "There is no department"),
        (ExportOptions("conversations", "", OCTOBER, agent="nobody"), "There is no user `nobody`"),
        (ExportOptions("chart", "speed", OCTOBER), "I don't know the chart"),
        (ExportOptions("chart", "frt last week", OCTOBER), "NAME is a metric only; give the range with --range"),
        (ExportOptions("conversations", "", OCTOBER, output="/no/such/folder/x.csv"), "the folder /no/such/folder"),
        (ExportOptions("conversations", "", OCTOBER, fmt="xlsx"), "an Excel file is not for the terminal"),
    ],
)
async def test_wrong_input_is_exit_2_with_the_reason(sandbox: Sandbox, options: ExportOptions, message: str) -> None:
    code, out, err = await export(sandbox, options, tty=True)
    assert (code, out) == (2, b"")
    assert err.startswith("analytics-bot: ") and message in err


async def test_rocket_chat_failing_is_exit_1(sandbox: Sandbox) -> None:
    sandbox.store.settings["Sandbox_Permissions"] = {"view-livechat-rooms": ["admin"]}
    code, out, err = await export(sandbox, ExportOptions("conversations", "", OCTOBER))
    assert (code, out) == (1, b"")
    assert "needs a role holding `view-livechat-rooms`" in err
    sandbox.revoke_token(BOT_TOKEN)
    code, _, err = await export(sandbox, ExportOptions("chart", "frt", OCTOBER))
    assert code == 1 and "credentials" in err


def test_the_command_line_reads_as_documented() -> None:
    args = build_parser().parse_args(
        ["export", "chart", "response", "time", "--range", "last week", "--format", "xlsx", "-o", "f.xlsx"]
    )
    assert (args.command, args.export_what, args.name, args.range, args.format, args.output) == (
        "export", "chart", ["response", "time"], "last week", "xlsx", "f.xlsx"
    )  # fmt: skip
    conversations = build_parser().parse_args(["export", "conversations", "--agent", "jane", "--dept", "Sales"])
    assert (conversations.agent, conversations.dept, conversations.output) == ("jane", "Sales", "-")
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["export"])
    assert exited.value.code == 2
