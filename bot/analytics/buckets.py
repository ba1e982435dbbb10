"""Chart buckets as the replies show them: Rocket.Chat's labels ("3/9", "2PM-3PM" or "2PM-2PM") and points turned
into named points with gaps, no future, and days or hours as the server actually answered
(rocketchat-analytics.md §3.4). Pure: the caller passes the clock's reading and the reporting zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.analytics.metrics import Metric
from bot.dates.grammar import DateRange
from bot.replies.figures import Point, day_text, day_tick, hour_text, hour_tick
from bot.replies.markup import echo

__all__ = ["by_day", "hours_before", "named_buckets"]

_HOUR = timedelta(hours=1)
_MONTH_DAY = re.compile(r"(\d{1,2})/(\d{1,2})")


def named_buckets(
    metric: Metric,
    rng: DateRange,
    labels: list[str],
    points: list[float | None],
    conversations: list[float | None] | None,
    *,
    hourly: bool,
    now: datetime,
    tz: ZoneInfo,
) -> list[Point]:
    """Rocket.Chat's buckets as the replies show them. One day is 24 hourly buckets from local midnight in the
    reporting zone (§3.4), named from their index (Rocket.Chat versions write the hours differently:
    "12AM-1AM" or "12AM-12AM"); hours that have not begun are left out, not drawn as 0 — unless the server
    answered "M/D" days for it (`hourly` False): the day the clocks go back has 25 hours, which moment's
    `diff(..., 'days')` counts as two days, so Rocket.Chat sends two UTC-day buckets. Other ranges have
    one bucket a day, named from its "M/D" label (it may be a day off the range: buckets follow UTC days);
    a bucket after today holds nothing yet and is left out. A time metric's bucket without conversations, or
    reported as 0 (no conversation there has that time yet), is a gap: None."""
    midnight = datetime.combine(rng.start, time(0), tzinfo=tz).astimezone(UTC)
    today = now.astimezone(tz).date()
    buckets = []
    for index, (name, point) in enumerate(zip(labels, points, strict=True)):
        empty = metric.is_time and (not point or (conversations is not None and not conversations[index]))
        value = None if empty else point
        if hourly:
            start = (midnight + index * _HOUR).astimezone(tz)
            if start > now:
                break
            buckets.append(Point(hour_text(start), value, now < start + _HOUR, hour_tick(start)))
            continue
        day = bucket_day(name, rng)
        if day is None:  # not "M/D": shown as the server wrote it
            buckets.append(Point(echo(name, limit=20), value, False, name[:12]))
        elif day <= today or value:
            buckets.append(Point(day_text(day), value, day == today, day_tick(day)))
    return buckets


def hours_before(day: date, hour: int, tz: ZoneInfo) -> int:
    """How many of `day`'s hourly chart buckets (each a real hour from local midnight, §3.4) end by `hour`:00
    local time: `hour`, except on the days the clocks change."""
    midnight = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    return int((datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC) - midnight) // _HOUR)


def by_day(labels: list[str]) -> bool:
    """Whether a chart's buckets are days ("M/D" labels) rather than hours."""
    return bool(labels) and all(_MONTH_DAY.fullmatch(label.strip()) for label in labels)


def bucket_day(label: str, rng: DateRange) -> date | None:
    """The day an "M/D" bucket label stands for: of the years it could be in, the one nearest the range (the
    label has no year, and a range may cross New Year or sit a day off it)."""
    found = _MONTH_DAY.fullmatch(label.strip())
    if found is None:
        return None
    middle = rng.start + (rng.end - rng.start) / 2
    days = []
    for year in range(rng.start.year - 1, rng.end.year + 2):
        try:
            days.append(date(year, int(found[1]), int(found[2])))
        except ValueError:
            continue
    return min(days, key=lambda d: abs((d - middle).days)) if days else None
