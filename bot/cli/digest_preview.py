"""`analytics-bot digest preview`: print the digest a subscription would post, without posting.

It reads `[[digest]]` entries from the config and chat-made subscriptions from the state file
(opened read-only in effect: nothing is written), so an operator can check a digest before it goes out.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.analytics.service import AnalyticsService
from bot.analytics.sharing import CoalescingSource
from bot.config import Settings
from bot.digests.service import chat_subscription, preview_digest, subscription_from_entry
from bot.errors import ConfigError, TransportError, UserInputError
from bot.rocketchat.rest import RestClient
from bot.runtime.dispatch import describe_transport_error
from bot.state.store import State, StateError, Subscription


def _candidates(settings: Settings, now: datetime) -> list[Subscription]:
    """`[[digest]]` entries, then the chat-made subscriptions stored in the state file (if there is one)."""
    found = [subscription_from_entry(e, settings, room_id=e.room, now=now) for e in settings.digests]
    state_path = Path(settings.state_file)
    if state_path.exists():
        state = State(state_path)
        found += [s for s in state.subscriptions() if s.source == "chat"]
        state.close()
    return found


def default_subscription(settings: Settings, room: str, now: datetime) -> Subscription:
    """The digest `!digest subscribe 09:00` would create in `room` (defaults everywhere), not stored."""
    return chat_subscription(
        settings,
        room_id=room,
        room_name=room,
        at_text="09:00",
        weekdays_text=None,
        tz=settings.timezone,
        departments=(),
        range_text=None,
        created_by="cli",
        now=now,
    )


async def preview(settings: Settings, *, name: str | None, room: str | None, day: str | None) -> int:
    now = datetime.now(UTC)
    try:
        candidates = await asyncio.to_thread(_candidates, settings, now)
    except (ConfigError, StateError) as exc:
        print(f"analytics-bot: {exc}", file=sys.stderr)
        return 2
    if name is not None:
        picked = [s for s in candidates if s.name == name]
    elif room is not None:
        wanted = room.lstrip("#")
        picked = [s for s in candidates if wanted in (s.room_id, s.room_name)]
    else:
        picked = candidates[:1] if len(candidates) == 1 else []
    if room is not None and not picked:
        # No digest there yet: show what subscribing it would post, as `!digest preview` does in chat.
        wanted = room.lstrip("#")
        picked = [default_subscription(settings, wanted, now)]
        print(
            f"analytics-bot: #{wanted} has no digest yet; this is what `!digest subscribe 09:00` would post there",
            file=sys.stderr,
        )
    if len(picked) != 1:
        listing = ", ".join(s.name or f"#{s.room_name or s.room_id} (chat, id {s.id})" for s in candidates) or "none"
        if picked:
            what = "more than one digest matches"
        elif name is not None:
            what = f"no digest is named {name!r}"
        else:
            what = "say which digest with --name or --room"
        print(f"analytics-bot: {what}; digests: {listing}", file=sys.stderr)
        return 2
    sub = picked[0]
    try:
        run_day = date.fromisoformat(day) if day else now.astimezone(ZoneInfo(sub.tz)).date()
    except ValueError:
        print(f"analytics-bot: --date {day!r} is not a date; write it as YYYY-MM-DD", file=sys.stderr)
        return 2
    async with RestClient(settings) as rest:
        service = AnalyticsService(CoalescingSource(rest), clock=lambda: now)
        try:
            await rest.login()
            result = await preview_digest(service, sub, run_day, now=now, max_days=settings.max_days)
        except UserInputError as exc:
            print(f"analytics-bot: {exc}", file=sys.stderr)
            return 2
        except TransportError as exc:
            print(f"analytics-bot: {describe_transport_error(exc)} ({exc})", file=sys.stderr)
            return 1
    print(result.text)
    return 0
