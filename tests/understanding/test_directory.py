"""The names a question may use, read from Rocket.Chat: agents kept a few minutes, and never a reason to fail."""

from __future__ import annotations

import pytest

from bot.errors import Forbidden
from bot.understanding.directory import Directory
from bot.understanding.names import Agent
from tests.understanding.reading import Clock

pytestmark = pytest.mark.anyio


async def test_agents_are_read_once_a_few_minutes_and_a_refusal_leaves_the_last_list() -> None:
    clock, calls = Clock(), []
    refuse = False

    async def departments() -> list[str]:
        return ["Sales"]

    async def agents() -> list[Agent]:
        calls.append(clock())
        if refuse:
            raise Forbidden("no")
        return [Agent("jane", "Jane Doe")]

    directory = Directory(departments, agents, clock=clock)
    assert await directory() == (("Sales",), (Agent("jane", "Jane Doe"),))
    clock.move(minutes=4)
    await directory()
    assert len(calls) == 1
    clock.move(minutes=2)
    refuse = True
    assert await directory() == (("Sales",), (Agent("jane", "Jane Doe"),))
    assert len(calls) == 2


async def test_without_an_agent_source_questions_are_read_with_departments_only() -> None:
    async def departments() -> list[str]:
        return ["Sales", "Support"]

    assert await Directory(departments, clock=Clock())() == (("Sales", "Support"), ())
