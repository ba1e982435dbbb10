"""The daily digest's content, from the same analytics service and rendering as the commands.

For the digest's range (by default "yesterday", as seen at the scheduled instant in the digest's
time zone): Conversations and Productivity with their changes, each saying what it is against (for a
day: the day before when it is a day of the same kind, and the same weekday a week earlier; for other
ranges what `!overview` compares them with, e.g. the 7 days before the last 7), the busiest department
and hour, the three fastest and slowest agents on first response, a seven-day sparkline of
conversations, lines for chosen departments, and when the figures were read (answers are shared with
the commands and kept briefly: "Figures as of 09:00").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.analytics.live import PeriodFigures, live_for
from bot.analytics.metrics import BY_NAME
from bot.analytics.service import (
    AnalyticsService,
    Baseline,
    Comparison,
    Department,
    Figures,
    as_of_text,
    baseline,
)
from bot.dates.grammar import DateRange, parse_range
from bot.replies.figures import change, date_range_text, days_text, duration, number, server_value, sparkline
from bot.replies.markup import echo, fit
from bot.state.store import Subscription


@dataclass(frozen=True)
class Digest:
    text: str
    conversations: int


def comparisons_for(rng: DateRange, now: datetime, tz: ZoneInfo) -> list[Baseline]:
    """What a digest compares with: the range's `baseline` (a day: the same weekday a week earlier; "last 7
    days": the 7 days before), and for a single day also the day before when it is a day of the same kind —
    Monday with Friday, not with Sunday; Sunday with Saturday; Saturday with nothing more (Friday is a weekday)."""
    main = baseline(rng, now, tz)
    if rng.days != 1 or rng.start.weekday() == 5:
        return [main]
    monday = rng.start.weekday() == 0
    day = rng.start - timedelta(days=3 if monday else 1)
    why = "the weekday before" if monday else "the day before"
    return [Baseline(DateRange(day, day, why), why, main.until), main]


def _changes(key: str, comparisons: list[Comparison]) -> list[str]:
    """Each change of `key` with what it is against ("▲ 9% vs Mon 23 Nov"); "day in progress" when the range
    runs until now and there is no fair comparison yet."""
    shown = []
    for comparison in comparisons:
        pair = comparison.pairs.get(key)
        text = change(key, *pair) if pair else None
        if text:
            shown.append(f"{text} vs {days_text(comparison.baseline.range.start, comparison.baseline.range.end)}")
    if not shown and any(c.baseline.until is not None and key not in c.pairs for c in comparisons):
        shown.append("day in progress")
    return shown


async def build_digest(
    service: AnalyticsService,
    sub: Subscription,
    *,
    as_of: datetime,
    max_days: int = 366,
    late: str | None = None,
    missed: tuple[date, ...] = (),
) -> Digest:
    """The digest a subscription posts at `as_of` (its scheduled instant)."""
    rng = parse_range(sub.range, now=as_of, tz=sub.tz, max_days=max_days)
    sections = set(sub.sections)
    departments = await service.departments()
    chosen = [await service.require_department(name) for name in sub.departments]

    async def pair(r: DateRange, dept: Department | None = None) -> tuple[Figures, Figures]:
        conv, prod = await asyncio.gather(
            service.figures("Conversations", r, dept), service.figures("Productivity", r, dept)
        )
        return conv, prod

    both = ("Conversations", "Productivity")
    (conv, prod), comparisons = await asyncio.gather(
        pair(rng),
        asyncio.gather(*(service.compare(both, rng, None, b) for b in comparisons_for(rng, as_of, service.tz))),
    )
    read_at = [f.as_of for f in (conv, prod) if f.as_of is not None]  # when the figures shown were read
    total = int(conv.number("Total_conversations") or 0)

    lines = [f"*Daily digest* · {rng.label}: {date_range_text(rng.start, rng.end, sub.tz)}"]
    if late:
        lines.append(f"⏰ {late}")

    if "conversations" in sections:
        changes = _changes("Total_conversations", comparisons)
        detail = [f"{number(conv.number('Total_messages') or 0)} messages"]
        busiest_time = conv.values.get("Busiest_time", "-")
        if server_value(busiest_time) != "-":
            detail.append(f"busiest hour {server_value(busiest_time) or echo(str(busiest_time), limit=20)}")
        lines.append(
            f"*Conversations* {number(total)}"
            + (f" ({' · '.join(changes)})" if changes else "")
            + " — "
            + ", ".join(detail)
        )

    if "productivity" in sections:
        # One line a time, its changes after a colon: "(better)" inside brackets of changes would nest them.
        times = []
        for key, name in (
            ("Avg_first_response_time", "First response"),
            ("Avg_response_time", "Response"),
            ("Avg_reaction_time", "Reaction"),
        ):
            value = prod.number(key)
            if value:
                changes = _changes(key, comparisons)
                times.append(f"• {name} {duration(value)}" + (f": {' · '.join(changes)}" if changes else ""))
        lines.append("*Productivity*" + ("" if times else " no data"))
        lines += times
        live = await live_for(service).period(rng, None)
        if isinstance(live, PeriodFigures):  # queue wait, abandoned, visitors, longest times, agents' time
            lines += live.lines()
            read_at.append(live.as_of)

    if "departments" in sections and departments:
        counts = await asyncio.gather(*(service.figures("Conversations", rng, d) for d in departments))
        read_at += [c.as_of for c in counts if c.as_of is not None]
        busiest = max(zip(departments, counts, strict=True), key=lambda p: p[1].number("Total_conversations") or 0)
        busiest_count = int(busiest[1].number("Total_conversations") or 0)
        if busiest_count:
            lines.append(f"*Busiest department* {echo(busiest[0].name, limit=40)} ({number(busiest_count)})")

    if "agents" in sections:
        report = await service.agents(BY_NAME["Avg_first_response_time"], rng, None)
        read_at.append(report.as_of)
        ranked = [r for r in report.rows if r.value]
        if ranked:
            fastest = ", ".join(f"{echo(r.agent, limit=30)} {duration(r.value or 0)}" for r in ranked[:3])
            slowest = ", ".join(f"{echo(r.agent, limit=30)} {duration(r.value or 0)}" for r in ranked[::-1][:3])
            lines.append(f"*First response* fastest: {fastest} · slowest: {slowest}")

    if "trend" in sections:
        week_range = replace(rng, start=rng.end - timedelta(days=6), label="last 7 days")
        chart = await service.chart(BY_NAME["Total_conversations"], week_range, None)
        read_at.append(chart.as_of)
        if chart.points:
            low, high = min(chart.points), max(chart.points)
            spread = number(low) if low == high else f"{number(low)}–{number(high)}"
            lines.append(f"*Last 7 days* `{sparkline(chart.points)}` {spread} conversations a day")

    for dept in chosen:
        dconv, dprod = await pair(rng, dept)
        read_at += [f.as_of for f in (dconv, dprod) if f.as_of is not None]
        frt = dprod.number("Avg_first_response_time")
        count = int(dconv.number("Total_conversations") or 0)
        lines.append(
            f"• {echo(dept.name, limit=40)}: {number(count)} conversations"
            + (f", first response {duration(frt)}" if frt else "")
        )

    if read_at:
        lines.append(f"_Figures {as_of_text(min(read_at), sub.tz)}._")
    if missed:
        days = ", ".join(days_text(d, d) for d in missed[:7]) + (
            f" and {len(missed) - 7} more" if len(missed) > 7 else ""
        )
        lines.append(f"Note: the digest of {days} was not posted — the bot was unavailable past the grace window.")
    return Digest(fit("\n".join(lines)), total)
