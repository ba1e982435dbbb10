"""`analytics-bot check` and `analytics-bot run` as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.cli.check import FAILED, OK, WARNING, Line, run_checks
from bot.config import Secret, Settings
from bot.rocketchat.rest import RestClient
from bot.sandbox import Sandbox
from tests.harness import Poster, Replies
from tests.sandbox.workspace import BOT_PAT, small_workspace

pytestmark = pytest.mark.anyio
# Bot processes run in a scratch folder, so their state file (state.sqlite3) never lands in the repository.
WORKDIR = tempfile.mkdtemp(prefix="analytics-bot-cli-")


async def checks(document: dict[str, Any], **overrides: Any) -> dict[str, Line]:
    async with Sandbox(document) as sb:
        settings = Settings(url=sb.url, user_id="u-bot", auth_token=Secret(BOT_PAT), **overrides)
        async with RestClient(settings) as rest:
            return {line.topic: line for line in await run_checks(settings, rest)}


async def test_check_on_a_healthy_workspace() -> None:
    lines = await checks(small_workspace())
    # /api/info is read anonymously: major.minor only (getServerInfo.ts, getTrimmedServerVersion)
    assert lines["server"].status == OK and lines["server"].text.startswith("Rocket.Chat 7.12 at http://")
    assert lines["login"].status == OK and "analytics-bot" in lines["login"].text
    assert lines["analytics permission"].status == OK
    assert lines["rate limits"].status == OK
    assert lines["chart data"] == Line(OK, "chart data", "the server answers livechat/analytics/dashboards/charts-data")
    assert lines["askers' roles"].status == WARNING
    assert "livechat manager list" in lines["askers' roles"].text
    assert lines["rooms"] == Line(OK, "rooms", "member of 2: #general, #omnichannel-managers")


async def test_check_finds_the_doubled_charts_route() -> None:
    lines = await checks(small_workspace(Sandbox_Charts_Data_Route="doubled"))
    assert lines["chart data"].text == "the server answers livechat/livechat/analytics/dashboards/charts-data"


async def test_check_on_an_account_without_the_permission() -> None:
    document = small_workspace()
    document["users"][5]["roles"] = ["bot"]
    lines = await checks(document)
    assert lines["analytics permission"].status == FAILED
    assert "add the livechat-manager role" in lines["analytics permission"].text
    assert lines["chart data"].status == FAILED


async def test_check_warns_when_listed_managers_lose_a_permission() -> None:
    grants = {"view-livechat-rooms": ["admin", "livechat-monitor", "bot"]}
    lines = await checks(small_workspace(Sandbox_Permissions=grants))
    assert lines["managers' access"].status == WARNING
    assert "listed managers are refused conversation exports (view-livechat-rooms):" in lines["managers' access"].text
    assert "managers' access" not in await checks(small_workspace())


async def test_check_when_roles_are_readable() -> None:
    lines = await checks(small_workspace(Sandbox_Permissions={"view-full-other-user-info": ["admin", "bot"]}))
    assert lines["askers' roles"].status == OK


async def test_check_warns_when_answers_are_kept_longer_than_rocket_chat_keeps_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An admin who raises [analytics] ages past Rocket.Chat's own cache is told what it costs; it is no failure."""
    import argparse

    from bot.cli import main

    monkeypatch.setenv("RC_USER_ID", "u-bot")
    monkeypatch.setenv("RC_AUTH_TOKEN", BOT_PAT)
    async with Sandbox(small_workspace()) as sb:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[rocketchat]\nurl = "{sb.url}"\n[digests]\nstate_file = "{tmp_path / "state.sqlite3"}"\n'
            "[analytics]\ncache_seconds = 120\nrealtime_cache_seconds = 7.5\n"
        )
        code = await asyncio.to_thread(main.check, argparse.Namespace(config=str(config)))
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [line for line in out if "[analytics]" in line] == [
        "warning  [analytics] cache_seconds: 120 s is longer than Rocket.Chat's own 60 s cache: figures for a period "
        "that includes today can be up to 120 s old, older than the server would give them (replies say 'as of "
        "HH:MM'); cache_seconds = 60 keeps them as fresh as Rocket.Chat does",
        "warning  [analytics] realtime_cache_seconds: 7.5 s is longer than Rocket.Chat's own 5 s cache: live figures "
        "(!now, alerts) can be up to 7.5 s old, older than the server would give them (replies say 'as of "
        "HH:MM:SS'); realtime_cache_seconds = 5 keeps them as fresh as Rocket.Chat does",
    ]


async def test_check_says_nothing_of_ages_within_rocket_chats_own_cache() -> None:
    lines = await checks(
        small_workspace(), analytics_cache_seconds=60, realtime_cache_seconds=0, closed_cache_seconds=3600
    )
    assert not [topic for topic in lines if topic.startswith("[analytics]")]
    assert lines["server"].status == OK  # the check did run


async def bot_process(command: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        command,
        env={**clean, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=WORKDIR,
    )


def pat_env(sb: Sandbox) -> dict[str, str]:
    return {"RC_URL": sb.url, "RC_USER_ID": "u-bot", "RC_AUTH_TOKEN": BOT_PAT}


async def test_check_command_exit_codes(sb: Sandbox) -> None:
    healthy = await bot_process("check", pat_env(sb))
    out, _ = await asyncio.wait_for(healthy.communicate(), 60)
    assert healthy.returncode == 0
    assert out.decode().splitlines()[0].startswith("ok       server: Rocket.Chat 7.12 at http://")
    wrong = await bot_process("check", {**pat_env(sb), "RC_AUTH_TOKEN": "not-a-token"})
    out, _ = await asyncio.wait_for(wrong.communicate(), 60)
    assert wrong.returncode == 1
    assert "failed   login:" in out.decode()


async def test_run_without_configuration_names_what_is_missing() -> None:
    process = await bot_process("run", {})
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "the workspace URL is missing: set RC_URL" in err.decode()
    assert "Traceback" not in err.decode()


async def wait_for_line(stream: asyncio.StreamReader, needle: str) -> list[str]:
    seen: list[str] = []
    while True:
        line = (await asyncio.wait_for(stream.readline(), 30)).decode()
        if not line:
            raise AssertionError(f"stream ended before {needle!r}: {''.join(seen)}")
        seen.append(line)
        if needle in line:
            return seen


async def test_run_answers_and_stops_cleanly_on_sigterm(sb: Sandbox) -> None:
    replies = Replies(sb)
    process = await bot_process("run", pat_env(sb))
    assert process.stderr is not None
    try:
        await wait_for_line(process.stderr, "connected (session")
        async with httpx.AsyncClient(base_url=sb.url) as http:
            maria = await Poster.login(http, "maria")
            command = await maria.post("r-managers", "!help")
            await replies.answer_to(command, within=10)
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_run_exits_non_zero_when_the_token_is_revoked(sb: Sandbox) -> None:
    process = await bot_process("run", pat_env(sb))
    assert process.stderr is not None
    await wait_for_line(process.stderr, "connected (session")
    sb.revoke_token(BOT_PAT)
    rest = await asyncio.wait_for(process.stderr.read(), 30)
    assert await asyncio.wait_for(process.wait(), 30) == 1
    text = rest.decode()
    assert "Rocket.Chat refused the bot's credentials" in text
    assert BOT_PAT not in text


async def test_run_refuses_a_corrupt_state_file(sb: Sandbox, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    state.write_bytes(b"definitely not sqlite" * 64)
    config = tmp_path / "config.toml"
    config.write_text(f'[digests]\nstate_file = "{state}"\n')
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        env={**clean, **pat_env(sb)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=WORKDIR,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    text = err.decode()
    assert f"the state file '{state}' is not a readable SQLite database" in text
    assert "Traceback" not in text
    assert state.read_bytes().startswith(b"definitely not sqlite")  # left as it was, not replaced by an empty one


@pytest.mark.parametrize(
    "section", ['[bot]\ntimezone = "America"\n', '[[digest]]\nname = "d"\nroom = "r"\ntimezone = "Etc"\n']
)
def test_run_with_a_region_for_a_zone_is_a_configuration_problem(
    tmp_path: Path, section: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """zoneinfo raises IsADirectoryError for "America": it must become exit 2 with a message, not a traceback."""
    import argparse

    from bot.cli.main import run

    config = tmp_path / "config.toml"
    config.write_text('[rocketchat]\nurl = "https://chat.example.com"\n' + section)
    monkeypatch.setenv("RC_USER_ID", "u-bot")
    monkeypatch.setenv("RC_AUTH_TOKEN", BOT_PAT)
    assert run(argparse.Namespace(config=str(config))) == 2
    err = capsys.readouterr().err
    assert err.startswith("analytics-bot: configuration problem: ")
    assert "is a region, not a time zone; use an IANA name like" in err


async def test_check_reports_every_problem_run_would_refuse_at_once(tmp_path: Path) -> None:
    """`check` passed configs that `run` then refused, so the README's ExecStartPre let a broken unit start."""
    from bot.config import DigestEntry

    corrupt = tmp_path / "state.sqlite3"
    corrupt.write_bytes(b"this is not a database" * 100)
    digests = (
        DigestEntry(name="broken", room="no-such-room", time="25:00", departments=("Nopes",)),
        DigestEntry(name="weekdays", room="omnichannel-managers", time="09:00", weekdays="mon-fry"),
        DigestEntry(name="range", room="omnichannel-managers", time="09:00", range="the other day"),
        DigestEntry(name="fine", room="omnichannel-managers", time="09:00"),
    )
    async with Sandbox(small_workspace()) as sb:
        settings = Settings(
            url=sb.url, user_id="u-bot", auth_token=Secret(BOT_PAT), state_file=str(corrupt), digests=digests
        )
        async with RestClient(settings) as rest:
            lines = await run_checks(settings, rest)
    failed = {(line.topic, line.text) for line in lines if line.status == FAILED}
    topics = [topic for topic, _ in failed]
    assert "state file" in topics
    assert topics.count("digest 'broken'") == 3  # the time, the room and the department, all at once
    assert any("25:00" in text for topic, text in failed if topic == "digest 'broken'")
    assert any("no-such-room" in text for topic, text in failed if topic == "digest 'broken'")
    assert any("Nopes" in text for topic, text in failed if topic == "digest 'broken'")
    assert any("fry" in text for topic, text in failed if topic == "digest 'weekdays'")
    assert any("the other day" in text for topic, text in failed if topic == "digest 'range'")
    assert [line.status for line in lines if line.topic == "digest 'fine'"] == [OK]
    assert corrupt.read_bytes() == b"this is not a database" * 100  # a check changes nothing


@pytest.mark.parametrize("command", ["run", "ask"])
def test_a_default_range_that_does_not_parse_is_a_configuration_problem(
    tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """[dates] defaults are checked when the bot starts (dates/ sits above config/): still exit 2, no traceback."""
    import argparse

    from bot.cli import main

    config = tmp_path / "config.toml"
    config.write_text('[rocketchat]\nurl = "http://127.0.0.1:9"\n[dates]\noverview = "blah blah"\n')
    monkeypatch.setenv("RC_USER_ID", "u-bot")
    monkeypatch.setenv("RC_AUTH_TOKEN", BOT_PAT)
    args = argparse.Namespace(config=str(config), text="overview", json=False, pictures=None)
    entry = {"run": main.run, "ask": main.ask}[command]
    assert entry(args) == 2
    err = capsys.readouterr().err
    assert "[dates] overview = 'blah blah' is not a range I understand" in err
    assert err.startswith("analytics-bot: ")


@pytest.mark.parametrize("command", [["check"], ["run"], ["export", "chart", "frt", "last week"]])
def test_a_socks_proxy_without_its_package_is_a_configuration_problem_for_every_command(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "socks5://ops:s3cret@127.0.0.1:1080")
    monkeypatch.setenv("RC_URL", "https://chat.example.com")
    monkeypatch.setenv("RC_USER_ID", "u-bot")
    monkeypatch.setenv("RC_AUTH_TOKEN", BOT_PAT)
    monkeypatch.chdir(WORKDIR)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith("analytics-bot: configuration problem: the environment's proxy for https://chat.example.com")
    assert "pip install 'httpx[socks]'" in err and "s3cret" not in err and "Traceback" not in err
