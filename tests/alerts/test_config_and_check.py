"""`[[alert]]` entries: read from the config file, checked by `analytics-bot check` with the chat's grammar, and
synced by name into the state file at start (a changed entry keeps its incidents, a removed one goes)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.alerts.setup import start_alerts
from bot.analytics.service import AnalyticsService
from bot.cli.check import FAILED, OK, check_alerts
from bot.config import AlertEntry, load_settings
from bot.errors import ConfigError
from bot.rocketchat.rest import RestClient
from bot.sandbox import Sandbox
from bot.state.store import State
from tests.harness import bot_settings

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 18, 9, tzinfo=UTC)
ENV = {"RC_USER_ID": "u-bot", "RC_AUTH_TOKEN": "token"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text + '\n[rocketchat]\nurl = "https://chat.example.com"\n', encoding="utf-8")
    return path


def test_alert_tables_are_read_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[alert]]\nname = "sales-queue"\nroom = "omnichannel-managers"\ncondition = "queue > 5 for 2m"\n'
        'department = "Sales"\nnotify = ["@jane", "@here"]\nevery = "30m"\n[alerts]\ninterval = 20\n',
    )
    settings = load_settings(path, env=ENV)
    assert settings.alerts == (
        AlertEntry("sales-queue", "omnichannel-managers", "queue > 5 for 2m", "Sales", ("@jane", "@here"), None, "30m"),
    )
    assert settings.alert_interval == 20


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[alert]]\nname = "a"\nroom = "r"\n', "[[alert]] #1 ('a'): 'condition' is required"),
        (
            '[[alert]]\nname = "a"\nroom = "r"\ncondition = "q"\nnotfy = ["@x"]\n',
            "unknown key 'notfy' (did you mean 'notify'?)",
        ),
        ('[[alert]]\nname = "a"\nroom = "r"\ncondition = "q"\nnotify = "@x"\n', "'notify' must be a list of usernames"),
        ('[[alert]]\nname = "a"\nroom = "r"\ncondition = "q"\n' * 2, "the name 'a' is used twice"),
        ("alert = 3\n", "alerts are written as [[alert]] tables"),
    ],
)  # fmt: skip
def test_bad_alert_tables_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(write(tmp_path, text), env=ENV)


async def test_check_validates_each_alert_entry(sb: Sandbox) -> None:
    entries = (
        AlertEntry("good", "omnichannel-managers", "queue > 5 for 2m", "Sales"),
        AlertEntry("bad-figure", "omnichannel-managers", "queues > 5"),
        AlertEntry("bad-room", "nowhere", "wait > 3m"),
        AlertEntry("bad-dept", "omnichannel-managers", "wait > 3m", "Marketting"),
    )
    settings = replace(bot_settings(sb), alerts=entries)
    async with RestClient(settings) as rest:
        lines = await check_alerts(settings, rest, NOW)
    assert [(line.status, line.topic) for line in lines] == [
        (OK, "alert 'good'"),
        (FAILED, "alert 'bad-figure'"),
        (FAILED, "alert 'bad-room'"),
        (FAILED, "alert 'bad-dept'"),
    ]
    assert lines[0].text == "posts in #omnichannel-managers when queue > 5 for 2m"
    assert lines[1].text.startswith("condition 'queues > 5': `queues` is not a figure I watch")
    assert lines[2].text.startswith("room 'nowhere' is not a room the bot can see")
    assert lines[3].text.startswith("department: ")


async def test_config_alerts_are_synced_by_name_at_start(sb: Sandbox, tmp_path: Path) -> None:
    entry = AlertEntry("sales-queue", "omnichannel-managers", "queue > 5 for 2m", "sales", ("@here",))
    settings = replace(bot_settings(sb), alerts=(entry,))
    state = State(tmp_path / "state.sqlite3")
    async with RestClient(settings) as rest:
        analytics = AnalyticsService(rest, tz="UTC")
        await start_alerts(settings, state, rest, analytics, clock=lambda: NOW)
        (first,) = state.alerts()
        assert (first.name, first.room_id, first.condition["department"], first.notify) == (
            "sales-queue",
            "r-managers",
            "Sales",
            ("here",),
        )
        changed = replace(settings, alerts=(replace(entry, condition="queue > 9"),))
        await start_alerts(changed, state, rest, analytics, clock=lambda: NOW)
        (again,) = state.alerts()
        assert (again.id, again.condition["threshold"]) == (first.id, 9)
        with pytest.raises(ConfigError, match="condition 'wait > soon'"):
            bad = replace(settings, alerts=(replace(entry, condition="wait > soon"),))
            await start_alerts(bad, state, rest, analytics, clock=lambda: NOW)
    state.close()
