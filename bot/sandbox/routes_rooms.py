"""`GET livechat/rooms`: the list of Omnichannel rooms with filters, sort and pagination
(rocketchat-live-ops.md §2).

Sources: `apps/meteor/server/api/v1/omnichannel/rooms.ts` (the handler), `lib/rooms.ts` (`findRooms`),
`LivechatRooms.findRoomsWithCriteria` (`packages/models/src/models/LivechatRooms.ts`), the schema
`GETLivechatRoomsParamsSchema` (`packages/rest-typings/src/v1/omnichannel.ts`).

Order inside the handler: pagination, `sort`, the `createdAt`/`closedAt` dates (400 before any permission
check), then the permission (`view-livechat-rooms`, or `view-l-room` with `agents` exactly `[me]`, else 403
`unauthorized`), then `customFields`. The filters are MongoDB's: `open=true` also needs `servedBy`;
`open=false` means `open` absent; `onhold`/`queued` take 't', 'true' or '1'; `createdAt={}` sets `ts: {}`,
which matches nothing. `query` and `fields` are accepted by the schema and ignored (the unsafe-parameters
environment flag is off since 7.0, and 9.0 removes them). Each room with a known department gets
`department: {_id, name}`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .api import Api, Ctx, failure
from .mongo import field, js_date, mongo_sort, page, pagination, parse_sort
from .routes_agents import forbidden
from .schema import Schema
from .store import Doc, Store

__all__ = ["register"]

ROOMS = Schema(
    {
        "count": "number",
        "offset": "number",
        "sort": "string",
        "query": "string",
        "fields": "string",
        "createdAt": "string",
        "customFields": "string",
        "closedAt": "string",
        "agents": "array",
        "roomName": "string",
        "departmentId": "string|array",
        "open": "string|boolean",
        "onhold": "string|boolean",
        "queued": "string|boolean",
        "tags": "array",
        "units": "array",
    }
)
TRUTHY = ("t", "true", "1")
_NOTHING = object()  # `createdAt={}`: a `ts: {}` filter, which equals no room's date


def _range(text: str | None, name: str, zone: ZoneInfo) -> dict[str, datetime] | object | None:
    """`validateDateParams`: JSON `{start?, end?}`; a bad JSON text is Node's JSON.parse error as a plain 400."""
    if not text:
        return None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise failure(f"{exc.msg} in JSON at position {exc.pos}") from None
    bounds: dict[str, datetime] = {}
    for side in ("start", "end"):
        value = parsed.get(side) if isinstance(parsed, dict) else None
        if value:
            moment = js_date(str(value), zone)
            if moment is None:
                raise failure(f'The "{name}.{side}" query parameter must be a valid date.')
            bounds[side] = moment
    return bounds if bounds else _NOTHING


def _within(value: Any, bounds: dict[str, datetime] | object | None) -> bool:
    if bounds is None:
        return True
    if not isinstance(bounds, dict) or not isinstance(value, datetime):
        return False
    return ("start" not in bounds or value >= bounds["start"]) and ("end" not in bounds or value <= bounds["end"])


def register(api: Api) -> None:
    store = api.store

    @api.route("GET", "livechat/rooms", query_schema=ROOMS)
    async def rooms(ctx: Ctx) -> Any:
        params = ctx.params
        offset, count = pagination(store.settings, params.get("count"), params.get("offset"))
        sort = parse_sort(params.get("sort"))
        zone = ZoneInfo(str(store.settings.get("Sandbox_Server_Timezone", "UTC")))
        created = _range(params.get("createdAt"), "createdAt", zone)
        closed = _range(params.get("closedAt"), "closedAt", zone)
        agents = params.get("agents")
        admin = store.has_permission(ctx.me, "view-livechat-rooms")
        agent = store.has_permission(ctx.me, "view-l-room") and agents == [ctx.me["_id"]]
        if not admin and not agent:
            raise forbidden()
        custom = _custom_fields(params.get("customFields"))
        matched = [room for room in store.livechat_rooms() if _matches(room, params, created, closed, custom)]
        shown = [_with_department(store, room) for room in page(mongo_sort(matched, sort or {"ts": -1}), offset, count)]
        return {"rooms": shown, "count": len(shown), "offset": offset, "total": len(matched)}


def _custom_fields(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        parsed = json.loads(text)
        if not isinstance(parsed, dict):
            raise ValueError(text)
    except ValueError:
        raise failure('The "customFields" query parameter must be a valid JSON.') from None
    return parsed


def _flag(value: Any) -> bool:
    """`['t', 'true', '1'].includes(`${value}`)` (query values are strings)."""
    return value is not None and str(value) in TRUTHY


def _state_filter(params: dict[str, Any]) -> dict[str, Any]:
    """The `open`/`onhold`/`queued` clauses, later ones overriding earlier ones on the same field, as the
    model's query object is built: field -> required state ("exists", "absent", "true", "not-true")."""
    opened = params.get("open")
    clauses: dict[str, str] = {}
    if opened in ("true", "false"):
        clauses.update({"open": "exists" if opened == "true" else "absent", "onHold": "not-true"})
        if opened == "true":
            clauses["servedBy"] = "exists"
    if _flag(params.get("onhold")):
        clauses["onHold"] = "true"
    if _flag(params.get("queued")):
        clauses.update({"servedBy": "absent", "open": "true", "onHold": "not-true"})
    return clauses


def _state(room: Doc, key: str, wanted: str) -> bool:
    if wanted == "exists":
        return key in room
    if wanted == "absent":
        return key not in room
    return (room.get(key) is True) == (wanted == "true")


def _matches(room: Doc, params: dict[str, Any], created: Any, closed: Any, custom: dict[str, Any] | None) -> bool:
    """`findRoomsWithCriteria` (without the EE unit restrictions)."""
    agents = params.get("agents")
    if agents is not None and field(room, "servedBy._id") not in agents:
        return False
    name = params.get("roomName")
    if name:
        exact = name.startswith('"') and name.endswith('"')
        fname = room.get("fname")
        if exact and fname != name[1:-1]:
            return False
        if not exact and not (isinstance(fname, str) and re.search(re.escape(name), fname, re.IGNORECASE)):
            return False
    department = params.get("departmentId")
    if department and department != "undefined":
        wanted = department if isinstance(department, list) else [department]
        if room.get("departmentId") not in wanted:
            return False
    if not all(_state(room, key, wanted) for key, wanted in _state_filter(params).items()):
        return False
    if not _within(room.get("ts"), created) or not _within(room.get("closedAt"), closed):
        return False
    tags = params.get("tags")
    if tags is not None and not set(room.get("tags") or []) & set(tags):
        return False
    for key, pattern in (custom or {}).items():
        value = field(room, f"livechatData.{key}")
        try:
            if not isinstance(value, str) or not re.search(str(pattern), value, re.IGNORECASE):
                return False
        except re.error:
            raise failure(f"Invalid regular expression: /{pattern}/i") from None
    return True


def _with_department(store: Store, room: Doc) -> Doc:
    department = store.departments.get(str(room.get("departmentId"))) if room.get("departmentId") else None
    return {**room, "department": {"_id": department["_id"], "name": department["name"]}} if department else room
