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

log = logging.getLogger(__name__)

# The role whose holders `livechat/users/manager` lists
# (findManagers, from apps/meteor/app/livechat/imports/server/rest/users.ts).
LIVECHAT_MANAGER = "livechat-manager"


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

    async def granting_roles(self) -> frozenset[str]:
        """Roles that hold the permission now, plus the configured extra roles."""

        async def load() -> frozenset[str]:
            mapping = await self.source.permission_roles()
            return mapping.get(self.permission, frozenset())

        granting = await self._lists.get("mapping", load, age=self.ttl)
        return granting.value | self.allowed_roles

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
