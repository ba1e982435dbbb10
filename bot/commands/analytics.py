"""`!overview`, `!chart`, `!agents`, `!departments`: parse, ask the service, render a reply.

Every reply echoes what was resolved (range label, dates, time zone, department), how many
conversations the figures rest on and when they were read ("as of 10:42": answers are shared between
askers and kept briefly), so nobody misreads a number. Names and values from the server are echoed
(`echo` in prose, `cell` in tables) unless the bot has read them as a number, weekday or hour
(`server_value`); range labels are the date grammar's own words and need no echo.
Chart pictures are drawn on chart threads (`bot.replies.pictures`), never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.analytics.live import PeriodFigures, Unavailable, live_for
from bot.analytics.metrics import Metric, split_metric
from bot.analytics.service import (
    AgentsReport,
    AnalyticsService,
    ChartReport,
    Department,
    OverviewReport,
    as_of_text,
)
from bot.commands.args import parse_arguments
from bot.commands.help import add_details
from bot.commands.router import Invocation, Picture, Reply, Router
from bot.config import Settings
from bot.dates.grammar import DateRange, default_range, parse_range
from bot.errors import BadArgument
from bot.exports.buttons import follow_up_attachments
from bot.replies.figures import (
    DIRECTIONS,
    TIME_METRICS,
    change,
    chart_summary,
    date_range_text,
    day_text,
    days_text,
    duration,
    label,
    number,
    parse_hhmmss,
    server_value,
    sparkline,
    table,
)
from bot.replies.markup import cell, code, echo
from bot.replies.pictures import ChartsUnavailable, charts_available, render_chart_async

log = logging.getLogger(__name__)

SECTIONS = {
    "conversations": "Conversations",
    "conversation": "Conversations",
    "conv": "Conversations",
    "productivity": "Productivity",
    "prod": "Productivity",
}


@dataclass
class Services:
    analytics: AnalyticsService
    settings: Settings
    clock: Callable[[], datetime]
    pictures: bool = True  # render chart PNGs when the [charts] extra is installed
    digests: Any = None  # bot.digests.Digests once the state file is open (commands/digest.py)
    exports: Any = None  # bot.commands.export.ExportTools (REST client, view-livechat-rooms check, [exports])


def services_of(invocation: Invocation) -> Services:
    services = invocation.services
    assert isinstance(services, Services), "app.py wires Services into every invocation"
    return services


def resolve_range(services: Services, command: str, text: str) -> DateRange:
    settings = services.settings
    options: dict[str, Any] = {
        "now": services.clock(),
        "tz": settings.timezone,
        "week_start": settings.week_start,
        "date_order": settings.date_order,
        "max_days": settings.max_days,
    }
    if not text.strip():
        return default_range(command, defaults=dict(settings.default_ranges), **options)
    return parse_range(text, **options)


def heading(title: str, rng: DateRange, tz: str, department: Department | None) -> str:
    where = f" · department {echo(department.name, limit=60)}" if department else ""
    return f"*{title}* · {rng.label}: {date_range_text(rng.start, rng.end, tz)}{where}"


def based_on(count: int, as_of: datetime, tz: str) -> str:
    """The last line of a reply with figures: what they rest on and when they were read."""
    if count == 0:
        rests = "No conversations in this period."
    else:
        rests = f"Based on {number(count)} conversation{'s' if count != 1 else ''}."
    return f"{rests} Figures {as_of_text(as_of, tz)}."


NO_DATA = "no data"
NO_CHARTS = "\n(No picture: the bot's server lacks the [charts] extra — an admin can install it.)"


def show_value(key: str, value: Any) -> str:
    if key in TIME_METRICS:
        # Rocket.Chat answers "00:00:00" when no conversation has the metric: that is no data, not 0 s.
        seconds = parse_hhmmss(value)
        if seconds is None:
            return echo(str(value), limit=20)
        return duration(seconds) if seconds > 0 else NO_DATA
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    return server_value(value) or echo(str(value), limit=40)


def comparison_text(report: OverviewReport) -> str:
    """What the changes are against, and, for a range that runs until now, how they were kept fair."""
    c = report.comparison
    b = c.baseline
    text = f"Changes against {date_range_text(b.range.start, b.range.end, '')} ({b.why})."
    if b.until is None:
        return text
    whole = " with ".join(days_text(r.start, r.end) for r in c.whole) if c.whole else ""
    if c.counted_until is not None:
        today, other = day_text(report.range.end), day_text(b.range.end)
        counted = f"conversations are counted until {c.counted_until:02d}:00 on {today} and on {other}"
        rest = f"the other figures compare {whole}" if c.whole else "the other figures have no fair comparison yet"
        return f"{text} Today is in progress: {counted}; {rest}."
    if c.whole:
        return f"{text} Today is in progress, so the changes compare {whole}."
    return f"{text} Today is in progress: no fair comparison yet."


OVERVIEW_DETAILS = "\n".join(
    (
        "The *Real-time Monitoring* lines (whole overviews only) say what they measure:",
        "• Queue wait: from queued to taken, for the period's chats that were taken (a transferred chat: until the "
        'transfer). Rocket.Chat\'s "Average of waiting time" is a first-response average, so it is not shown.',
        "• Abandoned: chats an agent closed after the visitor stayed silent past the inactivity timeout (1 h by "
        "default), as a share of the period's conversations.",
        "• Visitors active: visitors whose record changed in the period (Rocket.Chat's Total_visitors), not new "
        "visitors.",
        "• Chat duration: closed chats only; the longest first response is of all the period's chats.",
        "• Agents: time available for chats (for one day only: Rocket.Chat gives it per day), and service time, "
        "from taking a chat to the last agent reply (a mean of department means).",
    )
)


def render_overview(report: OverviewReport, tz: str, live: PeriodFigures | Unavailable | None = None) -> str:
    lines = [heading("Omnichannel overview", report.range, tz, report.department), comparison_text(report)]
    running = report.comparison.baseline.until is not None
    for section, figures in report.sections.items():
        lines.append(f"*{label(section)}*")
        for key, value in figures.values.items():
            line = f"• {label(key)}: {show_value(key, value)}"
            pair = report.comparison.pairs.get(key)
            shown = change(key, *pair) if pair else None
            if shown:
                line += f"  {shown}"
            elif pair is None and running and key in DIRECTIONS:
                line += "  (day in progress)"
            lines.append(line)
    as_of = report.as_of
    if isinstance(live, PeriodFigures):  # queue wait, abandoned, visitors, longest times, agents' time
        lines.append("*Real-time Monitoring*")
        lines += live.lines()
        as_of = min(as_of, live.as_of)
    lines.append(based_on(report.conversations, as_of, tz))
    return "\n".join(lines)


def chart_has_data(report: ChartReport) -> bool:
    """Whether there is anything to draw: a range without conversations, or a time metric without a value in
    any bucket, gets a sentence saying so instead of a flat picture at zero."""
    return report.conversations > 0 and any(b.value is not None for b in report.buckets)


def render_chart(report: ChartReport, tz: str) -> str:
    lines = [heading(label(report.metric.name), report.range, tz, report.department)]
    if not chart_has_data(report):
        lines.append("Nothing to chart in this period, so no picture.")
    else:
        summary = chart_summary(
            report.metric.name, report.buckets, per="hour" if report.hourly else "day", average=report.average
        )
        spark = sparkline([math.nan if b.value is None else b.value for b in report.buckets])
        lines.append(code(spark) + "  " + summary.text())
    lines.append(based_on(report.conversations, report.as_of, tz))
    return "\n".join(lines)


def picture_name(report: ChartReport) -> str:
    """The PNG's file name: the chart, the department and the days, so charts of the same range for two
    departments (saved side by side in the demo's picture folder) never overwrite each other."""
    parts = [report.metric.name.lower()]
    if report.department is not None:
        slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", report.department.name).lower()).strip("-")
        parts.append(slug or re.sub(r"[^A-Za-z0-9]+", "-", report.department.id).strip("-") or "department")
    parts += [report.range.start.isoformat(), report.range.end.isoformat()]
    return "-".join(parts) + ".png"


def render_agents(report: AgentsReport, tz: str) -> str:
    lines = [heading(f"{label(report.metric.name)} by agent", report.range, tz, report.department)]
    if not report.rows:
        lines.append("No agent has figures in this period.")
    else:
        lines.append(f"Ranked {report.order}.")
        rows = []
        for rank, row in enumerate(report.rows, start=1):
            shown = duration(row.value) if report.metric.is_time and row.value is not None else row.shown
            rows.append([str(rank), cell(row.agent, limit=30), server_value(shown) or cell(shown, limit=20)])
        lines.append(table(["#", label("Agent"), label(report.column)], rows, max_rows=40))
    lines.append(based_on(report.conversations, report.as_of, tz))
    return "\n".join(lines)


async def metric_query(invocation: Invocation, command: str) -> tuple[Services, Metric, DateRange, Department | None]:
    """`NAME [RANGE] [dept=NAME]`, shared by !chart and !agents."""
    services = services_of(invocation)
    args = parse_arguments(invocation.args)
    metric, rest = split_metric(list(args.words))
    rng = resolve_range(services, command, " ".join(rest))
    department = await services.analytics.department(args.options.get("dept"))
    return services, metric, rng, department


def buttons(
    services: Services,
    prefix: str,
    kind: Literal["overview", "chart", "agents"],
    rng: DateRange,
    department: Department | None,
    metric: Metric | None = None,
    sections: tuple[str, ...] = ("Conversations", "Productivity"),
) -> tuple[dict[str, Any], ...]:
    """The reply's follow-up buttons ("By agent", "Previous period", "As chart", "Export CSV"); none when
    `[bot] buttons = false`."""
    if not services.settings.buttons:
        return ()
    found = follow_up_attachments(kind, prefix=prefix, rng=rng, department=department, metric=metric, sections=sections)
    return tuple(found)


def register_analytics(router: Router) -> None:
    p = router.prefix
    add_details("overview", OVERVIEW_DETAILS)

    @router.command(
        "overview",
        summary="conversations and productivity, each with its change against a like period",
        usage="overview [conversations|productivity] [RANGE] [dept=NAME]",
        examples=("overview", "overview last week", "overview productivity this month dept=Sales"),
        aliases=("ov", "stats"),
    )
    async def overview(invocation: Invocation) -> Reply:
        services = services_of(invocation)
        args = parse_arguments(invocation.args)
        words = list(args.words)
        sections: tuple[str, ...] = ("Conversations", "Productivity")
        if words and words[0].lower() in SECTIONS:
            sections = (SECTIONS[words.pop(0).lower()],)
        rng = resolve_range(services, "overview", " ".join(words))
        department = await services.analytics.department(args.options.get("dept"))
        follow_ups = buttons(services, p, "overview", rng, department, sections=sections)
        if len(sections) == 1:
            report = await services.analytics.overview(sections, rng, department)
            return Reply(render_overview(report, services.settings.timezone), data=report, attachments=follow_ups)
        report, live = await asyncio.gather(
            services.analytics.overview(sections, rng, department),
            live_for(services.analytics).period(rng, department),
        )
        text = render_overview(report, services.settings.timezone, live)
        return Reply(text, data=report, attachments=follow_ups)

    @router.command(
        "chart",
        summary="one metric over time: summary, sparkline and a picture",
        usage="chart NAME [RANGE] [dept=NAME]",
        examples=("chart Avg_response_time", "chart frt last 30 days dept=Sales", "chart conversations yesterday"),
        aliases=("graph",),
    )
    async def chart(invocation: Invocation) -> Reply:
        services, metric, rng, department = await metric_query(invocation, "chart")
        report = await services.analytics.chart(metric, rng, department)
        text = render_chart(report, services.settings.timezone)
        follow_ups = buttons(services, p, "chart", rng, department, metric)
        pictures: tuple[Picture, ...] = ()
        if not services.pictures or not chart_has_data(report):
            return Reply(text, data=report, attachments=follow_ups)
        if not charts_available():
            text += NO_CHARTS
        else:
            subtitle = date_range_text(rng.start, rng.end, services.settings.timezone)
            if department is not None:
                subtitle += f" · {department.name}"  # a picture is no message: nothing in it can mention anyone
            running = next((i for i, b in enumerate(report.buckets) if b.so_far), None) if not metric.is_time else None
            if running is not None:
                subtitle += f" · {report.buckets[running].tick} so far (pale)"
            try:
                data = await render_chart_async(
                    metric.name,
                    [b.tick for b in report.buckets],
                    [b.value for b in report.buckets],
                    is_time=metric.is_time,
                    subtitle=subtitle,
                    running=running,
                )
            except ChartsUnavailable as exc:  # the package is there but does not import
                log.warning("no chart picture: %s (%s)", exc, exc.__cause__)
                return Reply(text + NO_CHARTS, data=report, attachments=follow_ups)
            where = f" · department {echo(department.name, limit=60)}" if department is not None else ""
            description = f"{label(metric.name)}, {date_range_text(rng.start, rng.end, services.settings.timezone)}"
            pictures = (Picture(picture_name(report), data, description=description + where),)
        return Reply(text, pictures=pictures, data=report, attachments=follow_ups)

    @router.command(
        "agents",
        summary="one metric per agent, ranked",
        usage="agents NAME [RANGE] [dept=NAME]",
        examples=("agents frt", "agents conversations last month", "agents response time this week dept=Support"),
        aliases=("agent",),
    )
    async def agents(invocation: Invocation) -> Reply:
        services, metric, rng, department = await metric_query(invocation, "agents")
        report = await services.analytics.agents(metric, rng, department)
        follow_ups = buttons(services, p, "agents", rng, department, metric)
        return Reply(render_agents(report, services.settings.timezone), data=report, attachments=follow_ups)

    @router.command(
        "departments",
        summary="the departments you can name with dept=",
        usage="departments",
        examples=("departments",),
        aliases=("depts", "dept"),
    )
    async def departments(invocation: Invocation) -> Reply:
        services = services_of(invocation)
        if invocation.args.strip():
            raise BadArgument(f"{code(p + 'departments')} takes no arguments.")
        found = await services.analytics.departments()
        if not found:
            return Reply("There are no Omnichannel departments in this workspace.")
        rows = [[cell(d.name, limit=40), "yes" if d.enabled else "no"] for d in found]
        quoted = code('dept="Customer Success"')
        hint = f"Name one with {code('dept=Sales')}; quote names with spaces: {quoted}."
        return Reply("*Departments*\n" + table(["Department", "Enabled"], rows, max_rows=60) + "\n" + hint, data=found)
