"""The checks the workspace loader applies to each item: dates, required and optional fields, error texts.

Every problem raises DataError naming the item (`rooms[3] ('lc-1')`) and the field, with an example of
what would be accepted, so a hand-written or exported workspace that is not what its author meant stops the
sandbox before it starts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .ejson import from_ms, parse_iso
from .model import Doc

__all__ = ["DataError", "choice", "date", "kind_name", "missing", "optional", "optional_date", "require", "where"]


class DataError(ValueError):
    """The workspace document is not usable; the message names the item and field."""


def where(section: str, index: int, item: Any) -> str:
    ident = item.get("_id") or item.get("username") or item.get("name") if isinstance(item, dict) else None
    return f"{section}[{index}]" + (f" ({ident!r})" if ident else "")


def date(value: Any, where: str, name: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, dict) and set(value) == {"$date"}:
        inner = value["$date"]
        if isinstance(inner, (int, float)) and not isinstance(inner, bool):
            return from_ms(inner)
        if isinstance(inner, str):  # mongoexport's relaxed EJSON writes {"$date": "2024-...Z"}
            value = inner
        elif isinstance(inner, dict) and "$numberLong" in inner:
            return from_ms(int(inner["$numberLong"]))
    if isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            pass
    raise DataError(
        f'{where}: field {name!r} must be a date, written as {{"$date": <epoch ms>}} or an ISO-8601 '
        f'string like "2024-03-05T14:10:00Z"; got {value!r}'
    )


def require(item: Doc, key: str, kind: type | tuple[type, ...], where: str, example: str) -> Any:
    if key not in item:
        raise DataError(f"{where}: field {key!r} is missing (for example {example})")
    value = item[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool and bool not in as_tuple(kind)):
        raise DataError(f"{where}: field {key!r} must be {kind_name(kind)} (for example {example}); got {value!r}")
    return value


def optional(item: Doc, key: str, kind: type | tuple[type, ...], where: str, example: str) -> Any:
    if key not in item or item[key] is None:
        return None
    return require(item, key, kind, where, example)


def as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def kind_name(kind: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "an object",
    }
    return " or ".join(names.get(k, k.__name__) for k in as_tuple(kind))


def missing(where: str, key: str, example: str) -> Any:
    raise DataError(f"{where}: field {key!r} is missing (for example {example})")


def choice(item: Doc, key: str, choices: tuple[str, ...], where: str) -> str | None:
    """An optional string field that must be one of `choices` (Rocket.Chat's enum values)."""
    value = optional(item, key, str, where, f'"{key}": "{choices[0]}"')
    if value is not None and value not in choices:
        raise DataError(f"{where}: field {key!r} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value  # type: ignore[no-any-return]


def optional_date(item: Doc, key: str, where: str, label: str | None = None) -> None:
    """Convert a present date field in place (EJSON or ISO), naming it `label` in errors."""
    if key in item and item[key] is not None:
        item[key] = date(item[key], where, label or key)
