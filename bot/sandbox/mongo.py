"""What MongoDB and Rocket.Chat's REST helpers do to a list of documents: sort, paginate, parse dates.

The sandbox keeps collections as Python lists and dicts, so the parts of MongoDB's semantics that show
through the REST API are reproduced here once:

- sorting compares values across BSON types in MongoDB's order (a missing field sorts as null, before
  numbers, strings, objects, arrays, booleans and dates), so `sort={"open": 1}` puts closed rooms (no
  `open`) first; ties keep storage order (MongoDB's natural order for an unindexed sort);
- `getPaginationItems` (`apps/meteor/server/api/lib/getPaginationItems.ts`): `count` defaults to
  `API_Default_Count` (50), is capped at `API_Upper_Count_Limit` (100), and `0` means "all" only while
  `API_Allow_Infinite_Count` is on;
- `parseJsonQuery` (`apps/meteor/app/api/server/helpers/parseJsonQuery.ts`): `sort` is a JSON object whose
  values are 1 or -1, anything else is `error-invalid-sort`;
- `Date.parse` as the dashboard routes use it to validate `start`/`end` (ECMAScript's date-time string
  format, with V8's lenient fallback approximated).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from functools import cmp_to_key
from typing import Any

from .model import Doc, MeteorError

__all__ = ["field", "has_field", "js_date", "mongo_sort", "page", "pagination", "parse_sort"]

_MISSING = object()
# BSON comparison order (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/).
_RANK_NULL, _RANK_NUMBER, _RANK_STRING, _RANK_OBJECT, _RANK_ARRAY, _RANK_BOOL, _RANK_DATE = 1, 2, 3, 4, 5, 8, 9
_ES_DATE = re.compile(
    r"^(?P<y>[+-]\d{6}|\d{4})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2}))?)?"
    r"(?:T(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?(?P<z>Z|[+-]\d{2}:\d{2})?)?$"
)


def _lookup(doc: Any, path: str) -> tuple[bool, Any]:
    value = doc
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


def field(doc: Any, path: str) -> Any:
    """The value at a dotted path, None when absent (`has_field` tells a missing field from a null one)."""
    return _lookup(doc, path)[1]


def has_field(doc: Any, path: str) -> bool:
    """`{path: {$exists: true}}`: the field is present, even when its value is null."""
    return _lookup(doc, path)[0]


def _rank(value: Any) -> tuple[int, Any]:
    if value is None or value is _MISSING:
        return _RANK_NULL, 0
    if isinstance(value, bool):
        return _RANK_BOOL, value
    if isinstance(value, int | float):
        return _RANK_NUMBER, value
    if isinstance(value, str):
        return _RANK_STRING, value
    if isinstance(value, datetime):
        return _RANK_DATE, value
    if isinstance(value, dict):
        return _RANK_OBJECT, json.dumps(value, sort_keys=False, default=str)
    if isinstance(value, list | tuple):
        return _RANK_ARRAY, json.dumps(value, default=str)
    return _RANK_OBJECT, str(value)


def _compare(a: Any, b: Any) -> int:
    ra, rb = _rank(a), _rank(b)
    if ra[0] != rb[0]:
        return -1 if ra[0] < rb[0] else 1
    return -1 if ra[1] < rb[1] else 1 if ra[1] > rb[1] else 0


def mongo_sort(docs: Iterable[Doc], sort: Mapping[str, int]) -> list[Doc]:
    """`cursor.sort(sort)`: keys in the object's order, each ascending (1) or descending (-1)."""
    keys = list(sort.items())

    def compare(a: Doc, b: Doc) -> int:
        for key, direction in keys:
            result = _compare(field(a, key), field(b, key))
            if result:
                return result * (1 if direction >= 0 else -1)
        return 0

    return sorted(docs, key=cmp_to_key(compare))


def pagination(settings: Mapping[str, Any], count: float | None, offset: float | None) -> tuple[int, int]:
    """`getPaginationItems` on already-coerced numbers: (offset, count), where count 0 means no limit."""
    upper = int(settings.get("API_Upper_Count_Limit", 100))
    default = int(settings.get("API_Default_Count", 50))
    upper = 100 if upper <= 0 else upper
    default = 50 if default <= 0 else default
    first = int(offset) if offset else 0
    size = default if count is None else int(count)
    size = min(size, upper)
    if size == 0 and not settings.get("API_Allow_Infinite_Count", True):
        size = default
    return first, size


def page(items: list[Doc], offset: int, count: int) -> list[Doc]:
    """`skip(offset).limit(count)`; MongoDB treats limit 0 as no limit (a negative limit as its absolute value)."""
    rest = items[max(offset, 0) :]
    return rest[: abs(count)] if count else rest


def parse_sort(text: str | None) -> dict[str, int] | None:
    """`parseJsonQuery`'s sort: a JSON object of 1/-1, else 400 `Invalid sort parameter provided: "<sort>"`."""
    if not text:
        return None
    try:
        parsed = json.loads(text)
        if not isinstance(parsed, dict) or any(v not in (1, -1) or isinstance(v, bool) for v in parsed.values()):
            raise ValueError(text)
    except ValueError:
        raise MeteorError(
            "error-invalid-sort", f'Invalid sort parameter provided: "{text}"', {"helperMethod": "parseJsonQuery"}
        ) from None
    return {str(k): int(v) for k, v in parsed.items()}


def js_date(text: str, local: tzinfo) -> datetime | None:
    """`new Date(text)` / `Date.parse(text)`: None where JavaScript gives NaN.

    The ECMAScript date-time string format is exact: a date-only form (`2024-03-05`) is UTC midnight, a
    date-time without an offset is local time (`local`, the server's zone). Other texts go to V8's lenient
    legacy parser; the sandbox knows RFC 2822 and a few common forms of it (`March 5, 2024`, `2024/03/05 10:00`),
    in local time unless the text names an offset, and treats anything else as invalid.
    """
    stripped = text.strip()
    found = _ES_DATE.match(stripped)
    if found:
        return _es_date(found, local)
    return _legacy_date(stripped, local)


# A few of the forms V8's legacy parser accepts (`new Date("March 5, 2024")`, `"2024/03/05 10:00"`).
_LEGACY_FORMATS = tuple(
    day + time
    for day in ("%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%Y/%m/%d", "%m/%d/%Y", "%a %b %d %Y")
    for time in ("", " %H:%M", " %H:%M:%S")
)


def _legacy_date(text: str, local: tzinfo) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)  # RFC 2822, e.g. Date.prototype.toUTCString()
    except (TypeError, ValueError, IndexError):
        parsed = None
    for form in _LEGACY_FORMATS if parsed is None else ():
        try:
            parsed = datetime.strptime(text, form)  # noqa: DTZ007 - local time, attached below
            break
        except ValueError:
            continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local)
    return parsed.astimezone(UTC)


def _es_date(found: re.Match[str], local: tzinfo) -> datetime | None:
    parts = found.groupdict()
    try:
        day = datetime(int(parts["y"]), int(parts["mo"] or 1), int(parts["d"] or 1))  # noqa: DTZ001
    except ValueError:
        return None
    if parts["h"] is None:
        return day.replace(tzinfo=UTC)
    hour, minute, second = int(parts["h"]), int(parts["mi"]), int(parts["s"] or 0)
    if hour > 24 or minute > 59 or second > 59 or (hour == 24 and (minute or second or parts["f"])):
        return None
    millis = int((parts["f"] or "0")[:3].ljust(3, "0"))
    moment = day + timedelta(hours=hour, minutes=minute, seconds=second, milliseconds=millis)
    zone = parts["z"]
    if zone is None:
        return moment.replace(tzinfo=local).astimezone(UTC)
    if zone == "Z":
        return moment.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return (moment - sign * offset).replace(tzinfo=UTC)
