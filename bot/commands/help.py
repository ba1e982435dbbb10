"""`!help` and `!help COMMAND`: what the bot can do, with examples, from the registry itself.

A command whose figures need explaining (what each one measures, where Rocket.Chat's own label misleads)
adds that text with `add_details`; `!help COMMAND` shows it under the usage.
"""

from __future__ import annotations

from bot.commands.router import Invocation, Reply, Router
from bot.replies.markup import code

DETAILS: dict[str, str] = {}  # command name -> what its figures measure (static text, the same for every router)


def add_details(name: str, text: str) -> None:
    """Explain command `name`'s figures in `!help name` (the text is the bot's own, shown as it is)."""
    DETAILS[name] = text


def register_help(router: Router) -> None:
    @router.command(
        "help",
        summary="list the commands, or explain one",
        usage="help [command]",
        examples=("help", "help overview"),
        aliases=("?", "commands"),
        needs_access=False,
    )
    async def help_command(invocation: Invocation) -> Reply:
        if invocation.args:
            spec, _ = router.resolve(invocation.args)
            text = f"*{router.prefix}{spec.name}* — {spec.summary}\n{router.usage(spec)}"
            if spec.aliases:
                text += "\nAlso: " + ", ".join(code(router.prefix + a) for a in spec.aliases)
            if spec.name in DETAILS:
                text += "\n" + DETAILS[spec.name]
            return Reply(text)
        lines = ["*Omnichannel analytics* — commands:"]
        for spec in router.specs.values():
            lines.append(f"• {code(router.prefix + spec.usage)} — {spec.summary}")
        lines.append(
            f"Write them with the prefix {code(router.prefix)}, after a mention of me, or in a direct message "
            f"without any prefix. {code(router.prefix + 'help COMMAND')} shows examples. In a direct message or "
            "after a mention you can also ask in plain words, e.g. “how many chats did Sales have last week?”."
        )
        return Reply("\n".join(lines))
