"""Pure text rendering of analytics values: labels, durations, changes, sparklines, tables, date ranges.

No I/O and no clock, so every rule here is pinned by table tests. Echoing names (agents, departments) is the
caller's job (`bot.replies.markup.echo` and `cell`); nothing here adds an `@`, so nothing here can mention anyone.

The rules, in one place so replies stay consistent:
- Durations (`duration`) round half up, then pick the unit by the rounded size: under a minute "45s", under an
  hour "1m 05s", under a day "2h 03m", else "1d 02h". Each unit rounds from the raw seconds (no double rounding),
  so 59.6 s is "1m 00s" and 3599.6 s is "1h 00m": a value never reads as its unit's maximum plus one.
- Chart axes (`clock`) use "m:ss" under an hour and "h:mm" above (conventions.md §4).
- Changes (`delta`) are whole percent, half away from zero; a change that rounds to 0 reads "<1%" so a real change
  never looks like none. "(better)"/"(worse)" words, not emoji: they read the same in code blocks, digests and
  clients that show emoji as `:shortcodes:`. From zero to something is "new": a percentage of 0 is undefined.
- Sparklines scale min..max (the shape is the point; the numbers sit next to it); a flat series is all "▄", an
  all-zero one all "▁" (zero means "nothing happened", and must not look like a middling value); a gap (no data)
  is a space, never the lowest bar.
- Buckets are named as the replies write dates and hours ("Tue 17 Nov", "2PM-3PM"), never as Rocket.Chat's
  labels ("11/17"), whose hour form differs between versions.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from bot.replies.markup import code_block

__all__ = [
    "DIRECTIONS",
    "LABELS",
    "TIME_METRICS",
    "ChartSummary",
    "Point",
    "change",
    "chart_summary",
    "clock",
    "clock_unit",
    "date_range_text",
    "day_text",
    "day_tick",
    "days_text",
    "delta",
    "duration",
    "hour_text",
    "hour_tick",
    "label",
    "number",
    "parse_hhmmss",
    "percent_change",
    "server_value",
    "sparkline",
    "table",
]

# Rocket.Chat's own English strings (rocketchat-analytics.md §3.8), so the bot says what the Analytics page says.
# `Productivity` and `Agent` have no verified string there; these are the obvious ones.
LABELS: dict[str, str] = {
    "Total_conversations": "Total Conversations",
    "Open_conversations": "Open Conversations",
    "On_Hold_conversations": "On hold conversations",
    "Total_messages": "Total Messages",
    "Busiest_day": "Busiest Day",
    "Conversations_per_day": "Conversations per Day",
    "Busiest_time": "Busiest Time",
    "Avg_response_time": "Average of Response Time",
    "Avg_first_response_time": "Average of First Response Time",
    "Avg_reaction_time": "Average of Reaction Time",
    "Avg_chat_duration": "Average of Chat Duration",
    "Best_first_response_time": "Best first response time",
    "%_of_conversations": "% of Conversations",
    "Conversations": "Conversations",
    "Productivity": "Productivity",
    "Agent": "Agent",
}

# Keys whose values are durations (seconds in chart data, HH:MM:SS elsewhere): lower is better, never summed.
TIME_METRICS: frozenset[str] = frozenset(
    {
        "Avg_response_time",
        "Avg_first_response_time",
        "Avg_reaction_time",
        "Avg_chat_duration",
        "Best_first_response_time",
    }
)

_HHMMSS = re.compile(r"(\d+):([0-5]?\d):(\d{1,2}(?:\.\d+)?)")
_BARS = "▁▂▃▄▅▆▇█"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# A cell that reads as a quantity (counts, "6.00", "71.43%", "00:01:12", "1m 05s", "▲ 12% (better)"): right-aligned.
_NUMERIC = re.compile(r"[-+−▲▼=<]?\s?<?\d[\d,.:%\sdhms]*(?:\s\((?:better|worse)\))?")
_NEUTRAL = frozenset({"", "-", "–", "—", "n/a", "new"})
# Shapes of values Rocket.Chat sends that the bot can write itself (`server_value`): a busiest time ("2PM - 3PM";
# "1PM- 2PM" before 6.6, rocketchat-analytics.md §2.1), an English weekday, a decimal or a percentage.
_BUSIEST_TIME = re.compile(r"(\d{1,2})\s*([AP]M)\s*-\s*(\d{1,2})\s*([AP]M)")
_WEEKDAY_NAMES = frozenset({"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"})
_DECIMAL = re.compile(r"-?\d{1,15}(?:\.\d{1,6})?%?")


def label(key: str) -> str:
    """The human label for an analytics key; unknown keys read as themselves with spaces for underscores."""
    return LABELS.get(key, key.replace("_", " "))


def server_value(value: object) -> str | None:
    """A value Rocket.Chat sent, written by the bot when it has one of the shapes the bot knows (a busiest time,
    an English weekday, a decimal like "6.00" or "71.43%", "-" for none), else None: the caller then echoes it
    (`bot.replies.markup.echo`/`cell`), since only text the bot has read can be written without an echo."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text in ("-", "- -"):  # none ("- -" before 6.6)
        return "-"
    if text in _WEEKDAY_NAMES or _DECIMAL.fullmatch(text):
        return text
    hours = _BUSIEST_TIME.fullmatch(text)
    return f"{hours[1]}{hours[2]} - {hours[3]}{hours[4]}" if hours else None


def _round(x: float) -> int:
    """Half up for the non-negative values used here (Python's `round` is banker's: 0.5 -> 0, 2.5 -> 2)."""
    return math.floor(x + 0.5)


def parse_hhmmss(text: object) -> float | None:
    """Seconds from Rocket.Chat's `HH:MM:SS` (§3.6): hours may exceed 99 and seconds may be 60 (its rounding
    quirk). Anything else, including "NaN:NaN:NaN" from an empty division, is None rather than a wrong zero."""
    if not isinstance(text, str):
        return None
    match = _HHMMSS.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes, seconds = int(match[1]), int(match[2]), float(match[3])
    if seconds > 60:
        return None
    return hours * 3600 + minutes * 60 + seconds


def duration(seconds: float) -> str:
    """A duration as people read it: "0s", "45s", "1m 05s", "2h 03m", "1d 02h" (rules in the module docstring)."""
    if not math.isfinite(seconds):
        return "n/a"
    if _round(abs(seconds)) == 0:
        return "0s"
    if seconds < 0:  # never from Rocket.Chat, but a clock skew must not crash a reply
        return "-" + duration(-seconds)
    whole = _round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    minutes = _round(seconds / 60)
    if minutes < 24 * 60:
        return f"{minutes // 60}h {minutes % 60:02d}m"
    hours = _round(seconds / 3600)
    return f"{hours // 24}d {hours % 24:02d}h"


def clock_unit(max_seconds: float) -> Literal["m:ss", "h:mm"]:
    """The axis unit for a time series: minutes and seconds until the largest value reaches an hour."""
    return "h:mm" if max_seconds >= 3600 else "m:ss"


def clock(seconds: float, unit: Literal["m:ss", "h:mm"]) -> str:
    """A compact clock reading for axes and sparklines: "1:42" (m:ss) or "2:03" (h:mm), rounded half up."""
    sign = "-" if seconds < 0 else ""
    whole = _round(abs(seconds) / (60 if unit == "h:mm" else 1))
    return f"{sign}{whole // 60}:{whole % 60:02d}"


def number(value: float) -> str:
    """A count with thousands separators; a non-integral value (an average) gets one decimal."""
    if not math.isfinite(value):
        return "n/a"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"


def percent_change(current: float, previous: float) -> float | None:
    """The change in percent of `previous`, unrounded. None when it is undefined (from 0 to something, a
    non-finite input, or a change too large for a float); 0.0 when both are 0, because "nothing, like last time"
    is no change."""
    if not (math.isfinite(current) and math.isfinite(previous)):
        return None
    if previous == 0:
        return 0.0 if current == 0 else None
    change = (current - previous) / abs(previous) * 100
    return change if math.isfinite(change) else None  # beyond the float range: no percentage to show


def delta(current: float, previous: float, *, lower_is_better: bool | None) -> str:
    """ "▲ 12% (better)", "▼ 8% (worse)", "▲ <1% (worse)", "= 0%", "new" or "n/a".

    For time metrics pass `lower_is_better=True`: a rise is worse. `None` means the direction is neither good
    nor bad (e.g. conversation volume) and gets no word."""
    pct = percent_change(current, previous)
    if pct is None:
        return "new" if previous == 0 and math.isfinite(current) else "n/a"
    if pct == 0:
        return "= 0%"
    arrow = "▲" if pct > 0 else "▼"
    size = _round(abs(pct))
    text = f"{arrow} {size:,}%" if size else f"{arrow} <1%"
    if lower_is_better is None:
        return text
    better = pct < 0 if lower_is_better else pct > 0
    return f"{text} ({'better' if better else 'worse'})"


# The figures that get a change against another period, and which way is better: volume is neither (None), a
# time is better lower (True).
DIRECTIONS: dict[str, bool | None] = {
    "Total_conversations": None,
    "Total_messages": None,
    "Conversations_per_day": None,
    "Avg_response_time": True,
    "Avg_first_response_time": True,
    "Avg_reaction_time": True,
}


def change(key: str, current: float, previous: float) -> str | None:
    """The change of figure `key` (`delta`, with its direction from DIRECTIONS), or None when it gets none: not
    a figure that is compared, or a time with no data on one side (Rocket.Chat's "00:00:00" is no data, and a
    change from or to it would mean nothing)."""
    if key not in DIRECTIONS or (key in TIME_METRICS and not (current and previous)):
        return None
    return delta(current, previous, lower_is_better=DIRECTIONS[key])


def sparkline(values: Sequence[float]) -> str:
    """One bar per value, scaled min..max; non-finite values are gaps (" "). See the module docstring."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return " " * len(values)
    low, high = min(finite), max(finite)
    if low == high:
        flat = _BARS[0] if high == 0 else _BARS[3]
        return "".join(flat if math.isfinite(v) else " " for v in values)
    top = len(_BARS) - 1
    return "".join(_BARS[_round(_share(v, low, high) * top)] if math.isfinite(v) else " " for v in values)


def _share(value: float, low: float, high: float) -> float:
    """Where `value` lies from `low` (0.0) to `high` (1.0), for low < high. The span of two finite floats can be
    beyond the float range (1e308 - -1e308), so such a span is measured in halves, which always fit."""
    span = high - low
    if math.isfinite(span):
        return min(1.0, max(0.0, (value - low) / span))
    return min(1.0, max(0.0, (value / 2 - low / 2) / (high / 2 - low / 2)))


def _width(text: str) -> int:
    """Columns `text` takes in a monospace font: wide East Asian characters count 2, combining marks 0."""
    if text.isascii():  # the common case, at C speed: every ASCII character is one column
        return len(text)
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())  # a newline inside a cell would break the table
    if _width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > limit - 1:
            break
        out += ch
    return out + "…"


def _pad(text: str, width: int, how: str) -> str:
    gap = " " * (width - _width(text))
    return gap + text if how == "r" else text + gap


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    align: Sequence[str] | None = None,
    max_rows: int | None = None,
    max_cell: int = 30,
) -> str:
    """A monospace table in a fenced code block: Rocket.Chat renders no Markdown tables (conventions.md §1.2).

    `align` is "l"/"r" per column; by default a column is right-aligned when all its cells read as quantities
    (placeholders like "-" and "new" don't count against that). Cells are cut to `max_cell` columns with "…";
    past `max_rows` rows a "… and N more" line says what was left out instead of silently dropping it.
    """
    if any(len(row) != len(headers) for row in rows):
        raise ValueError("every row needs one cell per header")
    if align is not None and (len(align) != len(headers) or set(align) - {"l", "r"}):
        raise ValueError('align needs one "l" or "r" per column')
    shown = rows if max_rows is None else rows[: max(max_rows, 0)]
    head = [_clip(h, max_cell) for h in headers]
    body = [[_clip(cell, max_cell) for cell in row] for row in shown]
    if align is None:
        align = []
        for i in range(len(headers)):
            cells = [row[i] for row in body if row[i] not in _NEUTRAL]
            align.append("r" if cells and all(_NUMERIC.fullmatch(c) for c in cells) else "l")
    widths = [max([_width(h), *(_width(row[i]) for row in body)]) for i, h in enumerate(head)]
    lines = [
        "  ".join(_pad(c, w, a) for c, w, a in zip(cells, widths, align, strict=True)).rstrip()
        for cells in (head, ["-" * w for w in widths], *body)
    ]
    if len(rows) > len(shown):
        lines.append(f"… and {len(rows) - len(shown):,} more")
    return code_block("\n".join(lines))


def _day(d: date, *, month: bool, year: bool) -> str:
    text = f"{_WEEKDAYS[d.weekday()]} {d.day}"
    if month:
        text += f" {_MONTHS[d.month - 1]}"
    return text + f" {d.year}" if year else text


def date_range_text(start: date, end: date, tz_name: str) -> str:
    """ "Mon 9 – Sun 15 Nov 2026, Europe/Berlin": weekdays because people think in weeks, the month and year
    written once when both ends share them, an en dash with spaces, and the zone the days were counted in
    (an empty `tz_name` leaves it out). One day is "Wed 18 Nov 2026, Europe/Berlin"."""
    if start > end:
        raise ValueError(f"the range starts ({start}) after it ends ({end})")
    if start == end:
        text = _day(start, month=True, year=True)
    else:
        same_year = start.year == end.year
        same_month = same_year and start.month == end.month
        text = f"{_day(start, month=not same_month, year=not same_year)} – {_day(end, month=True, year=True)}"
    return f"{text}, {tz_name}" if tz_name else text


def days_text(start: date, end: date) -> str:
    """Days next to a figure, without the year the heading gives: "Tue 17 Nov", "Mon 9 – Tue 10 Nov"."""
    if start == end:
        return day_text(start)
    return f"{_day(start, month=start.month != end.month, year=False)} – {day_text(end)}"


def day_text(d: date) -> str:
    """A day as the replies write it next to a figure: "Tue 17 Nov" (the year is in the reply's heading)."""
    return _day(d, month=True, year=False)


def day_tick(d: date) -> str:
    """A day on a picture's axis, as in the replies but without the weekday, which would crowd it: "17 Nov"."""
    return f"{d.day} {_MONTHS[d.month - 1]}"


def _hour_name(hour: int) -> str:
    return f"{hour % 12 or 12}{'AM' if hour < 12 else 'PM'}"


def hour_text(start: datetime) -> str:
    """The hour that begins at `start` (aware, in the reporting zone), as Rocket.Chat names hours: "2PM-3PM". The
    end is one real hour later, so the hours around a clock change read as the clock does ("2AM-2AM")."""
    end = (start.astimezone(UTC) + timedelta(hours=1)).astimezone(start.tzinfo)
    return f"{_hour_name(start.hour)}-{_hour_name(end.hour)}"


def hour_tick(start: datetime) -> str:
    """An hour on a picture's axis: where it starts ("2PM"), half the width and still unambiguous."""
    return _hour_name(start.hour)


@dataclass(frozen=True)
class Point:
    """One bucket of a chart (an hour or a day) as a reply shows it.

    `value` None is a gap: a time metric in a bucket where no conversation has it (no conversations, or none
    answered or closed yet) has no value, and 0:00 would read as instant replies. `so_far`: the bucket is still
    running (this hour, today). `tick` is the shorter form a picture's axis writes."""

    label: str
    value: float | None
    so_far: bool = False
    tick: str = ""


_KINDS = {"Best_first_response_time": "best"}


@dataclass(frozen=True)
class ChartSummary:
    """The numbers to print next to a chart's sparkline, each saying what it is.

    Counts: the total, the average per hour or day and the busiest and quietest; a bucket still running counts
    in the total, not in the rest (half an hour is no quiet hour), and is stated on its own. Averages of times:
    `average` is the period's own average where Rocket.Chat has one (the Productivity overview), which weighs
    every conversation alike; without it the mean of the buckets is shown under that name ("mean of daily
    averages"), since days with few conversations count as much there as busy ones. Best first response: the
    period's best is the lowest bucket. Times skip gaps and count them in `empty`; one value is stated once."""

    title: str
    kind: str  # "count", "average" or "best"
    per: str  # "hour" or "day": what one bucket is
    buckets: int
    total: float | None  # counts only
    average: float | None
    own_average: bool  # `average` is Rocket.Chat's own for the period
    low: tuple[float, str] | None  # (value, bucket label)
    high: tuple[float, str] | None
    empty: int  # times: buckets without data
    only: Point | None  # the one bucket with a value, when there is one only
    so_far: Point | None  # counts: the bucket still running

    def value(self, v: float) -> str:
        return number(v) if self.kind == "count" else duration(v)

    def text(self) -> str:
        """E.g. "total 42 · avg 6 per day · max 12 (Mon 9 Mar) · min 0 (Tue 10 Mar)" or
        "avg 1m 20s · max 2m 10s (Thu 12 Mar) · min 45s (Mon 9 Mar) · no data on 2 of 7 days"."""
        if self.buckets == 0 or (self.kind != "count" and self.low is None and self.only is None):
            return "no data"
        if self.only is not None and self.only.value is not None:
            alone = self.value(self.only.value)
            where = self.only.label + (" so far" if self.only.so_far else "")
            parts = [f"{alone} ({where}, the only {self.per} with data)" if self.buckets > 1 else f"{alone} ({where})"]
        elif self.low is None or self.high is None:  # counts, with only the running bucket
            parts = [] if self.total is None else [f"total {number(self.total)}"]
        elif self.kind == "best":
            parts = [f"best {self.value(self.low[0])} ({self.low[1]})"]
            parts.append(f"slowest {_ADVERB[self.per]} best {self.value(self.high[0])} ({self.high[1]})")
        else:
            parts = [] if self.total is None else [f"total {number(self.total)}"]
            if self.average is not None:
                if self.kind == "count":
                    parts.append(f"avg {number(round(self.average, 1))} per {self.per}")
                elif self.own_average:
                    parts.append(f"avg {duration(self.average)}")
                else:
                    parts.append(f"mean of {_ADVERB[self.per]} averages {duration(self.average)}")
            parts.append(f"max {self.value(self.high[0])} ({self.high[1]})")
            parts.append(f"min {self.value(self.low[0])} ({self.low[1]})")
        if self.so_far is not None and self.so_far.value is not None and self.only is not self.so_far:
            parts.append(f"{self.so_far.label} so far: {self.value(self.so_far.value)}")
        if self.empty:
            parts.append(f"no data on {self.empty} of {self.buckets} {self.per}s")
        return " · ".join(parts)


_ADVERB = {"hour": "hourly", "day": "daily"}


def chart_summary(name: str, points: Sequence[Point], *, per: str, average: float | None = None) -> ChartSummary:
    """Summarise a chart's buckets (see `ChartSummary`); `average` is Rocket.Chat's own average of a time metric
    for the whole period, when it has one. Ties go to the first bucket, like Rocket.Chat's busiest day."""
    if per not in _ADVERB:
        raise ValueError(f"a bucket is an hour or a day, not {per!r}")
    kind = _KINDS.get(name, "average" if name in TIME_METRICS else "count")
    valued = [p for p in points if p.value is not None and math.isfinite(p.value)]
    running = next((p for p in points if p.so_far), None) if kind == "count" else None
    data = [(p.value, p.label) for p in valued if p is not running and p.value is not None]
    values = [v for v, _ in data]
    own = average is not None and kind == "average"
    return ChartSummary(
        title=label(name),
        kind=kind,
        per=per,
        buckets=len(points),
        total=_total([p.value for p in valued if p.value is not None]) if kind == "count" else None,
        average=average if own else _mean(values) if kind != "best" else None,
        own_average=own,
        low=min(data, key=lambda d: d[0]) if data else None,
        high=max(data, key=lambda d: d[0]) if data else None,
        empty=len(points) - len(valued) if kind != "count" else 0,
        only=valued[0] if len(valued) == 1 else None,
        so_far=running,
    )


def _total(values: Sequence[float]) -> float:
    """The exact sum (`math.fsum`), or ±inf (shown as "n/a") when it lies beyond the float range."""
    try:
        return math.fsum(values)
    except OverflowError:
        return (_mean(values) or 0.0) * len(values)


def _mean(values: Sequence[float]) -> float | None:
    """The exact mean (`math.fsum`); when the sum passes the float range on the way (`fsum` raises OverflowError
    rather than answering inf), the sum of the values' halves divided by the count, doubled: that sum is at most
    half the largest float, so it cannot pass the range (dividing by the count alone can: three times the largest
    float, each divided by 3, still overflowed)."""
    if not values:
        return None
    try:
        return math.fsum(values) / len(values)
    except OverflowError:
        return math.fsum(v / 2 / len(values) for v in values) * 2
