"""Putting an export into a room: one progress line edited in place, then the file(s), all or nothing.

- **Progress.** A long export shows "Exporting… 1,200 of 5,400 conversations" in one message, edited with
  `chat.update` at most every `interval` seconds. When the command's own message id is known, that message is
  the reply itself (`reply_id`, the id the dispatcher posts the answer under): it ends as the answer, and the
  dispatcher's post of the same id is dropped by Rocket.Chat as a repeat. Without it the line has an id of its
  own and is removed at the end (or, where the bot may not delete, edited to its last words). Progress is
  cosmetic: a failure to show it is logged, never the end of an export.
- **Files.** Each file goes up with `rooms.media` + `rooms.mediaConfirm` (RestClient.upload_file). A file
  that fails is not retried (the confirm step posts a message and has no client id, so a retry could post it
  twice). If part 2 of 3 fails, the parts already posted are deleted (`chat.delete`, the bot's own messages),
  so nobody is left with half an export; UploadFailed says whether that worked.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from bot.errors import TransportError
from bot.exports.delivery import Package
from bot.rocketchat.ids import reply_id
from bot.rocketchat.models import FileSender

__all__ = ["ExportSender", "ProgressLine", "UploadFailed", "post_files"]

log = logging.getLogger(__name__)
Json = dict[str, Any]


class ExportSender(FileSender, Protocol):
    """What posting needs of `bot.rocketchat.rest.RestClient`."""

    async def update_message(
        self, rid: str, msg_id: str, text: str, *, attachments: list[Json] | None = None
    ) -> Json: ...

    async def post_object(self, route: str, body: Json) -> Json: ...


class ProgressLine:
    """One message that tells how far an export got; see the module text."""

    def __init__(
        self,
        sender: ExportSender,
        rid: str,
        *,
        tmid: str | None,
        command_id: str,
        clock: Callable[[], datetime],
        interval: float,
    ) -> None:
        self.sender = sender
        self.rid = rid
        self.tmid = tmid
        self.is_reply = bool(command_id)
        self.id = reply_id(command_id) if command_id else reply_id(f"export-progress/{secrets.token_hex(8)}")
        self.clock = clock
        self.interval = interval
        self.shown = False
        self._last: datetime | None = None

    async def show(self, text: str, *, force: bool = False) -> None:
        now = self.clock()
        waited = None if self._last is None else (now - self._last).total_seconds()
        if self.shown and not force and waited is not None and waited < self.interval:
            return
        try:
            if self.shown or await self.sender.send_message(self.rid, text, msg_id=self.id, tmid=self.tmid) is None:
                # Shown before, or posted by an earlier try of this command (Rocket.Chat kept the first).
                await self.sender.update_message(self.rid, self.id, text)
            self.shown = True
            self._last = now
        except TransportError as exc:
            log.warning("export progress in %s not shown: %s", self.rid, exc)

    async def close(self, text: str) -> None:
        """The line's last state: the answer when it is the reply; otherwise gone (`text` if it cannot go)."""
        if not self.shown:
            return
        try:
            if not self.is_reply:
                try:
                    await self.sender.post_object("chat.delete", {"roomId": self.rid, "msgId": self.id})
                    return
                except TransportError as exc:
                    log.info("could not remove the export progress line in %s (%s); editing it instead", self.rid, exc)
            await self.sender.update_message(self.rid, self.id, text)
        except TransportError as exc:
            log.warning("export progress line in %s left as it was: %s", self.rid, exc)


class UploadFailed(Exception):
    """Posting file `index` of `count` failed with `cause`; `left` files posted before it could not be removed."""

    def __init__(self, cause: TransportError, index: int, count: int, left: int) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.index = index
        self.count = count
        self.left = left


async def post_files(sender: ExportSender, rid: str, tmid: str | None, package: Package, caption: str) -> list[Json]:
    """Upload every file of `package` with `caption` (and "part i of n"); all or nothing, see the module text."""
    posted: list[Json] = []
    count = len(package.files)
    for index, file in enumerate(package.files, start=1):
        part = f" (part {index} of {count})" if count > 1 else ""
        try:
            message = await sender.upload_file(
                rid, file.name, file.data, file.mime, description=caption + part, tmid=tmid
            )
        except TransportError as exc:
            log.warning("export upload %d of %d to %s failed: %s", index, count, rid, exc)
            left = await _remove(sender, rid, posted)
            raise UploadFailed(exc, index, count, left) from exc
        posted.append(message)
    return posted


async def _remove(sender: ExportSender, rid: str, posted: list[Json]) -> int:
    """Delete the messages of files already posted; how many could not be deleted."""
    left = 0
    for message in posted:
        mid = message.get("_id")
        try:
            if not isinstance(mid, str):
                raise TransportError("the posted file's message has no _id")
            await sender.post_object("chat.delete", {"roomId": rid, "msgId": mid})
        except TransportError as exc:
            log.warning("could not remove part of a failed export from %s: %s", rid, exc)
            left += 1
    return left
