"""Alerts against the sandbox with one injected clock: what the managers' room shows through spikes, sustained
breaches, flapping, restarts, lost answers, business hours, and how often the server is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.alerts.core import Condition
from bot.rocketchat.ids import reply_id
from tests.alerts.world import World, alerts_world

pytestmark = pytest.mark.anyio
QUEUE_OVER_1_FOR_2M = Condition("queue", 1, pending=120, department="Sales")


async def minute(world: World, h: int, m: int, s: int = 0, *, interval: float = 30) -> list[tuple[int, str]]:
    """A pass at h:m:s Berlin time by a new runner (as after a restart) checking every `interval` seconds."""
    world.clock.at(h, m, s)
    return await world.runner(interval).tick()


async def test_a_spike_shorter_than_the_pending_duration_posts_nothing(tmp_path: Path) -> None:
    async with alerts_world(tmp_path) as world:
        world.add(QUEUE_OVER_1_FOR_2M)
        first, second = world.sb.enqueue(department="Sales"), world.sb.enqueue(department="Sales")
        await minute(world, 9, 1)
        await minute(world, 9, 2)
        world.sb.take(first, "jane")
        await minute(world, 9, 3)
        await minute(world, 9, 4)
        world.sb.take(second, "jane")
        assert world.posted() == []


async def test_a_sustained_breach_is_one_message_edited_then_resolved_in_its_thread(tmp_path: Path) -> None:
    async with alerts_world(tmp_path) as world:
        alert = world.add(QUEUE_OVER_1_FOR_2M, notify=("maria",))
        rooms = [world.sb.enqueue(department="Sales") for _ in range(2)]
        assert await minute(world, 9, 1) == []
        assert await minute(world, 9, 2) == []
        assert await minute(world, 9, 3) == [(alert.id, "open")]
        (message,) = world.posted()
        assert message["msg"].splitlines() == [
            f":rotating_light: *Alert {alert.id}* · queue > 1 for 2m 00s · department `Sales`",
            "*Queue* 2 (threshold 1) · since 09:01, 2m 00s so far",
            "Longest-waiting visitor 3m 00s · agents available: `jane`",
            "cc @maria",
        ]
        rooms.append(world.sb.enqueue(department="Sales"))
        assert await minute(world, 9, 5) == [(alert.id, "update")]
        assert await minute(world, 9, 5, 20) == []  # nothing changed to the minute: no edit
        (message,) = world.posted()
        assert message["msg"].splitlines()[1] == "*Queue* 3 (threshold 1) · since 09:01, 4m 00s so far"
        assert message["_id"] == reply_id(f"alert/{alert.id}/{message_start(world, alert.id)}")
        await minute(world, 9, 6)
        await minute(world, 9, 7)
        await minute(world, 9, 8)
        for rid in rooms:
            world.sb.take(rid, "jane")
        assert await minute(world, 9, 9) == [(alert.id, "resolve")]
        original, reply = world.posted()
        assert original["msg"].splitlines() == [
            f":white_check_mark: *Resolved* · *Alert {alert.id}* · queue > 1 for 2m 00s · department `Sales`",
            "*Queue* peaked at 3 · from 09:01 to 09:09 (8m 00s)",
        ]
        assert reply["tmid"] == original["_id"]
        assert reply["msg"] == "Resolved at 09:09 after 8m 00s: queue 0, at or below the recovery level 0."


def message_start(world: World, alert_id: int) -> str:
    (incident,) = world.state.incidents(alert_id)
    return incident.started_at.isoformat()


async def test_flapping_within_the_hysteresis_band_posts_nothing_new(tmp_path: Path) -> None:
    async with alerts_world(tmp_path) as world:
        alert = world.add(Condition("queue", 2, pending=60, department="Sales"))
        rooms = [world.sb.enqueue(department="Sales") for _ in range(3)]
        await minute(world, 9, 1)
        await minute(world, 9, 2)
        for m in range(3, 13):  # 3 → 2 → 3 → 2 ...: around the threshold, above the recovery level (1)
            if m % 2:
                rooms.append(world.sb.enqueue(department="Sales"))
            else:
                world.sb.take(rooms.pop(0), "jane")
            await minute(world, 9, m)
        assert len(world.posted()) == 1
        assert len(world.state.incidents(alert.id)) == 1


async def test_restarts_and_lost_answers_during_an_incident_leave_one_message_and_one_resolution(
    tmp_path: Path,
) -> None:
    async with alerts_world(tmp_path) as world:
        alert = world.add(QUEUE_OVER_1_FOR_2M)
        rooms = [world.sb.enqueue(department="Sales") for _ in range(2)]
        await minute(world, 9, 1)
        world.poster.lose_after = 1  # the incident message is posted, but the bot never hears back
        assert await minute(world, 9, 3) == [(alert.id, "failed")]
        for restart in range(20):  # each pass a new runner on the same state file
            if restart % 5 == 2:
                world.poster.refuse = 1  # the connection drops during a pass
            await minute(world, 9, 4 + restart // 4, (restart % 4) * 15)
        assert len(world.posted()) == 1
        for rid in rooms:
            world.sb.take(rid, "jane")
        world.poster.lose_after = 1  # the resolution reply gets through; its answer does not
        await minute(world, 9, 30)
        for restart in range(5):
            await minute(world, 9, 31 + restart)
        original, reply = world.posted()
        assert original["msg"].startswith(":white_check_mark: *Resolved*")
        assert reply["tmid"] == original["_id"]
        assert [i.status for i in world.state.incidents(alert.id)] == ["resolved"]


async def test_a_bot_that_was_down_opens_once_saying_since_when_and_closes_what_cleared_meanwhile(
    tmp_path: Path,
) -> None:
    async with alerts_world(tmp_path) as world:
        alert = world.add(Condition("wait", 180, pending=60))
        await minute(world, 9, 0)
        rid = world.sb.enqueue(department="Sales")
        await minute(world, 9, 20)  # down from 10:00 to 10:20; the visitor has waited 20 minutes
        (message,) = world.posted()
        assert message["msg"].splitlines()[1] == (
            "*Longest wait in the queue* 20m 00s (threshold 3m 00s) · since 09:03, 17m 00s so far"
        )
        world.sb.take(rid, "jane")
        await minute(world, 9, 50)  # down again; the chat was taken meanwhile
        _original, reply = world.posted()
        assert reply["msg"] == (
            "Resolved at 09:50 after 47m 00s: longest wait in the queue 0s, at or below the recovery level 2m 24s. "
            "_The bot was not watching from 09:20: it may have cleared earlier._"
        )
        assert len(world.state.incidents(alert.id)) == 1


async def test_no_agent_available_honours_business_hours(tmp_path: Path) -> None:
    async with alerts_world(tmp_path) as world:
        alert = world.add(Condition("available", 1, business_hours=True))
        for name in ("jane", "john", "ann"):
            world.sb.set_agent_status(name, livechat="not-available")
        assert await minute(world, 7, 30, interval=3600) == []  # before 08:00 Berlin: nobody is paged
        assert await minute(world, 8, 0, interval=3600) == [(alert.id, "open")]
        assert world.posted()[0]["msg"].splitlines()[1] == (
            "*Agents available* 0 (needs at least 1) · since 08:00, under a minute so far"
        )
        for hour in range(9, 18):
            await minute(world, hour, 0, interval=3600)
        assert await minute(world, 18, 0, interval=3600) == [(alert.id, "resolve")]
        assert world.posted()[1]["msg"] == "Business hours ended; closing this incident at 18:00 after 10h 00m."
        assert await minute(world, 22, 0) == []
        world.clock.at(9, 0, day=21)  # a Saturday
        assert await world.runner().tick() == []
        assert len(world.posted()) == 2


async def test_fifty_alerts_on_one_figure_make_one_request_per_interval(tmp_path: Path) -> None:
    async with alerts_world(tmp_path) as world:
        for threshold in range(50):
            world.add(Condition("queue", threshold + 1, pending=60))
        runner = world.runner()
        await runner.tick()  # the first pass also probes what the server offers (one inquiries.list more)
        before = world.requests["livechat/inquiries.list"]
        for second in (30, 60, 90):
            world.clock.at(9, 0, second) if second < 60 else world.clock.at(9, 1, second - 60)
            await runner.tick()
        assert world.requests["livechat/inquiries.list"] - before == 3
