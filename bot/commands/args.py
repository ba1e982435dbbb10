"""Splitting a command's argument text into words and `key=value` options.

Quotes keep spaces inside a value (`dept="Customer Success"`), including the curly quotes phone
keyboards insert. Options may appear anywhere; everything else stays in order for the command
(type or chart name first, then the date range).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from bot.errors import BadArgument
from bot.replies.markup import code, echo

_QUOTES = {'"': '"', "'": "'", "“": "”", "„": "“", "‘": "’", "«": "»"}
OPTION_NAMES = {"dept": "dept", "department": "dept", "range": "range", "tz": "tz"}


@dataclass(frozen=True)
class Arguments:
    words: list[str]
    options: dict[str, str] = field(default_factory=dict)

    @property
    def rest(self) -> str:
        return " ".join(self.words)


def tokenize(text: str) -> list[str]:
    """Whitespace-separated tokens; a quoted part (anywhere in a token) keeps its spaces."""
    tokens: list[str] = []
    current: list[str] = []
    closing: str | None = None
    started = False
    for char in text:
        if closing is not None:
            if char == closing:
                closing = None
            else:
                current.append(char)
            continue
        if char in _QUOTES:
            closing = _QUOTES[char]
            started = True
        elif char.isspace():
            if current or started:
                tokens.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if closing is not None:
        example = code('dept="Customer Success"')
        raise BadArgument(f"A quote is not closed: add the closing {closing} (e.g. {example}).")
    if current or started:
        tokens.append("".join(current))
    return tokens


def parse_arguments(text: str, *, allowed: frozenset[str] = frozenset({"dept"})) -> Arguments:
    words: list[str] = []
    options: dict[str, str] = {}
    for token in tokenize(text):
        key, sep, value = token.partition("=")
        if not sep or not key or " " in key:
            words.append(token)
            continue
        name = OPTION_NAMES.get(key.lower())
        if name is None or name not in allowed:
            known = sorted(k for k, v in OPTION_NAMES.items() if v in allowed)
            close = difflib.get_close_matches(key.lower(), known, n=1)
            hint = f" Did you mean {code(close[0] + '=')}?" if close else ""
            allowed_text = ", ".join(code(k + "=") for k in sorted(allowed)) or "none"
            raise BadArgument(f"Unknown option {echo(key + '=', limit=30)}.{hint} Options here: {allowed_text}.")
        if not value.strip():
            raise BadArgument(f"{code(key + '=')} needs a value, e.g. {code('dept=Sales')}.")
        if name in options:
            raise BadArgument(f"{code(name + '=')} is given twice; give it once.")
        options[name] = value.strip()
    return Arguments(words, options)
