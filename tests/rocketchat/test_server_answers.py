"""Hostile answers on the analytics routes, driven through the real commands: the server's data is never our bug.

A fake server (an `httpx.MockTransport` handed to the RestClient) answers like Rocket.Chat
(rocketchat-analytics.md §2) except on one route, where the body is broken as a whole (nested 100k deep,
truncated, HTML, empty, `null`, a 401, a 404, a PNG ...) or carries one poisoned value where the docs promise a
figure (`NaN`, `Infinity`, -1, 1e308, a string for a number, `null` ...). Each command runs through the real
router, handlers, analytics service and dispatcher (`Dispatcher.answer`, which turns exceptions into replies), and
the asker must read a sentence that blames Rocket.Chat: never the apology that means a bug of ours, never a hint
that their command was wrong, and never garbage figures.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bot.analytics.service import AnalyticsService
from bot.commands.analytics import Services
from bot.config import Secret, Settings
from bot.errors import InvalidResponse
from bot.rocketchat.models import IncomingMessage
from bot.rocketchat.rest import RestClient
from bot.runtime.access import Access
from bot.runtime.app import build_router
from bot.runtime.dispatch import Dispatcher
from bot.runtime.pipeline import Command

pytestmark = pytest.mark.anyio

NOW = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
BASE = "https://chat.example.com"
OVERVIEW = "/api/v1/livechat/analytics/overview"
AGENTS = "/api/v1/livechat/analytics/agent-overview"
CHARTS = "/api/v1/livechat/analytics/dashboards/charts-data"
DEPARTMENTS = "/api/v1/livechat/department"
POISON = "__POISON__"  # a JSON string in a good body, replaced by the raw JSON text of a hostile value

INVALID = "Rocket.Chat sent an answer I could not read; an admin can find details in my log."
NO_FIGURES = "Rocket.Chat answered that request without any figures"
CREDENTIALS = "Rocket.Chat refused my credentials"
MISSING = "This Rocket.Chat server does not offer what that needs"
APOLOGY = "Sorry, something went wrong on my side"


def conversations(**values: Any) -> list[dict[str, Any]]:
    """The overview Conversations rows of §3.7 (two rooms on 2024-03-05), with some values replaced."""
    figures = {
        "Total_conversations": 2,
        "Open_conversations": 1,
        "On_Hold_conversations": 0,
        "Total_messages": 8,
        "Busiest_day": "Tuesday",
        "Conversations_per_day": "2.00",
        "Busiest_time": "2PM - 3PM",
    }
    return [{"title": title, "value": value} for title, value in {**figures, **values}.items()]


PRODUCTIVITY_TITLES = ("Avg_response_time", "Avg_first_response_time", "Avg_reaction_time")


def productivity(**values: Any) -> list[dict[str, Any]]:
    figures = dict(zip(PRODUCTIVITY_TITLES, ("00:01:05", "00:01:00", "00:00:08"), strict=True))
    return [{"title": title, "value": value} for title, value in {**figures, **values}.items()]


def agents(jane: Any = "00:00:30") -> dict[str, Any]:
    head = [{"name": "Agent"}, {"name": "Avg_first_response_time"}]
    return {
        "head": head,
        "data": [{"name": "jane", "value": jane}, {"name": "john", "value": "00:01:30"}],
        "success": True,
    }


def chart(point: Any = 1, label: Any = "3/5") -> dict[str, Any]:
    return {
        "chartLabel": "Total_conversations",
        "dataLabels": ["3/4", label, "3/6"],
        "dataPoints": [0, point, 2],
        "success": True,
    }


def departments(name: Any = "Sales") -> dict[str, Any]:
    found = [{"_id": "d-sales", "name": name, "enabled": True}, {"_id": "d-support", "name": "Support"}]
    return {"departments": found, "count": 2, "offset": 0, "total": 2, "success": True}


def good_body(path: str, params: httpx.QueryParams) -> Any:
    if path == OVERVIEW:
        return conversations() if params.get("name") == "Conversations" else productivity()
    others: dict[str, Callable[[], Any]] = {AGENTS: agents, CHARTS: chart, DEPARTMENTS: departments}
    return others[path]()


def json_response(body: Any, poison: str | None = None) -> httpx.Response:
    text = json.dumps(body)
    if poison is not None:
        text = text.replace(json.dumps(POISON), poison)
    return httpx.Response(200, content=text.encode(), headers={"content-type": "application/json"})


class FakeServer:
    """Answers the analytics routes as Rocket.Chat documents them, except `route`, which gets `answer`."""

    def __init__(self, route: str, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.route = route
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == self.route:
            return self.answer(request)
        if path in (OVERVIEW, AGENTS, CHARTS, DEPARTMENTS):
            return json_response(good_body(path, request.url.params))
        return httpx.Response(404, json={"success": False, "error": "Not found"})


async def answer(server: FakeServer, text: str) -> str:
    """The reply to `text`, typed by a manager in a channel, with `server` standing in for Rocket.Chat."""
    settings = Settings(url=BASE, user_id="u-bot", auth_token=Secret("pat"))
    async with RestClient(settings, transport=httpx.MockTransport(server), clock=lambda: NOW) as rest:
        services = Services(AnalyticsService(rest, clock=lambda: NOW), settings, lambda: NOW, pictures=False)
        access = Access(rest, allowed_users=frozenset({"maria"}))
        dispatcher = Dispatcher(build_router(settings), access, rest, services=services, clock=lambda: NOW)
        message = IncomingMessage(
            id="m-1", rid="r-managers", text=text, sender_id="u-maria", sender_username="maria", ts=NOW, updated_at=NOW
        )
        reply = await dispatcher.answer(Command(message, text.removeprefix("!"), "c"))
    return reply.text


# (route made hostile, a command that reads it)
ROUTES = [
    (OVERVIEW, "!overview"),
    (OVERVIEW, "!chart conversations 2024-03-04..2024-03-05"),  # the count under a chart
    (OVERVIEW, "!agents frt"),
    (AGENTS, "!agents frt 2024-03-04..2024-03-05"),
    (CHARTS, "!chart conversations 2024-03-04..2024-03-05"),
    (DEPARTMENTS, "!departments"),
    (DEPARTMENTS, "!overview yesterday dept=Sales"),
]


def body(text: str | bytes, status: int = 200, content_type: str = "application/json") -> httpx.Response:
    content = text.encode() if isinstance(text, str) else text
    return httpx.Response(status, content=content, headers={"content-type": content_type})


def truncated(request: httpx.Request) -> httpx.Response:
    text = json.dumps(good_body(request.url.path, request.url.params))
    return body(text[: len(text) // 2])


HTML = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
# (case, answer, what the asker reads)
WHOLE_BODIES: list[tuple[str, Callable[[httpx.Request], httpx.Response], str]] = [
    ("nested 100k deep", lambda _: body("[" * 100_000 + "]" * 100_000), INVALID),
    ("objects nested 100k deep", lambda _: body('{"a":' * 100_000 + "1" + "}" * 100_000), INVALID),
    ("null", lambda _: body("null"), INVALID),
    ("empty list", lambda _: body("[]"), INVALID),
    ("empty object", lambda _: body("{}"), INVALID),
    ("a bare NaN", lambda _: body("NaN"), INVALID),
    ("a bare Infinity", lambda _: body("Infinity"), INVALID),
    ("a bare -1", lambda _: body("-1"), INVALID),
    ("a bare 1e308", lambda _: body("1e308"), INVALID),
    ("a bare string", lambda _: body('"42"'), INVALID),
    ("true", lambda _: body("true"), INVALID),
    ("truncated JSON", truncated, INVALID),
    ("empty body", lambda _: body(""), INVALID),
    ("not UTF-8", lambda _: body(b"\xff\xfe{\x00"), INVALID),
    ("HTML page", lambda _: body(HTML, content_type="text/html"), INVALID),
    ("HTML labelled JSON", lambda _: body(HTML), INVALID),
    ("plain text", lambda _: body("OK", content_type="text/plain"), INVALID),
    ("a PNG", lambda _: body(b"\x89PNG\r\n\x1a\n\x00\x00", content_type="image/png"), INVALID),
    ("octet stream", lambda _: body(b"\x00\x01\x02", content_type="application/octet-stream"), INVALID),
    ("success without data", lambda _: body('{"success": true}'), NO_FIGURES),
    ("401", lambda _: body('{"success": false, "error": "You must be logged in to do this."}', 401), CREDENTIALS),
    ("404", lambda _: body(HTML, 404, "text/html"), MISSING),
]


@pytest.mark.parametrize(("route", "command"), ROUTES)
@pytest.mark.parametrize(("case", "hostile", "expected"), WHOLE_BODIES, ids=[c[0] for c in WHOLE_BODIES])
async def test_a_broken_body_is_blamed_on_rocket_chat(
    route: str,
    command: str,
    case: str,
    hostile: Callable[[httpx.Request], httpx.Response],
    expected: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if route == DEPARTMENTS and case == "success without data":
        expected = INVALID  # departments always carry a list: a bare success is not what the docs describe
    reply = await answer(FakeServer(route, hostile), command)
    assert_blames_rocket_chat(reply, caplog)
    assert reply.startswith(expected) if expected != MISSING else expected in reply


def overview_with(**values: Any) -> Callable[[httpx.QueryParams], Any]:
    """Overview answers with `values` in whichever section (Conversations or Productivity) holds them."""

    def make(params: httpx.QueryParams) -> Any:
        if params.get("name") == "Conversations":
            return conversations(**{k: v for k, v in values.items() if k not in PRODUCTIVITY_TITLES})
        return productivity(**{k: v for k, v in values.items() if k in PRODUCTIVITY_TITLES})

    return make


# Values in a good body's place where the docs promise a figure (raw JSON text; Python's json reads NaN literals).
POISONS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "-1",
    "1e308",
    "1e400",
    "12345678901234567890123",
    '"12"',
    '"NaN"',
    '"Infinity"',
    '"1e400"',
    '"99999999999999:00:00"',
    "null",
    "true",
    "[]",
    "{}",
    '"@all"',
    json.dumps("x" * 10_000),
]
# (route, the body with POISON where a figure belongs, a command reading it)
PLACES: list[tuple[str, Callable[[httpx.QueryParams], Any], str]] = [
    (OVERVIEW, overview_with(Total_conversations=POISON), "!overview"),
    (OVERVIEW, overview_with(Total_messages=POISON), "!overview"),
    (OVERVIEW, overview_with(Conversations_per_day=POISON), "!overview"),
    (OVERVIEW, overview_with(Avg_response_time=POISON), "!overview"),
    (OVERVIEW, overview_with(Total_conversations=POISON), "!chart conversations 2024-03-04..2024-03-05"),
    (AGENTS, lambda _: agents(jane=POISON), "!agents frt 2024-03-04..2024-03-05"),
    (CHARTS, lambda _: chart(point=POISON), "!chart conversations 2024-03-04..2024-03-05"),
]
LABEL_POISONS = ["NaN", "null", "1", "[]", json.dumps("x" * 10_000)]
MARKUP_POISONS = ['"@all"', '"*bold* `code`"']  # any string is a department name (replies escape it), not a label
LABEL_PLACES: list[tuple[str, Callable[[httpx.QueryParams], Any], str]] = [
    (OVERVIEW, overview_with(Busiest_time=POISON), "!overview"),
    (CHARTS, lambda _: chart(label=POISON), "!chart conversations 2024-03-04..2024-03-05"),
    (DEPARTMENTS, lambda _: departments(name=POISON), "!departments"),
]


def poisoned(make: Callable[[httpx.QueryParams], Any], poison: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: json_response(make(request.url.params), poison)


@pytest.mark.parametrize("poison", POISONS)
@pytest.mark.parametrize(("route", "make", "command"), PLACES)
async def test_a_figure_that_is_not_a_figure_is_blamed_on_rocket_chat(
    route: str, make: Callable[[httpx.QueryParams], Any], command: str, poison: str, caplog: pytest.LogCaptureFixture
) -> None:
    reply = await answer(FakeServer(route, poisoned(make, poison)), command)
    assert_blames_rocket_chat(reply, caplog)
    assert reply == INVALID


@pytest.mark.parametrize(
    ("route", "make", "command", "poison"),
    [(*place, poison) for place in LABEL_PLACES for poison in LABEL_POISONS]
    + [(*place, poison) for place in LABEL_PLACES if place[0] != DEPARTMENTS for poison in MARKUP_POISONS],
)
async def test_a_label_that_is_not_a_label_is_blamed_on_rocket_chat(
    route: str, make: Callable[[httpx.QueryParams], Any], command: str, poison: str, caplog: pytest.LogCaptureFixture
) -> None:
    reply = await answer(FakeServer(route, poisoned(make, poison)), command)
    assert_blames_rocket_chat(reply, caplog)
    assert reply == INVALID


async def test_the_good_bodies_are_answered() -> None:
    """The fake server's own answers are what the bot reads as good figures (so the hostile cases are fair)."""
    untouched = FakeServer("/nowhere", lambda _: httpx.Response(500))
    overview = await answer(untouched, "!overview 2024-03-05")
    assert "• Total Conversations: 2" in overview and "• Busiest Time: 2PM - 3PM" in overview
    assert "• Average of Response Time: 1m 05s" in overview
    assert "Wed 6 Mar so far: 2" in await answer(untouched, "!chart conversations 2024-03-04..2024-03-06")
    assert "1  jane" in await answer(untouched, "!agents frt 2024-03-04..2024-03-05")
    assert "Support" in await answer(untouched, "!departments")
    assert "department `Sales`" in await answer(untouched, "!overview yesterday dept=Sales")


@pytest.mark.parametrize(
    "hostile",
    ["[" * 100_000 + "]" * 100_000, "NaN", '{"_id": "u-bot", "username": "bot", "roles": [], "n": Infinity}', "null"],
)
async def test_every_route_maps_an_unreadable_body_to_invalid_response(hostile: str) -> None:
    """Not just analytics: `_request` itself never lets a RecursionError or a non-finite number through."""
    settings = Settings(url=BASE, user_id="u-bot", auth_token=Secret("pat"))
    async with RestClient(settings, transport=httpx.MockTransport(lambda _: body(hostile))) as rest:
        with pytest.raises(InvalidResponse):
            await rest.me()
        with pytest.raises(InvalidResponse):
            await rest.departments()


async def test_a_server_that_pages_forever_is_invalid() -> None:
    """A department list whose `total` never comes (or a server repeating the same page) must end."""
    settings = Settings(url=BASE, user_id="u-bot", auth_token=Secret("pat"))
    page = [{"_id": f"d-{i}", "name": f"Dept {i}"} for i in range(100)]
    calls = 0

    def endless(_: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls > 1000:  # the test's own brake, so a client without one fails here instead of looping forever
            return httpx.Response(503)
        return json_response({"departments": page, "count": 100, "offset": 0, "total": 10**12, "success": True})

    async with RestClient(settings, transport=httpx.MockTransport(endless)) as rest:
        with pytest.raises(InvalidResponse, match="pages"):
            await rest.departments()
    assert calls <= 100


def assert_blames_rocket_chat(reply: str, caplog: pytest.LogCaptureFixture) -> None:
    assert APOLOGY not in reply
    assert "check the command" not in reply and "Usage:" not in reply
    assert "Rocket.Chat" in reply
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a bug was logged"


# --- a one-day chart answered in days ----------------------------------------------------------------------
# The day the clocks go back has 25 hours; Rocket.Chat's moment `diff(..., 'days')` counts it as two days and
# answers "M/D" day buckets (bot/sandbox/analytics.py charts_data). The default `chart()` above is such an answer.


async def test_a_one_day_chart_answered_in_days_names_days_not_hours() -> None:
    reply = await answer(FakeServer(CHARTS, lambda _: json_response(chart())), "!chart conversations 2024-03-05")
    figures = reply.splitlines()[1]
    assert "per day" in figures and "(Tue 5 Mar)" in figures and "(Mon 4 Mar)" in figures
    assert "AM" not in figures and "per hour" not in figures


async def test_today_answered_in_days_is_not_counted_to_the_hour() -> None:
    """Summing the first N "hours" of a day-bucketed answer counted whole days as hours before noon."""
    reply = await answer(FakeServer(CHARTS, lambda _: json_response(chart())), "!overview conversations today")
    assert "Today is in progress: no fair comparison yet." in reply
    assert "counted until" not in reply
    assert "• Total Conversations: 2  (day in progress)" in reply
