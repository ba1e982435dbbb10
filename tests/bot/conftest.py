"""Fixtures for the bot's end-to-end tests: a sandbox on port 0 with a clock the test can move."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.sandbox import Sandbox
from tests.sandbox.workspace import small_workspace

from .harness import ShiftedClock


@pytest.fixture
def server_clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def sb(server_clock: ShiftedClock) -> AsyncIterator[Sandbox]:
    """The small workspace with the REST rate limiter off (the tests post many messages as people)."""
    async with Sandbox(small_workspace(API_Enable_Rate_Limiter=False), clock=server_clock) as sandbox:
        yield sandbox


@pytest.fixture
async def http(sb: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sb.url) as client:
        yield client
