"""The sandbox's small vocabulary: documents, clocks, Meteor errors, tokens and change events.

Kept apart from the store so the REST and DDP layers can name these types without the store's bulk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Doc = dict[str, Any]
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class MeteorError(Exception):
    """A `Meteor.Error`: REST renders it as 400 `"<reason> [<error>]"`, DDP as a method error object."""

    def __init__(self, error: str | int, reason: str, details: Doc | None = None, *, status: int = 400) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.details = details
        self.status = status

    def ddp(self) -> Doc:
        body: Doc = {
            "isClientSafe": True,
            "error": self.error,
            "reason": self.reason,
            "message": f"{self.reason} [{self.error}]",
            "errorType": "Meteor.Error",
        }
        if self.details is not None:
            body["details"] = self.details
        return body


@dataclass
class Token:
    token: str
    user_id: str
    kind: str  # "resume" (login token) or "personalAccessToken"
    expires: datetime | None
    name: str = ""


# --- events announced to listeners -------------------------------------------------------------


@dataclass(frozen=True)
class MessageChanged:
    message: Doc
    room: Doc
    inserted: bool


@dataclass(frozen=True)
class MessageDeleted:
    rid: str
    mid: str


@dataclass(frozen=True)
class SubscriptionChanged:
    user_id: str
    action: str  # inserted | updated | removed
    subscription: Doc


@dataclass(frozen=True)
class RoomChanged:
    user_ids: tuple[str, ...]
    action: str
    room: Doc


@dataclass(frozen=True)
class EphemeralMessage:
    user_id: str
    message: Doc


@dataclass(frozen=True)
class UserActivity:
    rid: str
    username: str
    activities: tuple[str, ...]


@dataclass(frozen=True)
class TokenRevoked:
    """A login token or PAT was removed: the DDP sessions logged in with it are closed."""

    token: str
    user_id: str


Event = (
    MessageChanged | MessageDeleted | SubscriptionChanged | RoomChanged | EphemeralMessage | UserActivity | TokenRevoked
)
