"""Omnichannel REST routes: departments and the three analytics endpoints (agents: routes_agents.py).

The analytics figures come from `analytics.py`; this module adds what Rocket.Chat's routes add around
them (rocketchat-analytics.md §2): the query schema (required keys, no extra keys), the permission,
the silent `{"success": true}` for an unknown name or bad dates, and the in-process 60 s `mem` cache
keyed on every option including the caller.
"""

from __future__ import annotations

import re
from typing import Any

from . import analytics
from .api import Api, ApiError, Ctx, failure, invalid_params, json_response
from .memo import Memo
from .store import Doc, Store
from .versions import profile

ANALYTICS_QUERY = (("name", "from", "to"), ("departmentId",))
CHART_QUERY = (("start", "end", "chartName"), ("departmentId",))
CHARTS_PATH_REAL = "livechat/analytics/dashboards/charts-data"
CHARTS_PATH_DOUBLED = "livechat/livechat/analytics/dashboards/charts-data"


def _department_filter(value: str | None) -> str | None:
    return None if value in (None, "", "undefined") else value


def _paging(ctx: Ctx) -> tuple[int, int]:
    try:
        count = int(ctx.q("count") or 50)
        offset = int(ctx.q("offset") or 0)
    except ValueError:
        raise invalid_params("must be integer (count, offset)") from None
    return max(count, 0), max(offset, 0)


def _department_view(store: Store, department: Doc) -> Doc:
    agents = sum(1 for u in store.users.values() if department["_id"] in u.get("livechatDepartments", []))
    return {**department, "numAgents": department.get("numAgents") or agents}


def register(api: Api) -> None:
    store = api.store
    cache = Memo("Sandbox_Analytics_Cache_ms", 60000)

    @api.route("GET", "livechat/department", permissions=("view-livechat-departments", "view-l-room"))
    async def departments(ctx: Ctx) -> Any:
        items = list(store.departments.values())
        text = ctx.q("text")
        if text:
            pattern = re.compile(re.escape(text), re.IGNORECASE)
            items = [d for d in items if pattern.search(d["name"])]
        if ctx.q("enabled") == "true":
            items = [d for d in items if d.get("enabled")]
        if ctx.q("showArchived") != "true":
            items = [d for d in items if not d.get("archived")]
        exclude = ctx.q("excludeDepartmentId")
        if exclude:
            items = [d for d in items if d["_id"] != exclude]
        items.sort(key=lambda d: d["name"])
        count, offset = _paging(ctx)
        page = items[offset : offset + count] if count else items[offset:]
        return {
            "departments": [_department_view(store, d) for d in page],
            "count": len(page),
            "offset": offset,
            "total": len(items),
        }

    def options(ctx: Ctx, name_key: str, from_key: str, to_key: str) -> Doc:
        return {
            "name": ctx.q(name_key),
            "from": ctx.q(from_key),
            "to": ctx.q(to_key),
            "departmentId": _department_filter(ctx.q("departmentId")),
            "utcOffset": ctx.me.get("utcOffset") or 0,
            "language": store.settings.get("Language", "en"),
            "executedBy": ctx.me["_id"],
        }

    def cached_analytics(ctx: Ctx, fn: str, compute: Any) -> Any:
        """The legacy analytics routes: empty name -> 400, then RC's 60 s `mem` cache around the service."""
        opts = options(ctx, "name", "from", "to")
        if not opts["name"]:
            raise failure("invalid-chart-name")
        return cache.get_or_compute(
            store,
            {"fn": fn, **opts},
            lambda: compute(
                store,
                name=opts["name"],
                from_=opts["from"],
                to=opts["to"],
                department_id=opts["departmentId"],
                user=ctx.me,
            ),
        )

    @api.route(
        "GET", "livechat/analytics/overview", permissions=("view-livechat-manager",), query_schema=ANALYTICS_QUERY
    )
    async def overview(ctx: Ctx) -> Any:
        result = cached_analytics(ctx, "overview", analytics.overview)
        # A bare array: `success` set on the array object is lost in serialisation (§2.1).
        return json_response(200, result) if result is not None else {}

    @api.route(
        "GET", "livechat/analytics/agent-overview", permissions=("view-livechat-manager",), query_schema=ANALYTICS_QUERY
    )
    async def agent_overview(ctx: Ctx) -> Any:
        result = cached_analytics(ctx, "agent-overview", analytics.agent_overview)
        return dict(result) if result is not None else {}

    async def charts_data(ctx: Ctx) -> Any:
        opts = options(ctx, "chartName", "start", "end")
        result = analytics.charts_data(
            store,
            chart_name=opts["name"],
            start=opts["from"],
            end=opts["to"],
            department_id=opts["departmentId"],
            user=ctx.me,
        )
        if result is None and profile(store.settings).charts_data_empty_on_invalid:
            return {"chartLabel": opts["name"], "dataLabels": [], "dataPoints": []}
        if result is None:
            raise ApiError(400, {"success": False, "error": "No data available"})
        return dict(result)

    for path, mode in ((CHARTS_PATH_REAL, "real"), (CHARTS_PATH_DOUBLED, "doubled")):
        api.route(
            "GET",
            path,
            permissions=("view-livechat-manager",),
            query_schema=CHART_QUERY,
            enabled=lambda s, mode=mode: s.settings.get("Sandbox_Charts_Data_Route", "real") == mode,
        )(charts_data)
