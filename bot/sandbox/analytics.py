"""Omnichannel analytics of the sandbox, computed the way Rocket.Chat 7.x (the moment-based service) does.

The sandbox is the oracle the bot is tested against, so it copies Rocket.Chat's arithmetic *and* its
quirks rather than computing "correct" statistics (rocketchat-analytics.md §3): rooms count by creation
time only, a room without messages counts as one message, the on-hold count has no livechat filter,
daily chart buckets follow UTC days, the agent table sorts `parseFloat` of `HH:MM:SS` strings, and
JavaScript's `toFixed`/`Math.round` decide the last digit. The REST layer validates the query, checks
auth and permissions and caches; these functions only compute, walking the rooms once per call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, cmp_to_key, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .store import Doc, MeteorError, Store

__all__ = ["agent_overview", "charts_data", "hhmmss", "js_string", "js_truthy", "overview", "reporting_zone"]

_NAN = float("nan")
_MS = timedelta(milliseconds=1)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Who a metric is credited to, where it sits under `metrics`, and how a group folds it (§3.4, §3.5).
_METRICS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "Avg_chat_duration": ("servedBy", ("chatDuration",), "avg"),
    "Avg_first_response_time": ("responseBy", ("response", "ft"), "avg"),
    "Best_first_response_time": ("responseBy", ("response", "ft"), "min"),
    "Avg_response_time": ("servedBy", ("response", "avg"), "avg"),
    "Avg_reaction_time": ("servedBy", ("reaction", "ft"), "avg"),
}
_CHARTS = ("Total_conversations", "Total_messages", *_METRICS)
_DESCENDING = ("Total_conversations", "Avg_chat_duration", "Total_messages")
_YEAR = re.compile(r"\d{1,4}")
_TWO_DIGITS = re.compile(r"\d\d?")
_DASH = re.compile(r"-")
_FLOAT_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")


# --- JavaScript semantics ------------------------------------------------------------------------


def _truthy(value: Any) -> bool:
    """JavaScript truthiness: an empty object is truthy, `0`, `NaN`, `""` and null/undefined are not."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value == value and value != 0
    return value != "" if isinstance(value, str) else True


def _field(value: Any, *path: str) -> Any:
    """`value?.a?.b`: None where JavaScript would read `undefined`."""
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _addend(part: Any, key: str) -> float:
    """What `sum += part.key` adds in JavaScript: `undefined` poisons the sum with NaN, `null` adds 0."""
    value = part.get(key, _NAN) if isinstance(part, dict) else _NAN
    return 0.0 if value is None else float(value) if isinstance(value, int | float) else _NAN


def _floor(x: float) -> float:
    return float(math.floor(x)) if math.isfinite(x) else x


def _js_round(x: float) -> float:
    """`Math.round`: halves go toward +infinity (`Math.round(-2.5) == -2`), computed without `x + 0.5` error."""
    if not math.isfinite(x):
        return x
    low = math.floor(x)
    return float(low + 1 if x - low >= 0.5 else low)


def _to_fixed2(x: float) -> str:
    """`Number.prototype.toFixed(2)` on the exact binary value: ties go away from zero (`0.125` -> `"0.13"`,
    but `1.005` -> `"1.00"` because the double is below the tie)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if abs(x) >= 1e21:
        return repr(x)  # JavaScript falls back to ToString, which prints the same digits here
    return str(Decimal(x if x else 0.0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _parse_float(value: Any) -> float:
    """`parseFloat`: the longest numeric prefix, so `parseFloat("00:03:20") == 0` (§2.2)."""
    if isinstance(value, int | float):
        return float(value)
    found = _FLOAT_PREFIX.match(str(value).lstrip())
    return float(found.group().replace("Infinity", "inf")) if found else _NAN


def _js_int(x: float) -> str:
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity") if math.isinf(x) else str(int(x))


def _hhmmss(fixed: str) -> str:
    """`secondsToHHMMSS` of a `toFixed(2)` string (§3.6): hours may pass 99, seconds are `Math.round`ed
    so 59.6 s renders as `"00:00:60"`."""
    sec = _parse_float(fixed)
    hours = _floor(sec / 3600)
    minutes = _floor((sec - hours * 3600) / 60)
    seconds = _js_round(sec - hours * 3600 - minutes * 60)
    return ":".join(_js_int(part).rjust(2, "0") for part in (hours, minutes, seconds))


def hhmmss(seconds: float) -> str:
    """`secondsToHHMMSS(x)` of a plain number (`apps/meteor/lib/utils/secondsToHHMMSS.ts`)."""
    return _hhmmss(repr(float(seconds)))


def js_string(x: float) -> str:
    """`String(x)` / a template literal of a number: `14`, `23.5`, `33.333333333333336`."""
    return _js_int(x) if math.isinf(x) or math.isnan(x) or float(x).is_integer() else repr(float(x))


def js_truthy(value: Any) -> bool:
    """JavaScript (and `$cond`/`$and` in MongoDB aggregations) truthiness; see `_truthy`."""
    return _truthy(value)


def _json_number(x: float) -> int | float | None:
    """A JavaScript number as JSON writes it: `600`, not `600.0`; NaN becomes null."""
    return None if math.isnan(x) else int(x) if x.is_integer() else x


def _hour_name(hour: int) -> str:
    """moment's `hA`: 12AM, 1AM, ... 11AM, 12PM, 1PM, ... 11PM."""
    return f"{hour % 12 or 12}{'AM' if hour < 12 else 'PM'}"


# --- time zone and date range (§3.1) -------------------------------------------------------------


def _zone(name: Any) -> ZoneInfo:
    """moment-timezone treats a zone it has no data for as UTC."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))  # moment.tz.names() is sorted too


@lru_cache(maxsize=64)
def _first_zone_with_offset(hours: int, minute_key: int) -> str | None:
    now = datetime.fromtimestamp(minute_key * 60, UTC)
    for name in _zone_names():
        try:
            if now.astimezone(ZoneInfo(name)).utcoffset() == timedelta(hours=hours):
                return name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return None


def reporting_zone(store: Store, user: Doc) -> ZoneInfo:
    """`getTimezone` (§3.1): `server` is the server process zone, `custom` the configured zone, `user` the
    first zone (sorted by name) whose offset *today* is `+HH:00` for the caller's `utcOffset` (or 0)."""
    server = _zone(store.settings.get("Sandbox_Server_Timezone", "UTC"))
    mode = store.settings.get("Default_Timezone_For_Reporting", "server")
    if mode == "custom":
        return _zone(store.settings.get("Default_Custom_Timezone", "UTC"))
    if mode != "user":
        return server
    offset = user.get("utcOffset") or 0
    if isinstance(offset, bool) or not isinstance(offset, int | float) or not float(offset).is_integer():
        return server  # a fractional offset builds "+05.5:00", which no zone matches: moment.tz.guess()
    name = _first_zone_with_offset(int(offset), int(store.now().timestamp()) // 60)
    return ZoneInfo(name) if name else server


def _moment_date(text: str) -> date | None:
    """`moment.tz(text, 'YYYY-MM-DD', tz)` in non-strict mode: each token's pattern is searched in what
    is left, text before it is skipped and text after the last token ignored, so an ISO datetime keeps its
    date. Absent month/day default to January/1st; out-of-range fields make the date invalid (None)."""
    rest, values = text, []
    for pattern in (_YEAR, _DASH, _TWO_DIGITS, _DASH, _TWO_DIGITS):
        found = pattern.search(rest)
        if found:
            rest = rest[found.end() :]
        if pattern is not _DASH:
            values.append(found.group() if found else None)
    year_text, month_text, day_text = values
    if year_text is None:  # no token matched anything
        return None
    year = int(year_text)
    if len(year_text) == 2:
        year += 1900 if year > 68 else 2000
    try:  # year 0 is valid for moment but not for Python (documented deviation)
        return date(year, int(month_text or 1), int(day_text or 1))
    except ValueError:
        return None


def _range(store: Store, user: Doc, from_text: str, to_text: str) -> tuple[ZoneInfo, datetime, datetime] | None:
    """(zone, from, to): 00:00:00.000 of the first and 23:59:59.999 of the last day in the zone, in UTC."""
    zone = reporting_zone(store, user)
    first, last = _moment_date(from_text), _moment_date(to_text)
    if first is None or last is None:
        return None
    try:
        start = datetime.combine(first, time(), zone).astimezone(UTC)
        end = datetime.combine(last, time(23, 59, 59, 999000), zone).astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return zone, start, end


def _diff_days(a: datetime, b: datetime) -> int:
    """moment's `a.diff(b, 'days')` between two UTC moments: milliseconds / 864e5, truncated toward zero."""
    return math.trunc(((a - b) // _MS) / 86_400_000)


def _livechat(store: Store, department_id: str | None, start: datetime, stop: datetime) -> Iterator[Doc]:
    """Livechat rooms created in [start, stop) of the department filter (§3.2). Mongo keeps milliseconds, so
    `ts <= to` (to at .999) is `ts < to + 1 ms` here, whatever the stored microseconds are."""
    department = department_id if department_id and department_id != "undefined" else None
    for room in store.livechat_rooms():
        ts = room.get("ts")
        if (
            isinstance(ts, datetime)
            and start <= ts < stop
            and (department is None or room.get("departmentId") == department)
        ):
            yield room


def _messages(store: Store, room: Doc, *, agents_only: bool) -> int:
    """The `$lookup` + `$unwind(preserveNullAndEmptyArrays)` + count: a room without messages counts 1."""
    return store.message_counts(room["_id"])[1 if agents_only else 0] or 1


# --- overview (§2.1, §3.3) ----------------------------------------------------------------------


def overview(store: Store, *, name: str, from_: str, to: str, department_id: str | None, user: Doc) -> list[Doc] | None:
    """`livechat/analytics/overview`: the bare `[{title, value}]` list, or None for an unknown name or
    unparseable dates (REST answers `{"success": true}`); an empty name is `invalid-chart-name`."""
    if not name:
        raise MeteorError("invalid-chart-name", "invalid-chart-name")
    resolved = _range(store, user, from_, to)
    if resolved is None or name not in ("Conversations", "Productivity"):
        return None
    zone, start, end = resolved
    if name == "Productivity":
        return _productivity(_livechat(store, department_id, start, end + _MS))
    return _conversations(store, zone, start, end, department_id)


def _conversations(
    store: Store, zone: ZoneInfo, start: datetime, end: datetime, department_id: str | None
) -> list[Doc]:
    """§3.3 Conversations. Busiest day = the local day with most messages (first on ties); busiest time =
    the hour with most messages *within that day*. The on-hold count (`ts < to`, any room type) is taken
    in the same pass over the rooms."""
    department = department_id if department_id and department_id != "undefined" else None
    total = open_count = on_hold = messages = 0
    days: dict[date, dict[int, int]] = {}
    stop = end + _MS  # `ts <= to` at millisecond precision
    for room in store.rooms.values():
        ts = room.get("ts")
        if not isinstance(ts, datetime) or (department is not None and room.get("departmentId") != department):
            continue
        if room.get("onHold") is True and start <= ts < end:
            on_hold += 1
        if room.get("t") != "l" or not start <= ts < stop:
            continue
        total += 1
        metrics = room.get("metrics")
        if _truthy(metrics) and not _truthy(_field(metrics, "chatDuration")) and not _truthy(room.get("onHold")):
            open_count += 1
        count = _messages(store, room, agents_only=False)
        local = ts.astimezone(zone)
        hours = days.setdefault(local.date(), {})
        hours[local.hour] = hours.get(local.hour, 0) + count
        messages += count
    busiest_day, most = None, -1
    for day, hours in days.items():
        if sum(hours.values()) > most:
            busiest_day, most = day, sum(hours.values())
    busiest_hour, best = -1, 0
    for hour, count in days[busiest_day].items() if busiest_day else ():
        if count > best:
            busiest_hour, best = hour, count
    span = _diff_days(end, start) + 1
    busiest_time = f"{_hour_name(busiest_hour)} - {_hour_name((busiest_hour + 1) % 24)}" if busiest_hour >= 0 else "-"
    return [
        {"title": "Total_conversations", "value": total},
        {"title": "Open_conversations", "value": open_count},
        {"title": "On_Hold_conversations", "value": on_hold},
        {"title": "Total_messages", "value": messages},
        # Translated in the server language; only English is bundled, other languages fall back to it.
        {"title": "Busiest_day", "value": _WEEKDAYS[busiest_day.weekday()] if busiest_day else "-"},
        {"title": "Conversations_per_day", "value": _to_fixed2(total / span if span else _NAN)},
        {"title": "Busiest_time", "value": busiest_time},
    ]


def _productivity(rooms: Iterator[Doc]) -> list[Doc]:
    """§3.3 Productivity: means over rooms having both `metrics.response` and `metrics.reaction`."""
    sums, count = [0.0, 0.0, 0.0], 0
    for room in rooms:
        response, reaction = _field(room.get("metrics"), "response"), _field(room.get("metrics"), "reaction")
        if _truthy(response) and _truthy(reaction):
            sums[0] += _addend(response, "avg")
            sums[1] += _addend(response, "ft")
            sums[2] += _addend(reaction, "ft")
            count += 1
    titles = ("Avg_response_time", "Avg_first_response_time", "Avg_reaction_time")
    return [
        {"title": t, "value": _hhmmss(_to_fixed2(s / count if count else s))} for t, s in zip(titles, sums, strict=True)
    ]


# --- agent overview (§2.2, §3.5) ----------------------------------------------------------------


def agent_overview(store: Store, *, name: str, from_: str, to: str, department_id: str | None, user: Doc) -> Doc | None:
    """`livechat/analytics/agent-overview`: `{"head", "data"}`, or None for an unknown name or bad dates."""
    if not name:
        raise MeteorError("invalid-chart-name", "invalid-chart-name")
    resolved = _range(store, user, from_, to)
    if resolved is None or name not in _CHARTS:
        return None
    _, start, end = resolved
    rooms = _livechat(store, department_id, start, end + _MS)
    data: list[Doc]
    if name in ("Total_conversations", "Total_messages"):
        tally: dict[Any, int] = {}
        for room in rooms:
            if _truthy(room.get("servedBy")):
                added = 1 if name == "Total_conversations" else _messages(store, room, agents_only=True)
                key = _field(room, "servedBy", "username")
                tally[key] = tally.get(key, 0) + added
        served = sum(tally.values())
        data = [
            {"name": k, "value": f"{_to_fixed2(v / served * 100)}%" if name == "Total_conversations" else v}
            for k, v in tally.items()
        ]
    else:
        who, path, fold = _METRICS[name]
        groups: dict[Any, list[float]] = {}  # username -> [sum or min, rooms]
        for room in rooms:
            value = _metric(room, path)
            if value is not None and _truthy(room.get(who)):
                key = _field(room, who, "username")
                groups[key] = _fold(groups.get(key), value, fold)
        data = [{"name": k, "value": _hhmmss(_to_fixed2(_folded(acc, fold)))} for k, acc in groups.items()]
    # Sorted after formatting by parseFloat(value), stably (AgentData.ts `sortByValue`), so `HH:MM:SS`
    # values compare by their hours only and agents under an hour keep their first-seen order.
    sign = -1 if name in _DESCENDING else 1
    data.sort(key=cmp_to_key(lambda a, b: sign * _compare(_parse_float(a["value"]), _parse_float(b["value"]))))
    column = "%_of_conversations" if name == "Total_conversations" else name
    return {"head": [{"name": "Agent"}, {"name": column}], "data": data}


def _compare(x: float, y: float) -> int:
    return 1 if x > y else -1 if x < y else 0  # NaN compares equal, as in the JavaScript comparator


def _metric(room: Doc, path: tuple[str, ...]) -> float | None:
    """A metric that counts: JavaScript's `if (metrics?.x?.y)` skips missing, 0 and NaN values."""
    value = _field(room.get("metrics"), *path)
    return float(value) if isinstance(value, int | float) and _truthy(value) else None


def _fold(acc: list[float] | None, value: float, fold: str) -> list[float]:
    """Add one room to a `[sum or min, rooms]` accumulator."""
    if acc is None:
        return [value, 1]
    acc[0] = min(acc[0], value) if fold == "min" else acc[0] + value
    acc[1] += 1
    return acc


def _folded(acc: list[float], fold: str) -> float:
    return acc[0] if fold == "min" else acc[0] / acc[1]


# --- chart data (§2.3, §3.4) --------------------------------------------------------------------


def charts_data(
    store: Store, *, chart_name: str, start: str, end: str, department_id: str | None, user: Doc
) -> Doc | None:
    """`livechat/analytics/dashboards/charts-data`: `{chartLabel, dataLabels, dataPoints}`, or None for an
    unknown chart name or unparseable dates (REST answers 400 "No data available")."""
    if chart_name not in _CHARTS:
        return None
    resolved = _range(store, user, start, end)
    if resolved is None:
        return None
    zone, first, last = resolved
    hourly = _diff_days(first, last) == 0  # one day, or a reversed pair of adjacent dates
    if hourly:
        starts = [first + i * _HOUR for i in range(24)]
        # Each bucket ends with its UTC hour (moment `endOf('hour')` on a UTC moment), inclusive at .999.
        stops = [s.replace(minute=0, second=0, microsecond=0) + _HOUR for s in starts]
        end_of = store.settings.get("Sandbox_Hour_Labels", "next") == "endOf"
        labels = [_hour_label(store.now(), s.hour, zone, end_of=end_of) for s in starts]
    else:  # dayIterator: whole UTC days from the day of `from` to the day of `to` (§3.4 quirk)
        day0 = first.replace(hour=0, minute=0, second=0, microsecond=0)
        count = (last.replace(hour=0, minute=0, second=0, microsecond=0) - day0).days + 1
        starts = [day0 + i * _DAY for i in range(max(count, 0))]
        stops = [s + _DAY for s in starts]
        labels = [f"{s.month}/{s.day}" for s in starts]
    path, fold = _METRICS[chart_name][1:] if chart_name in _METRICS else ((), "count")
    counts = [0] * len(starts)
    folds: list[list[float] | None] = [None] * len(starts)
    for room in _livechat(store, department_id, starts[0], stops[-1]) if starts else ():
        index = (room["ts"] - starts[0]) // (_HOUR if hourly else _DAY)
        if not 0 <= index < len(starts) or room["ts"] >= stops[index]:
            continue
        if chart_name == "Total_conversations":
            counts[index] += 1
        elif chart_name == "Total_messages":
            counts[index] += _messages(store, room, agents_only=True)
        elif (value := _metric(room, path)) is not None:
            folds[index] = _fold(folds[index], value, fold)
    if fold == "count":
        points: list[int | float | None] = list(counts)
    else:  # Math.round(x * 100) / 100, and 0 for an empty bucket
        points = [_json_number(_js_round((_folded(acc, fold) if acc else 0.0) * 100) / 100) for acc in folds]
    return {"chartLabel": chart_name, "dataLabels": labels, "dataPoints": points}


def _hour_label(now: datetime, utc_hour: int, zone: ZoneInfo, *, end_of: bool = False) -> str:
    """`moment.utc().set({hour}).tz(tz).format('hA')` and one hour later: today's date and minutes with the
    bucket's UTC hour, shown in the zone with *today's* offset (so "12AM-1AM" ... "11PM-12AM" in the zone).
    With `end_of` the end is `endOf('hour')` of the same hour, so both ends read alike ("12AM-12AM")."""
    base = now.astimezone(UTC).replace(hour=utc_hour)
    end = base if end_of else base + _HOUR
    return f"{_hour_name(base.astimezone(zone).hour)}-{_hour_name(end.astimezone(zone).hour)}"
