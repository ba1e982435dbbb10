"""What a listed livechat manager reads when the bot cannot see askers' roles and an admin has taken a
permission from the livechat-manager role: the usual polite refusal and no file, never the figures."""

from __future__ import annotations

import pytest

from bot.commands.export import REFUSAL as EXPORT_REFUSAL
from bot.runtime.dispatch import REFUSAL
from tests.exports.harness import demo_workspace, exporting

pytestmark = pytest.mark.anyio

ROLES_HIDDEN = {"view-full-other-user-info": ["admin"]}  # Rocket.Chat's default: the bot cannot read askers' roles
CHART = "!export chart frt last 7 days"
CONVERSATIONS = "!export conversations yesterday"


async def test_without_view_livechat_rooms_a_listed_manager_gets_no_conversations() -> None:
    grants = {**ROLES_HIDDEN, "view-livechat-rooms": ["admin", "livechat-monitor", "bot"]}
    async with exporting(demo_workspace(days=10, Sandbox_Permissions=grants)) as exporter:
        refused = await exporter.say(CONVERSATIONS)  # maria.manager, on livechat/users/manager
        chart = await exporter.say(CHART)  # analytics are still hers
        files = [name for name, _ in exporter.files()]
    assert refused == EXPORT_REFUSAL
    assert "in `avg-first-response-time-2026-11-11-2026-11-17.csv`" in chart
    assert files == ["avg-first-response-time-2026-11-11-2026-11-17.csv"]


async def test_without_view_livechat_manager_a_listed_manager_gets_the_refusal() -> None:
    # The service account keeps the permission through its bot role, so it can still read the manager list.
    grants = {**ROLES_HIDDEN, "view-livechat-manager": ["admin", "livechat-monitor", "bot"]}
    async with exporting(demo_workspace(days=10, Sandbox_Permissions=grants)) as exporter:
        chart = await exporter.say(CHART)
        files = exporter.files()
    assert chart == REFUSAL and files == []


async def test_with_rocket_chats_defaults_a_listed_manager_gets_both() -> None:
    async with exporting(demo_workspace(days=10, Sandbox_Permissions=ROLES_HIDDEN)) as exporter:
        chart = await exporter.say(CHART)
        conversations = await exporter.say(CONVERSATIONS)
    assert "in `avg-first-response-time-2026-11-11-2026-11-17.csv`" in chart
    assert "one row each" in conversations
