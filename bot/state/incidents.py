"""Alerts and their incidents, in the state file (schema version 3).

Why here and not in memory: an incident must be opened and resolved exactly once through restarts, socket
drops and crashes. The rules that make it so:

- an incident row is written as `opening` *before* its message is sent, with the message id derived from
  (alert, incident start) — a crash in between is repaired by sending again with the same id, which
  Rocket.Chat drops as a duplicate (rocketchat-realtime-rest.md §2.4);
- at most one incident per alert is not `resolved`: a partial unique index enforces it, so two evaluations
  racing (or two runners on one file) cannot both open one — the loser's INSERT fails;
- a resolution is recorded as `resolving` (with its time and reason) before its thread reply is sent, so a
  crash there finishes the same resolution, with the same reply id, on the next pass.

The condition is stored as JSON of `bot.alerts.core.Condition`'s fields: this layer does not know alerts' rules.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

SCHEMA = """
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE,                 -- [[alert]] name for config-managed ones, NULL for chat-made
    source TEXT NOT NULL CHECK (source IN ('config', 'chat')),
    room_id TEXT NOT NULL,
    condition TEXT NOT NULL,          -- JSON: bot.alerts.core.Condition
    notify TEXT NOT NULL,             -- JSON list of usernames (and @here/@all from the config file only)
    paused INTEGER NOT NULL DEFAULT 0,
    muted_until TEXT,                 -- ISO UTC
    created_by TEXT,
    created_at TEXT NOT NULL,
    breach_since TEXT,                -- ISO UTC: the condition holds since, no incident yet (pending)
    checked_at TEXT                   -- ISO UTC: the last evaluation
);
CREATE TABLE incidents (
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    started_at TEXT NOT NULL,         -- ISO UTC: when the condition began to hold
    message_id TEXT NOT NULL,         -- derived from (alert, started_at)
    status TEXT NOT NULL CHECK (status IN ('opening', 'open', 'resolving', 'resolved')),
    opened_at TEXT NOT NULL,
    value REAL NOT NULL,
    peak REAL NOT NULL,
    notified_at TEXT NOT NULL,        -- the opening or the last reminder
    reminders INTEGER NOT NULL DEFAULT 0,
    resolved_at TEXT,
    reason TEXT,                      -- why it resolved: recovered | hours ended | removed
    text TEXT,                        -- the message as last posted or edited (no edit when unchanged)
    PRIMARY KEY (alert_id, started_at)
);
CREATE UNIQUE INDEX incidents_one_live ON incidents (alert_id) WHERE status != 'resolved';
"""

OPENING, OPEN, RESOLVING, RESOLVED = "opening", "open", "resolving", "resolved"


@dataclass(frozen=True)
class AlertRecord:
    id: int
    name: str | None
    source: str
    room_id: str
    condition: dict[str, Any]
    notify: tuple[str, ...] = ()
    paused: bool = False
    muted_until: datetime | None = None
    created_by: str | None = None
    created_at: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    breach_since: datetime | None = None
    checked_at: datetime | None = None


@dataclass(frozen=True)
class IncidentRecord:
    alert_id: int
    started_at: datetime
    message_id: str
    status: str
    opened_at: datetime
    value: float
    peak: float
    notified_at: datetime
    reminders: int = 0
    resolved_at: datetime | None = None
    reason: str | None = None
    text: str | None = None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if isinstance(value, str) else None


_ALERT_COLUMNS = "name, source, room_id, condition, notify, paused, muted_until, created_by, created_at"


class Incidents:
    """Statements on the `alerts` and `incidents` tables; `State` runs each inside one transaction."""

    @staticmethod
    def add(db: sqlite3.Connection, alert: AlertRecord) -> int:
        cursor = db.execute(
            f"INSERT INTO alerts ({_ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _alert_row(alert)
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    @staticmethod
    def alerts(db: sqlite3.Connection, room_id: str | None = None) -> list[AlertRecord]:
        query = "SELECT * FROM alerts" + (" WHERE room_id = ?" if room_id else "") + " ORDER BY id"
        return [_alert(row) for row in db.execute(query, (room_id,) if room_id else ()).fetchall()]

    @staticmethod
    def update(db: sqlite3.Connection, alert_id: int, **columns: object) -> bool:
        """Set alert columns (datetimes as ISO UTC, tuples and dicts as JSON); False if there is no such alert."""
        if not columns:
            return False
        values = [_column(v) for v in columns.values()]
        assignments = ", ".join(f"{name} = ?" for name in columns)
        return db.execute(f"UPDATE alerts SET {assignments} WHERE id = ?", (*values, alert_id)).rowcount > 0

    @staticmethod
    def remove(db: sqlite3.Connection, alert_id: int) -> bool:
        return db.execute("DELETE FROM alerts WHERE id = ?", (alert_id,)).rowcount > 0

    @staticmethod
    def sync_config(db: sqlite3.Connection, wanted: list[AlertRecord], *, now: datetime) -> None:
        """Make config-managed alerts match `[[alert]]` entries by name; a changed one keeps its incidents."""
        existing = {a.name: a for a in Incidents.alerts(db) if a.source == "config"}
        for alert in wanted:
            old = existing.pop(alert.name, None)
            if old is None:
                Incidents.add(db, replace(alert, created_at=now))
            else:
                Incidents.update(db, old.id, room_id=alert.room_id, condition=alert.condition, notify=alert.notify)
        for gone in existing.values():
            Incidents.remove(db, gone.id)

    # --- incidents ---------------------------------------------------------------------------------

    @staticmethod
    def begin(db: sqlite3.Connection, incident: IncidentRecord) -> bool:
        """Record an incident as `opening` and clear the alert's pending breach; False if one is live already."""
        try:
            db.execute(
                "INSERT INTO incidents (alert_id, started_at, message_id, status, opened_at, value, peak, notified_at,"
                " text) VALUES (?, ?, ?, 'opening', ?, ?, ?, ?, ?)",
                (
                    incident.alert_id,
                    _iso(incident.started_at),
                    incident.message_id,
                    _iso(incident.opened_at),
                    incident.value,
                    incident.peak,
                    _iso(incident.notified_at),
                    incident.text,
                ),
            )
        except sqlite3.IntegrityError:
            return False
        db.execute("UPDATE alerts SET breach_since = NULL WHERE id = ?", (incident.alert_id,))
        return True

    @staticmethod
    def live(db: sqlite3.Connection, alert_id: int) -> IncidentRecord | None:
        row = db.execute("SELECT * FROM incidents WHERE alert_id = ? AND status != 'resolved'", (alert_id,)).fetchone()
        return _incident(row) if row else None

    @staticmethod
    def history(db: sqlite3.Connection, alert_id: int) -> list[IncidentRecord]:
        rows = db.execute("SELECT * FROM incidents WHERE alert_id = ? ORDER BY started_at", (alert_id,)).fetchall()
        return [_incident(row) for row in rows]

    @staticmethod
    def change(db: sqlite3.Connection, alert_id: int, started_at: datetime, **columns: object) -> None:
        """Update one incident's columns; a `resolved` one is final and never changes again."""
        values = [_column(v) for v in columns.values()]
        assignments = ", ".join(f"{name} = ?" for name in columns)
        db.execute(
            f"UPDATE incidents SET {assignments} WHERE alert_id = ? AND started_at = ? AND status != 'resolved'",
            (*values, alert_id, _iso(started_at)),
        )


def _column(value: object) -> object:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, tuple | dict | list):
        return json.dumps(list(value) if isinstance(value, tuple) else value)
    if isinstance(value, bool):
        return int(value)
    return value


def _alert_row(alert: AlertRecord) -> tuple[object, ...]:
    return (
        alert.name,
        alert.source,
        alert.room_id,
        json.dumps(alert.condition),
        json.dumps(list(alert.notify)),
        int(alert.paused),
        _iso(alert.muted_until),
        alert.created_by,
        _iso(alert.created_at),
    )


def _alert(row: sqlite3.Row | tuple[object, ...]) -> AlertRecord:
    ident, name, source, room, condition, notify, paused, muted, by, created, breach, checked = tuple(row)
    return AlertRecord(
        id=int(str(ident)),
        name=name if isinstance(name, str) else None,
        source=str(source),
        room_id=str(room),
        condition=dict(json.loads(str(condition))),
        notify=tuple(json.loads(str(notify))),
        paused=bool(paused),
        muted_until=_time(muted),
        created_by=by if isinstance(by, str) else None,
        created_at=_time(created) or datetime(2000, 1, 1, tzinfo=UTC),
        breach_since=_time(breach),
        checked_at=_time(checked),
    )


def _incident(row: sqlite3.Row | tuple[object, ...]) -> IncidentRecord:
    alert_id, started, message_id, status, opened, value, peak, notified, reminders, resolved, reason, text = tuple(row)
    return IncidentRecord(
        alert_id=int(str(alert_id)),
        started_at=_time(started) or datetime(2000, 1, 1, tzinfo=UTC),
        message_id=str(message_id),
        status=str(status),
        opened_at=_time(opened) or datetime(2000, 1, 1, tzinfo=UTC),
        value=float(str(value)),
        peak=float(str(peak)),
        notified_at=_time(notified) or datetime(2000, 1, 1, tzinfo=UTC),
        reminders=int(str(reminders)),
        resolved_at=_time(resolved),
        reason=reason if isinstance(reason, str) else None,
        text=text if isinstance(text, str) else None,
    )
