"""`python -m bot sandbox` as a user runs it: it prints where it listens and who can log in, serves,
and stops on SIGTERM; a bad data file stops it before it starts, naming the item and field."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_demo_sandbox_prints_url_and_credentials_then_serves() -> None:
    process = await start("--port", "0", "--demo", "--seed", "7")
    assert process.stdout is not None
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        rest = []
        while len(rest) < 6:
            rest.append((await asyncio.wait_for(process.stdout.readline(), 10)).decode())
        text = "".join(rest)
        assert "maria.manager / demo-pass-123" in text
        assert "personal access token demo-pat-analytics-bot" in text
        async with httpx.AsyncClient(base_url=match.group(1)) as http:
            assert (await http.get("/api/info")).json()["version"] == "8.8"  # anonymous: no patch number
            login = await http.post("/api/v1/login", json={"user": "maria.manager", "password": "demo-pass-123"})
            assert login.json()["status"] == "success"
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"rooms": [{"_id": "x", "t": "l", "ts": "yesterday"}]},
            "rooms[0] ('x'): field 'ts' must be a date, written as {\"$date\": <epoch ms>} or an ISO-8601 string",
        ),
        ({"users": [{"username": "a"}, {"username": "a"}]}, "users[1] ('a'): username 'a' is used twice"),
        (
            {"settings": {"Default_Timezone_For_Reporting": "mars"}},
            "settings: 'Default_Timezone_For_Reporting' must be one of 'server', 'custom', 'user'; got 'mars'",
        ),
        (
            {"messages": [{"_id": "m", "rid": "nowhere", "ts": "2024-03-05T14:10:00Z", "u": {"username": "a"}}]},
            "messages[0] ('m'): rid 'nowhere' is not a room in 'rooms'",
        ),
    ],
)
async def test_bad_data_file_is_refused_with_the_item_and_field(
    tmp_path: Path, document: dict[str, object], message: str
) -> None:
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(document))
    process = await start("--port", "0", "--data", str(path))
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert stdout == b""
    assert message in stderr.decode()
    assert "Traceback" not in stderr.decode()


async def test_unreadable_and_invalid_json_files_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"users": [}')
    process = await start("--port", "0", "--data", str(broken))
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert f"data file '{broken}' is not valid JSON" in stderr.decode()
    process = await start("--port", "0", "--data", str(tmp_path / "missing.json"))
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert "cannot read data file" in stderr.decode()


async def test_live_demo_serves_the_queue_and_stops_cleanly() -> None:
    process = await start("--port", "0", "--demo", "--live", "--seed", "7")
    assert process.stdout is not None
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        lines = [(await asyncio.wait_for(process.stdout.readline(), 10)).decode() for _ in range(7)]
        assert "living workspace" in lines[-1]
        headers = {"X-User-Id": "u-analytics-bot", "X-Auth-Token": "demo-pat-analytics-bot-5f2c9e71b04d48a6"}
        async with httpx.AsyncClient(base_url=match.group(1), headers=headers) as http:
            listing = await http.get("/api/v1/livechat/inquiries.list")
            assert listing.status_code == 200 and listing.json()["success"] is True
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_live_needs_the_demo() -> None:
    process = await start("--port", "0", "--live")
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert "--live needs --demo" in stderr.decode()
