"""Shared fixtures: async tests run on asyncio through anyio's pytest plugin (installed with httpx); the bot's
end-to-end tests get a sandbox on port 0 with a clock the test can move."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.sandbox import Sandbox
from tests.analytics_data import analytics_workspace
from tests.harness import ShiftedClock
from tests.sandbox.workspace import small_workspace


@pytest.fixture
def server_clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def sb(server_clock: ShiftedClock, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    """A sandbox with the REST rate limiter off (the tests post many messages as people): the small workspace,
    or the known analytics data for modules marked `@pytest.mark.workspace("analytics")`."""
    marker = request.node.get_closest_marker("workspace")
    kind = marker.args[0] if marker else "small"
    documents = {"small": lambda: small_workspace(API_Enable_Rate_Limiter=False), "analytics": analytics_workspace}
    async with Sandbox(documents[kind](), clock=server_clock) as sandbox:
        yield sandbox


@pytest.fixture
async def http(sb: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sb.url) as client:
        yield client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
