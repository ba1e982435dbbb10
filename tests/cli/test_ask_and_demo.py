"""`ask` and `demo` as people run them, and the chart reply of a bot installed without [charts]."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from bot.sandbox import Sandbox
from tests.cli.test_check_and_cli import wait_for_line
from tests.harness import Poster, Replies
from tests.sandbox.workspace import BOT_PAT

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]
# Bot processes run in a scratch folder, so their state file (state.sqlite3) never lands in the repository.
WORKDIR = tempfile.mkdtemp(prefix="analytics-bot-cli-")
NO_MATPLOTLIB = (
    "import sys; sys.modules['matplotlib'] = None; from bot.__main__ import main; sys.exit(main(sys.argv[1:]))"
)


async def run(args: list[str], env: dict[str, str], *, python_code: str | None = None) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    command = [sys.executable, "-c", python_code, *args] if python_code else [sys.executable, "-m", "bot", *args]
    process = await asyncio.create_subprocess_exec(
        *command, env={**clean, **env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=WORKDIR
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def env_for(sb: Sandbox) -> dict[str, str]:
    return {"RC_URL": sb.url, "RC_USER_ID": "u-bot", "RC_AUTH_TOKEN": BOT_PAT}


async def test_ask_prints_the_reply(sb: Sandbox) -> None:
    code, out, err = await run(["ask", "!agents frt 2024-03-04..2024-03-05"], env_for(sb))
    assert (code, err) == (0, "")
    assert "1  jane                           1m 15s" in out


async def test_ask_json_gives_the_structured_result(sb: Sandbox) -> None:
    code, out, _ = await run(["ask", "overview conversations 2024-03-05", "--json"], env_for(sb))
    assert code == 0
    result = json.loads(out)
    assert result["command"] == "overview"
    assert result["result"]["range"]["start"] == "2024-03-05"
    assert result["result"]["sections"]["Conversations"]["values"]["Total_conversations"] == 2
    assert result["result"]["conversations"] == 2


async def test_ask_exit_codes_for_user_and_server_errors(sb: Sandbox) -> None:
    code, out, err = await run(["ask", "overview the day after tomorrow"], env_for(sb))
    assert code == 2 and out == ""
    assert "future" in err and "Usage: `!overview" in err
    sb.fault("livechat/analytics/overview", status=503)
    code, _, err = await run(["ask", "overview 2024-03-05"], env_for(sb))
    assert code == 1
    assert "Rocket.Chat isn't answering properly" in err
    assert BOT_PAT not in err


async def test_a_bot_without_the_charts_extra_still_answers_with_text(sb: Sandbox) -> None:
    replies = Replies(sb)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        NO_MATPLOTLIB,
        "run",
        env={**clean, **env_for(sb)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=WORKDIR,
    )
    assert process.stderr is not None
    try:
        await wait_for_line(process.stderr, "connected (session")
        async with httpx.AsyncClient(base_url=sb.url) as http:
            maria = await Poster.login(http, "maria")
            command = await maria.post("r-managers", "!chart conversations 2024-03-04..2024-03-06")
            answer = (await replies.answer_to(command, within=20))["msg"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    assert "`▅█▁`  total 3" in answer
    assert answer.endswith("(No picture: the bot's server lacks the [charts] extra — an admin can install it.)")
    assert not [u for u in sb.store.uploads.values() if u["userId"] == "u-bot"]


async def test_demo_says_and_saves_pictures(tmp_path: Path) -> None:
    pictures = tmp_path / "pictures"
    code, out, err = await run(
        [
            "demo",
            "--say",
            "!overview last week",
            "--say",
            "!chart frt last 30 days dept=Sales",
            "--pictures",
            str(pictures),
        ],
        {},
    )
    assert code == 0, err
    assert "maria.manager: !overview last week" in out
    assert "analytics-bot: *Omnichannel overview* · last week: " in out
    assert "analytics-bot: *Average of First Response Time* · last 30 days: " in out
    assert "· department `Sales`" in out
    saved = list(pictures.glob("*.png"))
    assert len(saved) == 1 and saved[0].read_bytes().startswith(b"\x89PNG")
    assert f"[picture saved: {saved[0]}]" in out


async def test_the_demo_says_an_export_is_a_file_not_a_picture(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    code, out, err = await run(
        ["demo", "--say", "!export chart conversations last 7 days", "--pictures", str(folder)], {}
    )
    assert code == 0, err
    [saved] = list(folder.glob("*.csv"))
    assert f"analytics-bot: [file saved: {saved}]" in out and "picture saved" not in out
    assert saved.read_text(encoding="utf-8-sig").splitlines()[0] == "Day,Date,Total Conversations"


async def test_the_demo_survives_fifty_commands_in_a_minute() -> None:
    """It crashed on the 10th command in a minute: the REST limiter answered 429 to the demo user's posts."""
    commands = ["!help", "!overview yesterday", "!departments", "!agents frt last week", "!chart conversations"] * 10
    args = ["demo", "--pictures", str(Path(WORKDIR) / "pictures-50")]
    for command in commands:
        args += ["--say", command]
    code, out, err = await run(args, {})
    assert code == 0, err
    assert out.count("maria.manager: !") == 50
    assert out.count("analytics-bot: ") >= 50
    assert "Traceback" not in err and "no reply" not in out


async def test_the_interactive_demo_prompts_shows_each_command_once_and_stops_on_ctrl_c() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "demo", "--pictures", str(Path(WORKDIR) / "pictures-tty"),
        env=clean, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=WORKDIR,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    seen = await asyncio.wait_for(process.stdout.readuntil(b"maria.manager> "), 60)
    process.stdin.write(b"!help\n")
    await process.stdin.drain()
    seen += await asyncio.wait_for(process.stdout.readuntil(b"maria.manager> "), 60)
    process.send_signal(signal.SIGINT)  # stdin stays open: before, the demo waited for Enter
    await asyncio.wait_for(process.wait(), 15)
    text = seen.decode()
    assert "analytics-bot: " in text
    assert "maria.manager: !help" not in text  # the terminal already shows what was typed
    assert process.returncode == 0


async def test_ask_into_a_pipe_that_closes_early_ends_quietly(sb: Sandbox) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    read, write = os.pipe()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "ask", "--json", "!help",
        env={**clean, **env_for(sb)}, stdout=write, stderr=asyncio.subprocess.PIPE, cwd=WORKDIR,
    )  # fmt: skip
    os.close(write)
    os.close(read)  # like `| head -0`: the reader is gone before anything is written
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert "Traceback" not in err.decode() and "BrokenPipeError" not in err.decode()
    assert process.returncode == 0


async def test_sandbox_without_its_extra_says_which_extra_whatever_the_options() -> None:
    hide = "import sys; sys.modules['uvicorn'] = None; from bot.__main__ import main; sys.exit(main(sys.argv[1:]))"
    code, _out, err = await run(["sandbox", "--demo", "--port", "0"], {}, python_code=hide)
    assert code == 2
    assert "needs the [sandbox] extra" in err and "unrecognized arguments" not in err


async def test_ask_digest_list_works_on_the_bots_state_file(sb: Sandbox, tmp_path: Path) -> None:
    """Without a state file it exited 2 ("the input was wrong") although the input was fine."""
    config = tmp_path / "config.toml"
    config.write_text(f'[digests]\nstate_file = "{tmp_path / "state.sqlite3"}"\n')
    code, _, err = await run(["ask", "!digest list", "--config", str(config)], env_for(sb))
    assert code == 1 and "digests live in the bot's state file" in err and "does not exist yet" in err
    from bot.state.store import State

    State(tmp_path / "state.sqlite3").close()  # the file a bot that ran once leaves behind
    code, out, err = await run(["ask", "!digest list", "--config", str(config)], env_for(sb))
    assert code == 0, err
    assert "digest" in out.lower()
