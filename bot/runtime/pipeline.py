"""Which incoming messages are commands for the bot, decided without I/O.

Rocket.Chat re-delivers a message on every update (edits, reactions, thread counters, read flags)
and shows the bot public channels it never joined, livechat rooms it may view, and its own posts
(rocketchat-realtime-rest.md §1.7, §3.8). Every message, live or from catch-up, goes through the same
steps in this order, and each drop has a named reason so it can be logged and tested.

How a message was addressed travels with the command (`Addressed`): the prefix form is always an exact
command, while a mention or a direct message may also be a plain question for `bot.understanding`. In a
channel, plain text is never read (no eavesdropping), with one exception the reader asks for: a bare number
from someone the bot has just asked a numbered question in that room, which is their answer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from bot.rocketchat.models import IncomingMessage
from bot.understanding.reader import Addressed, Question


class Drop(Enum):
    SYSTEM = "system message"
    OWN = "the bot's own message"
    EPHEMERAL = "ephemeral message"
    OTHER_BOT = "another bot's message"
    LIVECHAT = "livechat room (customers' conversation)"
    NOT_PARTICIPANT = "room the bot is not a member of"
    ROOM_NOT_ALLOWED = "room not in [access] rooms"
    SEEN = "already handled (re-delivery)"
    EDITED = "edited message"
    TOO_OLD = "older than the catch-up age"
    NOT_A_COMMAND = "not addressed to the bot"


@dataclass(frozen=True)
class Command:
    """A message addressed to the bot, with the command text stripped of prefix or mention."""

    message: IncomingMessage
    text: str  # e.g. "overview last week"
    room_type: str
    addressed: Addressed | None = None  # None when resumed from a journal row older than schema 4

    def question(self) -> Question:
        """The command as the reader sees it."""
        message = self.message
        return Question(self.text, self.addressed, message.rid, message.sender_username, message.id)


class SeenIds:
    """A bounded memory of handled message ids (oldest forgotten first)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._ids

    def add(self, message_id: str) -> None:
        self._ids[message_id] = None
        self._ids.move_to_end(message_id)
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)


@dataclass
class Pipeline:
    bot_user_id: str
    bot_username: str
    prefix: str = "!"
    respond_to_bots: bool = False
    max_age: timedelta = timedelta(minutes=10)
    allowed_rooms: frozenset[str] = frozenset()  # room ids or names; empty = every room the bot is in
    # (room id, asker, text) -> is this the answer to a numbered question the bot asked them there?
    awaiting: Callable[[str, str, str], bool] | None = None

    def __post_init__(self) -> None:
        self.seen = SeenIds()

    def classify(
        self,
        message: IncomingMessage,
        *,
        now: datetime,
        room_type: str | None,
        member: bool,
        room_name: str | None = None,
    ) -> Command | Drop:
        """Decide one message. `room_type`/`member` come from the DDP meta or the bot's subscriptions;
        the caller marks a returned Command as handled with `mark_handled` once it is dispatched."""
        kind = room_type or message.room_type
        if message.system_type:
            return Drop.SYSTEM
        if message.sender_id == self.bot_user_id:
            return Drop.OWN
        if message.private:
            return Drop.EPHEMERAL
        if message.from_bot and not self.respond_to_bots:
            return Drop.OTHER_BOT
        if kind == "l":
            return Drop.LIVECHAT
        if kind != "d" and not member:
            return Drop.NOT_PARTICIPANT
        if (
            self.allowed_rooms
            and kind != "d"
            and not (message.rid in self.allowed_rooms or (room_name or message.room_name) in self.allowed_rooms)
        ):
            return Drop.ROOM_NOT_ALLOWED
        if message.id in self.seen:
            return Drop.SEEN
        if message.edited:
            return Drop.EDITED
        if now - message.ts > self.max_age:
            return Drop.TOO_OLD
        addressed = self.address(message.text, direct=kind == "d")
        if addressed is None:
            text = message.text.strip()
            if self.awaiting is not None and self.awaiting(message.rid, message.sender_username, text):
                return Command(message, text, kind or "c", Addressed.CHOICE)
            return Drop.NOT_A_COMMAND
        return Command(message, addressed[0], kind or "c", addressed[1])

    def mark_handled(self, message_id: str) -> None:
        self.seen.add(message_id)

    def command_text(self, text: str, *, direct: bool) -> str | None:
        """`!cmd args`, `@bot cmd args` (also `@bot: cmd`), or in a DM plain `cmd args`."""
        addressed = self.address(text, direct=direct)
        return None if addressed is None else addressed[0]

    def address(self, text: str, *, direct: bool) -> tuple[str, Addressed] | None:
        """The text meant for the bot and how it was addressed; None when it is not addressed to the bot."""
        stripped = text.strip()
        if stripped.startswith(self.prefix):
            rest = stripped[len(self.prefix) :].strip()
            if not rest and stripped == self.prefix:
                return "help", Addressed.PREFIX  # the prefix alone: someone trying the bot out gets the help
            return (rest, Addressed.PREFIX) if rest else None
        mention = "@" + self.bot_username
        if stripped.lower().startswith(mention.lower()):
            rest = stripped[len(mention) :]
            if rest and not (rest[0].isspace() or rest[0] in ":,"):
                return None  # @analytics-botty is somebody else
            rest = rest.lstrip(":, \t").strip()
            return (rest or "help", Addressed.MENTION)
        if direct and stripped:
            return (stripped, Addressed.DIRECT)
        return None
