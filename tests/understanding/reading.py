"""A Reader over a router whose commands only say what they were given, so a test reads what ran.

Every command of the running bot is registered (including `!now` and `!export`), each answering
`ran NAME ARGS`; `run` executes text as the dispatcher would (resolve, then the handler; a mistake in it is
the reply), and records what ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count

from bot.commands.router import Invocation, Reply, Router
from bot.config import Settings
from bot.errors import UserInputError
from bot.understanding.names import Agent
from bot.understanding.reader import Addressed, Question, Reader

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
DEPARTMENTS = ("Sales", "Support", "Billing", "Customer Success")
AGENTS = (Agent("jane", "Jane Doe"), Agent("john", "John Smith"))
COMMANDS = ("overview", "chart", "agents", "departments", "digest", "help", "now", "export")
ALIASES = {"overview": ("ov", "stats"), "chart": ("graph",), "agents": ("agent",), "help": ("?",), "now": ("live",)}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def recording_router(commands: tuple[str, ...] = COMMANDS) -> Router:
    router = Router(prefix="!")
    for name in commands:

        async def handler(invocation: Invocation) -> Reply:
            return Reply(f"ran {invocation.name} {invocation.args}".strip())

        router.command(name, summary=name, usage=f"{name} ARGS", aliases=ALIASES.get(name, ()))(handler)
    return router


class Bench:
    """A reader, what ran through it, and how many times the names were looked up."""

    def __init__(
        self,
        *,
        commands: tuple[str, ...] = COMMANDS,
        allowed: bool = True,
        departments: tuple[str, ...] = DEPARTMENTS,
        agents: tuple[Agent, ...] = AGENTS,
    ) -> None:
        self.clock = Clock()
        self.router = recording_router(commands)
        self.ran: list[str] = []
        self.lookups = 0
        self.allowed = allowed
        self.departments, self.agents = departments, agents
        self._ids: Iterator[int] = count(1)
        self.reader = Reader(
            self.router,
            Settings(url="http://127.0.0.1", timezone="Europe/Berlin"),
            self._names,
            clock=self.clock,
            may_view=self._may_view,
            refusal="REFUSED",
        )

    async def _names(self) -> tuple[tuple[str, ...], tuple[Agent, ...]]:
        self.lookups += 1
        return self.departments, self.agents

    async def _may_view(self, asker: str) -> bool:
        return self.allowed

    async def run(self, text: str) -> Reply:
        """As the dispatcher runs a command: a mistake in it is the reply."""
        try:
            spec, args = self.router.resolve(text)
        except UserInputError as exc:
            return Reply(str(exc))
        self.ran.append(f"{spec.name} {args}".strip())
        return await spec.handler(Invocation(spec.name, args, "maria", "r-1", self.clock(), None))

    async def say(
        self,
        text: str,
        addressed: Addressed | None = Addressed.DIRECT,
        *,
        room: str = "r-1",
        asker: str = "maria",
        message_id: str | None = None,
    ) -> str:
        question = Question(text, addressed, room, asker, message_id or f"m-{next(self._ids)}")
        return (await self.reader.answer(question, self.run)).text
