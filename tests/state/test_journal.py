"""The command journal in the state file: pending until answered, known after, upgraded from version 1."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bot.state.journal import ANSWERED, EXPIRED, PENDING, CommandRecord
from bot.state.store import SCHEMA_VERSION, State, Subscription

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def command(message_id: str, *, minutes_ago: int = 1) -> CommandRecord:
    return CommandRecord(message_id, "r-1", None, "c", "maria", "overview", NOW - timedelta(minutes=minutes_ago))


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
    db = sqlite3.connect(path)  # make it look like a file written by the version without the journal
    db.executescript("DROP TABLE commands; DROP TABLE incidents; DROP TABLE alerts; PRAGMA user_version = 1;")
    db.close()
    upgraded = State(path)
    assert [s.id for s in upgraded.subscriptions()] == [sub.id]
    assert upgraded.record_command(command("m1"), now=NOW).status == PENDING
    upgraded.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    db.close()
