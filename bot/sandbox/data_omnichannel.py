"""Load the Omnichannel collections of a workspace document and check the livechat fields of rooms and users.

Top-level keys are named after the collections they stand for, with Rocket.Chat's document shapes, so a
`mongoexport` of each loads as it is:

- `visitors` (`rocketchat_livechat_visitor`): `{_id, token, username?, name?, department?, _updatedAt}`;
- `inquiries` (`rocketchat_livechat_inquiry`): `{_id, rid, status, ts?, queuedAt?, takenAt?, department?,
  defaultAgent?: {agentId, username}, priorityWeight?, estimatedWaitingTimeQueue?}`;
- `departmentAgents` (`rocketchat_livechat_department_agents`): `{agentId, departmentId, username?, count?, order?}`;
- `agentActivity` (`rocketchat_livechat_agent_activity`): `{agentId, date: YYYYMMDD, availableTime,
  lastStartedAt, lastStoppedAt?, serviceHistory?}`;
- `livechatTags` (`rocketchat_livechat_tag`): `{_id, name, description?, departments?}`;
- `unitMonitors` (`rocketchat_livechat_unit_monitors`, EE): `{monitorId, unitId, username?}`;
- `businessHours` (`rocketchat_livechat_business_hours`): `{_id, name, active, type, timezone: {name},
  workHours: [{day, start: "08:00", finish: "20:00", open}]}` (the `utc`/`cron` triplets are computed).

Field meanings come from core-typings (`IInquiry.ts`, `ILivechatAgentActivity.ts`, `IRoom.ts`) and
rocketchat-live-ops.md §2–5. References are checked (an inquiry's room must be a livechat room, an agent a
user, a department a department) so a typo stops the sandbox with the item and field named.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .business_hours import DAYS, convert_work_hours
from .data_checks import DataError, choice, date, optional, optional_date, require
from .model import Doc
from .store import Store

__all__ = ["SECTIONS", "check_livechat_room", "check_livechat_user"]

NUMBER = (int, float)
USER_STATUSES = ("online", "away", "busy", "offline")
AGENT_STATUSES = ("available", "not-available")
INQUIRY_STATUSES = ("queued", "taken", "ready", "open")


def check_livechat_user(item: Doc, where: str) -> None:
    """`status`, `statusLivechat`, `statusConnection`, `openBusinessHours`, `livechat` (ILivechatAgent)."""
    choice(item, "status", USER_STATUSES, where)
    choice(item, "statusConnection", USER_STATUSES, where)
    choice(item, "statusDefault", USER_STATUSES, where)
    choice(item, "statusLivechat", AGENT_STATUSES, where)
    optional(item, "active", bool, where, '"active": true')
    optional(item, "livechat", dict, where, '"livechat": {"maxNumberSimultaneousChat": 4}')
    hours = optional(item, "openBusinessHours", list, where, '"openBusinessHours": ["bh-default"]')
    if hours is not None and not all(isinstance(h, str) for h in hours):
        raise DataError(f"{where}: field 'openBusinessHours' must be a list of business-hour ids; got {hours!r}")
    for key in ("lastRoutingTime", "lastAssignTime"):
        optional_date(item, key, where)


def check_livechat_room(item: Doc, where: str) -> None:
    """The IOmnichannelRoom fields the live-operations computations read."""
    optional(item, "waitingResponse", bool, where, '"waitingResponse": true')
    optional(item, "fname", str, where, '"fname": "Guest 1"')
    choice(item, "closer", ("user", "visitor"), where)
    optional(item, "closedBy", dict, where, '"closedBy": {"_id": "u-jane", "username": "jane"}')
    optional(item, "livechatData", dict, where, '"livechatData": {"plan": "pro"}')
    optional(item, "source", dict, where, '"source": {"type": "widget"}')
    for key in ("priorityWeight", "estimatedWaitingTimeQueue"):
        optional(item, key, NUMBER, where, f'"{key}": 99')
    tags = optional(item, "tags", list, where, '"tags": ["billing"]')
    if tags is not None and not all(isinstance(t, str) for t in tags):
        raise DataError(f"{where}: field 'tags' must be a list of tag names; got {tags!r}")
    optional_date(item, "queuedAt", where)
    visitor = item.get("v")
    if isinstance(visitor, dict):
        optional_date(visitor, "lastMessageTs", where, "v.lastMessageTs")
    metrics = item.get("metrics")
    if isinstance(metrics, dict):
        for key in ("visitorInactivity", "serviceTimeDuration"):
            optional(metrics, key, NUMBER, f"{where} metrics", f'"{key}": 120')


def _visitor(store: Store, item: Doc, where: str) -> None:
    vid = require(item, "_id", str, where, '"_id": "v-1"')
    if vid in store.visitors:
        raise DataError(f"{where}: _id {vid!r} is used twice")
    require(item, "token", str, where, '"token": "visitor-token"')
    for key in ("username", "name"):
        optional(item, key, str, where, f'"{key}": "guest-1"')
    optional(item, "department", str, where, '"department": "dep-sales"')
    for key in ("ts", "_updatedAt"):
        optional_date(item, key, where)
    # Rocket.Chat always writes _updatedAt; a hand-written visitor without one was updated when it was created.
    item.setdefault("_updatedAt", item.get("ts") or store.now())
    store.visitors[vid] = item


def _department_ref(store: Store, item: Doc, key: str, where: str, *, required: bool) -> str | None:
    check = require if required else optional
    value = check(item, key, str, where, f'"{key}": "dep-sales"')
    if value is not None and value not in store.departments:
        raise DataError(f"{where}: {key} {value!r} is not a department in 'departments'")
    return value  # type: ignore[no-any-return]


def _user_id_ref(store: Store, item: Doc, key: str, where: str) -> Doc:
    uid = require(item, key, str, where, f'"{key}": "u-jane"')
    user = store.users.get(uid)
    if user is None:
        raise DataError(f"{where}: {key} {uid!r} is not a user _id in 'users'")
    return user


def _inquiry(store: Store, item: Doc, where: str) -> None:
    iid = require(item, "_id", str, where, '"_id": "inq-1"')
    if iid in store.inquiries:
        raise DataError(f"{where}: _id {iid!r} is used twice")
    rid = require(item, "rid", str, where, '"rid": "lc-1"')
    room = store.rooms.get(rid)
    if room is None or room.get("t") != "l":
        raise DataError(f"{where}: rid {rid!r} is not a livechat room in 'rooms'")
    status = choice(item, "status", INQUIRY_STATUSES, where)
    if status is None:
        raise DataError(f'{where}: field \'status\' is missing (for example "status": "queued")')
    item["ts"] = date(item["ts"], where, "ts") if "ts" in item else room["ts"]
    for key in ("queuedAt", "takenAt", "lockedAt", "_updatedAt", "estimatedInactivityCloseTimeAt"):
        optional_date(item, key, where)
    _department_ref(store, item, "department", where, required=False)
    agent = optional(item, "defaultAgent", dict, where, '"defaultAgent": {"agentId": "u-jane", "username": "jane"}')
    if agent is not None:
        _user_id_ref(store, agent, "agentId", f"{where} defaultAgent")
    for key in ("priorityWeight", "estimatedWaitingTimeQueue"):
        optional(item, key, NUMBER, where, f'"{key}": 99')
    item.setdefault("name", room.get("fname", ""))
    item.setdefault("v", room.get("v", {}))
    item.setdefault("_updatedAt", item["ts"])
    store.inquiries[iid] = item


def _department_agent(store: Store, item: Doc, where: str) -> None:
    agent = _user_id_ref(store, item, "agentId", where)
    department = store.departments[str(_department_ref(store, item, "departmentId", where, required=True))]
    if any(
        link["agentId"] == item["agentId"] and link["departmentId"] == department["_id"]
        for link in store.department_agents
    ):
        raise DataError(f"{where}: agent {item['agentId']!r} is linked to {department['_id']!r} twice")
    for key in ("count", "order"):
        optional(item, key, NUMBER, where, f'"{key}": 0')
    optional(item, "departmentEnabled", bool, where, '"departmentEnabled": true')
    item.setdefault("_id", store.new_id())
    item.setdefault("username", agent["username"])
    item.setdefault("departmentEnabled", department.get("enabled", True))
    item.setdefault("count", 0)
    item.setdefault("order", 0)
    store.department_agents.append(item)


def _agent_activity(store: Store, item: Doc, where: str) -> None:
    _user_id_ref(store, item, "agentId", where)
    day = require(item, "date", int, where, '"date": 20241118')
    if not 19700101 <= day <= 99991231:
        raise DataError(f"{where}: field 'date' must be a day written YYYYMMDD, like 20241118; got {day!r}")
    optional(item, "availableTime", NUMBER, where, '"availableTime": 3600')
    item["lastStartedAt"] = date(item.get("lastStartedAt"), where, "lastStartedAt")
    optional_date(item, "lastStoppedAt", where)
    for index, entry in enumerate(optional(item, "serviceHistory", list, where, '"serviceHistory": []') or []):
        if not isinstance(entry, dict):
            raise DataError(f'{where}: serviceHistory[{index}] must be an object like {{"startedAt": ...}}')
        for key in ("startedAt", "stoppedAt"):
            optional_date(entry, key, where, f"serviceHistory[{index}].{key}")
    item.setdefault("_id", store.new_id())
    item.setdefault("availableTime", 0)
    store.agent_activity.append(item)


def _tag(store: Store, item: Doc, where: str) -> None:
    tid = require(item, "_id", str, where, '"_id": "tag-billing"')
    require(item, "name", str, where, '"name": "billing"')
    for department in optional(item, "departments", list, where, '"departments": ["dep-sales"]') or []:
        if department not in store.departments:
            raise DataError(f"{where}: department {department!r} is not a department in 'departments'")
    item.setdefault("departments", [])
    item.setdefault("numDepartments", len(item["departments"]))
    store.livechat_tags[tid] = item


def _unit_monitor(store: Store, item: Doc, where: str) -> None:
    monitor = _user_id_ref(store, item, "monitorId", where)
    require(item, "unitId", str, where, '"unitId": "unit-emea"')
    item.setdefault("_id", store.new_id())
    item.setdefault("username", monitor["username"])
    store.unit_monitors.append(item)


def _business_hour(store: Store, item: Doc, where: str) -> None:
    bid = require(item, "_id", str, where, '"_id": "bh-default"')
    require(item, "name", str, where, '"name": ""')
    choice(item, "type", ("default", "custom"), where)
    item.setdefault("type", "default")
    item["active"] = bool(optional(item, "active", bool, where, '"active": true'))
    zone = require(item, "timezone", dict, where, '"timezone": {"name": "Europe/Berlin"}')
    try:
        tz = ZoneInfo(str(zone.get("name")))
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        raise DataError(f"{where}: timezone.name must be an IANA zone like 'Europe/Berlin'; got {zone!r}") from None
    offset = (store.now().astimezone(tz).utcoffset() or timedelta()).total_seconds() / 3600
    zone.setdefault("utc", f"{offset:g}")
    hours = require(item, "workHours", list, where, '"workHours": [{"day": "Monday", "start": "08:00", ...}]')
    for index, hour in enumerate(hours):
        _work_hour(hour, f"{where} workHours[{index}]")
    for key in ("ts", "_updatedAt"):
        optional_date(item, key, where)
    item.setdefault("ts", store.now())
    item.setdefault("_updatedAt", item["ts"])
    server_zone = ZoneInfo(str(store.settings.get("Sandbox_Server_Timezone", "UTC")))
    convert_work_hours(item, store.now(), server_zone)
    store.business_hours[bid] = item


def _work_hour(hour: Any, where: str) -> None:
    if not isinstance(hour, dict) or hour.get("day") not in DAYS:
        raise DataError(f'{where} must be like {{"day": "Monday", "start": "08:00", "finish": "20:00", "open": true}}')
    for edge in ("start", "finish"):
        value = hour.get(edge)
        text = value.get("time") if isinstance(value, dict) else value
        parts = text.split(":") if isinstance(text, str) else []
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[0]) > 23 or int(parts[1]) > 59:
            raise DataError(f'{where}: field {edge!r} must be a time "HH:MM" like "08:00"; got {value!r}')
    hour["open"] = bool(hour.get("open", False))
    hour.setdefault("code", DAYS.index(hour["day"]) or 7)


# Loaded in this order, after users, departments and rooms (their references must exist first).
SECTIONS = {
    "visitors": _visitor,
    "departmentAgents": _department_agent,
    "businessHours": _business_hour,
    "livechatTags": _tag,
    "unitMonitors": _unit_monitor,
    "inquiries": _inquiry,
    "agentActivity": _agent_activity,
}
