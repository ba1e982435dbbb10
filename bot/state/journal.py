"""The command journal: every command the bot has seen, until Rocket.Chat has acknowledged its answer.

Why a journal: the realtime link, the server and the bot itself can each go away between the moment a
command is read and the moment its reply is stored. An in-memory "seen" set forgets a command that was
read but not answered, so a crash or a long outage lost it (issue "exactly once"). Here a command is
recorded as `pending` when first seen, before anything is done with it, and becomes `answered` only
after `chat.sendMessage` returned (or reported that the deterministic reply id already exists, which
means an earlier attempt got through: rocketchat-realtime-rest.md §2.4). A restarted bot picks up what
is still pending; a command that cannot be answered before its deadline becomes `expired` (the asker is
told) or `undeliverable` (Rocket.Chat refuses to take any message from the bot in that room).

Rows of finished commands are kept for a few days so a catch-up that reads old messages again knows
them, then pruned.

A row also keeps how the command was addressed (`addressed`: the prefix, a mention, plain words in a direct
message, or a bare number answering the bot's question), because the same words are read differently by form:
`!how many chats` is an exact command (and no such command), `@bot how many chats` a question. Without it a
resumed command was read as if mentioned, so a prefixed one got a reading it never gets live. The values are
those of the reader's `Addressed`, as plain strings: state/ sits below the reader and does not import it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

SCHEMA = """
CREATE TABLE commands (
    message_id TEXT PRIMARY KEY,      -- the command's message _id (its reply's _id derives from it)
    room_id TEXT NOT NULL,
    thread_id TEXT,                   -- tmid: the reply goes into the same thread
    room_type TEXT NOT NULL,          -- c, p or d
    sender TEXT NOT NULL,             -- username; access is checked again on every attempt
    text TEXT NOT NULL,               -- the command without prefix or mention
    posted_at TEXT NOT NULL,          -- the message's ts (ISO UTC): the deadline counts from here
    status TEXT NOT NULL CHECK (status IN ('pending', 'answered', 'expired', 'undeliverable')),
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    reason TEXT                       -- why it was not answered, for the log and an operator
);
CREATE INDEX commands_by_status ON commands (status, posted_at);
"""
ADDRESSED = ("prefix", "mention", "direct", "choice")  # bot.understanding.reader.Addressed's values
# Schema 4. A fresh file runs it after SCHEMA too, so new and upgraded files have the same table, and SCHEMA
# stays what upgrading a version 1 file creates. Rows written before it get NULL ("not recorded") rather than
# a guessed form: a channel's command came with the prefix, a mention or as a number, a direct message's also as
# plain words, and the text kept cannot tell which. NULL resumes such a row as earlier versions did (read as if
# mentioned), which leaves a plain command exact and still answers a question; a guessed "prefix" would answer
# every question with "I don't know the command".
ADDRESSED_COLUMN = f"""
ALTER TABLE commands ADD COLUMN addressed TEXT CHECK (addressed IN {ADDRESSED!r});
"""
_COLUMNS = "message_id, room_id, thread_id, room_type, sender, text, posted_at, status, attempts, addressed"

PENDING, ANSWERED, EXPIRED, UNDELIVERABLE = "pending", "answered", "expired", "undeliverable"


@dataclass(frozen=True)
class CommandRecord:
    message_id: str
    room_id: str
    thread_id: str | None
    room_type: str
    sender: str
    text: str
    posted_at: datetime
    status: str = PENDING
    attempts: int = 0
    addressed: str | None = None  # one of ADDRESSED; None only for rows written before schema 4


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


class Journal:
    """Statements on the state file's `commands` table; the caller supplies the connection and lock
    (`State` runs each method inside one transaction)."""

    @staticmethod
    def record(db: sqlite3.Connection, command: CommandRecord, *, now: datetime) -> CommandRecord:
        """Insert as pending unless known; return the stored record (so a known one shows its status)."""
        db.execute(
            "INSERT OR IGNORE INTO commands (message_id, room_id, thread_id, room_type, sender, text, posted_at,"
            " status, attempts, updated_at, addressed) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            (
                command.message_id,
                command.room_id,
                command.thread_id,
                command.room_type,
                command.sender,
                command.text,
                _iso(command.posted_at),
                _iso(now),
                command.addressed,
            ),
        )
        row = db.execute(f"SELECT {_COLUMNS} FROM commands WHERE message_id = ?", (command.message_id,)).fetchone()
        return _record(row)

    @staticmethod
    def attempt(db: sqlite3.Connection, message_id: str, *, now: datetime) -> None:
        db.execute(
            "UPDATE commands SET attempts = attempts + 1, updated_at = ? WHERE message_id = ?", (_iso(now), message_id)
        )

    @staticmethod
    def finish(db: sqlite3.Connection, message_id: str, status: str, *, now: datetime, reason: str | None) -> None:
        if status not in (ANSWERED, EXPIRED, UNDELIVERABLE):
            raise ValueError(f"not a final status: {status!r}")
        db.execute(
            "UPDATE commands SET status = ?, updated_at = ?, reason = ? WHERE message_id = ? AND status = 'pending'",
            (status, _iso(now), reason, message_id),
        )

    @staticmethod
    def pending(db: sqlite3.Connection) -> list[CommandRecord]:
        rows = db.execute(f"SELECT {_COLUMNS} FROM commands WHERE status = 'pending' ORDER BY posted_at").fetchall()
        return [_record(row) for row in rows]

    @staticmethod
    def status(db: sqlite3.Connection, message_id: str) -> str | None:
        row = db.execute("SELECT status FROM commands WHERE message_id = ?", (message_id,)).fetchone()
        return str(row[0]) if row else None

    @staticmethod
    def prune(db: sqlite3.Connection, *, before: datetime) -> int:
        """Forget finished commands posted before `before`; pending ones stay until decided."""
        cursor = db.execute("DELETE FROM commands WHERE status != 'pending' AND posted_at < ?", (_iso(before),))
        return cursor.rowcount


def _record(row: sqlite3.Row | tuple[object, ...]) -> CommandRecord:
    message_id, room_id, thread_id, room_type, sender, text, posted_at, status, attempts, addressed = tuple(row)
    return CommandRecord(
        message_id=str(message_id),
        room_id=str(room_id),
        thread_id=thread_id if isinstance(thread_id, str) else None,
        room_type=str(room_type),
        sender=str(sender),
        text=str(text),
        posted_at=datetime.fromisoformat(str(posted_at)).astimezone(UTC),
        status=str(status),
        attempts=int(str(attempts)),
        addressed=addressed if isinstance(addressed, str) else None,
    )
