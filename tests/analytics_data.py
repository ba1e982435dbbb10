"""Known Omnichannel data for exact-figure tests: §3.7's worked example (Tue 2024-03-05) plus one
conversation the day before, so every overview figure has a previous period to compare with."""

from __future__ import annotations

from typing import Any

from tests.sandbox.workspace import worked_example


def analytics_workspace(**settings: Any) -> dict[str, Any]:
    document = worked_example(API_Enable_Rate_Limiter=False, **settings)
    document["rooms"].append(
        {
            "_id": "room-c",
            "t": "l",
            "ts": "2024-03-04T10:00:00Z",
            "open": False,
            "departmentId": "dep-sales",
            "servedBy": {"_id": "u-agent", "username": "jane"},
            "responseBy": {"_id": "u-agent", "username": "jane"},
            "v": {"_id": "v-c", "username": "guest-c", "token": "tok-c"},
            "metrics": {"chatDuration": 300, "response": {"ft": 120, "avg": 130}, "reaction": {"ft": 20}},
        }
    )
    for index, (minute, sender) in enumerate(((0, None), (2, "jane"), (5, "jane"))):
        message: dict[str, Any] = {
            "_id": f"room-c-m{index}",
            "rid": "room-c",
            "msg": "text",
            "ts": f"2024-03-04T10:{minute:02d}:00Z",
        }
        if sender is None:
            message.update({"u": {"_id": "v-c", "username": "guest-c"}, "token": "tok-c"})
        else:
            message["u"] = {"_id": "u-agent", "username": "jane"}
        document["messages"].append(message)
    return document
