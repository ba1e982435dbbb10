"""The living demo workspace: deterministic for a seed and the instants it is stepped to, however the steps are
cut; visitors arrive, wait, are taken, served and closed (some leave the queue, some go silent); agents follow
their office hours; and the real routes see it all. Clocks are injected: nothing sleeps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.sandbox import Sandbox
from bot.sandbox.data import load_document
from bot.sandbox.demo import AGENTS, BOT_TOKEN, BOT_USER_ID, demo_document
from bot.sandbox.demo_team import agent_state
from bot.sandbox.ejson import to_rest
from bot.sandbox.live import LiveWorkspace
from bot.sandbox.store import Store

NOW = datetime(2026, 11, 18, 7, 0, tzinfo=UTC)  # Wednesday 08:00 in Berlin
BERLIN = ZoneInfo("Europe/Berlin")


def world(seed: int = 42) -> tuple[Store, LiveWorkspace]:
    clock = [NOW]
    store = load_document(demo_document(now=NOW, days=2, seed=seed), clock=lambda: clock[0], seed=seed)
    return store, LiveWorkspace(store, seed=seed, start=NOW)


def snapshot(store: Store) -> str:
    collections = (store.rooms, store.messages, store.inquiries, store.visitors)
    state = [list(c.values()) for c in collections] + [store.agent_activity, list(store.users.values())]
    return json.dumps(to_rest(state), sort_keys=True, default=str)


def test_the_same_seed_and_instants_give_the_same_workspace_however_the_steps_are_cut() -> None:
    store, live = world()
    assert live.step(NOW + timedelta(hours=10)) == 600
    other, other_live = world()
    moment, end = NOW, NOW + timedelta(hours=10)
    while moment < end:
        moment = min(moment + timedelta(seconds=97), end)
        other_live.step(moment)
    assert snapshot(store) == snapshot(other)
    third, third_live = world(seed=7)
    third_live.step(NOW + timedelta(hours=10))
    assert snapshot(third) != snapshot(store)


def test_a_working_day_brings_chats_through_the_queue_to_their_close() -> None:
    store, live = world()
    live.step(NOW + timedelta(hours=12))  # 08:00-20:00 in Berlin
    new = [r for r in store.livechat_rooms() if r["ts"] >= NOW]
    closed = [r for r in new if "closedAt" in r]
    assert len(new) >= 20
    assert all("open" not in r and r["metrics"]["chatDuration"] > 0 for r in closed)
    served = [r for r in closed if "servedBy" in r]
    assert served and all(r["metrics"]["response"]["ft"] > 0 and "responseBy" in r for r in served)
    assert any(r["closer"] == "visitor" and "servedBy" not in r for r in closed)  # left the queue
    assert any(r["metrics"].get("visitorInactivity", 0) >= 3600 for r in served)  # abandoned, as RC counts it
    assert not any(i["rid"] == r["_id"] for r in closed for i in store.inquiries.values())


def test_agents_follow_their_office_hours_and_activity_splits_at_midnight() -> None:
    """At 12:50 in Berlin each agent is as the team schedule says (the minute played last is 12:49); after
    midnight UTC no session of the 18th is still open (the 00:00 job split them)."""
    store, live = world()
    lunch = datetime(2026, 11, 18, 12, 50, tzinfo=BERLIN)
    live.step(lunch)
    played = lunch - timedelta(minutes=1)
    expected = {name: agent_state(42, index, played, BERLIN) for index, (name, *_) in enumerate(AGENTS)}
    actual = {name: (store.user_by_username(name) or {}).get("status") for name, *_ in AGENTS}
    assert actual == {name: status for name, (status, _) in expected.items()}
    assert "away" in actual.values()
    live.step(datetime(2026, 11, 19, 0, 5, tzinfo=UTC))
    assert not [a for a in store.agent_activity if a["date"] == 20261118 and not a.get("lastStoppedAt")]


@pytest.mark.anyio
async def test_the_routes_read_the_living_workspace() -> None:
    clock = [NOW]
    store = load_document(demo_document(now=NOW, days=2), clock=lambda: clock[0], seed=42)
    live = LiveWorkspace(store, seed=42, start=NOW)
    headers = {"X-User-Id": BOT_USER_ID, "X-Auth-Token": BOT_TOKEN}
    async with Sandbox(store=store) as sb, httpx.AsyncClient(base_url=sb.url, headers=headers) as http:
        for hours in range(1, 13):
            clock[0] = NOW + timedelta(hours=hours)
            live.step(clock[0])
            queued = sum(1 for i in store.inquiries.values() if i["status"] == "queued")
            listing = (await http.get("/api/v1/livechat/inquiries.list")).json()
            assert listing["total"] == queued
            rooms = (await http.get("/api/v1/livechat/rooms", params={"open": "true", "count": 0})).json()
            served_open = [
                r for r in store.livechat_rooms() if r.get("open") and "servedBy" in r and not r.get("onHold")
            ]
            assert rooms["total"] == len(served_open)
