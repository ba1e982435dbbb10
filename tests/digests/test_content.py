"""What a digest says about when its figures were read, against the sandbox with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.analytics.service import AnalyticsService
from bot.config import Secret, Settings
from bot.dates.grammar import parse_range
from bot.digests.content import build_digest
from bot.rocketchat.rest import RestClient
from bot.sandbox import Sandbox
from tests.analytics.march_data import march_workspace
from tests.analytics_data import analytics_workspace
from tests.digests.test_scheduler import FakeTime, rest, subscription
from tests.mentions import mentions
from tests.sandbox.workspace import BOT_PAT

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]
__all__ = ["rest"]  # the fixture


async def test_a_digest_says_when_its_figures_were_read_in_its_time_zone(rest: RestClient) -> None:
    clock = FakeTime(datetime(2024, 3, 6, 8, 0, tzinfo=UTC))  # 09:00 in Berlin
    service = AnalyticsService(rest, clock=clock, tz="Europe/Berlin")
    yesterday = parse_range("yesterday", now=clock.now, tz="Europe/Berlin")
    await service.figures("Conversations", yesterday, None)  # read at 09:00, and kept
    clock.now += timedelta(minutes=3)
    digest = await build_digest(service, subscription(clock.now, departments=("Sales",)), as_of=clock.now)
    lines = digest.text.splitlines()
    assert lines[0] == "*Daily digest* · yesterday: Tue 5 Mar 2024, Europe/Berlin"
    assert "• `Sales`: 1 conversations, first response 30s" in lines
    assert lines[-1] == "_Figures as of 09:00._"  # the oldest figure shown, on the digest's clock


async def test_names_from_the_server_are_echoed_and_mention_nobody() -> None:
    document = analytics_workspace()
    for department in document["departments"]:
        if department["_id"] == "dep-sales":
            department["name"] = "@here *Sales*"
    clock = FakeTime(datetime(2024, 3, 6, 8, 0, tzinfo=UTC))
    async with Sandbox(document) as sandbox, RestClient(Settings(sandbox.url, "u-bot", Secret(BOT_PAT))) as client:
        await client.login()
        service = AnalyticsService(client, clock=clock, tz="Europe/Berlin")
        digest = await build_digest(service, subscription(clock.now, departments=("@here *sales*",)), as_of=clock.now)
    lines = digest.text.splitlines()
    assert "*Busiest department* `@here *Sales*` (1)" in lines
    assert "• `@here *Sales*`: 1 conversations, first response 30s" in lines
    assert "*First response* fastest: `jane` 30s, `john` 1m 30s · slowest: `john` 1m 30s, `jane` 30s" in lines
    assert mentions(digest.text) == []


async def march_digest(at: datetime, **changes: Any) -> list[str]:
    async with (
        Sandbox(march_workspace()) as sandbox,
        RestClient(Settings(sandbox.url, "u-bot", Secret(BOT_PAT))) as client,
    ):
        await client.login()
        service = AnalyticsService(client, clock=lambda: at, tz="UTC")
        digest = await build_digest(service, subscription(at, tz="UTC", **changes), as_of=at)
    return digest.text.splitlines()


def deepest_bracket(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        deepest = max(deepest, depth)
    return deepest


async def test_a_mondays_changes_are_against_friday_and_the_monday_before_each_labelled() -> None:
    """Monday against Sunday (one chat) read ▲ 500%; against Friday and the Monday a week earlier, like with like,
    each change naming its day, and no brackets inside brackets."""
    lines = await march_digest(datetime(2024, 3, 12, 9, 0, tzinfo=UTC))
    assert lines[0] == "*Daily digest* · yesterday: Mon 11 Mar 2024, UTC"
    assert lines[1].startswith("*Conversations* 6 (▲ 20% vs Fri 8 Mar · ▲ 50% vs Mon 4 Mar) — ")
    assert lines[2:6] == [
        "*Productivity*",
        "• First response 1m 30s: ▲ 50% (worse) vs Fri 8 Mar · ▲ 50% (worse) vs Mon 4 Mar",
        "• Response 1m 30s: ▲ 50% (worse) vs Fri 8 Mar · ▲ 50% (worse) vs Mon 4 Mar",
        "• Reaction 10s: = 0% vs Fri 8 Mar · = 0% vs Mon 4 Mar",
    ]
    assert deepest_bracket("\n".join(lines)) == 1


async def test_a_digest_of_the_last_7_days_compares_with_the_7_days_before() -> None:
    lines = await march_digest(datetime(2024, 3, 12, 9, 0, tzinfo=UTC), range="last 7 days")
    assert lines[0] == "*Daily digest* · last 7 days: Tue 5 – Mon 11 Mar 2024, UTC"
    assert lines[1].startswith("*Conversations* 17 (▲ 183% vs Tue 27 Feb – Mon 4 Mar) — ")
    assert lines[3] == "• First response 1m 11s: ▲ 18% (worse) vs Tue 27 Feb – Mon 4 Mar"
