"""Load a workspace document into a Store, checking every item.

The document is `{"settings", "users", "departments", "rooms", "messages"}` with Rocket.Chat's own
document shapes, so an export of the real collections (`mongoexport --jsonArray`, EJSON dates) loads
as it is. Dates may be EJSON `{"$date": ms}` or ISO-8601 strings. Sandbox-only keys: `password` and
`personalAccessTokens` on a user, `members` (usernames) on a c/p/d room.

Any problem raises DataError naming the item and the field, so the sandbox refuses to start rather
than serve a workspace that is not what the file says.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .data_checks import DataError, kind_name, missing
from .data_checks import date as _date
from .data_checks import optional as _optional
from .data_checks import require as _require
from .data_checks import where as _where
from .data_omnichannel import SECTIONS, check_livechat_room, check_livechat_user
from .defaults import DEFAULT_SETTINGS, SETTING_CHOICES, SETTING_TYPES
from .store import Clock, Doc, Store, system_clock

__all__ = ["DataError", "load_document", "load_file"]

TOP_LEVEL = ("settings", "users", "departments", "rooms", "messages", *SECTIONS)
ROOM_TYPES = ("c", "p", "d", "l")


def load_file(path: str | Path, *, clock: Clock = system_clock, seed: int | None = None) -> Store:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read data file {str(path)!r}: {exc.strerror or exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"data file {str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    return load_document(document, clock=clock, seed=seed)


def load_document(document: Any, *, clock: Clock = system_clock, seed: int | None = None) -> Store:
    if not isinstance(document, dict):
        raise DataError('the data document must be a JSON object like {"users": [...], "rooms": [...]}')
    unknown = sorted(set(document) - set(TOP_LEVEL))
    if unknown:
        raise DataError(
            f"unknown top-level key(s) {', '.join(map(repr, unknown))}; expected only {', '.join(TOP_LEVEL)}"
        )
    store = Store(clock=clock, seed=seed)
    _load_settings(store, document.get("settings", {}))
    given_msgs: dict[str, Any] = {}
    for section, loader in _LOADERS:
        items = document.get(section, [])
        if not isinstance(items, list):
            raise DataError(f"{section!r} must be a list of objects")
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise DataError(f"{section}[{index}] must be an object; got {item!r}")
            if section == "rooms" and "msgs" in item:
                given_msgs[str(item.get("_id"))] = item["msgs"]
            # A deep copy: loading converts nested dates in place, and the caller's document must stay JSON.
            loader(store, copy.deepcopy(item), _where(section, index, item))
    # A room's `msgs` is Rocket.Chat's own counter: an export carries it *and* the messages it counted, so a
    # given value is kept as it is rather than added to by the loaded messages.
    for rid, msgs in given_msgs.items():
        store.rooms[rid]["msgs"] = msgs
    _attach_livechat_agents(store)
    return store


def _load_settings(store: Store, settings: Any) -> None:
    if not isinstance(settings, dict):
        raise DataError('"settings" must be an object like {"Default_Timezone_For_Reporting": "server"}')
    for key, value in settings.items():
        kind = SETTING_TYPES.get(key)
        if kind is not None and (not isinstance(value, kind) or (isinstance(value, bool) and kind is int)):
            default = DEFAULT_SETTINGS.get(key, {})
            raise DataError(
                f"settings: {key!r} must be {kind_name(kind)} (default {json.dumps(default)}); got {value!r}"
            )
        choices = SETTING_CHOICES.get(key)
        if choices and value not in choices:
            raise DataError(f"settings: {key!r} must be one of {', '.join(map(repr, choices))}; got {value!r}")
        if key in ("Default_Custom_Timezone", "Sandbox_Server_Timezone"):
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise DataError(
                    f"settings: {key!r} must be an IANA time zone like 'Europe/Berlin'; got {value!r}"
                ) from None
        store.settings[key] = value


def _load_user(store: Store, item: Doc, where: str) -> None:
    username = _require(item, "username", str, where, '"username": "jane"')
    if store.user_by_username(username) is not None:
        raise DataError(f"{where}: username {username!r} is used twice")
    item.setdefault("_id", store.new_id())
    _require(item, "_id", str, where, '"_id": "u-jane"')
    if item["_id"] in store.users:
        raise DataError(f"{where}: _id {item['_id']!r} is used twice")
    roles = item.setdefault("roles", ["user"])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise DataError(
            f'{where}: field \'roles\' must be a list of role names like ["user", "livechat-agent"]; got {roles!r}'
        )
    password = _optional(item, "password", str, where, '"password": "s3cret"')
    item.pop("password", None)
    pats = item.pop("personalAccessTokens", []) or []
    if not isinstance(pats, list):
        raise DataError(
            f'{where}: field \'personalAccessTokens\' must be a list like [{{"name": "bot", "token": "..."}}]'
        )
    _optional(item, "name", str, where, '"name": "Jane Doe"')
    _optional(item, "utcOffset", (int, float), where, '"utcOffset": -3')
    for key in ("createdAt", "_updatedAt"):
        if key in item:
            item[key] = _date(item[key], where, key)
    check_livechat_user(item, where)
    item.setdefault("name", username)
    item.setdefault("type", "bot" if "bot" in roles else "user")
    item.setdefault("active", True)
    item.setdefault("status", "online")
    store.add_user(item, password)
    for index, pat in enumerate(pats):
        pat_where = f"{where} personalAccessTokens[{index}]"
        if not isinstance(pat, dict):
            raise DataError(f'{pat_where} must be an object like {{"name": "bot", "token": "..."}}')
        token = _require(pat, "token", str, pat_where, '"token": "a-long-random-string"')
        if token in store.tokens:
            raise DataError(f"{pat_where}: this token is used twice")
        store.add_personal_access_token(item["_id"], token, str(pat.get("name", "token")))


def _load_department(store: Store, item: Doc, where: str) -> None:
    _require(item, "_id", str, where, '"_id": "dep-sales"')
    _require(item, "name", str, where, '"name": "Sales"')
    if item["_id"] in store.departments:
        raise DataError(f"{where}: _id {item['_id']!r} is used twice")
    _optional(item, "enabled", bool, where, '"enabled": true')
    item.setdefault("enabled", True)
    item.setdefault("description", "")
    item.setdefault("showOnRegistration", True)
    item.setdefault("showOnOfflineForm", True)
    item.setdefault("numAgents", 0)
    item["_updatedAt"] = _date(item["_updatedAt"], where, "_updatedAt") if "_updatedAt" in item else store.now()
    store.departments[item["_id"]] = item


def _user_ref(store: Store, item: Doc, key: str, where: str) -> None:
    ref = _optional(item, key, dict, where, f'"{key}": {{"_id": "u-jane", "username": "jane"}}')
    if ref is None:
        return
    _require(ref, "username", str, f"{where} {key}", '"username": "jane"')
    user = store.user_by_username(ref["username"])
    if user is None:
        raise DataError(f"{where}: {key}.username {ref['username']!r} is not a user in 'users'")
    ref.setdefault("_id", user["_id"])
    for date_key in ("ts", "firstResponseTs", "lastMessageTs"):
        if date_key in ref:
            ref[date_key] = _date(ref[date_key], where, f"{key}.{date_key}")


def _metrics(item: Doc, where: str) -> None:
    metrics = _optional(
        item, "metrics", dict, where, '"metrics": {"chatDuration": 600, "response": {"ft": 30, "avg": 40}}'
    )
    if metrics is None:
        return
    number = (int, float)
    _optional(metrics, "chatDuration", number, f"{where} metrics", '"chatDuration": 600')
    for group, keys in (("response", ("ft", "avg", "tt", "total")), ("reaction", ("ft", "tt"))):
        part = _optional(metrics, group, dict, f"{where} metrics", f'"{group}": {{"ft": 30}}')
        if part is None:
            continue
        for key in keys:
            _optional(part, key, number, f"{where} metrics.{group}", f'"{key}": 30')
    for key, stamp in (("v", "lq"), ("servedBy", "lr")):
        part = metrics.get(key)
        if isinstance(part, dict) and stamp in part:
            part[stamp] = _date(part[stamp], where, f"metrics.{key}.{stamp}")


def _load_room(store: Store, item: Doc, where: str) -> None:
    rid = _require(item, "_id", str, where, '"_id": "GENERAL"')
    if rid in store.rooms:
        raise DataError(f"{where}: _id {rid!r} is used twice")
    kind = item.get("t")
    if kind not in ROOM_TYPES:
        raise DataError(
            f"{where}: field 't' must be one of c (channel), p (private group), d (direct), l (livechat); got {kind!r}"
        )
    for key in ("ts", "_updatedAt", "closedAt", "lm"):
        if key in item:
            item[key] = _date(item[key], where, key)
    members = item.pop("members", None)
    if kind == "l":
        item["ts"] = (
            _date(item.get("ts"), where, "ts") if "ts" in item else missing(where, "ts", '"ts": "2024-03-05T14:10:00Z"')
        )
        for key in ("open", "onHold"):
            _optional(item, key, bool, where, f'"{key}": true')
        department = _optional(item, "departmentId", str, where, '"departmentId": "dep-sales"')
        if department and department not in store.departments:
            raise DataError(f"{where}: departmentId {department!r} is not a department in 'departments'")
        _optional(item, "v", dict, where, '"v": {"_id": "visitor-1", "username": "guest-1", "token": "abc"}')
        _user_ref(store, item, "servedBy", where)
        _user_ref(store, item, "responseBy", where)
        _metrics(item, where)
        check_livechat_room(item, where)
        # No default for `open`: Rocket.Chat unsets it when a room closes (LivechatRooms.closeRoomById), and
        # `{open: {$exists: false}}` is how the dashboards count closed rooms.
        if members:
            raise DataError(f"{where}: livechat rooms take no 'members'; the serving agent comes from 'servedBy'")
    else:
        if kind in ("c", "p"):
            _require(item, "name", str, where, '"name": "general"')
        item.setdefault("ts", store.now())
        member_names = members if members is not None else item.get("usernames", [])
        if not isinstance(member_names, list) or not all(isinstance(m, str) for m in member_names):
            raise DataError(
                f'{where}: field \'members\' must be a list of usernames like ["jane", "john"]; got {member_names!r}'
            )
        users = []
        for name in member_names:
            user = store.user_by_username(name)
            if user is None:
                raise DataError(f"{where}: member {name!r} is not a user in 'users'")
            users.append(user)
        if kind == "d":
            if not users:
                raise DataError(f"{where}: a direct room needs 'members' (or 'usernames') naming its users")
            item["usernames"] = sorted(u["username"] for u in users)
            item["uids"] = sorted(u["_id"] for u in users)
        item["usersCount"] = len(users)
    item.setdefault("_updatedAt", item["ts"])
    item.setdefault("msgs", 0)
    store.add_room(item)
    if kind != "l":
        for user in users:
            store.subscribe_user(item, user, announce=False)


def _load_message(store: Store, item: Doc, where: str) -> None:
    _require(item, "_id", str, where, '"_id": "msg-1"')
    if item["_id"] in store.messages:
        raise DataError(f"{where}: _id {item['_id']!r} is used twice")
    rid = _require(item, "rid", str, where, '"rid": "GENERAL"')
    if rid not in store.rooms:
        raise DataError(f"{where}: rid {rid!r} is not a room in 'rooms'")
    item["ts"] = (
        _date(item["ts"], where, "ts") if "ts" in item else missing(where, "ts", '"ts": "2024-03-05T14:10:00Z"')
    )
    sender = _require(item, "u", dict, where, '"u": {"_id": "u-jane", "username": "jane"}')
    _require(sender, "username", str, f"{where} u", '"username": "jane"')
    if "_id" not in sender:
        user = store.user_by_username(sender["username"])
        sender["_id"] = user["_id"] if user else sender["username"]
    _optional(item, "msg", str, where, '"msg": "hello"')
    _optional(item, "t", str, where, '"t": "uj"')
    _optional(item, "token", str, where, '"token": "visitor-token"')
    item.setdefault("msg", "")
    for key in ("_updatedAt", "editedAt"):
        if key in item:
            item[key] = _date(item[key], where, key)
    item.setdefault("_updatedAt", item["ts"])
    store.store_message(item, announce=False)


def _attach_livechat_agents(store: Store) -> None:
    """An open livechat room is in the serving agent's subscriptions (closing removes it)."""
    for room in store.livechat_rooms():
        served = room.get("servedBy")
        if room.get("open") and served:
            agent = store.user_by_username(served["username"])
            if agent is not None:
                store.subscribe_user(room, agent, announce=False)


_LOADERS: tuple[tuple[str, Any], ...] = (
    ("users", _load_user),
    ("departments", _load_department),
    *((name, SECTIONS[name]) for name in ("visitors", "departmentAgents", "businessHours", "livechatTags")),
    ("unitMonitors", SECTIONS["unitMonitors"]),
    ("rooms", _load_room),
    ("inquiries", SECTIONS["inquiries"]),
    ("agentActivity", SECTIONS["agentActivity"]),
    ("messages", _load_message),
)
