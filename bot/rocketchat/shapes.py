"""The response shapes the REST client accepts, checked at the boundary.

Rocket.Chat's bodies are validated here once, so the rest of the bot can trust the types it gets, and a
reply that is not what the API documents becomes InvalidResponse naming the endpoint (never echoing a body
that might hold secrets). Also the analytics query builder: dates go out as YYYY-MM-DD only
(rocketchat-analytics.md §2.1: the date-fns port treats times as invalid dates).

Analytics figures are checked against the formats rocketchat-analytics.md §2.1–2.3 documents, value by value:
counts are whole numbers, "per day" a decimal string ("6.00"), durations `HH:MM:SS` (or Rocket.Chat's own
"NaN:NaN:NaN" for an average of nothing, which reads as no figure), agent shares "71.43%", chart points
numbers of seconds or conversations, and the busiest day and time short words ("Tuesday", "2PM - 3PM").
Whatever reaches the analytics service is finite, non-negative and at most MAX_FIGURE: JSON's `NaN` and
`Infinity` (which Python's json reads, JavaScript never writes) and absurd magnitudes are broken data.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

from bot.errors import BadRequest, InvalidResponse

Json = dict[str, Any]
NO_DATA = "no-data"  # BadRequest.error_type when analytics answer 200 {"success": true} with nothing
MAX_FIGURE = 10**12  # more conversations than any workspace holds, more seconds (31,700 years) than any duration
MAX_ROWS = 10_000  # rows of one analytics answer (chart buckets: at most 367 days, or 24 hours)

_KEY = re.compile(r"[A-Za-z0-9_%]{1,64}")  # i18n keys: "Total_conversations", "%_of_conversations"
_WHOLE = re.compile(r"\d{1,13}", re.ASCII)
_DECIMAL = re.compile(r"\d{1,13}\.\d\d", re.ASCII)  # toFixed(2)
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d{1,6})?)%", re.ASCII)
_HHMMSS = re.compile(r"(\d{1,9}):([0-5]\d):(\d\d)(?:\.\d{1,6})?", re.ASCII)
_NO_AVERAGE = "NaN:NaN:NaN"  # secondsToHHMMSS of an undefined average (§3.6); the service reads it as no figure
_MARKUP = frozenset("@#`*_~<>[]|\\")  # never in a chart label: it would mention or format in a reply


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_count(value: Any) -> bool:
    """A whole number of things: 42."""
    return _is_number(value) and math.isfinite(value) and value == int(value) and 0 <= value <= MAX_FIGURE


def is_message_count(value: Any) -> bool:
    """An agent's messages: 30, or "30" as the docs show it (§5, doc-vs-code 3)."""
    if isinstance(value, str):
        return _WHOLE.fullmatch(value) is not None and int(value) <= MAX_FIGURE
    return is_count(value)


def is_amount(value: Any) -> bool:
    """A non-negative finite number, e.g. a chart point: seconds rounded to 2 decimals, or a count."""
    return _is_number(value) and math.isfinite(value) and 0 <= value <= MAX_FIGURE


def is_decimal(value: Any) -> bool:
    """Conversations per day: "6.00" (`toFixed(2)`; its "NaN" only comes for a range that ends before it
    starts, which the bot never asks), or a plain amount."""
    if isinstance(value, str):
        return _DECIMAL.fullmatch(value) is not None and float(value) <= MAX_FIGURE
    return is_amount(value)


def is_percent(value: Any) -> bool:
    """An agent's share of conversations: "71.43%" (§2.2), or a plain number of percent."""
    if isinstance(value, str):
        found = _PERCENT.fullmatch(value)
        return found is not None and float(found[1]) <= 100
    return is_amount(value) and value <= 100


def is_duration(value: Any) -> bool:
    """`HH:MM:SS` (§3.6: hours past 99, seconds up to 60), or "NaN:NaN:NaN"."""
    if not isinstance(value, str):
        return False
    if value == _NO_AVERAGE:
        return True
    found = _HHMMSS.fullmatch(value)
    return found is not None and int(found[3]) <= 60 and int(found[1]) * 3600 <= MAX_FIGURE


def is_word(value: Any) -> bool:
    """A short text shown as it is, like "Tuesday" (translated), "2PM - 3PM" or "-": no markup, and never one
    that reads as a number (the service reads values numerically, and "1e400" would be infinite)."""
    if not isinstance(value, str) or len(value) > 64 or not _printable(value) or _MARKUP & set(value):
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def is_label(value: Any) -> bool:
    """A chart bucket label, "3/9" or "2PM-3PM": short, printable, no markup (it is quoted in replies)."""
    return isinstance(value, str) and 0 < len(value) <= 32 and _printable(value) and not _MARKUP & set(value)


def _printable(text: str) -> bool:
    if text.isascii():  # the usual case, at C speed: only the ASCII controls (Cc) are unprintable there
        return text.isprintable()
    return not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for ch in text)


def is_any_figure(value: Any) -> bool:
    """A value of a title this client does not know (a newer Rocket.Chat): any of the documented formats."""
    return any(check(value) for check in (is_amount, is_decimal, is_percent, is_duration, is_word))


# Each overview title's format (§2.1); titles not listed are accepted in any of the formats.
OVERVIEW_FORMATS: dict[str, Callable[[Any], bool]] = {
    "Total_conversations": is_count,
    "Open_conversations": is_count,
    "On_Hold_conversations": is_count,
    "Total_messages": is_count,
    "Busiest_day": is_word,
    "Conversations_per_day": is_decimal,
    "Busiest_time": is_word,
    "Avg_response_time": is_duration,
    "Avg_first_response_time": is_duration,
    "Avg_reaction_time": is_duration,
}
# Each agent-overview chart name's value format (§2.2): shares, message counts, else durations.
AGENT_FORMATS: dict[str, Callable[[Any], bool]] = {
    "Total_conversations": is_percent,
    "Total_messages": is_message_count,
}


def analytics_query(
    name_key: str, name: str, from_key: str, start: date, to_key: str, end: date, department_id: str | None
) -> dict[str, str | int]:
    """Analytics query: days as YYYY-MM-DD only (a time breaks the date-fns port), no extra keys."""
    params: dict[str, str | int] = {name_key: name, from_key: iso_day(start), to_key: iso_day(end)}
    if department_id:
        params["departmentId"] = department_id
    return params


def iso_day(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def is_bare_success(body: Any) -> bool:
    """Rocket.Chat's 200 `{"success": true}` without data: an unknown name or unreadable dates (§2.1)."""
    return isinstance(body, dict) and body.get("success") is True


def no_data_error(route: str, what: str, start: date, end: date) -> BadRequest:
    return BadRequest(
        f"Rocket.Chat returned no data for {what} from {iso_day(start)} to {iso_day(end)}: the name is not one it "
        "knows, or it could not read the dates",
        error_type=NO_DATA,
    )


def checked_overview(body: Any, route: str) -> list[Json]:
    """`[{title, value}]`, each value in its title's format (§2.1)."""
    endpoint = f"GET /api/v1/{route}"
    if not isinstance(body, list) or not 0 < len(body) <= MAX_ROWS:
        raise InvalidResponse(f"{endpoint} answered {type(body).__name__}, not a list of figures")
    rows = []
    for row in body:
        title = row.get("title") if isinstance(row, dict) else None
        if not isinstance(title, str) or _KEY.fullmatch(title) is None or "value" not in row:
            raise InvalidResponse(f"{endpoint} answered a row without a title key and a value")
        if not OVERVIEW_FORMATS.get(title, is_any_figure)(row["value"]):
            raise InvalidResponse(f"{endpoint} answered {title} in a form Rocket.Chat does not use")
        rows.append({"title": title, "value": row["value"]})
    return rows


def checked_agents(body: Json, name: str, route: str) -> Json:
    """`{"head": [{name}], "data": [{name, value}]}`, each value in the chart's format (§2.2)."""
    endpoint = f"GET /api/v1/{route}"
    head, data = objects_at(body, "head", endpoint), objects_at(body, "data", endpoint)
    if not all(isinstance(h.get("name"), str) and _KEY.fullmatch(h["name"]) for h in head):
        raise InvalidResponse(f"{endpoint} answered column names that are not keys")
    valid = AGENT_FORMATS.get(name, is_duration)
    if len(data) > MAX_ROWS or not all(isinstance(row.get("name"), str) and valid(row.get("value")) for row in data):
        raise InvalidResponse(f"{endpoint} answered agent rows without a name and a {name} value")
    return {"head": head, "data": data}


def checked_chart(body: Json, route: str) -> Json:
    endpoint = f"GET /api/v1/{route}"
    label, labels, points = (
        body.get("chartLabel"),
        string_list(body.get("dataLabels"), endpoint),
        body.get("dataPoints"),
    )
    if not isinstance(points, list) or len(points) > MAX_ROWS or not all(is_amount(p) for p in points):
        raise InvalidResponse(f"{endpoint} answered dataPoints that are not a list of non-negative numbers")
    if not isinstance(label, str) or len(points) != len(labels) or not all(is_label(x) for x in labels):
        raise InvalidResponse(f"{endpoint} answered a chart without a label and one short label per number")
    return {"chartLabel": label, "dataLabels": labels, "dataPoints": points}


def checked_departments(items: list[Json], endpoint: str) -> list[Json]:
    """Departments with an `_id` and a `name` (required by Rocket.Chat's schema) and, if given, `enabled`."""
    for item in items:
        if not isinstance(item.get("_id"), str) or not item["_id"] or not isinstance(item.get("name"), str):
            raise InvalidResponse(f"{endpoint} answered a department without an _id and a name")
        if len(item["name"]) > 1000 or not isinstance(item.get("enabled", True), bool):
            raise InvalidResponse(f"{endpoint} answered a department whose name or enabled flag is malformed")
    return items


def object_at(body: Json, key: str, endpoint: str) -> Json:
    value = body.get(key)
    if not isinstance(value, dict):
        raise InvalidResponse(f"{endpoint} answered without an object {key!r}")
    return value


def objects_at(body: Json, key: str, endpoint: str) -> list[Json]:
    value = body.get(key)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidResponse(f"{endpoint} answered without a list of objects {key!r}")
    return value


def string_list(value: Any, endpoint: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidResponse(f"{endpoint} answered a list that should hold only strings")
    return value
