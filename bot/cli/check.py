"""`analytics-bot check`: what works and what does not, before going live, each with a fix.

It validates everything `run` validates at start, and reports every problem at once: the server, the
login, permissions, the state file (read-only: a check never creates or upgrades it) and each `[[digest]]`
entry (time, weekdays, time zone, range, sections, room, departments). The README's systemd unit runs it as
`ExecStartPre`, so a unit that `check` passes does not then fail in `run`.

It also says which live figures (`!now`, and the Real-time Monitoring lines of `!overview` and digests) this
server and account give, and why not the others — the edition and version from what the server answers
(`bot.analytics.live`, rocketchat-live-ops.md §6) — and whether Rocket.Chat's reporting time zone
(`Default_Timezone_For_Reporting`, rocketchat-analytics.md §3.1) is `[bot] timezone`: the server decides where
days and hours begin, the bot names them. A warning says when `[analytics]` keeps answers longer than
Rocket.Chat's own cache would (60 s for the analytics endpoints, 5 s for the real-time ones): figures can then be
older than the server would give them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.alerts.setup import record_from_entry
from bot.analytics.live import DASHBOARDS, HOURLY, NAMES, QUEUE, ROOMS, LiveService
from bot.analytics.service import AnalyticsService
from bot.config import AlertEntry, DigestEntry, Settings
from bot.digests.service import subscription_from_entry
from bot.errors import (
    AuthFailed,
    BadRequest,
    ConfigError,
    Forbidden,
    NotFound,
    TransportError,
    TwoFactorRequired,
    UserInputError,
)
from bot.rocketchat import live as api_live
from bot.rocketchat.rest import RestClient
from bot.runtime.access import LIVECHAT_MANAGER
from bot.state.store import State

OK, WARNING, FAILED = "ok", "warning", "failed"


@dataclass(frozen=True)
class Line:
    status: str
    topic: str
    text: str

    def render(self) -> str:
        return f"{self.status:<8} {self.topic}: {self.text}"


async def run_checks(
    settings: Settings, rest: RestClient, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> list[Line]:
    lines = await _server_checks(settings, rest, clock)
    lines.append(check_state_file(settings))
    lines += check_answer_ages(settings)
    if not any(line.topic in ("server", "login") and line.status == FAILED for line in lines):
        lines += await check_live(settings, rest, clock)
        lines.append(await check_reporting_zone(settings, rest))
        lines += await check_digests(settings, rest, clock())
        lines += await check_alerts(settings, rest, clock())
    return lines


# What each live feature gives, for the line that says it is missing.
_LIVE_EFFECTS = {
    QUEUE: "!now cannot show the waiting queue",
    NAMES: "!now counts agents by status, without their names or the chats each holds",
    ROOMS: "!now cannot show chats in progress, chats per agent or the queue wait",
    DASHBOARDS: "!now cannot show today so far, nor !overview and digests the Real-time Monitoring figures",
    HOURLY: "!now cannot compare today's conversations with the same hours a week earlier",
}


async def check_live(settings: Settings, rest: RestClient, clock: Callable[[], datetime]) -> list[Line]:
    """The edition and version, then which live figures answer, one line for each that does not."""
    service = LiveService(rest, AnalyticsService(rest, clock=clock, tz=settings.timezone))
    try:
        found = await service.probe()
    except TransportError as exc:
        return [Line(WARNING, "live figures", f"could not probe the live-operations endpoints: {exc}")]
    version = f"Rocket.Chat {found.version}" if found.version else "Rocket.Chat (version not given)"
    lines = [
        Line(
            OK if found.edition != "unknown" else WARNING,
            "edition",
            f"{version}, {found.edition} ({found.edition_why}); live figures use Community endpoints only",
        )
    ]
    answering = [feature for feature in _LIVE_EFFECTS if found.has(feature)]
    if not found.missing:
        lines.append(Line(OK, "live figures", "all available: " + ", ".join(answering)))
    else:
        some = ", ".join(answering) if answering else "none"
        lines.append(Line(WARNING, "live figures", f"available: {some}; missing: {', '.join(found.missing)}"))
    for feature, why in found.missing.items():
        lines.append(Line(WARNING, f"live {feature}", f"{_LIVE_EFFECTS[feature]}: {why.replace('`', '')}"))
    return lines


async def check_reporting_zone(settings: Settings, rest: RestClient) -> Line:
    """Whether Rocket.Chat counts days in `[bot] timezone`. Reading the setting needs `view-privileged-setting`
    (admins only by default); refused, the line says what an admin should compare by hand."""
    ours, topic = settings.timezone, "reporting zone"
    by_hand = (
        f"an admin should check that Administration → Omnichannel → Analytics → Timezone for reporting "
        f"(Default_Timezone_For_Reporting) is custom {ours} — or, if it is 'server', that the Rocket.Chat server "
        f"runs in {ours} — as [bot] timezone = {ours!r}"
    )
    try:
        mode = await api_live.setting(rest, "Default_Timezone_For_Reporting")
        zone = await api_live.setting(rest, "Default_Custom_Timezone") if mode == "custom" else None
    except Forbidden:
        return Line(
            WARNING, topic, f"cannot read it (needs view-privileged-setting, admins only by default): {by_hand}"
        )
    except TransportError as exc:
        return Line(WARNING, topic, f"could not read it ({exc}): {by_hand}")
    if mode == "custom" and zone == ours:
        return Line(OK, topic, f"Rocket.Chat reports in {ours} (custom), as [bot] timezone")
    if mode == "custom":
        return Line(
            WARNING,
            topic,
            f"Rocket.Chat reports in {str(zone)[:60]} (Default_Custom_Timezone) but [bot] timezone is {ours}: "
            f"days and hours would not line up; set [bot] timezone = {str(zone)[:60]!r}",
        )
    if mode == "server":
        return Line(
            WARNING,
            topic,
            f"Rocket.Chat reports in its server's own time zone, which it does not tell: make sure the server runs "
            f"in {ours} ([bot] timezone), or set Timezone for reporting to custom {ours}",
        )
    if mode == "user":
        return Line(
            WARNING,
            topic,
            "Rocket.Chat reports in each caller's UTC offset, so the bot's figures follow the service account's: "
            f"set Timezone for reporting to custom {ours} ([bot] timezone)",
        )
    return Line(WARNING, topic, f"Default_Timezone_For_Reporting is {str(mode)[:40]!r}, not a mode I know: {by_hand}")


def check_answer_ages(settings: Settings) -> list[Line]:
    """A warning for each [analytics] age longer than Rocket.Chat keeps the same answers itself (its `mem` cache,
    rocketchat-analytics.md §2.1–2.2): the bot then shows figures older than asking the server would. Nothing
    when they are within it (the defaults are): figures are then as fresh as the server gives them."""
    lines: list[Line] = []
    for key, seconds, server, whose, dated in (
        ("cache_seconds", settings.analytics_cache_seconds, 60, "figures for a period that includes today", "HH:MM"),
        ("realtime_cache_seconds", settings.realtime_cache_seconds, 5, "live figures (!now, alerts)", "HH:MM:SS"),
    ):
        if seconds > server:
            lines.append(
                Line(
                    WARNING,
                    f"[analytics] {key}",
                    f"{seconds:g} s is longer than Rocket.Chat's own {server} s cache: {whose} can be up to "
                    f"{seconds:g} s old, older than the server would give them (replies say 'as of {dated}'); "
                    f"{key} = {server} keeps them as fresh as Rocket.Chat does",
                )
            )
    return lines


def check_state_file(settings: Settings) -> Line:
    problem = State.inspect(settings.state_file)
    if problem:
        return Line(FAILED, "state file", problem)
    return Line(OK, "state file", f"{settings.state_file} is usable (created on first run if missing)")


async def check_digests(settings: Settings, rest: RestClient, now: datetime) -> list[Line]:
    """Each `[[digest]]` entry as `run` would take it; every entry is checked, whatever the others say."""
    lines: list[Line] = []
    service = AnalyticsService(rest, tz=settings.timezone)
    for entry in settings.digests:
        topic = f"digest {entry.name!r}"
        problems: list[str] = []
        try:
            subscription_from_entry(entry, settings, room_id="-", now=now)
        except ConfigError as exc:
            problems.append(str(exc).removeprefix(f"[[digest]] {entry.name!r}: "))
        problems += await _room_problems(entry, rest)
        for name in entry.departments:
            try:
                await service.require_department(name)
            except UserInputError as exc:
                problems.append(f"departments: {exc}")
            except TransportError as exc:
                problems.append(f"departments: could not list departments ({exc})")
                break
        if problems:
            lines += [Line(FAILED, topic, problem) for problem in problems]
        else:
            lines.append(Line(OK, topic, f"posts in #{entry.room.lstrip('#')} at {entry.time} ({entry.range})"))
    return lines


async def check_alerts(settings: Settings, rest: RestClient, now: datetime) -> list[Line]:
    """Each `[[alert]]` entry as `run` would take it (the chat's grammar); every entry is checked."""
    lines: list[Line] = []
    service = AnalyticsService(rest, tz=settings.timezone)
    for entry in settings.alerts:
        topic = f"alert {entry.name!r}"
        problems: list[str] = []
        try:
            record_from_entry(entry, room_id="-", department=None, now=now)
        except ConfigError as exc:
            problems.append(str(exc).removeprefix(f"[[alert]] {entry.name!r}: "))
        problems += await _room_problems(entry, rest)
        if entry.department:
            try:
                await service.require_department(entry.department)
            except UserInputError as exc:
                problems.append(f"department: {exc}")
            except TransportError as exc:
                problems.append(f"department: could not list departments ({exc})")
        if problems:
            lines += [Line(FAILED, topic, problem) for problem in problems]
        else:
            lines.append(Line(OK, topic, f"posts in #{entry.room.lstrip('#')} when {entry.condition}"))
    return lines


async def _room_problems(entry: DigestEntry | AlertEntry, rest: RestClient) -> list[str]:
    name = entry.room.lstrip("#")
    for lookup in (rest.room_info_by_name, rest.room_info):
        try:
            await lookup(name)
            return []
        except (BadRequest, NotFound):
            continue
        except TransportError as exc:
            return [f"room {entry.room!r}: could not look it up ({exc})"]
    return [f"room {entry.room!r} is not a room the bot can see; use its name or id, and invite the bot there"]


async def _server_checks(settings: Settings, rest: RestClient, clock: Callable[[], datetime]) -> list[Line]:
    lines: list[Line] = []
    try:
        info = await rest.server_info()
        lines.append(Line(OK, "server", f"Rocket.Chat {info.get('version', '?')} at {settings.url}"))
    except TransportError as exc:
        lines.append(Line(FAILED, "server", f"cannot reach {settings.url}: {exc}. Check RC_URL / [rocketchat] url."))
        return lines
    try:
        identity = await rest.login()
    except TwoFactorRequired:
        lines.append(
            Line(
                FAILED,
                "login",
                "the password login needs a 2FA code. Create a Personal Access Token "
                "(with 'Ignore Two Factor Authentication') and set RC_USER_ID + RC_AUTH_TOKEN.",
            )
        )
        return lines
    except AuthFailed as exc:
        lines.append(Line(FAILED, "login", str(exc)))  # it already says what to do
        return lines
    except TransportError as exc:
        lines.append(Line(FAILED, "login", f"login failed: {exc}"))
        return lines
    how = "Personal Access Token" if settings.uses_token else "password (a Personal Access Token is preferred)"
    lines.append(
        Line(OK if settings.uses_token else WARNING, "login", f"logged in as {identity.username} with a {how}")
    )

    try:
        mapping = await rest.permission_roles()
    except TransportError as exc:
        lines.append(Line(FAILED, "permissions", f"cannot read permissions.listAll: {exc}"))
        return lines
    roles = identity.roles

    def holds(permission: str) -> bool:
        return bool(roles & mapping.get(permission, frozenset()))

    role_list = ", ".join(sorted(roles)) or "none"
    if holds("view-livechat-manager"):
        lines.append(Line(OK, "analytics permission", f"roles {role_list} grant view-livechat-manager"))
    else:
        lines.append(
            Line(
                FAILED,
                "analytics permission",
                f"roles {role_list} do not grant view-livechat-manager; "
                "add the livechat-manager role to the service account",
            )
        )
    if holds("api-bypass-rate-limit"):
        lines.append(Line(OK, "rate limits", "api-bypass-rate-limit held: REST calls are not rate-limited"))
    else:
        lines.append(
            Line(
                WARNING,
                "rate limits",
                "no api-bypass-rate-limit: REST calls are limited to 10 per minute "
                "per route; add the bot role to the service account",
            )
        )

    today = clock().date()
    try:
        await rest.charts_data("Total_conversations", today - timedelta(days=1), today)
        route = rest.charts_route or "?"
        lines.append(Line(OK, "chart data", f"the server answers {route}"))
    except NotFound:
        lines.append(
            Line(
                WARNING,
                "chart data",
                "neither charts-data route exists (server older than 7.11?): !chart will not work",
            )
        )
    except Forbidden:
        lines.append(Line(FAILED, "chart data", "refused (403): the service account needs view-livechat-manager"))
    except TransportError as exc:
        lines.append(Line(WARNING, "chart data", f"could not probe charts-data: {exc}"))

    if holds("view-full-other-user-info"):
        lines.append(Line(OK, "askers' roles", "can read other users' roles (view-full-other-user-info)"))
    else:
        extra = f" plus [access] allowed_users ({len(settings.allowed_users)})" if settings.allowed_users else ""
        caveat = "; [access] allowed_roles cannot be verified" if settings.allowed_roles else ""
        lines.append(
            Line(
                WARNING,
                "askers' roles",
                "cannot read other users' roles (no view-full-other-user-info): "
                f"askers are checked against the livechat manager list{extra}{caveat}",
            )
        )
        # The list counts only for what the livechat-manager role holds (bot/runtime/access.py).
        needs = [
            ("analytics", settings.permission, settings.allowed_roles),
            ("conversation exports", "view-livechat-rooms", frozenset[str]()),
        ]
        refused = [
            f"{what} ({permission})"
            for what, permission, added in needs
            if LIVECHAT_MANAGER not in mapping.get(permission, frozenset()) | added
        ]
        if refused:
            lines.append(
                Line(
                    WARNING,
                    "managers' access",
                    "the livechat-manager role lacks the permission, so listed managers are refused "
                    f"{' and '.join(refused)}: grant it back to the role, let the bot read askers' roles "
                    "(view-full-other-user-info), or name people in [access] allowed_users",
                )
            )
    try:
        subscriptions = await rest.subscriptions()
    except TransportError as exc:
        lines.append(Line(FAILED, "rooms", f"cannot list the bot's rooms: {exc}"))
        return lines
    rooms = [s for s in subscriptions if s.get("t") != "l"]
    if rooms:
        names = ", ".join(sorted(f"{'@' if s.get('t') == 'd' else '#'}{s.get('name')}" for s in rooms))
        lines.append(Line(OK, "rooms", f"member of {len(rooms)}: {names}"))
    else:
        lines.append(Line(WARNING, "rooms", "the bot is in no channel yet: invite it, or talk to it in a DM"))
    if len(rooms) != len(subscriptions):
        lines.append(
            Line(
                OK,
                "livechat",
                f"{len(subscriptions) - len(rooms)} livechat room(s) ignored: "
                "the bot never posts in customers' conversations",
            )
        )
    return lines
