"""`!export` as people type it: every mistake answered with what was wrong, what would be right and the usage;
who may export what; and the chart and agent files holding exactly what `!chart` and `!agents` show."""

from __future__ import annotations

import pytest

from bot.commands.export import NOT_SET_UP, REFUSAL, parse_export
from bot.commands.router import Invocation
from bot.dates.grammar import parse_range
from bot.errors import BadArgument
from bot.runtime.dispatch import REFUSAL as ANALYTICS_REFUSAL
from tests.exports.harness import MANAGER, NOW, TZ, demo_workspace, exporting, read_table

pytestmark = pytest.mark.anyio

USAGE = "Usage: `!export conversations|chart NAME|agents NAME [RANGE] [dept=NAME] [agent=USERNAME] [xlsx]`"


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (
            "!export",
            "What should I export? `conversations`, `chart NAME` or `agents NAME`, "
            "e.g. `!export conversations last month`.",
        ),
        ("!export conversatons last month", "I can't export `conversatons`. Did you mean `conversations`? I export"),
        (
            "!export conversations last month dep=Sales",
            "Unknown option `dep=`. Did you mean `dept=`? Options here: `dept=`, `agent=`.",
        ),
        ("!export conversations last month dept=", "`dept=` needs a value, e.g. `dept=Sales` or `agent=jane`."),
        ("!export conversations dept=Sales dept=Billing", "`dept=` is given twice; give it once."),
        ("!export conversations last month csv xlsx", "Give one file format: `csv` (the default) or `xlsx`."),
        ("!export chart", "Which chart? Name one of"),
        ("!export chart speed last month", "I don't know the chart"),
        (
            "!export chart frt last month agent=jane",
            "`agent=` narrows `export conversations` only; a chart or agent table",
        ),
        ("!export conversations next week", "is in the future"),
    ],
)
async def test_each_mistake_gets_a_specific_answer_and_the_usage(command: str, answer: str) -> None:
    async with exporting(demo_workspace(days=3)) as exporter:
        text = await exporter.say(command)
        files = exporter.files()
    assert text.startswith(answer) or answer in text, text
    assert text.endswith(USAGE + "\nExamples: `!export conversations last month`, `!export conversations last week "
                         "dept=Sales xlsx`, `!export chart frt last 30 days`, `!export agents response time this month "
                         "dept=Support`")  # fmt: skip
    assert files == []


def test_words_in_any_order_and_the_usual_spellings() -> None:
    request = parse_export('Excel dept="Customer Success" conversations last week agent=@jane')
    assert (request.what, request.range_text, request.dept, request.agent, request.fmt) == (
        "conversations", "last week", "Customer Success", "@jane", "xlsx"
    )  # fmt: skip
    chart = parse_export("graph response time last 30 days")
    assert (chart.what, chart.metric and chart.metric.name, chart.range_text, chart.fmt) == (
        "chart", "Avg_response_time", "last 30 days", "csv"
    )  # fmt: skip


async def test_someone_without_analytics_gets_the_refusal_and_no_file() -> None:
    async with exporting(demo_workspace(days=3)) as exporter:
        text = await exporter.say("!export conversations yesterday", asker="olivia.user")
        files = exporter.files()
    assert text == ANALYTICS_REFUSAL and files == []


async def test_conversations_need_view_livechat_rooms_charts_do_not() -> None:
    document = demo_workspace(
        days=10,
        Sandbox_Permissions={"view-livechat-rooms": ["admin", "bot"], "view-full-other-user-info": ["admin", "bot"]},
    )
    async with exporting(document) as exporter:
        refused = await exporter.say("!export conversations yesterday")
        chart = await exporter.say("!export chart frt last 7 days")
        admin = await exporter.say("!export conversations yesterday", asker="admin")
        files = [name for name, _ in exporter.files()]
    assert refused == REFUSAL
    assert "in `avg-first-response-time-2026-11-11-2026-11-17.csv`" in chart
    assert "one row each" in admin
    assert files == ["avg-first-response-time-2026-11-11-2026-11-17.csv", "conversations-2026-11-17-2026-11-17.csv"]


async def test_a_chart_export_holds_the_series_of_the_reply() -> None:
    async with exporting() as exporter:
        rng = parse_range("last 7 days", now=NOW, tz=TZ)
        department = await exporter.services.analytics.department("Support")
        metric = parse_export("chart chat duration").metric
        assert metric is not None
        report = await exporter.services.analytics.chart(metric, rng, department)
        text = await exporter.say("!export chart chat duration last 7 days dept=Support xlsx")
        table = read_table(*exporter.files()[0])
    assert text.startswith("*Export: Average of Chat Duration* · last 7 days: Wed 11 – Tue 17 Nov 2026, Europe/Berlin")
    assert table[0] == ["Day", "Date", "Average of Chat Duration (s)"]
    assert [row[0] for row in table[1:]] == [bucket.label for bucket in report.buckets]  # the reply's names
    assert [row[2] for row in table[1:]] == [
        "" if bucket.value is None else pytest.approx(bucket.value) for bucket in report.buckets
    ]  # a day without data is an empty cell, not 0
    assert {row[1] for row in table[1:]} >= {f"2026-11-{d}" for d in range(11, 18)}


async def test_an_agents_export_is_ranked_as_the_reply() -> None:
    async with exporting() as exporter:
        reply = await exporter.say("!agents frt last month")
        await exporter.say("!export agents frt last month")
        table = read_table(*exporter.files()[0])
    assert table[0] == ["Rank", "Agent", "Average of First Response Time (s)", "As Rocket.Chat shows it"]
    order = [row[1] for row in table[1:]]
    assert [reply.index(agent) for agent in order] == sorted(reply.index(agent) for agent in order)
    assert [float(row[2]) for row in table[1:]] == sorted(float(row[2]) for row in table[1:])  # fastest first


async def test_without_its_tools_the_command_says_exports_are_not_set_up() -> None:
    async with exporting(demo_workspace(days=3)) as exporter:
        del exporter.services.exports  # type: ignore[attr-defined]
        text = await exporter.say("!export conversations yesterday")
    assert text == NOT_SET_UP


async def test_from_the_command_line_ask_points_to_the_export_command() -> None:
    async with exporting(demo_workspace(days=3)) as exporter:
        spec, args = exporter.dispatcher.router.resolve("export conversations yesterday")
        del exporter.services.exports  # type: ignore[attr-defined]  # as `ask` builds its services
        with pytest.raises(BadArgument, match='use `analytics-bot export conversations --range "last month" -o FILE`'):
            await spec.handler(Invocation(spec.name, args, MANAGER, "", NOW, exporter.services))
