"""N commands at once from 100 rooms: is every one answered once, how many analytics GETs, how fast, at what cost.

Why: when a team's managers all ask at nine o'clock, the bot must answer each of them exactly once, quickly,
and ask Rocket.Chat each distinct question about once (issue 10 measured 2,602 analytics GETs for 20 distinct
questions in a burst of 1000). Targets: 0 lost, 0 answered twice, analytics GETs at most 2x the distinct
questions, the last reply of 1000 within 3 s; reported: the bot's CPU per command and its peak resident memory.

How: for each N (100, 1000, 10,000), a fresh sandbox and a fresh bot, each in its own process. The sandbox
(bench/watched_sandbox.py: the demo workspace plus 100 managers, each with a private room shared with the bot,
whose roles the bot cannot read, so each asker costs a `users.info` and the manager list) inserts N commands at
once — one loop iteration, each by its room's manager, ten kinds of question (overviews and agent tables over
several ranges) spread over the rooms — and stamps every bot message as it is stored: a reply is the message
whose `_id` is `reply_id(command _id)` (bot/rocketchat/ids.py); any other bot message counts as extra, and a
second `chat.sendMessage` with a reply's id as a repeat. It counts, server-side, the bot's requests by route and
the distinct analytics questions (route + query). This process reads the bot's CPU time and peak RSS (VmHWM)
from /proc. The burst starts once the bot is ready: connected and, with the charts extra, charts warmed.

    .venv/bin/python bench/burst.py [--sizes 100,1000,10000] [--sharing on|off|none] [--profile FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from latency import (
    BenchError,
    Child,
    bot_argv,
    child_env,
    cpu_seconds,
    load_average,
    machine_speed,
    ready,
    rss_mb,
    run_guarded,
)
from watched_sandbox import ACCESS, ANALYTICS, BOT_TOKEN, BOT_USER_ID, workspace

TARGETS = {"gets_per_question": 2.0, "last_reply_s_1000": 3.0}
SCRIPT = Path(__file__).resolve()


# --- the measuring process ---------------------------------------------------------------------------------


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmHWM for process {pid}")


async def one_size(n: int, data: str, tmp: str, args: argparse.Namespace, children: list[Child]) -> dict[str, Any]:
    py = sys.executable
    served = str(SCRIPT.parent / "watched_sandbox.py")
    sandbox = await Child.spawn("the sandbox", [py, served, data], cwd=tmp, stdin=True)
    children.append(sandbox)
    _, line = await sandbox.wait_for("listening on", tag="out", limit=60)
    url = line.rsplit(" ", 1)[-1]
    env = child_env(RC_URL=url, RC_USER_ID=BOT_USER_ID, RC_AUTH_TOKEN=BOT_TOKEN)
    profile = f"{args.profile}.{n}" if args.profile else None
    argv = bot_argv(sharing=args.sharing, profile=profile)
    bot = await Child.spawn("the bot", argv, env=env, cwd=tmp)
    children.append(bot)
    await bot.wait_for("connected (session", tag="err", limit=60)
    rss_idle = rss_mb(bot.proc.pid)
    await ready(bot)  # a burst meets a bot that has been up a while (nine o'clock), its charts warmed
    speed = machine_speed()
    cpu_bot, cpu_sandbox = cpu_seconds(bot.proc.pid), cpu_seconds(sandbox.proc.pid)
    result = await sandbox.request(f"burst {n} {30 + n * 0.02:g}", limit=60 + n * 0.05)
    result["bot_cpu_ms_per_command"] = (cpu_seconds(bot.proc.pid) - cpu_bot) * 1000 / n
    result["sandbox_cpu_ms_per_command"] = (cpu_seconds(sandbox.proc.pid) - cpu_sandbox) * 1000 / n
    result["bot_rss_idle_mb"] = rss_idle
    result["machine_speed_ms"] = speed
    result["bot_rss_peak_mb"] = peak_rss_mb(bot.proc.pid)
    errors = [text for _, tag, text in bot.lines if tag == "err" and (" ERROR " in text or " WARNING " in text)]
    result["bot_warnings"] = len(errors)
    result["bot_warning_example"] = errors[0][:300] if errors else ""
    await bot.stop()
    await sandbox.stop()
    return result


def describe(r: dict[str, Any]) -> list[str]:
    ratio = r["analytics_gets"] / r["distinct_questions"] if r["distinct_questions"] else math.nan
    ok_gets = ratio <= TARGETS["gets_per_question"]
    ok_all = r["lost"] == 0 and r["extra"] == 0
    lines = [
        f"N={r['n']:>6}: replies {r['replies']}/{r['n']} (lost {r['lost']}, extra {r['extra']}, repeated sends "
        f"{r['repeated_sends']}: {'PASS' if ok_all else 'MISS'}); inserted in {r['insert_s'] * 1000:.0f} ms; "
        f"replies first {r['first_s']:.3f} s, median {r['p50_s']:.3f} s, last {r['last_s']:.3f} s"
        + (
            f" (target ≤ {TARGETS['last_reply_s_1000']:g} s: {'PASS' if r['last_s'] <= 3.0 else 'MISS'})"
            if r["n"] == 1000
            else ""
        ),
        f"          analytics GETs {r['analytics_gets']} for {r['distinct_questions']} distinct questions "
        f"({ratio:.2f} per question, target ≤ {TARGETS['gets_per_question']:g}: {'PASS' if ok_gets else 'MISS'}) "
        f"{r['analytics_by_route']}; access {r['access']}; departments {r['departments']}",
        f"          bot CPU {r['bot_cpu_ms_per_command']:.2f} ms per command (sandbox "
        f"{r['sandbox_cpu_ms_per_command']:.2f}); bot RSS idle {r['bot_rss_idle_mb']:.1f} MB, peak "
        f"{r['bot_rss_peak_mb']:.1f} MB; machine speed {r['machine_speed_ms']:.0f} ms (a fixed workload, lower "
        "is faster)",
    ]
    others = {k: v for k, v in r["all_calls"].items() if not k.startswith(ANALYTICS) and k not in ACCESS}
    lines.append(f"          the bot's other requests: {others}; all REST requests (anyone's): {r['all_requests']}")
    if r["bot_warnings"]:
        lines.append(f"          {r['bot_warnings']} warnings/errors in the bot's log, e.g. {r['bot_warning_example']}")
    return lines


async def run(args: argparse.Namespace) -> int:
    children: list[Child] = []
    results = []
    argv = " ".join(bot_argv(sharing=args.sharing)[1:])
    print(f"burst: sharing {args.sharing}; bot `{argv}`; load average {load_average()} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="burst-bench-") as tmp:
        data = Path(tmp) / "workspace.json"
        data.write_text(json.dumps(workspace(datetime.now(UTC))))
        try:
            for n in args.sizes:
                result = await one_size(n, str(data), tmp, args, children)
                results.append(result)
                print("\n".join(describe(result)), flush=True)
        finally:
            for child in reversed(children):
                await child.stop(grace=5)
    failed = any(r["lost"] or r["extra"] for r in results)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="burst sizes, comma-separated")
    parser.add_argument("--sharing", choices=("on", "off", "none"), default="on")
    parser.add_argument("--profile", metavar="FILE", help="run each bot under cProfile, stats to FILE.N")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    if args.profile:
        args.profile = str(Path(args.profile).resolve())

    return run_guarded("burst", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
