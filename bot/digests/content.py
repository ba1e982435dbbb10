"""The daily digest's content, from the same analytics service and rendering as the commands.

For the digest's range (by default "yesterday", as seen at the scheduled instant in the digest's
time zone): Conversations and Productivity with the change against the day before and against the
same weekday a week earlier, the busiest department and hour, the three fastest and slowest agents
on first response, a seven-day sparkline of conversations, lines for chosen departments, and when the
figures were read (answers are shared with the commands and kept briefly: "Figures as of 09:00").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.analytics.metrics import BY_NAME
from bot.analytics.service import AnalyticsService, Department, Figures, as_of_text
from bot.dates.grammar import DateRange, parse_range, previous_period
from bot.replies.figures import date_range_text, delta, duration, number, server_value, sparkline
from bot.replies.markup import echo, fit
from bot.state.store import Subscription


@dataclass(frozen=True)
class Digest:
    text: str
    conversations: int


def _shift(rng: DateRange, days: int, label: str) -> DateRange:
    return replace(
        rng, start=rng.start - timedelta(days=days), end=rng.end - timedelta(days=days), label=label, partial=False
    )


def _short(day: date) -> str:
    return day.strftime("%a ") + str(day.day) + day.strftime(" %b")


def _change(now: float | None, before: float | None, *, lower_is_better: bool | None) -> str | None:
    if now is None or before is None or (lower_is_better and not (now and before)):
        return None
    return delta(now, before, lower_is_better=lower_is_better)


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
    day_before = previous_period(rng)
    week_ago = _shift(rng, 7, "a week earlier") if rng.days <= 7 else None
    sections = set(sub.sections)
    departments = await service.departments()
    chosen = [await service.require_department(name) for name in sub.departments]

    async def pair(r: DateRange, dept: Department | None = None) -> tuple[Figures, Figures]:
        conv, prod = await asyncio.gather(
            service.figures("Conversations", r, dept), service.figures("Productivity", r, dept)
        )
        return conv, prod

    periods = [rng, day_before] + ([week_ago] if week_ago else [])
    figures = await asyncio.gather(*(pair(r) for r in periods))
    (conv, prod), (conv_before, prod_before) = figures[0], figures[1]
    read_at = [f.as_of for f in (conv, prod) if f.as_of is not None]  # when the figures shown were read
    week = figures[2] if week_ago else None
    total = int(conv.number("Total_conversations") or 0)

    lines = [f"*Daily digest* · {rng.label}: {date_range_text(rng.start, rng.end, sub.tz)}"]
    if late:
        lines.append(f"⏰ {late}")
    compare = [f"vs {_short(day_before.start)}"] + ([f"vs {_short(week_ago.start)}"] if week_ago else [])

    if "conversations" in sections:
        changes = [
            c
            for c in (
                _change(
                    conv.number("Total_conversations"), conv_before.number("Total_conversations"), lower_is_better=None
                ),
                _change(
                    conv.number("Total_conversations"),
                    week[0].number("Total_conversations") if week else None,
                    lower_is_better=None,
                ),
            )
            if c
        ]
        change_text = " · ".join(f"{c} {w}" for c, w in zip(changes, compare, strict=False))
        detail = [f"{number(conv.number('Total_messages') or 0)} messages"]
        busiest_time = conv.values.get("Busiest_time", "-")
        if server_value(busiest_time) != "-":
            detail.append(f"busiest hour {server_value(busiest_time) or echo(str(busiest_time), limit=20)}")
        lines.append(
            f"*Conversations* {number(total)}"
            + (f" ({change_text})" if change_text else "")
            + " — "
            + ", ".join(detail)
        )

    if "productivity" in sections:
        parts = []
        for key, name in (
            ("Avg_first_response_time", "first response"),
            ("Avg_response_time", "response"),
            ("Avg_reaction_time", "reaction"),
        ):
            value = prod.number(key)
            if not value:
                continue
            changes = [
                c
                for c in (
                    _change(value, prod_before.number(key), lower_is_better=True),
                    _change(value, week[1].number(key) if week else None, lower_is_better=True),
                )
                if c
            ]
            parts.append(f"{name} {duration(value)}" + (f" ({', '.join(changes)})" if changes else ""))
        lines.append("*Productivity* " + (" · ".join(parts) if parts else "no data"))

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
        days = ", ".join(_short(d) for d in missed[:7]) + (f" and {len(missed) - 7} more" if len(missed) > 7 else "")
        lines.append(f"Note: the digest of {days} was not posted — the bot was unavailable past the grace window.")
    return Digest(fit("\n".join(lines)), total)
