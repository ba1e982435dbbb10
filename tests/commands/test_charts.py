"""`!chart` as a manager reads it: gaps are gaps, the future is not drawn, "avg" is Rocket.Chat's average, hours
and days are named as the replies name them, and the picture says what it is (bars or a line, its department)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.commands import analytics as analytics_commands
from bot.replies import pictures
from bot.sandbox import Sandbox
from tests.analytics_data import analytics_workspace
from tests.commands.test_commands import ask, ask_raw
from tests.sandbox.workspace import BOT_PAT

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]
TUESDAY_15_20 = datetime(2024, 3, 5, 15, 20, tzinfo=UTC)  # the day of the worked example, after its two chats


def bot_uploads(sb: Sandbox) -> list[dict[str, Any]]:
    return [u for u in sb.store.uploads.values() if u["userId"] == "u-bot"]


@pytest.mark.parametrize("form", ["next", "endOf"])
async def test_hours_are_named_from_the_bucket_whatever_the_server_writes(form: str) -> None:
    """Rocket.Chat versions label one-day buckets "12AM-1AM" or "12AM-12AM"; the reply is the same with either."""
    async with Sandbox(analytics_workspace(Sandbox_Hour_Labels=form)) as sandbox:
        async with httpx.AsyncClient(base_url=sandbox.url) as http:
            served = await http.get(
                "/api/v1/livechat/analytics/dashboards/charts-data",
                params={"chartName": "Total_conversations", "start": "2024-03-05", "end": "2024-03-05"},
                headers={"X-User-Id": "u-bot", "X-Auth-Token": BOT_PAT},
            )
        [reply] = await ask(sandbox, "!chart conversations 2024-03-05")
    assert served.json()["dataLabels"][14] == {"next": "2PM-3PM", "endOf": "2PM-2PM"}[form]
    assert reply.splitlines()[1] == (
        "`▁▁▁▁▁▁▁▁▁▁▁▁▁▁█▁▁▁▁▁▁▁▁▁`  total 2 · avg 0.1 per hour · max 2 (2PM-3PM) · min 0 (12AM-1AM)"
    )


async def test_todays_chart_stops_at_the_current_hour(sb: Sandbox) -> None:
    """At 15:20 the hours from 4PM have not begun: not drawn, not averaged; 3PM-4PM is stated as running."""
    [reply] = await ask_raw(sb, "!chart conversations today", clock=lambda: TUESDAY_15_20)
    assert reply.splitlines()[1] == (
        "`▁▁▁▁▁▁▁▁▁▁▁▁▁▁█▁`  total 2 · avg 0.1 per hour · max 2 (2PM-3PM) · min 0 (12AM-1AM) · 3PM-4PM so far: 0"
    )
    [picture] = bot_uploads(sb)
    assert picture["name"] == "total_conversations-2024-03-05-2024-03-05.png"
    assert picture["description"] == "Total Conversations, Tue 5 Mar 2024, UTC"


async def test_a_single_value_is_stated_once_and_hours_without_conversations_are_gaps(sb: Sandbox) -> None:
    [reply] = await ask_raw(sb, "!chart frt today", clock=lambda: TUESDAY_15_20)
    assert reply.splitlines()[1] == (
        "`              ▄ `  1m 00s (2PM-3PM, the only hour with data) · no data on 15 of 16 hours"
    )


async def test_a_range_without_conversations_posts_no_picture_and_says_so(sb: Sandbox) -> None:
    [reply] = await ask(sb, "!chart frt 2024-05-01..2024-05-03")
    assert reply.splitlines()[1:] == [
        "Nothing to chart in this period, so no picture.",
        "No conversations in this period.",
    ]
    assert bot_uploads(sb) == []


async def test_the_average_is_rocket_chats_own_for_the_period(sb: Sandbox) -> None:
    """Daily averages of 2m 00s (one chat) and 1m 00s (two chats) average 1m 20s over the three chats, as the
    overview says, not 1m 30s (the mean of the two days)."""
    chart, overview = await ask(
        sb, "!chart frt 2024-03-04..2024-03-06", "!overview productivity 2024-03-04..2024-03-06"
    )
    assert " avg 1m 20s · " in chart
    assert "• Average of First Response Time: 1m 20s" in overview


async def test_an_average_rocket_chat_does_not_have_says_what_it_is(sb: Sandbox) -> None:
    duration, best = await ask(
        sb, "!chart chat duration 2024-03-04..2024-03-06", "!chart best frt 2024-03-04..2024-03-06"
    )
    assert duration.splitlines()[1] == (
        "`▁█ `  mean of daily averages 7m 30s · max 10m 00s (Tue 5 Mar) · min 5m 00s (Mon 4 Mar)"
        " · no data on 1 of 3 days"
    )
    assert best.splitlines()[1] == (
        "`█▁ `  best 30s (Tue 5 Mar) · slowest daily best 2m 00s (Mon 4 Mar) · no data on 1 of 3 days"
    )


async def test_pictures_name_days_as_the_text_does_and_bars_count(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[tuple[Any, ...]] = []
    render = pictures.render_chart

    def spy(title: str, ticks: list[str], values: list[float | None], **options: Any) -> bytes:
        drawn.append((title, ticks, values, options["is_time"], options["running"], options["subtitle"]))
        return render(title, ticks, values, **options)

    monkeypatch.setattr(pictures, "render_chart", spy)
    monkeypatch.setattr(analytics_commands, "charts_available", lambda: True)
    await ask(sb, "!chart frt 2024-03-04..2024-03-06", "!chart conversations 2024-03-04..2024-03-06")
    await ask_raw(sb, "!chart conversations today", clock=lambda: TUESDAY_15_20)
    days = ["4 Mar", "5 Mar", "6 Mar"]
    assert drawn[:2] == [
        ("Avg_first_response_time", days, [120.0, 60.0, None], True, None, "Mon 4 – Wed 6 Mar 2024, UTC"),
        ("Total_conversations", days, [1.0, 2.0, 0.0], False, None, "Mon 4 – Wed 6 Mar 2024, UTC"),
    ]
    _, ticks, values, _, running, subtitle = drawn[2]
    assert (ticks[-2:], values[-2:], running) == (["2PM", "3PM"], [2.0, 0.0], 15)  # 4PM on: not begun
    assert subtitle == "Tue 5 Mar 2024, UTC · 3PM so far (pale)"


async def test_charts_of_two_departments_get_their_own_file_names(sb: Sandbox) -> None:
    await ask(
        sb,
        "!chart conversations 2024-03-04..2024-03-05 dept=Sales",
        '!chart conversations 2024-03-04..2024-03-05 dept="support"',
    )
    sales, support = bot_uploads(sb)
    assert sales["name"] == "total_conversations-sales-2024-03-04-2024-03-05.png"
    assert support["name"] == "total_conversations-support-2024-03-04-2024-03-05.png"
    assert support["description"] == "Total Conversations, Mon 4 – Tue 5 Mar 2024, UTC · department `Support`"
