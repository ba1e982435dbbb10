"""A deterministic demo workspace: a small Omnichannel team with about 90 days of history.

Demos, screenshots and end-to-end tests need analytics that look like a real support team's (busy
weekday mornings, quiet nights and weekends, departments of different sizes, agents who differ in
speed, a few chats still open or on hold) and that come out identical on every run, so figures in
the docs and assertions in the tests stay put. Everything is drawn from one `random.Random(seed)`
and dated backwards from the caller's `now`; nothing reads the wall clock or the global generator.

The result is a plain workspace document in data.py's format with ISO date strings, so it can be
dumped with `json.dumps`, edited, and loaded with `load_document` like any export. Room metrics are
derived from the generated messages the way Rocket.Chat's `saveAnalyticsData` hook updates them when
an agent message is saved (rocketchat-analytics.md §3.2): `response.ft` runs from the visitor's last
query to the first agent reply, `reaction.ft` from the agent joining (`servedBy.ts`) to that reply,
`response.avg` is `tt/total` over the agent replies that answered a visitor, and `chatDuration` runs
from `ts` to `closedAt`. Seasonality follows working hours in DEMO_TIMEZONE.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .demo_team import team_sections
from .ejson import to_ms

Doc = dict[str, Any]
Event = tuple[str, int, str]  # (kind, epoch ms, text); kind: start | v | join | a | close-a | close-v

DEMO_PASSWORD = "demo-pass-123"
BOT_USERNAME = "analytics-bot"
BOT_USER_ID = "u-analytics-bot"
BOT_PASSWORD = "bot-pass-123"
BOT_TOKEN = "demo-pat-analytics-bot-5f2c9e71b04d48a6"
MANAGER_USERNAME = "maria.manager"
ADMIN_USERNAME = "admin"
USER_USERNAME = "olivia.user"
DEMO_TIMEZONE = "Europe/Berlin"  # the team's working hours; the sandbox server itself stays on UTC

DEPARTMENTS = {
    "dep-sales": "Sales",
    "dep-support": "Support",
    "dep-billing": "Billing",
    "dep-success": "Customer Success",
}
# username, display name, departments, speed (multiplies every reply delay: lower is faster)
AGENTS: tuple[tuple[str, str, tuple[str, ...], float], ...] = (
    ("ana.silva", "Ana Silva", ("dep-support",), 0.55),
    ("ben.okafor", "Ben Okafor", ("dep-support", "dep-billing"), 1.0),
    ("chen.wei", "Chen Wei", ("dep-support",), 0.75),
    ("diego.ramos", "Diego Ramos", ("dep-sales",), 1.35),
    ("emma.schmidt", "Emma Schmidt", ("dep-sales", "dep-success"), 0.9),
    ("farah.khan", "Farah Khan", ("dep-billing",), 1.15),
    ("george.miller", "George Miller", ("dep-sales",), 1.8),
    ("hana.sato", "Hana Sato", ("dep-success", "dep-support"), 0.85),
)

_SECOND, _HOUR, _DAY = 1000, 3_600_000, 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WEEKDAY_CHATS = 36.0  # mean conversations on a Wednesday; Monday is busier, Friday quieter
WEEKDAY = (1.2, 1.05, 1.0, 0.95, 0.85, 0.25, 0.18)  # Monday .. Sunday
HOURLY = (0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.8, 2.6, 3.0, 3.0,
           2.4, 2.6, 3.0, 2.8, 2.4, 1.8, 1.1, 0.8, 0.6, 0.45, 0.3, 0.2)  # fmt: skip
DEPARTMENT_SHARE = {"dep-support": 0.42, "dep-sales": 0.26, "dep-billing": 0.18, "dep-success": 0.14}
OPENINGS = {
    "dep-sales": ("Hi, do you offer volume discounts?", "Can I get a quote for 50 seats?", "Is there a free trial?"),
    "dep-support": ("I can't log in since this morning", "The export button does nothing", "My app keeps crashing"),
    "dep-billing": ("I was charged twice this month", "How do I update my card?", "Can I get an invoice copy?"),
    "dep-success": ("We'd like help onboarding our team", "Can we schedule a training session?", "Renewal question"),
}
VISITOR_LINES = ("ok", "Sure, one moment", "Here is the screenshot", "That makes sense", "It still happens", "Thanks!")
AGENT_LINES = ("Hello! I'm looking into it now.", "Could you tell me your account e-mail?", "I've fixed that for you.",
          "Let me check with the team.", "Please try again now.", "Anything else I can help with?")  # fmt: skip
_CHATTER = ("Good morning everyone!", "Lunch at noon?", "The coffee machine is fixed", "Team call at 3",
            "Great job on the queue today", "Who has the release notes?", "Happy Friday!", "Back in 10")  # fmt: skip


def _iso(ms: int) -> str:
    """`toISOString()` form, e.g. "2026-11-21T09:15:00.000Z" (isoformat is faster than ejson.iso's strftime)."""
    return (_EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds")[:-6] + "Z"


def _seconds(ms: int) -> float:
    return round(ms / 1000, 3)


def _user(username: str, name: str, roles: list[str], created: str, offset: float, **extra: Any) -> Doc:
    uid = extra.pop("_id", "u-" + username.replace(".", "-"))
    email = [{"address": f"{username}@example.com", "verified": True}]
    doc: Doc = {"_id": uid, "username": username, "name": name, "roles": roles, "emails": email}
    return doc | {"createdAt": created, "utcOffset": offset, "password": DEMO_PASSWORD} | extra


def _users(created: str, offset: float) -> list[Doc]:
    pat = [{"name": BOT_USERNAME, "token": BOT_TOKEN}]
    return [
        _user(ADMIN_USERNAME, "Administrator", ["admin", "user"], created, offset),
        _user(MANAGER_USERNAME, "Maria Manager", ["livechat-manager", "user"], created, offset),
        _user(USER_USERNAME, "Olivia User", ["user"], created, offset),
        *(_user(name, full, ["livechat-agent", "user"], created, offset, statusLivechat="available",
                livechat={"maxNumberSimultaneousChat": 4}) for name, full, _, _ in AGENTS),
        _user(BOT_USERNAME, "Analytics Bot", ["bot", "livechat-manager"], created, 0, _id=BOT_USER_ID,
              password=BOT_PASSWORD, personalAccessTokens=pat),
    ]  # fmt: skip


def _channels(users: list[Doc], created: str) -> list[Doc]:
    """general (everyone), omnichannel-managers (the bot's reporting room; Olivia is in it so the bot's
    refusal of a non-manager can be shown), support-team (agents and the manager), the manager's DM."""
    everyone = [u["username"] for u in users]
    agents = [a[0] for a in AGENTS]
    managers = [MANAGER_USERNAME, ADMIN_USERNAME, BOT_USERNAME, USER_USERNAME]
    dm_id = "".join(sorted(u["_id"] for u in users if u["username"] in (MANAGER_USERNAME, BOT_USERNAME)))
    return [
        {"_id": "GENERAL", "t": "c", "name": "general", "default": True, "ts": created, "members": everyone},
        {"_id": "omnichannel-managers", "t": "p", "name": "omnichannel-managers", "ts": created, "members": managers},
        {
            "_id": "support-team",
            "t": "p",
            "name": "support-team",
            "ts": created,
            "members": [*agents, MANAGER_USERNAME],
        },
        {"_id": dm_id, "t": "d", "ts": created, "members": [MANAGER_USERNAME, BOT_USERNAME]},
    ]


def _chatter(rng: random.Random, users: list[Doc], start: int, now: int, zone: ZoneInfo) -> list[Doc]:
    """A few human messages a weekday in general and support-team (never a bot command)."""
    humans = [u for u in users if u["username"] != BOT_USERNAME]
    team = [u for u in humans if "livechat-agent" in u["roles"] or u["username"] == MANAGER_USERNAME]
    day, last = _local_date(start, zone), _local_date(now, zone)
    messages: list[Doc] = []
    while day <= last:
        for rid, people, count in (("GENERAL", humans, rng.randint(1, 4)), ("support-team", team, rng.randint(0, 3))):
            for _ in range(count if day.weekday() < 5 else 0):
                at = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=zone)
                ms, who = to_ms(at), rng.choice(people)
                if start <= ms <= now:
                    sender = {"_id": who["_id"], "username": who["username"], "name": who["name"]}
                    text = rng.choice(_CHATTER)
                    messages.append(
                        {"_id": f"{rid}-{len(messages):05d}", "rid": rid, "ts": _iso(ms), "msg": text, "u": sender}
                    )
        day += timedelta(days=1)
    return sorted(messages, key=lambda m: str(m["ts"]))


def _local_date(ms: int, zone: ZoneInfo) -> date:
    return (_EPOCH + timedelta(milliseconds=ms)).astimezone(zone).date()


def _poisson(rng: random.Random, rate: float) -> int:
    threshold, k, p = math.exp(-rate), 0, rng.random()
    while p > threshold:
        k, p = k + 1, p * rng.random()
    return k


def _arrivals(rng: random.Random, start: int, now: int, zone: ZoneInfo) -> list[tuple[int, float, str]]:
    """Conversation start times (ms), each with a busy factor (1 quiet .. 1.6 peak) and a department."""
    scale = WEEKDAY_CHATS / sum(HOURLY)
    peak = max(HOURLY) * WEEKDAY[0] * scale
    noise: dict[date, float] = {}
    found: list[tuple[int, float, str]] = []
    for slot in range(start - start % _HOUR, now, _HOUR):
        local = (_EPOCH + timedelta(milliseconds=slot)).astimezone(zone)
        factor = noise.setdefault(local.date(), max(0.4, rng.gauss(1.0, 0.15)))
        growth = 0.9 + 0.2 * (slot - start) / max(1, now - start)  # the business grows a little
        rate = HOURLY[local.hour] * WEEKDAY[local.weekday()] * factor * growth * scale
        shares = dict(DEPARTMENT_SHARE)
        shares["dep-billing"] *= 2.5 if local.day <= 5 else 1.0  # invoices go out on the 1st
        shares["dep-sales"] *= 1.4 if local.hour >= 13 else 1.0
        for _ in range(_poisson(rng, rate)):
            ms = slot + rng.randrange(_HOUR)
            department = rng.choices(list(shares), weights=list(shares.values()))[0]
            if start <= ms <= now:
                found.append((ms, 1.0 + 0.6 * min(1.0, rate / peak), department))
    return sorted(found)


def _delay(rng: random.Random, median_s: float, speed: float, busy: float) -> int:
    return max(2 * _SECOND, int(median_s * speed * busy * rng.lognormvariate(0, 0.45) * _SECOND))


def _script(rng: random.Random, ts: int, department: str, speed: float, busy: float, state: str) -> list[Event]:
    """The life of one chat. state: closed | abandoned (visitor left the queue) | waiting (assigned,
    no reply yet) | open (cut mid-conversation) | hold (cut after an agent message)."""
    events: list[Event] = [("start", ts, ""), ("v", ts, rng.choice(OPENINGS[department]))]
    if rng.random() < 0.3:
        events.append(("v", ts + rng.randint(5, 40) * _SECOND, rng.choice(VISITOR_LINES)))
    if state == "abandoned":
        return [*events, ("close-v", events[-1][1] + rng.randint(60, 600) * _SECOND, "")]
    join = ts + int(rng.uniform(2, 25) * busy * _SECOND)
    events.append(("join", join, ""))
    if state == "waiting":
        return events
    t = max(join, events[-2][1]) + _delay(rng, 30, speed, busy)  # events[-2]: the visitor's last message
    first_reply = len(events)
    events.append(("a", t, AGENT_LINES[0]))
    for _ in range(rng.randint(1, 4)):
        for _ in range(rng.choice((1, 1, 2))):
            t += int(rng.uniform(15, 150) * _SECOND)
            events.append(("v", t, rng.choice(VISITOR_LINES)))
        t += _delay(rng, 45, speed, busy)
        events.append(("a", t, rng.choice(AGENT_LINES[1:])))
        if rng.random() < 0.25:
            t += rng.randint(5, 40) * _SECOND
            events.append(("a", t, rng.choice(AGENT_LINES[1:])))
    if state in ("open", "hold"):
        cut = [i for i in range(first_reply, len(events)) if state == "open" or events[i][0] == "a"]
        return events[: rng.choice(cut) + 1]
    closer = "close-a" if rng.random() < 0.8 else "close-v"
    return [*events, (closer, t + rng.randint(20, 240) * _SECOND, "")]


def _conversation(
    n: int, ts: int, department: str, agent: Doc, visitor: Doc, events: list[Event], hold: bool
) -> tuple[Doc, list[Doc]]:
    """Build the room and its messages, with the metrics Rocket.Chat would have saved for them."""
    rid = f"lc-{n:05d}"
    v_ref = {"_id": visitor["_id"], "username": visitor["username"]}
    a_ref = {"_id": agent["_id"], "username": agent["username"], "name": agent["name"]}
    messages: list[Doc] = []
    lq, closer = ts, ""
    join = first = last_reply = close = 0
    tt = reaction_tt = 0.0
    ft = reaction_ft = 0.0
    total = 0
    for k, (kind, ms, text) in enumerate(sorted(events, key=lambda e: e[1])):
        message: Doc = {"_id": f"{rid}-{k:02d}", "rid": rid, "ts": _iso(ms), "msg": text}
        if kind == "v":
            lq = ms
            message |= {"u": dict(v_ref), "token": visitor["token"]}
        elif kind == "a":
            if not first:
                first, ft, reaction_ft, total = ms, _seconds(ms - lq), _seconds(ms - join), 1
                tt, reaction_tt = ft, reaction_ft
            elif lq > last_reply:
                total, tt, reaction_tt = total + 1, tt + _seconds(ms - lq), reaction_tt + _seconds(ms - lq)
            last_reply = ms
            message["u"] = dict(a_ref)
        else:
            system = {
                "start": "livechat-started",
                "join": "uj",
                "close-a": "livechat-close",
                "close-v": "livechat-close",
            }
            message |= {"t": system[kind], "u": dict(a_ref if kind in ("join", "close-a") else v_ref)}
            message["msg"] = agent["username"] if kind == "join" else ""
            join = ms if kind == "join" else join
            close, closer = (ms, kind) if kind.startswith("close") else (close, closer)
        messages.append(message)
    metrics: Doc = {"v": {"lq": _iso(lq)}}
    v_doc = {key: visitor[key] for key in ("_id", "username", "token")} | {"status": "offline" if close else "online"}
    room: Doc = {"_id": rid, "t": "l", "fname": visitor["name"], "ts": _iso(ts), "departmentId": department,
                 "v": v_doc, "source": {"type": "widget"}, "cl": False}  # fmt: skip
    if not close:
        room["open"] = True  # Rocket.Chat unsets `open` on close (closeRoomById)
    if join:
        room["servedBy"] = {"_id": agent["_id"], "username": agent["username"], "ts": _iso(join)}
    if first:
        room["responseBy"] = {"_id": agent["_id"], "username": agent["username"], "firstResponseTs": _iso(first),
                              "lastMessageTs": _iso(last_reply)}  # fmt: skip
        metrics["response"] = {"ft": ft, "avg": round(tt / total, 3), "tt": round(tt, 3), "total": total}
        metrics["reaction"] = {"ft": reaction_ft, "tt": round(reaction_tt, 3)}
        metrics["servedBy"] = {"lr": _iso(last_reply)}
    elif join and not close:
        room["waitingResponse"] = True
    if close:
        metrics["chatDuration"] = _seconds(close - ts)
        by_visitor = closer == "close-v"
        room |= {"closedAt": _iso(close), "closer": "visitor" if by_visitor else "user"}
        room["closedBy"] = dict(v_ref) if by_visitor else {"_id": agent["_id"], "username": agent["username"]}
    room["metrics"] = metrics
    if hold:
        room["onHold"] = True
    return room, messages


def demo_document(*, seed: int = 42, now: datetime, days: int = 90) -> dict[str, Any]:
    """The demo workspace: users, departments, channels and `days` days of livechat ending at `now`.

    The same `seed` and `now` give an equal document. The last three chats are always still running
    (one waiting for its first reply, one on hold, one open) and a few more from the last two days are.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime, e.g. datetime.now(UTC)")
    if days < 1:
        raise ValueError(f"days must be at least 1; got {days}")
    rng, zone = random.Random(seed), ZoneInfo(DEMO_TIMEZONE)
    end = to_ms(now)
    start = end - days * _DAY
    created = _iso(start - 30 * _DAY)
    offset = (now.astimezone(zone).utcoffset() or timedelta()).total_seconds() / 3600
    users = _users(created, offset)
    by_name = {u["username"]: u for u in users}
    staff = {dep: [(by_name[a[0]], a[3]) for a in AGENTS if dep in a[2]] for dep in DEPARTMENTS}
    departments = [{"_id": dep, "name": name, "enabled": True, "numAgents": len(staff[dep]), "_updatedAt": created,
                    "description": f"{name} questions"} for dep, name in DEPARTMENTS.items()]  # fmt: skip
    rooms, messages = _channels(users, created), _chatter(rng, users, start, end, zone)
    visitors: list[Doc] = []
    arrivals = _arrivals(rng, start, end, zone)
    for n, (ts, busy, department) in enumerate(arrivals):
        if visitors and rng.random() < 0.15:  # a returning customer
            visitor = rng.choice(visitors)
        else:
            number = 1000 + len(visitors)
            token = f"{rng.getrandbits(96):024x}"
            visitor = {"_id": f"v-{number}", "username": f"guest-{number}", "name": f"Guest {number}", "token": token}
            visitors.append(visitor)
        state = _state(rng, len(arrivals) - 1 - n, end - ts)
        agent, speed = rng.choice(staff[department])
        events = [e for e in _script(rng, ts, department, speed, busy, state) if e[1] <= end]
        room, room_messages = _conversation(
            n, ts, department, agent, visitor, events, state == "hold" and events[-1][0] == "a"
        )
        rooms.append(room)
        messages += room_messages
    document = {"users": users, "departments": departments, "rooms": rooms, "messages": messages}
    team = [(name, departments_of) for name, _, departments_of, _ in AGENTS]
    return document | team_sections(document, seed=seed, now=now, zone=zone, agents=team)


def _state(rng: random.Random, from_last: int, age: int) -> str:
    if from_last < 3:
        return ("waiting", "hold", "open")[from_last]
    draw = rng.random()
    if age < 2 * _DAY and draw < 0.2:
        return "waiting" if draw < 0.04 else "hold" if draw < 0.12 else "open"
    return "abandoned" if draw > 0.96 else "closed"
