"""Who may see analytics: decided by the asker's own Rocket.Chat roles, never the service account's.

The service account can read every figure; the question is whether the person asking could read
them in Rocket.Chat themselves. The default rule is the analytics endpoints' own permission,
`view-livechat-manager`, resolved through the live role mapping (`permissions.listAll`; admins can
change it). The asker's roles come from `users.info`, which shows other users' roles only to holders
of `view-full-other-user-info`; without it, the bot falls back to the livechat manager list, which
`view-livechat-manager` may read (rocketchat-analytics.md §2.5). Being on that list proves only the
livechat-manager role, so it lets an asker through only while the mapping gives that role the permission
checked (an admin may have taken it away; exports check `view-livechat-rooms`). Livechat monitors hold both
permissions by default but are on no list the bot can read, so with hidden roles they are refused unless
config names them. Config can add users and roles.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from bot.analytics.cache import SharedCache
from bot.errors import TransportError

log = logging.getLogger(__name__)

# The role whose holders `livechat/users/manager` lists
# (findManagers, from apps/meteor/app/livechat/imports/server/rest/users.ts).
LIVECHAT_MANAGER = "livechat-manager"

# Who holds the two permissions the bot checks on a fresh install (upsertPermissions' table,
# apps/meteor/app/authorization/server/constant/permissions.ts). Assumed only while permissions.listAll
# cannot be read and no earlier answer of it is known.
DEFAULT_GRANTS: dict[str, frozenset[str]] = {
    "view-livechat-manager": frozenset({"livechat-manager", "livechat-monitor", "admin"}),
    "view-livechat-rooms": frozenset({"livechat-manager", "livechat-monitor", "admin"}),
}


class RoleSource(Protocol):
    async def permission_roles(self) -> dict[str, frozenset[str]]: ...

    async def user_roles(self, username: str) -> frozenset[str] | None: ...

    async def livechat_managers(self) -> list[dict[str, object]]: ...


class Access:
    """Answers `may_view(username)` from answers kept for `ttl` seconds, so a busy room costs few REST calls;
    concurrent misses of one answer (a burst of askers) share one request."""

    def __init__(
        self,
        source: RoleSource,
        *,
        permission: str = "view-livechat-manager",
        allowed_users: frozenset[str] = frozenset(),
        allowed_roles: frozenset[str] = frozenset(),
        ttl: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.source = source
        self.permission = permission
        self.allowed_users = allowed_users
        self.allowed_roles = allowed_roles
        self.ttl = ttl
        self.clock = clock
        self._lists: SharedCache[frozenset[str]] = SharedCache(clock=clock)  # the mapping, the manager list
        self._roles: SharedCache[frozenset[str] | None] = SharedCache(clock=clock, max_entries=5000)
        self._last_granting: frozenset[str] | None = None  # the mapping's last answer, however old

    async def granting_roles(self) -> frozenset[str]:
        """Roles that hold the permission now, plus the configured extra roles.

        `permissions.listAll` needs only a login (apps/meteor/app/api/server/v1/permissions.ts), so failing to
        read it is an outage, not a refusal. Meanwhile the last mapping read stands in, older than `ttl` or not,
        since it holds the admins' changes; before any, Rocket.Chat's defaults for the two permissions the bot
        checks. Another permission has no default to assume: the error reaches the asker as the outage answer.
        A stand-in is never kept, so the next asker reads the mapping again.
        """

        async def load() -> frozenset[str]:
            mapping = await self.source.permission_roles()
            return mapping.get(self.permission, frozenset())

        try:
            granting = (await self._lists.get("mapping", load, age=self.ttl)).value
        except TransportError as exc:
            known = self._last_granting
            stand_in = known if known is not None else DEFAULT_GRANTS.get(self.permission)
            if stand_in is None:
                raise
            source = "the last mapping read" if known is not None else "Rocket.Chat's default grants"
            log.warning("cannot read permissions.listAll (%s); deciding %s by %s", exc, self.permission, source)
            return stand_in | self.allowed_roles
        self._last_granting = granting
        return granting | self.allowed_roles

    async def _asker_roles(self, username: str) -> frozenset[str] | None:
        return (await self._roles.get(username, lambda: self.source.user_roles(username), age=self.ttl)).value

    async def _manager_names(self) -> frozenset[str]:
        async def load() -> frozenset[str]:
            managers = await self.source.livechat_managers()
            return frozenset(str(m.get("username")) for m in managers if m.get("username"))

        return (await self._lists.get("managers", load, age=self.ttl)).value

    async def may_view(self, username: str) -> bool:
        if username in self.allowed_users:
            return True
        roles = await self._asker_roles(username)
        if roles is not None:
            return bool(roles & await self.granting_roles())
        # Roles hidden from the service account: the manager list shows who has the livechat-manager role,
        # which is worth something only while that role holds the permission. Asked first, so a refusal
        # costs no look at a list the service account may no longer be allowed to read.
        if LIVECHAT_MANAGER not in await self.granting_roles():
            return False
        return username in await self._manager_names()
