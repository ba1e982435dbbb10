"""Pure text helpers for replies: escaping what users typed, code spans and blocks, length limits.

Anything the bot echoes from user input goes through `escape`, so it can never mention `@all`,
`@here` or a user, open a link or break out of the reply's markup.
"""

from __future__ import annotations

MAX_MESSAGE = 5000  # Message_MaxAllowedSize default
_ZWSP = "\u200b"
_MARKUP = str.maketrans({"`": "'", "*": "∗", "_": "＿", "~": "∼", "<": "‹", ">": "›", "[": "［", "]": "］", "|": "¦"})


def escape(text: str, *, limit: int = 80) -> str:
    """Neutralise mentions (`@`, `#`), markup and line breaks; shorten to `limit` characters."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    flat = flat.translate(_MARKUP)
    return flat.replace("@", "@" + _ZWSP).replace("#", "#" + _ZWSP).replace("://", ":" + _ZWSP + "//")


def code(text: str) -> str:
    """An inline code span for fixed text the bot itself wrote (command names, examples)."""
    return "`" + text.replace("`", "'") + "`"


def code_block(text: str) -> str:
    return "```\n" + text.replace("```", "'''") + "\n```"


def fit(text: str, limit: int = MAX_MESSAGE) -> str:
    """Keep a reply under Rocket.Chat's message size, closing an open code block if cut."""
    if len(text) <= limit:
        return text
    note = "\n… (cut to fit Rocket.Chat's message size)"
    cut = text[: limit - len(note) - 4]
    if cut.count("```") % 2 == 1:
        cut += "\n```"
    return cut + note
