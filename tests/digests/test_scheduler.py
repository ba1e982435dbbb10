"""Digests against the sandbox with an injected clock: once per day, late when it must, never twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.analytics.service import AnalyticsService
from bot.analytics.sharing import CoalescingSource
from bot.config import Secret, Settings
from bot.digests.scheduler import Scheduler, digest_message_id
from bot.rocketchat.rest import RestClient
from bot.sandbox import Sandbox
from bot.state.store import State, Subscription
from tests.sandbox.workspace import BOT_PAT

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]
BERLIN = ZoneInfo("Europe/Berlin")
ROOM = "r-managers"


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


class FakeTime:
    """The scheduler's clock and sleep: sleeping moves the clock, nothing waits on the wall clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.sleeps: list[float] = []
        self._moved = asyncio.Condition()

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)
        async with self._moved:
            self._moved.notify_all()

    async def reached(self, when: datetime) -> None:
        """Wait (on events, not time) until the sleeping loop has moved the clock to `when`."""
        async with self._moved:
            await asyncio.wait_for(self._moved.wait_for(lambda: self.now >= when), 10)


@pytest.fixture
async def rest(sb: Sandbox) -> AsyncIterator[RestClient]:
    async with RestClient(Settings(url=sb.url, user_id="u-bot", auth_token=Secret(BOT_PAT))) as client:
        await client.login()
        yield client


def subscription(created: datetime, **changes: Any) -> Subscription:
    base = Subscription(
        id=0,
        name=None,
        source="chat",
        room_id=ROOM,
        room_name=None,
        at=time(9, 0),
        tz="Europe/Berlin",
        weekdays=frozenset(range(7)),
        created_by="maria",
        created_at=created,
        checked_until=created,
    )
    return replace(base, **changes)


def scheduler(path: Path, rest: RestClient, clock: FakeTime, **options: Any) -> Scheduler:
    source = CoalescingSource(rest, sleep=clock.sleep)
    return Scheduler(
        State(path), AnalyticsService(source, clock=clock), rest, clock=clock, sleep=clock.sleep, **options
    )


def posted(sb: Sandbox) -> list[dict[str, Any]]:
    return [m for m in sb.store.messages.values() if m["u"]["_id"] == "u-bot" and "*Daily digest*" in m["msg"]]


async def test_posts_on_time_with_the_figures(sb: Sandbox, rest: RestClient, tmp_path: Path) -> None:
    clock = FakeTime(berlin(2024, 3, 6, 8, 0))
    s = scheduler(tmp_path / "state.db", rest, clock)
    sub = s.state.add(subscription(clock.now))
    assert await s.tick() == []
    clock.now = berlin(2024, 3, 6, 9, 0)
    [outcome] = await s.tick()
    assert (outcome.status, outcome.local_date.isoformat()) == ("posted", "2024-03-06")
    [message] = posted(sb)
    assert message["_id"] == digest_message_id(sub.id, outcome.local_date)
    lines = message["msg"].splitlines()
    assert lines[0] == "*Daily digest* · yesterday: Tue 5 Mar 2024, Europe/Berlin"
    assert (
        lines[1] == "*Conversations* 2 (▲ 100% vs Mon 4 Mar · new vs Tue 27 Feb) — 8 messages, busiest hour 2PM - 3PM"
    )
    assert lines[2] == "*Productivity*"
    assert lines[3].startswith("• First response 1m 00s: ▼ 50% (better) vs Mon 4 Mar")
    assert "*Busiest department* `Sales` (1)" in lines  # tied with Support: the first, as Rocket.Chat breaks ties
    assert "*First response* fastest: `jane` 30s, `john` 1m 30s · slowest: `john` 1m 30s, `jane` 30s" in lines
    assert any(line.startswith("*Last 7 days* `") for line in lines)
    assert "Late" not in message["msg"]


async def test_a_restart_just_after_posting_does_not_post_again(sb: Sandbox, rest: RestClient, tmp_path: Path) -> None:
    clock = FakeTime(berlin(2024, 3, 6, 8, 0))
    first = scheduler(tmp_path / "state.db", rest, clock)
    first.state.add(subscription(clock.now))
    clock.now = berlin(2024, 3, 6, 9, 0)
    await first.tick()
    first.state.close()
    clock.now = berlin(2024, 3, 6, 9, 0, 30)  # the bot restarts at 09:00:30
    second = scheduler(tmp_path / "state.db", rest, clock)
    assert [o.status for o in await second.tick()] == []
    assert len(posted(sb)) == 1


async def test_downtime_inside_the_grace_window_gives_one_late_post(
    sb: Sandbox, rest: RestClient, tmp_path: Path
) -> None:
    clock = FakeTime(berlin(2024, 3, 6, 8, 50))
    s = scheduler(tmp_path / "state.db", rest, clock)
    s.state.add(subscription(clock.now))
    clock.now = berlin(2024, 3, 6, 9, 20)  # down from 08:50 to 09:20
    assert [o.status for o in await s.tick()] == ["late"]
    assert [o.status for o in await s.tick()] == []
    [message] = posted(sb)
    assert message["msg"].splitlines()[1] == (
        "⏰ Late: scheduled for 09:00, posted at 09:20 — the bot was unavailable at the scheduled time."
    )


async def test_downtime_past_the_grace_window_is_noted_in_the_next_digest(
    sb: Sandbox, rest: RestClient, tmp_path: Path
) -> None:
    clock = FakeTime(berlin(2024, 3, 5, 8, 0))
    s = scheduler(tmp_path / "state.db", rest, clock)
    s.state.add(subscription(clock.now))
    clock.now = berlin(2024, 3, 5, 11, 30)  # back after the 2 h window
    assert [o.status for o in await s.tick()] == ["missed"]
    assert posted(sb) == []
    clock.now = berlin(2024, 3, 6, 9, 0)
    assert [o.status for o in await s.tick()] == ["posted"]
    [message] = posted(sb)
    assert message["msg"].endswith(
        "Note: the digest of Tue 5 Mar was not posted — the bot was unavailable past the grace window."
    )
    clock.now = berlin(2024, 3, 7, 9, 0)
    await s.tick()
    assert "Note:" not in posted(sb)[-1]["msg"]  # said once


async def test_a_crash_between_recording_and_posting_is_reconciled(
    sb: Sandbox, rest: RestClient, tmp_path: Path
) -> None:
    clock = FakeTime(berlin(2024, 3, 6, 8, 0))
    s = scheduler(tmp_path / "state.db", rest, clock)
    sub = s.state.add(subscription(clock.now))
    day = berlin(2024, 3, 6).date()
    occurrence = berlin(2024, 3, 6, 9, 0)
    # Crash 1: recorded, never posted; back within the window -> posted once, late.
    s.state.begin_run(sub.id, day, occurrence, digest_message_id(sub.id, day), late=False, now=occurrence)
    clock.now = berlin(2024, 3, 6, 9, 5)
    assert [o.status for o in await s.tick()] == ["late"]
    assert len(posted(sb)) == 1
    # Crash 2: posted, but the acknowledgement was never recorded; back past the window -> reconciled, not missed.
    next_day = berlin(2024, 3, 7).date()
    message_id = digest_message_id(sub.id, next_day)
    s.state.begin_run(sub.id, next_day, berlin(2024, 3, 7, 9, 0), message_id, late=False, now=clock.now)
    await rest.send_message(ROOM, "*Daily digest* (posted before the crash)", msg_id=message_id)
    clock.now = berlin(2024, 3, 7, 12, 0)
    assert [o.status for o in await s.tick()] == ["reconciled"]
    assert s.state.run(sub.id, next_day).status == "posted"  # type: ignore[union-attr]
    assert s.state.unnoted_missed(sub.id) == []


async def test_fifty_digests_in_one_minute_against_a_rate_limiting_server(
    sb: Sandbox, rest: RestClient, tmp_path: Path
) -> None:
    clock = FakeTime(berlin(2024, 3, 6, 8, 0))
    s = scheduler(tmp_path / "state.db", rest, clock)
    subs = [s.state.add(subscription(clock.now, departments=("Sales",) if i % 2 else ())) for i in range(50)]
    sb.fault("livechat/analytics/overview", status=429, times=6, retry_after_ms=2000)
    sb.fault("chat.sendMessage", status=429, times=3, retry_after_ms=1000)
    clock.now = berlin(2024, 3, 6, 9, 0)
    outcomes = await s.tick()
    assert sorted(o.subscription_id for o in outcomes if o.status in ("posted", "late")) == [x.id for x in subs]
    ids = [m["_id"] for m in posted(sb)]
    assert len(ids) == 50 and len(set(ids)) == 50
    assert 2.0 in clock.sleeps  # waited as long as the 429 said
    source = s.service.source
    assert isinstance(source, CoalescingSource)
    assert source.upstream_calls < 100  # shared: far fewer calls than 50 digests x 15 questions
    assert await s.tick() == []


async def test_the_loop_sleeps_in_bounded_steps_and_survives_a_clock_jump(
    sb: Sandbox, rest: RestClient, tmp_path: Path
) -> None:
    clock = FakeTime(berlin(2024, 3, 5, 23, 0))
    outcomes: list[str] = []
    s = scheduler(tmp_path / "state.db", rest, clock, on_pass=lambda o: outcomes.extend(x.status for x in o))
    s.state.add(subscription(clock.now))
    task = asyncio.create_task(s.run())
    await clock.reached(berlin(2024, 3, 6, 9, 30))
    clock.now += timedelta(hours=-1)  # the wall clock is set back an hour: 09:00 must not fire again
    await clock.reached(berlin(2024, 3, 6, 10, 30))
    s.stop()
    await asyncio.wait_for(task, 5)
    assert outcomes == ["posted"]
    assert max(clock.sleeps) <= 60
    assert len(posted(sb)) == 1
