"""`!digest ...`: manage the room's daily digests from chat (subscribe, list, pause, preview...).

Subscriptions belong to the room they were made in: only that room's digests can be listed or changed
there, by people who may see analytics. `[[digest]]` entries from the config file show up too; they
can be paused and previewed here but are removed in the file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.commands.analytics import services_of
from bot.commands.args import parse_arguments
from bot.commands.router import Invocation, Reply, Router
from bot.config import UnknownTimeZone, zone_name
from bot.digests.next_run import describe, next_run, parse_time, parse_weekdays
from bot.digests.service import Digests, chat_subscription
from bot.errors import BadArgument
from bot.replies.figures import table
from bot.replies.markup import code, echo
from bot.state.store import Subscription

ACTIONS = ("subscribe", "list", "unsubscribe", "pause", "resume", "now", "preview")
EARLIEST_PREVIEW = date(2000, 1, 1)  # long before Omnichannel analytics existed; far from the calendar's edge
T = TypeVar("T")


def _zone(text: str | None, default: str) -> str:
    """The `tz=` option as an IANA name (the bot's zone when it is not given)."""
    if text is None:
        return default
    try:
        return zone_name(text)
    except UnknownTimeZone as exc:
        given, right = echo("tz=" + exc.given, limit=40), code("tz=" + exc.suggestion)
        raise BadArgument(exc.explain(given, right) + ".") from None


def _checked(parse: Callable[[str], T], text: str) -> T:
    """A time or days as `next_run` reads them; its message already echoes what was typed (markup.echo)."""
    try:
        return parse(text)
    except ValueError as exc:
        raise BadArgument(str(exc)) from None


def _number(text: str) -> int | None:
    """A digest id as typed: ASCII digits only (`"²".isdigit()` is true, and `int("²")` fails)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _digests(invocation: Invocation) -> Digests:
    digests = services_of(invocation).digests
    if not isinstance(digests, Digests):
        raise BadArgument("Digests are not available: the bot runs without a state file.")
    return digests


def _when(sub: Subscription) -> str:
    return describe(sub.at, ZoneInfo(sub.tz), sub.weekdays)


async def _pick(digests: Digests, room_id: str, text: str | None, prefix: str) -> Subscription:
    subs = await asyncio.to_thread(digests.state.subscriptions, room_id=room_id)
    if text is None:
        if len(subs) == 1:
            return subs[0]
        if not subs:
            raise BadArgument(
                f"This room has no digest yet; create one with {code(prefix + 'digest subscribe 09:00')}."
            )
        ids = ", ".join(code(str(s.id)) for s in subs)
        raise BadArgument(
            f"This room has several digests ({ids}); say which, e.g. {code(f'{prefix}digest pause {subs[0].id}')}."
        )
    number = _number(text)
    if number is None and not (text.isascii() and text.isdigit()):
        raise BadArgument(f"{echo(text, limit=20)} is not a digest number; {code(prefix + 'digest list')} shows them.")
    for sub in subs:
        if sub.id == number:
            return sub
    raise BadArgument(
        f"There is no digest {echo(text, limit=20)} in this room; {code(prefix + 'digest list')} shows this room's."
    )


def register_digest(router: Router) -> None:
    p = router.prefix

    @router.command(
        "digest",
        summary="daily digests in this room: subscribe, list, unsubscribe, pause, resume, now, preview",
        usage="digest subscribe HH:MM [mon-fri] [tz=ZONE] [dept=NAME] [range=RANGE] | list | unsubscribe ID | "
        "pause ID | resume ID | now [ID] | preview [ID] [YYYY-MM-DD]",
        examples=("digest subscribe 09:00 mon-fri tz=Europe/Berlin", "digest list", "digest preview 1 2026-11-20"),
        aliases=("digests",),
    )
    async def digest(invocation: Invocation) -> Reply:
        services = services_of(invocation)
        digests = _digests(invocation)
        args = parse_arguments(invocation.args, allowed=frozenset({"dept", "tz", "range"}))
        words = list(args.words)
        action = words.pop(0).lower() if words else "list"
        if action not in ACTIONS:
            raise BadArgument(f"{echo(action, limit=20)} is not a digest action; use one of {', '.join(ACTIONS)}.")
        room = invocation.room_id
        now = services.clock()

        if action == "subscribe":
            if not words:
                raise BadArgument(f"At what time? e.g. {code(p + 'digest subscribe 09:00 mon-fri')}.")
            # Checked here first so that what is echoed back is escaped; chat_subscription reads the same values.
            _checked(parse_time, words[0])
            if len(words) > 1:
                try:
                    parse_weekdays(" ".join(words[1:]))
                except ValueError as exc:
                    if "range" in args.options:  # `range=last 7 days` unquoted: "7 days" landed among the days
                        range_text = f'range="{args.options["range"]} {" ".join(words[1:])}"'
                        raise BadArgument(
                            f"{exc}. If {echo(' '.join(words[1:]), limit=30)} belongs to the range, put the range in "
                            f"quotes: {echo(range_text, limit=60)}."
                        ) from None
                    raise BadArgument(str(exc)) from None
            zone = _zone(args.options.get("tz"), services.settings.timezone)
            names = [d.strip() for d in args.options.get("dept", "").split(",") if d.strip()]
            # Resolved now: an unknown name is answered with suggestions, a known one stored as Rocket.Chat spells it.
            departments = tuple([(await services.analytics.require_department(n)).name for n in names])
            sub = chat_subscription(
                services.settings,
                room_id=room,
                room_name=None,
                at_text=words[0],
                weekdays_text=" ".join(words[1:]) or None,
                tz=zone,
                departments=departments,
                range_text=args.options.get("range"),
                created_by=invocation.asker,
                now=now,
            )
            sub = await asyncio.to_thread(digests.state.add, sub)
            upcoming = next_run(now, at=sub.at, tz=ZoneInfo(sub.tz), weekdays=sub.weekdays)
            where = f", departments {', '.join(echo(d, limit=40) for d in departments)}" if departments else ""
            return Reply(
                f"Digest {code(str(sub.id))} subscribed: {_when(sub)}, "
                f"covering {echo(sub.range, limit=40)}{where}. "
                f"Next: {upcoming.astimezone(ZoneInfo(sub.tz)):%a %d %b %H:%M}."
            )

        if action == "list":
            subs = await asyncio.to_thread(digests.state.subscriptions, room_id=room)
            if not subs:
                return Reply(f"No digests in this room. Create one: {code(p + 'digest subscribe 09:00 mon-fri')}.")
            rows = [
                [
                    str(s.id),
                    _when(s),
                    s.range,
                    ", ".join(s.departments) or "-",
                    "paused" if s.paused else "active",
                    "config" if s.source == "config" else (s.created_by or "chat"),
                ]
                for s in subs
            ]
            return Reply(
                "*Digests in this room*\n"
                + table(["ID", "When", "Range", "Departments", "State", "By"], rows, max_cell=60)
            )

        target = words[0] if words else None
        if action == "preview" and target and _number(target) is None:
            target, words = None, ["", *words]  # `preview 2026-11-20` with the room's only digest
        if (
            action == "preview"
            and target is None
            and not await asyncio.to_thread(digests.state.subscriptions, room_id=room)
        ):
            # Before subscribing, people want to see what they would get: the default digest, not saved.
            sub = chat_subscription(
                services.settings,
                room_id=room,
                room_name=None,
                at_text="09:00",
                weekdays_text=None,
                tz=services.settings.timezone,
                departments=(),
                range_text=None,
                created_by=invocation.asker,
                now=now,
            )
            day = now.astimezone(ZoneInfo(sub.tz)).date()
            preview = await digests.preview(sub, day)
            return Reply(
                f"_This room has no digest yet. {code(p + 'digest subscribe 09:00')} would post this every weekday "
                f"at 09:00 ({sub.tz}); today's would read:_\n{preview.text}"
            )
        sub = await _pick(digests, room, target, p)

        if action == "unsubscribe":
            if sub.source == "config":
                raise BadArgument(
                    f"Digest {code(str(sub.id))} comes from the config file ([[digest]] {sub.name!r}); "
                    "remove it there, or pause it here."
                )
            await asyncio.to_thread(digests.state.remove, sub.id)
            return Reply(f"Digest {code(str(sub.id))} unsubscribed ({_when(sub)}).")
        if action in ("pause", "resume"):
            await asyncio.to_thread(digests.state.set_paused, sub.id, action == "pause", now=now)
            if action == "pause":
                return Reply(
                    f"Digest {code(str(sub.id))} paused; {code(p + 'digest resume ' + str(sub.id))} resumes it."
                )
            return Reply(f"Digest {code(str(sub.id))} resumed: {_when(sub)}.")
        if action == "now":
            digest_now = await digests.now(sub)
            return Reply(digest_now.text)
        # preview [ID] [DATE]
        day_text = words[1] if len(words) > 1 else None
        try:
            day = date.fromisoformat(day_text) if day_text else now.astimezone(ZoneInfo(sub.tz)).date()
        except ValueError:
            raise BadArgument(f"{echo(day_text or '', limit=20)} is not a date; write it as YYYY-MM-DD.") from None
        if day < EARLIEST_PREVIEW:
            raise BadArgument(f"{day.isoformat()} is too long ago; preview a day from {EARLIEST_PREVIEW} to today.")
        preview = await digests.preview(sub, day)
        return Reply(f"_Preview of digest {sub.id} for {day.isoformat()} — not posted on schedule:_\n{preview.text}")
