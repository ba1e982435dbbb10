"""A sandbox in its own process that counts what the bot asks and stamps what it posts (benchmarks only).

The workspace is the demo one plus 100 managers `mgr-00`..`99` (livechat-manager) and 100 private groups
`burst-00`..`99`, one per manager, with the bot; the bot cannot read other users' roles (the default), so
each asker costs a `users.info` and the manager list. Commands are inserted server-side, as their managers,
in this process, and the bot's messages are stamped here when they are stored, so a latency is measured on
one clock without a subscriber in between: from just before a command is stored to its reply being stored
(the reply is the message whose `_id` is `reply_id(command _id)`, bot/rocketchat/ids.py).

Server-side counts: every request of the bot by route (wrapped handlers, so after auth and checks), the
distinct analytics questions (route + query), `chat.sendMessage` calls per message id, and every REST
request by path before any check.

It reads commands from stdin, one a line, and answers each on stdout with `result <json>`:

- `burst N LIMIT`: N commands at once (one loop iteration), kinds `KINDS` spread over the rooms; waits up to
  LIMIT seconds for every reply.
- `ask LIMIT DELAY_MS TEXT || DELAY_MS TEXT ...`: each text posted by the next manager in the next room,
  after its delay from the previous post; waits up to LIMIT seconds for every reply; latencies in ms.
- `bot-messages`: how many messages the bot has stored (replies, picture posts).

    python bench/watched_sandbox.py DATA      (DATA: a JSON workspace, see `workspace`)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import secrets
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.rocketchat.ids import ID_ALPHABET, ID_LENGTH, reply_id

HOST = "127.0.0.1"
ROOMS = 100
KINDS = (
    "!overview today",
    "!overview yesterday",
    "!overview last week",
    "!overview this month",
    "!overview conversations last 7 days",
    "!overview productivity last 30 days",
    "!agents frt last 7 days",
    "!agents conversations this month",
    "!agents response time last week",
    "!agents messages yesterday",
)
ANALYTICS = ("livechat/analytics/overview", "livechat/analytics/agent-overview", "livechat/analytics/dashboards")
ACCESS = ("users.info", "livechat/users/:type", "permissions.listAll")
BOT_USER_ID, BOT_TOKEN = "u-analytics-bot", "demo-pat-analytics-bot-5f2c9e71b04d48a6"
SCRIPT = Path(__file__).resolve()


def room_name(i: int) -> str:
    return f"burst-{i:02d}"


def manager(i: int) -> str:
    return f"mgr-{i:02d}"


def workspace(now: datetime) -> dict[str, Any]:
    from bot.sandbox import demo

    document = demo.demo_document(seed=42, now=now)
    created = (now - timedelta(days=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for i in range(ROOMS):
        document["users"].append(
            {"_id": f"u-{manager(i)}", "username": manager(i), "roles": ["livechat-manager", "user"]}
            | {"name": f"Manager {i}", "emails": [], "createdAt": created, "password": "demo-pass-123"}
        )
        members = [manager(i), demo.BOT_USERNAME]
        document["rooms"].append(
            {"_id": room_name(i), "t": "p", "name": room_name(i), "ts": created, "members": members}
        )
    # Managers are not exempt from the REST limiter; the commands are inserted server-side anyway.
    document["settings"] = document.get("settings", {}) | {"API_Enable_Rate_Limiter": False}
    return document


def new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


class Watch:
    """Server-side counts of what the bot asks, and the arrival of its messages."""

    def __init__(self, sb: Any) -> None:
        from bot.sandbox.store import MessageChanged

        self.sb = sb
        self.calls: Counter[str] = Counter()  # route path -> calls by the bot
        self.questions: Counter[str] = Counter()  # analytics route + query -> calls
        self.sends: Counter[str] = Counter()  # message _id -> chat.sendMessage calls by the bot
        self.requests: Counter[str] = Counter()  # every REST request by path, anyone's, before any check
        self.stored: dict[str, float] = {}  # bot message _id -> when it was stored
        self.bot_messages = 0
        self._new = asyncio.Event()
        self._next_room = 0
        for route in sb.api.routes:
            route.handler = self._wrap(route)
        apply_faults = sb.api._apply_faults

        async def arriving(path: str) -> None:
            self.requests[path] += 1
            await apply_faults(path)

        sb.api._apply_faults = arriving

        def on_event(event: object) -> None:
            if isinstance(event, MessageChanged) and event.inserted and event.message["u"]["_id"] == BOT_USER_ID:
                self.bot_messages += 1
                self.stored.setdefault(event.message["_id"], time.perf_counter())
                self._new.set()

        sb.store.listen(on_event)

    def _wrap(self, route: Any) -> Any:
        handler = route.handler

        async def counted(ctx: Any) -> Any:
            if ctx.user is not None and ctx.user["_id"] == BOT_USER_ID:
                self.calls[route.path] += 1
                if route.path.startswith(ANALYTICS):
                    self.questions[route.path + "?" + json.dumps(sorted(ctx.query.items()))] += 1
                if route.path == "chat.sendMessage" and isinstance(ctx.body, dict):
                    self.sends[str((ctx.body.get("message") or {}).get("_id"))] += 1
            return await handler(ctx)

        return counted

    def post(self, i: int, text: str) -> tuple[str, float]:
        """Store `text` from manager `i` in room `i` (mod 100); (its reply's id, when it was stored)."""
        store = self.sb.store
        cid = new_id()
        stamp = time.perf_counter()
        store.send_message(
            store.user_by_username(manager(i % ROOMS)), store.rooms[room_name(i % ROOMS)], {"_id": cid, "msg": text}
        )
        return reply_id(cid), stamp

    async def replies(self, wanted: set[str], limit: float) -> None:
        """Wait until every id in `wanted` is stored, or `limit` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(limit):
                while not wanted <= self.stored.keys():
                    self._new.clear()
                    await self._new.wait()

    def reset(self) -> None:
        for counter in (self.calls, self.questions, self.sends, self.requests):
            counter.clear()
        self.bot_messages = 0

    async def burst(self, n: int, limit: float) -> dict[str, Any]:
        self.reset()
        began = time.perf_counter()
        expected = [self.post(k, KINDS[(k + k // ROOMS) % len(KINDS)])[0] for k in range(n)]  # every room, every kind
        inserted = time.perf_counter()
        await self.replies(set(expected), limit)
        times = sorted(self.stored[r] - began for r in expected if r in self.stored)
        repeats = sum(c - 1 for mid, c in self.sends.items() if mid in set(expected) and c > 1)
        analytics = {r: c for r, c in self.calls.items() if r.startswith(ANALYTICS)}
        return {
            "n": n,
            "insert_s": inserted - began,
            "replies": len(times),
            "lost": n - len(times),
            "extra": self.bot_messages - len(times),
            "repeated_sends": repeats,
            "first_s": times[0] if times else math.nan,
            "p50_s": statistics.median(times) if times else math.nan,
            "last_s": times[-1] if times else math.nan,
            "analytics_gets": sum(analytics.values()),
            "distinct_questions": len(self.questions),
            "analytics_by_route": analytics,
            "access": {r: self.calls[r] for r in ACCESS},
            "departments": self.calls["livechat/department"],
            "all_calls": dict(self.calls.most_common()),
            "all_requests": dict(self.requests.most_common(12)),
        }

    async def ask(self, limit: float, steps: list[tuple[float, str]]) -> dict[str, Any]:
        posted: list[tuple[str, float]] = []
        for delay_ms, text in steps:
            if delay_ms:
                await asyncio.sleep(delay_ms / 1000)
            posted.append(self.post(self._next_room, text))
            self._next_room += 1
        await self.replies({r for r, _ in posted}, limit)
        return {"latency_ms": [(self.stored[r] - t) * 1000 if r in self.stored else None for r, t in posted]}


async def serve(data: str) -> None:
    from bot.sandbox import Sandbox

    document = json.loads(await asyncio.to_thread(Path(data).read_text))
    async with Sandbox(document, host=HOST, port=0) as sb:
        watch = Watch(sb)
        print(f"listening on {sb.url}", flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := (await reader.readline()).decode().strip():
            command, _, rest = line.partition(" ")
            if command == "burst":
                n, limit = rest.split()
                result = await watch.burst(int(n), float(limit))
            elif command == "ask":
                limit, _, steps = rest.partition(" ")
                pairs = [step.strip().split(" ", 1) for step in steps.split("||")]
                result = await watch.ask(float(limit), [(float(d), text) for d, text in pairs])
            elif command == "bot-messages":
                result = {"bot_messages": watch.bot_messages}
            else:
                result = {"error": f"unknown command {command!r}"}
            print("result " + json.dumps(result), flush=True)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(sys.argv[1]))
