"""`!now [dept=NAME]`: live operations in one short message — the queue, agents by status, chats in
progress per department, and today so far, ending with `as of HH:MM:SS` in the bot's time zone.

The figures and what each measures are in `bot.analytics.live` (and in `!help now`, below). Names that come
from the server (agents, departments) go through `echo`, so none can mention anyone or turn into markup.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.analytics.live import (
    AVAILABLE,
    BUCKETS,
    OFF,
    AgentLine,
    Agents,
    Chats,
    HourlyComparison,
    Queue,
    Snapshot,
    Today,
    Unavailable,
    live_for,
    wait_text,
)
from bot.commands.analytics import services_of
from bot.commands.args import parse_arguments
from bot.commands.help import add_details
from bot.commands.router import Invocation, Reply, Router
from bot.errors import BadArgument
from bot.replies.figures import delta, duration, number
from bot.replies.markup import code, echo, fit

__all__ = ["NOW_DETAILS", "register_now", "render_now"]

MAX_NAMES = 12  # agents named per status; the rest are counted
MAX_DEPARTMENTS = 8  # departments listed under chats in progress

NOW_DETAILS = "\n".join(
    (
        "What each figure measures (where Rocket.Chat's own label misleads, it says so):",
        "• *Queue*: chats waiting for an agent (inquiries queued). The wait counts from when the chat opened: "
        "the queue list gives no other time.",
        "• *Agents*: _available_ = online with Omnichannel service on; _away_ / _busy_ = service on but away / "
        "busy; _offline or not taking chats_ = offline, or service off. The number after a name is the chats "
        "that agent holds (open and on hold).",
        "• *Chats in progress*: _open_ = taken by an agent and not on hold; _on hold_ apart. Queued chats are "
        "under Queue.",
        "• *Conversations* today: chats opened since midnight. The change compares the full hours so far with the "
        "same hours of the same weekday a week earlier (hourly charts) — never a day in progress with a whole day.",
        '• *First response*: the average time to the first agent reply. Rocket.Chat\'s "Average of waiting time" '
        "(Avg_of_waiting_time) is *also* a first-response average (per department, unanswered chats counted as "
        "0), not time in the queue, so I never show it as a wait.",
        "• *Queue wait*: from queued to taken, for today's chats that were taken (for a transferred chat: until "
        "the transfer).",
        "• *Abandoned*: what Rocket.Chat counts as abandoned — chats an agent closed after the visitor stayed "
        "silent past the inactivity timeout (1 h by default) — not visitors who left the queue. The share is of "
        "today's conversations (Rocket.Chat's \"Avg of abandoned chats\" is a mean of department percentages).",
        "Times and abandoned chats get no comparison while the day is in progress. The day is the bot's "
        "([bot] timezone), which should be the workspace's reporting time zone (`analytics-bot check` compares "
        "them).",
    )
)


def register_now(router: Router) -> None:
    add_details("now", NOW_DETAILS)

    @router.command(
        "now",
        summary="live operations: the queue, agents, chats in progress and today so far",
        usage="now [dept=NAME]",
        examples=("now", "now dept=Sales"),
        aliases=("live",),
    )
    async def now(invocation: Invocation) -> Reply:
        services = services_of(invocation)
        args = parse_arguments(invocation.args)
        if args.words:
            raise BadArgument(
                f"{code(router.prefix + 'now')} shows the current moment and takes only {code('dept=NAME')}, "
                f"not {echo(args.rest, limit=40)}; for a period use {code(router.prefix + 'overview RANGE')}."
            )
        department = await services.analytics.department(args.options.get("dept"))
        snapshot = await live_for(services.analytics).snapshot(department)
        return Reply(render_now(snapshot, services.settings.timezone), data=snapshot)


def render_now(snapshot: Snapshot, tz: str) -> str:
    zone = ZoneInfo(tz)
    local = snapshot.now.astimezone(zone)
    where = f" · department {echo(snapshot.department.name, limit=60)}" if snapshot.department else ""
    lines = [f"*Live now* · {_day(local.date())} {local.year}, {tz}{where}"]
    lines += _queue(snapshot.queue, snapshot.now, zone)
    lines += _agents(snapshot.agents, snapshot.queue)
    lines += _chats(snapshot.chats, one_department=snapshot.department is not None)
    lines += _today(snapshot.today)
    lines.append(f"as of {snapshot.as_of.astimezone(zone):%H:%M:%S}")
    return fit("\n".join(lines))


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _queue(queue: Queue | Unavailable, now: datetime, zone: ZoneInfo) -> list[str]:
    if isinstance(queue, Unavailable):
        return [f"*Queue* not available: {queue.why}"]
    if not queue.waiting or queue.oldest is None:
        return ["*Queue* empty"]
    since = queue.oldest.astimezone(zone)
    when = f"{since:%H:%M:%S}" if since.date() == now.astimezone(zone).date() else f"{_day(since.date())} {since:%H:%M}"
    text = f"*Queue* {number(queue.waiting)} waiting · longest {duration((now - queue.oldest).total_seconds())}"
    text += f" (since {when})"
    if queue.by_department:
        text += " · " + ", ".join(f"{echo(name, limit=30)} {n}" for name, n in queue.by_department[:MAX_DEPARTMENTS])
    return [text]


def _agents(agents: Agents | Unavailable, queue: Queue | Unavailable) -> list[str]:
    if isinstance(agents, Unavailable):
        return [f"*Agents* not available: {agents.why}"]
    if not sum(agents.counts.values()):
        return ["*Agents* none: nobody here has the livechat-agent role"]
    counts = [f"{agents.counts[b]} {b}" for b in BUCKETS if agents.counts[b] or b in (AVAILABLE, OFF)]
    head = "*Agents* " + " · ".join(counts)
    if not agents.counts[AVAILABLE] and isinstance(queue, Queue) and queue.waiting:
        head += " — nobody can take the queue"
    if isinstance(agents.names, Unavailable):
        return [f"{head} (no names: {agents.names.why})"]
    lines = [head + (" (chats each holds after the name)" if any(a.chats for a in agents.names) else "")]
    for name in BUCKETS:
        group = [a for a in agents.names if a.bucket == name]
        if group:
            shown = ", ".join(_agent(a) for a in group[:MAX_NAMES])
            more = f" and {len(group) - MAX_NAMES} more" if len(group) > MAX_NAMES else ""
            lines.append(f"• {name}: {shown}{more}")
    return lines


def _agent(agent: AgentLine) -> str:
    text = echo(agent.username, limit=30)
    if agent.chats:
        text += f" {agent.chats}" + (f" ({agent.on_hold} on hold)" if agent.on_hold else "")
    return text


def _chats(chats: Chats | Unavailable, *, one_department: bool) -> list[str]:
    if isinstance(chats, Unavailable):
        return [f"*Chats in progress* not available: {chats.why}"]
    lines = [f"*Chats in progress* {number(chats.open)} open · {number(chats.on_hold)} on hold"]
    if not one_department:
        for name, opened, held in chats.by_department[:MAX_DEPARTMENTS]:
            lines.append(f"• {echo(name, limit=30)} {opened} open · {held} on hold")
        if len(chats.by_department) > MAX_DEPARTMENTS:
            lines.append(f"• … and {len(chats.by_department) - MAX_DEPARTMENTS} more departments")
    return lines


def _today(today: Today | Unavailable) -> list[str]:
    if isinstance(today, Unavailable):
        return [f"*Today so far* not available: {today.why}"]
    lines = [f"*Today so far* · {_day(today.day)} · day in progress"]
    lines.append(f"• Conversations: {number(today.conversations)}{_comparison(today.comparison)}")
    first = duration(today.first_response) if today.first_response else "no chat answered yet"
    lines.append(f"• First response, average: {first}")
    wait = today.queue_wait
    lines.append(f"• Queue wait: {wait.why if isinstance(wait, Unavailable) else wait_text(wait)}")
    share = today.abandoned_share
    lines.append(
        f"• Abandoned (visitor silent past the timeout): {number(today.abandoned)}"
        + (f" of {number(today.conversations)} ({share:.0f}%)" if share is not None else "")
    )
    return lines


def _comparison(comparison: HourlyComparison | Unavailable) -> str:
    if isinstance(comparison, Unavailable):
        return f" (no comparison: {comparison.why})"
    if not comparison.hours:
        return " (no full hour yet to compare)"
    hour = f"{comparison.hours:02d}:00" if comparison.hours < 24 else "24:00"
    change = delta(comparison.today, comparison.before, lower_is_better=None)
    return (
        f" · to {hour}: {number(comparison.today)}, {change} vs {_day(comparison.day)} to {hour}"
        f" ({number(comparison.before)})"
    )
