"""The property behind "I read this as": whatever is asked, and whatever the workspace's departments are
called, the command that line shows is exactly the command that ran — and nothing runs without it unless the
text was typed as a command. And nothing the reader writes (echoed words, names) can mention anyone."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import UserInputError
from bot.understanding import vocabulary
from bot.understanding.answers import READ_AS
from bot.understanding.names import Agent
from bot.understanding.reader import Addressed
from tests.mentions import SERVER_MENTION
from tests.understanding.reading import AGENTS, DEPARTMENTS, Bench

pytestmark = pytest.mark.anyio

PHRASES = sorted(" ".join(words) for words in vocabulary.PHRASES)
DATES = [
    "yesterday", "today", "last week", "this month", "in October", "last 30 days", "since monday", "Q3",
    "from 1 May to 3 May", "2026-11-01..2026-11-10", "next week", "the last 2 hours", "may", "sat", "2025",
    "every weekday at 9", "at 5", "at 9am", "mondays and thursdays", "last month's", "this week with last week",
]  # fmt: skip
GLUE = ["how", "many", "did", "have", "who", "was", "the", "in", "for", "what", "is", "our", "?", "and", "vs", "me"]
HOSTILE = ["@all", "@here", "#general", "`", "```", "*bold*", "_x_", ">@all", "dept=@all", 'dept="a b', "'s", "="]
ODD_NAMES = ["@all", "Customer  Success", "a`b", "x>@y", 'Quo"te', "it's", "=eq", "“curly”", "Sales EU", "sales"]


def shown_command(line: str) -> str:
    """The command a reader sees (and copies) in the "I read this as" line: its code spans, joined."""
    return " ".join(re.findall(r"`([^`]*)`", line[len(READ_AS) :]))


words = st.one_of(
    st.sampled_from(PHRASES),
    st.sampled_from(DATES),
    st.sampled_from(GLUE),
    st.sampled_from(HOSTILE),
    st.sampled_from([*DEPARTMENTS, *ODD_NAMES, "jane", "Jane Doe", "Marketing", "Suport"]),
    st.sampled_from(["1", "2", "3", "overview", "agents", "chart", "now", "export", "help", "digest"]),
    st.text(max_size=10),
)
questions = st.lists(words, max_size=9).map(" ".join)
departments = st.lists(st.one_of(st.sampled_from([*DEPARTMENTS, *ODD_NAMES]), st.text(max_size=12)), max_size=5)
addressing = st.sampled_from([Addressed.DIRECT, Addressed.MENTION, Addressed.PREFIX, None])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    conversation=st.lists(st.tuples(questions, addressing), min_size=1, max_size=4),
    names=departments,
    agents=st.lists(st.sampled_from([*AGENTS, Agent("@all", "x>@y"), Agent("sam", "Sales")]), max_size=3),
)
async def test_the_reading_shown_is_the_command_that_ran(
    conversation: list[tuple[str, Addressed | None]], names: list[str], agents: list[Agent]
) -> None:
    bench = Bench(departments=tuple(names), agents=tuple(agents))
    for text, addressed in conversation:
        before = len(bench.ran)
        said = await bench.say(text, addressed)
        ran = bench.ran[before:]
        first = said.splitlines()[0] if said else ""
        if first.startswith(READ_AS):
            assert len(ran) == 1, said
            assert shown_command(first) == "!" + ran[0]
        elif ran:  # run as typed: the text was a command
            assert len(ran) == 1
            try:
                spec, args = bench.router.resolve(text.strip())
            except UserInputError:
                pytest.fail(f"{text!r} ran {ran[0]!r} without saying how it was read")
            assert ran[0] == f"{spec.name} {args}".strip()
        assert READ_AS not in "\n".join(said.splitlines()[1:]) or said.startswith(READ_AS)
        own = said.replace(f"ran {ran[0]}", "") if ran else said  # the stub command's reply is not the reader's
        assert SERVER_MENTION.search(own) is None, said
