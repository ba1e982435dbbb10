"""Charts off the event loop: how much the first chart delays a concurrent command, and what charts cost in memory.

Why: matplotlib took a third of a second to import on the event loop, so an `!overview` posted 20 ms after the
process's first `!chart` waited 330-370 ms instead of 7-10 ms (issue 10). Targets: that delay at most 20 ms;
resident memory after connecting at most 45 MB without charts loaded and at most 110 MB after 100 charts;
start to subscribed at most 0.5 s.

How: the sandbox runs in its own process (bench/watched_sandbox.py), which stores each command as a manager
and stamps the bot's reply when it is stored, so every latency is measured on one clock. For each variant, a
fresh bot `--runs` times:

- `warmed`: `python -m bot run` as shipped, which imports and warms matplotlib on a chart thread once the first
  realtime session is up (`[charts] warm_at_start`, the default); the measurement starts after it logged
  "charts ready";
- `cold`: the same with `[charts] warm_at_start = false`, whose first chart imports matplotlib (on a chart
  thread).

Each run: ten `!overview today` one after another (the baseline; after the first, its figures are shared),
then `!chart frt last 30 days` and, 20 ms later, `!overview today`: the delay is that overview's latency minus
the baseline median. Then the warmed bot gets 100 charts at once (seven metrics over several ranges) and its
RSS is read once every picture is posted. Memory with no charts loaded: a bot without the warm-up, after
connecting.

    .venv/bin/python bench/charts.py [--runs 3] [--variants warmed,cold]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from latency import NO_WARM_UP, Child, bot_argv, child_env, load_average, rss_mb, run_guarded, start_of
from watched_sandbox import BOT_TOKEN, BOT_USER_ID, workspace

TARGETS = {"delay_ms": 20.0, "rss_idle_mb": 45.0, "rss_charts_mb": 110.0, "start_s": 0.5}
SCRIPT = Path(__file__).resolve()
OVERVIEW = "!overview today"
FIRST_CHART = "!chart frt last 30 days"
METRICS = ("conversations", "chat duration", "messages", "frt", "best frt", "response time", "reaction time")
RANGES = ("last 7 days", "last 30 days", "yesterday", "this month", "last week", "last 90 days", "today")


class Setup:
    def __init__(self, tmp: str, data: str, children: list[Child]) -> None:
        self.tmp, self.data, self.children = tmp, data, children
        self.connected = 0.0  # when the last bot started logged "connected"

    async def sandbox(self) -> tuple[Child, str]:
        served = str(SCRIPT.parent / "watched_sandbox.py")
        sandbox = await Child.spawn("the sandbox", [sys.executable, served, self.data], cwd=self.tmp, stdin=True)
        self.children.append(sandbox)
        _, line = await sandbox.wait_for("listening on", tag="out", limit=60)
        return sandbox, line.rsplit(" ", 1)[-1]

    async def bot(self, url: str, *, warmed: bool) -> tuple[Child, float]:
        # Bytecode cached in a private folder (the first start fills it), as an installed bot reads it.
        cache = {"PYTHONPYCACHEPREFIX": str(Path(self.tmp) / "pycache"), "PYTHONDONTWRITEBYTECODE": None}
        env = child_env(RC_URL=url, RC_USER_ID=BOT_USER_ID, RC_AUTH_TOKEN=BOT_TOKEN, **cache)
        no_warm_up = Path(self.tmp) / "no-warm-up.toml"
        no_warm_up.write_text(NO_WARM_UP)
        argv = bot_argv(config=None if warmed else str(no_warm_up))
        bot = await Child.spawn("the bot", argv, env=env, cwd=self.tmp)
        self.children.append(bot)
        connected, _ = await bot.wait_for("connected (session", tag="err", limit=60)
        self.connected = connected
        return bot, start_of(bot, connected).total


async def one_run(setup: Setup, *, warmed: bool) -> dict[str, Any]:
    sandbox, url = await setup.sandbox()
    bot, start = await setup.bot(url, warmed=warmed)
    result: dict[str, Any] = {"start_s": start, "rss_connected_mb": rss_mb(bot.proc.pid)}
    if warmed:
        ready, _ = await bot.wait_for("charts ready", tag="err", limit=60)
        result["warm_up"] = f"{ready - setup.connected:.2f} s after connecting"
    result["rss_ready_mb"] = rss_mb(bot.proc.pid)
    baseline = []
    for _ in range(10):
        answer = await sandbox.request(f"ask 10 0 {OVERVIEW}", limit=20)
        baseline.append(answer["latency_ms"][0])
    result["baseline_ms"] = statistics.median(baseline[1:])  # the first asked Rocket.Chat; the others share it
    race = await sandbox.request(f"ask 30 0 {FIRST_CHART} || 20 {OVERVIEW}", limit=40)
    chart_ms, overview_ms = race["latency_ms"]
    result |= {"chart_ms": chart_ms, "overview_ms": overview_ms, "delay_ms": overview_ms - result["baseline_ms"]}
    if warmed:
        before = (await sandbox.request("bot-messages", limit=10))["bot_messages"]
        charts = [f"!chart {m} {r}" for r in RANGES for m in METRICS][:100]
        charts += [f"!chart {m} last {d} days" for d in range(2, 100) for m in METRICS][: 100 - len(charts)]
        steps = " || ".join(f"0 {text}" for text in charts)
        answer = await sandbox.request(f"ask 300 {steps}", limit=320)
        done = [v for v in answer["latency_ms"] if v is not None]
        for _ in range(100):  # the picture of the last reply is posted just after it: wait for every one
            after = (await sandbox.request("bot-messages", limit=10))["bot_messages"]
            if after - before >= 2 * len(charts):
                break
            await asyncio.sleep(0.1)
        result |= {
            "charts": len(done),
            "chart_posts": after - before,
            "charts_last_s": max(done) / 1000 if done else None,
            "rss_after_charts_mb": rss_mb(bot.proc.pid),
        }
    await bot.stop()
    await sandbox.stop()
    return result


async def run(args: argparse.Namespace) -> int:
    children: list[Child] = []
    print(f"charts: load average {load_average()} on {os.cpu_count()} cores; {args.runs} runs per variant")
    with tempfile.TemporaryDirectory(prefix="charts-bench-") as tmp:
        data = Path(tmp) / "workspace.json"
        data.write_text(json.dumps(workspace(datetime.now(UTC))))
        setup = Setup(tmp, str(data), children)
        try:
            sandbox, url = await setup.sandbox()
            priming, _ = await setup.bot(url, warmed=False)  # fills the bytecode cache: not counted
            await priming.stop()
            bot, start = await setup.bot(url, warmed=False)
            idle = rss_mb(bot.proc.pid)
            await bot.stop()
            await sandbox.stop()
            ok = idle <= TARGETS["rss_idle_mb"]
            print(
                f"no charts loaded (no warm-up): RSS after connecting {idle:.1f} MB (target ≤ "
                f"{TARGETS['rss_idle_mb']:g}: {'PASS' if ok else 'MISS'}); start to subscribed {start:.3f} s"
            )
            for variant in args.variants.split(","):
                for n in range(1, args.runs + 1):
                    r = await one_run(setup, warmed=variant == "warmed")
                    ok = r["delay_ms"] <= TARGETS["delay_ms"]
                    warm = f" (warm-up {r['warm_up']})" if "warm_up" in r else ""
                    print(
                        f"{variant} {n}: start to subscribed {r['start_s']:.3f} s, RSS {r['rss_connected_mb']:.1f} MB "
                        f"connected, {r['rss_ready_mb']:.1f} MB ready{warm}; "
                        f"overview alone {r['baseline_ms']:.1f} ms; first chart {r['chart_ms']:.0f} ms, the overview "
                        f"20 ms after it {r['overview_ms']:.1f} ms: delayed {r['delay_ms']:+.1f} ms (target ≤ "
                        f"{TARGETS['delay_ms']:g}: {'PASS' if ok else 'MISS'})"
                    )  # fmt: skip
                    if "charts" in r:
                        ok = r["rss_after_charts_mb"] <= TARGETS["rss_charts_mb"]
                        print(
                            f"        100 charts at once: {r['charts']} answered, {r['chart_posts']} messages, last "
                            f"after {r['charts_last_s']:.1f} s; RSS after {r['rss_after_charts_mb']:.1f} MB (target "
                            f"≤ {TARGETS['rss_charts_mb']:g}: {'PASS' if ok else 'MISS'})"
                        )
        finally:
            for child in reversed(children):
                await child.stop(grace=5)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh bots per variant (default 3)")
    parser.add_argument("--variants", default="warmed,cold", help="warmed, cold or both (default)")
    args = parser.parse_args()

    return run_guarded("charts", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
