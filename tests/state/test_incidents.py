"""Alerts and incidents in the state file: one live incident per alert, whatever races; upgrades from version 2."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.state.incidents import OPEN, RESOLVED, AlertRecord, IncidentRecord
from bot.state.store import SCHEMA_VERSION, State
from tests.state.older import written_by_version

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
QUEUE = {"figure": "queue", "threshold": 5, "pending": 120}


def alert(room: str = "r-1", name: str | None = None) -> AlertRecord:
    return AlertRecord(0, name, "config" if name else "chat", room, QUEUE, ("jane",), created_at=NOW)


def incident(alert_id: int, started: datetime = NOW) -> IncidentRecord:
    return IncidentRecord(alert_id, started, f"msg-{started:%H%M}", "opening", NOW, 6, 6, NOW)


def test_alerts_round_trip_by_room(tmp_path: Path) -> None:
    state = State(tmp_path / "s.sqlite3")
    a = state.add_alert(alert())
    state.add_alert(alert("r-2"))
    assert [x.id for x in state.alerts(room_id="r-1")] == [a.id]
    state.update_alert(a.id, paused=True, muted_until=NOW + timedelta(hours=1), breach_since=NOW)
    (got,) = state.alerts(room_id="r-1")
    assert (got.condition, got.notify, got.paused, got.muted_until, got.breach_since) == (
        QUEUE,
        ("jane",),
        True,
        NOW + timedelta(hours=1),
        NOW,
    )
    assert state.remove_alert(a.id) and not state.remove_alert(a.id)


def test_one_live_incident_per_alert_even_when_evaluations_race(tmp_path: Path) -> None:
    state = State(tmp_path / "s.sqlite3")
    a = state.add_alert(alert())
    state.update_alert(a.id, breach_since=NOW)
    starts = [NOW + timedelta(seconds=i) for i in range(20)]
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda s: state.begin_incident(incident(a.id, s)), starts))
    assert won.count(True) == 1
    live = state.live_incident(a.id)
    assert live is not None and live.status == "opening"
    assert state.alerts()[0].breach_since is None  # the pending breach became the incident
    state.change_incident(a.id, live.started_at, status=OPEN, text="shown")
    state.change_incident(a.id, live.started_at, status=RESOLVED, resolved_at=NOW, reason="recovered")
    state.change_incident(a.id, live.started_at, status=OPEN)  # a resolved incident is final
    assert state.live_incident(a.id) is None
    assert [(i.status, i.reason, i.text) for i in state.incidents(a.id)] == [(RESOLVED, "recovered", "shown")]
    assert state.begin_incident(incident(a.id, NOW + timedelta(hours=1)))  # the next one may open


def test_config_alerts_sync_by_name_keeping_incidents(tmp_path: Path) -> None:
    state = State(tmp_path / "s.sqlite3")
    (first,) = state.sync_alerts([alert(name="queue-sales")], now=NOW)
    state.begin_incident(incident(first.id))
    (again,) = state.sync_alerts([alert("r-9", name="queue-sales")], now=NOW)
    assert (again.id, again.room_id, len(state.incidents(again.id))) == (first.id, "r-9", 1)
    assert state.sync_alerts([], now=NOW) == []
    assert state.incidents(first.id) == []


def test_a_version_2_file_is_upgraded_keeping_its_journal(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    written_by_version(path, 2)  # as the version before alerts left it
    state = State(path)
    assert state.add_alert(alert()).id == 1
    state.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    db.close()
