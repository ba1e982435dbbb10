"""How much latency the bot adds to a command, measured against the floor of the same hops done directly.

Why: a manager types `!overview` and waits. The sandbox, the network hops and the REST calls cost what they
cost whatever the bot does; what the bot adds on top of them is its own overhead (pipeline, access check,
parsing dates, rendering, logging). So the bot is measured beside a *floor*: a minimal client doing the same
hops directly (receive the realtime event, GET the analytics endpoint, POST the reply), in the same run,
against the same sandbox, with the same commands, pacing and subscriber.

Targets: bot/floor ratio at p50 at most 1.1 with the bot's sharing of analytics answers off (`--sharing off`:
every command asks Rocket.Chat about today itself, as the floor does; closed periods such as the previous
period are still kept, as before issue 10) and at most 1.0 with it on (the default, the bot as shipped: identical
questions share one request and answers are kept up to 60 s, so most commands need no GET at all), p99 ratio at
most 1.3; resident memory after connecting (no charts loaded) at most 45 MB; start to subscribed at most 0.5 s.
`--sharing none` keeps nothing (each command also asks for the week-earlier figures).
(Earlier target, still printed: overhead over the floor at most 2 ms at p50.)

How: the sandbox runs as its own process on 127.0.0.1, and so do the bot (`python -m bot run`) and the floor
(this script with `--floor-client URL`), so none of them shares the measuring process's event loop. Its
workspace is the demo one plus private groups `bench-0`..`9` (admin and the bot) and `bench-floor-0`..`9`
(admin and `floor-bot`, a twin of the bot's account: same roles, its own Personal Access Token, which the
floor logs in with). Private groups, because `__my_messages__` also carries public channels one has not
joined: this way neither sees the other's traffic and both stay up while the commands alternate between
them in blocks of `--block` (default: one second's worth), so slow drifts (the sandbox's growing message
store, other load on the machine) hit both alike, and only one of them is asked at a time, at `--rate`.

The measuring process posts the commands as `admin` over REST (one httpx client; admin is exempt from the
REST rate limiter), round-robin over each side's ten rooms, paced against a monotonic schedule; a separate
realtime subscriber (raw `websockets` DDP as `admin`, `__my_messages__`) stamps each reply, matched by its
deterministic `_id` = `reply_id(command _id)`. Latency = reply seen by the subscriber minus the moment just
before the command's POST was sent. Ten warm-up commands per side are not counted. It also reads, from
/proc, the CPU each process used per command and how busy the rest of the machine was (a warning says when
the figures are noisy), the bot's resident memory, and whether matplotlib or numpy got loaded.

The sandbox caches each analytics query for 60 s as Rocket.Chat does (keyed by the query, not the caller);
bot and floor share that cache, so nearly every measured GET is a cache hit (`--no-analytics-cache` makes
every GET compute). `!overview conversations today` also needs today's hourly chart (changes are counted up
to the same hour as the day a week earlier, whose figures are a closed period, kept): with sharing off the
floor asks for it too (`--floor-gets 2`, the default then), so the ratio is the bot's own overhead; with
sharing on the floor asks only the overview (`--floor-gets 1`), as a client without sharing would.

    .venv/bin/python bench/latency.py [--sharing on|off] [--commands 500] [--rate 50] [--floor-gets 1|2] [--dump F]
                                      [--profile F]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import math
import os
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bot.rocketchat.ids import ID_ALPHABET, ID_LENGTH, reply_id
from bot.rocketchat.transport import PooledTransport

HOST = "127.0.0.1"
COMMAND = "!overview conversations today"
ADMIN, ADMIN_PASSWORD = "admin", "demo-pass-123"  # bot.sandbox.demo's; repeated so --floor-client stays light
BOT_USER_ID, BOT_TOKEN = "u-analytics-bot", "demo-pat-analytics-bot-5f2c9e71b04d48a6"
FLOOR_USERNAME, FLOOR_USER_ID, FLOOR_TOKEN = "floor-bot", "u-floor-bot", "bench-pat-floor-bot-0c1d2e3f4a5b6c7d"
BOT_ROOMS = [f"bench-{n}" for n in range(10)]
FLOOR_ROOMS = [f"bench-floor-{n}" for n in range(10)]
BOT_MARK = "*Omnichannel overview*"  # every correct bot reply to COMMAND contains it
FLOOR_MARK = "floor:"
TARGETS = {"overhead_ms": 2.0, "ratio_on": 1.0, "ratio_off": 1.1, "ratio_none": 1.1, "ratio99": 1.3}
TARGETS |= {"rss_mb": 45.0, "start_s": 0.5}
NOISE_CORES = 0.1  # other processes busier than this on average make a run unrepresentative
WARM_UP = 10
SCRIPT = Path(__file__).resolve()
REPO = SCRIPT.parent.parent


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


# --- a minimal DDP client (subscriber and floor) ------------------------------------------------------


async def ddp_open(ws_url: str, resume_token: str, *, limit: float = 10.0) -> ClientConnection:
    """connect → login {resume} → sub `stream-room-messages __my_messages__`, each step confirmed."""
    ws = await connect(ws_url, max_size=16 * 1024 * 1024, ping_interval=None, open_timeout=limit)
    try:
        async with asyncio.timeout(limit):
            await ws.send(json.dumps({"msg": "connect", "version": "1", "support": ["1"]}))
            await _until(ws, lambda f: f.get("msg") == "connected")
            login = {"msg": "method", "id": "1", "method": "login", "params": [{"resume": resume_token}]}
            await ws.send(json.dumps(login))
            result = await _until(ws, lambda f: f.get("msg") == "result" and f.get("id") == "1")
            if "error" in result:
                raise BenchError(f"DDP login refused: {result['error']}")
            options = {"useCollection": False, "args": []}
            sub = {"msg": "sub", "id": "s1", "name": "stream-room-messages", "params": ["__my_messages__", options]}
            await ws.send(json.dumps(sub))
            ready = await _until(ws, lambda f: f.get("msg") in ("ready", "nosub"))
            if ready.get("msg") == "nosub":
                raise BenchError(f"subscription refused: {ready}")
    except BaseException:
        await ws.close()
        raise
    return ws


def _pong(frame: dict[str, Any]) -> str:
    return json.dumps({"msg": "pong", **({"id": frame["id"]} if "id" in frame else {})})


async def _until(ws: ClientConnection, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("msg") == "ping":
            await ws.send(_pong(frame))
        elif wanted(frame):
            return dict(frame)


async def ddp_messages(ws: ClientConnection) -> AsyncIterator[tuple[float, dict[str, Any]]]:
    """(arrival time, message document) for every `__my_messages__` event; answers server pings."""
    while True:
        raw = await ws.recv()
        stamp = time.perf_counter()
        frame = json.loads(raw)
        kind = frame.get("msg")
        if kind == "changed" and frame.get("collection") == "stream-room-messages":
            args = frame.get("fields", {}).get("args") or []
            if args and isinstance(args[0], dict):
                yield stamp, args[0]
        elif kind == "ping":
            await ws.send(_pong(frame))


def ws_url_of(url: str) -> str:
    return url.replace("http://", "ws://", 1).rstrip("/") + "/websocket"


# --- the floor: the same hops, nothing else -------------------------------------------------------------


async def floor_client(url: str, gets: int, http_kind: str) -> None:
    """Answer every `!overview` command in a floor room: one GET (or the bot's two, concurrently), then the POST.

    `http_kind` "client" sends with `httpx.AsyncClient` as it comes (the floor as issue 10 measured it: a
    direct client using httpx the usual way); "transport" sends through the bot's own transport
    (bot/rocketchat/transport.py, a third of the CPU per request), so the ratio shows only what the bot adds
    above HTTP. With `gets == 2` the floor asks what the bot asks for `!overview conversations today` when it
    keeps nothing about today: the overview and today's hourly chart (for the "counted until HH:00" change)."""
    headers = {"X-User-Id": FLOOR_USER_ID, "X-Auth-Token": FLOOR_TOKEN, "Accept": "application/json"}
    rooms, seen = set(FLOOR_ROOMS), set[str]()
    tasks: set[asyncio.Task[None]] = set()
    timeouts = httpx.Timeout(10.0).as_dict()
    transport = PooledTransport(connections=10) if http_kind == "transport" else None
    async with httpx.AsyncClient(headers=headers, timeout=10.0) as client:

        async def call(method: str, route: str, **options: Any) -> Any:
            if transport is None:
                response = await client.request(method, f"{url}/api/v1/{route}", **options)
            else:
                request = httpx.Request(
                    method, f"{url}/api/v1/{route}", headers=headers, extensions={"timeout": timeouts}, **options
                )
                response = await transport.handle_async_request(request)
                try:
                    await response.aread()
                finally:
                    await response.aclose()
            return response.json() if response.status_code == 200 else None

        async def answer(message: dict[str, Any]) -> None:
            today = f"{datetime.now(UTC).date()}"  # the bot's default reporting zone is UTC too
            asks = [
                call("GET", "livechat/analytics/overview", params={"name": "Conversations", "from": today, "to": today})
            ]
            if gets == 2:
                chart = {"chartName": "Total_conversations", "start": today, "end": today}
                asks.append(call("GET", "livechat/analytics/dashboards/charts-data", params=chart))
            rows = (await asyncio.gather(*asks))[0] or []
            total = next((r.get("value") for r in rows if r.get("title") == "Total_conversations"), "?")
            reply = {"_id": reply_id(message["_id"]), "rid": message["rid"], "msg": f"{FLOOR_MARK} {total} today"}
            await call("POST", "chat.sendMessage", json={"message": reply})

        ws = await ddp_open(ws_url_of(url), FLOOR_TOKEN)
        print("ready", flush=True)
        async for _, message in ddp_messages(ws):
            text, sender = message.get("msg") or "", (message.get("u") or {}).get("_id")
            if sender == FLOOR_USER_ID or message.get("rid") not in rooms or not text.startswith("!overview"):
                continue
            if message["_id"] in seen:
                continue  # a re-delivery (edit, reaction): answered once
            seen.add(message["_id"])
            task = asyncio.create_task(answer(message))
            tasks.add(task)
            task.add_done_callback(tasks.discard)


# --- child processes -------------------------------------------------------------------------------------


class Child:
    """A subprocess whose stdout and stderr lines are drained continuously and stamped on arrival."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, spawned: float) -> None:
        self.name, self.proc, self.spawned = name, proc, spawned
        self.lines: list[tuple[float, str, str]] = []  # (arrival, "out" | "err", text)
        self._new = asyncio.Event()
        streams = [(s, tag) for s, tag in ((proc.stdout, "out"), (proc.stderr, "err")) if s is not None]
        self._readers = [asyncio.create_task(self._drain(s, tag)) for s, tag in streams]

    @classmethod
    async def spawn(
        cls, name: str, argv: list[str], *, env: dict[str, str] | None = None, cwd: str, stdin: bool = False
    ) -> Child:
        """`stdin=True` gives the child a pipe to read commands from (`send`)."""
        spawned = time.perf_counter()
        pipe = asyncio.subprocess.PIPE
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=pipe if stdin else asyncio.subprocess.DEVNULL, stdout=pipe, stderr=pipe, env=env, cwd=cwd
        )
        return cls(name, proc, spawned)

    async def send(self, line: str) -> None:
        assert self.proc.stdin is not None, "spawned without stdin=True"
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()

    async def request(self, line: str, *, limit: float) -> dict[str, Any]:
        """Send a command line and return the JSON of the next `result ...` line it prints."""
        since = len(self.lines)
        await self.send(line)
        _, text = await self.wait_for("result ", tag="out", limit=limit, since=since)
        answer: dict[str, Any] = json.loads(text.split(" ", 1)[1])
        return answer

    async def _drain(self, stream: asyncio.StreamReader, tag: str) -> None:
        while line := await stream.readline():
            self.lines.append((time.perf_counter(), tag, line.decode(errors="replace").rstrip()))
            self._new.set()
        self._new.set()

    def find(self, needle: str, tag: str = "err") -> float | None:
        return next((stamp for stamp, t, text in self.lines if t == tag and needle in text), None)

    def tail(self, count: int = 8) -> str:
        return "\n".join(f"    {tag}: {text}" for _, tag, text in self.lines[-count:])

    async def wait_for(self, needle: str, *, tag: str, limit: float, since: int = 0) -> tuple[float, str]:
        """The first line with `needle` among lines[since:] (arrival, text), waiting up to `limit` seconds."""
        deadline = asyncio.get_running_loop().time() + limit
        seen = since
        while True:
            for stamp, t, text in self.lines[seen:]:
                if t == tag and needle in text:
                    return stamp, text
            seen = len(self.lines)
            if all(r.done() for r in self._readers):
                await self.proc.wait()
                raise BenchError(
                    f"{self.name} exited (code {self.proc.returncode}) before printing {needle!r}:\n{self.tail()}"
                )
            self._new.clear()
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise BenchError(f"{self.name} did not print {needle!r} within {limit:g} s:\n{self.tail()}")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._new.wait()

    async def stop(self, grace: float = 12.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds; always reaps the process and its readers."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(grace):
                    await self.proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                await asyncio.gather(*self._readers, return_exceptions=True)
        for reader in self._readers:
            reader.cancel()


def child_env(**extra: str | None) -> dict[str, str]:
    """This environment without RC_* (the bot must see only what the bench sets), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RC_")}
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


# --- /proc: memory, CPU, libraries -----------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS for process {pid}")


def mapped(pid: int, *names: str) -> dict[str, bool]:
    """Which of these packages have a file mapped into the process (their compiled extensions)."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {name: f"/{name}/" in maps for name in names}


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def machine_speed() -> float:
    """CPU milliseconds of a fixed pure-Python workload in this process, best of 3 (lower is faster). These
    machines are shared: when a neighbour slows the cores, every process's CPU per command grows alike, and
    this figure shows it beside a run's results."""
    document = {"rooms": [{"_id": f"r{i}", "n": i, "ok": i % 2 == 0} for i in range(50)]}
    best = math.inf
    for _ in range(3):
        began = time.process_time()
        for _ in range(400):
            json.loads(json.dumps(document))
        best = min(best, time.process_time() - began)
    return best * 1000


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy (not idle, not waiting for I/O) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(values) - values[3] - values[4]) / TICK


class CpuMeter:
    """CPU used by each of our processes and by everything else, attributed to the side being asked."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.used: dict[str, dict[str, float]] = {}  # side -> label -> CPU seconds ("others", "wall")
        self._side: str | None = None
        self._last: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        sample = {label: cpu_seconds(pid) for label, pid in self.pids.items()}
        return sample | {"machine": machine_busy_seconds(), "wall": time.perf_counter()}

    def switch(self, side: str | None) -> None:
        """From now on CPU counts for `side` (None: for nobody)."""
        now = self._sample()
        if self._side is not None:
            used = self.used.setdefault(self._side, dict.fromkeys([*self.pids, "others", "wall"], 0.0))
            ours = 0.0
            for label in self.pids:
                used[label] += now[label] - self._last[label]
                ours += now[label] - self._last[label]
            used["others"] += max(0.0, now["machine"] - self._last["machine"] - ours)
            used["wall"] += now["wall"] - self._last["wall"]
        self._side, self._last = side, now


# --- the workspace ---------------------------------------------------------------------------------------


def workspace(now: datetime, analytics_cache: bool) -> dict[str, Any]:
    from bot.sandbox import demo

    document = demo.demo_document(seed=42, now=now)
    assert demo.BOT_USER_ID == BOT_USER_ID and demo.BOT_TOKEN == BOT_TOKEN and demo.DEMO_PASSWORD == ADMIN_PASSWORD
    bot = next(u for u in document["users"] if u["_id"] == BOT_USER_ID)
    document["users"].append(
        bot
        | {"_id": FLOOR_USER_ID, "username": FLOOR_USERNAME, "name": "Floor Bot", "emails": []}
        | {"personalAccessTokens": [{"name": FLOOR_USERNAME, "token": FLOOR_TOKEN}]}
    )
    created = (now - timedelta(days=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for rooms, member in ((BOT_ROOMS, demo.BOT_USERNAME), (FLOOR_ROOMS, FLOOR_USERNAME)):
        for rid in rooms:
            document["rooms"].append({"_id": rid, "t": "p", "name": rid, "ts": created, "members": [ADMIN, member]})
    # The bots may read askers' roles (users.info), so `admin` is allowed by its own roles.
    settings: dict[str, Any] = {"Sandbox_Permissions": {"view-full-other-user-info": ["admin", "bot"]}}
    if not analytics_cache:
        settings["Sandbox_Analytics_Cache_ms"] = 0
    document["settings"] = document.get("settings", {}) | settings
    return document


# --- driving commands and collecting replies ------------------------------------------------------------


class Replies:
    """Fed by the subscriber: the first arrival of each expected reply `_id`."""

    def __init__(self) -> None:
        self.expected: dict[str, int] = {}
        self.arrived: dict[int, tuple[float, str]] = {}
        self.complete = asyncio.Event()

    def expect(self, reply_ids: dict[str, int]) -> None:
        self.expected, self.arrived = reply_ids, {}
        self.complete.clear()

    def feed(self, stamp: float, message: dict[str, Any]) -> None:
        index = self.expected.get(str(message.get("_id")))
        if index is not None and index not in self.arrived:
            self.arrived[index] = (stamp, str(message.get("msg", "")))
            if len(self.arrived) == len(self.expected):
                self.complete.set()


@dataclass(frozen=True)
class Side:
    name: str  # "bot" | "floor"
    rooms: list[str]
    mark: str  # every correct reply contains it


@dataclass
class Phase:
    """One side's results."""

    name: str
    sent: int
    by_index: list[float]  # ms per command in posting order, NaN when missing
    missing: int
    wrong: list[str]  # replies without the expected content
    post_rtt: list[float]  # ms, the command POST's own round trip
    sent_at: list[float]  # s after the first post of the run
    cpu: dict[str, float]  # CPU seconds while this side was asked: per process, "others", "wall"
    notes: list[str] = field(default_factory=list)

    @property
    def latencies(self) -> list[float]:
        return [v for v in self.by_index if not math.isnan(v)]


@dataclass
class Drive:
    phases: dict[str, Phase]
    started: float  # perf_counter of the first post
    lag_ms: float  # worst lateness of a post against its schedule
    rate: float  # achieved posting rate


def new_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


async def drive(
    http: httpx.AsyncClient,
    replies: Replies,
    sides: list[Side],
    *,
    count: int,
    rate: float,
    block: int,
    pids: dict[str, int],
    reply_timeout: float = 15.0,
) -> Drive:
    """`count` commands per side, alternating sides every `block` commands, paced at `rate` overall."""
    plan: list[tuple[int, int]] = []  # (side, its command number), in posting order
    for first in range(0, count, block):
        for s in range(len(sides)):
            plan += [(s, i) for i in range(first, min(count, first + block))]
    ids = [new_id() for _ in plan]
    replies.expect({reply_id(cid): k for k, cid in enumerate(ids)})
    sent, acked = [math.nan] * len(plan), [math.nan] * len(plan)
    failures: list[str] = []
    meter = CpuMeter(pids)

    async def post(k: int) -> None:
        side, i = plan[k]
        rooms = sides[side].rooms
        message = {"_id": ids[k], "rid": rooms[i % len(rooms)], "msg": COMMAND}
        sent[k] = time.perf_counter()
        response = await http.post("chat.sendMessage", json={"message": message})
        acked[k] = time.perf_counter()
        if response.status_code != 200 or not response.json().get("success"):
            failures.append(f"command {k}: HTTP {response.status_code} {response.text[:200]}")

    start = time.perf_counter() + 0.02
    lag = 0.0
    posts: list[asyncio.Task[None]] = []
    for k, (owner, _) in enumerate(plan):
        target = start + k / rate
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if k == 0 or owner != plan[k - 1][0]:
            meter.switch(sides[owner].name)
        lag = max(lag, time.perf_counter() - target)
        posts.append(asyncio.create_task(post(k)))
    await asyncio.gather(*posts)
    if failures:
        raise BenchError(f"{len(failures)} command posts failed, e.g. {failures[0]}")
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(reply_timeout):
            await replies.complete.wait()
    meter.switch(None)
    arrived = dict(replies.arrived)
    phases = {}
    for number, side in enumerate(sides):
        mine = [k for k, (owner, _) in enumerate(plan) if owner == number]
        phases[side.name] = Phase(
            side.name,
            len(mine),
            [(arrived[k][0] - sent[k]) * 1000 if k in arrived else math.nan for k in mine],
            sum(1 for k in mine if k not in arrived),
            [arrived[k][1] for k in mine if k in arrived and side.mark not in arrived[k][1]],
            [(acked[k] - sent[k]) * 1000 for k in mine],
            [sent[k] - sent[0] for k in mine],
            meter.used.get(side.name, {}),
        )
    elapsed = max(sent) - min(sent)
    return Drive(phases, sent[0], lag * 1000, (len(plan) - 1) / elapsed if elapsed > 0 else math.inf)


# --- statistics and the report ---------------------------------------------------------------------------


def percentile(samples: list[float], pct: float) -> float:
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


@dataclass
class Start:
    total: float  # spawn → "connected (session"
    login: float | None  # spawn → "logged in as" (interpreter, imports, config, REST login)
    session: float | None  # spawn → "realtime: session ... established"


def start_of(child: Child, connected: float) -> Start:
    def rel(stamp: float | None) -> float | None:
        return None if stamp is None else stamp - child.spawned

    return Start(connected - child.spawned, rel(child.find("logged in as")), rel(child.find("realtime: session")))


def describe(phase: Phase) -> list[str]:
    lat, cpu = phase.latencies, phase.cpu
    lines = [
        f"{phase.name:5s}  replies {len(lat)}/{phase.sent}  p50 {percentile(lat, 50):6.2f} ms  "
        f"p99 {percentile(lat, 99):6.2f} ms  mean {statistics.fmean(lat) if lat else math.nan:6.2f} ms  "
        f"max {max(lat, default=math.nan):6.2f} ms   (its command POSTs: p50 {percentile(phase.post_rtt, 50):.2f} ms)"
    ]
    ours = ", ".join(
        f"{label} {cpu.get(label, 0.0) * 1000 / phase.sent:.2f}" for label in (phase.name, "sandbox", "measuring")
    )
    others = cpu.get("others", 0.0) / cpu["wall"] if cpu.get("wall") else 0.0
    lines.append(f"       CPU ms per command: {ours}; everything else on the machine: {others:.2f} cores on average")
    if others > NOISE_CORES:
        lines.append(
            f"       WARNING: the machine was not quiet (> {NOISE_CORES:g} cores busy elsewhere): figures are noisy"
        )
    if phase.missing:
        lines.append(f"       MISSING: {phase.missing} of {phase.sent} replies never arrived")
    if phase.wrong:
        lines.append(f"       WRONG: {len(phase.wrong)} replies without the expected content: {phase.wrong[0][:200]!r}")
    lines += [f"       note: {note}" for note in phase.notes]
    return lines


# --- the run ----------------------------------------------------------------------------------------------


async def timed_exit(argv: list[str], env: dict[str, str], cwd: str) -> float:
    """Seconds from spawn to exit of a short command (reference figures for the start-up breakdown)."""
    child = await Child.spawn("reference", argv, env=env, cwd=cwd)
    try:
        async with asyncio.timeout(30):
            await child.proc.wait()
        return time.perf_counter() - child.spawned
    finally:
        await child.stop()


def bot_argv(*, sharing: str = "on", profile: str | None = None, config: str | None = None) -> list[str]:
    """`python -m bot run` as shipped; through bench/bot_process.py when sharing is switched off."""
    profiling = ["-m", "cProfile", "-o", profile] if profile else []
    configured = ["--config", config] if config else []
    if sharing == "on":
        return [sys.executable, *profiling, "-m", "bot", "run", *configured]
    return [sys.executable, *profiling, str(SCRIPT.parent / "bot_process.py"), "--sharing", sharing, *configured]


NO_WARM_UP = "[charts]\nwarm_at_start = false\n"  # a start as measured: what connecting costs, charts apart


async def start_bot(
    url: str,
    cwd: str,
    env_extra: dict[str, str | None],
    children: list[Child],
    *,
    profile: str | None = None,
    sharing: str = "on",
    config: str | None = None,
) -> tuple[Child, Start]:
    env = child_env(RC_URL=url, RC_USER_ID=BOT_USER_ID, RC_AUTH_TOKEN=BOT_TOKEN, **env_extra)
    argv = bot_argv(sharing=sharing, profile=profile, config=config)
    child = await Child.spawn("the bot", argv, env=env, cwd=cwd)
    children.append(child)
    connected, _ = await child.wait_for("connected (session", tag="err", limit=30)
    return child, start_of(child, connected)


async def ready(bot: Child) -> None:
    """Wait until a bot with the charts extra has warmed matplotlib on its chart thread (runtime/app.py): the
    steady state commands meet, not the first seconds after a start."""
    if importlib.util.find_spec("matplotlib") is not None:
        await bot.wait_for("charts ready", tag="err", limit=60)


async def run(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    children: list[Child] = []
    with tempfile.TemporaryDirectory(prefix="latency-bench-") as tmp:
        data = Path(tmp) / "workspace.json"
        data.write_text(json.dumps(workspace(now, not args.no_analytics_cache)))
        try:
            return await measure(args, tmp, str(data), children)
        finally:
            for child in reversed(children):
                await child.stop(grace=5)


async def measure(args: argparse.Namespace, tmp: str, data: str, children: list[Child]) -> int:
    py = sys.executable
    # The cwd is the temp dir: no config.toml of the checkout is read, any state file lands there.
    sandbox = await Child.spawn(
        "the sandbox", [py, "-m", "bot", "sandbox", "--host", HOST, "--port", "0", "--data", data], cwd=tmp
    )
    children.append(sandbox)
    _, line = await sandbox.wait_for("listening on", tag="out", limit=60)
    url = line.rsplit(" ", 1)[-1]
    if not url.startswith(f"http://{HOST}:"):
        raise BenchError(f"unexpected sandbox URL {url!r}")
    cache = "off: every GET computes" if args.no_analytics_cache else "on: 60 s per query, shared by bot and floor"
    print(
        f"latency: sandbox at {url} (own process), analytics cache {cache}; load average {load_average()} "
        f"on {os.cpu_count()} cores"
    )

    # --- start-up ----------------------------------------------------------------------------------
    # This environment may set PYTHONDONTWRITEBYTECODE and the checkout may have no bot/__pycache__: a start
    # "as checked out" then compiles every bot module. An installed bot (pip byte-compiles) or any second run
    # elsewhere reads cached bytecode: primed into a private PYTHONPYCACHEPREFIX, nothing is written to the repo.
    warm: dict[str, str | None] = {"PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache"), "PYTHONDONTWRITEBYTECODE": None}
    no_warm_up = Path(tmp) / "no-warm-up.toml"
    no_warm_up.write_text(NO_WARM_UP)
    cold_bot, cold = await start_bot(url, tmp, {"PYTHONDONTWRITEBYTECODE": "1"}, children, config=str(no_warm_up))
    await cold_bot.stop()
    priming_bot, _ = await start_bot(url, tmp, warm, children)  # fills the bytecode cache
    await ready(priming_bot)  # matplotlib's bytecode too
    await priming_bot.stop()
    imports = "import bot.__main__ as m; m.build_parser(); import bot.cli.main, bot.runtime.app"
    interpreter = min([await timed_exit([py, "-c", "pass"], child_env(**warm), tmp) for _ in range(3)])
    imported = min([await timed_exit([py, "-c", imports], child_env(**warm), tmp) for _ in range(3)])
    # Starts of the bot as shipped, without the chart warm-up that follows connecting: start to subscribed and
    # the resident memory after connecting (the medians), and whether anything loaded matplotlib or numpy.
    starts: list[tuple[Start, float, dict[str, bool]]] = []
    for _ in range(args.starts):
        started, start = await start_bot(url, tmp, warm, children, config=str(no_warm_up))
        starts.append((start, rss_mb(started.proc.pid), mapped(started.proc.pid, "matplotlib", "numpy")))
        await started.stop()
    start, _, libs = sorted(starts, key=lambda s: s[0].total)[len(starts) // 2]
    rss_connected = statistics.median(rss for _, rss, _ in starts)
    libs = {name: any(found[name] for _, _, found in starts) for name in libs}
    checkout = "with bot/__pycache__" if (REPO / "bot" / "__pycache__").is_dir() else "no bot/__pycache__"
    print(
        f"start to subscribed: {start.total:.3f} s, median of {len(starts)} starts with cached bytecode ("
        + ", ".join(f"{s.total:.3f}" for s, _, _ in starts)
        + f"); as checked out ({checkout}, PYTHONDONTWRITEBYTECODE=1): {cold.total:.3f} s"
    )
    print(
        f"  spawn → 'logged in' (interpreter, imports, config, REST login) {start.login or math.nan:.3f} s → "
        f"realtime session {start.session or math.nan:.3f} s → 'connected' (rooms, catch-up) {start.total:.3f} s; "
        f"for reference (best of 3) `python -c pass` {interpreter:.3f} s, importing the bot {imported:.3f} s"
    )
    print(
        f"resident memory after connecting: {rss_connected:.1f} MB, median of {len(starts)} ("
        + ", ".join(f"{rss:.1f}" for _, rss, _ in starts)
        + f"; matplotlib {'LOADED' if libs['matplotlib'] else 'not loaded'}, "
        f"numpy {'LOADED' if libs['numpy'] else 'not loaded'})"
    )
    # The bot whose latency is measured: the one being compared (--sharing), past its chart warm-up.
    bot, _ = await start_bot(url, tmp, warm, children, profile=args.profile, sharing=args.sharing)
    await ready(bot)

    # --- latency ------------------------------------------------------------------------------------
    floor = await Child.spawn(
        "the floor client",
        [py, str(SCRIPT), "--floor-client", url, "--floor-gets", str(args.floor_gets), "--floor-http", args.floor_http],
        env=child_env(**warm),
        cwd=tmp,
    )
    children.append(floor)
    await floor.wait_for("ready", tag="out", limit=30)
    sides = [Side("bot", BOT_ROOMS, BOT_MARK), Side("floor", FLOOR_ROOMS, FLOOR_MARK)]
    pids = {"bot": bot.proc.pid, "floor": floor.proc.pid, "sandbox": sandbox.proc.pid, "measuring": os.getpid()}
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", timeout=10.0) as http:
        login = await http.post("login", json={"user": ADMIN, "password": ADMIN_PASSWORD})
        login.raise_for_status()
        me = login.json()["data"]
        http.headers.update({"X-User-Id": me["userId"], "X-Auth-Token": me["authToken"]})
        replies = Replies()
        ws = await ddp_open(ws_url_of(url), me["authToken"])

        async def subscriber() -> None:
            async for stamp, message in ddp_messages(ws):
                replies.feed(stamp, message)

        listening = asyncio.create_task(subscriber())
        try:
            await drive(http, replies, sides, count=WARM_UP, block=WARM_UP, rate=args.rate, pids=pids)
            result = await drive(http, replies, sides, count=args.commands, block=args.block, rate=args.rate, pids=pids)
        finally:
            listening.cancel()
            with contextlib.suppress(BaseException):
                await listening
            await ws.close()
    rss_after = rss_mb(bot.proc.pid)
    await bot.stop()
    await floor.stop()
    notes = result.phases["bot"].notes
    if bot.proc.returncode != 0:
        notes.append(f"the bot exited with code {bot.proc.returncode}:\n{bot.tail()}")
    warnings = [text for _, tag, text in bot.lines if tag == "err" and (" WARNING " in text or " ERROR " in text)]
    if warnings:
        notes.append(f"{len(warnings)} warnings/errors in the bot's log, e.g. {warnings[0]}")
    if args.dump:
        write_dump(args.dump, result, bot)
    return report(args, result, start, rss_connected, rss_after, libs)


def write_dump(path: str, result: Drive, bot: Child) -> None:
    dump: dict[str, Any] = {p.name: vars(p) for p in result.phases.values()}
    dump["bot log"] = [f"{stamp - result.started:8.3f} {text}" for stamp, _, text in bot.lines]
    Path(path).write_text(json.dumps(dump, indent=1).replace("NaN", "null"))


def report(
    args: argparse.Namespace, result: Drive, start: Start, rss_connected: float, rss_after: float, libs: dict[str, bool]
) -> int:
    bot, floor = result.phases["bot"], result.phases["floor"]
    http = "httpx.AsyncClient" if args.floor_http == "client" else "the bot's HTTP transport"
    hops = "GET overview (today)" if args.floor_gets == 1 else "GETs overview + hourly chart (today), concurrently,"
    print(
        f"{args.commands} commands `{COMMAND}` per side over its {len(BOT_ROOMS)} rooms, alternating bot/floor every "
        f"{args.block}, posted at {result.rate:.1f}/s (worst lag {result.lag_ms:.1f} ms)"
    )
    sharing = {
        "on": "on (as shipped)",
        "off": "off (every command asks Rocket.Chat about today; closed periods kept)",
        "none": "none (every command asks Rocket.Chat everything)",
    }[args.sharing]
    print(f"bot: `{' '.join(bot_argv(sharing=args.sharing)[1:])}` (log level INFO), sharing {sharing}; floor: raw "
          f"DDP + {http} doing {hops} + POST")  # fmt: skip
    print("latency = reply seen by a separate realtime subscriber − just before the command's POST was sent")
    for phase in (bot, floor):
        print("\n".join(describe(phase)))
    b50, b99 = percentile(bot.latencies, 50), percentile(bot.latencies, 99)
    f50, f99 = percentile(floor.latencies, 50), percentile(floor.latencies, 99)
    overhead, ratio50, ratio99 = b50 - f50, b50 / f50, b99 / f99
    complete = all(not p.missing and not p.wrong for p in (bot, floor))
    target50 = TARGETS[f"ratio_{args.sharing}"]
    checks = {
        "overhead": overhead <= TARGETS["overhead_ms"],
        "ratio50": ratio50 <= target50,
        "ratio99": ratio99 <= TARGETS["ratio99"],
        "rss": rss_connected <= TARGETS["rss_mb"] and not libs["matplotlib"],
        "start": start.total <= TARGETS["start_s"],
    }
    print(
        f"bot over floor: {overhead:+.2f} ms at p50 (target ≤ {TARGETS['overhead_ms']:g} ms: "
        f"{verdict(checks['overhead'])}); ratio p50 {ratio50:.2f} (target ≤ {target50:g}: "
        f"{verdict(checks['ratio50'])}), p99 {ratio99:.2f} (target ≤ {TARGETS['ratio99']:g}: "
        f"{verdict(checks['ratio99'])})"
    )
    print(f"bot resident memory: {rss_connected:.1f} MB after connecting, {rss_after:.1f} MB after the commands")
    print()
    rows = [
        (f"{args.commands} commands each at {args.rate:g}/s, 10 rooms, loopback", "bot", "floor", "target", ""),
        ("---", "---", "---", "---", "---"),
        ("reply latency p50", f"{b50:.1f} ms", f"{f50:.1f} ms", "overhead ≤ 2 ms", f"{overhead:+.1f} ms"),
        ("reply latency p99", f"{b99:.1f} ms", f"{f99:.1f} ms", "", ""),
        ("ratio bot / floor (p50, p99)", f"{ratio50:.2f}, {ratio99:.2f}", "", f"≤ {target50:g}, ≤ 1.3", ""),
        ("replies received", f"{len(bot.latencies)}/{bot.sent}", f"{len(floor.latencies)}/{floor.sent}", "all", ""),
        ("resident memory after connecting (no charts)", f"{rss_connected:.1f} MB", "", "≤ 45 MB", ""),
        ("start to subscribed", f"{start.total:.2f} s", "", "≤ 0.5 s", ""),
    ]
    results = {
        2: verdict(checks["overhead"]),
        4: f"{verdict(checks['ratio50'])}, {verdict(checks['ratio99'])}",
        5: verdict(complete),
        6: verdict(checks["rss"]),
        7: verdict(checks["start"]),
    }
    for index, row in enumerate(rows):
        cells = [*row[:4], " ".join(filter(None, (row[4], results.get(index, ""))))]
        print("| " + " | ".join(cells) + " |")
    return 0 if complete else 1


def run_guarded(name: str, run: Callable[[], Awaitable[int]], *, limit: float | None = None) -> int:
    """Run a benchmark's `run()` on a fresh loop: SIGINT/SIGTERM cancel it (its cleanup runs), BenchError is
    printed as `NAME: message` (exit 1), an interruption exits 130."""

    async def guarded() -> int:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)  # cancellation runs the cleanup in run()'s finally
        try:
            async with asyncio.timeout(limit):
                return await run()
        except BenchError as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            return 1

    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sharing", choices=("on", "off", "none"), default="on",
                        help="the bot's sharing of analytics answers: on as shipped; off asks about today every "
                             "time; none keeps nothing")  # fmt: skip
    parser.add_argument("--commands", type=int, default=500, help="commands per side (default 500)")
    parser.add_argument("--rate", type=float, default=50.0, help="commands per second (default 50)")
    parser.add_argument("--block", type=int, help="commands in a row to one side before switching (default: --rate)")
    parser.add_argument("--floor-gets", type=int, choices=(1, 2),
                        help="GETs per floor answer: 1 (the overview) or 2 (with today's hourly chart, as the bot "
                             "asks keeping nothing about today); default: 1 with --sharing on, else 2")  # fmt: skip
    parser.add_argument("--floor-http", choices=("client", "transport"), default="client",
                        help="the floor's HTTP: httpx.AsyncClient (default, the issue's floor) or the bot's own "
                             "transport (what the bot adds above HTTP)")  # fmt: skip
    parser.add_argument("--starts", type=int, default=3, help="bot starts with cached bytecode to time (default 3)")
    parser.add_argument("--no-analytics-cache", action="store_true", help="switch the sandbox's 60 s cache off")
    parser.add_argument("--dump", metavar="FILE", help="write per-command figures and the bot's log as JSON")
    parser.add_argument("--profile", metavar="FILE", help="run the measured bot under cProfile, write stats to FILE")
    parser.add_argument("--floor-client", metavar="URL", help=argparse.SUPPRESS)  # the floor's own process
    args = parser.parse_args()
    if args.floor_client:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(floor_client(args.floor_client, args.floor_gets, args.floor_http))
        return 0
    args.floor_gets = args.floor_gets or (1 if args.sharing == "on" else 2)
    args.block = args.block or max(1, round(args.rate))
    if args.commands < 1 or args.rate <= 0 or args.starts < 1 or args.block < 1:
        parser.error("--commands, --block and --starts must be at least 1 and --rate positive")
    if args.profile:
        args.profile = str(Path(args.profile).resolve())

    return run_guarded("latency", lambda: run(args), limit=240)


if __name__ == "__main__":
    sys.exit(main())
