"""Agents and their availability, department agents and business hours (rocketchat-live-ops.md §4–5).

Sources: `apps/meteor/server/api/v1/omnichannel/users.ts` + `lib/users.ts` (`findAgentsWithDepartments` in
`packages/models/src/models/Users.ts`), `departments.ts` + `lib/departments.ts` (`findDepartmentAgents`),
`agent.ts` (`livechat/agent.status`), `agentDepartments.ts` + `lib/agents.ts`, `businessHours.ts` +
`lib/businessHours.ts`.

- `livechat/users/agent` has no route-level permission for GET: the handler wants `transfer-livechat-guest` or
  `edit-omnichannel-contact` and otherwise answers 403 `{"error": "unauthorized"}` (`API.v1.forbidden()`);
  `livechat/users/manager` wants `view-livechat-manager`; any other type is a plain 400 `Invalid type`.
  Each user is `{_id, username, status, statusLivechat, name, emails, livechat, departments}` as the
  aggregation's `$group` builds it (absent fields come back as null; `departments` lists department ids).
- `livechat/agent.status` toggles or sets `statusLivechat`; someone else's needs `manage-livechat-agents`;
  with business hours on and closed, an agent's own change to available is 400
  `error-business-hours-are-closed` while a manager's silently keeps the old status.
- `livechat/business-hour` returns the default business hour (or the one named by `_id`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import omnichannel
from .api import Api, ApiError, Ctx, failure, invalid_params
from .business_hours import is_open
from .mongo import mongo_sort, page, pagination, parse_sort
from .schema import Schema
from .store import Doc, Store

__all__ = ["register"]

PAGED = {"count": "number", "offset": "number", "sort": "string", "query": "string", "fields": "string"}
USERS = Schema(
    {"text": "string", "onlyAvailable": "boolean", "excludeId": "string", "showIdleAgents": "boolean", **PAGED}
)
BUSINESS_HOUR = Schema({"_id": "string", "type": "string"})
AGENT_DEPARTMENTS = Schema({"enabledDepartmentsOnly": "string"})
AGENT_FIELDS = ("username", "status", "statusLivechat", "name", "emails", "livechat")
ONE_USER_FIELDS = ("_id", "username", "name", "status", "statusLivechat", "emails", "livechat")


def forbidden() -> ApiError:
    """`API.v1.forbidden()` before the 9.0 breaking-change flag."""
    return failure("unauthorized", status=403)


def _agent_status_body(body: Any) -> None:
    """`isPOSTLivechatAgentStatusProps`: optional `status` (available | not-available) and `agentId`."""
    if not isinstance(body, dict):
        raise invalid_params("must be object")
    if set(body) - {"status", "agentId"}:
        raise invalid_params("must NOT have additional properties")
    if "status" in body and not isinstance(body["status"], str):
        raise invalid_params("must be string")
    if "status" in body and body["status"] not in ("available", "not-available"):
        raise invalid_params("must be equal to one of the allowed values")
    if "agentId" in body and not isinstance(body["agentId"], str):
        raise invalid_params("must be string")


def agent_rows(store: Store, role: str, params: dict[str, Any]) -> list[Doc]:
    """`findUsers` + `findAgentsWithDepartments`: the filter, then one row per user with its department ids."""
    text, exclude = params.get("text"), params.get("excludeId")
    pattern = re.compile(re.escape(text), re.IGNORECASE) if text else None
    rows = []
    for user in store.users.values():
        if role not in user.get("roles", []) or (exclude and user["_id"] == exclude):
            continue
        if params.get("onlyAvailable") and user.get("statusLivechat") != "available":
            continue
        if params.get("showIdleAgents") is False and not (
            "bot" in user.get("roles", []) or (user.get("status", "offline") != "offline" and "status" in user)
        ):
            continue
        if pattern is not None and not any(
            pattern.search(str(v))
            for v in (user.get("username"), user.get("name"), *(e.get("address") for e in user.get("emails", [])))
            if v is not None
        ):
            continue
        row: Doc = {"_id": user["_id"], **{k: user.get(k) for k in AGENT_FIELDS}}
        row["departments"] = [a["departmentId"] for a in store.department_agents if a.get("agentId") == user["_id"]]
        rows.append(row)
    return rows


def business_hours_closed_for(store: Store, agent: Doc, now: datetime) -> bool:
    """Not `allowAgentChangeServiceStatus`: business hours are on, the agent has no open business hour (bots
    are exempt), and the recheck against the clock finds no open business hour either."""
    if not store.settings.get("Livechat_enable_business_hours") or "bot" in agent.get("roles", []):
        return False
    if agent.get("openBusinessHours"):
        return False
    zone = ZoneInfo(str(store.settings.get("Sandbox_Server_Timezone", "UTC")))
    return not any(is_open(bh, now, zone) for bh in store.business_hours.values())


def register(api: Api) -> None:
    store = api.store

    @api.route("GET", "livechat/users/:type", query_schema=USERS)
    async def users(ctx: Ctx) -> Any:
        kind = ctx.path_params["type"]
        offset, count = pagination(store.settings, ctx.params.get("count"), ctx.params.get("offset"))
        sort = parse_sort(ctx.params.get("sort"))
        if kind == "agent":
            if not any(
                store.has_permission(ctx.me, p) for p in ("transfer-livechat-guest", "edit-omnichannel-contact")
            ):
                raise forbidden()
            rows = agent_rows(store, "livechat-agent", ctx.params)
        elif kind == "manager":
            if not store.has_permission(ctx.me, "view-livechat-manager"):
                raise forbidden()
            rows = agent_rows(store, "livechat-manager", {"text": ctx.params.get("text")})
        else:
            raise failure("Invalid type")
        shown = page(mongo_sort(rows, sort or {"name": 1}), offset, count)
        return {"users": shown, "count": len(shown), "offset": offset, "total": len(rows)}

    @api.route("GET", "livechat/users/:type/:_id", permissions=("view-livechat-manager",))
    async def one_user(ctx: Ctx) -> Any:
        role = {"agent": "livechat-agent", "manager": "livechat-manager"}.get(ctx.path_params["type"])
        if role is None:
            raise failure("Invalid type")
        user = store.users.get(ctx.path_params["_id"])
        if user is None or role not in user.get("roles", []):
            return {"user": None}
        return {"user": {k: user[k] for k in ONE_USER_FIELDS if k in user}}

    @api.route("GET", "livechat/department/:_id/agents", permissions=("view-livechat-departments", "view-l-room"))
    async def department_agents(ctx: Ctx) -> Any:
        offset, count = pagination(store.settings, _int(ctx.q("count")), _int(ctx.q("offset")))
        sort = parse_sort(ctx.q("sort"))
        links = [a for a in store.department_agents if a.get("departmentId") == ctx.path_params["_id"]]
        shown = page(mongo_sort(links, sort or {"username": 1}), offset, count)
        return {"agents": shown, "count": len(shown), "offset": offset, "total": len(links)}

    @api.route(
        "GET", "livechat/agents/:agentId/departments", permissions=("view-l-room",), query_schema=AGENT_DEPARTMENTS
    )
    async def agent_departments(ctx: Ctx) -> Any:
        """`LivechatDepartmentAgents.findDepartmentsOfAgent`: the agent's links with `departmentName` added."""
        enabled_only = ctx.params.get("enabledDepartmentsOnly") == "true"
        links = [
            {**link, "departmentName": store.departments.get(link["departmentId"], {}).get("name")}
            for link in store.department_agents
            if link.get("agentId") == ctx.path_params["agentId"] and (not enabled_only or link.get("departmentEnabled"))
        ]
        return {"departments": links}

    @api.route("POST", "livechat/agent.status", permissions=("view-l-room",), body_check=_agent_status_body)
    async def agent_status(ctx: Ctx) -> Any:
        body = ctx.body
        agent_id = body.get("agentId") or ctx.me["_id"]
        agent = store.users.get(agent_id)
        if agent is None or "livechat-agent" not in agent.get("roles", []):
            raise failure("Agent not found", status=404)
        if not agent.get("active", True):
            raise failure("error-user-deactivated")
        current = agent.get("statusLivechat")
        wanted = body.get("status") or ("not-available" if current == "available" else "available")
        if wanted == current:
            return {"status": current}
        allowed = wanted != "available" or not business_hours_closed_for(store, agent, store.now())
        if agent_id != ctx.me["_id"]:
            if not store.has_permission(ctx.me, "manage-livechat-agents"):
                raise forbidden()
            if not allowed:
                return {"status": current}
        elif not allowed:
            raise failure("error-business-hours-are-closed")
        omnichannel.set_agent_status(store, agent, wanted)
        return {"status": wanted}

    @api.route(
        "GET", "livechat/business-hour", permissions=("view-livechat-business-hours",), query_schema=BUSINESS_HOUR
    )
    async def business_hour(ctx: Ctx) -> Any:
        wanted = ctx.params.get("_id")
        found = (
            store.business_hours.get(wanted)
            if wanted
            else next((b for b in store.business_hours.values() if b.get("type") == "default"), None)
        )
        return {"businessHour": found} if found is not None else {}


def _int(text: str | None) -> int | None:
    """`parseInt` of an unvalidated query value (no schema on this route); garbage gives the default."""
    found = re.match(r"\s*[+-]?\d+", text or "")
    return int(found.group()) if found else None
