"""Which messages become commands: one table, one row per rule, in the pipeline's order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.rocketchat.models import IncomingMessage
from bot.runtime.pipeline import Command, Drop, Pipeline

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
BASE = IncomingMessage(
    id="m1",
    rid="r1",
    text="!overview last week",
    sender_id="u-maria",
    sender_username="maria",
    ts=NOW - timedelta(seconds=5),
    updated_at=NOW - timedelta(seconds=5),
)


def pipeline() -> Pipeline:
    return Pipeline(bot_user_id="u-bot", bot_username="analytics-bot", prefix="!")


@pytest.mark.parametrize(
    ("message", "room_type", "member", "expected"),
    [
        (BASE, "c", True, "overview last week"),
        (replace(BASE, system_type="uj"), "c", True, Drop.SYSTEM),
        (replace(BASE, sender_id="u-bot"), "c", True, Drop.OWN),
        (replace(BASE, private=True), "c", True, Drop.EPHEMERAL),
        (replace(BASE, from_bot=True), "c", True, Drop.OTHER_BOT),
        (BASE, "l", True, Drop.LIVECHAT),
        (replace(BASE, room_type="l"), None, True, Drop.LIVECHAT),
        (BASE, "c", False, Drop.NOT_PARTICIPANT),
        (BASE, "p", False, Drop.NOT_PARTICIPANT),
        (BASE, "d", False, "overview last week"),  # DMs always count
        (replace(BASE, edited=True), "c", True, Drop.EDITED),
        (replace(BASE, ts=NOW - timedelta(minutes=11)), "c", True, Drop.TOO_OLD),
        (replace(BASE, text="overview last week"), "c", True, Drop.NOT_A_COMMAND),
        (replace(BASE, text="overview last week"), "d", True, "overview last week"),
        (replace(BASE, text="@analytics-bot overview"), "c", True, "overview"),
        (replace(BASE, text="@Analytics-Bot: help"), "p", True, "help"),
        (replace(BASE, text="@analytics-bot"), "c", True, "help"),
        (replace(BASE, text="@analytics-botty overview"), "c", True, Drop.NOT_A_COMMAND),
        (replace(BASE, text="!"), "c", True, "help"),  # the prefix alone: someone trying the bot out
        (replace(BASE, text="!!"), "c", True, "!"),
        (replace(BASE, text="  !  help  "), "c", True, "help"),
        (replace(BASE, text="hey !help"), "c", True, Drop.NOT_A_COMMAND),
    ],
)
def test_classify(message: IncomingMessage, room_type: str | None, member: bool, expected: str | Drop) -> None:
    outcome = pipeline().classify(message, now=NOW, room_type=room_type, member=member)
    if isinstance(expected, Drop):
        assert outcome is expected
    else:
        assert isinstance(outcome, Command)
        assert outcome.text == expected


def test_a_handled_message_is_not_handled_again() -> None:
    p = pipeline()
    first = p.classify(BASE, now=NOW, room_type="c", member=True)
    assert isinstance(first, Command)
    p.mark_handled(BASE.id)
    redelivered = replace(BASE, updated_at=NOW)  # e.g. a reaction or a thread counter
    assert p.classify(redelivered, now=NOW, room_type="c", member=True) is Drop.SEEN


def test_other_bots_can_be_allowed() -> None:
    p = Pipeline(bot_user_id="u-bot", bot_username="analytics-bot", respond_to_bots=True)
    assert isinstance(p.classify(replace(BASE, from_bot=True), now=NOW, room_type="c", member=True), Command)


def test_allowed_rooms_by_id_or_name_but_dms_always() -> None:
    p = Pipeline(bot_user_id="u-bot", bot_username="analytics-bot", allowed_rooms=frozenset({"managers"}))
    assert p.classify(BASE, now=NOW, room_type="c", member=True, room_name="general") is Drop.ROOM_NOT_ALLOWED
    assert isinstance(p.classify(BASE, now=NOW, room_type="c", member=True, room_name="managers"), Command)
    assert isinstance(p.classify(BASE, now=NOW, room_type="d", member=True), Command)


def test_seen_ids_are_bounded() -> None:
    p = pipeline()
    p.seen.capacity = 3
    for i in range(5):
        p.mark_handled(f"id{i}")
    assert "id0" not in p.seen and "id1" not in p.seen
    assert all(f"id{i}" in p.seen for i in (2, 3, 4))


def test_custom_prefix() -> None:
    p = Pipeline(bot_user_id="u-bot", bot_username="analytics-bot", prefix="?!")
    outcome = p.classify(replace(BASE, text="?!agents frt"), now=NOW, room_type="c", member=True)
    assert isinstance(outcome, Command) and outcome.text == "agents frt"
    assert p.classify(BASE, now=NOW, room_type="c", member=True) is Drop.NOT_A_COMMAND
