"""Starting the alerts: `[[alert]]` entries read with the chat's grammar and synced by name into the state file,
then a runner over the shared analytics layer. `check` uses `record_from_entry` too, so what it accepts is what
starts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime

from bot.alerts.grammar import parse_condition
from bot.alerts.runner import AlertRunner, Editor
from bot.analytics.service import AnalyticsService
from bot.config import AlertEntry, Settings
from bot.errors import BadRequest, ConfigError, NotFound, UserInputError
from bot.rocketchat.rest import RestClient
from bot.state.incidents import AlertRecord
from bot.state.store import State

__all__ = ["record_from_entry", "start_alerts"]

_PAGING = ("here", "all")


def record_from_entry(entry: AlertEntry, *, room_id: str, department: str | None, now: datetime) -> AlertRecord:
    """An `[[alert]]` entry as an alert; every problem names the entry and the key (ConfigError)."""
    where = f"[[alert]] {entry.name!r}"
    try:
        condition = parse_condition(entry.condition, department=department, recovery=entry.recover, remind=entry.every)
    except UserInputError as exc:
        raise ConfigError(f"{where}: condition {entry.condition!r}: {exc}") from None
    notify = []
    for name in entry.notify:
        bare = name.strip().lstrip("@")
        if not bare or not all(c.isalnum() or c in "._-" for c in bare):
            raise ConfigError(f'{where}: notify {name!r} is not a username; write notify = ["@jane"] or ["@here"]')
        notify.append(bare.lower() if bare.lower() in _PAGING else bare)
    return AlertRecord(0, entry.name, "config", room_id, asdict(condition), tuple(notify), created_at=now)


async def room_id_of(rest: RestClient, entry: AlertEntry) -> str:
    name = entry.room.lstrip("#")
    for lookup in (rest.room_info_by_name, rest.room_info):
        try:
            rid = (await lookup(name)).get("_id")
        except (BadRequest, NotFound):
            continue
        if isinstance(rid, str):
            return rid
    raise ConfigError(
        f"[[alert]] {entry.name!r}: room {entry.room!r} is not a room the bot can see; use the room's name "
        '(e.g. "omnichannel-managers") or id, and invite the bot there'
    )


async def start_alerts(
    settings: Settings,
    state: State,
    rest: RestClient,
    analytics: AnalyticsService,
    *,
    clock: Callable[[], datetime],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    poster: Editor | None = None,
) -> AlertRunner:
    """Sync `[[alert]]` entries (a bad one is a ConfigError: fatal, like a bad `[[digest]]`) and make the runner."""
    now = clock()
    wanted = []
    for entry in settings.alerts:
        department = None
        if entry.department:
            try:
                department = (await analytics.require_department(entry.department)).name
            except UserInputError as exc:
                raise ConfigError(f"[[alert]] {entry.name!r}: department: {exc}") from None
        room_id = await room_id_of(rest, entry)
        wanted.append(record_from_entry(entry, room_id=room_id, department=department, now=now))
    await asyncio.to_thread(state.sync_alerts, wanted, now=now)
    return AlertRunner(
        state,
        analytics,
        poster or rest,
        clock=clock,
        tz=settings.timezone,
        sleep=sleep,
        interval=settings.alert_interval,
    )
