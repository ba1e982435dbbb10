"""Authorization by the asker's own roles, through the sandbox's real REST answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Secret, Settings
from bot.errors import ServerError
from bot.rocketchat.rest import RestClient
from bot.runtime.access import Access
from bot.sandbox import Sandbox
from bot.sandbox.api import RouteFault
from tests.analytics.counting import Requests
from tests.sandbox.workspace import BOT_PAT, small_workspace

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def client_for(document: dict[str, object]) -> AsyncIterator[tuple[Sandbox, RestClient]]:
    async with Sandbox(document) as sb:
        settings = Settings(url=sb.url, user_id="u-bot", auth_token=Secret(BOT_PAT))
        async with RestClient(settings) as rest:
            await rest.login()
            yield sb, rest


@pytest.fixture
async def hidden_roles() -> AsyncIterator[tuple[Sandbox, RestClient]]:
    """The default: the bot (roles bot + livechat-manager) cannot read other users' roles."""
    async for pair in client_for(small_workspace()):
        yield pair


@pytest.fixture
async def visible_roles() -> AsyncIterator[tuple[Sandbox, RestClient]]:
    grants = {"view-full-other-user-info": ["admin", "bot"]}
    async for pair in client_for(small_workspace(Sandbox_Permissions=grants)):
        yield pair


async def test_with_visible_roles_the_permission_mapping_decides(visible_roles: tuple[Sandbox, RestClient]) -> None:
    _, rest = visible_roles
    access = Access(rest)
    assert await access.may_view("maria") is True  # livechat-manager
    assert await access.may_view("admin") is True
    assert await access.may_view("jane") is False  # livechat-agent
    assert await access.may_view("olivia") is False


async def test_config_adds_roles_and_users(visible_roles: tuple[Sandbox, RestClient]) -> None:
    _, rest = visible_roles
    access = Access(rest, allowed_roles=frozenset({"livechat-agent"}), allowed_users=frozenset({"olivia"}))
    assert await access.may_view("jane") is True
    assert await access.may_view("olivia") is True


async def test_hidden_roles_fall_back_to_the_manager_list(hidden_roles: tuple[Sandbox, RestClient]) -> None:
    _, rest = hidden_roles
    assert await rest.user_roles("jane") is None
    access = Access(rest, allowed_users=frozenset({"olivia"}))
    assert await access.may_view("maria") is True
    assert await access.may_view("jane") is False
    assert await access.may_view("olivia") is True


@pytest.mark.parametrize("permission", ["view-livechat-manager", "view-livechat-rooms"])
async def test_hidden_roles_a_listed_manager_is_refused_once_the_role_loses_the_permission(
    hidden_roles: tuple[Sandbox, RestClient], permission: str
) -> None:
    """The manager list proves only the livechat-manager role: it counts only while that role holds the permission."""
    sb, rest = hidden_roles
    # An admin took the permission from livechat-manager; the service account keeps it through its bot role.
    sb.store.settings["Sandbox_Permissions"] = {permission: ["admin", "livechat-monitor", "bot"]}
    access = Access(rest, permission=permission, allowed_users=frozenset({"olivia"}))
    assert await access.may_view("maria") is False  # still on livechat/users/manager
    assert await access.may_view("olivia") is True  # named in config: unaffected


async def test_hidden_roles_a_listed_manager_is_refused_a_permission_the_role_never_held(
    hidden_roles: tuple[Sandbox, RestClient],
) -> None:
    _, rest = hidden_roles
    assert await Access(rest, permission="view-privileged-setting").may_view("maria") is False  # admin only


async def test_configured_roles_still_count_for_the_manager_list(hidden_roles: tuple[Sandbox, RestClient]) -> None:
    sb, rest = hidden_roles
    sb.store.settings["Sandbox_Permissions"] = {"view-livechat-manager": ["admin", "bot"]}
    access = Access(rest, allowed_roles=frozenset({"livechat-manager"}))
    assert await access.may_view("maria") is True
    assert await access.may_view("jane") is False


@pytest.mark.parametrize("permission", ["view-livechat-manager", "view-livechat-rooms"])
async def test_an_unreadable_mapping_falls_back_to_rocket_chats_defaults(
    hidden_roles: tuple[Sandbox, RestClient], permission: str
) -> None:
    sb, rest = hidden_roles
    sb.api.faults.append(RouteFault("permissions.listAll", status=500))
    access = Access(rest, permission=permission)
    assert await access.may_view("maria") is True  # livechat-manager holds both by default
    assert await access.may_view("jane") is False


async def test_an_unreadable_mapping_keeps_the_last_one_read(hidden_roles: tuple[Sandbox, RestClient]) -> None:
    sb, rest = hidden_roles
    clock = Clock()
    sb.store.settings["Sandbox_Permissions"] = {"view-livechat-manager": ["admin", "bot"]}
    access = Access(rest, ttl=60, clock=clock)
    assert await access.may_view("maria") is False
    sb.api.faults.append(RouteFault("permissions.listAll", status=500))
    clock.now += timedelta(seconds=61)
    assert await access.may_view("maria") is False  # the admin's change, not the defaults
    sb.api.faults.clear()
    sb.store.settings["Sandbox_Permissions"] = {}
    assert await access.may_view("maria") is True  # read again once the server answers


async def test_an_unreadable_mapping_of_another_permission_is_an_error(
    visible_roles: tuple[Sandbox, RestClient],
) -> None:
    """No default is assumed for a permission the bot does not know: the asker gets the outage answer."""
    sb, rest = visible_roles
    sb.api.faults.append(RouteFault("permissions.listAll", status=500))
    with pytest.raises(ServerError):
        await Access(rest, permission="view-livechat-triggers").may_view("maria")


async def test_role_changes_apply_after_the_cache_expires(visible_roles: tuple[Sandbox, RestClient]) -> None:
    sb, rest = visible_roles
    clock = Clock()
    access = Access(rest, ttl=60, clock=clock)
    assert await access.may_view("jane") is False
    sb.store.user_by_username("jane")["roles"].append("livechat-monitor")  # type: ignore[index]
    assert await access.may_view("jane") is False  # cached
    clock.now += timedelta(seconds=61)
    assert await access.may_view("jane") is True


async def test_a_changed_permission_mapping_is_read_live(visible_roles: tuple[Sandbox, RestClient]) -> None:
    sb, rest = visible_roles
    sb.store.settings["Sandbox_Permissions"] = {
        **sb.store.settings["Sandbox_Permissions"],
        "view-livechat-manager": ["admin"],
    }
    assert await Access(rest).may_view("maria") is False


async def test_concurrent_misses_share_one_request_each(hidden_roles: tuple[Sandbox, RestClient]) -> None:
    sb, rest = hidden_roles
    requests = Requests(sb)
    requests.gate = asyncio.Event()  # hold the first requests until every asker has asked
    access = Access(rest)
    askers = ["maria", "jane", "olivia", "admin"] * 25
    decided = asyncio.gather(*(access.may_view(name) for name in askers))
    await requests.reached("users.info", 4)
    requests.gate.set()
    assert await decided == [True, False, False, False] * 25
    assert requests["users.info"] == 4  # one per asker, not per command
    assert requests["livechat/users/:type"] == 1  # roles hidden: one look at the manager list for all
    assert requests["permissions.listAll"] == 1  # and one at whether livechat-manager holds the permission


async def test_concurrent_misses_of_the_mapping_share_one_request(visible_roles: tuple[Sandbox, RestClient]) -> None:
    sb, rest = visible_roles
    requests = Requests(sb)
    access = Access(rest)
    assert await asyncio.gather(*(access.may_view(name) for name in ["maria", "jane"] * 50)) == [True, False] * 50
    assert requests["users.info"] == 2 and requests["permissions.listAll"] == 1
