"""`python -m bot sandbox`: serve a workspace (demo data or a data file) until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from datetime import UTC, datetime
from typing import Any

from .data import DataError, load_document, load_file
from .server import Sandbox
from .store import Store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3000, help="port to listen on; 0 picks a free one (default 3000)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", metavar="FILE", help="workspace document (JSON) to load; see README 'Sandbox data'")
    source.add_argument("--demo", action="store_true", help="generate the demo workspace (90 days of conversations)")
    parser.add_argument("--seed", type=int, default=42, help="seed for --demo data and generated ids (default 42)")
    parser.add_argument(
        "--live",
        action="store_true",
        help="with --demo: keep the workspace living in real time (visitors arrive and are served, agents come and go)",
    )


def build_store(args: argparse.Namespace) -> tuple[Store, list[str]]:
    """Return the store and the lines that describe how to log in to it."""
    if args.data:
        store = load_file(args.data, seed=args.seed)
        return store, [
            f"loaded {args.data}: {len(store.users)} users, {len(store.rooms)} rooms, {len(store.messages)} messages"
        ]
    if args.demo:
        from . import demo

        document: Any = demo.demo_document(seed=args.seed, now=datetime.now(UTC))
        store = load_document(document, seed=args.seed)
        lines = [
            f"demo workspace (seed {args.seed}): {sum(1 for _ in store.livechat_rooms())} conversations, "
            f"{len(store.messages)} messages",
            f"  manager:  {demo.MANAGER_USERNAME} / {demo.DEMO_PASSWORD}",
            f"  admin:    {demo.ADMIN_USERNAME} / {demo.DEMO_PASSWORD}",
            f"  user:     {demo.USER_USERNAME} / {demo.DEMO_PASSWORD}",
            f"  bot:      {demo.BOT_USERNAME}, user id {demo.BOT_USER_ID}, personal access token {demo.BOT_TOKEN}",
        ]
        return store, lines
    return load_document({}, seed=args.seed), ["empty workspace (give --demo or --data FILE for users and rooms)"]


async def serve(args: argparse.Namespace) -> int:
    if getattr(args, "live", False) and not args.demo:
        print("sandbox: --live needs --demo (it plays the demo team's day)", file=sys.stderr)
        return 2
    try:
        store, lines = build_store(args)
    except DataError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    sandbox = Sandbox(store=store, host=args.host, port=args.port)
    try:
        await sandbox.start_listening()
    except OSError as exc:
        print(
            f"sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
            "choose another --port (0 picks a free one)",
            file=sys.stderr,
        )
        return 1
    print(f"Rocket.Chat sandbox {store.settings['Sandbox_Version']} listening on {sandbox.url}", flush=True)
    print(f"  REST {sandbox.url}/api/v1   realtime {sandbox.ws_url}", flush=True)
    for line in lines:
        print(line, flush=True)
    living: asyncio.Task[None] | None = None
    if getattr(args, "live", False):
        from .live import LiveWorkspace

        living = asyncio.get_running_loop().create_task(LiveWorkspace(store, seed=args.seed).run())
        print(
            "  living workspace: visitors arrive and are served in real time (Europe/Berlin office hours)", flush=True
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if living is not None:
        living.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await living
    await sandbox.stop_listening()
    return 0


def main(args: argparse.Namespace) -> int:
    return asyncio.run(serve(args))
