"""Count the requests a sandbox handles, on the server side, by route (what Rocket.Chat would have computed)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from bot.sandbox import Sandbox
from bot.sandbox.api import Ctx, Handler, Route


class Requests:
    """Wraps every route handler of `sb`: `requests["livechat/analytics/overview"]` is how many reached it.

    With `gate` set, each request waits on it before it is handled (after it is counted), so a test can hold
    the first request of a burst and see that the others joined it instead of making their own."""

    def __init__(self, sb: Sandbox) -> None:
        self.seen: Counter[str] = Counter()
        self.queries: list[tuple[str, dict[str, Any]]] = []
        self.gate: asyncio.Event | None = None
        self._arrived = asyncio.Condition()
        for route in sb.api.routes:
            route.handler = self._counting(route, route.handler)

    def __getitem__(self, path: str) -> int:
        return self.seen[path]

    def _counting(self, route: Route, handler: Handler) -> Handler:
        async def counted(ctx: Ctx) -> Any:
            self.seen[route.path] += 1
            self.queries.append((route.path, dict(ctx.query)))
            async with self._arrived:
                self._arrived.notify_all()
            if self.gate is not None:
                await self.gate.wait()
            return await handler(ctx)

        return counted

    async def reached(self, path: str, count: int = 1) -> None:
        """Wait (on events) until `count` requests have reached `path`."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: self.seen[path] >= count), 10)
