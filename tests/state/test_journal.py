"""The command journal in the state file: pending until answered, known after, how each command was addressed;
upgraded from versions 1 and 3."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.state.journal import ADDRESSED, ANSWERED, EXPIRED, PENDING, CommandRecord
from bot.state.store import SCHEMA_VERSION, State, StateError, Subscription
from bot.understanding.reader import Addressed
from tests.state.older import written_by_version

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def command(message_id: str, *, minutes_ago: int = 1, addressed: str | None = "prefix") -> CommandRecord:
    posted = NOW - timedelta(minutes=minutes_ago)
    return CommandRecord(message_id, "r-1", None, "c", "maria", "overview", posted, addressed=addressed)


def test_a_command_is_pending_until_answered_and_known_afterwards(tmp_path: Path) -> None:
    state = State(tmp_path / "state.sqlite3")
    assert state.record_command(command("m1"), now=NOW).status == PENDING
    assert [c.message_id for c in state.pending_commands()] == ["m1"]
    state.finish_command("m1", ANSWERED, now=NOW)
    again = state.record_command(command("m1"), now=NOW + timedelta(seconds=5))  # a re-delivery or catch-up
    assert again.status == ANSWERED
    assert state.pending_commands() == []
    state.close()


def test_the_journal_survives_a_restart_and_a_final_status_is_never_undone(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    first = State(path)
    first.record_command(command("m1"), now=NOW)
    first.record_command(command("m2"), now=NOW)
    first.finish_command("m2", EXPIRED, now=NOW, reason="bot was down")
    first.close()
    second = State(path)
    assert [c.message_id for c in second.pending_commands()] == ["m1"]
    second.finish_command("m2", ANSWERED, now=NOW)  # too late: expired stays expired
    assert second.command_status("m2") == EXPIRED
    second.close()


def test_finished_commands_are_pruned_pending_ones_kept(tmp_path: Path) -> None:
    state = State(tmp_path / "state.sqlite3")
    state.record_command(command("old-done", minutes_ago=60 * 24 * 4), now=NOW)
    state.finish_command("old-done", ANSWERED, now=NOW)
    state.record_command(command("old-pending", minutes_ago=60 * 24 * 4), now=NOW)
    state.record_command(command("new-done"), now=NOW)
    state.finish_command("new-done", ANSWERED, now=NOW)
    assert state.prune_commands(before=NOW - timedelta(days=3)) == 1
    assert state.command_status("old-done") is None
    assert state.command_status("old-pending") == PENDING
    assert state.command_status("new-done") == ANSWERED
    state.close()


def test_a_version_1_file_is_upgraded_in_place_keeping_its_subscriptions(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    state = State(path)
    sub = state.add(Subscription(0, None, "chat", "r-1", "managers", time(9), "UTC", frozenset({0, 1, 2, 3, 4})))
    state.close()
    written_by_version(path, 1)  # the version without the journal
    upgraded = State(path)
    assert [s.id for s in upgraded.subscriptions()] == [sub.id]
    assert upgraded.record_command(command("m1"), now=NOW).status == PENDING
    upgraded.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    db.close()


def test_how_a_command_was_addressed_is_kept_until_it_resumes(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    first = State(path)
    for form in ADDRESSED:
        first.record_command(command(form, addressed=form), now=NOW)
    first.close()
    again = State(path)
    assert [(c.message_id, c.addressed) for c in again.pending_commands()] == [(f, f) for f in ADDRESSED]
    again.close()
    assert set(ADDRESSED) == {a.value for a in Addressed}  # the journal knows every form the reader reads by


def test_a_version_3_file_is_upgraded_and_its_pending_commands_resume_as_before(tmp_path: Path) -> None:
    """Version 3 did not record how a command was addressed: its pending rows come back with no form (which the
    bot resumes as version 3 did), new rows record theirs, and the file ends up like a new one."""
    path, fresh = tmp_path / "state.sqlite3", tmp_path / "fresh.sqlite3"
    written_by_version(path, 3)
    db = sqlite3.connect(path)  # a command pending when version 3 stopped, written as version 3 wrote it
    db.execute(
        "INSERT INTO commands (message_id, room_id, thread_id, room_type, sender, text, posted_at, status, attempts,"
        " updated_at) VALUES ('m-old', 'r-1', NULL, 'c', 'maria', 'how many chats', ?, 'pending', 1, ?)",
        ((NOW - timedelta(minutes=5)).isoformat(), NOW.isoformat()),
    )
    db.commit()
    db.close()
    assert State.inspect(path) is None  # `check` accepts a file it will upgrade, without upgrading it
    upgraded = State(path)
    (old,) = upgraded.pending_commands()
    assert (old.message_id, old.text, old.attempts, old.addressed) == ("m-old", "how many chats", 1, None)
    upgraded.record_command(command("m-new", addressed="mention"), now=NOW)
    assert [c.addressed for c in upgraded.pending_commands()] == [None, "mention"]
    upgraded.close()
    State(fresh).close()
    for file in (path, fresh):
        db = sqlite3.connect(file)
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert State.inspect(file) is None
        with pytest.raises(sqlite3.IntegrityError):  # only the reader's forms are stored
            db.execute(
                "INSERT INTO commands (message_id, room_id, room_type, sender, text, posted_at, status, updated_at,"
                " addressed) VALUES ('x', 'r', 'c', 's', 't', 'p', 'pending', 'u', 'shouted')"
            )
        db.close()
    assert _columns(path) == _columns(fresh)


def test_a_file_of_a_newer_schema_than_4_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    State(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 5")
    db.close()
    assert "newer version of the bot (schema 5)" in (State.inspect(path) or "")
    with pytest.raises(StateError, match="schema 5, this one knows 4"):
        State(path)


def _columns(path: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        return [tuple(row) for row in db.execute("PRAGMA table_info(commands)")]
    finally:
        db.close()
