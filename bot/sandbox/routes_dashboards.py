"""REST routes of the Real-time Monitoring family: `livechat/analytics/dashboards/*` (except charts-data).

Each is a legacy `addRoute` with `permissionsRequired: ['view-livechat-manager']` and `validateParams`
(`apps/meteor/server/api/v1/omnichannel/dashboards.ts`; 7.x: `apps/meteor/app/livechat/imports/server/rest/
dashboards.ts`): `start` and `end` required, `departmentId` optional, nothing else (agents-status takes only an
optional `departmentId` and tolerates extras). The handler then checks `isNaN(Date.parse(x))` and answers a
plain 400 `The "start" query parameter must be a valid date.` (no errorType). Every computation is wrapped in
`mem(fn, {maxAge: 5000, cacheKey: JSON.stringify})`, so identical arguments within 5 s (per process) return
the first answer; the totalizers that take the caller get a cache per caller.

The figures come from dashboards.py. What the overview-derived items are given differs by version
(versions.py): the raw strings (8.x) or the day of the instant in the reporting zone (7.x).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import analytics, dashboards
from .api import Api, Ctx, failure
from .ejson import iso
from .memo import Memo
from .mongo import js_date
from .schema import Schema
from .versions import profile

__all__ = ["register"]

PREFIX = "livechat/analytics/dashboards/"
WINDOW = Schema({"start": "string", "end": "string", "departmentId": "string"}, required=("start", "end"))
AGENT_STATUS = Schema({"departmentId": "string"}, extra=True)
PERMISSION = ("view-livechat-manager",)


def register(api: Api) -> None:
    store = api.store
    cache = Memo("Sandbox_Dashboards_Cache_ms", 5000)

    def window(ctx: Ctx) -> tuple[datetime, datetime]:
        zone = server_zone()
        start = js_date(ctx.params["start"], zone)
        if start is None:
            raise failure('The "start" query parameter must be a valid date.')
        end = js_date(ctx.params["end"], zone)
        if end is None:
            raise failure('The "end" query parameter must be a valid date.')
        return start, end

    def server_zone() -> ZoneInfo:
        return ZoneInfo(str(store.settings.get("Sandbox_Server_Timezone", "UTC")))

    def days(ctx: Ctx, start: datetime, end: datetime) -> tuple[str, str]:
        """What the overview service is given: the raw strings (8.x) or Dates, i.e. the day of each instant in
        the reporting time zone (7.x)."""
        if profile(store.settings).dashboard_dates_as_text:
            return ctx.params["start"], ctx.params["end"]
        zone = analytics.reporting_zone(store, ctx.me)
        return start.astimezone(zone).date().isoformat(), end.astimezone(zone).date().isoformat()

    def cached(name: str, key: dict[str, Any], compute: Callable[[], Any]) -> Any:
        result = cache.get_or_compute(store, {"fn": name, **key}, compute)
        return dict(result) if result is not None else {}

    def windowed(name: str, compute: Callable[..., Any]) -> None:
        """A route over exact instants, cached on (start, end, departmentId) as `new Date(...)`s."""

        @api.route("GET", PREFIX + name, permissions=PERMISSION, query_schema=WINDOW)
        async def handler(ctx: Ctx) -> Any:
            start, end = window(ctx)
            department = ctx.params.get("departmentId")
            key = {"start": iso(start), "end": iso(end), "departmentId": department}
            return cached(name, key, lambda: compute(store, start=start, end=end, department_id=department))

    def per_caller(name: str, compute: Callable[..., Any], *, zone: bool = False) -> None:
        """A totalizer that also takes the caller (its time zone and language reach the overview)."""

        @api.route("GET", PREFIX + name, permissions=PERMISSION, query_schema=WINDOW)
        async def handler(ctx: Ctx) -> Any:
            start, end = window(ctx)
            day_from, day_to = days(ctx, start, end)
            department = ctx.params.get("departmentId")
            user = {"_id": ctx.me["_id"], "utcOffset": ctx.me.get("utcOffset"), "language": ctx.me.get("language")}
            key = {"start": day_from, "end": day_to, "exact": [iso(start), iso(end)], "d": department, "user": user}
            extra: dict[str, Any] = {"server_zone": server_zone()} if zone else {}
            options = {"start": start, "end": end, "day_from": day_from, "day_to": day_to, **extra}
            return cached(name, key, lambda: compute(store, department_id=department, user=ctx.me, **options))

    per_caller("conversation-totalizers", dashboards.conversation_totalizers)
    per_caller("productivity-totalizers", dashboards.productivity_totalizers)
    per_caller("agents-productivity-totalizers", dashboards.agents_productivity_totalizers, zone=True)
    windowed("chats-totalizers", dashboards.chats_totalizers)
    windowed("charts/chats", dashboards.chats)
    windowed("charts/chats-per-agent", dashboards.chats_per_agent)
    windowed("charts/chats-per-department", dashboards.chats_per_department)
    windowed("charts/timings", dashboards.timings)

    @api.route("GET", PREFIX + "charts/agents-status", permissions=PERMISSION, query_schema=AGENT_STATUS)
    async def agents_status(ctx: Ctx) -> Any:
        department = ctx.params.get("departmentId")
        key = {"departmentId": department}
        return cached("agents-status", key, lambda: dashboards.agents_status(store, department_id=department))
