"""The sandbox's ASGI application: `/api/info`, `/api/v1/*`, `/websocket`, uploads, and `/_sandbox/*`.

`/_sandbox/*` is the sandbox-only control surface for tests and demos (no such routes exist in
Rocket.Chat): drop every WebSocket, restart, inject route faults, revoke tokens, change settings.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as HttpRoute
from starlette.routing import WebSocketRoute

from . import routes_agents, routes_chat, routes_dashboards, routes_livechat, routes_queue, routes_rooms, routes_users
from .api import Api, ApiError, RouteFault, failure, json_response
from .controls_live import LiveControls, live_control_routes
from .defaults import SETTING_CHOICES, SETTING_TYPES
from .realtime import Realtime
from .store import Doc, Store
from .versions import server_info


class Controls:
    """What the fault API can do; the Sandbox implements it (restart needs the server)."""

    async def drop_sockets(self) -> None:
        raise NotImplementedError

    async def restart(self, downtime: float = 0.0) -> None:
        raise NotImplementedError


def build_app(store: Store, api: Api, realtime: Realtime, controls: Controls) -> Starlette:
    routes_users.register(api)
    routes_chat.register(api)
    routes_livechat.register(api)
    routes_dashboards.register(api)
    routes_queue.register(api)
    routes_agents.register(api)
    routes_rooms.register(api)
    background: set[asyncio.Task[None]] = set()

    async def info(request: Request) -> Response:
        """`GET /api/info`: apps/meteor/server/api/default/info.ts @c3c088f lines 17-28 (`API.default.get('info',
        {authRequired: false}, ...)` answers `API.v1.success(await getServerInfo(this.userId))`, line 26).
        7.x's apps/meteor/app/api/server/default/info.ts reads the caller with `getLoggedInUser(this.request)`
        (helpers/getLoggedInUser.ts) to the same end. Anonymous callers, and users without `view-statistics`,
        get the version without its patch number (`8.8`); the body is versions.server_info."""
        user = api.caller(request)
        full = user is not None and store.has_permission(user, "view-statistics")
        return json_response(200, {**server_info(store.settings, full=full), "success": True})

    async def file_upload(request: Request) -> Response:
        file_id = request.path_params["file_id"]
        data = store.upload_data.get(file_id)
        upload = store.uploads.get(file_id)
        if data is None or upload is None:
            return Response(status_code=404)
        return Response(data, media_type=upload["type"])

    async def control(request: Request) -> Response:
        action = request.path_params["action"]
        body: Any = {}
        if request.method == "POST":
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                return json_response(400, {"success": False, "error": "body must be JSON"})
            if not isinstance(body, dict):
                return json_response(400, {"success": False, "error": "body must be a JSON object"})
        handler = CONTROL.get((request.method, action))
        if handler is None:
            known = ", ".join(f"{m} /_sandbox/{a}" for m, a in CONTROL)
            return json_response(404, {"success": False, "error": f"unknown sandbox control; known: {known}"})
        try:
            result = await handler(body)
        except ApiError as exc:
            return json_response(exc.status, exc.body)
        return json_response(200, {**result, "success": True})

    async def drop(body: Doc) -> Doc:
        await controls.drop_sockets()
        return {}

    async def restart(body: Doc) -> Doc:
        downtime = float(body.get("downtime_ms", 0)) / 1000
        # Answer first: the restart closes this very connection.
        task = asyncio.get_running_loop().create_task(controls.restart(downtime))
        background.add(task)
        task.add_done_callback(background.discard)
        return {}

    async def add_fault(body: Doc) -> Doc:
        route = body.get("route")
        if not isinstance(route, str) or not route:
            raise failure('"route" must name a REST path under /api/v1, e.g. "livechat/analytics/overview"')
        status = body.get("status")
        if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
            raise failure('"status" must be an HTTP error status such as 429, 500 or 503')
        times = body.get("times")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise failure('"times" must be a positive whole number (omit it for "until cleared")')
        delay = body.get("delay_ms", 0)
        if not isinstance(delay, (int, float)) or delay < 0:
            raise failure('"delay_ms" must be a non-negative number of milliseconds')
        api.faults.append(
            RouteFault(
                route,
                status=status,
                delay=delay / 1000,
                times=times,
                retry_after_ms=int(body.get("retry_after_ms", 30000)),
            )
        )
        return {"faults": len(api.faults)}

    async def clear_faults(body: Doc) -> Doc:
        api.faults.clear()
        return {}

    async def revoke(body: Doc) -> Doc:
        if "token" in body:
            return {"revoked": int(store.revoke_token(str(body["token"])))}
        if "username" in body:
            user = store.user_by_username(str(body["username"]))
            if user is None:
                raise failure(f"no user {body['username']!r}")
            tokens = [t for t, found in store.tokens.items() if found.user_id == user["_id"]]
            for token in tokens:
                store.revoke_token(token)
            return {"revoked": len(tokens)}
        raise failure('give {"token": "..."} or {"username": "..."}')

    async def settings(body: Doc) -> Doc:
        for key, value in body.items():
            kind = SETTING_TYPES.get(key)
            if kind is not None and not isinstance(value, kind):
                raise failure(f"setting {key!r} must be of type {getattr(kind, '__name__', kind)}")
            choices = SETTING_CHOICES.get(key)
            if choices and value not in choices:
                raise failure(f"setting {key!r} must be one of {', '.join(choices)}")
        store.settings.update(body)
        return {}

    CONTROL: dict[tuple[str, str], Callable[[Doc], Awaitable[Doc]]] = {
        ("POST", "drop"): drop,
        ("POST", "restart"): restart,
        ("POST", "faults"): add_fault,
        ("DELETE", "faults"): clear_faults,
        ("POST", "revoke"): revoke,
        ("POST", "settings"): settings,
        **live_control_routes(LiveControls(store)),
    }

    methods = ["GET", "POST", "PUT", "DELETE"]
    return Starlette(
        routes=[
            HttpRoute("/api/info", info, methods=["GET"]),
            HttpRoute("/api/v1/{path:path}", api.handle, methods=methods),
            HttpRoute("/file-upload/{file_id}/{name}", file_upload, methods=["GET"]),
            HttpRoute("/_sandbox/{action}", control, methods=["POST", "DELETE"]),
            WebSocketRoute("/websocket", realtime.endpoint),
        ]
    )
