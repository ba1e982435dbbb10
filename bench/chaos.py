"""Fault injection: is every command answered exactly once while links drop, servers restart and bots die?

Why (issue 9): a bot that answers on a quiet afternoon can still lose or repeat answers when the WebSocket
drops, Rocket.Chat restarts, the bot is killed mid-reply, or the analytics endpoints answer 429 and 503 or
crawl. This harness does all of that to the real bot while people keep typing, then counts, from what the
server stored, what each command got.

How: the sandbox (demo workspace plus `--rooms` private groups and `--users` managers) runs in this process
on 127.0.0.1, port 0; the bot runs as a subprocess (`python -m bot run`, RC_URL/RC_USER_ID/RC_AUTH_TOKEN and
a TOML config whose `[digests] state_file` survives every kill). Managers post a realistic mix of commands
(and olivia.user, with the managers, ordinary chatter, some commands in threads) over REST at `--rate`,
paced against a monotonic schedule and never paused for a fault: a post that finds the server down is
retried with its own client `_id`, the way a chat client resends. Meanwhile, on an evenly spread schedule:
`--drops` socket drops, `--restarts` sandbox restarts (same port, data kept, `--downtime` s unreachable),
`--kills` SIGKILLs of the bot each followed at once by a start with the same config and state file, bursts
of `--burst` 429s and 503s on `livechat/analytics/` until `--too-many` and `--unavailable` are served, and
overview + charts-data made `--slow-delay` s slower for `--slow-for` s. If the bot exits on its own it is
started again after a short pause, as systemd would, and the summary says so.

Outcomes come from the sandbox's store (every insert is stamped as it happens): the bot's reply to command
`C` has the deterministic `_id` `reply_id(C)` (bot/rocketchat/ids.py) and a numbered follow-up
`reply_id(C, n)`; chart pictures are uploads with server-made ids, at most one per `!chart` in a room.
LOST: a command without `reply_id(C)`. DUPLICATED: any other bot message, a reply in the wrong room, or
more pictures in a room than `!chart` commands there. APOLOGIES: "something went wrong on my side".
Recovery after a fault: from its end (the drop; the server listening again; the killed bot's successor
spawned) to the first reply to a command posted after the fault began. Latency: command stored → reply
stored. After the traffic, the harness waits (bounded by `--settle`) until every command has its reply, then
stops the bot with SIGTERM and reads the store.

Exit status: 0 nothing lost, duplicated or apologised; 1 the bot failed that; 2 the harness itself could not
run (it could not start the sandbox or the bot, log in, or post), which says nothing about the bot.

    .venv/bin/python bench/chaos.py [--commands 1000] [--rate 10] [--rooms 100] [--log FILE] ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as `python bench/chaos.py`: make the `bench` package importable
    sys.path.insert(0, str(REPO))

from bench.latency import BenchError, Child, child_env, percentile  # noqa: E402
from bot.rocketchat.ids import ID_ALPHABET, ID_LENGTH, reply_id  # noqa: E402
from bot.sandbox import Sandbox, demo  # noqa: E402
from bot.sandbox.store import MessageChanged  # noqa: E402

HOST = "127.0.0.1"  # loopback only: the sandbox's fault API must never be reachable from elsewhere
ANALYTICS = "livechat/analytics/"
SLOW_ROUTES = ("livechat/analytics/overview", "livechat/analytics/dashboards/charts-data")
CONNECTED = "connected (session"  # the bot's log line once subscribed and caught up (bot/runtime/app.py)
APOLOGY = "something went wrong on my side"
TRY_AGAIN = "try again"
REFUSAL = "only for people who may see them"
MANAGERS = (demo.MANAGER_USERNAME, "lena.lead", "omar.ops", "priya.head", "sam.supervisor", "tara.team")
CHATTERER = demo.USER_USERNAME  # a member of every room without analytics rights: chatter only
RECOVERED_KINDS = ("drop", "restart", "kill")
LAG_WARNING = 1.0  # seconds behind schedule that make a run's traffic unlike the plan
RESPAWN_PAUSE = 0.5  # after the bot exits on its own, like systemd's RestartSec (short: the run is short)
MAX_RESPAWNS = 20
FOLLOW_UPS = 4  # reply_id(C, 1..3) are a reply's numbered follow-ups

# (weight, text): what managers ask; `{dept}` becomes a department of the demo workspace.
COMMAND_MIX: tuple[tuple[int, str], ...] = (
    (2, "!help"),
    (1, "!help chart"),
    (4, "!overview yesterday"),
    (3, "!overview last week dept={dept}"),
    (2, "!overview productivity last 7 days"),
    (1, "!overview"),
    (3, "!chart frt last 7 days"),
    (1, "!chart conversations last 30 days dept={dept}"),
    (2, "!agents response time last week"),
    (1, "!agents frt last 7 days dept={dept}"),
    (2, "!departments"),
    (1, "@analytics-bot overview this month"),
)
DEPARTMENTS = ("Sales", "Support", "Billing")
CHATTER = (
    "Good morning everyone!",
    "Lunch at noon?",
    "I think the overview looks better than last week",
    "Who is on the queue after 3?",
    "Thanks, that helps",
    "The chart for Support looks odd, can someone check",
    "Back in 10",
    "Has anyone seen the agents' schedule?",
)


class HarnessError(BenchError):
    """The harness could not do its own part (start the sandbox or the bot, log in, post): nothing was
    learned about the bot."""


@dataclass(frozen=True)
class Plan:
    commands: int = 1000
    rate: float = 10.0  # commands per second
    users: int = 5  # managers posting commands
    rooms: int = 100
    drops: int = 20
    restarts: int = 1
    downtime: float = 5.0
    kills: int = 5
    too_many: int = 25  # 429s served on livechat/analytics/
    unavailable: int = 25  # 503s served on livechat/analytics/
    burst: int = 5  # failures per burst
    retry_after_ms: int = 1000
    slow_delay: float = 4.0
    slow_for: float = 14.0
    chatter: float = 0.5  # ordinary messages per command
    threads: float = 0.1  # share of commands posted in a thread
    settle: float = 60.0  # at most this long after the traffic for the last replies
    start_limit: float = 30.0  # at most this long for the first start of the bot
    post_limit: float = 30.0  # a post the server keeps refusing for this long is a harness failure
    days: int = 90  # days of demo history
    seed: int = 9

    @property
    def duration(self) -> float:
        return self.commands / self.rate

    def problems(self) -> list[str]:
        wrong = []
        if not 1 <= self.commands <= 100_000 or not 0 < self.rate <= 200:
            wrong.append("--commands must be 1..100000 and --rate in (0, 200]")
        if not 1 <= self.users <= len(MANAGERS) or not 1 <= self.rooms <= 1000:
            wrong.append(f"--users must be 1..{len(MANAGERS)} and --rooms 1..1000")
        counts = (self.drops, self.restarts, self.kills, self.too_many, self.unavailable)
        if min(counts) < 0 or max(counts) > 10_000 or self.burst < 1:
            wrong.append("fault counts must be 0..10000 and --burst at least 1")
        if not 0 <= self.downtime <= 120 or not 0 <= self.slow_delay <= 60 or not 0 <= self.slow_for <= 600:
            wrong.append("--downtime must be 0..120 s, --slow-delay 0..60 s and --slow-for 0..600 s")
        if not 0 <= self.chatter <= 10 or not 0 <= self.threads <= 1 or not 0 < self.settle <= 3600:
            wrong.append("--chatter must be 0..10, --threads 0..1 and --settle in (0, 3600]")
        if not 1 <= self.days <= 365:
            wrong.append("--days must be 1..365")
        return wrong


@dataclass
class Post:
    """A message people post: its client `_id` makes every resend of it the same message."""

    id: str
    rid: str
    user: str
    text: str
    command: bool
    at: float  # seconds after the traffic started, as scheduled
    tmid: str | None = None


@dataclass
class Fault:
    kind: str  # drop | restart | kill | 429 | 503 | slow
    at: float  # seconds after the traffic started, as scheduled
    size: int = 0  # failures in a 429/503 burst
    started: float | None = None  # perf_counter
    ended: float | None = None
    note: str = ""
    injected: list[Any] = field(default_factory=list)  # the sandbox's RouteFaults, to count what was served


@dataclass
class BotLog:
    run: int
    lines: list[tuple[float, str, str]]


@dataclass
class Outcome:
    """What the store says about a run; `lines()` is the summary, `failures()` what fails it."""

    plan: Plan
    commands: list[Post]
    chatter: int
    elapsed: float
    answered: int
    lost: list[Post]
    unexpected: list[dict[str, Any]]  # bot messages that are no command's reply (or in the wrong room)
    served: dict[str, int]  # 429s and 503s the sandbox actually answered
    pictures: int
    surplus_pictures: int
    apologies: list[str]
    try_again: int
    refusals: int
    latencies: list[float]  # seconds, command stored → reply stored
    recoveries: dict[str, list[float | None]]  # kind → per fault; None: no reply after it, ever
    lost_near: Counter[str]  # the fault that began nearest to when each lost command was posted
    bot_runs: int
    bot_exits: list[str]  # exits the harness did not cause
    log_levels: Counter[str]
    log_samples: list[str]
    server_errors: list[str]  # what the in-process sandbox (uvicorn) logged as errors
    all_answered_in: float | None  # seconds after the traffic ended; None: --settle ran out
    pacing_lag: float  # how far behind its schedule the harness posted, at worst (seconds)
    timeline: dict[str, list[dict[str, Any]]]  # commands and faults, seconds after the traffic started (--dump)

    @property
    def duplicated(self) -> int:
        return len(self.unexpected) + self.surplus_pictures

    def failures(self) -> list[str]:
        failed = []
        if self.lost:
            failed.append(f"{len(self.lost)} lost")
        if self.duplicated:
            failed.append(f"{self.duplicated} duplicated")
        if self.apologies:
            failed.append(f"{len(self.apologies)} apologies")
        return failed

    def lines(self) -> list[str]:
        plan, out, served = self.plan, [], self.served
        out.append(
            f"chaos: {len(self.commands)} commands + {self.chatter} chatter from {plan.users} users in {plan.rooms} "
            f"rooms at {plan.rate:g}/s; traffic and faults took {self.elapsed:.1f} s; posts at most "
            f"{self.pacing_lag * 1000:.0f} ms behind schedule"
        )
        if self.pacing_lag > LAG_WARNING:
            out.append(
                "WARNING: the harness fell behind its own schedule (its event loop, shared with the in-process "
                "sandbox, was busy): the traffic was burstier than planned"
            )
        out.append(
            f"faults: {plan.drops} socket drops, {plan.restarts} sandbox restart(s) ({plan.downtime:g} s down), "
            f"{plan.kills} bot kills (SIGKILL, restarted with the same config and state file), "
            f"429 ×{served['429']}/{plan.too_many} and 503 ×{served['503']}/{plan.unavailable} served on "
            f"{ANALYTICS} in bursts of {plan.burst}, overview and charts-data {plan.slow_delay:g} s slower for "
            f"{plan.slow_for:g} s"
        )
        lost_near = ", ".join(f"{kind} {n}" for kind, n in self.lost_near.most_common())
        out += [
            f"  commands     {len(self.commands):5d}",
            f"  answered     {self.answered:5d}",
            f"  lost         {len(self.lost):5d}"
            + (f"   (the fault nearest to each one's posting: {lost_near})" * bool(self.lost)),
            f"  duplicated   {self.duplicated:5d}   ({len(self.unexpected)} unexpected bot messages, "
            f"{self.surplus_pictures} pictures beyond one per !chart; {self.pictures} pictures in all)",
            f"  apologies    {len(self.apologies):5d}",
            f"  try again    {self.try_again:5d}   (replies asking to try again)",
            f"  refusals     {self.refusals:5d}   (should be 0: every poster may see analytics)",
        ]
        recovery = []
        for kind in RECOVERED_KINDS:
            values = self.recoveries.get(kind, [])
            if not values:
                continue
            known = [v for v in values if v is not None]
            never = len(values) - len(known)
            text = f"{kind} {max(known):.2f} s" if known else f"{kind} -"
            text += f" (median {statistics.median(known):.2f} s of {len(values)})" if known else ""
            recovery.append(text + (f", {never} with no reply after it" if never else ""))
        out.append("  worst recovery: " + ("; ".join(recovery) or "no faults"))
        out.append(
            f"  reply latency: p50 {percentile(self.latencies, 50) * 1000:.0f} ms, "
            f"p99 {percentile(self.latencies, 99) * 1000:.0f} ms, max {max(self.latencies, default=math.nan):.2f} s "
            "(command stored → reply stored)"
        )
        settled = (
            f"all answered {self.all_answered_in:.1f} s after the traffic"
            if self.all_answered_in is not None
            else f"still unanswered after --settle {plan.settle:g} s"
        )
        levels = ", ".join(f"{n} {level}" for level, n in sorted(self.log_levels.items())) or "no warnings"
        out.append(
            f"  the bot: {self.bot_runs} runs, exited on its own {len(self.bot_exits)} times; {settled}; its log: "
            f"{levels}"
        )
        out += [f"    exit: {text}" for text in self.bot_exits[:5]]
        out += [f"    log: {text}" for text in self.log_samples]
        if self.server_errors:
            kinds = Counter(self.server_errors).most_common(2)
            out.append(
                f"  the sandbox logged {len(self.server_errors)} errors: "
                + "; ".join(f"{n}× {text}" for text, n in kinds)
            )
        for post in self.lost[:5]:
            out.append(f"    lost: {post.id} in {post.rid} by {post.user} at +{post.at:.1f} s: {post.text!r}")
        for message in self.unexpected[:5]:
            out.append(f"    unexpected: {message['_id']} in {message['rid']}: {str(message.get('msg'))[:100]!r}")
        out += [f"    apology: {text[:160]!r}" for text in self.apologies[:3]]
        failed = self.failures()
        out.append("RESULT: " + ("PASS" if not failed else "FAIL — " + ", ".join(failed)))
        return out


# --- the workspace ------------------------------------------------------------------------------------------


def room_ids(plan: Plan) -> list[str]:
    return [f"chaos-{n:03d}" for n in range(plan.rooms)]


def workspace(plan: Plan, now: datetime) -> dict[str, Any]:
    """The demo workspace, extra managers, and `plan.rooms` private groups of the posters and the bot."""
    document = demo.demo_document(seed=42, now=now, days=plan.days)
    maria = next(u for u in document["users"] if u["username"] == demo.MANAGER_USERNAME)
    for username in MANAGERS[1 : plan.users]:
        uid, name = f"u-{username.replace('.', '-')}", username.replace(".", " ").title()
        emails = [{"address": f"{username}@example.com", "verified": True}]
        document["users"].append(maria | {"_id": uid, "username": username, "name": name, "emails": emails})
    created = (now - timedelta(days=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    members = [*MANAGERS[: plan.users], CHATTERER, demo.BOT_USERNAME]
    for rid in room_ids(plan):
        document["rooms"].append({"_id": rid, "t": "p", "name": rid, "ts": created, "members": members})
    # The harness measures the bot, not the REST limiter: people post far more than 10 messages a minute.
    document["settings"] = document.get("settings", {}) | {"API_Enable_Rate_Limiter": False}
    return document


def new_id(rng: random.Random) -> str:
    return "".join(rng.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def traffic(plan: Plan, rng: random.Random) -> list[Post]:
    """Commands at `plan.rate` and chatter between them, in order of their time."""
    rooms, weights = room_ids(plan), [w for w, _ in COMMAND_MIX]
    posts = []
    for k in range(plan.commands):
        text = rng.choices([t for _, t in COMMAND_MIX], weights)[0].format(dept=rng.choice(DEPARTMENTS))
        user = rng.choice(MANAGERS[: plan.users])
        posts.append(Post(new_id(rng), rng.choice(rooms), user, text, True, k / plan.rate))
    chatter = round(plan.commands * plan.chatter)
    for k in range(chatter):
        user = rng.choice([*MANAGERS[: plan.users], CHATTERER])
        at = (k + 0.5) * plan.duration / chatter
        posts.append(Post(new_id(rng), rng.choice(rooms), user, rng.choice(CHATTER), False, at))
    return sorted(posts, key=lambda p: p.at)


def fault_schedule(plan: Plan, rng: random.Random) -> list[Fault]:
    """Faults on evenly spaced slots, leaving traffic after the last one; restarts and kills evenly apart."""
    heavy = ["kill"] * plan.kills
    for j in range(plan.restarts):
        heavy.insert(round((j + 1) * (plan.kills + j + 1) / (plan.restarts + 1)), "restart")
    light: list[tuple[str, int]] = [("drop", 0)] * plan.drops
    for kind, total in (("429", plan.too_many), ("503", plan.unavailable)):
        light += [(kind, min(plan.burst, total - start)) for start in range(0, total, plan.burst)]
    rng.shuffle(light)
    slots = len(heavy) + len(light)
    lead = min(2.0, 0.1 * plan.duration)
    window = max(0.0, plan.duration - lead - max(plan.downtime + 2.0, 0.15 * plan.duration))
    heavy_slots = {min(slots - 1, int((i + 0.5) * slots / len(heavy))) for i in range(len(heavy))} if heavy else set()
    faults, heavy_iter, light_iter = [], iter(heavy), iter(light)
    for slot in range(slots):
        at = lead + (slot + 0.5) * window / slots
        kind, size = (next(heavy_iter), 0) if slot in heavy_slots else next(light_iter)
        faults.append(Fault(kind, at, size))
    if plan.slow_for and plan.slow_delay:
        faults.append(Fault("slow", lead + max(0.0, window - plan.slow_for) * 0.4))
    return sorted(faults, key=lambda f: f.at)


# --- watching the store ----------------------------------------------------------------------------------


class Observer:
    """Every message insert, stamped with perf_counter as the store makes it; wakes waiters on each."""

    def __init__(self, sb: Sandbox) -> None:
        self.stored: dict[str, float] = {}
        self._new = asyncio.Event()
        self.unlisten = sb.store.listen(self._on_event)

    def _on_event(self, event: object) -> None:
        if isinstance(event, MessageChanged) and event.inserted:
            self.stored.setdefault(event.message["_id"], time.perf_counter())
            self._new.set()

    async def wait_until(self, done: Callable[[], bool], limit: float) -> bool:
        """Await inserts until `done()` holds (True) or `limit` seconds pass (False)."""
        try:
            async with asyncio.timeout(limit):
                while not done():
                    self._new.clear()
                    await self._new.wait()
        except TimeoutError:
            return False
        return True


# --- the bot as a process ----------------------------------------------------------------------------------


class Bot:
    """`python -m bot run` with one config and state file: started, SIGKILLed and started again; if it exits
    on its own it is started again after RESPAWN_PAUSE (at most MAX_RESPAWNS times)."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.config = workdir / "chaos.toml"
        self.config.write_text(
            f'[bot]\nlog_level = "INFO"\n\n[digests]\nstate_file = "{(workdir / "state.sqlite3").as_posix()}"\n'
        )
        self.env = child_env(RC_URL=url, RC_USER_ID=demo.BOT_USER_ID, RC_AUTH_TOKEN=demo.BOT_TOKEN)
        self.workdir = workdir
        self.runs: list[Child] = []
        self.exits: list[str] = []
        self._ours: set[int] = set()  # runs the harness ended itself
        self._stopping = False
        self._watchers: set[asyncio.Task[None]] = set()
        self._spawning = asyncio.Lock()

    @property
    def current(self) -> Child | None:
        return self.runs[-1] if self.runs else None

    async def spawn(self) -> Child:
        async with self._spawning:
            argv = [sys.executable, "-m", "bot", "run", "--config", str(self.config)]
            child = await Child.spawn(f"the bot (run {len(self.runs) + 1})", argv, env=self.env, cwd=str(self.workdir))
            self.runs.append(child)
            watcher = asyncio.create_task(self._watch(child))
            self._watchers.add(watcher)
            watcher.add_done_callback(self._watchers.discard)
            return child

    async def start(self, limit: float) -> None:
        child = await self.spawn()
        try:
            await child.wait_for(CONNECTED, tag="err", limit=limit)
        except BenchError as exc:
            raise HarnessError(
                f"the bot did not start against a healthy sandbox, so nothing was measured: {exc}"
            ) from None

    async def kill_and_restart(self) -> str:
        """SIGKILL the running bot and start it again at once; '' or why nothing was killed."""
        child = self.current
        if child is None or child.proc.returncode is not None:
            return "the bot was not running (it had exited on its own)"
        self._ours.add(id(child))
        with contextlib.suppress(ProcessLookupError):
            child.proc.kill()
        await child.proc.wait()
        await self.spawn()
        return ""

    async def _watch(self, child: Child) -> None:
        code = await child.proc.wait()
        if self._stopping or id(child) in self._ours:
            return
        self.exits.append(f"{child.name} exited with code {code}: {child.tail(3).strip()}")
        if len(self.exits) > MAX_RESPAWNS or self.current is not child:
            return
        await asyncio.sleep(RESPAWN_PAUSE)
        if not self._stopping:
            await self.spawn()

    async def stop(self) -> None:
        """SIGTERM the running bot (in-flight replies may finish) and reap every run."""
        self._stopping = True
        async with self._spawning:  # a start under way finishes first, so no process escapes
            for watcher in list(self._watchers):
                watcher.cancel()
        for child in self.runs:
            self._ours.add(id(child))
            await child.stop(grace=15)

    def log(self) -> list[BotLog]:
        return [BotLog(n, child.lines) for n, child in enumerate(self.runs, start=1)]


# --- posting as people ---------------------------------------------------------------------------------------


class People:
    """The posters' REST sessions; `post` resends (same `_id`) while the server is unreachable or failing."""

    def __init__(self, http: httpx.AsyncClient, plan: Plan) -> None:
        self.http = http
        self.plan = plan
        self.headers: dict[str, dict[str, str]] = {}

    async def log_in(self, usernames: list[str]) -> None:
        for username in usernames:
            try:
                response = await self.http.post(
                    "/api/v1/login", json={"user": username, "password": demo.DEMO_PASSWORD}
                )
            except httpx.HTTPError as exc:
                raise HarnessError(f"could not log in as {username}: {exc!r}") from exc
            data = response.json().get("data") if response.status_code == 200 and response.text[:1] == "{" else None
            if not isinstance(data, dict) or "authToken" not in data:
                raise HarnessError(f"could not log in as {username}: HTTP {response.status_code} {response.text[:200]}")
            self.headers[username] = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}

    async def post(self, post: Post) -> None:
        message: dict[str, Any] = {"_id": post.id, "rid": post.rid, "msg": post.text}
        if post.tmid:
            message["tmid"] = post.tmid
        deadline = time.perf_counter() + self.plan.post_limit + self.plan.downtime
        problem = ""
        while time.perf_counter() < deadline:
            try:
                response = await self.http.post(
                    "/api/v1/chat.sendMessage", json={"message": message}, headers=self.headers[post.user]
                )
            except httpx.TransportError as exc:
                problem = repr(exc)  # the server is restarting: resend, as a chat client does
            else:
                if response.status_code == 200:
                    return  # also for a resend of a message that got in: "success" without a message
                if response.status_code not in (429, 502, 503, 504):
                    raise HarnessError(
                        f"could not post {post.text!r} as {post.user} in {post.rid}: HTTP {response.status_code} "
                        f"{response.text[:200]}"
                    )
                problem = f"HTTP {response.status_code}"
            await asyncio.sleep(0.1)  # pacing the resends
        raise HarnessError(f"could not post as {post.user} in {post.rid} for {self.plan.post_limit:g} s: {problem}")


# --- the run -----------------------------------------------------------------------------------------------


async def run_chaos(plan: Plan, workdir: Path | None = None, *, log_to: Path | None = None) -> Outcome:
    """Run the whole harness; HarnessError if the harness could not do its part. `log_to` gets the bot's log
    (every run), also when the harness failed."""
    if problems := plan.problems():
        raise HarnessError("; ".join(problems))
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chaos-bench-")))
        try:
            sandbox = Sandbox(workspace(plan, datetime.now(UTC)), host=HOST, port=0)
        except Exception as exc:
            raise HarnessError(f"could not build the sandbox workspace: {exc}") from exc
        try:
            await sandbox.start_listening()
        except OSError as exc:
            raise HarnessError(f"could not start the sandbox on {HOST}: {exc}") from exc
        bot = Bot(sandbox.url, workdir)
        server_errors = stack.enter_context(_server_errors())
        try:
            return await _run(plan, sandbox, bot, server_errors)
        finally:
            await bot.stop()
            await sandbox.stop_listening()
            if log_to is not None:
                write_log(log_to, bot.log())


@contextlib.contextmanager
def _server_errors() -> Iterator[list[str]]:
    """Collect what uvicorn logs as errors (a request cut short by a SIGKILL logs a traceback) for the summary,
    instead of letting tracebacks interleave with the harness's output. A filter, because every restart of
    the sandbox builds a uvicorn.Config, whose logging set-up replaces the logger's handlers (not its filters)."""
    errors: list[str] = []

    class Collect(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if record.levelno < logging.ERROR:
                return True
            kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
            errors.append(f"{record.getMessage()} ({kind})" if kind else record.getMessage())
            return False

    logger, collect = logging.getLogger("uvicorn.error"), Collect()
    logger.addFilter(collect)
    try:
        yield errors
    finally:
        logger.removeFilter(collect)


async def _run(plan: Plan, sb: Sandbox, bot: Bot, server_errors: list[str]) -> Outcome:
    rng = random.Random(plan.seed)
    posts, faults = traffic(plan, rng), fault_schedule(plan, rng)
    observer = Observer(sb)
    try:
        async with httpx.AsyncClient(base_url=sb.url, timeout=10.0) as http:
            people = People(http, plan)
            await people.log_in([*MANAGERS[: plan.users], CHATTERER])
            await bot.start(plan.start_limit)
            started = time.perf_counter()
            posting: set[asyncio.Task[None]] = set()
            injecting = [asyncio.create_task(_inject(fault, started, plan, sb, bot)) for fault in faults]
            lag = 0.0
            try:
                last_in_room: dict[str, str] = {}
                for post in posts:
                    await _sleep_until(started + post.at)
                    lag = max(lag, time.perf_counter() - started - post.at)
                    parent = last_in_room.get(post.rid)
                    if post.command and parent in observer.stored and rng.random() < plan.threads:
                        post.tmid = parent  # asked in the thread of an earlier chat message
                    elif not post.command:
                        last_in_room[post.rid] = post.id
                    task = asyncio.create_task(people.post(post))
                    posting.add(task)
                await asyncio.gather(*posting, *injecting)
            finally:
                for task in (*posting, *injecting):
                    task.cancel()
                await asyncio.gather(*posting, *injecting, return_exceptions=True)
            traffic_ended = time.perf_counter()
            commands = [p for p in posts if p.command]
            replies = {reply_id(p.id) for p in commands}
            missing = [i for i in (p.id for p in posts) if i not in observer.stored]
            if missing:
                raise HarnessError(f"{len(missing)} posts were accepted but are not in the store, e.g. {missing[0]}")
            settled = await observer.wait_until(lambda: replies <= observer.stored.keys(), plan.settle)
            all_answered_in = time.perf_counter() - traffic_ended if settled else None
            sb.clear_faults()
    finally:
        await bot.stop()  # before reading the store: nothing more can arrive
        observer.unlisten()
    window = (started, traffic_ended, lag)
    return judge(plan, sb, observer, posts, faults, bot, window, all_answered_in, server_errors)


async def _sleep_until(moment: float) -> None:
    delay = moment - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)


async def _inject(fault: Fault, started: float, plan: Plan, sb: Sandbox, bot: Bot) -> None:
    await _sleep_until(started + fault.at)
    fault.started = time.perf_counter()
    if fault.kind == "drop":
        await sb.drop_sockets()
    elif fault.kind == "restart":
        await sb.restart(downtime=plan.downtime)
    elif fault.kind == "kill":
        fault.note = await bot.kill_and_restart()
    elif fault.kind in ("429", "503"):
        status = int(fault.kind)
        fault.injected.append(sb.fault(ANALYTICS, status=status, times=fault.size, retry_after_ms=plan.retry_after_ms))
    elif fault.kind == "slow":
        fault.injected += [sb.fault(route, delay=plan.slow_delay) for route in SLOW_ROUTES]
        await asyncio.sleep(plan.slow_for)  # how long the slowness lasts
        for route_fault in fault.injected:
            route_fault.times = 0  # off, leaving other faults in place
        fault.injected.clear()
    fault.ended = time.perf_counter()


# --- judging -----------------------------------------------------------------------------------------------


def judge(
    plan: Plan,
    sb: Sandbox,
    observer: Observer,
    posts: list[Post],
    faults: list[Fault],
    bot: Bot,
    window: tuple[float, float, float],  # perf_counter when the traffic started and ended; its worst lag
    all_answered_in: float | None,
    server_errors: list[str],
) -> Outcome:
    commands = [p for p in posts if p.command]
    expected = {reply_id(p.id, n): p for p in commands for n in range(FOLLOW_UPS)}
    messages = sb.store.messages
    bot_messages = [m for m in messages.values() if m["u"]["_id"] == demo.BOT_USER_ID]
    unexpected, pictures_in = [], Counter[str]()
    for message in bot_messages:
        source = expected.get(message["_id"])
        if source is not None and source.rid == message["rid"]:
            continue
        if source is None and message.get("file"):
            pictures_in[message["rid"]] += 1
        else:
            unexpected.append(message)
    charts_in = Counter(p.rid for p in commands if p.text.startswith("!chart"))
    surplus = sum(max(0, n - charts_in[rid]) for rid, n in pictures_in.items())
    answered = [p for p in commands if reply_id(p.id) in messages]
    texts = [str(m.get("msg", "")).lower() for m in bot_messages]
    lost = [p for p in commands if reply_id(p.id) not in messages]
    stamp = observer.stored
    latencies = [stamp[reply_id(p.id)] - stamp[p.id] for p in answered if reply_id(p.id) in stamp]
    happened = [f for f in faults if f.started is not None]
    lost_near = Counter(_nearest_fault(stamp.get(p.id), happened) for p in lost)
    levels, samples = _log_summary(bot.log())
    return Outcome(
        plan=plan,
        commands=commands,
        chatter=len(posts) - len(commands),
        elapsed=window[1] - window[0],
        answered=len(answered),
        lost=lost,
        unexpected=unexpected,
        pictures=sum(pictures_in.values()),
        surplus_pictures=surplus,
        served={
            kind: sum(f.size - sum(r.times or 0 for r in f.injected) for f in faults if f.kind == kind)
            for kind in ("429", "503")
        },
        apologies=[t for t in texts if APOLOGY in t],
        try_again=sum(TRY_AGAIN in t for t in texts),
        refusals=sum(REFUSAL in t for t in texts),
        latencies=latencies,
        recoveries=_recoveries(happened, commands, stamp),
        lost_near=lost_near,
        bot_runs=len(bot.runs),
        bot_exits=list(bot.exits),
        log_levels=levels,
        log_samples=samples,
        server_errors=server_errors,
        all_answered_in=all_answered_in,
        pacing_lag=window[2],
        timeline=_timeline(commands, faults, stamp, window[0]),
    )


def _timeline(commands: list[Post], faults: list[Fault], stamp: dict[str, float], origin: float) -> dict[str, Any]:
    def since(moment: float | None) -> float | None:
        return None if moment is None else round(moment - origin, 3)

    return {
        "commands": [
            {
                "id": p.id,
                "rid": p.rid,
                "user": p.user,
                "text": p.text,
                "tmid": p.tmid,
                "posted": since(stamp.get(p.id)),
                "replied": since(stamp.get(reply_id(p.id))),
            }
            for p in commands
        ],
        "faults": [
            {"kind": f.kind, "size": f.size, "started": since(f.started), "ended": since(f.ended), "note": f.note}
            for f in faults
        ],
    }


def _nearest_fault(moment: float | None, faults: list[Fault]) -> str:
    """The kind of fault whose span (start to end) is nearest to `moment`: a hint at what lost a command."""

    def distance(fault: Fault) -> float:
        start = fault.started if fault.started is not None else math.inf
        end = fault.ended if fault.ended is not None else start
        return 0.0 if moment is None or start <= moment <= end else min(abs(moment - start), abs(moment - end))

    return min(faults, key=distance).kind if faults and moment is not None else "none"


def _recoveries(faults: list[Fault], commands: list[Post], stamp: dict[str, float]) -> dict[str, list[float | None]]:
    """Per fault: its end → the first reply to a command stored after it began (None: no such reply)."""
    answered = sorted((stamp[p.id], stamp[reply_id(p.id)]) for p in commands if reply_id(p.id) in stamp)
    result: dict[str, list[float | None]] = {}
    for fault in faults:
        if fault.kind not in RECOVERED_KINDS or fault.started is None or fault.ended is None or fault.note:
            continue
        replies = [replied for posted, replied in answered if posted >= fault.started]
        result.setdefault(fault.kind, []).append(max(0.0, min(replies) - fault.ended) if replies else None)
    return result


_LOG_LINE = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) (.*)$")


def _log_summary(logs: list[BotLog]) -> tuple[Counter[str], list[str]]:
    """How many warnings and errors the bot logged, and the most frequent few (numbers and ids blurred)."""
    levels, kinds = Counter[str](), Counter[str]()
    for log in logs:
        for _, _, text in log.lines:
            match = _LOG_LINE.match(text)
            if match:
                levels[match.group(1)] += 1
                kinds[re.sub(r"[0-9A-Za-z]{17}|\d+(\.\d+)?", "#", f"{match.group(1)} {match.group(2)}")[:150]] += 1
            elif text.startswith("Traceback"):
                levels["tracebacks"] += 1
    return levels, [f"{n}× {text}" for text, n in kinds.most_common(4)]


def write_log(path: Path, logs: list[BotLog]) -> None:
    lines = [f"run {log.run} {tag} {text}" for log in logs for _, tag, text in log.lines]
    path.write_text("\n".join(lines) + "\n")


# --- command line --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> tuple[Plan, argparse.Namespace]:
    defaults = Plan()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    options = {
        "commands": "commands to post",
        "rate": "commands per second",
        "users": "managers posting commands",
        "rooms": "private groups (the bot is in each)",
        "drops": "times every WebSocket is dropped",
        "restarts": "sandbox restarts (same port, data kept)",
        "downtime": "seconds the sandbox is unreachable per restart",
        "kills": "SIGKILLs of the bot, each followed by a start with the same config and state file",
        "too_many": "429 answers to serve on livechat/analytics/",
        "unavailable": "503 answers to serve on livechat/analytics/",
        "burst": "failures per 429/503 burst",
        "retry_after_ms": "the 429s' reset, in ms",
        "slow_delay": "extra seconds per overview and charts-data request while slow",
        "slow_for": "seconds the analytics stay slow",
        "chatter": "ordinary messages per command",
        "threads": "share of commands posted in a thread",
        "settle": "at most this many seconds after the traffic for the last replies",
        "days": "days of demo history",
        "seed": "seed of the traffic and the fault schedule",
    }
    for name, text in options.items():
        default = getattr(defaults, name)
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=type(default), default=default, help=f"{text} (default {default})"
        )
    parser.add_argument("--log", metavar="FILE", help="write the bot's log (every run) to FILE")
    parser.add_argument("--dump", metavar="FILE", help="write every command's and fault's times as JSON to FILE")
    args = parser.parse_args(argv)
    plan = Plan(**{name: getattr(args, name) for name in options})
    for problem in plan.problems():
        parser.error(problem)
    return plan, args


def main(argv: list[str] | None = None) -> int:
    plan, args = parse_args(argv)

    async def guarded() -> Outcome | None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)  # cancellation runs the cleanup (the bot is stopped)
        bound = plan.duration + plan.settle + plan.start_limit + plan.downtime * plan.restarts + 120
        print(
            f"chaos: {plan.duration:.0f} s of traffic and faults, then up to {plan.settle:g} s for the last replies",
            flush=True,
        )
        try:
            async with asyncio.timeout(bound):
                return await run_chaos(plan, log_to=Path(args.log) if args.log else None)
        except TimeoutError:
            print(f"chaos: HARNESS FAILURE: the run exceeded its bound of {bound:.0f} s", file=sys.stderr)
        except BenchError as exc:
            print(f"chaos: HARNESS FAILURE (not a verdict on the bot): {exc}", file=sys.stderr)
        return None

    try:
        outcome = asyncio.run(guarded())
    except asyncio.CancelledError:
        print("chaos: interrupted", file=sys.stderr)
        return 130
    if outcome is None:
        return 2
    if args.dump:
        Path(args.dump).write_text(json.dumps(outcome.timeline, indent=1))
    print("\n".join(outcome.lines()))
    return 1 if outcome.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
