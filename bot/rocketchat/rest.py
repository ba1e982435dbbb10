"""The bot's REST client: one shared keep-alive pool (transport.py), every failure mapped into `bot.errors` at the
boundary.

REST does everything but receiving: DDP methods are deprecated, a DDP send swallows its errors, and only the
REST limiter exempts the bot role (rocketchat-realtime-rest.md §0.1, §0.4, §0.6). No httpx exception, status
code or token leaves this module (style-by-example.md §1, §7.11).

- Auth (realtime-rest §2.2): a Personal Access Token goes into `X-User-Id`/`X-Auth-Token` as it is (no
  expiry, no 2FA). A password logs in ONCE and the token is reused: every login creates another token. A bot
  cannot answer `totp-required`, so it becomes TwoFactorRequired with the advice to use a PAT (§3.7).
- Sends (§2.4, §3.8.3): `chat.sendMessage` with the caller's deterministic `_id` (ids.py); retries reuse it,
  so an attempt that did get through makes the server drop the retry instead of posting twice.
- Analytics (rocketchat-analytics.md §2, §4): days go out as `YYYY-MM-DD`, never times; a 200
  `{"success": true}` without data (unknown name, unreadable dates) is BadRequest(error_type="no-data"), not
  zeros; charts-data is tried at the code's path, then the documented doubled one (§5.1), and remembered.
- Bodies (shapes.py): JSON as JavaScript writes it, so `NaN`, `Infinity`, numbers past the float range and
  nesting deeper than the parser recurses are InvalidResponse like HTML or a truncated body; every analytics
  figure is checked against its documented format, so the analytics service only sees finite, bounded values.
- Failures (statuses.py): what each unsuccessful status means, with the permission or setting to fix; a 429
  carries how long to wait, read against the injected clock.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import httpx

from bot.config import Secret, Settings
from bot.errors import (
    AuthFailed,
    BadRequest,
    ConfigError,
    ConnectionLost,
    InvalidResponse,
    NotFound,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from bot.rocketchat.shapes import (
    NO_DATA,
    analytics_query,
    checked_agents,
    checked_chart,
    checked_departments,
    checked_overview,
    is_bare_success,
    no_data_error,
    object_at,
    objects_at,
    string_list,
)
from bot.rocketchat.statuses import failure
from bot.rocketchat.transport import environment_proxy, open_transport, shown_proxy

__all__ = ["CHARTS_ROUTES", "NO_DATA", "Identity", "RestClient"]

_LOGGER = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]
Json = dict[str, Any]

# The path in the server code first, then the documented doubled one (rocketchat-analytics.md §2.3, §5.1).
CHARTS_ROUTES = ("livechat/analytics/dashboards/charts-data", "livechat/livechat/analytics/dashboards/charts-data")
PAGE_SIZE = 100  # API_Upper_Count_Limit's default
MAX_PAGES = 100  # 10,000 departments or managers; a server still paging past that is not answering sensibly
SEND_BACKOFF = (0.5, 1.0, 2.0)  # pauses before the 2nd, 3rd and 4th attempt of a send
_NOT_JSON = object()
# Sockets kept to Rocket.Chat. httpcore's pool scans its connections (quadratically, for idle ones) on every
# request event, so fewer is cheaper: 8 cost 0.80 ms of CPU per request, 16 cost 1.23 ms (bench/http_cost.py);
# 10 leaves two for replies while the analytics service has its 8 questions in flight (sharing.py).
CONNECTIONS = 10
# What every request says besides its own headers: JSON only, compressed when the server can (Rocket.Chat's
# Express compresses JSON bodies; httpx decodes them), and which program asks, for the admin reading logs.
_HEADERS = {"Accept": "application/json", "Accept-Encoding": "gzip, deflate", "User-Agent": "rocketchat-analytics-bot"}
_ANONYMOUS = httpx.Headers(_HEADERS)
_MAX_URLS = 256


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Identity:
    """Who the bot is logged in as."""

    user_id: str
    username: str
    roles: frozenset[str]


class RestClient:
    """Rocket.Chat's `/api/v1` for the bot. Failures are `bot.errors.TransportError` subclasses (ConfigError
    only when the settings hold no credentials at all).

    Requests are `httpx.Request`s handed to one `httpx.AsyncBaseTransport` (transport.py says why not through
    `httpx.AsyncClient`): injectable (tests pass `httpx.MockTransport` or a recording one); when it is omitted
    the client opens the bot's pool and `aclose()` closes it. `sleep` and `clock` are injected so tests can
    control retries and rate-limit arithmetic.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = _utc_now,
    ) -> None:
        self._settings = settings
        self._base = settings.url.rstrip("/")
        self._owns_transport = transport is None
        self._transport = transport if transport is not None else open_transport(self._base, connections=CONNECTIONS)
        proxy = environment_proxy(self._base) if transport is None else None
        self._route = f" through the proxy {shown_proxy(proxy)}" if proxy else ""  # named when a request fails
        self._timeouts = httpx.Timeout(settings.timeout).as_dict()
        self._signed: tuple[Secret, httpx.Headers] | None = None  # the token and the headers that carry it
        self._urls: dict[str, httpx.URL] = {}
        self._sleep = sleep
        self._clock = clock
        self._user_id = settings.user_id if settings.uses_token else None
        self._token = settings.auth_token if settings.uses_token else None
        self._login_lock = asyncio.Lock()
        self._charts_route: str | None = None

    async def __aenter__(self) -> RestClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_transport:
            await self._transport.aclose()

    @property
    def user_id(self) -> str | None:
        return self._user_id

    @property
    def auth_token(self) -> Secret | None:
        """The token for the realtime `login {resume}`: the PAT, or the one token of the password login."""
        return self._token

    @property
    def charts_route(self) -> str | None:
        """The charts-data route (under /api/v1) that answered last, or None before the first answer."""
        return self._charts_route

    # --- identity and permissions ----------------------------------------------------------------

    async def login(self) -> Identity:
        """Check the PAT with `me`, or log in with the password unless the token held is still accepted."""
        async with self._login_lock:
            if self._token is not None:
                try:
                    return _identity(await self.me(), "GET me")
                except AuthFailed:
                    if self._settings.uses_token:
                        raise
                    self._user_id = self._token = None  # the password session was revoked or expired
            return await self._password_login()

    async def _password_login(self) -> Identity:
        username, password = self._settings.username, self._settings.password
        if username is None or password is None:
            raise ConfigError("no credentials: set RC_USER_ID + RC_AUTH_TOKEN, or RC_USERNAME + RC_PASSWORD")
        body = await self._object("POST", "login", json={"user": username, "password": password.reveal()}, auth=False)
        data = object_at(body, "data", "POST login")
        user_id, token = data.get("userId"), data.get("authToken")
        if not isinstance(user_id, str) or not isinstance(token, str) or not token:
            raise InvalidResponse("POST /api/v1/login answered without data.userId and data.authToken")
        self._user_id, self._token = user_id, Secret(token)
        identity = _identity(object_at(data, "me", "POST login"), "POST login")
        _LOGGER.info("logged in to %s as %s with a password; the session token is reused", self._base, username)
        return identity

    async def server_info(self) -> Json:
        """`GET /api/info` (no auth): `{"version": ...}`."""
        return await self._object("GET", "/api/info", auth=False)

    async def me(self) -> Json:
        body = await self._object("GET", "me")
        _identity(body, "GET me")
        return body

    async def user_roles(self, username: str) -> frozenset[str] | None:
        """The user's roles, or None when the server hides them (the bot lacks `view-full-other-user-info`)."""
        body = await self._object("GET", "users.info", params={"username": username})
        roles = object_at(body, "user", "users.info").get("roles")
        return None if roles is None else frozenset(string_list(roles, "users.info"))

    async def permission_roles(self) -> dict[str, frozenset[str]]:
        """permission -> the roles holding it (`permissions.listAll`), to check `view-livechat-manager`."""
        items = objects_at(await self._object("GET", "permissions.listAll"), "update", "permissions.listAll")
        if not all(isinstance(item.get("_id"), str) for item in items):
            raise InvalidResponse("GET permissions.listAll answered a permission without an _id")
        return {item["_id"]: frozenset(string_list(item.get("roles", []), "permissions.listAll")) for item in items}

    # --- rooms and messages ----------------------------------------------------------------------

    async def subscriptions(self) -> list[Json]:
        return objects_at(await self._object("GET", "subscriptions.get"), "update", "subscriptions.get")

    async def room_info(self, rid: str) -> Json:
        return object_at(await self._object("GET", "rooms.info", params={"roomId": rid}), "room", "rooms.info")

    async def room_info_by_name(self, name: str) -> Json:
        return object_at(await self._object("GET", "rooms.info", params={"roomName": name}), "room", "rooms.info")

    async def send_message(
        self,
        rid: str,
        text: str,
        *,
        msg_id: str,
        tmid: str | None = None,
        attachments: list[Json] | None = None,
    ) -> Json | None:
        """Post with the caller's `_id`. Transient failures are retried with the same `_id`.

        Returns the stored message, or None when a message with this `_id` already exists (an earlier
        attempt got through): the server silently ignores the duplicate.
        """
        message: Json = {"_id": msg_id, "rid": rid, "msg": text}
        if tmid:
            message["tmid"] = tmid
        if attachments is not None:
            message["attachments"] = attachments
        for attempt in range(len(SEND_BACKOFF) + 1):
            try:
                body = await self._object("POST", "chat.sendMessage", json={"message": message})
            except (ConnectionLost, RequestTimeout, ServerError, RateLimited) as exc:
                if attempt == len(SEND_BACKOFF):
                    raise
                delay = exc.retry_after if isinstance(exc, RateLimited) else SEND_BACKOFF[attempt]
                _LOGGER.warning(
                    "send %s to %s failed (%s); retrying in %.1f s with the same id", msg_id, rid, exc, delay
                )
                await self._sleep(delay)
                continue
            if "message" not in body:
                _LOGGER.info("message %s already exists in %s; the server ignored the repeat", msg_id, rid)
                return None
            return object_at(body, "message", "chat.sendMessage")
        raise AssertionError("unreachable")

    async def message_exists(self, message_id: str) -> bool:
        """Whether a message with this id is stored (chat.getMessage); used to reconcile a crashed post."""
        try:
            await self._object("GET", "chat.getMessage", params={"msgId": message_id})
        except BadRequest as exc:
            if exc.error_type == "error-message-not-found":
                return False
            raise
        return True

    async def sync_messages(self, rid: str, since: datetime) -> tuple[list[Json], list[Json]]:
        """(updated, deleted) since `since` (`chat.syncMessages`): inserts and edits, newest first."""
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        stamp = since.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        body = await self._object("GET", "chat.syncMessages", params={"roomId": rid, "lastUpdate": stamp})
        result = object_at(body, "result", "chat.syncMessages")
        return objects_at(result, "updated", "chat.syncMessages"), objects_at(result, "deleted", "chat.syncMessages")

    async def upload_file(
        self,
        rid: str,
        filename: str,
        data: bytes,
        mime: str,
        *,
        msg: str = "",
        description: str = "",
        tmid: str | None = None,
    ) -> Json:
        """`rooms.media/{rid}` (multipart field `file`), then `rooms.mediaConfirm`, which posts the message."""
        room = quote(rid, safe="")
        body = await self._object("POST", f"rooms.media/{room}", files={"file": (filename, data, mime)})
        file_id = object_at(body, "file", "rooms.media").get("_id")
        if not isinstance(file_id, str) or not file_id:
            raise InvalidResponse("POST rooms.media answered without file._id")
        confirm: Json = {"msg": msg, "description": description}
        if tmid:
            confirm["tmid"] = tmid
        body = await self._object("POST", f"rooms.mediaConfirm/{room}/{quote(file_id, safe='')}", json=confirm)
        return object_at(body, "message", "rooms.mediaConfirm")

    # --- Omnichannel -----------------------------------------------------------------------------

    async def livechat_managers(self) -> list[Json]:
        return await self._all_pages("livechat/users/manager", "users")

    async def departments(self) -> list[Json]:
        return checked_departments(await self._all_pages("livechat/department", "departments"), "livechat/department")

    async def overview(self, name: str, start: date, end: date, department_id: str | None = None) -> list[Json]:
        """`[{title, value}]` for `Conversations` or `Productivity` over the days start..end."""
        route = "livechat/analytics/overview"
        body = await self._request(
            "GET", route, params=analytics_query("name", name, "from", start, "to", end, department_id)
        )
        if is_bare_success(body):
            raise no_data_error(route, f"name={name!r}", start, end)
        return checked_overview(body, route)

    async def agent_overview(self, name: str, start: date, end: date, department_id: str | None = None) -> Json:
        """`{"head": [{name}], "data": [{name, value}]}` per agent for one of the seven chart names."""
        route = "livechat/analytics/agent-overview"
        body = await self._object(
            "GET", route, params=analytics_query("name", name, "from", start, "to", end, department_id)
        )
        if is_bare_success(body) and "head" not in body and "data" not in body:
            raise no_data_error(route, f"name={name!r}", start, end)
        return checked_agents(body, name, route)

    async def charts_data(self, chart_name: str, start: date, end: date, department_id: str | None = None) -> Json:
        """`{"chartLabel", "dataLabels", "dataPoints"}`; tries both known paths and remembers the one that answers."""
        params = analytics_query("chartName", chart_name, "start", start, "end", end, department_id)
        for route in sorted(CHARTS_ROUTES, key=lambda r: r != self._charts_route):  # the remembered one first
            try:
                body = await self._object("GET", route, params=params)
            except NotFound:
                continue
            except BadRequest as exc:
                if exc.error == "No data available":
                    raise no_data_error(route, f"chartName={chart_name!r}", start, end) from None
                raise
            if self._charts_route != route:
                _LOGGER.info("charts-data answers at /api/v1/%s", route)
                self._charts_route = route
            if "dataPoints" not in body and is_bare_success(body):
                raise no_data_error(route, f"chartName={chart_name!r}", start, end)
            return checked_chart(body, route)
        raise NotFound(
            f"this server has no charts-data endpoint, neither /api/v1/{CHARTS_ROUTES[0]} nor the documented "
            f"/api/v1/{CHARTS_ROUTES[1]} (it was added in Rocket.Chat 7.11)"
        )

    # --- building blocks for the typed calls in other modules of this package ------------------------

    async def get_object(self, route: str, params: dict[str, Any] | None = None) -> Json:
        """`GET /api/v1/{route}`: the decoded JSON object of a success; every failure a TransportError.

        For typed calls kept in modules of their own (live operations, rooms, exports), which check the
        shape they read and raise InvalidResponse, as the methods above do."""
        return await self._object("GET", route, params=params or {})

    async def post_object(self, route: str, body: Json) -> Json:
        """`POST /api/v1/{route}` with a JSON body; as `get_object`."""
        return await self._object("POST", route, json=body)

    async def all_pages(self, route: str, key: str, params: dict[str, Any] | None = None) -> list[Json]:
        """Every item of a paginated list (`count`/`offset`, at most PAGE_SIZE a page, as the server caps)."""
        return await self._all_pages(route, key, params)

    async def update_message(self, rid: str, msg_id: str, text: str, *, attachments: list[Json] | None = None) -> Json:
        """`chat.update`: edit one of the bot's own messages in place (progress lines, alert incidents)."""
        body: Json = {"roomId": rid, "msgId": msg_id, "text": text}
        if attachments is not None:
            body["attachments"] = attachments
        return object_at(await self._object("POST", "chat.update", json=body), "message", "chat.update")

    async def _all_pages(self, route: str, key: str, params: dict[str, Any] | None = None) -> list[Json]:
        items: list[Json] = []
        for _ in range(MAX_PAGES):
            page_params = {**(params or {}), "count": PAGE_SIZE, "offset": len(items)}
            body = await self._object("GET", route, params=page_params)
            page = objects_at(body, key, route)
            items.extend(page)
            total = body.get("total")
            done = len(items) >= total if isinstance(total, int) else len(page) < PAGE_SIZE
            if not page or done:
                return items
        raise InvalidResponse(f"GET /api/v1/{route} was still paging after {MAX_PAGES} pages of {PAGE_SIZE}")

    # --- the boundary ----------------------------------------------------------------------------

    async def _auth_headers(self) -> httpx.Headers:
        """The headers of an authenticated request, built once per token (httpx normalises a header set on
        every request it is given as a plain dict; a ready `httpx.Headers` is only copied)."""
        if self._token is None:
            async with self._login_lock:  # concurrent first calls share one login
                if self._token is None:
                    await self._password_login()
        assert self._user_id is not None and self._token is not None
        if self._signed is None or self._signed[0] is not self._token:
            auth = {"X-User-Id": self._user_id, "X-Auth-Token": self._token.reveal()}
            self._signed = (self._token, httpx.Headers(_HEADERS | auth))
        return self._signed[1]

    def _url(self, path: str) -> httpx.URL:
        """The parsed URL of `path`, kept: parsing it again for every request was a tenth of a send's cost."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _MAX_URLS:  # routes with ids in their path (rooms.media/{room}) come and go
                self._urls.clear()
            url = self._urls[path] = httpx.URL(self._base + path)
        return url

    async def _object(self, method: str, route: str, **options: Any) -> Json:
        body = await self._request(method, route, **options)
        if not isinstance(body, dict):
            raise InvalidResponse(f"{method} {route} answered {type(body).__name__}, not a JSON object")
        return body

    async def _request(self, method: str, route: str, *, auth: bool = True, **options: Any) -> Any:
        """One call; `options` (params, json, files) go to httpx. Returns the decoded JSON of a success."""
        path = route if route.startswith("/") else f"/api/v1/{route}"
        endpoint = f"{method} {path}"
        headers = await self._auth_headers() if auth else _ANONYMOUS
        timeout = self._settings.timeout
        try:
            request = httpx.Request(
                method, self._url(path), headers=headers, extensions={"timeout": self._timeouts}, **options
            )
            response = await self._transport.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            raise RequestTimeout(f"{endpoint}: no answer from {self._base} within {timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise ConnectionLost(
                f"{endpoint}: cannot reach {self._base}{self._route} ({type(exc).__name__}: {exc})"
            ) from exc
        except httpx.HTTPError as exc:
            raise InvalidResponse(f"{endpoint}: the answer could not be read ({type(exc).__name__})") from exc
        _LOGGER.debug("%s -> HTTP %d", endpoint, response.status_code)
        try:
            body = response.json(parse_constant=_refuse_constant, parse_float=_finite_float)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser recurses
            body = _NOT_JSON
        if response.is_success and not (isinstance(body, dict) and body.get("success") is False):
            if body is _NOT_JSON:
                kind = response.headers.get("content-type", "no content type")
                raise InvalidResponse(
                    f"{endpoint} answered {kind} that is not readable JSON: is {self._base} a Rocket.Chat workspace?"
                )
            return body
        raise failure(endpoint, route, response, body, username=self._settings.username, now=self._clock())


def _refuse_constant(name: str) -> Any:
    """JSON has no NaN or Infinity (JavaScript's JSON.stringify writes null); Python's json would read them."""
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise ValueError(f"{text[:20]} is beyond the float range")
    return value


def _identity(me: Json, endpoint: str) -> Identity:
    user_id, username = me.get("_id"), me.get("username")
    if not isinstance(user_id, str) or not isinstance(username, str):
        raise InvalidResponse(f"{endpoint} answered a user without _id and username")
    return Identity(user_id, username, frozenset(string_list(me.get("roles", []), endpoint)))
