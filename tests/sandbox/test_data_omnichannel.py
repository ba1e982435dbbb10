"""The workspace loader for Omnichannel data: the collections live operations need, the livechat fields of
rooms and users, clear errors naming the item and field, and two defects fixed (a missing `open` stays
missing; a room's given `msgs` is not added to)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.sandbox.data import DataError, load_document

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # a Wednesday


def document(**sections: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "users": [
            {"_id": "u-jane", "username": "jane", "roles": ["livechat-agent"], "statusLivechat": "available"},
            {"_id": "u-mia", "username": "mia", "roles": ["livechat-manager"]},
        ],
        "departments": [{"_id": "dep-sales", "name": "Sales"}],
        "rooms": [
            {"_id": "lc-1", "t": "l", "ts": "2026-11-18T08:00:00Z", "open": True, "v": {"_id": "v-1", "token": "t"}},
            {"_id": "lc-2", "t": "l", "ts": "2026-11-18T07:00:00Z", "closedAt": "2026-11-18T07:30:00Z"},
        ],
    }
    base.update(sections)
    return base


def test_a_closed_room_without_open_keeps_no_open_field() -> None:
    """Rocket.Chat `$unset`s `open` on close (LivechatRooms.closeRoomById); a default `open: false` would make
    `{open: {$exists: false}}` (closed per agent and department) miss the room."""
    store = load_document(document(), clock=lambda: NOW)
    assert "open" not in store.rooms["lc-2"]
    assert store.rooms["lc-1"]["open"] is True


def test_a_rooms_given_msgs_is_kept_not_added_to() -> None:
    """An export carries `msgs` and the messages it counted: loading them must not count them twice."""
    messages = [
        {"_id": f"m-{i}", "rid": "lc-1", "ts": "2026-11-18T08:01:00Z", "msg": "x", "u": {"username": "jane"}}
        for i in range(3)
    ]
    rooms = document()["rooms"]
    rooms[0]["msgs"] = 3
    store = load_document(document(rooms=rooms, messages=messages), clock=lambda: NOW)
    assert store.rooms["lc-1"]["msgs"] == 3
    counted = load_document(document(messages=messages), clock=lambda: NOW)
    assert counted.rooms["lc-1"]["msgs"] == 3  # no `msgs` given: counted from the messages, as before


def test_omnichannel_collections_load_with_their_defaults() -> None:
    store = load_document(
        document(
            visitors=[{"_id": "v-1", "token": "t", "username": "guest-1", "_updatedAt": "2026-11-18T08:00:00Z"}],
            departmentAgents=[{"agentId": "u-jane", "departmentId": "dep-sales"}],
            inquiries=[{"_id": "inq-1", "rid": "lc-1", "status": "queued", "queuedAt": "2026-11-18T08:00:05Z"}],
            agentActivity=[
                {"agentId": "u-jane", "date": 20261118, "availableTime": 60, "lastStartedAt": "2026-11-18T08:00:00Z"}
            ],
            livechatTags=[{"_id": "tag-1", "name": "billing", "departments": ["dep-sales"]}],
            unitMonitors=[{"monitorId": "u-mia", "unitId": "unit-1"}],
            businessHours=[
                {
                    "_id": "bh-default",
                    "name": "",
                    "active": True,
                    "type": "default",
                    "timezone": {"name": "Europe/Berlin"},
                    "workHours": [{"day": "Monday", "start": "08:00", "finish": "20:00", "open": True}],
                }
            ],
        ),
        clock=lambda: NOW,
    )
    link = store.department_agents[0]
    assert (link["username"], link["departmentEnabled"], link["count"], link["order"]) == ("jane", True, 0, 0)
    inquiry = store.inquiries["inq-1"]
    assert inquiry["ts"] == datetime(2026, 11, 18, 8, tzinfo=UTC)  # the room's creation time
    assert inquiry["queuedAt"] == datetime(2026, 11, 18, 8, 0, 5, tzinfo=UTC)
    assert store.agent_activity[0]["lastStartedAt"] == datetime(2026, 11, 18, 8, tzinfo=UTC)
    assert store.livechat_tags["tag-1"]["numDepartments"] == 1
    assert store.unit_monitors[0]["username"] == "mia"
    # Berlin in November is UTC+1: 08:00 local is 07:00 UTC, and the server runs on UTC (the cron time).
    start = store.business_hours["bh-default"]["workHours"][0]["start"]
    assert start == {
        "time": "08:00",
        "utc": {"dayOfWeek": "Monday", "time": "07:00"},
        "cron": {"dayOfWeek": "Monday", "time": "07:00"},
    }
    assert store.business_hours["bh-default"]["timezone"] == {"name": "Europe/Berlin", "utc": "1"}


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"inquiries": [{"_id": "i", "rid": "nope", "status": "queued"}]}, "inquiries[0] ('i'): rid 'nope' is not"),
        (
            {"inquiries": [{"_id": "i", "rid": "lc-1", "status": "waiting"}]},
            "inquiries[0] ('i'): field 'status' must be one of 'queued', 'taken', 'ready', 'open'; got 'waiting'",
        ),
        (
            {"departmentAgents": [{"agentId": "u-jane", "departmentId": "dep-x"}]},
            "departmentAgents[0]: departmentId 'dep-x' is not a department in 'departments'",
        ),
        (
            {"agentActivity": [{"agentId": "u-jane", "date": "2026-11-18", "lastStartedAt": "2026-11-18T08:00:00Z"}]},
            "agentActivity[0]: field 'date' must be a whole number",
        ),
        ({"visitors": [{"_id": "v-1"}]}, "visitors[0] ('v-1'): field 'token' is missing"),
        (
            {"users": [{"username": "x", "statusLivechat": "busy"}]},
            "users[0] ('x'): field 'statusLivechat' must be one of 'available', 'not-available'; got 'busy'",
        ),
        (
            {"rooms": [{"_id": "r", "t": "l", "ts": "2026-11-18T08:00:00Z", "waitingResponse": "yes"}]},
            "rooms[0] ('r'): field 'waitingResponse' must be true or false",
        ),
        (
            {"rooms": [{"_id": "r", "t": "l", "ts": "2026-11-18T08:00:00Z", "metrics": {"visitorInactivity": "1h"}}]},
            "rooms[0] ('r') metrics: field 'visitorInactivity' must be a whole number or a number",
        ),
        (
            {
                "businessHours": [
                    {
                        "_id": "b",
                        "name": "",
                        "timezone": {"name": "UTC"},
                        "workHours": [{"day": "Monday", "start": "8"}],
                    }
                ]
            },
            "businessHours[0] ('b') workHours[0]: field 'start' must be a time \"HH:MM\"",
        ),
    ],
)
def test_bad_omnichannel_items_name_the_item_and_field(sections: dict[str, Any], message: str) -> None:
    with pytest.raises(DataError) as caught:
        load_document(document(**sections), clock=lambda: NOW)
    assert message in str(caught.value)
