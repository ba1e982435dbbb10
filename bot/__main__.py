"""Command line: `analytics-bot <command>` (also `python -m bot <command>`).

Subcommands import their modules only when chosen, so `sandbox` works without the bot's runtime
being loaded and `run` does not need the [sandbox] extra.
"""

from __future__ import annotations

import argparse
import os
import sys


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
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
    ask = commands.add_parser("ask", help="run one command against the configured server and print the reply")
    ask.add_argument("text", help='the command, e.g. "overview last week" or "!chart frt dept=Sales"')
    ask.add_argument("--config", metavar="FILE", help="TOML config file (default: config.toml if present)")
    ask.add_argument("--json", action="store_true", help="print the structured result as JSON")
    ask.add_argument("--pictures", metavar="DIR", help="save chart pictures into this folder")
    demo = commands.add_parser("demo", help="the sandbox with demo data and the bot, with a terminal chat")
    demo.add_argument(
        "--say",
        action="append",
        metavar="TEXT",
        help="post TEXT, print the replies; repeatable; without it, an interactive chat",
    )
    demo.add_argument("--pictures", metavar="DIR", default="demo-pictures", help="where chart pictures are saved")
    demo.add_argument("--seed", type=int, default=42, help="seed of the demo workspace (default 42)")
    digest = commands.add_parser("digest", help="digest tools: preview prints a digest without posting it")
    digest_commands = digest.add_subparsers(dest="digest_command", metavar="ACTION", required=True)
    preview = digest_commands.add_parser("preview", help="print the digest that would be posted, without posting")
    preview.add_argument("--config", metavar="FILE", help="TOML config file (default: config.toml if present)")
    which = preview.add_mutually_exclusive_group()
    which.add_argument("--name", help="the [[digest]] entry's name")
    which.add_argument("--room", help="a room whose digest (from config or chat) to preview")
    preview.add_argument("--date", help="the day it is posted on, YYYY-MM-DD (default: today)")
    export = commands.add_parser(
        "export", help="write conversations, a chart's series or an agent table to a CSV or Excel file"
    )
    _export_arguments(export)
    sandbox = commands.add_parser("sandbox", help="run the local Rocket.Chat-compatible sandbox server")
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["sandbox"]:
        return parser  # only `sandbox` needs its arguments; other commands never import starlette or uvicorn
    try:
        from bot.sandbox import cli as sandbox_cli
    except ImportError as exc:  # the [sandbox] extra is not installed: say so, whatever options were given
        sandbox.set_defaults(missing=str(exc))
    else:
        sandbox_cli.add_arguments(sandbox)
    return parser


def _export_arguments(export: argparse.ArgumentParser) -> None:
    """`export conversations|chart NAME|agents NAME` and their options (bot/cli/export.py runs them)."""
    kinds = export.add_subparsers(dest="export_what", metavar="WHAT", required=True)
    for what, text in (
        ("conversations", "one row per conversation of the range"),
        ("chart", "the series behind !chart NAME"),
        ("agents", "the table behind !agents NAME"),
    ):
        sub = kinds.add_parser(what, help=text)
        if what != "conversations":
            sub.add_argument("name", nargs="+", metavar="NAME", help="the metric, e.g. frt or Avg_response_time")
        sub.add_argument("--range", default="", metavar="RANGE", help='e.g. "last month" (default: as in chat)')
        sub.add_argument("--dept", metavar="NAME", help="one department")
        if what == "conversations":
            sub.add_argument("--agent", metavar="USERNAME", help="one agent's conversations")
        sub.add_argument("--format", choices=("csv", "xlsx"), help="csv (default), or xlsx (default for -o *.xlsx)")
        sub.add_argument("-o", "--output", default="-", metavar="FILE", help="the file to write; - or none: stdout")
        sub.add_argument("--config", metavar="FILE", help="TOML config file (default: config.toml if present)")


def main(argv: list[str] | None = None) -> int:
    from bot.errors import ConfigError

    try:
        return _main(argv)
    except ConfigError as exc:  # one place for every command (a proxy from the environment, say, is read late)
        print(f"analytics-bot: configuration problem: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`analytics-bot ask --json ... | head`): not an error of ours. Point stdout at
        # /dev/null so the interpreter's final flush does not raise again (Python docs, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(argv: list[str] | None) -> int:
    parser = build_parser(argv)
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "missing", None):  # without its extra, `sandbox` knows no options to check
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command in ("run", "check", "ask", "digest"):
        from bot.cli import main as cli

        return {"run": cli.run, "check": cli.check, "ask": cli.ask, "digest": cli.digest_preview}[args.command](args)
    if args.command == "export":
        from bot.cli import export as cli_export

        return cli_export.main(args)
    if args.command == "demo":
        try:
            from bot.cli import demo
        except ImportError as exc:
            print(f"analytics-bot demo needs the [sandbox] extra: pip install '.[sandbox]' ({exc})", file=sys.stderr)
            return 2
        return demo.main(args)
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
