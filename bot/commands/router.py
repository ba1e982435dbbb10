"""The command registry: names and aliases to handlers, usage for help and for every error.

Handlers receive an Invocation and return a Reply; they raise UserInputError subclasses for the
asker's mistakes. Turning exceptions into replies happens in one place, the dispatcher.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.errors import BadArgument, UnknownCommand
from bot.replies.markup import code, echo


@dataclass(frozen=True)
class Picture:
    filename: str
    data: bytes
    mime: str = "image/png"
    description: str = ""


@dataclass(frozen=True)
class Reply:
    text: str
    pictures: tuple[Picture, ...] = ()
    data: Any = None  # structured result, for `ask --json`
    attachments: tuple[dict[str, Any], ...] = ()  # message attachments: follow-up buttons (bot.exports.buttons)


@dataclass(frozen=True)
class Invocation:
    name: str
    args: str
    asker: str
    room_id: str
    now: datetime
    services: Any = None  # what handlers need (analytics, settings); wired by app.py
    message_id: str = ""  # the command's message: its reply is posted as reply_id(message_id)
    thread_id: str | None = None  # the thread it was typed in, where the reply and any file go


Handler = Callable[[Invocation], Awaitable[Reply]]


@dataclass(frozen=True)
class Spec:
    name: str
    handler: Handler
    summary: str
    usage: str
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    needs_access: bool = True  # analytics commands need the asker's permission; help does not


class CommandError(BadArgument):
    """A bad argument to a known command: the message ends with that command's usage."""


@dataclass
class Router:
    prefix: str = "!"
    specs: dict[str, Spec] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)

    def command(
        self,
        name: str,
        *,
        summary: str,
        usage: str,
        examples: tuple[str, ...] = (),
        aliases: tuple[str, ...] = (),
        needs_access: bool = True,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            spec = Spec(name, handler, summary, usage, examples, aliases, needs_access)
            self.specs[name] = spec
            for key in (name, *aliases):
                self._names[key.lower()] = name
            return handler

        return register

    def resolve(self, text: str) -> tuple[Spec, str]:
        """Split `overview last week` into the command's Spec and its argument text."""
        word, _, args = text.strip().partition(" ")
        name = self._names.get(word.lower())
        if name is None:
            close = difflib.get_close_matches(word.lower(), list(self._names), n=1, cutoff=0.6)
            listing = ", ".join(code(self.prefix + n) for n in self.specs)
            if close:  # the likely command, with its usage, so the retry is right the first time
                meant = self.specs[self._names[close[0]]]
                raise UnknownCommand(
                    f"I don't know the command {echo(word, limit=30)}. Did you mean {code(self.prefix + meant.name)}?"
                    f"\n{self.usage(meant)}"
                )
            raise UnknownCommand(f"I don't know the command {echo(word, limit=30)}. Commands: {listing}.")
        return self.specs[name], args.strip()

    def usage(self, spec: Spec) -> str:
        lines = [f"Usage: {code(self.prefix + spec.usage)}"]
        if spec.examples:
            lines.append("Examples: " + ", ".join(code(self.prefix + e) for e in spec.examples))
        return "\n".join(lines)
