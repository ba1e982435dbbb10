"""Conversations on known days of February and March 2024 (UTC), for tests of comparisons: enough on each
weekday around Tue 12 Mar to tell the same weekday a week earlier from the day before, and hours to tell a
morning from a whole day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.sandbox.workspace import iso, small_workspace

# ((month, day) in 2024, hours:minutes the conversations started, first response in seconds)
DAYS: list[tuple[tuple[int, int], tuple[str, ...], float]] = [
    ((2, 1), ("09:00", "12:00", "18:00"), 60),  # Thu 1 Feb
    ((3, 1), ("08:00", "10:00"), 60),  # Fri 1 Mar
    ((3, 4), ("09:00", "10:00", "11:00", "12:00"), 60),  # Mon 4 Mar
    ((3, 5), ("07:00", "10:59", "13:00", "15:00", "16:00"), 60),  # Tue 5 Mar
    ((3, 8), ("09:00", "10:00", "11:00", "12:00", "13:00"), 60),  # Fri 8 Mar
    ((3, 10), ("10:00",), 60),  # Sun 10 Mar
    ((3, 11), ("09:00", "10:00", "11:00", "12:00", "13:00", "14:00"), 90),  # Mon 11 Mar
    ((3, 12), ("08:00", "09:30", "10:15", "11:05"), 60),  # Tue 12 Mar, "today" until 11:20
]


def march_workspace() -> dict[str, Any]:
    document = small_workspace(API_Enable_Rate_Limiter=False)
    for (month, day), times, first_response in DAYS:
        for at in times:
            hour, minute = (int(x) for x in at.split(":"))
            started = datetime(2024, month, day, hour, minute, tzinfo=UTC)
            document["rooms"].append(
                {
                    "_id": f"room-{month}-{day}-{at}",
                    "t": "l",
                    "ts": iso(started),
                    "open": False,
                    "departmentId": "dep-sales",
                    "servedBy": {"_id": "u-agent", "username": "jane"},
                    "responseBy": {"_id": "u-agent", "username": "jane"},
                    "v": {"_id": "v-x", "username": "guest-x", "token": "tok-x"},
                    "metrics": {
                        "chatDuration": 300,
                        "response": {"ft": first_response, "avg": first_response},
                        "reaction": {"ft": 10},
                    },
                }
            )
    return document
