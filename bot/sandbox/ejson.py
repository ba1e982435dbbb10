"""Date handling on the two wires Rocket.Chat speaks.

DDP frames carry EJSON (`{"$date": <epoch ms>}`), REST bodies carry ISO-8601 strings
(`2024-03-05T14:10:00.000Z`). The store keeps aware UTC datetimes; these helpers convert at the edge.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def to_ms(value: datetime) -> int:
    return round(value.timestamp() * 1000)


def from_ms(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def iso(value: datetime) -> str:
    """Format like JavaScript's `Date.prototype.toISOString()`: millisecond precision, `Z`."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 instant; a value without an offset is taken as UTC (as `new Date()` does for `Z`)."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    parsed = datetime.fromisoformat(cleaned)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_ejson(value: Any) -> Any:
    """Deep-convert datetimes to EJSON `{"$date": ms}` for DDP frames."""
    if isinstance(value, datetime):
        return {"$date": to_ms(value)}
    if isinstance(value, dict):
        return {k: to_ejson(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_ejson(v) for v in value]
    return value


def to_rest(value: Any) -> Any:
    """Deep-convert datetimes to ISO strings for REST bodies."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: to_rest(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_rest(v) for v in value]
    return value


def from_ejson(value: Any) -> Any:
    """Deep-convert `{"$date": ms}` in an incoming DDP payload to datetimes."""
    if isinstance(value, dict):
        if set(value) == {"$date"} and isinstance(value["$date"], (int, float)):
            return from_ms(value["$date"])
        return {k: from_ejson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_ejson(v) for v in value]
    return value
