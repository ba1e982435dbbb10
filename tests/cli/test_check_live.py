"""`analytics-bot check` on live figures: the edition and version, which live figures this server and account
give (and why not the others), and whether Rocket.Chat's reporting time zone is `[bot] timezone`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.cli.check import OK, WARNING, Line, run_checks
from bot.config import Secret, Settings
from bot.rocketchat.rest import RestClient
from bot.sandbox import Sandbox
from tests.sandbox.workspace import BOT_PAT, small_workspace

pytestmark = pytest.mark.anyio
ALL = "all available: queue, agents' names, chats, dashboards, hourly comparison"
SETTINGS_FOR_BOT = {"view-privileged-setting": ["admin", "bot"]}


async def checks(
    document: dict[str, Any], *, timezone: str = "UTC", faults: Callable[[Sandbox], None] = lambda sb: None
) -> dict[str, Line]:
    async with Sandbox(document) as sb:
        faults(sb)
        settings = Settings(url=sb.url, user_id="u-bot", auth_token=Secret(BOT_PAT), timezone=timezone)
        async with RestClient(settings) as rest:
            return {line.topic: line for line in await run_checks(settings, rest)}


@pytest.mark.parametrize(("version", "named"), [("7.12.2", "7.12"), ("8.8.0", "8.8")])
async def test_check_names_the_edition_and_version_and_that_every_live_figure_answers(version: str, named: str) -> None:
    """The bot reads /api/info anonymously, which names the version without its patch number."""
    lines = await checks(small_workspace(Sandbox_Version=version))
    assert lines["edition"] == Line(
        OK,
        "edition",
        f"Rocket.Chat {named}, Community (livechat/business-hours, an Enterprise route, does not exist here); "
        "live figures use Community endpoints only",
    )
    assert lines["live figures"] == Line(OK, "live figures", ALL)


async def test_check_says_which_live_figures_are_missing_and_why() -> None:
    grants = {"transfer-livechat-guest": ["admin"], "edit-omnichannel-contact": ["admin"]}

    def no_charts(sb: Sandbox) -> None:
        sb.fault("livechat/analytics/dashboards/charts-data", status=404)
        sb.fault("livechat/livechat/analytics/dashboards/charts-data", status=404)

    lines = await checks(small_workspace(Sandbox_Version="7.10.0", Sandbox_Permissions=grants), faults=no_charts)
    assert lines["live figures"] == Line(
        WARNING, "live figures", "available: queue, chats, dashboards; missing: agents' names, hourly comparison"
    )
    assert lines["live agents' names"] == Line(
        WARNING,
        "live agents' names",
        "!now counts agents by status, without their names or the chats each holds: my account lacks "
        "transfer-livechat-guest or edit-omnichannel-contact (livechat-manager holds the first by default)",
    )
    assert lines["live hourly comparison"] == Line(
        WARNING,
        "live hourly comparison",
        "!now cannot compare today's conversations with the same hours a week earlier: charts-data came in "
        "Rocket.Chat 7.11; this server is 7.10",
    )


async def test_without_view_privileged_setting_the_admin_is_told_what_to_compare() -> None:
    lines = await checks(small_workspace(), timezone="Europe/Berlin")
    assert lines["reporting zone"] == Line(
        WARNING,
        "reporting zone",
        "cannot read it (needs view-privileged-setting, admins only by default): an admin should check that "
        "Administration → Omnichannel → Analytics → Timezone for reporting (Default_Timezone_For_Reporting) is "
        "custom Europe/Berlin — or, if it is 'server', that the Rocket.Chat server runs in Europe/Berlin — as "
        "[bot] timezone = 'Europe/Berlin'",
    )


@pytest.mark.parametrize(
    ("reporting", "expected"),
    [
        (
            {"Default_Timezone_For_Reporting": "custom", "Default_Custom_Timezone": "Europe/Berlin"},
            Line(OK, "reporting zone", "Rocket.Chat reports in Europe/Berlin (custom), as [bot] timezone"),
        ),
        (
            {"Default_Timezone_For_Reporting": "custom", "Default_Custom_Timezone": "America/Sao_Paulo"},
            Line(
                WARNING,
                "reporting zone",
                "Rocket.Chat reports in America/Sao_Paulo (Default_Custom_Timezone) but [bot] timezone is "
                "Europe/Berlin: days and hours would not line up; set [bot] timezone = 'America/Sao_Paulo'",
            ),
        ),
        (
            {"Default_Timezone_For_Reporting": "server"},
            Line(
                WARNING,
                "reporting zone",
                "Rocket.Chat reports in its server's own time zone, which it does not tell: make sure the server "
                "runs in Europe/Berlin ([bot] timezone), or set Timezone for reporting to custom Europe/Berlin",
            ),
        ),
        (
            {"Default_Timezone_For_Reporting": "user"},
            Line(
                WARNING,
                "reporting zone",
                "Rocket.Chat reports in each caller's UTC offset, so the bot's figures follow the service "
                "account's: set Timezone for reporting to custom Europe/Berlin ([bot] timezone)",
            ),
        ),
    ],
)
async def test_check_compares_the_reporting_zone_with_the_bots(reporting: dict[str, str], expected: Line) -> None:
    document = small_workspace(Sandbox_Permissions=SETTINGS_FOR_BOT, **reporting)
    lines = await checks(document, timezone="Europe/Berlin")
    assert lines["reporting zone"] == expected
