"""How fast the sandbox answers the analytics over the 90-day demo workspace.

Target (issue "Rocket.Chat sandbox"): the overview answers in well under 50 ms, so the sandbox never
dominates the bot's own benchmarks. The 60 s analytics cache is switched off so every request computes.

    .venv/bin/python bench/sandbox_overview.py [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx

from bot.sandbox import Sandbox, demo, load_document


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def run(requests: int) -> None:
    now = datetime.now(UTC)
    started = time.perf_counter()
    document = demo.demo_document(seed=42, now=now)
    generated = time.perf_counter()
    store = load_document(document, seed=42)
    loaded = time.perf_counter()
    store.settings["Sandbox_Analytics_Cache_ms"] = 0
    rooms = sum(1 for _ in store.livechat_rooms())
    print(
        f"demo workspace: {rooms} conversations, {len(store.messages)} messages; "
        f"generated in {(generated - started) * 1000:.0f} ms, loaded in {(loaded - generated) * 1000:.0f} ms"
    )
    start, end = (now - timedelta(days=89)).date().isoformat(), now.date().isoformat()
    headers = {"X-User-Id": demo.BOT_USER_ID, "X-Auth-Token": demo.BOT_TOKEN}
    cases = {
        "overview Conversations": ("livechat/analytics/overview", {"name": "Conversations", "from": start, "to": end}),
        "overview Productivity": ("livechat/analytics/overview", {"name": "Productivity", "from": start, "to": end}),
        "agent-overview Avg_first_response_time": (
            "livechat/analytics/agent-overview",
            {"name": "Avg_first_response_time", "from": start, "to": end},
        ),
        "charts-data Total_conversations": (
            "livechat/analytics/dashboards/charts-data",
            {"chartName": "Total_conversations", "start": start, "end": end},
        ),
    }
    async with Sandbox(store=store) as sb, httpx.AsyncClient(base_url=sb.url, headers=headers) as http:
        for label, (path, params) in cases.items():
            await http.get(f"/api/v1/{path}", params=params)  # warm-up
            samples = []
            for _ in range(requests):
                t0 = time.perf_counter()
                response = await http.get(f"/api/v1/{path}", params=params)
                samples.append((time.perf_counter() - t0) * 1000)
                response.raise_for_status()
            print(
                f"{label:42s} 90 days over HTTP: p50 {statistics.median(samples):6.2f} ms  "
                f"p99 {percentile(samples, 99):6.2f} ms  (n={requests})"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    asyncio.run(run(parser.parse_args().requests))


if __name__ == "__main__":
    main()
