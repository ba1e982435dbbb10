"""Managing digests from chat and previewing them from the command line."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import httpx
import pytest

from bot.sandbox import Sandbox
from tests.harness import Poster, Replies, running_bot
from tests.sandbox.workspace import BOT_PAT

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]
MANAGERS = "r-managers"


async def conversation(sb: Sandbox, lines: list[tuple[str, str, str]]) -> list[str]:
    """(user, room, text) posted in order; returns the bot's reply to each."""
    replies = Replies(sb)
    answers = []
    async with httpx.AsyncClient(base_url=sb.url) as http:
        posters = {u: await Poster.login(http, u) for u in {user for user, _, _ in lines}}
        async with running_bot(sb):
            for user, room, text in lines:
                command = await posters[user].post(room, text)
                answers.append((await replies.answer_to(command))["msg"])
    return answers


async def test_subscribe_list_pause_resume_preview_unsubscribe(sb: Sandbox) -> None:
    said = await conversation(
        sb,
        [
            ("maria", MANAGERS, "!digest subscribe 09:00 mon-fri tz=Europe/Berlin dept=sales"),
            ("maria", MANAGERS, "!digest list"),
            ("maria", MANAGERS, "!digest pause 1"),
            ("maria", MANAGERS, "!digest list"),
            ("maria", MANAGERS, "!digest resume 1"),
            ("maria", MANAGERS, "!digest preview 1 2024-03-06"),
            ("maria", MANAGERS, "!digest unsubscribe 1"),
            ("maria", MANAGERS, "!digest list"),
        ],
    )
    subscribed, listing, paused, listing_paused, resumed, preview, unsubscribed, empty = said
    assert re.fullmatch(
        r"Digest `1` subscribed: every weekday at 09:00 Europe/Berlin, covering `yesterday`, departments `Sales`\. "
        r"Next: \w{3} \d\d \w{3} 09:00\.",
        subscribed,
    )
    assert " 1  every weekday at 09:00 Europe/Berlin  yesterday  Sales        active  maria" in listing
    assert paused == "Digest `1` paused; `!digest resume 1` resumes it."
    assert "paused" in listing_paused
    assert resumed == "Digest `1` resumed: every weekday at 09:00 Europe/Berlin."
    assert preview.splitlines()[:2] == [
        "_Preview of digest 1 for 2024-03-06 — not posted on schedule:_",
        "*Daily digest* · yesterday: Tue 5 Mar 2024, Europe/Berlin",
    ]
    assert "• `Sales`: 1 conversations, first response 30s" in preview
    assert unsubscribed == "Digest `1` unsubscribed (every weekday at 09:00 Europe/Berlin)."
    assert empty.startswith("No digests in this room.")


async def test_digest_now_posts_the_digest_as_the_reply(sb: Sandbox) -> None:
    subscribed, now = await conversation(
        sb,
        [
            ("maria", MANAGERS, '!digest subscribe 7:30 daily range="last 7 days"'),
            ("maria", MANAGERS, "!digest now"),
        ],
    )
    assert "daily at 07:30 UTC" in subscribed and "covering `last 7 days`" in subscribed
    assert now.startswith("*Daily digest* · last 7 days: ")


async def test_digests_belong_to_their_room_and_to_authorized_people(sb: Sandbox) -> None:
    said = await conversation(
        sb,
        [
            ("maria", MANAGERS, "!digest subscribe 09:00"),
            ("maria", "GENERAL", "!digest pause 1"),
            ("olivia", "GENERAL", "!digest subscribe 09:00"),
            ("olivia", "GENERAL", "!digest list"),
        ],
    )
    _, other_room, refused_subscribe, refused_list = said
    assert other_room.startswith("There is no digest `1` in this room")
    assert "only for people who may see them" in refused_subscribe
    assert "only for people who may see them" in refused_list


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!digest subscribe 25:00", "25:00"),
        ("!digest subscribe", "At what time?"),
        ("!digest subscribe 09:00 someday", "someday"),
        ("!digest subscribe 09:00 tz=Mars/Olympus", "is not a time zone"),
        ("!digest subscribe 09:00 dept=Marketing", "There is no department `Marketing`"),
        ("!digest subscribe 09:00 range=tomorrow", "future"),
        ("!digest pause 7", "There is no digest `7` in this room"),
        ("!digest pause", "This room has no digest yet"),
        ("!digest shout", "is not a digest action"),
    ],
)
async def test_bad_digest_commands_get_specific_messages(sb: Sandbox, text: str, expected: str) -> None:
    [reply] = await conversation(sb, [("maria", MANAGERS, text)])
    assert expected in reply
    assert "Usage: `!digest subscribe HH:MM" in reply


async def test_cli_preview_of_a_config_digest(sb: Sandbox, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[digests]\nstate_file = "' + str(tmp_path / "state.sqlite3") + '"\n'
        '[[digest]]\nname = "managers"\nroom = "omnichannel-managers"\ntime = "09:00"\n'
        'timezone = "Europe/Berlin"\ndepartments = ["Support"]\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    env.update({"RC_URL": sb.url, "RC_USER_ID": "u-bot", "RC_AUTH_TOKEN": BOT_PAT})

    async def preview(*args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "digest",
            "preview",
            "--config",
            str(config),
            *args,
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, out.decode(), err.decode()

    code, out, err = await preview("--name", "managers", "--date", "2024-03-06")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "*Daily digest* · yesterday: Tue 5 Mar 2024, Europe/Berlin"
    assert "• `Support`: 1 conversations, first response 1m 30s" in out
    assert not [m for m in sb.store.messages.values() if m["u"]["_id"] == "u-bot"]  # nothing posted
    code, _, err = await preview("--name", "nightly")
    assert code == 2 and "no digest is named 'nightly'; digests: managers" in err
    code, out, err = await preview("--room", "#general", "--date", "2024-03-06")  # no digest there yet
    assert code == 0 and "#general has no digest yet; this is what `!digest subscribe 09:00` would post" in err
    assert out.splitlines()[0].startswith("*Daily digest* · yesterday: Tue 5 Mar 2024")
    code, _, err = await preview("--name", "managers", "--date", "06.03.2024")
    assert code == 2 and "is not a date; write it as YYYY-MM-DD" in err


def test_a_bad_config_digest_names_the_entry_and_key() -> None:
    from datetime import UTC, datetime

    from bot.config import DigestEntry, Settings
    from bot.digests.service import subscription_from_entry
    from bot.errors import ConfigError

    settings = Settings(url="https://chat.example.com")
    now = datetime(2026, 11, 18, tzinfo=UTC)
    cases = {
        DigestEntry("daily", "r", time="25:00"): "[[digest]] 'daily': time:",
        DigestEntry("daily", "r", weekdays="someday"): "[[digest]] 'daily': weekdays:",
        DigestEntry("daily", "r", timezone="Mars/Olympus"): "timezone 'Mars/Olympus' is not an IANA time zone",
        DigestEntry("daily", "r", range="next week"): "[[digest]] 'daily': range 'next week'",
        DigestEntry("daily", "r", sections=("weather",)): "unknown section 'weather'",
    }
    for entry, message in cases.items():
        with pytest.raises(ConfigError, match=re.escape(message)):
            subscription_from_entry(entry, settings, room_id="r", now=now)


async def test_preview_before_subscribing_shows_what_the_room_would_get(sb: Sandbox) -> None:
    """The README suggests `!digest preview` in the demo; it answered "This room has no digest yet"."""
    [preview, listing] = await conversation(
        sb, [("maria", MANAGERS, "!digest preview"), ("maria", MANAGERS, "!digest list")]
    )
    assert preview.startswith("_This room has no digest yet. `!digest subscribe 09:00` would post this every weekday")
    assert "*Daily digest*" in preview
    assert "no digest" in listing.lower()  # previewing subscribed nothing


async def test_an_unquoted_range_with_spaces_is_explained(sb: Sandbox) -> None:
    [reply] = await conversation(sb, [("maria", MANAGERS, "!digest subscribe 09:00 range=last 7 days")])
    assert 'put the range in quotes: `range="last 7 days"`' in reply
