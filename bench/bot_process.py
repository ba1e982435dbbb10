"""The bot as `python -m bot run` runs it, plus the switches the benchmarks compare (benchmarks only).

- `--sharing off`: the commands' analytics service asks Rocket.Chat every question about a period that
  includes today, each time (no answer kept, nothing shared in flight); closed periods are still kept, as the
  bot kept them before issue 10. `--sharing none`: nothing kept at all, closed periods included (each is only
  shared while in flight). `on` (the default) is the bot unchanged.
- `--config FILE`: the bot's configuration file, as for `python -m bot run`.

The connection comes from the environment (RC_URL, RC_USER_ID, RC_AUTH_TOKEN), as for `python -m bot run`.
(The switches `--connections`, `--send-slots` and `--warm-charts` measured what became the REST pool of
bot/rocketchat/transport.py, the dispatcher's bound on replies posted at once and the app's chart warm-up;
all three are the bot's own now.)

    python bench/bot_process.py [--sharing on|off|none] [--config FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bot.analytics.service import AnalyticsService
from bot.analytics.sharing import Ages, CoalescingSource
from bot.cli.main import setup_logging
from bot.commands.analytics import Services
from bot.config import load_settings
from bot.runtime.app import BotApp

log = logging.getLogger("bench.bot_process")


async def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    setup_logging(settings.log_level)
    app = BotApp(settings)
    assert isinstance(app.services, Services)
    if args.sharing != "on":
        ages = Ages(closed=0.0, departments=0.0) if args.sharing == "none" else Ages()
        source = CoalescingSource(app.rest, share=False, ages=ages, tz=settings.timezone)
        app.services.analytics = AnalyticsService(source, tz=settings.timezone)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.stop)
    await app.run()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sharing", choices=("on", "off", "none"), default="on")
    parser.add_argument("--config", metavar="FILE")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
