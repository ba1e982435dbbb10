"""The REST machinery of the sandbox: route registry, auth, rate limiter, faults, the envelope.

Rocket.Chat's legacy `addRoute` routes check, in order: 401 (not logged in), 429 (rate limiter),
400 (query/body schema), 403 (permission), then the handler (rocketchat-analytics.md §4). Success
bodies get `"success": true`; failures are `{"success": false, "error": ...}` with the compat
`status`/`message` keys on 401 (still present before the 9.0 breaking-change flag).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from .ejson import to_ms, to_rest
from .schema import Schema, SchemaError, parse_query
from .store import Doc, MeteorError, Store, Token

JSON_HEADERS = {"cache-control": "no-store", "pragma": "no-cache"}
NOT_LOGGED_IN = "You must be logged in to do this."
FORBIDDEN = "User does not have the permissions required for this action [error-unauthorized]"


class ApiError(Exception):
    """An HTTP failure with Rocket.Chat's body; raised by handlers and checks."""

    def __init__(self, status: int, body: Doc, headers: dict[str, str] | None = None) -> None:
        super().__init__(body.get("error"))
        self.status = status
        self.body = body
        self.headers = headers or {}


def failure(error: str, *, status: int = 400, error_type: str | None = None, extra: Doc | None = None) -> ApiError:
    body: Doc = {"success": False, "error": error}
    if error_type is not None:
        body["errorType"] = error_type
    if extra:
        body.update(extra)
    return ApiError(status, body)


def invalid_params(message: str) -> ApiError:
    """The legacy `validateParams` shape: `"<ajv message> [invalid-params]"` plus `errorType`."""
    return failure(f"{message} [invalid-params]", error_type="invalid-params")


def unauthorized() -> ApiError:
    body: Doc = {"success": False, "error": NOT_LOGGED_IN, "status": "error", "message": NOT_LOGGED_IN}
    return ApiError(401, body)


@dataclass
class Ctx:
    """What a handler gets: the store, the caller, the parsed query and body."""

    store: Store
    request: Request
    query: dict[str, str | list[str]]
    path_params: dict[str, str]
    user: Doc | None = None
    token: Token | None = None
    body: Any = None
    params: dict[str, Any] = field(default_factory=dict)  # the query as the route's schema coerced it

    @property
    def me(self) -> Doc:
        assert self.user is not None, "route is authRequired"
        return self.user

    def q(self, key: str) -> str | None:
        value = self.query.get(key)
        if isinstance(value, list):
            raise invalid_params("must be string")
        return value


Handler = Callable[[Ctx], Awaitable[Any]]


@dataclass
class Route:
    method: str
    path: str  # e.g. "chat.sendMessage" or "rooms.media/:rid"
    handler: Handler
    auth: bool = True
    permissions: tuple[str, ...] = ()  # any of these grants access
    # (required, optional) string keys with no extras, or a full Schema; checked after 429, before 403.
    query_schema: tuple[tuple[str, ...], tuple[str, ...]] | Schema | None = None
    body_check: Callable[[Any], None] | None = None  # `validateParams` on the body, at the same point
    body: str = "json"  # "json" | "multipart" | "none"
    enabled: Callable[[Store], bool] | None = None  # a route that exists only under some settings

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        want = self.path.split("/")
        got = path.split("/")
        if len(want) != len(got):
            return None
        params: dict[str, str] = {}
        for w, g in zip(want, got, strict=True):
            if w.startswith(":"):
                if not g:
                    return None
                params[w[1:]] = g
            elif w != g:
                return None
        return params


@dataclass
class RouteFault:
    """A fault injected on routes whose path starts with `route`: delay, hold, or a forced status."""

    route: str
    status: int | None = None
    delay: float = 0.0
    times: int | None = None  # None = until cleared
    hold: asyncio.Event | None = None
    retry_after_ms: int = 30000

    def consume(self) -> bool:
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


@dataclass
class RateLimiter:
    """`API_Enable_Rate_Limiter`: N calls per window per (client IP, method + route)."""

    windows: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)

    def check(self, store: Store, key: tuple[str, str]) -> dict[str, str]:
        limit = int(store.settings.get("API_Enable_Rate_Limiter_Limit_Calls_Default", 10))
        window_ms = int(store.settings.get("API_Enable_Rate_Limiter_Limit_Time_Default", 60000))
        now_ms = to_ms(store.now())
        start, count = self.windows.get(key, (now_ms, 0))
        if now_ms >= start + window_ms:
            start, count = now_ms, 0
        reset = int(start + window_ms)
        if count >= limit:
            wait_s = max(1, math.ceil((reset - now_ms) / 1000))
            headers = {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
            raise ApiError(429, too_many_requests_body(wait_s), headers)
        count += 1
        self.windows[key] = (start, count)
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(limit - count),
            "x-ratelimit-reset": str(reset),
        }


def too_many_requests_body(wait_s: int) -> Doc:
    return {
        "success": False,
        "error": (
            "Error, too many requests. Please slow down. You must wait "
            f"{wait_s} seconds before trying this endpoint again. [error-too-many-requests]"
        ),
    }


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    merged = dict(JSON_HEADERS)
    if headers:
        merged.update(headers)
    payload = json.dumps(to_rest(body), separators=(",", ":"))
    return Response(payload, status_code=status, headers=merged, media_type="application/json")


class Api:
    """Dispatches `/api/v1/<path>` to registered routes with Rocket.Chat's order of checks."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.routes: list[Route] = []
        self.faults: list[RouteFault] = []
        self.limiter = RateLimiter()

    def add(self, route: Route) -> None:
        self.routes.append(route)

    def route(self, method: str, path: str, **options: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.add(Route(method, path, handler, **options))
            return handler

        return register

    async def handle(self, request: Request) -> Response:
        path = request.path_params["path"]
        try:
            return await self._dispatch(request, path)
        except ApiError as exc:
            return json_response(exc.status, exc.body, exc.headers)
        except MeteorError as exc:
            body: Doc = {"success": False, "error": f"{exc.reason} [{exc.error}]", "errorType": exc.error}
            if exc.details is not None:
                body["details"] = exc.details
            return json_response(exc.status, body)

    async def _apply_faults(self, path: str) -> None:
        for fault in list(self.faults):
            if not path.startswith(fault.route) or not fault.consume():
                continue
            if fault.hold is not None:
                await fault.hold.wait()
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status == 429:
                reset = to_ms(self.store.now()) + fault.retry_after_ms
                headers = {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
                raise ApiError(429, too_many_requests_body(math.ceil(fault.retry_after_ms / 1000)), headers)
            if fault.status is not None:
                raise failure("Internal server error" if fault.status >= 500 else "Fault injected", status=fault.status)

    async def _dispatch(self, request: Request, path: str) -> Response:
        await self._apply_faults(path)
        route, params = self._find(request.method, path)
        ctx = Ctx(self.store, request, _query(request), params)
        headers: dict[str, str] = {}
        if route.auth:
            ctx.user, ctx.token = self._authenticate(request)
        if self.store.settings.get("API_Enable_Rate_Limiter", True) and not (
            ctx.user is not None and self.store.has_permission(ctx.user, "api-bypass-rate-limit")
        ):
            client = request.client.host if request.client else "unknown"
            headers = self.limiter.check(self.store, (client, f"{route.method} /api/v1/{route.path}"))
        if route.query_schema is not None:
            ctx.params = _check_query(ctx.query, route.query_schema)
        ctx.body = await _read_body(request, route.body)
        if route.body_check is not None:
            route.body_check(ctx.body)
        try:
            if route.permissions and not any(self.store.has_permission(ctx.me, p) for p in route.permissions):
                raise failure(FORBIDDEN, status=403)
            result = await route.handler(ctx)
        finally:
            if isinstance(ctx.body, FormData):
                await ctx.body.close()
        if isinstance(result, Response):
            return result
        if isinstance(result, dict):
            result = {**result, "success": True}
        return json_response(200, result, headers)

    def _find(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        for route in self.routes:
            params = route.match(method, path)
            if params is not None and (route.enabled is None or route.enabled(self.store)):
                return route, params
        raise failure("Resource not found", status=404)

    def caller(self, request: Request) -> Doc | None:
        """The user behind `X-User-Id`/`X-Auth-Token`, or None: what `authenticatedRoute` resolves for a route
        that does not require auth (apps/meteor/app/api/server/middlewares/authenticationHono.ts @2bf5bdd,
        line 24, runs it on every route; a missing or wrong token leaves the caller anonymous, not 401)."""
        try:
            user, _ = self._authenticate(request)
        except ApiError:
            return None
        return user

    def _authenticate(self, request: Request) -> tuple[Doc, Token]:
        user_id = request.headers.get("x-user-id")
        token = request.headers.get("x-auth-token")
        if not user_id or not token:
            raise unauthorized()
        try:
            user, found = self.store.resolve_token(token)
        except MeteorError:
            raise unauthorized() from None
        if user["_id"] != user_id or not user.get("active", True):
            raise unauthorized()
        return user, found


def _query(request: Request) -> dict[str, str | list[str]]:
    return parse_query(request.query_params.multi_items())


def _check_query(
    query: dict[str, str | list[str]], schema: tuple[tuple[str, ...], tuple[str, ...]] | Schema
) -> dict[str, Any]:
    """Ajv as the legacy `validateParams` runs it: the first error only (schema.py)."""
    if not isinstance(schema, Schema):
        required, optional = schema
        schema = Schema(dict.fromkeys((*required, *optional), "string"), required=required)
    try:
        return schema.validate(query)
    except SchemaError as exc:
        raise invalid_params(str(exc)) from None


async def _read_body(request: Request, kind: str) -> Any:
    if kind == "none" or request.method == "GET":
        return None
    if kind == "multipart":
        return await request.form()
    raw = await request.body()
    if not raw:
        return {}
    content_type = request.headers.get("content-type", "")
    if "application/json" not in content_type and not raw.lstrip().startswith((b"{", b"[")):
        return None  # not JSON: routes that need an object say so; login answers 401 (7.6+)
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise failure("Invalid JSON body", error_type="error-invalid-json") from None


def require_fields(body: Any, *names: str) -> Doc:
    if not isinstance(body, dict):
        raise invalid_params("must be object")
    for name in names:
        if name not in body:
            raise invalid_params(f"must have required property '{name}'")
    return body


__all__ = [
    "Api",
    "ApiError",
    "Ctx",
    "Route",
    "RouteFault",
    "failure",
    "invalid_params",
    "json_response",
    "require_fields",
]
