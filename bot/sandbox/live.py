"""A living demo workspace: visitors arrive, wait, are taken, served and closed; agents come and go.

`LiveWorkspace(store, seed=...).step(to)` advances the simulation to the instant `to`, one whole minute at a
time, and is deterministic: every random draw comes from `random.Random` seeded with the seed and the minute
(or the chat) it is about, so the same seed and the same instants give the same workspace however the steps
are cut (a minute is played once the clock has passed its end). `run()` steps it from the store's clock in
the background for `python -m bot sandbox --demo --live`.

Each minute, in order:
1. at 00:00 of the server's day, open agent-activity sessions are split (`LivechatAgentActivityMonitor`);
2. agents follow the demo team's schedule (demo_team.agent_state): online on shift, away at lunch, busy now
   and then, offline otherwise;
3. queued visitors who have waited past their patience leave (the visitor closes; nobody served them);
4. queued chats are taken, oldest first, by the least busy available agent of their department with room for
   another chat (`livechat.maxNumberSimultaneousChat`, ties by username), once they have waited their
   routing delay;
5. new visitors arrive, as many as the demo's seasonality gives for that hour (Poisson), each with a plan:
   patience, routing delay, number of exchanges, reply delays, who closes and whether the visitor goes silent
   (an agent-closed chat with a silent visitor is "abandoned" by Rocket.Chat's measure);
6. served chats play their plans: agent replies, visitor messages, and the close.
All writes go through omnichannel.py, so the data is what Rocket.Chat would hold.
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from . import omnichannel
from .demo import (
    AGENT_LINES,
    AGENTS,
    DEMO_TIMEZONE,
    DEPARTMENT_SHARE,
    HOURLY,
    OPENINGS,
    VISITOR_LINES,
    WEEKDAY,
    WEEKDAY_CHATS,
)
from .demo_team import agent_state
from .store import Doc, Store

__all__ = ["LiveWorkspace"]

_MINUTE = timedelta(minutes=1)
_CAPACITY = 4


@dataclass
class _Plan:
    """What will happen in one chat, drawn when the visitor arrives."""

    patience: float  # seconds the visitor waits in the queue before leaving
    routing_delay: float  # seconds before an agent picks it up, at the earliest
    script: list[tuple[float, str]] = field(default_factory=list)  # (seconds after taking, "a"|"v"|"close-a"|"close-v")
    taken_at: datetime | None = None
    done: int = 0  # script steps played


def _poisson(rng: random.Random, rate: float) -> int:
    threshold, k, p = math.exp(-rate), 0, rng.random()
    while p > threshold:
        k, p = k + 1, p * rng.random()
    return k


class LiveWorkspace:
    """The simulation over a store holding the demo workspace (demo.py's agents and departments)."""

    def __init__(self, store: Store, *, seed: int, start: datetime | None = None) -> None:
        self.store = store
        self.seed = seed
        self.zone = ZoneInfo(DEMO_TIMEZONE)
        self.server_zone = ZoneInfo(str(store.settings.get("Sandbox_Server_Timezone", "UTC")))
        begin = (start or store.now()).astimezone(UTC)
        self.minute = begin.replace(second=0, microsecond=0)  # the next minute to play
        self.plans: dict[str, _Plan] = {}
        self.agents = [store.user_by_username(name) for name, *_ in AGENTS]
        self._adopt(begin)

    def _adopt(self, begin: datetime) -> None:
        """Chats already open when the simulation starts get plans too: queued ones wait like new ones, served
        ones get a reply or two and are closed within the next quarter hour (on-hold ones as well)."""
        for room in sorted(self.store.livechat_rooms(), key=lambda r: (r["ts"], r["_id"])):
            if room.get("open") is not True:
                continue
            rng = self._rng("adopt", room["_id"])
            if "servedBy" not in room:
                self.plans[room["_id"]] = self._plan(rng)
                continue
            plan = _Plan(patience=0.0, routing_delay=0.0, taken_at=begin)
            t = rng.uniform(30, 300)
            plan.script = [(t, "a"), (t + rng.uniform(60, 600), "close-a" if rng.random() < 0.8 else "close-v")]
            self.plans[room["_id"]] = plan

    def step(self, to: datetime) -> int:
        """Play every whole minute that has ended by `to`; returns how many minutes were played."""
        played = 0
        while self.minute + _MINUTE <= to:
            self._play(self.minute)
            self.minute += _MINUTE
            played += 1
        return played

    async def run(self, interval: float = 5.0) -> None:
        """Follow the store's clock until cancelled."""
        while True:
            self.step(self.store.now())
            await asyncio.sleep(interval)

    # --- one minute --------------------------------------------------------------------------------------

    def _rng(self, *parts: object) -> random.Random:
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def _play(self, minute: datetime) -> None:
        local = minute.astimezone(self.server_zone)
        if local.hour == 0 and local.minute == 0:
            omnichannel.split_activity_at_midnight(self.store, minute)
        self._agents(minute)
        self._queue(minute)
        self._arrivals(minute)
        self._conversations(minute)

    def _agents(self, minute: datetime) -> None:
        for index, agent in enumerate(self.agents):
            if agent is None:
                continue
            status, service = agent_state(self.seed, index, minute, self.zone)
            if agent.get("status") != status:
                omnichannel.set_presence(self.store, agent, status, at=minute)
            if agent.get("statusLivechat") != service:
                omnichannel.set_agent_status(self.store, agent, service, at=minute)

    def _queue(self, minute: datetime) -> None:
        queued = sorted(
            (i for i in self.store.inquiries.values() if i.get("status") == "queued"),
            key=lambda i: (i.get("queuedAt") or i["ts"], i["_id"]),
        )
        for inquiry in queued:
            rid, plan = inquiry["rid"], self.plans.get(inquiry["rid"])
            if plan is None:
                continue
            waited = (minute - (inquiry.get("queuedAt") or inquiry["ts"])).total_seconds()
            ids = self._rng("queue", rid, int(minute.timestamp()))
            if waited >= plan.patience:
                omnichannel.close(self.store, rid, at=minute, rng=ids)
                continue
            agent = self._free_agent(inquiry.get("department")) if waited >= plan.routing_delay else None
            if agent is not None:
                omnichannel.take(self.store, rid, agent, at=minute, rng=ids)
                plan.taken_at = minute

    def _free_agent(self, department: str | None) -> Doc | None:
        linked = {a["agentId"] for a in self.store.department_agents if department in (None, a["departmentId"])}
        load: dict[str, int] = {}
        for room in self.store.livechat_rooms():
            if room.get("open") is True and room.get("servedBy") and room.get("onHold") is not True:
                load[room["servedBy"]["_id"]] = load.get(room["servedBy"]["_id"], 0) + 1
        ready = [
            a
            for a in self.agents
            if a is not None
            and a["_id"] in linked
            and a.get("status") == "online"
            and a.get("statusLivechat") == "available"
            and load.get(a["_id"], 0) < _CAPACITY
        ]
        return min(ready, key=lambda a: (load.get(a["_id"], 0), a["username"]), default=None)

    def _arrivals(self, minute: datetime) -> None:
        local = minute.astimezone(self.zone)
        scale = WEEKDAY_CHATS / sum(HOURLY)
        rate = HOURLY[local.hour] * WEEKDAY[local.weekday()] * scale / 60
        rng = self._rng("arrivals", int(minute.timestamp()) // 60)
        for k in range(_poisson(rng, rate)):
            department = rng.choices(list(DEPARTMENT_SHARE), weights=list(DEPARTMENT_SHARE.values()))[0]
            at = minute + timedelta(seconds=rng.randrange(60))
            chat = self._rng("chat", int(minute.timestamp()) // 60, k)
            text = chat.choice(OPENINGS[department])
            room = omnichannel.enqueue(self.store, department_id=department, text=text, at=at, rng=chat)
            self.plans[room["_id"]] = self._plan(chat)

    def _plan(self, rng: random.Random) -> _Plan:
        plan = _Plan(
            patience=rng.uniform(120, 900) if rng.random() < 0.12 else 3600.0, routing_delay=rng.uniform(5, 90)
        )
        t = rng.uniform(10, 60)
        for _ in range(rng.randint(1, 4)):
            plan.script.append((t, "a"))
            t += rng.uniform(20, 150)
            plan.script.append((t, "v"))
            t += rng.uniform(15, 120)
        plan.script.append((t, "a"))
        silent = rng.random() < 0.1  # the visitor never answers the last reply: an abandoned chat
        t += rng.uniform(3700, 4000) if silent else rng.uniform(20, 240)
        plan.script.append((t, "close-a" if silent or rng.random() < 0.8 else "close-v"))
        return plan

    def _conversations(self, minute: datetime) -> None:
        end = minute + _MINUTE
        for rid, plan in list(self.plans.items()):
            room = self.store.rooms.get(rid)
            if room is None or room.get("open") is not True or plan.taken_at is None:
                if room is not None and room.get("open") is not True:
                    del self.plans[rid]
                continue
            while plan.done < len(plan.script):
                offset, kind = plan.script[plan.done]
                at = plan.taken_at + timedelta(seconds=offset)
                if at >= end:
                    break
                at = max(at, minute)
                plan.done += 1
                self._act(rid, room, kind, at, self._rng("line", rid, plan.done))

    def _act(self, rid: str, room: Doc, kind: str, at: datetime, rng: random.Random) -> None:
        agent = self.store.users.get(room["servedBy"]["_id"])
        if kind == "a" and agent is not None:
            omnichannel.agent_message(self.store, rid, agent, rng.choice(AGENT_LINES), at=at, rng=rng)
        elif kind == "v":
            omnichannel.visitor_message(self.store, rid, rng.choice(VISITOR_LINES), at=at, rng=rng)
        elif kind == "close-a":
            omnichannel.close(self.store, rid, by=agent, at=at, rng=rng)
        elif kind == "close-v":
            omnichannel.close(self.store, rid, at=at, rng=rng)
