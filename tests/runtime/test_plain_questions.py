"""Plain questions in chat, through the real bot against the sandbox: a DM question, a mentioned one, an
ambiguous one answered by its number, one the bot cannot answer, and the prefix form left exactly as it was.

Until the reader is wired into `bot/runtime/dispatch.py` and `app.py` (issue 15), `ReadingBotApp` applies
that wiring here: the same few lines, so these tests exercise what the running bot will do. Once the
dispatcher takes a reader itself, the real bot runs unchanged (and the stand-in can go).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.commands.router import Reply
from bot.config import Settings
from bot.errors import TransportError
from bot.rocketchat.models import IncomingMessage
from bot.runtime.app import BotApp
from bot.runtime.dispatch import APOLOGY, REFUSAL, Dispatcher
from bot.runtime.pipeline import Command, Drop, Pipeline
from bot.sandbox import Sandbox
from bot.understanding.directory import Directory
from bot.understanding.reader import Addressed, Reader
from tests import harness
from tests.harness import Poster, Replies, running_bot

pytestmark = pytest.mark.anyio

MANAGERS = "r-managers"  # private room: maria (manager), admin, the bot


class ReadingDispatcher(Dispatcher):
    """The dispatcher with the reader in front of each attempt (the patch proposed for dispatch.py)."""

    reader: Reader

    async def _attempt(self, command: Command) -> Reply:
        try:
            return await self.reader.answer(
                command.question(), lambda text: Dispatcher._attempt(self, replace(command, text=text))
            )
        except TransportError:
            raise
        except Exception:  # a bug in the reader: an apology, as for any bug (never a silent drop)
            return Reply(APOLOGY.format(ref="test"))


class ReadingBotApp(BotApp):
    """The bot with the reader wired in (the patch proposed for app.py)."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        super().__init__(settings, **options)
        self.reader = Reader(
            self.router,
            settings,
            Directory.of(self.services.analytics, self.rest, clock=self.clock),
            clock=self.clock,
            may_view=self.access.may_view,
            refusal=REFUSAL,
        )
        old = self.dispatcher
        self.dispatcher = ReadingDispatcher(
            self.router,
            self.access,
            self.rest,
            services=self.services,
            concurrency=settings.concurrency,
            clock=self.clock,
            sleep=self._sleep,
            journal=self,
            deadline=old.deadline,
            tz=old.tz,
        )
        self.dispatcher.reader = self.reader

    async def _start_digests(self) -> Any:
        assert self.pipeline is not None  # made in run(), just before
        self.pipeline.awaiting = self.reader.answers_choice
        return await super()._start_digests()


WIRED = "reader" in inspect.signature(Dispatcher.__init__).parameters


@pytest.fixture(autouse=True)
def reading_bot(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not WIRED:
        monkeypatch.setattr(harness, "BotApp", ReadingBotApp)
    yield


async def direct_room(poster: Poster) -> str:
    room: str = (await poster.call("im.create", {"username": "analytics-bot"}))["room"]["rid"]
    return room


async def test_a_question_in_a_direct_message_is_answered_with_its_reading(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    dm = await direct_room(maria)
    async with running_bot(sb):
        question = await maria.post(dm, "how many chats did Sales have last week?")
        answer = (await replies.answer_to(question))["msg"].splitlines()
    assert answer[0] == "I read this as `!overview conversations last week dept=Sales`"
    assert answer[1].startswith("*Omnichannel overview* · last week: ")
    assert answer[1].rsplit(" · department ", 1)[1].strip("`") == "Sales"  # the name, escaped or echoed
    assert "*Conversations*" in answer and "*Productivity*" not in answer


async def test_a_question_after_a_mention_is_answered_and_without_one_it_is_not(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    async with running_bot(sb):
        unmentioned = await maria.post(MANAGERS, "what was our first response time yesterday?")
        mentioned = await maria.post(MANAGERS, "@analytics-bot what was our first response time yesterday?")
        answer = (await replies.answer_to(mentioned))["msg"].splitlines()
        sentinel = await maria.post(MANAGERS, "!help")
        await replies.answer_to(sentinel)
    assert answer[0] == "I read this as `!overview productivity yesterday`"
    assert answer[1].startswith("*Omnichannel overview* · yesterday: ")
    assert any(line.startswith("• Average of First Response Time: ") for line in answer)
    assert replies.to(unmentioned) == []


async def test_an_ambiguous_question_is_asked_back_and_the_number_answers_it(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    admin = await Poster.login(http, "admin")
    async with running_bot(sb):
        question = await maria.post(MANAGERS, "@analytics-bot who was the fastest agent this month")
        asked = (await replies.answer_to(question))["msg"]
        someone_else = await admin.post(MANAGERS, "1")  # not asked: plain chat, not for the bot
        number = await maria.post(MANAGERS, "2")
        answer = (await replies.answer_to(number))["msg"].splitlines()
        again = await maria.post(MANAGERS, "1")  # answered already: plain chat again
        sentinel = await maria.post(MANAGERS, "!help")
        await replies.answer_to(sentinel)
    assert asked.splitlines() == [
        "Did you mean 1) first response time or 2) average response time? Answer 1 or 2.",
        "1) `!agents Avg_first_response_time this month`",
        "2) `!agents Avg_response_time this month`",
    ]
    assert answer[0] == "I read this as `!agents Avg_response_time this month`"
    assert answer[1].startswith("*Average of Response Time by agent* · this month: ")
    assert replies.to(someone_else) == [] and replies.to(again) == []


async def test_a_question_the_bot_cannot_answer_says_what_it_can_and_shows_no_figures(
    sb: Sandbox, http: httpx.AsyncClient
) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    dm = await direct_room(maria)
    async with running_bot(sb):
        csat = await maria.post(dm, "what is our CSAT this month?")
        csat_answer = (await replies.answer_to(csat))["msg"].splitlines()
        nonsense = await maria.post(dm, "tell me a joke")
        nonsense_answer = (await replies.answer_to(nonsense))["msg"].splitlines()
    assert csat_answer == [
        "Sorry, satisfaction ratings (CSAT) are not in the analytics I read.",
        "The closest I can answer: `!overview this month` (send it to run it).",
        "I answer questions about Omnichannel figures, such as “how many chats did we have last week?”, "
        "“what was our first response time yesterday?”, “who handled the most chats this month?” — or see `!help`.",
    ]
    assert nonsense_answer[0] == "I can't answer that: I don't know what `joke` means here."
    assert nonsense_answer[-1].startswith("I answer questions about Omnichannel figures")


async def test_the_prefix_form_and_plain_commands_in_a_dm_are_unchanged(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    maria = await Poster.login(http, "maria")
    dm = await direct_room(maria)
    async with running_bot(sb):
        prefixed = await maria.post(MANAGERS, "!how many chats last week")
        prefixed_answer = (await replies.answer_to(prefixed))["msg"]
        plain = await maria.post(dm, "figures")
        plain_answer = (await replies.answer_to(plain))["msg"]
    assert prefixed_answer.startswith("I don't know the command `how`.")
    assert plain_answer == f"{harness.SECRET_FIGURE} for maria"


async def test_someone_without_access_gets_the_refusal_for_a_question(sb: Sandbox, http: httpx.AsyncClient) -> None:
    replies = Replies(sb)
    olivia = await Poster.login(http, "olivia")
    dm = await direct_room(olivia)
    async with running_bot(sb):
        question = await olivia.post(dm, "how many chats did Sales have last week?")
        answer = (await replies.answer_to(question))["msg"]
    assert answer == REFUSAL


NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def message(text: str, sender: str = "maria", rid: str = "r-1") -> IncomingMessage:
    return IncomingMessage(
        id="m1", rid=rid, text=text, sender_id=f"u-{sender}", sender_username=sender, ts=NOW, updated_at=NOW
    )


@pytest.mark.parametrize(
    ("text", "room_type", "expected"),
    [
        ("!overview last week", "c", ("overview last week", Addressed.PREFIX)),
        ("!how many chats", "d", ("how many chats", Addressed.PREFIX)),
        ("@analytics-bot how many chats?", "c", ("how many chats?", Addressed.MENTION)),
        ("how many chats?", "d", ("how many chats?", Addressed.DIRECT)),
        ("how many chats?", "c", Drop.NOT_A_COMMAND),
        ("2", "c", ("2", Addressed.CHOICE)),  # maria was asked in r-1
        ("2", "p", ("2", Addressed.CHOICE)),
        ("3", "c", Drop.NOT_A_COMMAND),  # not one of the choices
        ("2 more coffees", "c", Drop.NOT_A_COMMAND),
    ],
)
def test_how_a_message_was_addressed(text: str, room_type: str, expected: tuple[str, Addressed] | Drop) -> None:
    def awaiting(room_id: str, asker: str, said: str) -> bool:
        return (room_id, asker) == ("r-1", "maria") and said in ("1", "2")

    pipeline = Pipeline(bot_user_id="u-bot", bot_username="analytics-bot", awaiting=awaiting)
    outcome = pipeline.classify(message(text), now=NOW, room_type=room_type, member=True)
    if isinstance(expected, Drop):
        assert outcome is expected
    else:
        assert isinstance(outcome, Command)
        assert (outcome.text, outcome.addressed) == expected


def test_a_bare_number_from_someone_else_or_elsewhere_is_plain_chat() -> None:
    def awaiting(room_id: str, asker: str, said: str) -> bool:
        return (room_id, asker) == ("r-1", "maria")

    pipeline = Pipeline(bot_user_id="u-bot", bot_username="analytics-bot", awaiting=awaiting)
    for text, sender, rid in (("1", "admin", "r-1"), ("1", "maria", "r-2")):
        outcome = pipeline.classify(message(text, sender, rid), now=NOW, room_type="c", member=True)
        assert outcome is Drop.NOT_A_COMMAND
