"""The sandbox's in-memory workspace: users, tokens, rooms, subscriptions, messages, uploads.

Documents keep Rocket.Chat's own shapes (dicts with aware UTC datetimes), so REST and DDP only convert
dates at the edge. Every change is announced to listeners (the DDP publications) synchronously, the
way Rocket.Chat's change-stream listeners fan out inserts and updates (rocketchat-realtime-rest.md §1.7).
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .defaults import DEFAULT_PERMISSIONS, DEFAULT_SETTINGS
from .model import (
    Clock,
    Doc,
    EphemeralMessage,
    Event,
    MessageChanged,
    MessageDeleted,
    MeteorError,
    RoomChanged,
    SubscriptionChanged,
    Token,
    TokenRevoked,
    UserActivity,
    system_clock,
)

__all__ = [
    "Clock",
    "Doc",
    "EphemeralMessage",
    "Event",
    "MessageChanged",
    "MessageDeleted",
    "MeteorError",
    "RoomChanged",
    "Store",
    "SubscriptionChanged",
    "Token",
    "TokenRevoked",
    "UserActivity",
    "system_clock",
]

_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass
class Store:
    clock: Clock = system_clock
    seed: int | None = None
    settings: Doc = field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    users: dict[str, Doc] = field(default_factory=dict)
    departments: dict[str, Doc] = field(default_factory=dict)
    rooms: dict[str, Doc] = field(default_factory=dict)
    messages: dict[str, Doc] = field(default_factory=dict)
    trash: dict[str, Doc] = field(default_factory=dict)
    subscriptions: dict[tuple[str, str], Doc] = field(default_factory=dict)  # (rid, uid) -> doc
    tokens: dict[str, Token] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)  # uid -> plain password (sandbox only)
    uploads: dict[str, Doc] = field(default_factory=dict)
    upload_data: dict[str, bytes] = field(default_factory=dict)
    # Omnichannel collections (rocketchat_livechat_*), in storage order.
    visitors: dict[str, Doc] = field(default_factory=dict)
    inquiries: dict[str, Doc] = field(default_factory=dict)
    department_agents: list[Doc] = field(default_factory=list)
    agent_activity: list[Doc] = field(default_factory=list)
    livechat_tags: dict[str, Doc] = field(default_factory=dict)
    unit_monitors: list[Doc] = field(default_factory=list)
    business_hours: dict[str, Doc] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed) if self.seed is not None else random.SystemRandom()
        self._usernames: dict[str, str] = {}
        self._room_messages: dict[str, list[str]] = {}
        self._counts: dict[str, list[int]] = {}  # rid -> [non-system, non-system without token]
        self._listeners: list[Callable[[Event], None]] = []

    # --- ids, time, listeners --------------------------------------------------------------

    def new_id(self, length: int = 17) -> str:
        return "".join(self._rng.choice(_ID_ALPHABET) for _ in range(length))

    def now(self) -> datetime:
        return self.clock()

    def listen(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    # --- users, roles, permissions, tokens --------------------------------------------------

    def add_user(self, user: Doc, password: str | None = None) -> None:
        self.users[user["_id"]] = user
        self._usernames[user["username"]] = user["_id"]
        if password is not None:
            self.passwords[user["_id"]] = password

    def user_by_username(self, username: str) -> Doc | None:
        uid = self._usernames.get(username)
        return self.users.get(uid) if uid else None

    def user_by_login(self, login: str) -> Doc | None:
        """A login name is a username or one of the user's email addresses (case-insensitive)."""
        user = self.user_by_username(login)
        if user is not None:
            return user
        lowered = login.lower()
        for candidate in self.users.values():
            for email in candidate.get("emails", []):
                if str(email.get("address", "")).lower() == lowered:
                    return candidate
        return None

    def password_matches(self, user: Doc, *, plain: str | None = None, digest: str | None = None) -> bool:
        stored = self.passwords.get(user["_id"])
        if stored is None:
            return False
        if plain is not None:
            return secrets.compare_digest(stored, plain)
        if digest is not None:
            expected = hashlib.sha256(stored.encode()).hexdigest()
            return secrets.compare_digest(expected, digest.lower())
        return False

    def permission_roles(self) -> dict[str, list[str]]:
        overrides = self.settings.get("Sandbox_Permissions") or {}
        merged = dict(DEFAULT_PERMISSIONS)
        merged.update(overrides)
        return merged

    def has_permission(self, user: Doc, permission: str) -> bool:
        roles = set(user.get("roles", []))
        return bool(roles & set(self.permission_roles().get(permission, [])))

    def issue_login_token(self, user_id: str) -> Token:
        days = int(self.settings.get("Accounts_LoginExpiration", 90))
        token = Token(secrets.token_urlsafe(32), user_id, "resume", self.now() + timedelta(days=days))
        self.tokens[token.token] = token
        return token

    def add_personal_access_token(self, user_id: str, token: str, name: str) -> Token:
        pat = Token(token, user_id, "personalAccessToken", None, name)
        self.tokens[token] = pat
        return pat

    def resolve_token(self, token: str) -> tuple[Doc, Token]:
        """Return the user behind a login token or PAT, raising the 403 reasons of Meteor's resume login."""
        found = self.tokens.get(token)
        if found is None or found.user_id not in self.users:
            raise MeteorError(403, "You've been logged out by the server. Please log in again.")
        if found.expires is not None and found.expires <= self.now():
            raise MeteorError(403, "Your session has expired. Please log in again.")
        return self.users[found.user_id], found

    def revoke_token(self, token: str) -> bool:
        """Remove a login token or PAT; listeners hear of it (DDP closes the sessions that used it)."""
        found = self.tokens.pop(token, None)
        if found is None:
            return False
        self.emit(TokenRevoked(token, found.user_id))
        return True

    # --- rooms, subscriptions, access -------------------------------------------------------

    def room_by_name(self, name: str) -> Doc | None:
        for room in self.rooms.values():
            if room.get("name") == name and room.get("t") in ("c", "p"):
                return room
        return None

    def add_room(self, room: Doc) -> None:
        self.rooms[room["_id"]] = room
        self._room_messages.setdefault(room["_id"], [])
        self._counts.setdefault(room["_id"], [0, 0])

    def subscribe_user(self, room: Doc, user: Doc, *, announce: bool = True) -> Doc:
        key = (room["_id"], user["_id"])
        existing = self.subscriptions.get(key)
        if existing is not None:
            return existing
        now = self.now()
        name = room.get("name", "")
        fname = room.get("fname", name)
        if room["t"] == "d":
            others = [u for u in room.get("usernames", []) if u != user["username"]]
            name = others[0] if len(others) == 1 else ", ".join(others) or user["username"]
            fname = name
        elif room["t"] == "l":
            name = fname = room.get("fname") or room.get("v", {}).get("username", "")
        sub: Doc = {
            "_id": self.new_id(),
            "rid": room["_id"],
            "u": {"_id": user["_id"], "username": user["username"]},
            "t": room["t"],
            "name": name,
            "fname": fname,
            "open": True,
            "alert": False,
            "unread": 0,
            "userMentions": 0,
            "groupMentions": 0,
            "ts": now,
            "ls": now,
            "_updatedAt": now,
        }
        self.subscriptions[key] = sub
        if announce:
            self.emit(SubscriptionChanged(user["_id"], "inserted", sub))
            self.emit(RoomChanged((user["_id"],), "inserted", room))
        return sub

    def unsubscribe_user(self, room: Doc, user: Doc) -> None:
        sub = self.subscriptions.pop((room["_id"], user["_id"]), None)
        if sub is not None:
            self.emit(SubscriptionChanged(user["_id"], "removed", sub))
            self.emit(RoomChanged((user["_id"],), "removed", room))

    def is_member(self, user_id: str, rid: str) -> bool:
        return (rid, user_id) in self.subscriptions

    def members(self, rid: str) -> list[str]:
        return [uid for (room_id, uid) in self.subscriptions if room_id == rid]

    def subscriptions_of(self, user_id: str) -> list[Doc]:
        return [sub for (rid, uid), sub in self.subscriptions.items() if uid == user_id]

    def can_access_room(self, user: Doc, room: Doc) -> bool:
        """`canAccessRoom`: public rooms for `view-c-room`, others by subscription; livechat also for
        holders of `view-livechat-rooms` (managers, monitors, admins)."""
        if self.is_member(user["_id"], room["_id"]):
            return True
        kind = room.get("t")
        if kind == "c":
            return self.has_permission(user, "view-c-room")
        if kind == "l":
            return self.has_permission(user, "view-livechat-rooms")
        return False

    def dm_between(self, users: list[Doc]) -> Doc:
        """Find or create the direct room of these users; a 1:1 id is the sorted user ids concatenated."""
        ids = sorted({u["_id"] for u in users})
        rid = "".join(ids) if len(ids) <= 2 else self.new_id()
        if len(ids) > 2:
            wanted = set(ids)
            for candidate in self.rooms.values():
                if candidate.get("t") == "d" and set(candidate.get("uids", [])) == wanted:
                    return candidate
        existing = self.rooms.get(rid)
        if existing is not None:
            return existing
        by_id = {u["_id"]: u for u in users}
        now = self.now()
        room: Doc = {
            "_id": rid,
            "t": "d",
            "msgs": 0,
            "usersCount": len(ids),
            "uids": ids,
            "usernames": sorted(by_id[i]["username"] for i in ids),
            "ts": now,
            "_updatedAt": now,
        }
        self.add_room(room)
        for uid in ids:
            self.subscribe_user(room, by_id[uid])
        return room

    # --- messages -----------------------------------------------------------------------------

    def room_message_ids(self, rid: str) -> list[str]:
        return self._room_messages.get(rid, [])

    def message_counts(self, rid: str) -> tuple[int, int]:
        """(messages without `t`, of those the ones without `token`): what the analytics `$lookup`s count."""
        total, agent = self._counts.get(rid, (0, 0))
        return total, agent

    def _count(self, message: Doc, sign: int) -> None:
        if message.get("t"):
            return
        counts = self._counts.setdefault(message["rid"], [0, 0])
        counts[0] += sign
        if "token" not in message:
            counts[1] += sign

    def store_message(self, message: Doc, *, announce: bool = True) -> Doc | None:
        """Insert a prepared message; an `_id` that already exists is silently not inserted
        (functions/sendMessage.ts)."""
        if message["_id"] in self.messages:
            return None
        self.messages[message["_id"]] = message
        self._room_messages.setdefault(message["rid"], []).append(message["_id"])
        self._count(message, +1)
        room = self.rooms[message["rid"]]
        if not message.get("t"):
            room["msgs"] = room.get("msgs", 0) + 1
            room["lastMessage"] = message
            room["lm"] = message["ts"]
        room["_updatedAt"] = message["_updatedAt"]
        if message.get("tmid") and message["tmid"] in self.messages:
            self._bump_thread(self.messages[message["tmid"]], message, announce=announce)
        if announce:
            self.emit(MessageChanged(message, room, inserted=True))
            if not message.get("t"):
                self.emit(RoomChanged(tuple(self.members(room["_id"])), "updated", room))
        return message

    def _bump_thread(self, parent: Doc, reply: Doc, *, announce: bool) -> None:
        parent["tcount"] = parent.get("tcount", 0) + 1
        parent["tlm"] = reply["ts"]
        replies = parent.setdefault("replies", [])
        if reply["u"]["_id"] not in replies:
            replies.append(reply["u"]["_id"])
        parent["_updatedAt"] = reply["_updatedAt"]
        if announce:
            self.emit(MessageChanged(parent, self.rooms[parent["rid"]], inserted=False))

    def send_message(self, user: Doc, room: Doc, fields: Doc) -> Doc | None:
        """`executeSendMessage` + `sendMessage`: validate, prepare and insert a user's message."""
        text = fields.get("msg")
        if text is not None and not isinstance(text, str):
            raise MeteorError("error-invalid-params", "The 'msg' property must be a string")
        limit = int(self.settings.get("Message_MaxAllowedSize", 5000))
        if isinstance(text, str) and len(text) > limit:
            raise MeteorError("error-message-size-exceeded", "Message size exceeds Message_MaxAllowedSize")
        if fields.get("tshow") and not fields.get("tmid"):
            raise MeteorError("invalid-params", "tshow provided but missing tmid")
        tmid = fields.get("tmid")
        if tmid:
            if not self.settings.get("Threads_enabled", True):
                raise MeteorError("error-not-allowed", "not-allowed")
            parent = self.messages.get(tmid)
            if parent is not None:
                tmid = parent.get("tmid") or tmid  # no nested threads
        if not self.can_post(user, room):
            raise MeteorError("error-not-allowed", "Not allowed")
        now = self.now()
        message: Doc = {k: v for k, v in fields.items() if k not in ("ts",)}
        message["_id"] = fields.get("_id") or self.new_id()
        message["rid"] = room["_id"]
        message["msg"] = text if isinstance(text, str) else ""
        message["ts"] = now
        message["u"] = {"_id": user["_id"], "username": user["username"], "name": user.get("name", user["username"])}
        message["_updatedAt"] = now
        if tmid:
            message["tmid"] = tmid
        message.setdefault("mentions", self._mentions(message["msg"]))
        message.setdefault("channels", [])
        if message.get("tshow") is not True:
            message.pop("tshow", None)
        return self.store_message(message)

    def _mentions(self, text: str) -> list[Doc]:
        found: list[Doc] = []
        for word in text.split():
            if not word.startswith("@") or len(word) < 2:
                continue
            name = word[1:].rstrip(".,:;!?")
            if name in ("all", "here"):
                found.append({"_id": name, "username": name, "type": "user"})
                continue
            target = self.user_by_username(name)
            if target is not None:
                found.append({"_id": target["_id"], "username": name, "name": target.get("name", name), "type": "user"})
        return found

    def can_post(self, user: Doc, room: Doc) -> bool:
        """`canSendMessage`: members may post; a public channel the user can see counts too
        (Rocket.Chat auto-joins on the first post); livechat only for the serving agent."""
        if self.is_member(user["_id"], room["_id"]):
            return True
        if room.get("t") == "c" and self.has_permission(user, "view-c-room"):
            self.subscribe_user(room, user)
            return True
        return False

    def update_message(self, message: Doc, changes: Doc, *, editor: Doc | None = None) -> Doc:
        now = self.now()
        message.update(changes)
        if editor is not None:
            message["editedAt"] = now
            message["editedBy"] = {"_id": editor["_id"], "username": editor["username"]}
        message["_updatedAt"] = now
        room = self.rooms[message["rid"]]
        self.emit(MessageChanged(message, room, inserted=False))
        return message

    def delete_message(self, message: Doc) -> None:
        del self.messages[message["_id"]]
        self._room_messages[message["rid"]].remove(message["_id"])
        self._count(message, -1)
        self.trash[message["_id"]] = {"_id": message["_id"], "rid": message["rid"], "_deletedAt": self.now()}
        self.emit(MessageDeleted(message["rid"], message["_id"]))

    def react(self, message: Doc, user: Doc, emoji: str, should_react: bool | None) -> None:
        reactions: Doc = message.setdefault("reactions", {})
        entry = reactions.setdefault(emoji, {"usernames": []})
        has = user["username"] in entry["usernames"]
        want = (not has) if should_react is None else should_react
        if want and not has:
            entry["usernames"].append(user["username"])
        elif not want and has:
            entry["usernames"].remove(user["username"])
        if not entry["usernames"]:
            del reactions[emoji]
        if not reactions:
            message.pop("reactions", None)
        self.update_message(message, {})

    def ephemeral(self, user_id: str, rid: str, text: str) -> None:
        """A private message from rocket.cat, delivered only on `stream-notify-user <uid>/message`."""
        message: Doc = {
            "_id": self.new_id(),
            "rid": rid,
            "ts": self.now(),
            "msg": text,
            "u": {"_id": "rocket.cat", "username": "rocket.cat"},
            "private": True,
            "groupable": False,
            "_updatedAt": self.now(),
        }
        self.emit(EphemeralMessage(user_id, message))

    def livechat_rooms(self) -> Iterable[Doc]:
        return (room for room in self.rooms.values() if room.get("t") == "l")
