"""The conversations of a range, read page by page from `livechat/rooms`, as an export table.

The range is the one `!overview` shows for the same words: whole days in the bot's time zone, from 00:00 of
the first to 23:59:59.999 of the last (the analytics expand `from`/`to` to whole days of the reporting time
zone the same way, rocketchat-analytics.md §3.1). With `[bot] timezone` set to the reporting time zone, as the
README asks, the export has exactly one row per conversation the overview counts (`Total_conversations`),
and the overview's averages can be recomputed from its rows (§3.3: over the rooms that have both response and
reaction metrics).

An agent is named by username and sent as a user id (`users.info`), since `livechat/rooms` filters by
`servedBy._id`; a department by the analytics service's case-insensitive name lookup.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.analytics.service import AnalyticsService, Department
from bot.dates.grammar import DateRange
from bot.errors import BadArgument
from bot.exports.table import Table, conversations_table
from bot.replies.markup import code, echo
from bot.rocketchat.rooms import LivechatRoom, RoomFilter, RoomsClient, Sleep, room_pages, user_id_of

__all__ = ["ConversationsRequest", "Progress", "day_bounds", "read_conversations", "resolve_agent"]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], Awaitable[None]]  # (conversations read so far, conversations in all)


@dataclass(frozen=True)
class ConversationsRequest:
    range: DateRange
    department: Department | None = None
    agent: str | None = None  # username, as typed
    agent_id: str | None = None


def day_bounds(rng: DateRange, tz: str) -> tuple[datetime, datetime]:
    """00:00 of the first day and 23:59:59.999 of the last, in `tz`, as aware instants."""
    zone = ZoneInfo(tz)
    start = datetime.combine(rng.start, time.min, zone)
    end = datetime.combine(rng.end, time(23, 59, 59, 999000), zone)
    return start, end


async def resolve_agent(client: RoomsClient, username: str) -> str:
    """The user id of `username` (a leading `@` is allowed), or BadArgument saying there is no such user."""
    name = username.strip().removeprefix("@")
    if not name:
        raise BadArgument(f"{code('agent=')} needs a username, e.g. {code('agent=jane.doe')}.")
    found = await user_id_of(client, name)
    if found is None:
        raise BadArgument(
            f"There is no user {echo(name, limit=40)}: {code('agent=')} takes an agent's username as Rocket.Chat "
            f"shows it (e.g. {code('agent=jane.doe')}), without the @."
        )
    return found


async def read_conversations(
    client: RoomsClient,
    analytics: AnalyticsService,
    request: ConversationsRequest,
    *,
    tz: str,
    base_url: str,
    now: datetime,
    visitor_details: bool,
    sleep: Sleep,
    progress: Progress | None = None,
) -> Table:
    """Every conversation of the request as a table; `progress` hears after each page."""
    start, end = day_bounds(request.range, tz)
    which = RoomFilter(
        start, end, request.department.id if request.department else None, request.agent_id
    )  # fmt: skip
    rooms: list[LivechatRoom] = []
    async for page in room_pages(client, which, sleep=sleep):
        rooms.extend(page.rooms)
        if progress is not None:
            await progress(page.fetched, page.total)
    names = {d.id: d.name for d in await analytics.departments()} if any(r.department_id for r in rooms) else {}
    log.info("export: %d conversations from %s to %s", len(rooms), start.isoformat(), end.isoformat())
    return conversations_table(rooms, base_url=base_url, now=now, departments=names, visitor_details=visitor_details)
