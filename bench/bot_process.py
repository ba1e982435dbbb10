"""The bot as `python -m bot run` runs it, plus the switches the benchmarks compare (benchmarks only).

- `--sharing off`: the commands' analytics service asks Rocket.Chat every question about a period that
  includes today, each time (no answer kept, nothing shared in flight); closed periods are still kept, as the
  bot kept them before issue 10. `--sharing none`: nothing kept at all, closed periods included (each is only
  shared while in flight). `on` (the default) is the bot unchanged.
- `--connections N`: the REST client keeps at most N connections, all kept alive (httpx's default is 100, of
  which only 20 are kept alive: a burst of more concurrent requests opens and closes a socket per request);
  replaces the client's httpx pool before the bot starts, to measure what a limit in bot/rocketchat/rest.py
  would give.
- `--send-slots N`: at most N replies are being posted at once (bot/runtime/dispatch.py posts every finished
  answer at once; with a thousand queued, httpcore's pool spends its time scanning its queue), to measure what
  such a bound in the dispatcher would give.
- `--warm-charts`: once the first realtime session is up, import and warm matplotlib on a chart thread
  (`bot.replies.pictures.warm_up`) and freeze the garbage that left, as the app is meant to at start; logs
  "charts warmed" when done.

Configuration comes from the environment (RC_URL, RC_USER_ID, RC_AUTH_TOKEN), as for `python -m bot run`.

    python bench/bot_process.py [--sharing on|off|none] [--connections N] [--send-slots N] [--warm-charts]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
import time
from typing import Any

import httpx

from bot.analytics.service import AnalyticsService
from bot.analytics.sharing import Ages, CoalescingSource
from bot.cli.main import setup_logging
from bot.commands.analytics import Services
from bot.config import load_settings
from bot.replies.pictures import warm_up
from bot.runtime.app import BotApp

log = logging.getLogger("bench.bot_process")


async def warm_after_start(app: BotApp) -> None:
    await app.wait_for_session(1)
    began = time.perf_counter()
    warmed = await warm_up()
    gc.freeze()  # matplotlib's import garbage lives as long as the process, like the start-up garbage
    log.info("charts warmed: %s in %.3f s", warmed, time.perf_counter() - began)


async def run(args: argparse.Namespace) -> int:
    settings = load_settings(None)
    setup_logging(settings.log_level)
    app = BotApp(settings)
    assert isinstance(app.services, Services)
    if args.sharing != "on":
        ages = Ages(closed=0.0, departments=0.0) if args.sharing == "none" else Ages()
        source = CoalescingSource(app.rest, share=False, ages=ages, tz=settings.timezone)
        app.services.analytics = AnalyticsService(source, tz=settings.timezone)
    if args.connections:
        limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=args.connections)
        app.rest._http = httpx.AsyncClient(timeout=settings.timeout, limits=limits)
    if args.send_slots:
        slots, send = asyncio.Semaphore(args.send_slots), app.rest.send_message

        async def bounded(*posted: Any, **options: Any) -> Any:
            async with slots:
                return await send(*posted, **options)

        app.rest.send_message = bounded  # type: ignore[method-assign]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.stop)
    warming = loop.create_task(warm_after_start(app)) if args.warm_charts else None
    try:
        await app.run()
    finally:
        if warming is not None:
            warming.cancel()
            with contextlib.suppress(BaseException):
                await warming
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sharing", choices=("on", "off", "none"), default="on")
    parser.add_argument("--connections", type=int, default=0)
    parser.add_argument("--send-slots", type=int, default=0)
    parser.add_argument("--warm-charts", action="store_true")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
