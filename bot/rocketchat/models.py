"""Typed views of the Rocket.Chat documents the bot acts on.

A message reaches the bot two ways: over DDP (`__my_messages__`, EJSON dates, with the
`{roomParticipant, roomType, roomName}` meta argument) and over REST catch-up (`chat.syncMessages`,
ISO dates, no meta). Both become the same IncomingMessage so one pipeline serves both
(rocketchat-realtime-rest.md §1.7, §1.10, §2.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.errors import InvalidResponse


def parse_date(value: Any) -> datetime | None:
    """EJSON `{"$date": ms}`, an ISO string, epoch ms, or an already decoded datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, Mapping) and "$date" in value:
        value = value["$date"]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str):
        text = value[:-1] + "+00:00" if value.endswith("Z") else value
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


@dataclass(frozen=True)
class IncomingMessage:
    id: str
    rid: str
    text: str
    sender_id: str
    sender_username: str
    ts: datetime
    updated_at: datetime
    tmid: str | None = None
    system_type: str | None = None  # `t`: system messages are never commands
    private: bool = False  # ephemeral messages from rocket.cat
    from_bot: bool = False  # `bot` set by an integration or SDK
    edited: bool = False
    room_type: str | None = None  # c, p, d, l (from the DDP meta, or looked up)
    room_name: str | None = None
    room_participant: bool | None = None  # None when the source does not say (REST catch-up)

    @classmethod
    def from_document(cls, doc: Any, meta: Any = None) -> IncomingMessage:
        """Build from a message document; the legacy `[[msg], meta]` form (RC 3.8–3.12) is unwrapped
        by the caller passing `doc[0]`. Raises InvalidResponse for a document that is not a message."""
        if isinstance(doc, list) and len(doc) == 1:
            doc = doc[0]
        if not isinstance(doc, Mapping):
            raise InvalidResponse("a message event did not carry a message document")
        user = doc.get("u")
        ts = parse_date(doc.get("ts"))
        if not isinstance(doc.get("_id"), str) or not isinstance(doc.get("rid"), str) or not isinstance(user, Mapping):
            raise InvalidResponse("a message document lacks _id, rid or u")
        if ts is None:
            raise InvalidResponse(f"message {doc['_id']} has no readable ts")
        meta = meta if isinstance(meta, Mapping) else {}
        participant = meta.get("roomParticipant")
        text = doc.get("msg")
        return cls(
            id=doc["_id"],
            rid=doc["rid"],
            text=text if isinstance(text, str) else "",
            sender_id=str(user.get("_id", "")),
            sender_username=str(user.get("username", "")),
            ts=ts,
            updated_at=parse_date(doc.get("_updatedAt")) or ts,
            tmid=doc.get("tmid") if isinstance(doc.get("tmid"), str) else None,
            system_type=doc.get("t") if isinstance(doc.get("t"), str) and doc.get("t") else None,
            private=bool(doc.get("private")),
            from_bot=bool(doc.get("bot")),
            edited="editedAt" in doc,
            room_type=meta.get("roomType") if isinstance(meta.get("roomType"), str) else None,
            room_name=meta.get("roomName") if isinstance(meta.get("roomName"), str) else None,
            room_participant=participant if isinstance(participant, bool) else None,
        )


class MessageSender(Protocol):
    """What posting needs of the REST client: `chat.sendMessage` with a client-chosen `_id`."""

    async def send_message(
        self,
        rid: str,
        text: str,
        *,
        msg_id: str,
        tmid: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any] | None: ...


class FileSender(MessageSender, Protocol):
    """Posting with files too: `rooms.media` + `rooms.mediaConfirm` (replies' chart pictures, exports)."""

    async def upload_file(
        self,
        rid: str,
        filename: str,
        data: bytes,
        mime: str,
        *,
        msg: str = "",
        description: str = "",
        tmid: str | None = None,
    ) -> dict[str, Any]: ...
