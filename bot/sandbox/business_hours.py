"""Omnichannel business hours: the stored work-hour triplets and whether a business hour is open now.

Rocket.Chat saves each work hour as `{day, start: {time, utc, cron}, finish: {…}, open, code}`: `time` is
local to the business hour's `timezone.name`, `utc` is that moment in UTC and `cron` is it in the *server's*
zone, each with its `dayOfWeek` (`AbstractBusinessHourType.convertWorkHours`,
`apps/meteor/app/livechat/server/business-hour/AbstractBusinessHour.ts`). moment parses `"Monday:08:00"`
with the format `dddd:HH:mm`, which places the weekday in the current (Sunday-first) week, so the offsets
are the ones in force on the day the hours were saved (here: loaded).

A business hour is open when it is `active` and one of its `open` work hours has
`start.cron <= now < finish.cron` on the server's weekly clock; the newest code wraps a range across the
end of the week (`filterBusinessHoursThatMustBeOpened.ts`). Nothing in REST says "open now": Rocket.Chat
keeps it as the agents' `openBusinessHours` and their `statusLivechat` (rocketchat-live-ops.md §5).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .model import Doc

__all__ = ["DAYS", "convert_work_hours", "is_open", "minutes_of_week"]

DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")  # moment's `d` order


def _weekday_index(moment: datetime) -> int:
    return (moment.weekday() + 1) % 7  # Python's Monday=0 to moment's Sunday=0


def _stamp(local: datetime) -> Doc:
    return {"dayOfWeek": DAYS[_weekday_index(local)], "time": local.strftime("%H:%M")}


def convert_work_hours(business_hour: Doc, now: datetime, server_zone: ZoneInfo) -> None:
    """Fill `start`/`finish` as `{time, utc, cron}` for work hours given as `"HH:MM"` (or as `{time}`)."""
    zone = ZoneInfo(business_hour.get("timezone", {}).get("name", "UTC"))
    local_now = now.astimezone(zone)
    sunday = local_now.date() - timedelta(days=_weekday_index(local_now))
    for hour in business_hour.get("workHours", []):
        day = sunday + timedelta(days=DAYS.index(hour["day"]))
        for edge in ("start", "finish"):
            value = hour[edge]
            text = value["time"] if isinstance(value, dict) else value
            hours, minutes = (int(part) for part in text.split(":"))
            instant = datetime.combine(day, time(hours, minutes), zone).astimezone(UTC)
            hour[edge] = {"time": text, "utc": _stamp(instant), "cron": _stamp(instant.astimezone(server_zone))}


def minutes_of_week(stamp: Doc) -> int:
    hours, minutes = (int(part) for part in str(stamp["time"]).split(":"))
    return DAYS.index(stamp["dayOfWeek"]) * 1440 + hours * 60 + minutes


def is_open(business_hour: Doc, now: datetime, server_zone: ZoneInfo) -> bool:
    """`active` and some open work hour contains `now` (start inclusive, finish exclusive, wrapping the week)."""
    if not business_hour.get("active"):
        return False
    local = now.astimezone(server_zone)
    current = _weekday_index(local) * 1440 + local.hour * 60 + local.minute
    for hour in business_hour.get("workHours", []):
        if not hour.get("open"):
            continue
        start, finish = minutes_of_week(hour["start"]["cron"]), minutes_of_week(hour["finish"]["cron"])
        inside = start <= current < finish if start <= finish else current >= start or current < finish
        if inside:
            return True
    return False
