"""Whether Rocket.Chat's default business hour is open at an instant, from `livechat/business-hour`.

Nothing in REST says "open now" (rocketchat-live-ops.md §5): Rocket.Chat decides it from each open work hour's
`start`/`finish`, and a bot should recompute it from the `utc` triplet (`{dayOfWeek, time}` in UTC), which does
not depend on the server's zone. A range may wrap across the end of the week; start is inclusive and finish
exclusive, as the newest server code has it. An inactive business hour is never open.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = ["business_hours_open"]

_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")  # Rocket.Chat's order


def _minute(stamp: Any) -> int | None:
    if not isinstance(stamp, dict) or stamp.get("dayOfWeek") not in _DAYS:
        return None
    try:
        hours, minutes = (int(part) for part in str(stamp.get("time", "")).split(":"))
    except ValueError:
        return None
    return _DAYS.index(stamp["dayOfWeek"]) * 1440 + hours * 60 + minutes


def business_hours_open(body: Any, now: datetime) -> bool:
    """`body` is the route's answer (`{businessHour: {...}}`); a shape it cannot read counts as closed."""
    hour = body.get("businessHour") if isinstance(body, dict) else None
    if not isinstance(hour, dict) or not hour.get("active"):
        return False
    utc = now.astimezone(UTC)
    current = ((utc.weekday() + 1) % 7) * 1440 + utc.hour * 60 + utc.minute
    for work in hour.get("workHours") or []:
        if not isinstance(work, dict) or not work.get("open"):
            continue
        start = _minute((work.get("start") or {}).get("utc"))
        finish = _minute((work.get("finish") or {}).get("utc"))
        if start is None or finish is None:
            continue
        if start <= current < finish if start <= finish else current >= start or current < finish:
            return True
    return False
