"""`!help` and `!help COMMAND`: what the bot can do, with examples, from the registry itself."""

from __future__ import annotations

from bot.commands.router import Invocation, Reply, Router
from bot.replies.markup import code


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
            return Reply(text)
        lines = ["*Omnichannel analytics* — commands:"]
        for spec in router.specs.values():
            lines.append(f"• {code(router.prefix + spec.usage)} — {spec.summary}")
        lines.append(
            f"Write them with the prefix {code(router.prefix)}, after a mention of me, or in a direct message "
            f"without any prefix. {code(router.prefix + 'help COMMAND')} shows examples."
        )
        return Reply("\n".join(lines))
