"""The waiting queue: `livechat/inquiries.*` and `livechat/queue` (rocketchat-live-ops.md §3).

Sources: `apps/meteor/server/api/v1/omnichannel/inquiries.ts`, `lib/inquiries.ts`, `queue.ts`, `lib/queue.ts`;
`LivechatRooms.getQueueMetrics` and `getOmniChatSortQuery` (`apps/meteor/app/livechat/lib/inquiries.ts`);
schemas in `packages/rest-typings/src/v1/omnichannel.ts`. All are legacy `addRoute` routes.

- `inquiries.list` (manager): queued inquiries only, `department` by id *or name* with an unknown one silently
  ignored, newest first (`{ts: -1}`, the opposite of queue order), six fields per inquiry.
- `inquiries.queuedForUser` (`view-l-room`): what the caller may take, in queue order after the caller's own
  sort keys; a department outside the caller's enabled departments is 400 `error-not-authorized`.
- `inquiries.getOne`: `{inquiry}` for a room, null when there is none.
- `inquiries.take`: the caller (or `userId`) takes a queued inquiry if routable (online, available).
- `queue`: *not* the waiting queue but the load per (agent, department) of open served rooms, counting only
  agents online and available unless `includeOfflineAgents=true`; sorted `{chats: -1}`.
"""

from __future__ import annotations

from typing import Any

from . import omnichannel
from .api import Api, Ctx, failure, invalid_params
from .model import MeteorError
from .mongo import mongo_sort, page, pagination, parse_sort
from .schema import Schema
from .store import Doc, Store
from .versions import profile

__all__ = ["register"]

PAGED = {"count": "number", "offset": "number", "sort": "string"}
LIST = Schema({**PAGED, "department": "string"})
GET_ONE = Schema({"roomId": "string"}, required=("roomId",))
QUEUE = Schema({**PAGED, "agentId": "string", "departmentId": "string", "includeOfflineAgents": "string"})
LIST_FIELDS = ("_id", "rid", "name", "ts", "status", "department")


def queue_sort(store: Store) -> dict[str, int]:
    """`getOmniChatSortQuery(Omnichannel_sorting_mechanism)`; 7.x builds lack `queuedAt`."""
    with_queued = profile(store.settings).inquiry_sort_queued_at
    base = {"queuedAt": 1, "ts": 1, "_updatedAt": -1} if with_queued else {"ts": 1, "_updatedAt": -1}
    prefix = {"Priority": {"priorityWeight": 1}, "SLAs": {"estimatedWaitingTimeQueue": 1}}
    return {**prefix.get(str(store.settings.get("Omnichannel_sorting_mechanism")), {}), **base}


def _paged(ctx: Ctx) -> tuple[int, int, dict[str, int] | None]:
    offset, count = pagination(ctx.store.settings, ctx.params.get("count"), ctx.params.get("offset"))
    return offset, count, parse_sort(ctx.params.get("sort"))


def enabled_departments(store: Store, agent_id: str) -> list[str]:
    """The departments an agent is linked to that are enabled (`agentDepartments` in lib/inquiries.ts)."""
    linked = [link["departmentId"] for link in store.department_agents if link.get("agentId") == agent_id]
    return [d for d in linked if store.departments.get(d, {}).get("enabled", True)]


def register(api: Api) -> None:
    store = api.store

    @api.route("GET", "livechat/inquiries.list", permissions=("view-livechat-manager",), query_schema=LIST)
    async def inquiries_list(ctx: Ctx) -> Any:
        offset, count, sort = _paged(ctx)
        wanted = ctx.params.get("department")
        department = None
        if wanted:
            found = store.departments.get(wanted) or next(
                (d for d in store.departments.values() if d.get("name") == wanted), None
            )
            department = found["_id"] if found else None
        items = [
            i
            for i in store.inquiries.values()
            if i.get("status") == "queued" and (department is None or i.get("department") == department)
        ]
        shown = page(mongo_sort(items, sort or {"ts": -1}), offset, count)
        inquiries = [{k: i[k] for k in LIST_FIELDS if k in i} for i in shown]
        return {"inquiries": inquiries, "offset": offset, "count": len(inquiries), "total": len(items)}

    @api.route("GET", "livechat/inquiries.queuedForUser", permissions=("view-l-room",), query_schema=LIST)
    async def queued_for_user(ctx: Ctx) -> Any:
        offset, count, sort = _paged(ctx)
        me, wanted = ctx.me["_id"], ctx.params.get("department")
        allowed = enabled_departments(store, me)
        if allowed and wanted and wanted not in allowed:
            raise failure("error-not-authorized")
        scope = ([wanted] if wanted else allowed) if allowed else None

        def takeable(inquiry: Doc) -> bool:
            if inquiry.get("status") != "queued":
                return False
            if "defaultAgent" in inquiry:
                return bool((inquiry["defaultAgent"] or {}).get("agentId") == me)
            return "department" not in inquiry or (scope is not None and inquiry["department"] in scope)

        items = [i for i in store.inquiries.values() if takeable(i)]
        # `{...sort, ...defaultSort}`: the caller's keys first, the mechanism's values win on shared keys.
        order = {**(sort or {}), **queue_sort(store)}
        shown = page(mongo_sort(items, order), offset, count)
        return {"inquiries": shown, "count": len(shown), "offset": offset, "total": len(items)}

    @api.route("POST", "livechat/inquiries.take", permissions=("view-l-room",), body_check=_take_body)
    async def take(ctx: Ctx) -> Any:
        """`takeInquiry` (`apps/meteor/app/livechat/server/lib/takeInquiry.ts`); it returns nothing, so the body
        is `{success: true}` alone."""
        wanted = ctx.body.get("userId")
        if wanted and wanted not in store.users:
            raise failure("The user is invalid")
        inquiry = store.inquiries.get(ctx.body["inquiryId"])
        details = {"method": "livechat:takeInquiry"}
        if inquiry is None:
            raise MeteorError("error-not-found", "Inquiry not found", details)
        if inquiry.get("status") == "taken":
            raise MeteorError("error-inquiry-taken", "Inquiry already taken", details)
        agent = store.users[wanted or ctx.me["_id"]]
        if not routable(store, agent):
            reason = "Agent status is offline or Omnichannel service is not active"
            raise MeteorError("error-agent-status-service-offline", reason, details)
        omnichannel.take(store, inquiry["rid"], agent)
        return {}

    @api.route("GET", "livechat/inquiries.getOne", permissions=("view-l-room",), query_schema=GET_ONE)
    async def get_one(ctx: Ctx) -> Any:
        rid = ctx.params["roomId"]
        return {"inquiry": next((i for i in store.inquiries.values() if i.get("rid") == rid), None)}

    @api.route("GET", "livechat/queue", permissions=("view-l-room",), query_schema=QUEUE)
    async def queue(ctx: Ctx) -> Any:
        offset, count, sort = _paged(ctx)
        rows = queue_metrics(
            store,
            agent_id=ctx.params.get("agentId"),
            department_id=ctx.params.get("departmentId"),
            include_offline=ctx.params.get("includeOfflineAgents") == "true",
        )
        shown = page(mongo_sort(rows, sort or {"chats": -1}), offset, count)
        return {"queue": shown, "count": len(shown), "offset": offset, "total": len(rows)}


def _take_body(body: Any) -> None:
    """`isPOSTLivechatInquiriesTakeParams`: `inquiryId` required, `userId` optional, nothing else."""
    if not isinstance(body, dict):
        raise invalid_params("must be object")
    if "inquiryId" not in body:
        raise invalid_params("must have required property 'inquiryId'")
    if set(body) - {"inquiryId", "userId"}:
        raise invalid_params("must NOT have additional properties")
    if not all(isinstance(body[k], str) for k in ("inquiryId", "userId") if k in body and body[k] is not None):
        raise invalid_params("must be string")


def routable(store: Store, agent: Doc) -> bool:
    """`queryStatusAgentOnline` (`packages/models/src/helpers/omnichannel/agentStatus.ts`): an active agent,
    available, online unless a bot, and not away when `Livechat_enabled_when_agent_idle` is off."""
    if "livechat-agent" not in agent.get("roles", []) or not agent.get("active", True):
        return False
    if agent.get("statusLivechat") != "available":
        return False
    if "bot" not in agent.get("roles", []) and agent.get("status", "offline") == "offline":
        return False
    return bool(store.settings.get("Livechat_enabled_when_agent_idle", True)) or agent.get("statusConnection") != "away"


def queue_metrics(store: Store, *, agent_id: str | None, department_id: str | None, include_offline: bool) -> list[Doc]:
    """`LivechatRooms.getQueueMetrics`: open served rooms grouped by (agent, department), agents filtered
    after the `$lookup` (online and available unless offline agents are included)."""
    department = department_id if department_id and department_id != "undefined" else None
    groups: dict[tuple[Any, ...], Doc] = {}
    for room in store.livechat_rooms():
        if room.get("open") is not True or "servedBy" not in room:
            continue
        if department is not None and room.get("departmentId") != department:
            continue
        user = store.users.get(str((room["servedBy"] or {}).get("_id")))
        if user is None or (agent_id and user["_id"] != agent_id):
            continue
        if not include_offline and (user.get("status") == "offline" or user.get("statusLivechat") != "available"):
            continue
        dep = store.departments.get(str(room.get("departmentId")))
        key = (user["_id"], user.get("username"), user.get("status"), room.get("departmentId"), (dep or {}).get("name"))
        row = groups.get(key)
        if row is None:
            user_view = {k: v for k, v in (("_id", key[0]), ("username", key[1]), ("status", key[2])) if v is not None}
            dep_view = {k: v for k, v in (("_id", key[3]), ("name", key[4])) if v is not None}
            row = groups[key] = {"user": user_view, "department": dep_view, "chats": 0}
        row["chats"] += 1
    return list(groups.values())
