r"""Pure text helpers for replies: echoing what people typed or the server named, code spans and blocks,
length limits.

Anything the bot echoes (a user's words, a department or agent name, a server label) goes through `echo`
(in prose) or `cell` (inside a code block), so it can never mention `@all`, `@here`, a user or a channel,
and never turns into markup, a link or an emoji.

Two parsers decide that, and the rule has to beat both:
- Rocket.Chat's server finds mentions on the raw text with `(^|\s|>)@name` (and `#name` for channels),
  with the `gm` flags, whatever markup surrounds them: code spans do not protect
  (apps/meteor/app/mentions/lib/MentionsParser.ts `userMentionRegex`, used by server/Mentions.ts).
- The clients render with `@rocket.chat/message-parser`, where an inline code span is plain text.

`echo` therefore puts the text in inline code spans and starts a new span at every word that begins
with `@` or `#` (and after a `>` right before one), so the character before the sign is always a
backtick: "last week @all" becomes `` `last week` `@all` `` — rendered as typed, copied back as typed,
matching neither rule. Only a backtick cannot be shown (it would end the span): it becomes `'`.
`cell` cannot use spans (they do not work inside a code block), so a word starting with `@` or `#`
there shows the full-width sign (`＠all`); names are matched after NFKC normalisation, which turns it
back into `@`, so a copied name still works in `dept=`. tests/replies/test_echo.py checks both rules
against the server's mention rule and the real parser's recorded verdicts.
"""

from __future__ import annotations

import re

MAX_MESSAGE = 5000  # Message_MaxAllowedSize default
_SIGN_AFTER_ARROW = re.compile(r"(?<=>)(?=[@#])")
_WORD_SIGN = re.compile(r"(^|[\s>])([@#])")
# JavaScript's `\s` (which the server's mention rule uses) also counts U+FEFF, which Python's does not.
_SPACE = re.compile(r"[\s\ufeff]+")
_FULL_WIDTH = {"@": "＠", "#": "＃"}


def _flat(text: str, limit: int) -> str:
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def echo(text: str, *, limit: int = 80) -> str:
    """`text` as inline code span(s) that render and copy as typed and mention nobody (module docstring)."""
    flat = _flat(text, limit).replace("`", "'")
    if not flat:
        return "“”"
    spans: list[str] = []
    for word in flat.split(" "):
        for index, piece in enumerate(_SIGN_AFTER_ARROW.split(word)):
            if spans and index == 0 and not piece.startswith(("@", "#")):
                spans[-1] += " " + piece
            else:
                spans.append(piece)
    return " ".join(f"`{span}`" for span in spans)


def cell(text: str, *, limit: int = 40) -> str:
    """`text` for a table inside a code block: one line, and no word that starts a mention."""
    flat = _flat(text, limit).replace("`", "'")
    return _WORD_SIGN.sub(lambda m: m.group(1) + _FULL_WIDTH[m.group(2)], flat)


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
