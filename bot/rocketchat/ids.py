"""Deterministic client message ids, so a retried send can never post twice.

Rocket.Chat's `chat.sendMessage` accepts a client `_id`; a message whose `_id` already exists is
silently not inserted (rocketchat-realtime-rest.md §0.5, §2.4, §3.8.3). If the id of a reply is a pure
function of the message it answers, every retry, reconnect catch-up or restart that handles the same
question again reuses the same id and the server drops the duplicate. Ids use Rocket.Chat's own
17-character alphabet (Meteor's `Random.id()`), so they look and sort like server-made ids.
"""

from __future__ import annotations

import hashlib

__all__ = ["ID_ALPHABET", "ID_LENGTH", "reply_id"]

ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
ID_LENGTH = 17


def reply_id(source_message_id: str, part: int = 0) -> str:
    """The `_id` of part `part` of the bot's answer to `source_message_id` (the same inputs, the same id).

    A long answer split into several messages gets one id per part; `part` must be 0 or more.
    """
    if not source_message_id:
        raise ValueError("source_message_id must not be empty")
    if part < 0:
        raise ValueError(f"part must be 0 or more, got {part}")
    digest = hashlib.sha256(f"analytics-bot/reply/{source_message_id}/{part}".encode()).digest()
    number = int.from_bytes(digest, "big")  # 256 bits; 55**17 needs only ~98 of them
    chars = []
    for _ in range(ID_LENGTH):
        number, index = divmod(number, len(ID_ALPHABET))
        chars.append(ID_ALPHABET[index])
    return "".join(chars)
