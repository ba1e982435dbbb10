"""Changes that compare like with like: a day still running is never compared with a whole one, days with the
same weekdays a week earlier, and every change says what it is against. The data: conversations on known days
of March 2024 (UTC), and the bot's clock at a known hour."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.sandbox import Sandbox
from tests.analytics.march_data import march_workspace
from tests.commands.test_commands import ask_raw

pytestmark = pytest.mark.anyio
TUESDAY_11_20 = datetime(2024, 3, 12, 11, 20, tzinfo=UTC)


async def overview(text: str, now: datetime) -> list[str]:
    async with Sandbox(march_workspace()) as sandbox:
        [reply] = await ask_raw(sandbox, text, clock=lambda: now)
    return reply.splitlines()


async def test_today_is_compared_until_the_same_hour_a_week_earlier() -> None:
    """At 11:20, 4 conversations today; 3 of them before 11:00, against 2 before 11:00 on Tue 5 Mar (which had 5
    in all, and Monday 6: the old reply said ▼ 33% against all of Monday)."""
    lines = await overview("!overview", TUESDAY_11_20)
    assert lines[1] == (
        "Changes against Tue 5 Mar 2024 (the same weekday a week earlier). Today is in progress: conversations are"
        " counted until 11:00 on Tue 12 Mar and on Tue 5 Mar; the other figures have no fair comparison yet."
    )
    assert "• Total Conversations: 4  ▲ 50%" in lines
    assert "• Conversations per Day: 4.00  (day in progress)" in lines
    assert "• Average of First Response Time: 1m 00s  (day in progress)" in lines
    assert next(line for line in lines if line.startswith("• Total Messages: ")).endswith("  (day in progress)")


async def test_a_week_so_far_counts_today_to_the_hour_and_compares_the_rest_over_whole_days() -> None:
    """Mon 11 and Tue 12 until 11:00 (6 + 3) against Mon 4 and Tue 5 until 11:00 (4 + 2), not against Sat-Sun;
    first response over the Mondays: 1m 30s against 1m 00s."""
    lines = await overview("!overview since monday", TUESDAY_11_20)
    assert lines[0] == "*Omnichannel overview* · since 11 Mar 2024: Mon 11 – Tue 12 Mar 2024, UTC"
    assert lines[1] == (
        "Changes against Mon 4 – Tue 5 Mar 2024 (the same weekdays a week earlier). Today is in progress:"
        " conversations are counted until 11:00 on Tue 12 Mar and on Tue 5 Mar; the other figures compare"
        " Mon 11 Mar with Mon 4 Mar."
    )
    assert "• Total Conversations: 10  ▲ 50%" in lines
    assert "• Conversations per Day: 5.00  ▲ 50%" in lines
    assert "• Average of First Response Time: 1m 18s  ▲ 50% (worse)" in lines  # shown: both days so far


async def test_yesterday_is_compared_with_the_same_weekday_not_with_sunday() -> None:
    lines = await overview("!overview yesterday", TUESDAY_11_20)
    assert lines[1] == "Changes against Mon 4 Mar 2024 (the same weekday a week earlier)."
    assert "• Total Conversations: 6  ▲ 50%" in lines  # against Sunday's one: ▲ 500%
    assert "• Average of First Response Time: 1m 30s  ▲ 50% (worse)" in lines


async def test_the_first_of_the_month_is_compared_until_the_same_hour_of_the_first() -> None:
    """On Fri 1 Mar at 11:20: 2 conversations before 11:00, against 1 before 11:00 on 1 Feb (3 in the day)."""
    lines = await overview("!overview this month", datetime(2024, 3, 1, 11, 20, tzinfo=UTC))
    assert lines[1] == (
        "Changes against Thu 1 Feb 2024 (the same days of the previous month). Today is in progress: conversations"
        " are counted until 11:00 on Fri 1 Mar and on Thu 1 Feb; the other figures have no fair comparison yet."
    )
    assert "• Total Conversations: 2  ▲ 100%" in lines


async def test_the_first_hour_of_a_day_has_no_comparison_yet() -> None:
    lines = await overview("!overview", datetime(2024, 3, 12, 0, 40, tzinfo=UTC))
    assert lines[1] == (
        "Changes against Tue 5 Mar 2024 (the same weekday a week earlier). Today is in progress: no fair"
        " comparison yet."
    )
    assert "• Total Conversations: 4  (day in progress)" in lines  # the sandbox knows no clock: all of the day


async def test_whole_periods_are_compared_with_the_one_before() -> None:
    lines = await overview("!overview conversations 2024-03-04..2024-03-11", TUESDAY_11_20)
    assert lines[1] == "Changes against Sun 25 Feb – Sun 3 Mar 2024 (the 8 days before)."
    assert "• Total Conversations: 21  ▲ 950%" in lines
