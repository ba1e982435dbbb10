"""Suggestions that help: the whole phrase is matched against names, aliases and the industry's terms, the
best one or two are offered, and the usage follows, so the retry is right the first time."""

from __future__ import annotations

import pytest

from bot.sandbox import Sandbox
from tests.commands.answering import answering

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "avg" alone pointed at Avg_first_response_time; the whole phrase is closest to the response time
        ("!chart avg reponse time", "I don't know the chart `avg reponse time`. Did you mean `Avg_response_time`?"),
        ("!chart respons time last week", "I don't know the chart `respons time`. Did you mean `Avg_response_time`?"),
        # AHT is handle time: the chat's duration, not a response time
        ("!chart aht 2024-03-05", "*Average of Chat Duration*"),
        ("!agents handle time 2024-03-05", "Chat Duration"),
        ("!chart wait time", "Did you mean `Avg_first_response_time` (a visitor's wait for a first reply;"),
        ("!chart queue", "The queue is live, not a chart: `!now` shows it."),
        ("!chart csat last week", "Rocket.Chat's analytics have no satisfaction (CSAT) chart."),
    ],
)
async def test_chart_names_are_matched_as_a_whole_phrase(sb: Sandbox, text: str, expected: str) -> None:
    async with answering(sb) as answer:
        reply = await answer(text)
    assert expected in reply
    if "don't know" in reply or "no satisfaction" in reply:
        assert "\nUsage: `!chart NAME" in reply  # the asker's mistake ends with the usage


async def test_a_mistyped_command_gets_the_likely_one_with_its_usage(sb: Sandbox) -> None:
    async with answering(sb) as answer:
        reply = await answer("!overveiw last week")
    assert reply.startswith("I don't know the command `overveiw`. Did you mean `!overview`?\nUsage: `!overview")
    assert "Examples: " in reply
