"""The response shapes the REST client accepts, checked at the boundary.

Rocket.Chat's bodies are validated here once, so the rest of the bot can trust the types it gets, and a
reply that is not what the API documents becomes InvalidResponse naming the endpoint (never echoing a body
that might hold secrets). Also the analytics query builder: dates go out as YYYY-MM-DD only
(rocketchat-analytics.md §2.1: the date-fns port treats times as invalid dates).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.errors import BadRequest, InvalidResponse, TransportError

Json = dict[str, Any]
NO_DATA = "no-data"  # BadRequest.error_type when analytics answer 200 {"success": true} with nothing


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


def no_data_error(route: str, what: str, start: date, end: date, body: Any) -> TransportError:
    if body is None or (isinstance(body, dict) and body.get("success") is True):
        return BadRequest(
            f"Rocket.Chat returned no data for {what} from {iso_day(start)} to {iso_day(end)}: the name is not one it "
            "knows, or it could not read the dates",
            error_type=NO_DATA,
        )
    return InvalidResponse(f"GET /api/v1/{route} answered {type(body).__name__}, not the documented shape")


def checked_chart(body: Json, route: str) -> Json:
    label, labels, points = body.get("chartLabel"), string_list(body.get("dataLabels"), route), body.get("dataPoints")
    if not isinstance(points, list) or not all(isinstance(p, int | float) and not isinstance(p, bool) for p in points):
        raise InvalidResponse(f"GET /api/v1/{route} answered dataPoints that are not a list of numbers")
    if not isinstance(label, str) or len(points) != len(labels):
        raise InvalidResponse(f"GET /api/v1/{route} answered a chart without a label and one number per label")
    return {"chartLabel": label, "dataLabels": labels, "dataPoints": points}


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
