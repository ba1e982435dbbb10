"""REST routes for identity: login, logout, me, users.info, permissions, subscriptions; and settings.

See rocketchat-realtime-rest.md §2.2–2.5. `settings/:_id` follows apps/meteor/app/api/server/v1/settings.ts:
`view-privileged-setting` required (403 without), `{_id, value}` of a setting that is not hidden, and a bare
`{"success": false}` for one that does not exist; the sandbox's own `Sandbox_*` knobs count as hidden.

`settings.public` (same file) needs no login and lists the settings registered with `public: true`
(defaults.PUBLIC_SETTINGS) as `{_id, value}`, sorted by `_id`, paginated like every list
(`{settings, count, offset, total}`); `_id` (7.0+) is a comma-separated list of ids to keep; `query` is
accepted by the schema and ignored (removed in 7.0); any other key is `must NOT have additional properties`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .api import Api, Ctx, failure, invalid_params, json_response
from .defaults import PUBLIC_SETTINGS
from .ejson import parse_iso
from .mongo import mongo_sort, page, pagination, parse_sort
from .schema import Schema
from .store import Doc, MeteorError

SETTINGS_PUBLIC = Schema({"count": "number", "offset": "number", "sort": "string", "_id": "string", "query": "string"})

# Fields of users.info visible to anyone vs. to the user themself or holders of
# `view-full-other-user-info` (getFullUserData's defaultFields / fullFields).
PUBLIC_USER_FIELDS = (
    "_id",
    "username",
    "name",
    "status",
    "statusText",
    "utcOffset",
    "type",
    "active",
    "nickname",
    "bio",
)
FULL_USER_FIELDS = (*PUBLIC_USER_FIELDS, "emails", "roles", "createdAt", "lastLogin", "settings")


def user_view(user: Doc, *, full: bool) -> Doc:
    fields = FULL_USER_FIELDS if full else PUBLIC_USER_FIELDS
    return {k: user[k] for k in fields if k in user}


def me_view(user: Doc) -> Doc:
    view = user_view(user, full=True)
    view.setdefault("emails", [])
    view.setdefault("settings", {"preferences": {}})
    view["avatarUrl"] = f"/avatar/{user['username']}"
    return view


def date_param(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise failure(
            f'The "{name}" query parameter must be a valid date.', error_type=f"error-{name}-param-invalid"
        ) from None


def register(api: Api) -> None:
    store = api.store

    @api.route("POST", "login", auth=False)
    async def login(ctx: Ctx) -> Any:
        body = ctx.body if isinstance(ctx.body, dict) else {}
        user: Doc | None = None
        if "resume" in body:
            try:
                user, _ = store.resolve_token(str(body["resume"]))
            except MeteorError:
                user = None
        else:
            login_name = body.get("user") or body.get("username")
            password = body.get("password")
            if isinstance(login_name, dict):
                login_name = login_name.get("username") or login_name.get("email")
            if isinstance(login_name, str):
                user = store.user_by_login(login_name)
            if user is not None:
                if isinstance(password, dict):
                    ok = store.password_matches(user, digest=str(password.get("digest", "")))
                else:
                    ok = isinstance(password, str) and store.password_matches(user, plain=password)
                user = user if ok else None
            if (
                user is not None
                and user.get("services", {}).get("totp", {}).get("enabled")
                and not (body.get("code") or ctx.request.headers.get("x-2fa-code"))
            ):
                raise failure(
                    "totp-required",
                    status=401,
                    extra={
                        "status": "error",
                        "message": "TOTP Required",
                        "details": {"method": "totp", "codeGenerated": False, "availableMethods": ["totp"]},
                    },
                )
        if user is None or not user.get("active", True):
            raise _login_failed()
        token = store.issue_login_token(user["_id"])
        return _raw(
            {"status": "success", "data": {"userId": user["_id"], "authToken": token.token, "me": me_view(user)}}
        )

    @api.route("POST", "logout", body="none")
    async def logout(ctx: Ctx) -> Any:
        assert ctx.token is not None
        if ctx.token.kind == "resume":
            store.revoke_token(ctx.token.token)
        return _raw({"status": "success", "data": {"message": "You've been logged out!"}})

    @api.route("GET", "me")
    async def me(ctx: Ctx) -> Any:
        return me_view(ctx.me)

    @api.route("GET", "users.info")
    async def users_info(ctx: Ctx) -> Any:
        uid, username = ctx.q("userId"), ctx.q("username")
        if not uid and not username:
            raise invalid_params("must have required property 'userId'\n must have required property 'username'")
        target = store.users.get(uid) if uid else store.user_by_username(username or "")
        if target is None:
            raise failure("User not found.")
        full = target["_id"] == ctx.me["_id"] or store.has_permission(ctx.me, "view-full-other-user-info")
        return {"user": user_view(target, full=full)}

    @api.route("GET", "permissions.listAll")
    async def permissions_list_all(ctx: Ctx) -> Any:
        since = date_param(ctx.q("updatedSince"), "updatedSince")
        if since is not None and since > store.now():
            return {"update": [], "remove": []}
        update = [
            {"_id": name, "roles": list(roles), "_updatedAt": store.settings.get("_permissions_updated", store.now())}
            for name, roles in sorted(store.permission_roles().items())
        ]
        return {"update": update, "remove": []}

    @api.route("GET", "settings/:_id", permissions=("view-privileged-setting",))
    async def setting(ctx: Ctx) -> Any:
        name = ctx.path_params["_id"]
        if name not in store.settings or name.startswith(("Sandbox_", "_")):
            return json_response(400, {"success": False})
        return {"_id": name, "value": store.settings[name]}

    @api.route("GET", "settings.public", auth=False, query_schema=SETTINGS_PUBLIC)
    async def settings_public(ctx: Ctx) -> Any:
        params = ctx.params
        offset, count = pagination(store.settings, params.get("count"), params.get("offset"))
        sort = parse_sort(params.get("sort")) or {"_id": 1}
        wanted = params.get("_id")
        ids = {part.strip() for part in str(wanted).split(",")} if wanted else None
        items = [
            {"_id": name, "value": store.settings[name]}
            for name in PUBLIC_SETTINGS
            if name in store.settings and (ids is None or name in ids)
        ]
        shown = page(mongo_sort(items, sort), offset, count)
        return {"settings": shown, "count": len(shown), "offset": offset, "total": len(items)}

    @api.route("GET", "subscriptions.get")
    async def subscriptions_get(ctx: Ctx) -> Any:
        since = date_param(ctx.q("updatedSince"), "updatedSince")
        subs = [s for s in store.subscriptions_of(ctx.me["_id"]) if since is None or s["_updatedAt"] > since]
        return {"update": subs, "remove": []}


def _login_failed() -> Exception:
    return failure("Unauthorized", status=401, extra={"status": "error", "message": "Unauthorized"})


def _raw(body: Doc) -> Any:
    """Login/logout answer in the old Restivus envelope, without `success`."""
    return json_response(200, body)
