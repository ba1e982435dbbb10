"""The live-operations service: shared and briefly kept answers, fair comparisons, what is asked when the
server refuses something, and the Real-time Monitoring figures of a period. Against the sandbox, with the
morning of tests/analytics/live_morning.py (its docstring derives the values) and the server's requests counted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.analytics.live import (
    AVAILABLE,
    AWAY,
    BUSY,
    OFF,
    HourlyComparison,
    LiveService,
    PeriodFigures,
    QueueWait,
    Unavailable,
    bucket,
    day_bounds,
    live_for,
    queue_wait,
)
from bot.analytics.service import AnalyticsService
from bot.analytics.sharing import CoalescingSource
from bot.dates.grammar import parse_range
from bot.rocketchat.live import AgentRecord, LiveRoom
from bot.rocketchat.rest import RestClient
from bot.sandbox import Sandbox
from tests.analytics.counting import Requests
from tests.analytics.live_morning import ZONE, Clock, the_morning, workspace
from tests.harness import bot_settings

pytestmark = pytest.mark.anyio
DASH = "livechat/analytics/dashboards/"
CHARTS = DASH + "charts-data"


class World:
    def __init__(self, sb: Sandbox, clock: Clock, live: LiveService, requests: Requests) -> None:
        self.sb, self.clock, self.live, self.requests = sb, clock, live, requests


async def world(*, morning: bool = True, **settings: Any) -> AsyncIterator[World]:
    clock = Clock()
    async with Sandbox(workspace(**settings), clock=clock) as sb:
        if morning:
            the_morning(sb, clock)
        requests = Requests(sb)
        async with RestClient(bot_settings(sb, timezone=ZONE), clock=clock) as rest:
            yield World(sb, clock, live_for(AnalyticsService(rest, clock=clock, tz=ZONE)), requests)


@pytest.fixture
async def w() -> AsyncIterator[World]:
    async for found in world():
        yield found


LIVE_ROUTES = (
    "livechat/inquiries.list",
    "livechat/users/:type",
    "livechat/rooms",
    DASH + "conversation-totalizers",
    DASH + "productivity-totalizers",
    DASH + "chats-totalizers",
)


async def test_identical_questions_share_one_request_and_answers_are_kept_five_seconds(w: World) -> None:
    first, second = await asyncio.gather(w.live.snapshot(None), w.live.snapshot(None))
    assert first == second
    # rooms: the probe, open, on hold and today's; charts-data: today (the probe's, shared) and a week ago
    assert {route: w.requests[route] for route in (*LIVE_ROUTES, CHARTS)} == {
        "livechat/inquiries.list": 2,
        "livechat/users/:type": 2,
        "livechat/rooms": 4,
        DASH + "conversation-totalizers": 1,
        DASH + "productivity-totalizers": 1,
        DASH + "chats-totalizers": 1,
        CHARTS: 2,
    }
    before = dict(w.requests.seen)
    w.clock.now += timedelta(seconds=4)
    await w.live.snapshot(None)
    assert dict(w.requests.seen) == before  # within Rocket.Chat's own 5 s: nothing asked again
    w.clock.now += timedelta(seconds=2)
    again = await w.live.snapshot(None)
    asked = {route: w.requests[route] - before.get(route, 0) for route in (*LIVE_ROUTES, CHARTS)}
    assert asked == {route: 1 for route in LIVE_ROUTES} | {"livechat/rooms": 3, CHARTS: 0}
    assert again.as_of == w.clock.now  # the figures shown were read now


async def test_the_bot_never_sends_what_rocket_chat_9_removes(w: World) -> None:
    await w.live.snapshot(None)
    await w.live.period(parse_range("today", now=w.clock(), tz=ZONE), None)
    assert w.requests.queries
    assert not [(route, query) for route, query in w.requests.queries if {"query", "fields"} & set(query)]


async def test_an_hour_still_running_when_the_chart_was_read_is_not_compared(w: World) -> None:
    """Today's hourly chart is kept 60 s: read at 10:59:50 and reused at 11:00:20, its 10:00 hour is the one it
    read while that hour ran, so the comparison stays at 10:00 (3 vs 2) until the chart is read again."""
    w.clock.at(10, 59, 50)
    early = await w.live.snapshot(None)
    w.clock.at(11, 0, 20)
    reused = await w.live.snapshot(None)
    w.clock.at(11, 1, 0)
    fresh = await w.live.snapshot(None)
    day = date(2026, 11, 11)
    assert [s.today.comparison for s in (early, reused, fresh) if not isinstance(s.today, Unavailable)] == [
        HourlyComparison(10, 3, 2, day),
        HourlyComparison(10, 3, 2, day),
        HourlyComparison(11, 4, 3, day),
    ]


async def test_what_the_account_may_not_read_is_not_asked_and_says_why() -> None:
    async for w in world(Sandbox_Permissions={"view-livechat-rooms": ["admin"]}):
        snapshot = await w.live.snapshot(None)
        assert w.requests["livechat/rooms"] == 1  # the probe only
        why = "my account lacks `view-livechat-rooms`"
        assert snapshot.chats == Unavailable(why)
        assert not isinstance(snapshot.today, Unavailable) and snapshot.today.queue_wait == Unavailable(why)
        assert not isinstance(snapshot.agents, Unavailable) and not isinstance(snapshot.agents.names, Unavailable)
        assert {line.username: line.chats for line in snapshot.agents.names} == dict.fromkeys(
            ("ann", "bob", "jane", "john")
        )


async def test_the_probe_names_edition_version_and_what_is_missing() -> None:
    async for w in world(morning=False, Sandbox_Version="8.8.0"):
        found = await w.live.probe()
        assert (str(found.version), found.edition, found.missing) == ("8.8", "Community", {})
        assert found.edition_why == "livechat/business-hours, an Enterprise route, does not exist here"


def activity(sb: Sandbox) -> None:
    """Jane was available 2 h on 18 Nov and 1 h on 17 Nov (agent-activity days are the server's)."""
    for day, seconds in ((17, 3600), (18, 7200)):
        started = datetime(2026, 11, day, 6, tzinfo=UTC)
        sb.store.agent_activity.append(
            {
                "agentId": "u-jane",
                "date": 20261100 + day,
                "availableTime": seconds,
                "lastStartedAt": started,
                "lastStoppedAt": started + timedelta(seconds=seconds),
            }
        )


async def test_a_period_has_the_real_time_monitoring_figures(w: World) -> None:
    """Today: 6 chats, 1 abandoned; one closed chat (r3, 70 min); the longest first response r2's 240 s;
    service time per department Sales ceil((60 + 30) / 2) = 45, Support 60 -> 52.5, shown "00:00:53";
    queue wait (60 + 180 + 30 + 120) / 4 = 97.5 s, longest 180 s; jane available 2 h."""
    activity(w.sb)
    figures = await w.live.period(parse_range("today", now=w.clock(), tz=ZONE), None)
    assert isinstance(figures, PeriodFigures)
    assert (figures.conversations, figures.abandoned, round(figures.abandoned_share or 0, 2)) == (6, 1, 16.67)
    assert (figures.chat_duration, figures.longest_chat, figures.longest_first_response) == (4200, 4200, 240)
    assert (figures.service_time, figures.queue_wait, figures.available_time) == (53, QueueWait(4, 97.5, 180), 7200)
    assert figures.lines() == [
        "• Queue wait: avg 1m 38s, longest 3m 00s (4 chats taken)",
        "• Abandoned (visitor silent past the inactivity timeout): 1 of 6 (17%)",
        f"• Visitors active: {figures.visitors}",
        "• Chat duration, closed chats: avg 1h 10m, longest 1h 10m",
        "• Longest first response: 4m 00s",
        "• Agents: available for chats 2h 00m on average · service time 53s (taken → last agent reply)",
    ]


async def test_available_time_is_asked_at_local_noon_so_a_server_in_another_zone_reads_the_same_day() -> None:
    """The route reads the day of `start` in the *server's* zone: Berlin midnight is 17 Nov 23:00 in UTC."""
    async for w in world(Sandbox_Server_Timezone="UTC"):
        activity(w.sb)
        figures = await w.live.period(parse_range("today", now=w.clock(), tz=ZONE), None)
        assert isinstance(figures, PeriodFigures) and figures.available_time == 7200


async def test_a_week_has_no_available_time_the_server_gives_per_day_only(w: World) -> None:
    figures = await w.live.period(parse_range("last week", now=w.clock(), tz=ZONE), None)
    assert isinstance(figures, PeriodFigures)
    assert (figures.conversations, figures.available_time, figures.queue_wait) == (5, None, QueueWait(5, 0.0, 0.0))
    assert not any(line.startswith("• Agents") for line in figures.lines())


def agent(status: str | None, service: str | None) -> AgentRecord:
    return AgentRecord("u", "x", None, status, service, ())


@pytest.mark.parametrize(
    ("status", "service", "expected"),
    [
        ("online", "available", AVAILABLE),
        ("away", "available", AWAY),
        ("busy", "available", BUSY),
        ("offline", "available", OFF),
        ("online", "not-available", OFF),
        ("online", None, OFF),  # never switched on: Rocket.Chat's count leaves it out, routing too
        (None, "available", OFF),
    ],
)
def test_agent_buckets(status: str | None, service: str | None, expected: str) -> None:
    assert bucket(agent(status, service)) == expected


def test_queue_wait_counts_from_queued_else_opened_to_taken() -> None:
    t0 = datetime(2026, 11, 18, 9, tzinfo=UTC)

    def room(taken: int | None, queued: int | None = None) -> LiveRoom:
        when = None if taken is None else t0 + timedelta(seconds=taken)
        return LiveRoom(
            "r", t0, None, None, None, when, None if queued is None else t0 + timedelta(seconds=queued), False
        )

    assert queue_wait([room(30), room(90, queued=60), room(None), room(10, queued=20)]) == QueueWait(3, 20, 30)
    assert queue_wait([room(None)]) == QueueWait(0, None, None)


def test_a_day_with_a_clock_change_is_bounded_by_its_own_offsets() -> None:
    start, end = day_bounds(date(2026, 3, 29), ZoneInfo("Europe/Berlin"))
    assert (start.isoformat(), end.isoformat(timespec="milliseconds")) == (
        "2026-03-29T00:00:00+01:00",
        "2026-03-29T23:59:59.999+02:00",
    )


async def test_one_live_service_per_analytics_service_over_a_rest_client(w: World) -> None:
    assert live_for(w.live.analytics) is w.live

    class NotRest:
        async def overview(self, *args: Any) -> Any: ...

    with pytest.raises(TypeError, match="live figures need a REST client"):
        live_for(AnalyticsService(CoalescingSource(NotRest())))  # type: ignore[arg-type]
