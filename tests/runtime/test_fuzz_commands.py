"""Hostile command text through the real router and handlers: bad user input never reaches an apology.

The apology ("Sorry, something went wrong on my side") means a bug in the bot, so no text a person can type may
produce it: random unicode, huge numbers, digits that are not ASCII, `tz=` names zoneinfo chokes on, unbalanced
quotes, mentions, control characters, very long words, mixed into the words each command does understand. Every
command runs in-process (`Dispatcher.answer`, what the running bot posts) against one sandbox with the analytics
data, shared by all examples, so digests made by earlier examples are there for later ones to pause and preview.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox import Sandbox
from tests.analytics_data import analytics_workspace
from tests.commands.answering import APOLOGY, Answer, answering

COMMANDS = ["overview", "ov", "chart", "graph", "agents", "departments", "digest", "now", "help", "Overview", "nosuch"]
ACTIONS = ["subscribe", "list", "unsubscribe", "pause", "resume", "now", "preview", "SUBSCRIBE"]
WORDS = [
    "conversations", "productivity", "frt", "Avg_response_time", "response", "time", "Total_messages", "last", "week",
    "7", "days", "yesterday", "today", "since", "monday", "Q3", "2024", "2024-03-05", "2024-03-04..2024-03-06",
    "2026-W53", "1", "2", "09:00", "9am", "mon-fri", "daily", "weekends", "dept=Sales", 'dept="Customer Success"',
    "range=yesterday", 'range="last 7 days"', "tz=Europe/Berlin", "0", "-1", "..", "–", "to", "from",
]  # fmt: skip
ZONES = ["America", "Etc", "x" * 300, "../etc/passwd", "/etc/localtime", "Europe/../Asia", "", "UTC", "utc", "@all"]
ODD_DIGITS = ["²", "³", "١", "٣", "５", "߁", "𝟗", "½", "Ⅻ", "〇", "१"]
HOSTILE = [
    "@all", "@here", "#general", "`", "```", "*", "_", "~", "<", ">", "|", '"', "“", "'", "«", "„", "=", "==", "tz",
    "\x00", "\n", "\r", "\t", "\u200b", "\u202e", "\ufeff", "\x1b[31m", "\\", "%s", "{}", "NaN", "inf", "-0",
    "1e308", "9" * 30, "9" * 5000,
]  # fmt: skip


def text_of(pieces: list[str]) -> str:
    return " ".join(pieces)


numbers = st.one_of(
    st.sampled_from(ODD_DIGITS),  # "²".isdigit() is true, int("²") fails
    st.integers(min_value=0, max_value=6000).map(lambda n: "9" * n),  # int() refuses more than 4300 digits
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
tokens = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(HOSTILE),
    numbers,
    st.builds("=".join, st.lists(st.text(max_size=8), min_size=2, max_size=3)),  # key=value of anything
    st.text(max_size=12),
    st.text(min_size=200, max_size=2000),
)
options = st.one_of(
    st.sampled_from(ZONES + ODD_DIGITS).map(lambda zone: "tz=" + zone),
    st.text(max_size=40).map(lambda zone: f'tz="{zone}"'),
    st.sampled_from(["Sales", "sales", "@here", "", ",", "Sales,Nope"]).map(lambda name: "dept=" + name),
    st.one_of(st.sampled_from(WORDS), numbers, st.text(max_size=30)).map(lambda phrase: f'range="{phrase}"'),
)
digest_arguments = st.one_of(
    st.sampled_from(["1", "2", "01", "09:00", "9am", "mon-fri", "2024-03-06", "0001-01-01", "9999-12-31"]),
    numbers,
    st.sampled_from(HOSTILE),
    st.text(max_size=12),
)
times = st.one_of(st.sampled_from(["09:00", "9am", "21:30", "noon", "24:00", "9"]), st.sampled_from(HOSTILE), numbers)
days = st.one_of(st.sampled_from(["mon-fri", "daily", "sat,sun", "mon-mon", "every monday"]), tokens)
digest_commands = st.one_of(
    st.builds(
        lambda at, when, extra: text_of(["!digest subscribe", at, *when, *extra]),
        times,
        st.lists(days, max_size=2),
        st.lists(options, max_size=3),
    ),
    st.builds(
        lambda action, number, day: text_of([f"!digest {action}", number, *day]),
        st.sampled_from(["pause", "resume", "unsubscribe", "now", "preview"]),
        st.one_of(st.sampled_from(["1", "01", "2"]), numbers),
        st.lists(st.one_of(st.sampled_from(["2024-03-06", "0001-01-01", "9999-12-31"]), tokens), max_size=1),
    ),
    st.builds(
        lambda action, arguments, extra: text_of(["!digest", action, *arguments, *extra]),
        st.sampled_from(ACTIONS),
        st.lists(digest_arguments, max_size=3),
        st.lists(options, max_size=2),
    ),
)
analytics_commands = st.builds(
    lambda name, words, extra: text_of([f"!{name}", *words, *extra]),
    st.sampled_from(["overview", "chart", "agents", "departments"]),
    st.lists(tokens, max_size=6),
    st.lists(options, max_size=2),
)
any_commands = st.builds(
    lambda prefix, name, words: f"{prefix}{name} {text_of(words)}",
    st.sampled_from(["!", "", "! ", "!!"]),
    st.sampled_from(COMMANDS),
    st.lists(st.one_of(tokens, options, digest_arguments), max_size=8),
)
commands = st.one_of(digest_commands, analytics_commands, any_commands, st.text(max_size=300))


@contextlib.contextmanager
def bot_against_a_sandbox() -> Iterator[tuple[asyncio.AbstractEventLoop, Answer]]:
    """One sandbox and one in-process bot for all examples, on a loop of the test's own (hypothesis calls the
    test synchronously, once per example)."""
    loop = asyncio.new_event_loop()
    stack = contextlib.AsyncExitStack()
    try:
        sb = loop.run_until_complete(stack.enter_async_context(Sandbox(analytics_workspace())))
        answer = loop.run_until_complete(stack.enter_async_context(answering(sb)))
        # A digest in the room from the start, so that ids and previews reach the code that reads them.
        assert loop.run_until_complete(answer("!digest subscribe 09:00")).startswith("Digest `1` subscribed")
        yield loop, answer
    finally:
        loop.run_until_complete(stack.aclose())
        loop.close()


class Bugs(logging.Handler):
    """Records what the dispatcher logs as a bug (an exception with its traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def bot() -> Iterator[tuple[asyncio.AbstractEventLoop, Answer]]:
    with bot_against_a_sandbox() as running:
        yield running


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(text=commands)
def test_no_command_text_ends_in_an_apology(bot: tuple[asyncio.AbstractEventLoop, Answer], text: str) -> None:
    loop, answer = bot
    bugs = Bugs()
    logging.getLogger("bot").addHandler(bugs)
    try:
        reply = loop.run_until_complete(answer(text))
    finally:
        logging.getLogger("bot").removeHandler(bugs)
    assert APOLOGY not in reply, f"{text[:200]!r} -> {reply[:300]!r}"
    assert not bugs.records, f"{text[:200]!r} logged {bugs.records[0].getMessage()[:300]}"
    assert reply.strip()
