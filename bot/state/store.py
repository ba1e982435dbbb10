"""Digest subscriptions and their runs, in one SQLite file.

Why SQLite: the standard library has it, every change is one atomic transaction (so a crash leaves
either the old or the new state), and an operator can inspect the file with `sqlite3`. The schema is
versioned with `PRAGMA user_version`. A file that is not a readable database of a known version
stops the bot with StateError instead of silently starting empty: it holds people's subscriptions.

Runs are keyed by (subscription, local date): a day's digest is recorded as `posting` *before* it is
sent and `posted` after, so a crash in between is reconciled on the next start and a day can never
be posted twice (rocketchat-realtime-rest.md §2.4: the deterministic message id makes a resend idempotent).
Commands are journaled the same way (`journal.py`): pending when seen, answered when Rocket.Chat took the reply;
alerts' incidents too (`incidents.py`): opening before their message is sent, resolving before their resolution.

The file is in WAL mode with `synchronous = NORMAL`: a commit survives the bot being killed at any point
(what exactly-once is tested against) without an fsync per command; after a power loss the last commits
may be rolled back, which the deterministic message ids make harmless (a repeat is ignored by the server).
Back it up with `sqlite3 state.sqlite3 ".backup copy.sqlite3"`, not by copying the file alone.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path

from bot.errors import BotError
from bot.state.incidents import SCHEMA as INCIDENTS_SCHEMA
from bot.state.incidents import AlertRecord, IncidentRecord, Incidents
from bot.state.journal import ADDRESSED_COLUMN, CommandRecord, Journal
from bot.state.journal import SCHEMA as COMMANDS_SCHEMA

# 1: subscriptions and runs; 2: + the command journal; 3: + alerts and incidents; 4: + how each command was addressed
SCHEMA_VERSION = 4
SECTIONS = ("conversations", "productivity", "departments", "agents", "trend")

_SCHEMA = (
    """
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE,                 -- [[digest]] name for config-managed ones, NULL for chat-made
    source TEXT NOT NULL CHECK (source IN ('config', 'chat')),
    room_id TEXT NOT NULL,
    room_name TEXT,
    at TEXT NOT NULL,                 -- HH:MM local time
    tz TEXT NOT NULL,
    weekdays TEXT NOT NULL,           -- JSON list of Python weekday numbers, Monday = 0
    range TEXT NOT NULL,              -- a date-range phrase, e.g. "yesterday"
    sections TEXT NOT NULL,           -- JSON list
    departments TEXT NOT NULL,        -- JSON list of department names
    skip_when_empty INTEGER NOT NULL DEFAULT 0,
    paused INTEGER NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at TEXT NOT NULL,         -- ISO UTC; occurrences before it are never due
    checked_until TEXT NOT NULL       -- ISO UTC; occurrences up to here have been decided
);
CREATE TABLE runs (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    local_date TEXT NOT NULL,         -- the local date the run was scheduled on
    status TEXT NOT NULL CHECK (status IN ('posting', 'posted', 'missed', 'skipped')),
    scheduled_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    message_id TEXT,
    late INTEGER NOT NULL DEFAULT 0,
    noted INTEGER NOT NULL DEFAULT 0, -- a missed run already mentioned in a later digest
    PRIMARY KEY (subscription_id, local_date)
);
"""
    + COMMANDS_SCHEMA
    + INCIDENTS_SCHEMA
    + ADDRESSED_COLUMN
)
# What upgrading a file of version N (the key) to N + 1 runs, inside the same transaction as the new version.
# A new file runs all of them after version 1's tables (above), so it is the same as an upgraded one.
_MIGRATIONS = {1: COMMANDS_SCHEMA, 2: INCIDENTS_SCHEMA, 3: ADDRESSED_COLUMN}


_INSERT_SUBSCRIPTION = (
    "INSERT INTO subscriptions (name, source, room_id, room_name, at, tz, weekdays, range, sections, departments,"
    " skip_when_empty, paused, created_by, created_at, checked_until)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class StateError(BotError):
    """The state file cannot be used; the message says which file and what to do."""


@dataclass(frozen=True)
class Subscription:
    id: int
    name: str | None
    source: str
    room_id: str
    room_name: str | None
    at: time
    tz: str
    weekdays: frozenset[int]
    range: str = "yesterday"
    sections: tuple[str, ...] = SECTIONS
    departments: tuple[str, ...] = ()
    skip_when_empty: bool = False
    paused: bool = False
    created_by: str | None = None
    created_at: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    checked_until: datetime = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Run:
    subscription_id: int
    local_date: date
    status: str
    scheduled_at: datetime
    message_id: str | None
    late: bool
    noted: bool


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class State:
    """The state file. Methods are short synchronous transactions; async callers use asyncio.to_thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        existed = self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._open(existed)
            # Only once the file is known to be ours: a foreign database is refused untouched.
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise StateError(
                f"the state file {str(self.path)!r} is not a readable SQLite database ({exc}). It holds the digest "
                "subscriptions: restore it from a backup, or move it aside to start with none."
            ) from None
        except OSError as exc:
            raise StateError(f"cannot open the state file {str(self.path)!r}: {exc.strerror or exc}") from None

    @staticmethod
    def inspect(path: str | Path) -> str | None:
        """What would stop `State(path)`, found without changing the file (for `check`); None if usable.

        Opened read-only, so a check never creates, migrates or switches the journal mode of the file."""
        path = Path(path)
        name = repr(str(path))
        if not path.exists():
            where = path.parent if str(path.parent) else Path(".")
            if not where.is_dir():
                return f"the folder of the state file {name} does not exist; create it or change [digests] state_file"
            return None
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                check = db.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            return (
                f"the state file {str(path)!r} is not a readable SQLite database ({exc}); restore it from a backup, "
                "or move it aside to start with no chat-made digests"
            )
        if version == 0 and tables:
            return f"the state file {name} is a SQLite database of something else; point [digests] state_file elsewhere"
        if version > SCHEMA_VERSION:
            return (
                f"the state file {name} was written by a newer version of the bot (schema {version}); upgrade the bot"
            )
        if check != "ok":
            return f"the state file {str(path)!r} is damaged ({check}); restore it from a backup"
        return None

    def _open(self, existed: bool) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if existed and tables:
                raise StateError(
                    f"the state file {str(self.path)!r} is a SQLite database of something else "
                    "(no schema version); point [digests] state_file at a file of its own"
                )
            with self._lock:  # one script, one transaction: the schema and its version appear together
                self._db.executescript("BEGIN;" + _SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};COMMIT;")
            return
        if version > SCHEMA_VERSION:
            raise StateError(
                f"the state file {str(self.path)!r} was written by a newer version of the bot "
                f"(schema {version}, this one knows {SCHEMA_VERSION}); upgrade the bot"
            )
        check = self._db.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {check}")
        with self._lock:
            for old in range(version, SCHEMA_VERSION):
                self._db.executescript("BEGIN;" + _MIGRATIONS[old] + f"PRAGMA user_version = {old + 1};COMMIT;")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._db.in_transaction:
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- subscriptions -------------------------------------------------------------------------

    def add(self, sub: Subscription) -> Subscription:
        with self._transaction() as db:
            cursor = db.execute(
                _INSERT_SUBSCRIPTION,
                _row(sub),
            )
            assert cursor.lastrowid is not None
            return replace(sub, id=cursor.lastrowid)

    def subscriptions(self, *, room_id: str | None = None) -> list[Subscription]:
        with self._lock:
            query = "SELECT * FROM subscriptions" + (" WHERE room_id = ?" if room_id else "") + " ORDER BY id"
            rows = self._db.execute(query, (room_id,) if room_id else ()).fetchall()
        return [_subscription(row) for row in rows]

    def get(self, sub_id: int) -> Subscription | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM subscriptions WHERE id = ?", (sub_id,)).fetchone()
        return _subscription(row) if row else None

    def remove(self, sub_id: int) -> bool:
        with self._transaction() as db:
            return db.execute("DELETE FROM subscriptions WHERE id = ?", (sub_id,)).rowcount > 0

    def set_paused(self, sub_id: int, paused: bool, *, now: datetime) -> bool:
        with self._transaction() as db:
            if paused:
                return db.execute("UPDATE subscriptions SET paused = 1 WHERE id = ?", (sub_id,)).rowcount > 0
            # Resuming does not post what fell due while paused: decisions restart from now.
            query = "UPDATE subscriptions SET paused = 0, checked_until = ? WHERE id = ?"
            return db.execute(query, (_iso(now), sub_id)).rowcount > 0

    def set_checked(self, sub_id: int, until: datetime) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE subscriptions SET checked_until = ? WHERE id = ? AND checked_until < ?",
                (_iso(until), sub_id, _iso(until)),
            )

    def sync_config(self, wanted: list[Subscription], *, now: datetime) -> list[Subscription]:
        """Make the config-managed subscriptions match `[[digest]]` entries (by name), keeping their runs."""
        with self._transaction() as db:
            existing = {
                sub.name: sub
                for sub in map(_subscription, db.execute("SELECT * FROM subscriptions WHERE source = 'config'"))
            }
            for sub in wanted:
                old = existing.pop(sub.name, None)
                if old is None:
                    db.execute(
                        _INSERT_SUBSCRIPTION,
                        _row(replace(sub, created_at=now, checked_until=now)),
                    )
                else:
                    db.execute(
                        "UPDATE subscriptions SET room_id = ?, room_name = ?, at = ?, tz = ?, weekdays = ?, range = ?,"
                        " sections = ?, departments = ?, skip_when_empty = ? WHERE id = ?",
                        (*_row(sub)[2:11], old.id),
                    )
            for gone in existing.values():
                db.execute("DELETE FROM subscriptions WHERE id = ?", (gone.id,))
        return [s for s in self.subscriptions() if s.source == "config"]

    # --- runs ---------------------------------------------------------------------------------

    def begin_run(
        self, sub_id: int, local_date: date, scheduled_at: datetime, message_id: str, *, late: bool, now: datetime
    ) -> bool:
        """Record that the day's digest is being posted; False if that day is already decided."""
        with self._transaction() as db:
            try:
                db.execute(
                    "INSERT INTO runs (subscription_id, local_date, status, scheduled_at, updated_at, message_id, late)"
                    " VALUES (?, ?, 'posting', ?, ?, ?, ?)",
                    (sub_id, local_date.isoformat(), _iso(scheduled_at), _iso(now), message_id, int(late)),
                )
            except sqlite3.IntegrityError:
                return False
            return True

    def finish_run(self, sub_id: int, local_date: date, status: str, *, now: datetime) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE runs SET status = ?, updated_at = ? WHERE subscription_id = ? AND local_date = ?",
                (status, _iso(now), sub_id, local_date.isoformat()),
            )

    def record_missed(self, sub_id: int, local_date: date, scheduled_at: datetime, *, now: datetime) -> bool:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO runs (subscription_id, local_date, status, scheduled_at, updated_at)"
                " VALUES (?, ?, 'missed', ?, ?)",
                (sub_id, local_date.isoformat(), _iso(scheduled_at), _iso(now)),
            )
            return cursor.rowcount > 0

    def run(self, sub_id: int, local_date: date) -> Run | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM runs WHERE subscription_id = ? AND local_date = ?", (sub_id, local_date.isoformat())
            ).fetchone()
        return _run(row) if row else None

    def runs(self, sub_id: int, *, status: str | None = None) -> list[Run]:
        with self._lock:
            query = "SELECT * FROM runs WHERE subscription_id = ?" + (" AND status = ?" if status else "")
            params: tuple[object, ...] = (sub_id, status) if status else (sub_id,)
            rows = self._db.execute(query + " ORDER BY local_date", params).fetchall()
        return [_run(r) for r in rows]

    def unnoted_missed(self, sub_id: int) -> list[Run]:
        return [r for r in self.runs(sub_id, status="missed") if not r.noted]

    def mark_noted(self, sub_id: int, dates: list[date]) -> None:
        with self._transaction() as db:
            db.executemany(
                "UPDATE runs SET noted = 1 WHERE subscription_id = ? AND local_date = ?",
                [(sub_id, d.isoformat()) for d in dates],
            )

    # --- the command journal -----------------------------------------------------------------------

    def record_command(self, command: CommandRecord, *, now: datetime) -> CommandRecord:
        """Journal a command as pending (once); the stored record tells whether it was known already."""
        with self._transaction() as db:
            return Journal.record(db, command, now=now)

    def command_attempted(self, message_id: str, *, now: datetime) -> None:
        with self._transaction() as db:
            Journal.attempt(db, message_id, now=now)

    def finish_command(self, message_id: str, status: str, *, now: datetime, reason: str | None = None) -> None:
        with self._transaction() as db:
            Journal.finish(db, message_id, status, now=now, reason=reason)

    def command_status(self, message_id: str) -> str | None:
        with self._lock:
            return Journal.status(self._db, message_id)

    def pending_commands(self) -> list[CommandRecord]:
        with self._lock:
            return Journal.pending(self._db)

    def prune_commands(self, *, before: datetime) -> int:
        with self._transaction() as db:
            return Journal.prune(db, before=before)

    # --- alerts and incidents (incidents.py) ------------------------------------------------------

    def add_alert(self, alert: AlertRecord) -> AlertRecord:
        with self._transaction() as db:
            return replace(alert, id=Incidents.add(db, alert))

    def alerts(self, *, room_id: str | None = None) -> list[AlertRecord]:
        with self._lock:
            return Incidents.alerts(self._db, room_id)

    def update_alert(self, alert_id: int, **columns: object) -> bool:
        with self._transaction() as db:
            return Incidents.update(db, alert_id, **columns)

    def remove_alert(self, alert_id: int) -> bool:
        with self._transaction() as db:
            return Incidents.remove(db, alert_id)

    def sync_alerts(self, wanted: list[AlertRecord], *, now: datetime) -> list[AlertRecord]:
        """Make the config-managed alerts match `[[alert]]` entries (by name), keeping their incidents."""
        with self._transaction() as db:
            Incidents.sync_config(db, wanted, now=now)
        return [a for a in self.alerts() if a.source == "config"]

    def begin_incident(self, incident: IncidentRecord) -> bool:
        with self._transaction() as db:
            return Incidents.begin(db, incident)

    def live_incident(self, alert_id: int) -> IncidentRecord | None:
        with self._lock:
            return Incidents.live(self._db, alert_id)

    def incidents(self, alert_id: int) -> list[IncidentRecord]:
        with self._lock:
            return Incidents.history(self._db, alert_id)

    def change_incident(self, alert_id: int, started_at: datetime, **columns: object) -> None:
        with self._transaction() as db:
            Incidents.change(db, alert_id, started_at, **columns)


def _row(sub: Subscription) -> tuple[object, ...]:
    return (
        sub.name,
        sub.source,
        sub.room_id,
        sub.room_name,
        sub.at.strftime("%H:%M"),
        sub.tz,
        json.dumps(sorted(sub.weekdays)),
        sub.range,
        json.dumps(list(sub.sections)),
        json.dumps(list(sub.departments)),
        int(sub.skip_when_empty),
        int(sub.paused),
        sub.created_by,
        _iso(sub.created_at),
        _iso(sub.checked_until),
    )


def _subscription(row: sqlite3.Row | tuple[object, ...]) -> Subscription:
    (
        sid,
        name,
        source,
        room_id,
        room_name,
        at,
        tz,
        weekdays,
        rng,
        sections,
        departments,
        skip,
        paused,
        by,
        created,
        checked,
    ) = tuple(row)
    return Subscription(
        id=int(str(sid)),
        name=name if isinstance(name, str) else None,
        source=str(source),
        room_id=str(room_id),
        room_name=room_name if isinstance(room_name, str) else None,
        at=time.fromisoformat(str(at)),
        tz=str(tz),
        weekdays=frozenset(json.loads(str(weekdays))),
        range=str(rng),
        sections=tuple(json.loads(str(sections))),
        departments=tuple(json.loads(str(departments))),
        skip_when_empty=bool(skip),
        paused=bool(paused),
        created_by=by if isinstance(by, str) else None,
        created_at=_from_iso(str(created)),
        checked_until=_from_iso(str(checked)),
    )


def _run(row: sqlite3.Row | tuple[object, ...]) -> Run:
    sub_id, local_date, status, scheduled, _updated, message_id, late, noted = tuple(row)
    return Run(
        int(str(sub_id)),
        date.fromisoformat(str(local_date)),
        str(status),
        _from_iso(str(scheduled)),
        message_id if isinstance(message_id, str) else None,
        bool(late),
        bool(noted),
    )
