"""The state file: subscriptions and runs survive restarts; a bad file stops the bot, clearly."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bot.state.store import State, StateError, Subscription

NOW = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)


def chat_sub(room: str = "r1", **changes: object) -> Subscription:
    base = Subscription(
        id=0,
        name=None,
        source="chat",
        room_id=room,
        room_name=None,
        at=time(9, 0),
        tz="Europe/Berlin",
        weekdays=frozenset(range(5)),
        departments=("Sales",),
        created_by="maria",
        created_at=NOW,
        checked_until=NOW,
    )
    return Subscription(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_created_on_first_run_and_reopened(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "state.sqlite3"
    state = State(path)
    added = state.add(chat_sub())
    state.close()
    again = State(path)
    assert again.subscriptions() == [added]
    assert added.id == 1 and added.weekdays == frozenset(range(5)) and added.departments == ("Sales",)


def test_a_day_is_decided_once(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    sub = state.add(chat_sub())
    day = date(2026, 11, 18)
    assert state.begin_run(sub.id, day, NOW, "mid", late=False, now=NOW) is True
    assert state.begin_run(sub.id, day, NOW, "mid", late=False, now=NOW) is False
    assert state.record_missed(sub.id, day, NOW, now=NOW) is False
    state.finish_run(sub.id, day, "posted", now=NOW)
    run = state.run(sub.id, day)
    assert run is not None and run.status == "posted" and run.message_id == "mid"


def test_missed_runs_are_noted_once(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    sub = state.add(chat_sub())
    state.record_missed(sub.id, date(2026, 11, 16), NOW, now=NOW)
    state.record_missed(sub.id, date(2026, 11, 17), NOW, now=NOW)
    assert [r.local_date.day for r in state.unnoted_missed(sub.id)] == [16, 17]
    state.mark_noted(sub.id, [date(2026, 11, 16), date(2026, 11, 17)])
    assert state.unnoted_missed(sub.id) == []


def test_subscriptions_by_room_pause_and_remove(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    a, b = state.add(chat_sub("r1")), state.add(chat_sub("r2"))
    assert [s.id for s in state.subscriptions(room_id="r2")] == [b.id]
    later = datetime(2026, 11, 20, tzinfo=UTC)
    assert state.set_paused(a.id, True, now=later)
    assert state.get(a.id).paused is True  # type: ignore[union-attr]
    assert state.set_paused(a.id, False, now=later)
    resumed = state.get(a.id)
    assert resumed is not None and not resumed.paused and resumed.checked_until == later
    assert state.remove(b.id) and state.get(b.id) is None and not state.remove(b.id)


def test_config_entries_are_synced_by_name_keeping_history(tmp_path: Path) -> None:
    state = State(tmp_path / "s.db")
    entry = chat_sub(source="config", name="daily", created_by=None)
    [first] = state.sync_config([entry], now=NOW)
    state.begin_run(first.id, date(2026, 11, 18), NOW, "mid", late=False, now=NOW)
    [changed] = state.sync_config([Subscription(**{**entry.__dict__, "at": time(10, 0)})], now=NOW)
    assert changed.id == first.id and changed.at == time(10, 0)
    assert state.run(first.id, date(2026, 11, 18)) is not None
    assert state.sync_config([], now=NOW) == []
    assert state.run(first.id, date(2026, 11, 18)) is None  # its runs went with it


def test_a_corrupt_file_stops_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StateError) as caught:
        State(path)
    assert "is not a readable SQLite database" in str(caught.value)
    assert "restore it from a backup" in str(caught.value)


def test_a_foreign_database_and_a_newer_schema_are_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(StateError, match="SQLite database of something else"):
        State(foreign)
    newer = tmp_path / "newer.db"
    State(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(StateError, match="written by a newer version"):
        State(newer)


def test_an_unwritable_location_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StateError, match="cannot open the state file"):
        State(blocker / "state.sqlite3")
