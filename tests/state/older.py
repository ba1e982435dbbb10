"""State files as earlier versions of the bot wrote them, to test upgrades.

A fresh file is turned back into an older version's by undoing, newest first, what each later version added;
the result has the tables and columns that version created (the upgrade then runs the real migrations).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.state.store import State

# What version N + 1 added (the key is N), undone.
_UNDO = {
    3: "ALTER TABLE commands DROP COLUMN addressed;",
    2: "DROP TABLE incidents; DROP TABLE alerts;",
    1: "DROP TABLE commands;",
}


def written_by_version(path: Path, version: int) -> None:
    """Make `path` a state file as version `version` of the schema left it (`path` may hold data already)."""
    if not path.exists():
        State(path).close()
    db = sqlite3.connect(path)
    try:
        current = db.execute("PRAGMA user_version").fetchone()[0]
        for older in range(current - 1, version - 1, -1):
            db.executescript(_UNDO[older])
        db.execute(f"PRAGMA user_version = {version}")
        db.commit()
    finally:
        db.close()
