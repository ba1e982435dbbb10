"""Command line: `analytics-bot <command>` (also `python -m bot <command>`).

Subcommands import their modules only when chosen, so `sandbox` works without the bot's runtime
being loaded and `run` does not need the [sandbox] extra.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="analytics-bot", description="Omnichannel analytics for Rocket.Chat, in chat."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in (
        ("run", "run the bot: connect, listen and answer commands"),
        ("check", "check the configuration and the server before going live"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--config", metavar="FILE", help="TOML config file (default: config.toml if present)")
    sandbox = commands.add_parser("sandbox", help="run the local Rocket.Chat-compatible sandbox server")
    try:
        from bot.sandbox import cli as sandbox_cli
    except ImportError as exc:  # the [sandbox] extra is not installed
        sandbox.set_defaults(missing=str(exc))
    else:
        sandbox_cli.add_arguments(sandbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("run", "check"):
        from bot import cli

        return cli.run(args) if args.command == "run" else cli.check(args)
    if args.command == "sandbox":
        if getattr(args, "missing", None):
            print(
                f"analytics-bot sandbox needs the [sandbox] extra: pip install '.[sandbox]' ({args.missing})",
                file=sys.stderr,
            )
            return 2
        from bot.sandbox import cli as sandbox_cli

        return sandbox_cli.main(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
