"""The sandbox's Omnichannel analytics against rocketchat-analytics.md §2.1–2.3 and §3.1–3.7.

Expected values are worked out by hand from the reference (and Rocket.Chat's moment-based service), never
read back from the implementation. Stores are built from workspace documents with a fixed clock.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.sandbox import analytics
from bot.sandbox.data import load_document
from bot.sandbox.store import Doc, MeteorError, Store

NOW = datetime(2024, 3, 20, 12, 0, tzinfo=UTC)
JANE = {"_id": "u-jane", "username": "jane"}
JOHN = {"_id": "u-john", "username": "john"}
ANN = {"_id": "u-ann", "username": "ann"}
ONE_DAY_LABELS = [
    "12AM-1AM", "1AM-2AM", "2AM-3AM", "3AM-4AM", "4AM-5AM", "5AM-6AM",
    "6AM-7AM", "7AM-8AM", "8AM-9AM", "9AM-10AM", "10AM-11AM", "11AM-12PM",
    "12PM-1PM", "1PM-2PM", "2PM-3PM", "3PM-4PM", "4PM-5PM", "5PM-6PM",
    "6PM-7PM", "7PM-8PM", "8PM-9PM", "9PM-10PM", "10PM-11PM", "11PM-12AM",
]  # fmt: skip
AGENT_NAMES = (
    "Total_conversations", "Avg_chat_duration", "Total_messages", "Avg_first_response_time",
    "Best_first_response_time", "Avg_response_time", "Avg_reaction_time",
)  # fmt: skip


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def room(rid: str, ts: str, *, served: Doc | None = None, responded: Doc | None = None, **fields: Any) -> Doc:
    doc: Doc = {"_id": rid, "t": "l", "ts": ts, "v": {"_id": f"v-{rid}", "username": f"guest-{rid}", "token": rid}}
    if served is not None:
        doc["servedBy"] = dict(served)
    if responded is not None:
        doc["responseBy"] = dict(responded)
    doc.update(fields)
    return doc


def messages(rid: str, ts: str, *, visitor: int = 0, agent: int = 0, system: int = 0) -> list[Doc]:
    """Visitor messages carry the visitor `token`; system messages carry a `t`."""
    out: list[Doc] = []
    for kind, count in (("visitor", visitor), ("agent", agent), ("system", system)):
        for i in range(count):
            message: Doc = {"_id": f"{rid}-{kind}-{i}", "rid": rid, "msg": "x", "ts": ts, "u": dict(JANE)}
            if kind == "visitor":
                message.update({"u": {"_id": f"v-{rid}", "username": f"guest-{rid}"}, "token": rid})
            if kind == "system":
                message["t"] = "uj"
            out.append(message)
    return out


def build(rooms: list[Doc], msgs: Sequence[Doc] = (), /, *, utc_offset: float | None = None, **settings: Any) -> Store:
    manager: Doc = {"_id": "u-maria", "username": "maria", "roles": ["livechat-manager", "user"]}
    if utc_offset is not None:
        manager["utcOffset"] = utc_offset
    document = {
        "settings": settings,
        "users": [manager, {**JANE, "roles": ["livechat-agent"]}, {**JOHN, "roles": ["livechat-agent"]},
                  {**ANN, "roles": ["livechat-agent"]}],
        "departments": [{"_id": "dep-sales", "name": "Sales"}, {"_id": "dep-support", "name": "Support"}],
        "rooms": rooms,
        "messages": list(msgs),
    }  # fmt: skip
    return load_document(document, clock=lambda: NOW)


def manager(store: Store) -> Doc:
    return store.users["u-maria"]


def conversations(store: Store, start: str, end: str, department: str | None = None) -> dict[str, Any]:
    result = analytics.overview(
        store, name="Conversations", from_=start, to=end, department_id=department, user=manager(store)
    )
    assert result is not None
    return {row["title"]: row["value"] for row in result}


def productivity(store: Store, start: str, end: str) -> list[Any]:
    result = analytics.overview(
        store, name="Productivity", from_=start, to=end, department_id=None, user=manager(store)
    )
    assert result is not None
    assert [row["title"] for row in result] == ["Avg_response_time", "Avg_first_response_time", "Avg_reaction_time"]
    return [row["value"] for row in result]


def agents(store: Store, name: str, start: str, end: str, department: str | None = None) -> Doc:
    result = analytics.agent_overview(
        store, name=name, from_=start, to=end, department_id=department, user=manager(store)
    )
    assert result is not None
    return result


def chart(store: Store, name: str, start: str, end: str, department: str | None = None) -> Doc:
    result = analytics.charts_data(
        store, chart_name=name, start=start, end=end, department_id=department, user=manager(store)
    )
    assert result is not None
    assert result["chartLabel"] == name
    assert len(result["dataLabels"]) == len(result["dataPoints"])
    return result


def worked_example() -> Store:
    """§3.7: two rooms on Tuesday 2024-03-05 (UTC), in two departments."""
    room_a = room(
        "room-a", "2024-03-05T14:10:00Z", served=JANE, responded=JANE, open=False, departmentId="dep-sales",
        metrics={"chatDuration": 600, "response": {"ft": 30, "avg": 40}, "reaction": {"ft": 10}},
    )  # fmt: skip
    room_b = room(
        "room-b", "2024-03-05T14:50:00Z", served=JOHN, responded=JOHN, open=True, departmentId="dep-support",
        metrics={"response": {"ft": 90, "avg": 90}, "reaction": {"ft": 5}},
    )  # fmt: skip
    msgs = messages("room-a", "2024-03-05T14:11:00Z", visitor=2, agent=4, system=1)
    msgs += messages("room-b", "2024-03-05T14:51:00Z", visitor=1, agent=1)
    return build([room_a, room_b], msgs)


# --- §3.7 worked example -------------------------------------------------------------------------


def test_worked_example_conversations() -> None:
    store = worked_example()
    result = analytics.overview(
        store, name="Conversations", from_="2024-03-05", to="2024-03-05", department_id=None, user=manager(store)
    )
    assert result == [
        {"title": "Total_conversations", "value": 2},
        {"title": "Open_conversations", "value": 1},
        {"title": "On_Hold_conversations", "value": 0},
        {"title": "Total_messages", "value": 8},
        {"title": "Busiest_day", "value": "Tuesday"},
        {"title": "Conversations_per_day", "value": "2.00"},
        {"title": "Busiest_time", "value": "2PM - 3PM"},
    ]


def test_worked_example_productivity() -> None:
    result = analytics.overview(
        worked_example(), name="Productivity", from_="2024-03-05", to="2024-03-05", department_id=None, user={}
    )
    assert result == [
        {"title": "Avg_response_time", "value": "00:01:05"},
        {"title": "Avg_first_response_time", "value": "00:01:00"},
        {"title": "Avg_reaction_time", "value": "00:00:08"},  # 7.5 s rounds up
    ]


def test_worked_example_agent_messages_and_daily_chart() -> None:
    store = worked_example()
    assert agents(store, "Total_messages", "2024-03-05", "2024-03-05") == {
        "head": [{"name": "Agent"}, {"name": "Total_messages"}],
        "data": [{"name": "jane", "value": 4}, {"name": "john", "value": 1}],
    }
    daily = chart(store, "Total_conversations", "2024-03-04", "2024-03-06")
    assert daily["dataLabels"] == ["3/4", "3/5", "3/6"]
    assert daily["dataPoints"] == [0, 2, 0]


# --- empty periods, names, dates -----------------------------------------------------------------


def test_empty_period_gives_zero_values_of_every_kind() -> None:
    store = worked_example()
    assert list(conversations(store, "2024-03-10", "2024-03-10").values()) == [0, 0, 0, 0, "-", "0.00", "-"]
    assert productivity(store, "2024-03-10", "2024-03-10") == ["00:00:00"] * 3
    for name in AGENT_NAMES:
        assert agents(store, name, "2024-03-10", "2024-03-10")["data"] == []
        assert chart(store, name, "2024-03-10", "2024-03-10")["dataPoints"] == [0] * 24
        assert chart(store, name, "2024-03-10", "2024-03-12")["dataPoints"] == [0, 0, 0]


def test_unknown_names_return_none_and_an_empty_name_is_invalid() -> None:
    store = worked_example()
    args: dict[str, Any] = {"from_": "2024-03-05", "to": "2024-03-05", "department_id": None, "user": manager(store)}
    assert analytics.overview(store, name="Total_conversations", **args) is None
    assert analytics.agent_overview(store, name="Conversations", **args) is None
    for bad in ("Conversations", "", "total_conversations"):
        found = analytics.charts_data(
            store, chart_name=bad, start="2024-03-05", end="2024-03-05", department_id=None, user=args["user"]
        )
        assert found is None
    for function in (analytics.overview, analytics.agent_overview):
        with pytest.raises(MeteorError) as caught:
            function(store, name="", **args)
        assert (caught.value.error, caught.value.reason) == ("invalid-chart-name", "invalid-chart-name")


@pytest.mark.parametrize("bad", ["", "garbage", "2024-02-30", "2024-13-01", "2024-00-10", "next tuesday"])
def test_unparseable_dates_return_none(bad: str) -> None:
    store = worked_example()
    common: dict[str, Any] = {"department_id": None, "user": manager(store)}
    assert analytics.overview(store, name="Conversations", from_=bad, to="2024-03-05", **common) is None
    assert analytics.overview(store, name="Productivity", from_="2024-03-05", to=bad, **common) is None
    assert analytics.agent_overview(store, name="Total_messages", from_=bad, to="2024-03-05", **common) is None
    assert analytics.charts_data(store, chart_name="Total_messages", start="2024-03-05", end=bad, **common) is None


@pytest.mark.parametrize("text", ["2024-03-05T12:11:45.392Z", "2024-3-5", "2024/03/05", "20240305", "24-03-05"])
def test_non_strict_moment_parsing_keeps_the_date(text: str) -> None:
    assert conversations(worked_example(), text, text)["Total_conversations"] == 2


def test_a_year_alone_means_the_first_of_january() -> None:
    store = build([room("r", "2024-01-01T10:00:00Z")])
    assert conversations(store, "2024", "2024")["Total_conversations"] == 1


def test_reversed_ranges() -> None:
    store = worked_example()
    adjacent = conversations(store, "2024-03-06", "2024-03-05")  # day count 1: zero rows
    assert list(adjacent.values()) == [0, 0, 0, 0, "-", "0.00", "-"]
    assert conversations(store, "2024-03-07", "2024-03-05")["Conversations_per_day"] == "NaN"  # 0 / 0 days
    assert conversations(store, "2024-03-09", "2024-03-05")["Conversations_per_day"] == "0.00"  # 0 / -2 days
    assert chart(store, "Total_conversations", "2024-03-06", "2024-03-05")["dataLabels"] == ONE_DAY_LABELS
    assert chart(store, "Total_conversations", "2024-03-07", "2024-03-05") == {
        "chartLabel": "Total_conversations", "dataLabels": [], "dataPoints": []
    }  # fmt: skip


# --- §3.2 / §3.3 Conversations details --------------------------------------------------------


def test_busiest_day_first_then_busiest_hour_within_it() -> None:
    rooms = [
        room("mon", "2024-03-04T09:00:00Z"),  # Monday: 5 messages, the busiest single hour overall
        room("tue-16", "2024-03-05T16:00:00Z"),  # Tuesday: 4 + 4 = 8 messages, tie between 16h and 10h
        room("tue-10", "2024-03-05T10:00:00Z"),
    ]
    msgs = messages("mon", "2024-03-04T09:01:00Z", visitor=5)
    msgs += messages("tue-16", "2024-03-05T16:01:00Z", agent=4) + messages("tue-10", "2024-03-05T10:01:00Z", agent=4)
    result = conversations(build(rooms, msgs), "2024-03-04", "2024-03-05")
    assert (result["Busiest_day"], result["Busiest_time"]) == ("Tuesday", "4PM - 5PM")  # first hour seen wins
    assert result["Total_messages"] == 13


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("2024-03-05T23:30:00Z", "11PM - 12AM"),
        ("2024-03-05T00:10:00Z", "12AM - 1AM"),
        ("2024-03-05T12:59:00Z", "12PM - 1PM"),
    ],
)
def test_busiest_time_format(ts: str, expected: str) -> None:
    assert conversations(build([room("r", ts)]), "2024-03-05", "2024-03-05")["Busiest_time"] == expected


def test_open_and_on_hold_counting() -> None:
    rooms = [
        room("open", "2024-03-05T08:00:00Z", metrics={"response": {"ft": 1, "avg": 1}}),
        room("no-metrics", "2024-03-05T08:00:00Z"),
        room("closed", "2024-03-05T08:00:00Z", metrics={"chatDuration": 60}),
        room("held", "2024-03-05T08:00:00Z", onHold=True, metrics={}),
        room("held-last-ms", "2024-03-05T23:59:59.999Z", onHold=True),  # ts <= to, but not ts < to
        room("held-next-day", "2024-03-06T00:00:00Z", onHold=True),
        {"_id": "chan", "t": "c", "name": "held-channel", "ts": "2024-03-05T09:00:00Z", "onHold": True},
    ]
    result = conversations(build(rooms), "2024-03-05", "2024-03-05")
    assert result["Total_conversations"] == 5
    assert result["Open_conversations"] == 1
    assert result["On_Hold_conversations"] == 2  # "held" and the channel: the count has no t:'l' filter


def test_message_counting_rules() -> None:
    rooms = [
        room("silent", "2024-03-05T08:00:00Z", served=JANE),  # no messages at all
        room("busy", "2024-03-05T09:00:00Z", served=JOHN),  # 2 visitor + 3 agent + 1 system
        room("visitor-only", "2024-03-05T10:00:00Z", served=ANN),  # 2 visitor messages, no agent ones
    ]
    msgs = messages("busy", "2024-03-05T09:01:00Z", visitor=2, agent=3, system=1)
    msgs += messages("visitor-only", "2024-03-05T10:01:00Z", visitor=2)
    store = build(rooms, msgs)
    assert conversations(store, "2024-03-05", "2024-03-05")["Total_messages"] == 1 + 5 + 2
    assert agents(store, "Total_messages", "2024-03-05", "2024-03-05")["data"] == [
        {"name": "john", "value": 3}, {"name": "jane", "value": 1}, {"name": "ann", "value": 1},
    ]  # fmt: skip
    hourly = chart(store, "Total_messages", "2024-03-05", "2024-03-05")["dataPoints"]
    assert (hourly[8], hourly[9], hourly[10], sum(hourly)) == (1, 3, 1, 5)


def test_conversations_per_day_uses_javascript_to_fixed() -> None:
    store = build([room("a", "2024-03-01T10:00:00Z"), room("b", "2024-03-02T10:00:00Z")])
    assert conversations(store, "2024-03-01", "2024-03-16")["Conversations_per_day"] == "0.13"  # 0.125, tie up
    assert conversations(store, "2024-03-01", "2024-03-03")["Conversations_per_day"] == "0.67"


# --- §3.3 Productivity and §3.6 durations ------------------------------------------------------


def test_the_day_after_the_range_is_not_included() -> None:
    """PR #33054 fixed Productivity and agent-overview reading one extra day after `to`."""
    store = worked_example()
    metrics = {"chatDuration": 9999, "response": {"ft": 9999, "avg": 9999}, "reaction": {"ft": 9999}}
    store.add_room({"_id": "next-day", "t": "l", "ts": at("2024-03-06T00:00:00"), "servedBy": dict(JANE),
                    "responseBy": dict(JANE), "metrics": metrics})  # fmt: skip
    assert productivity(store, "2024-03-05", "2024-03-05") == ["00:01:05", "00:01:00", "00:00:08"]
    assert agents(store, "Avg_chat_duration", "2024-03-05", "2024-03-05")["data"] == [
        {"name": "jane", "value": "00:10:00"}
    ]


def test_productivity_only_counts_rooms_with_response_and_reaction() -> None:
    rooms = [
        room("both", "2024-03-05T08:00:00Z", metrics={"response": {"ft": 20, "avg": 30}, "reaction": {"ft": 4}}),
        room("response-only", "2024-03-05T08:00:00Z", metrics={"response": {"ft": 999, "avg": 999}}),
        room("reaction-only", "2024-03-05T08:00:00Z", metrics={"reaction": {"ft": 999}}),
    ]
    assert productivity(build(rooms), "2024-03-05", "2024-03-05") == ["00:00:30", "00:00:20", "00:00:04"]


def test_seconds_to_hhmmss_edge_cases() -> None:
    metrics = {"response": {"ft": 3599.5, "avg": 100 * 3600 + 61}, "reaction": {"ft": 59.6}}
    store = build([room("r", "2024-03-05T08:00:00Z", metrics=metrics)])
    assert productivity(store, "2024-03-05", "2024-03-05") == ["100:01:01", "00:59:60", "00:00:60"]


@pytest.mark.parametrize(
    ("value", "fixed"),
    [(0.125, "0.13"), (1.005, "1.00"), (2.675, "2.67"), (1.125, "1.13"), (7.5, "7.50"), (-0.001, "-0.00"),
     (-0.0, "0.00"), (71.42857142857143, "71.43"), (float("nan"), "NaN")],
)  # fmt: skip
def test_to_fixed_follows_javascript(value: float, fixed: str) -> None:
    assert analytics._to_fixed2(value) == fixed


@pytest.mark.parametrize(("value", "rounded"), [(2.5, 3.0), (-2.5, -2.0), (0.49999999999999994, 0.0), (59.6, 60.0)])
def test_math_round_follows_javascript(value: float, rounded: float) -> None:
    assert analytics._js_round(value) == rounded


# --- §3.1 time zones ------------------------------------------------------------------------------

LATE_EVENING_SAO_PAULO = "2024-03-06T01:30:00Z"  # Tuesday 2024-03-05 22:30 in America/Sao_Paulo (UTC-3)


def test_default_server_zone_is_utc() -> None:
    store = build([room("r", LATE_EVENING_SAO_PAULO)], utc_offset=-3)  # the offset only matters for "user"
    assert conversations(store, "2024-03-05", "2024-03-05")["Total_conversations"] == 0
    assert conversations(store, "2024-03-06", "2024-03-06")["Busiest_time"] == "1AM - 2AM"


@pytest.mark.parametrize(
    "settings",
    [
        {"Sandbox_Server_Timezone": "America/Sao_Paulo"},
        {"Default_Timezone_For_Reporting": "custom", "Default_Custom_Timezone": "America/Sao_Paulo"},
        {"Default_Timezone_For_Reporting": "user"},
    ],
)
def test_reporting_zone_moves_a_room_across_the_day_boundary(settings: dict[str, str]) -> None:
    store = build([room("r", LATE_EVENING_SAO_PAULO)], utc_offset=-3, **settings)
    result = conversations(store, "2024-03-05", "2024-03-05")
    summary = (result["Total_conversations"], result["Busiest_day"], result["Busiest_time"])
    assert summary == (1, "Tuesday", "10PM - 11PM")
    assert conversations(store, "2024-03-06", "2024-03-06")["Total_conversations"] == 0


@pytest.mark.parametrize("offset", [5.5, None, 0])
def test_user_zone_falls_back_for_fractional_and_missing_offsets(offset: float | None) -> None:
    """5.5 builds the pattern "+05.5:00", which no zone matches: the server zone (UTC) is used; a missing
    offset is passed as 0, whose first zone (Africa/Abidjan) is UTC too."""
    store = build([room("r", "2024-03-06T20:00:00Z")], utc_offset=offset, Default_Timezone_For_Reporting="user")
    assert conversations(store, "2024-03-06", "2024-03-06")["Total_conversations"] == 1
    assert conversations(store, "2024-03-07", "2024-03-07")["Total_conversations"] == 0


def test_user_zone_with_a_positive_offset() -> None:
    store = build([room("r", "2024-03-05T20:30:00Z")], utc_offset=9, Default_Timezone_For_Reporting="user")
    assert conversations(store, "2024-03-06", "2024-03-06")["Busiest_time"] == "5AM - 6AM"


# --- §3.4 charts -------------------------------------------------------------------------------


def test_one_day_chart_has_24_hourly_buckets() -> None:
    store = build([room("a", "2024-03-05T14:10:00Z"), room("b", "2024-03-05T14:59:59.999Z"),
                   room("c", "2024-03-05T15:00:00Z"), room("d", "2024-03-05T23:59:59.999Z"),
                   room("e", "2024-03-06T00:00:00Z")])  # fmt: skip
    result = chart(store, "Total_conversations", "2024-03-05", "2024-03-05")
    assert result["dataLabels"] == ONE_DAY_LABELS
    expected = [0] * 24
    expected[14], expected[15], expected[23] = 2, 1, 1
    assert result["dataPoints"] == expected


def test_hour_labels_in_the_end_of_hour_form() -> None:
    """Versions that format a bucket's end with moment's `endOf('hour')` print both ends alike."""
    store = build([room("a", "2024-03-05T14:10:00Z")], Sandbox_Hour_Labels="endOf")
    labels = chart(store, "Total_conversations", "2024-03-05", "2024-03-05")["dataLabels"]
    assert labels[:2] == ["12AM-12AM", "1AM-1AM"] and labels[14] == "2PM-2PM" and len(labels) == 24


def test_one_day_chart_in_sao_paulo_uses_local_hours() -> None:
    store = build([room("a", "2024-03-05T17:10:00Z")], Sandbox_Server_Timezone="America/Sao_Paulo")
    result = chart(store, "Total_conversations", "2024-03-05", "2024-03-05")
    assert result["dataLabels"] == ONE_DAY_LABELS
    assert result["dataPoints"].index(1) == 14


def test_hour_labels_use_todays_offset() -> None:
    """moment builds each label from *today's* date at the bucket's UTC hour: with the clock in summer, a
    winter day in Berlin (UTC+1) is labelled with the summer offset (UTC+2)."""
    document_clock = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
    store = build([room("a", "2024-01-15T00:30:00Z")], Sandbox_Server_Timezone="Europe/Berlin")
    store.clock = lambda: document_clock
    result = chart(store, "Total_conversations", "2024-01-15", "2024-01-15")
    assert result["dataLabels"][:2] == ["1AM-2AM", "2AM-3AM"]
    assert result["dataPoints"][1] == 1  # 01:30 local is the second bucket


def test_a_25_hour_day_counts_as_two_days() -> None:
    """moment's `diff(..., 'days')` truncates milliseconds / 864e5: Berlin's 2024-10-27 lasts 25 hours, so the
    chart is a daily one over the two UTC days it touches and Conversations_per_day divides by 2."""
    store = build([room("a", "2024-10-27T10:00:00Z")], Sandbox_Server_Timezone="Europe/Berlin")
    assert chart(store, "Total_conversations", "2024-10-27", "2024-10-27")["dataLabels"] == ["10/26", "10/27"]
    assert conversations(store, "2024-10-27", "2024-10-27")["Conversations_per_day"] == "0.50"
    spring = chart(store, "Total_conversations", "2024-03-31", "2024-03-31")  # 23 hours: still hourly
    assert len(spring["dataLabels"]) == 24


@pytest.mark.parametrize(
    ("zone", "labels"),
    [
        ("UTC", ["3/1", "3/2", "3/3"]),
        ("America/Sao_Paulo", ["3/1", "3/2", "3/3", "3/4"]),  # negative offset: an extra trailing UTC day
        ("Europe/Berlin", ["2/29", "3/1", "3/2", "3/3"]),  # positive offset: starts on the previous day
    ],
)
def test_multi_day_chart_buckets_are_utc_days(zone: str, labels: list[str]) -> None:
    store = build([room("late", "2024-03-04T01:00:00Z")], Sandbox_Server_Timezone=zone)
    result = chart(store, "Total_conversations", "2024-03-01", "2024-03-03")
    assert result["dataLabels"] == labels
    counted = [label for label, point in zip(result["dataLabels"], result["dataPoints"], strict=True) if point]
    # 03-03 22:00 in Sao Paulo is counted on the UTC day 3/4; in UTC and Berlin it lies after the range.
    assert counted == (["3/4"] if zone == "America/Sao_Paulo" else [])


def test_chart_bucket_formulas() -> None:
    rooms = [
        room("a", "2024-03-05T09:00:00Z", metrics={"chatDuration": 100.333, "response": {"ft": 40, "avg": 50.5},
                                                   "reaction": {"ft": 3}}),
        room("b", "2024-03-05T09:30:00Z", metrics={"chatDuration": 100, "response": {"ft": 20, "avg": 0},
                                                   "reaction": {"ft": 0}}),
        room("c", "2024-03-05T09:40:00Z", metrics={"chatDuration": 0, "response": {"ft": 0}}),
        room("d", "2024-03-05T11:00:00Z", metrics={"chatDuration": 600}),
    ]  # fmt: skip
    store = build(rooms)

    def hour(name: str, index: int) -> Any:
        return chart(store, name, "2024-03-05", "2024-03-05")["dataPoints"][index]

    assert hour("Avg_chat_duration", 9) == 100.17  # (100.333 + 100) / 2 = 100.1665; zero skipped
    assert hour("Avg_chat_duration", 11) == 600 and isinstance(hour("Avg_chat_duration", 11), int)
    assert hour("Avg_first_response_time", 9) == 30
    assert hour("Best_first_response_time", 9) == 20
    assert hour("Avg_response_time", 9) == 50.5
    assert hour("Avg_reaction_time", 9) == 3
    assert hour("Avg_reaction_time", 11) == 0


# --- §2.2 / §3.5 agent overview ---------------------------------------------------------------


def test_agent_total_conversations_percentages() -> None:
    rooms = [room(f"j{i}", "2024-03-05T08:00:00Z", served=JOHN) for i in range(2)]
    rooms += [room(f"a{i}", "2024-03-05T09:00:00Z", served=JANE) for i in range(5)]
    rooms.append(room("queued", "2024-03-05T10:00:00Z"))  # not served: not in the total
    assert agents(build(rooms), "Total_conversations", "2024-03-05", "2024-03-05") == {
        "head": [{"name": "Agent"}, {"name": "%_of_conversations"}],
        "data": [{"name": "jane", "value": "71.43%"}, {"name": "john", "value": "28.57%"}],
    }


def test_agent_sort_compares_parse_float_of_hhmmss() -> None:
    rooms = [
        room("a", "2024-03-05T08:00:00Z", served=JANE, metrics={"chatDuration": 100, "reaction": {"ft": 3 * 3600}}),
        room("b", "2024-03-05T08:00:00Z", served=JOHN, metrics={"chatDuration": 200, "reaction": {"ft": 3600}}),
        room("c", "2024-03-05T08:00:00Z", served=ANN, metrics={"chatDuration": 7200, "reaction": {"ft": 60}}),
    ]
    store = build(rooms)
    durations = agents(store, "Avg_chat_duration", "2024-03-05", "2024-03-05")["data"]
    # "Descending", but 00:01:40 and 00:03:20 both parse to 0 and keep their first-seen order.
    assert [(row["name"], row["value"]) for row in durations] == [
        ("ann", "02:00:00"), ("jane", "00:01:40"), ("john", "00:03:20"),
    ]  # fmt: skip
    reactions = agents(store, "Avg_reaction_time", "2024-03-05", "2024-03-05")["data"]
    assert [row["name"] for row in reactions] == ["ann", "john", "jane"]  # ascending: 0, 1, 3 hours


def test_first_response_metrics_are_credited_to_the_first_responder() -> None:
    rooms = [
        room("a", "2024-03-05T08:00:00Z", served=JOHN, responded=JANE, metrics={"response": {"ft": 30, "avg": 100}}),
        room("b", "2024-03-05T09:00:00Z", served=JANE, responded=JANE, metrics={"response": {"ft": 90, "avg": 20}}),
        room("c", "2024-03-05T10:00:00Z", served=JOHN, metrics={"response": {"ft": 5, "avg": 40}}),  # no responder
    ]
    store = build(rooms)
    assert agents(store, "Avg_first_response_time", "2024-03-05", "2024-03-05")["data"] == [
        {"name": "jane", "value": "00:01:00"}
    ]
    assert agents(store, "Best_first_response_time", "2024-03-05", "2024-03-05")["data"] == [
        {"name": "jane", "value": "00:00:30"}
    ]
    # Avg_response_time follows servedBy; both under an hour, so first-seen order (john) is kept.
    assert agents(store, "Avg_response_time", "2024-03-05", "2024-03-05")["data"] == [
        {"name": "john", "value": "00:01:10"}, {"name": "jane", "value": "00:00:20"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("Total_conversations", [("jane", "50.00%"), ("john", "50.00%")]),
        ("Avg_chat_duration", [("jane", "00:10:00")]),  # room B has no chatDuration yet
        ("Total_messages", [("jane", 4), ("john", 1)]),
        ("Avg_first_response_time", [("jane", "00:00:30"), ("john", "00:01:30")]),
        ("Best_first_response_time", [("jane", "00:00:30"), ("john", "00:01:30")]),
        ("Avg_response_time", [("jane", "00:00:40"), ("john", "00:01:30")]),
        ("Avg_reaction_time", [("jane", "00:00:10"), ("john", "00:00:05")]),  # both parse to 0: room order
    ],
)
def test_agent_overview_values_and_columns(name: str, data: list[tuple[str, Any]]) -> None:
    result = agents(worked_example(), name, "2024-03-05", "2024-03-05")
    column = "%_of_conversations" if name == "Total_conversations" else name
    assert result["head"] == [{"name": "Agent"}, {"name": column}]
    assert result["data"] == [{"name": agent, "value": value} for agent, value in data]
    assert all(type(row["value"]) is (int if name == "Total_messages" else str) for row in result["data"])


# --- departments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("department", "total"), [("dep-sales", 1), ("", 2), ("undefined", 2), (None, 2), ("dep-x", 0)]
)
def test_department_filter(department: str | None, total: int) -> None:
    store = worked_example()
    assert conversations(store, "2024-03-05", "2024-03-05", department)["Total_conversations"] == total
    assert len(agents(store, "Total_conversations", "2024-03-05", "2024-03-05", department)["data"]) == total
    assert sum(chart(store, "Total_conversations", "2024-03-05", "2024-03-05", department)["dataPoints"]) == total


def test_unknown_department_gives_zeros_everywhere() -> None:
    store = worked_example()
    assert list(conversations(store, "2024-03-05", "2024-03-05", "dep-x").values()) == [0, 0, 0, 0, "-", "0.00", "-"]
    assert agents(store, "Avg_chat_duration", "2024-03-05", "2024-03-05", "dep-x")["data"] == []
    assert chart(store, "Avg_chat_duration", "2024-03-04", "2024-03-06", "dep-x")["dataPoints"] == [0, 0, 0]


# --- performance ---------------------------------------------------------------------------------


def test_overview_of_a_90_day_workspace_is_fast() -> None:
    store = Store(clock=lambda: NOW)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(4000):
        ts = start + timedelta(minutes=i * 32)  # about 89 days
        rid = f"r{i}"
        metrics = {"chatDuration": 300 + i % 50, "response": {"ft": 10 + i % 7, "avg": 20}, "reaction": {"ft": 3}}
        store.add_room({"_id": rid, "t": "l", "ts": ts, "servedBy": dict(JANE), "metrics": metrics, "msgs": 0})
        for j in range(10):
            message: Doc = {"_id": f"{rid}-{j}", "rid": rid, "ts": ts, "_updatedAt": ts, "msg": "x", "u": dict(JANE)}
            if j % 2:
                message["token"] = "visitor"
            store.store_message(message, announce=False)
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        result = analytics.overview(
            store, name="Conversations", from_="2024-01-01", to="2024-03-30", department_id=None, user={}
        )
        best = min(best, time.perf_counter() - began)
    assert result is not None
    assert (result[0]["value"], result[3]["value"]) == (4000, 40000)
    assert best < 0.05
