"""Text rendering: every rule of `bot.render` as a table, including the rounding edges and Rocket.Chat's quirks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.replies.figures import (
    LABELS,
    TIME_METRICS,
    Point,
    chart_summary,
    clock,
    clock_unit,
    date_range_text,
    day_text,
    day_tick,
    delta,
    duration,
    hour_text,
    hour_tick,
    label,
    number,
    parse_hhmmss,
    percent_change,
    server_value,
    sparkline,
    table,
)

NAN = float("nan")
INF = float("inf")
HOURS = [
    f"{h % 12 or 12}{'AM' if h < 12 else 'PM'}-{(h + 1) % 12 or 12}{'PM' if 11 <= h < 23 else 'AM'}" for h in range(24)
]
BERLIN = ZoneInfo("Europe/Berlin")


def points(labels: list[str], values: list[float | None]) -> list[Point]:
    return [Point(name, value) for name, value in zip(labels, values, strict=True)]


def test_labels_are_rocket_chats_english_strings() -> None:
    assert label("Total_conversations") == "Total Conversations"
    assert label("On_Hold_conversations") == "On hold conversations"
    assert label("Avg_first_response_time") == "Average of First Response Time"
    assert label("Best_first_response_time") == "Best first response time"
    assert label("%_of_conversations") == "% of Conversations"
    assert label("Productivity") == "Productivity"
    assert label("Agent") == "Agent"
    assert label("Some_new_key") == "Some new key"
    assert len(LABELS) == 16
    assert TIME_METRICS.issubset(LABELS)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:00:00", 0.0),
        ("00:01:12", 72.0),
        ("00:00:45", 45.0),
        ("01:00:00", 3600.0),
        ("123:04:05", 123 * 3600 + 4 * 60 + 5.0),  # hours above 99 are not capped
        ("00:00:60", 60.0),  # Math.round(59.6) quirk (§3.6)
        ("00:59:60", 3600.0),
        (" 00:00:07 ", 7.0),
        ("0:5:7", 307.0),
        ("NaN:NaN:NaN", None),
        ("", None),
        ("-", None),
        ("00:60:00", None),
        ("00:00:61", None),
        ("12:34", None),
        ("-00:00:05", None),
        ("1:2:3:4", None),
        (72, None),
        (None, None),
    ],
)
def test_parse_hhmmss(text: object, seconds: float | None) -> None:
    assert parse_hhmmss(text) == seconds


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.49, "0s"),
        (0.5, "1s"),  # half up, not Python's banker's rounding
        (2.5, "3s"),
        (45, "45s"),
        (59.4, "59s"),
        (59.5, "1m 00s"),
        (59.6, "1m 00s"),  # never "60s"
        (60, "1m 00s"),
        (72, "1m 12s"),
        (65, "1m 05s"),
        (3599, "59m 59s"),
        (3599.4, "59m 59s"),
        (3599.6, "1h 00m"),  # never "60m 00s"
        (3600, "1h 00m"),
        (3629, "1h 00m"),
        (3630, "1h 01m"),
        (7380, "2h 03m"),
        (86369, "23h 59m"),
        (86370, "1d 00h"),  # never "24h 00m"
        (94200, "1d 02h"),
        (26 * 3600 + 600, "1d 02h"),
        (10 * 86400, "10d 00h"),
        (-5, "-5s"),
        (-0.2, "0s"),
        (NAN, "n/a"),
        (INF, "n/a"),
    ],
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "unit", "text"),
    [
        (0, "m:ss", "0:00"),
        (102, "m:ss", "1:42"),
        (59.6, "m:ss", "1:00"),
        (4500, "m:ss", "75:00"),
        (7380, "h:mm", "2:03"),
        (3629, "h:mm", "1:00"),
        (3630, "h:mm", "1:01"),
        (-30, "m:ss", "-0:30"),
    ],
)
def test_clock(seconds: float, unit: str, text: str) -> None:
    assert clock(seconds, unit) == text  # type: ignore[arg-type]


def test_clock_unit_switches_at_an_hour() -> None:
    assert clock_unit(0) == "m:ss"
    assert clock_unit(3599) == "m:ss"
    assert clock_unit(3600) == "h:mm"


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (42, "42"), (1234567, "1,234,567"), (6.0, "6"), (6.25, "6.2"), (NAN, "n/a")]
)
def test_number(value: float, text: str) -> None:
    assert number(value) == text


@pytest.mark.parametrize(
    ("current", "previous", "change"),
    [
        (112, 100, 12.0),
        (92, 100, -8.0),
        (0, 100, -100.0),
        (0, 0, 0.0),
        (5, 0, None),
        (50, 20, 150.0),
        (NAN, 1, None),
        (1, INF, None),
    ],
)
def test_percent_change(current: float, previous: float, change: float | None) -> None:
    assert percent_change(current, previous) == change


@pytest.mark.parametrize(
    ("current", "previous", "lower_is_better", "text"),
    [
        (112, 100, False, "▲ 12% (better)"),
        (112, 100, True, "▲ 12% (worse)"),  # a slower response time
        (92, 100, True, "▼ 8% (better)"),
        (92, 100, False, "▼ 8% (worse)"),
        (112, 100, None, "▲ 12%"),
        (100, 100, True, "= 0%"),
        (0, 0, False, "= 0%"),
        (5, 0, False, "new"),
        (5, 0, True, "new"),
        (0, 7, None, "▼ 100%"),
        (100.4, 100, True, "▲ <1% (worse)"),  # a real change never reads as none
        (99.6, 100, True, "▼ <1% (better)"),
        (100.5, 100, None, "▲ 1%"),  # half up
        (102.5, 100, None, "▲ 3%"),  # not banker's 2
        (4000, 100, None, "▲ 3,900%"),
        (NAN, 100, None, "n/a"),
    ],
)
def test_delta(current: float, previous: float, lower_is_better: bool | None, text: str) -> None:
    assert delta(current, previous, lower_is_better=lower_is_better) == text


@pytest.mark.parametrize(
    ("values", "line"),
    [
        ([], ""),
        ([0, 1, 2, 3, 4, 5, 6, 7], "▁▂▃▄▅▆▇█"),
        ([5], "▄"),
        ([5, 5, 5], "▄▄▄"),
        ([0, 0, 0], "▁▁▁"),
        ([0, 10], "▁█"),
        ([0, 0, 9, 0], "▁▁█▁"),
        ([100, 102, 98], "▅█▁"),
        ([1, NAN, 3], "▁ █"),
        ([NAN, NAN], "  "),
        ([INF, 2, 2], " ▄▄"),
        ([-3, 0, 3], "▁▅█"),  # never from Rocket.Chat; must not crash
        ([1e-300, 2e-300], "▁█"),
    ],
)
def test_sparkline(values: list[float], line: str) -> None:
    assert sparkline(values) == line


def test_sparkline_has_one_bar_per_value() -> None:
    values = [float(v % 13) for v in range(90)]
    assert len(sparkline(values)) == 90


def test_sparkline_of_the_largest_finite_floats() -> None:
    """Their span (1e308 - -1e308) is infinite as a float; the scale must not divide by it."""
    assert sparkline([1e308, -1e308, 0.0]) == "█▁▅"
    assert sparkline([5e-324, 0.0]) == "█▁"  # the smallest span there is


FINITE = st.floats(allow_nan=False, allow_infinity=False)


@given(st.lists(FINITE, max_size=40))
def test_sparkline_takes_any_finite_floats(values: list[float]) -> None:
    line = sparkline(values)
    assert len(line) == len(values) and set(line) <= set("▁▂▃▄▅▆▇█")
    if values and min(values) != max(values):
        assert line[values.index(max(values))] == "█" and line[values.index(min(values))] == "▁"


@given(FINITE, FINITE)
def test_changes_and_readings_take_any_finite_floats(current: float, previous: float) -> None:
    """Server figures are bounded at the REST boundary; rendering must still never raise on a finite float."""
    assert delta(current, previous, lower_is_better=True)
    assert duration(current) and number(current) and clock(current, "h:mm")


@given(
    st.lists(FINITE | st.none(), min_size=1, max_size=30),
    st.sampled_from(["Total_conversations", "Avg_response_time", "Best_first_response_time"]),
)
def test_chart_summary_takes_any_finite_floats_and_gaps(values: list[float | None], name: str) -> None:
    summary = chart_summary(name, points([f"{i + 1} Mar" for i in range(len(values))], values), per="day")
    assert summary.text()


def test_chart_summary_of_the_largest_floats() -> None:
    """Three times the largest float, each divided by 3, still passes the float range inside `fsum`."""
    top = 1.7976931348623157e308
    days = ["9 Mar", "10 Mar", "11 Mar"]
    assert chart_summary("Total_conversations", points(days, [top] * 3), per="day").text()
    assert chart_summary("Avg_chat_duration", points(days, [top] * 3), per="day").text()


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("2PM - 3PM", "2PM - 3PM"),
        ("1PM- 2PM", "1PM - 2PM"),  # before 6.6
        ("11PM - 12AM", "11PM - 12AM"),
        ("-", "-"),
        ("- -", "-"),  # none, before 6.6
        ("Tuesday", "Tuesday"),
        ("6.00", "6.00"),
        ("71.43%", "71.43%"),
        ("Dienstag", None),  # the server's language: echoed by the caller
        ("@all", None),
        ("2PM - 3PM @all", None),
        ("*bold*", None),
        (42, None),
        (None, None),
    ],
)
def test_server_values_the_bot_can_write_itself(value: object, written: str | None) -> None:
    assert server_value(value) == written


def test_table_is_a_code_block_with_right_aligned_quantities() -> None:
    text = table(
        ["Agent", "% of Conversations", "Busiest"],
        [["jane", "71.43%", "2PM - 3PM"], ["john", "8.57%", "-"]],
    )
    assert text == (
        "```\n"
        "Agent  % of Conversations  Busiest\n"
        "-----  ------------------  ---------\n"
        "jane               71.43%  2PM - 3PM\n"
        "john                8.57%  -\n"
        "```"
    )


@pytest.mark.parametrize(
    ("column", "how"),
    [
        (["42", "1,234"], "r"),
        (["6.00", "0.00"], "r"),
        (["00:01:12", "123:00:00"], "r"),
        (["1m 05s", "45s"], "r"),
        (["▲ 12% (better)", "= 0%"], "r"),
        (["▲ <1% (worse)", "new"], "r"),
        (["-", "3"], "r"),
        (["-", "-"], "l"),
        (["Tuesday", "3"], "l"),
        (["3/9", "3/10"], "l"),
        (["2PM - 3PM", "-"], "l"),
    ],
)
def test_table_alignment_is_guessed_from_the_cells(column: list[str], how: str) -> None:
    text = table(["X"], [[c] for c in column]).splitlines()[1:-1]
    width = max(len(line) for line in text)
    rows = text[2:]
    if how == "r":
        assert all(len(line) == width for line in rows)
    else:
        assert all(line == line.rstrip() and line == cell for line, cell in zip(rows, column, strict=True))


def test_table_explicit_alignment_and_truncation() -> None:
    text = table(["Name", "N"], [["a" * 40, "1"]], align=["r", "l"], max_cell=10)
    assert text.splitlines()[1:-1] == ["      Name  N", "----------  -", "aaaaaaaaa…  1"]


def test_table_max_rows_says_how_many_were_left_out() -> None:
    rows = [[f"agent{i}", str(i)] for i in range(12)]
    lines = table(["Agent", "Chats"], rows, max_rows=10).splitlines()
    assert lines[-2] == "… and 2 more"
    assert lines[-3].startswith("agent9")
    assert "agent10" not in "\n".join(lines)
    assert table(["A"], [["x"]], max_rows=1).count("more") == 0
    assert table(["A"], [["x"]], max_rows=0).splitlines()[-2] == "… and 1 more"


def test_table_cells_stay_on_one_line_and_cannot_close_the_block() -> None:
    text = table(["Department"], [["Sales\nEMEA"], ["```oops"]])
    assert "Sales EMEA" in text
    assert text.count("```") == 2


def test_table_measures_wide_characters_as_two_columns() -> None:
    lines = table(["Agent", "N"], [["李小龙", "1"], ["bob", "22"]]).splitlines()
    assert lines[3] == "李小龙   1"
    assert lines[4] == "bob     22"


def test_table_rejects_ragged_rows_and_bad_alignment() -> None:
    with pytest.raises(ValueError, match="one cell per header"):
        table(["A", "B"], [["1"]])
    with pytest.raises(ValueError, match="align"):
        table(["A"], [["1"]], align=["c"])


def test_table_with_headers_only() -> None:
    assert table(["Agent", "N"], []) == "```\nAgent  N\n-----  -\n```"


@pytest.mark.parametrize(
    ("start", "end", "tz", "text"),
    [
        (date(2026, 11, 18), date(2026, 11, 18), "Europe/Berlin", "Wed 18 Nov 2026, Europe/Berlin"),
        (date(2026, 11, 9), date(2026, 11, 15), "Europe/Berlin", "Mon 9 – Sun 15 Nov 2026, Europe/Berlin"),
        (date(2026, 10, 26), date(2026, 11, 1), "UTC", "Mon 26 Oct – Sun 1 Nov 2026, UTC"),
        (date(2026, 12, 30), date(2027, 1, 1), "UTC", "Wed 30 Dec 2026 – Fri 1 Jan 2027, UTC"),
        (date(2026, 11, 1), date(2026, 11, 30), "", "Sun 1 – Mon 30 Nov 2026"),
        (date(2026, 1, 1), date(2026, 12, 31), "Asia/Tokyo", "Thu 1 Jan – Thu 31 Dec 2026, Asia/Tokyo"),
        (date(2025, 11, 18), date(2026, 11, 18), "UTC", "Tue 18 Nov 2025 – Wed 18 Nov 2026, UTC"),
    ],
)
def test_date_range_text(start: date, end: date, tz: str, text: str) -> None:
    assert date_range_text(start, end, tz) == text


def test_date_range_text_refuses_a_reversed_range() -> None:
    with pytest.raises(ValueError, match="after it ends"):
        date_range_text(date(2026, 11, 2), date(2026, 11, 1), "UTC")


def test_chart_summary_of_counts() -> None:
    summary = chart_summary(
        "Total_conversations", points(["Mon 9 Mar", "Tue 10 Mar", "Wed 11 Mar", "Thu 12 Mar"], [6, 0, 7, 7]), per="day"
    )
    assert summary.title == "Total Conversations"
    assert (summary.total, summary.average, summary.buckets, summary.per) == (20, 5.0, 4, "day")
    assert summary.low == (0, "Tue 10 Mar")
    assert summary.high == (7, "Wed 11 Mar")  # ties go to the first bucket
    assert summary.empty == 0
    assert summary.text() == "total 20 · avg 5 per day · max 7 (Wed 11 Mar) · min 0 (Tue 10 Mar)"


def test_a_running_bucket_counts_in_the_total_only() -> None:
    """Half an hour is no quiet hour: the hour still running is stated on its own, not averaged or ranked."""
    hours = [*points(HOURS[:3], [2, 4, 3]), Point(HOURS[3], 0, so_far=True)]
    assert chart_summary("Total_conversations", hours, per="hour").text() == (
        "total 9 · avg 3 per hour · max 4 (1AM-2AM) · min 2 (12AM-1AM) · 3AM-4AM so far: 0"
    )
    alone = chart_summary("Total_conversations", [Point(HOURS[0], 2, so_far=True)], per="hour")
    assert alone.text() == "2 (12AM-1AM so far)"


def test_chart_summary_of_times_skips_gaps() -> None:
    values: list[float | None] = [None] * 24
    values[9], values[14], values[15] = 45.0, 130.5, 72.0
    summary = chart_summary("Avg_first_response_time", points(HOURS, values), per="hour", average=70.0)
    assert summary.total is None
    assert summary.low == (45.0, "9AM-10AM")
    assert summary.high == (130.5, "2PM-3PM")
    assert summary.empty == 21
    assert summary.text() == "avg 1m 10s · max 2m 11s (2PM-3PM) · min 45s (9AM-10AM) · no data on 21 of 24 hours"


def test_a_mean_of_buckets_is_called_so() -> None:
    """Without Rocket.Chat's own average (chat duration), the plain mean of the days says what it is."""
    summary = chart_summary("Avg_chat_duration", points(["Mon 9 Mar", "Tue 10 Mar"], [300.0, 600.0]), per="day")
    assert summary.text() == "mean of daily averages 7m 30s · max 10m 00s (Tue 10 Mar) · min 5m 00s (Mon 9 Mar)"
    assert summary.average == pytest.approx(450.0)


def test_the_best_of_a_period_is_its_lowest_bucket() -> None:
    summary = chart_summary("Best_first_response_time", points(HOURS[:3], [40.0, None, 12.0]), per="hour")
    assert summary.text() == "best 12s (2AM-3AM) · slowest hourly best 40s (12AM-1AM) · no data on 1 of 3 hours"


def test_one_value_is_stated_once() -> None:
    summary = chart_summary("Avg_reaction_time", points(["Mon 9 Mar", "Tue 10 Mar"], [None, 8.0]), per="day", average=8)
    assert summary.text() == "8s (Tue 10 Mar, the only day with data) · no data on 1 of 2 days"


def test_chart_summary_without_data() -> None:
    assert chart_summary("Avg_reaction_time", points(["Mon 9 Mar"], [None]), per="day").text() == "no data"
    assert chart_summary("Total_messages", [], per="day").text() == "no data"
    zeros = chart_summary("Total_messages", points(["Mon 9 Mar", "Tue 10 Mar"], [0, 0]), per="day")
    assert zeros.text() == "total 0 · avg 0 per day · max 0 (Mon 9 Mar) · min 0 (Mon 9 Mar)"


def test_chart_summary_average_of_counts_has_one_decimal() -> None:
    text = chart_summary("Total_conversations", points(["1 Jan", "2 Jan", "3 Jan"], [1, 2, 2]), per="day").text()
    assert "avg 1.7 per day" in text


def test_a_bucket_is_an_hour_or_a_day() -> None:
    with pytest.raises(ValueError, match="an hour or a day"):
        chart_summary("Total_messages", [], per="week")


@pytest.mark.parametrize(
    ("start", "text", "tick"),
    [
        (datetime(2024, 3, 5, 0, tzinfo=UTC), "12AM-1AM", "12AM"),
        (datetime(2024, 3, 5, 11, tzinfo=UTC), "11AM-12PM", "11AM"),
        (datetime(2024, 3, 5, 23, tzinfo=UTC), "11PM-12AM", "11PM"),
        (datetime(2026, 3, 29, 1, tzinfo=BERLIN), "1AM-3AM", "1AM"),  # spring forward: the next hour is 3AM
        (datetime(2026, 10, 25, 2, tzinfo=BERLIN), "2AM-2AM", "2AM"),  # fall back: 2AM twice
    ],
)
def test_hours_are_named_as_the_clock_reads_them(start: datetime, text: str, tick: str) -> None:
    assert (hour_text(start), hour_tick(start)) == (text, tick)


def test_days_are_named_as_the_replies_write_them() -> None:
    assert (day_text(date(2026, 11, 17)), day_tick(date(2026, 11, 17))) == ("Tue 17 Nov", "17 Nov")


def test_nothing_rendered_here_mentions_anyone() -> None:
    texts = [
        table(["Agent"], [["jane"]]),
        date_range_text(date(2026, 1, 1), date(2026, 1, 2), "UTC"),
        chart_summary("Total_messages", points(["Mon 9 Mar"], [3]), per="day").text(),
        delta(1, 2, lower_is_better=True),
    ]
    assert not any("@" in t for t in texts)
