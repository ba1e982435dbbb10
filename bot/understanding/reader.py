"""Between a message addressed to the bot and the command that runs: exact commands pass untouched, plain
questions are read, and a question back is remembered until the asker answers it with a number.

The dispatcher hands every command to `Reader.answer` with a `run` callback that executes command text as a
typed command would be (access check, handler, errors), so a reading is only ever text the router parses:
what the "I read this as" line shows is exactly what `run` was given.

- The prefix form (`!overview ...`) is always exact: the reader never touches it (except a number answering
  the bot's own question).
- After a mention or in a DM, a text that starts with a command word is exact too, unless it reads like a
  question ("agents who handled the most chats?") and the reading is confident.
- Anything else is read as a question (`bot.understanding.parser`), with the workspace's departments and
  agents; an asker who may not see analytics gets the refusal before any name is looked up, so no department
  name reaches them.
- A question back ("Did you mean 1) … or 2) …?") is remembered per room and asker for `ttl` (a few minutes,
  on the injected clock); a later bare number from that asker in that room picks the choice. Readings are
  remembered per message id, so a retried attempt (a 429 while answering) runs the same command again.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from bot.commands.router import Reply, Router
from bot.config import Settings
from bot.replies.markup import code
from bot.understanding.answers import ask_back, cannot, read_as, what_i_answer
from bot.understanding.names import Agent
from bot.understanding.parser import Ambiguous, Context, Understood, understand
from bot.understanding.vocabulary import word_set
from bot.understanding.when import DateOptions

Run = Callable[[str], Awaitable[Reply]]
Names = tuple[tuple[str, ...], tuple[Agent, ...]]  # departments, agents
CHOICE_TTL = timedelta(minutes=5)
MEMORY = 512  # readings remembered per message id, for retries

_NUMBER = re.compile(r"\s*(?:#|no\.?|nr\.?|number|option|choice)?\s*([1-9])\s*[.)!]?\s*", re.IGNORECASE)
_ORDINALS = {"one": 1, "two": 2, "three": 3, "first": 1, "second": 2, "third": 3, "the first": 1, "the second": 2}
_ORDINALS |= {"the third": 3, "the first one": 1, "the second one": 2, "the third one": 3}
# Words that make a text starting with a command word read as a question rather than as arguments.
_QUESTION_WORDS = word_set(
    "who what which how why when where me my our us we you please show tell give most least fastest slowest "
    "best worst top of as with did does do was were is are the a an to for from in on by per s"
)


class Addressed(Enum):
    """How a message reached the bot, which decides whether it may be read as a plain question."""

    PREFIX = "prefix"  # `!overview ...`: always exact
    MENTION = "mention"  # `@bot ...`: a command or a plain question
    DIRECT = "direct"  # plain text in a direct message: a command or a plain question
    CHOICE = "choice"  # a bare number in a channel, answering the bot's numbered question


@dataclass(frozen=True)
class Question:
    text: str  # without prefix or mention
    addressed: Addressed | None  # None: not known (resumed from a journal row older than state schema 4)
    room_id: str
    asker: str
    message_id: str


@dataclass(frozen=True)
class Exact:
    text: str  # run as typed, nothing added


@dataclass(frozen=True)
class Reading:
    command: str  # run, with "I read this as" on top


@dataclass(frozen=True)
class Said:
    text: str  # the whole reply: a question back, or what the bot can answer
    choices: tuple[str, ...] = ()  # the commands a number picks


Interpretation = Exact | Reading | Said


@dataclass(frozen=True)
class _Pending:
    choices: tuple[str, ...]
    asked_at: datetime


def choice_number(text: str) -> int | None:
    """1 for "1", "1)", "#1", "option 1", "the first one"; None for anything else."""
    match = _NUMBER.fullmatch(text)
    if match:
        return int(match.group(1))
    return _ORDINALS.get(" ".join(text.lower().strip(" .!)").split()))


class Reader:
    def __init__(
        self,
        router: Router,
        settings: Settings,
        names: Callable[[], Awaitable[Names]],
        *,
        clock: Callable[[], datetime],
        may_view: Callable[[str], Awaitable[bool]] | None = None,
        refusal: str = "Sorry, you may not see Omnichannel analytics.",
        ttl: timedelta = CHOICE_TTL,
    ) -> None:
        self.router = router
        self.settings = settings
        self.names = names
        self.clock = clock
        self.may_view = may_view
        self.refusal = refusal
        self.ttl = ttl
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._read: OrderedDict[str, Interpretation] = OrderedDict()
        self._words = {n.lower() for spec in router.specs.values() for n in (spec.name, *spec.aliases)}

    # --- for the pipeline: is this bare number an answer the bot is waiting for? ---------------------

    def answers_choice(self, room_id: str, asker: str, text: str) -> bool:
        pending = self._open(room_id, asker)
        number = choice_number(text)
        return pending is not None and number is not None and 1 <= number <= len(pending.choices)

    # --- answering -----------------------------------------------------------------------------------

    async def answer(self, question: Question, run: Run) -> Reply:
        interpretation = await self.interpret(question)
        if isinstance(interpretation, Exact):
            return await run(interpretation.text)
        if isinstance(interpretation, Reading):
            reply = await run(interpretation.command)
            line = read_as(self.router.prefix, interpretation.command)
            return Reply(f"{line}\n{reply.text}", pictures=reply.pictures, data=reply.data)
        return Reply(interpretation.text)

    async def interpret(self, question: Question) -> Interpretation:
        """What to do with one message; the same answer again for the same message id."""
        known = self._read.get(question.message_id)
        if known is not None:
            return known
        found = await self._interpret(question)
        key = (question.room_id, question.asker)
        if isinstance(found, Said) and found.choices:
            self._pending[key] = _Pending(found.choices, self.clock())
        self._read[question.message_id] = found
        while len(self._read) > MEMORY:
            self._read.popitem(last=False)
        return found

    async def _interpret(self, question: Question) -> Interpretation:
        text, key = question.text.strip(), (question.room_id, question.asker)
        number = choice_number(text)
        pending = self._open(*key)
        if number is not None and (pending is not None or question.addressed is Addressed.CHOICE):
            return self._take(key, pending, number)
        self._pending.pop(key, None)  # anything else from the asker closes their open question
        if question.addressed is Addressed.PREFIX:
            return Exact(text)
        first = text.split(maxsplit=1)[0].lower() if text else ""
        if first in self._words and not self._question_like(text):
            return Exact(text)
        if number is not None:
            return Said("I have no open question for you to answer with a number (they expire after a few minutes).")
        if first in self._words:
            # Read only where that helps: a reading or a question back; otherwise the command's own errors.
            reading = await self._read_question(text, question.asker)
            return (
                reading
                if isinstance(reading, Reading) or (isinstance(reading, Said) and reading.choices)
                else Exact(text)
            )
        return await self._read_question(text, question.asker)

    def _question_like(self, text: str) -> bool:
        words = re.findall(r"[^\W_]+", re.sub(r"\w+=\S+", " ", text.lower()))  # options are the command's
        return text.rstrip().endswith("?") or any(w in _QUESTION_WORDS for w in words[1:])

    def _take(self, key: tuple[str, str], pending: _Pending | None, number: int) -> Interpretation:
        if pending is None:
            return Said("That question of mine has expired; please ask again.")
        if not 1 <= number <= len(pending.choices):
            numbers = ", ".join(str(n) for n in range(1, len(pending.choices))) + f" or {len(pending.choices)}"
            return Said(f"Please answer {numbers}, or ask again in other words.")
        del self._pending[key]
        return Reading(pending.choices[number - 1])

    def _open(self, room_id: str, asker: str) -> _Pending | None:
        now = self.clock()
        for stale in [k for k, p in self._pending.items() if now - p.asked_at > self.ttl]:
            del self._pending[stale]
        return self._pending.get((room_id, asker))

    async def _read_question(self, text: str, asker: str) -> Interpretation:
        prefix = self.router.prefix
        allowed = self.may_view is None or await self.may_view(asker)
        departments, agents = await self.names() if allowed else ((), ())
        outcome = understand(text, Context(self._dates(), departments, agents))
        if isinstance(outcome, Understood):
            if not allowed and outcome.command != "help":
                return Said(self.refusal)
            if not self._available(outcome.command):
                return Said(self._unavailable(outcome.command))
            return Reading(outcome.command)
        if not allowed:
            return Said(self.refusal)
        if isinstance(outcome, Ambiguous):
            missing = [c.command for c in outcome.choices if not self._available(c.command)]
            if missing:
                return Said(self._unavailable(missing[0]))
            return Said(ask_back(outcome, prefix), tuple(c.command for c in outcome.choices))
        if outcome.suggestion and not self._available(outcome.suggestion):
            outcome = replace(outcome, suggestion=None)
        if outcome.topic == "alert" and "alert" in self.router.specs:  # its conditions have a grammar of their own
            usage = self.router.usage(self.router.specs["alert"])
            return Said(f"Sorry, I cannot set alerts from a question; the command can:\n{usage}")
        return Said(cannot(outcome, prefix))

    def _available(self, command: str) -> bool:
        return command.split(maxsplit=1)[0] in self.router.specs

    def _unavailable(self, command: str) -> str:
        name = command.split(maxsplit=1)[0]
        return (
            f"That needs the {code(self.router.prefix + name)} command, which this bot does not have yet.\n"
            + what_i_answer(self.router.prefix)
        )

    def _dates(self) -> DateOptions:
        s = self.settings
        return DateOptions(self.clock(), s.timezone, s.week_start, s.date_order, s.max_days)
