"""Rocket.Chat's server mention rule, ported for tests: what in a message text would notify someone.

apps/meteor/app/mentions/lib/MentionsParser.ts: `(^|\\s|>)@(pattern)` and `(^|\\s|>)#(pattern)`, flags `gm`,
with the default UTF8_User_Names_Validation `[0-9a-zA-Z-_.]+`; JavaScript's `\\s`, and `^` after any JS line
terminator under the `m` flag. The server applies it to the raw text: markup does not protect.
"""

from __future__ import annotations

import re

_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
SERVER_MENTION = re.compile(rf"(?:^|(?<=[\n\r\u2028\u2029])|(?<=[{_JS_SPACE}>]))[@#][0-9a-zA-Z\-_.]+")


def mentions(text: str) -> list[str]:
    """The mentions (`@name`) and channel links (`#name`) Rocket.Chat's server would find in `text`."""
    return SERVER_MENTION.findall(text)
