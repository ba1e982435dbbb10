"""`!alert ...`: live thresholds for this room — add, list, pause, resume, remove, mute, test.

An alert belongs to the room it was made in (its incidents are posted there); only people who may see analytics
can manage alerts (the dispatcher checks the permission: `needs_access`). Mentions only ever come from
`notify=`, and only of people who may see analytics themselves; `@here`/`@all` page a whole room, so only the
config file can ask for them. `[[alert]]` entries show up here too; they are changed in the file.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.alerts.core import Condition
from bot.alerts.grammar import EXAMPLES, describe, parse_condition, parse_duration, value_text
from bot.alerts.runner import AlertRunner, condition_of
from bot.commands.analytics import Services, services_of
from bot.commands.args import tokenize
from bot.commands.router import Invocation, Reply, Router
from bot.errors import BadArgument, BadRequest, NotFound
from bot.replies.figures import table
from bot.replies.markup import code, echo
from bot.rocketchat.rest import RestClient
from bot.state.incidents import AlertRecord
from bot.state.store import State

__all__ = ["register_alert"]

ACTIONS = ("add", "list", "pause", "resume", "remove", "mute", "unmute", "test")
OPTIONS = {"dept": "dept", "department": "dept", "notify": "notify", "recover": "recover", "every": "every"}
USERNAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MAX_MUTE = timedelta(days=7)


def _state(services: Services) -> State:
    state = getattr(services.digests, "state", None)
    if not isinstance(state, State):
        raise BadArgument("Alerts are not available: the bot runs without a state file.")
    return state


def _rest(services: Services) -> RestClient:
    rest = services.analytics.source.source
    if not isinstance(rest, RestClient):
        raise BadArgument("Alerts are not available: the bot has no REST client to post with.")
    return rest


def runner_for(services: Services) -> AlertRunner:
    """A runner for one command (test, remove): the shared analytics layer, so its reads are shared too."""
    rest = _rest(services)
    return AlertRunner(_state(services), services.analytics, rest, clock=services.clock, tz=services.settings.timezone)


def _split(text: str) -> tuple[list[str], dict[str, str]]:
    words: list[str] = []
    options: dict[str, str] = {}
    for token in tokenize(text):
        key, sep, value = token.partition("=")
        if not sep or not key:
            words.append(token)
            continue
        name = OPTIONS.get(key.lower())
        if name is None:
            known = ", ".join(code(k + "=") for k in ("dept", "notify", "recover", "every"))
            raise BadArgument(f"Unknown option {echo(key + '=', limit=30)}; alerts take {known}.")
        if not value.strip():
            raise BadArgument(f"{code(key + '=')} needs a value, e.g. {code('notify=@jane')}.")
        if name in options:
            raise BadArgument(f"{code(name + '=')} is given twice; give it once.")
        options[name] = value.strip()
    return words, options


async def _notify(services: Services, text: str | None) -> tuple[str, ...]:
    """Usernames to mention, each checked: a real user who may see analytics. `@here`/`@all`: config file only."""
    if text is None:
        return ()
    names = [n.strip().lstrip("@") for n in text.split(",") if n.strip().lstrip("@")]
    rest = _rest(services)
    granted: frozenset[str] | None = None
    for name in names:
        if name.lower() in ("here", "all", "channel"):
            raise BadArgument(
                f"{code('@' + name.lower())} would page everyone in the room; only the config file can ask for it "
                f"({code('[[alert]]')} with {code(f'notify = [{chr(34)}@{name.lower()}{chr(34)}]')}). "
                f"Name people instead, e.g. {code('notify=@jane')}."
            )
        if not USERNAME.match(name):
            raise BadArgument(f"{echo(name, limit=40)} is not a username; write {code('notify=@jane,@john')}.")
        try:
            roles = await rest.user_roles(name)
        except (NotFound, BadRequest):
            raise BadArgument(f"There is no user {echo(name, limit=40)} here; check the spelling.") from None
        if granted is None:
            granted = (await rest.permission_roles()).get(services.settings.permission, frozenset())
            granted |= services.settings.allowed_roles
        if roles is None:  # roles hidden from the bot: livechat managers hold the permission by default
            managers = {str(m.get("username")) for m in await rest.livechat_managers()}
            roles = granted if name in managers else frozenset()
        if name not in services.settings.allowed_users and not roles & granted:
            raise BadArgument(
                f"{echo(name, limit=40)} may not see analytics (no role with {code(services.settings.permission)}), "
                "so alerts cannot mention them; name someone who may."
            )
    return tuple(dict.fromkeys(names))


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) <= 18 else None


async def _pick(state: State, room_id: str, text: str | None, prefix: str, action: str) -> AlertRecord:
    alerts = await asyncio.to_thread(state.alerts, room_id=room_id)
    number = _number(text)
    if text is None or number is None:
        what = "Which alert?" if text is None else f"{echo(text, limit=20)} is not an alert number."
        raise BadArgument(
            f"{what} {code(prefix + 'alert list')} shows this room's; e.g. {code(f'{prefix}alert {action} 1')}."
        )
    for alert in alerts:
        if alert.id == number:
            return alert
    raise BadArgument(
        f"There is no alert {echo(text, limit=20)} in this room; {code(prefix + 'alert list')} shows them."
    )


def _state_of(alert: AlertRecord, live: bool, now: datetime, zone: ZoneInfo) -> str:
    if alert.paused:
        return "paused"
    if alert.muted_until is not None and alert.muted_until > now:
        return f"muted until {alert.muted_until.astimezone(zone):%H:%M}"
    return "FIRING" if live else "watching"


def register_alert(router: Router) -> None:
    p = router.prefix

    @router.command(
        "alert",
        summary="live alerts in this room: add, list, pause, resume, remove, mute, test",
        usage="alert add CONDITION [dept=NAME] [notify=@user] [recover=N] [every=30m] | list | pause ID | "
        "resume ID | remove ID | mute ID 1h | unmute ID | test ID",
        examples=(
            "alert add queue > 5 for 2m dept=Sales",
            "alert add no agent available during business hours notify=@jane",
            "alert mute 1 1h",
        ),
        aliases=("alerts",),
    )
    async def alert(invocation: Invocation) -> Reply:
        services = services_of(invocation)
        state = _state(services)
        words, options = _split(invocation.args)
        action = words.pop(0).lower() if words else "list"
        if action not in ACTIONS:
            raise BadArgument(f"{echo(action, limit=20)} is not an alert action; use one of {', '.join(ACTIONS)}.")
        room, now = invocation.room_id, services.clock()

        if action == "add":
            if not words:
                raise BadArgument(
                    "What should I watch? e.g. " + ", ".join(code(p + "alert add " + e) for e in EXAMPLES) + "."
                )
            department = None
            if "dept" in options:
                department = (await services.analytics.require_department(options["dept"])).name
            condition = parse_condition(
                " ".join(words), department=department, recovery=options.get("recover"), remind=options.get("every")
            )
            notify = await _notify(services, options.get("notify"))
            record = AlertRecord(
                0, None, "chat", room, asdict(condition), notify, created_by=invocation.asker, created_at=now
            )
            added = await asyncio.to_thread(state.add_alert, record)
            return Reply(
                f"Alert {code(str(added.id))} added: {_summary(condition, notify)}. " + _how(condition, p, added.id)
            )

        if action == "list":
            alerts = await asyncio.to_thread(state.alerts, room_id=room)
            if not alerts:
                return Reply(f"No alerts in this room. Add one: {code(p + 'alert add queue > 5 for 2m')}.")
            rows = []
            for a in alerts:
                live = await asyncio.to_thread(state.live_incident, a.id)
                c = condition_of(a)
                rows.append(
                    [
                        str(a.id),
                        describe(c),
                        c.department or "-",
                        ", ".join(a.notify) or "-",
                        _state_of(a, live is not None, now, services.analytics.tz),
                        "config" if a.source == "config" else (a.created_by or "chat"),
                    ]
                )
            return Reply(
                "*Alerts in this room*\n"
                + table(["ID", "Condition", "Department", "Notify", "State", "By"], rows, max_cell=60)
            )

        target = await _pick(state, room, words[0] if words else None, p, action)
        ident = code(str(target.id))
        if action == "pause":
            await asyncio.to_thread(state.update_alert, target.id, paused=True)
            return Reply(f"Alert {ident} paused; {code(f'{p}alert resume {target.id}')} watches again.")
        if action == "resume":
            await asyncio.to_thread(state.update_alert, target.id, paused=False, breach_since=None)
            return Reply(f"Alert {ident} resumed: watching {describe(condition_of(target))}.")
        if action == "mute":
            if len(words) < 2:
                raise BadArgument(f"For how long? e.g. {code(f'{p}alert mute {target.id} 1h')}.")
            length = parse_duration(words[1], "muting")
            if not 60 <= length <= MAX_MUTE.total_seconds():
                raise BadArgument(
                    f"Mute for a minute up to 7 days (e.g. {code('1h')}); got {echo(words[1], limit=20)}."
                )
            until = now + timedelta(seconds=length)
            await asyncio.to_thread(state.update_alert, target.id, muted_until=until)
            local = until.astimezone(services.analytics.tz)
            return Reply(f"Alert {ident} muted until {local:%a %H:%M}: no new incident and no reminder until then.")
        if action == "unmute":
            await asyncio.to_thread(state.update_alert, target.id, muted_until=None)
            return Reply(f"Alert {ident} unmuted.")
        if action == "remove":
            if target.source == "config":
                raise BadArgument(
                    f"Alert {ident} comes from the config file "
                    f"({code('[[alert]]')} {echo(target.name or '', limit=40)}); "
                    f"remove it there, or {code(f'{p}alert pause {target.id}')}."
                )
            closed = await runner_for(services).close(target, now)
            await asyncio.to_thread(state.remove_alert, target.id)
            return Reply(f"Alert {ident} removed" + (" and its open incident closed." if closed else "."))
        return Reply(await runner_for(services).preview(target))


def _summary(condition: Condition, notify: tuple[str, ...]) -> str:
    text = describe(condition)
    if condition.department:
        text += f" in {echo(condition.department, limit=40)}"
    if notify:
        text += ", mentioning " + ", ".join(echo(n, limit=30) for n in notify)
    return text


def _how(condition: Condition, prefix: str, ident: int) -> str:
    level = value_text(condition.figure, condition.recovery_level)
    return (
        f"One message opens an incident and is edited while it lasts; it resolves at {level} "
        f"({code('recover=')} changes that). {code(f'{prefix}alert test {ident}')} shows it now."
    )
