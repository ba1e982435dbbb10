"""`!export chart`: the file holds the series the `!chart` reply describes, bucket for bucket. Its buckets are
named as the reply names them ("Mon 16 Nov", "2PM-3PM", not Rocket.Chat's "11/16"), a bucket where a time metric
has no data is an empty cell (the reply's "no data on 5 of 8 days"), not 0 (which would read as instant replies),
and each row says which day, or which hour in the bot's zone, it is, in a form a spreadsheet sorts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.analytics.metrics import METRICS
from bot.analytics.service import ChartReport
from bot.dates.grammar import DateRange
from bot.exports.table import chart_table
from bot.exports.writers import to_csv
from bot.replies.figures import Point, day_text
from bot.replies.markup import echo
from tests.exports.harness import demo_workspace, exporting, read_table

pytestmark = pytest.mark.anyio

FRT = "Average of First Response Time (s)"


async def reply_and_file(chart: str, *, fmt: str = "") -> tuple[str, list[list[Any]]]:
    """What `!chart <chart>` answers, and the table of the file `!export chart <chart>` posts (3 days of data)."""
    async with exporting(demo_workspace(days=3)) as exporter:
        reply = await exporter.say(f"!chart {chart}")
        await exporter.say(f"!export chart {chart} {fmt}".rstrip())
        ((name, data),) = exporter.files()
    return reply, read_table(name, data)


async def test_days_are_named_as_the_reply_names_them_and_days_without_data_are_empty() -> None:
    reply, table = await reply_and_file("frt last 7 days")
    assert "max 1m 13s (Mon 16 Nov) · min 51s (Sun 15 Nov) · no data on 5 of 8 days" in reply
    assert table == [
        ["Day", "Date", FRT],
        ["Tue 10 Nov", "2026-11-10", ""],  # buckets follow UTC days: the first is the day before the range
        ["Wed 11 Nov", "2026-11-11", ""],
        ["Thu 12 Nov", "2026-11-12", ""],
        ["Fri 13 Nov", "2026-11-13", ""],
        ["Sat 14 Nov", "2026-11-14", ""],
        ["Sun 15 Nov", "2026-11-15", "50.96"],
        ["Mon 16 Nov", "2026-11-16", "73.1"],
        ["Tue 17 Nov", "2026-11-17", "61.84"],
    ]


async def test_an_excel_file_has_the_same_cells_with_gaps_left_blank() -> None:
    _, table = await reply_and_file("frt last 7 days", fmt="xlsx")
    assert table[0] == ["Day", "Date", FRT]
    assert table[1] == ["Tue 10 Nov", "2026-11-10", ""]
    assert table[-1] == ["Tue 17 Nov", "2026-11-17", pytest.approx(61.84)]


async def test_hours_are_named_as_the_reply_with_their_start_in_the_bot_zone() -> None:
    reply, table = await reply_and_file("frt yesterday")
    assert "max 1m 50s (2PM-3PM) · min 28s (7PM-8PM) · no data on 11 of 24 hours" in reply
    assert table[0] == ["Hour", "Start (Europe/Berlin)", FRT]
    assert table[1:4] == [
        ["12AM-1AM", "2026-11-17T00:00:00+01:00", "56.43"],
        ["1AM-2AM", "2026-11-17T01:00:00+01:00", ""],
        ["2AM-3AM", "2026-11-17T02:00:00+01:00", ""],
    ]
    assert table[15] == ["2PM-3PM", "2026-11-17T14:00:00+01:00", "109.96"]
    assert table[-1] == ["11PM-12AM", "2026-11-17T23:00:00+01:00", ""]
    assert sum(row[2] == "" for row in table[1:]) == 11


async def test_today_stops_at_the_running_hour_and_an_empty_count_is_zero() -> None:
    reply, table = await reply_and_file("conversations today")
    assert "min 0 (12AM-1AM) · 10AM-11AM so far: 0" in reply
    assert table[0] == ["Hour", "Start (Europe/Berlin)", "Total Conversations"]
    assert table[1] == ["12AM-1AM", "2026-11-18T00:00:00+01:00", "0"]
    assert table[-1] == ["10AM-11AM", "2026-11-18T10:00:00+01:00", "0"]  # no rows for hours still to come
    assert len(table) == 1 + 11


async def test_on_the_day_clocks_go_forward_the_two_hours_named_12am_are_told_apart_by_their_start() -> None:
    """Rocket.Chat's 24 hourly buckets run from local midnight, so on a 23-hour day the last one is the next
    day's first hour: the reply names both "12AM-1AM", the start says which is which."""
    _, table = await reply_and_file("conversations 2026-03-29")
    rows = table[1:]
    assert rows[:3] == [
        ["12AM-1AM", "2026-03-29T00:00:00+01:00", "0"],
        ["1AM-3AM", "2026-03-29T01:00:00+01:00", "0"],
        ["3AM-4AM", "2026-03-29T03:00:00+02:00", "0"],
    ]
    assert rows[-1] == ["12AM-1AM", "2026-03-30T00:00:00+02:00", "0"]
    assert len(rows) == 24 and len({row[1] for row in rows}) == 24


def test_a_label_that_names_no_day_is_exported_as_the_server_wrote_it_and_cannot_become_a_formula() -> None:
    """A server's label that is no "M/D" is named in the reply as typed (a code span); the file has its text,
    neutralised like every text cell, beside no date."""
    metric = next(m for m in METRICS if m.name == "Total_conversations")
    week = DateRange(date(2026, 11, 16), date(2026, 11, 17), "Mon 16 – Tue 17 Nov 2026")
    report = ChartReport(
        metric, week, None, ["=1+1", "11/17"], [3.0, 4.0], 7, datetime(2026, 11, 18, tzinfo=UTC),
        [Point(echo("=1+1", limit=20), 3.0), Point(day_text(date(2026, 11, 17)), 4.0)], False, None,
    )  # fmt: skip
    assert to_csv(chart_table(report), "Europe/Berlin").decode("utf-8-sig").splitlines() == [
        "Day,Date,Total Conversations",
        "'=1+1,,3",
        "Tue 17 Nov,2026-11-17,4",
    ]
