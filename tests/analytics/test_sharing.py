"""The shared analytics layer against the sandbox: one request for identical questions, answers kept no longer
than their age (an injected clock), failures never kept, rate limits waited out or reported."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest

from bot.analytics.cache import SharedCache
from bot.analytics.metrics import BY_NAME
from bot.analytics.service import AnalyticsService
from bot.analytics.sharing import Ages, CoalescingSource, Question
from bot.config import Secret, Settings
from bot.dates.grammar import parse_range
from bot.errors import RateLimited, ServerError
from bot.rocketchat.rest import RestClient
from bot.sandbox import Sandbox
from tests.analytics.counting import Requests
from tests.sandbox.workspace import BOT_PAT

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]
OVERVIEW = "livechat/analytics/overview"
CHARTS = "livechat/analytics/dashboards/charts-data"
TUESDAY = date(2024, 3, 5)  # the worked example's day: 2 conversations


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Sleeps:
    """A sleep that only records: waits cost no wall-clock time."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def rest(sb: Sandbox) -> AsyncIterator[RestClient]:
    async with RestClient(Settings(url=sb.url, user_id="u-bot", auth_token=Secret(BOT_PAT))) as client:
        await client.login()
        yield client


def question(section: str = "Conversations", day: date = TUESDAY) -> Question:
    return Question("overview", section, day, day)


async def test_identical_concurrent_questions_make_one_request(sb: Sandbox, rest: RestClient) -> None:
    requests = Requests(sb)
    requests.gate = asyncio.Event()  # hold the first request of each question until every asker has asked
    source = CoalescingSource(rest)
    asks = [source.ask(question(section)) for _ in range(50) for section in ("Conversations", "Productivity")]
    answers = asyncio.gather(*asks)
    await requests.reached(OVERVIEW, 2)
    requests.gate.set()
    reads = await answers
    assert requests[OVERVIEW] == 2
    conversations = {str(r.value) for r in reads[0::2]}
    productivity = {str(r.value) for r in reads[1::2]}
    assert len(conversations) == 1 and len(productivity) == 1 and conversations != productivity
    assert "Total_conversations" in conversations.pop()


async def test_a_kept_answer_is_not_reused_past_its_age(sb: Sandbox, rest: RestClient) -> None:
    requests = Requests(sb)
    clock = Clock(datetime(2024, 3, 5, 12, 0, tzinfo=UTC))  # Tuesday is today: an open period
    source = CoalescingSource(rest, clock=clock, ages=Ages(analytics=60, closed=600))
    first = await source.ask(question())
    assert first.at == clock.now
    clock.now += timedelta(seconds=59)
    assert (await source.ask(question())).at == first.at
    assert requests[OVERVIEW] == 1
    clock.now += timedelta(seconds=2)  # 61 s after the read
    again = await source.ask(question())
    assert requests[OVERVIEW] == 2 and again.at == clock.now


async def test_closed_periods_are_kept_longer(sb: Sandbox, rest: RestClient) -> None:
    requests = Requests(sb)
    clock = Clock(datetime(2024, 3, 6, 0, 30, tzinfo=UTC))  # Tuesday ended 30 minutes ago
    source = CoalescingSource(rest, clock=clock, ages=Ages(analytics=60, closed=600))
    assert source.closed(TUESDAY) and not source.closed(TUESDAY + timedelta(days=1))
    await source.ask(question())
    clock.now += timedelta(seconds=599)
    await source.ask(question())
    assert requests[OVERVIEW] == 1
    clock.now += timedelta(seconds=2)
    await source.ask(question())
    assert requests[OVERVIEW] == 2


async def test_closed_is_judged_in_the_reporting_time_zone(rest: RestClient) -> None:
    clock = Clock(datetime(2024, 3, 5, 23, 30, tzinfo=UTC))  # already Wednesday in Berlin, still Tuesday in UTC
    assert CoalescingSource(rest, clock=clock, tz="Europe/Berlin").closed(TUESDAY)
    assert not CoalescingSource(rest, clock=clock, tz="UTC").closed(TUESDAY)


async def test_failures_are_not_kept(sb: Sandbox, rest: RestClient) -> None:
    requests = Requests(sb)
    source = CoalescingSource(rest)
    sb.fault(OVERVIEW, status=503, times=1)
    with pytest.raises(ServerError):
        await source.ask(question())
    read = await source.ask(question())
    assert requests[OVERVIEW] == 1  # the failed one never reached the handler; the second did
    assert any(row["title"] == "Total_conversations" for row in read.value)


async def test_a_cancelled_asker_does_not_cancel_the_others(sb: Sandbox, rest: RestClient) -> None:
    requests = Requests(sb)
    requests.gate = asyncio.Event()
    source = CoalescingSource(rest)
    impatient = asyncio.ensure_future(source.ask(question()))
    patient = asyncio.ensure_future(source.ask(question()))
    await requests.reached(OVERVIEW)
    impatient.cancel()
    requests.gate.set()
    assert (await patient).value
    assert impatient.cancelled() and requests[OVERVIEW] == 1


async def test_short_rate_limits_are_waited_out(sb: Sandbox, rest: RestClient) -> None:
    sleeps = Sleeps()
    source = CoalescingSource(rest, sleep=sleeps)
    sb.fault(OVERVIEW, status=429, times=2, retry_after_ms=2000)
    reads = await asyncio.gather(*(source.ask(question()) for _ in range(10)))
    assert sleeps.waits == [2.0, 2.0]  # one shared request waited twice, not ten
    assert source.upstream_calls == 3 and len({str(r.value) for r in reads}) == 1


async def test_a_long_rate_limit_is_reported_at_once(sb: Sandbox, rest: RestClient) -> None:
    sleeps = Sleeps()
    source = CoalescingSource(rest, sleep=sleeps, max_wait=20)
    sb.fault(OVERVIEW, status=429, times=1, retry_after_ms=45000)
    with pytest.raises(RateLimited) as raised:
        await source.ask(question())
    assert raised.value.retry_after == pytest.approx(45, abs=1) and sleeps.waits == []


async def test_unshared_asks_about_today_every_time(sb: Sandbox, rest: RestClient) -> None:
    requests = Requests(sb)
    clock = Clock(datetime(2024, 3, 5, 12, 0, tzinfo=UTC))  # Tuesday is today
    source = CoalescingSource(rest, share=False, clock=clock)
    await asyncio.gather(*(source.ask(question()) for _ in range(5)))
    await source.ask(question())
    assert requests[OVERVIEW] == 6
    await asyncio.gather(*(source.ask(question(day=TUESDAY - timedelta(days=1))) for _ in range(5)))
    assert requests[OVERVIEW] == 7  # a closed period is still shared and kept


async def test_the_overview_takes_its_comparison_through_the_same_cache(sb: Sandbox, rest: RestClient) -> None:
    requests = Requests(sb)
    clock = Clock(datetime(2024, 3, 5, 15, 0, tzinfo=UTC))
    service = AnalyticsService(rest, clock=clock)
    today = parse_range("today", now=clock.now, tz="UTC")
    yesterday = parse_range("yesterday", now=clock.now, tz="UTC")
    report = await service.overview(("Conversations", "Productivity"), today, None)
    assert requests[OVERVIEW] == 2  # two sections of today; today is running: no whole day to compare
    assert requests[CHARTS] == 2  # conversations until 15:00, today and a week earlier, from the hourly charts
    assert report.as_of == clock.now and report.conversations == 2
    clock.now += timedelta(seconds=30)
    await service.chart(BY_NAME["Total_conversations"], today, None)  # today's hourly chart and count: kept
    assert (requests[OVERVIEW], requests[CHARTS]) == (2, 2)
    await service.overview(("Conversations",), yesterday, None)
    assert requests[OVERVIEW] == 4  # yesterday and the same weekday a week earlier were new


async def test_reports_are_as_of_their_oldest_answer(sb: Sandbox, rest: RestClient) -> None:
    clock = Clock(datetime(2024, 3, 5, 15, 0, tzinfo=UTC))
    service = AnalyticsService(rest, clock=clock)
    today = parse_range("today", now=clock.now, tz="UTC")
    await service.figures("Conversations", today, None)  # the count a table rests on, read at 15:00
    clock.now += timedelta(seconds=40)
    report = await service.agents(BY_NAME["Avg_first_response_time"], today, None)  # its rows, read at 15:00:40
    assert report.as_of == datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
    chart = await service.chart(BY_NAME["Total_messages"], today, None)
    assert chart.as_of == datetime(2024, 3, 5, 15, 0, tzinfo=UTC)


async def test_departments_are_shared_and_kept(sb: Sandbox, rest: RestClient) -> None:
    requests = Requests(sb)
    clock = Clock(datetime(2024, 3, 5, 15, 0, tzinfo=UTC))
    service = AnalyticsService(rest, clock=clock, ages=Ages(departments=300))
    found = await asyncio.gather(*(service.require_department("sales") for _ in range(20)))
    assert {d.name for d in found} == {"Sales"} and requests["livechat/department"] == 1
    clock.now += timedelta(seconds=301)
    await service.departments()
    assert requests["livechat/department"] == 2


async def test_a_full_cache_drops_expired_then_oldest_answers() -> None:
    clock = Clock(datetime(2024, 3, 5, 15, 0, tzinfo=UTC))
    cache: SharedCache[int] = SharedCache(clock=clock, max_entries=10)
    calls: list[int] = []

    async def load(n: int) -> int:
        calls.append(n)
        return n

    for n in range(10):
        await cache.get(n, partial(load, n), age=60 if n < 5 else 600)
    clock.now += timedelta(seconds=61)  # 0-4 have expired
    await cache.get(10, partial(load, 10), age=600)
    assert len(cache) == 6
    for n in range(5, 11):
        await cache.get(n, partial(load, n), age=600)
    assert calls == list(range(11))  # 5-10 were kept
