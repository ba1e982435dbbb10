"""The pure incident state machine, table-tested: each row is a run of readings, one a minute, and the actions
they cause (what a room would see: an opening message, edits, a reminder, a resolution)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts.core import Condition, Reading, Watch, step

T0 = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)
QUEUE_5_FOR_2M = Condition("queue", 5, pending=120)


def run(
    condition: Condition, values: Sequence[float | None], *, hours: list[bool] | None = None, muted: bool = False
) -> tuple[list[str], Watch]:
    watch, actions = Watch(), list[str]()
    for minute, value in enumerate(values):
        in_hours = hours[minute] if hours else True
        decision = step(condition, watch, Reading(value, in_hours), T0 + timedelta(minutes=minute), muted=muted)
        watch = decision.watch
        actions.append(decision.action or "-")
    return actions, watch


@pytest.mark.parametrize(
    ("why", "values", "expected"),
    [
        ("a spike shorter than the pending duration", [6, 7, 3, 3], "- - - -"),
        ("a dip restarts the pending count", [6, 6, 4, 6, 6, 6], "- - - - - open"),
        ("a sustained breach opens once, then edits", [6, 6, 7, 8, 9], "- - open update update"),
        ("flapping inside the band edits only", [6, 6, 6, 5, 6, 5, 6], "- - open update update update update"),
        ("recovery past the margin resolves", [6, 6, 6, 5, 4], "- - open update resolve"),
        ("unknown readings change nothing", [6, None, 6, None, 6, None, 1], "- - open - update - resolve"),
        ("a new breach after a resolution waits again", [6, 6, 6, 0, 6, 6, 6], "- - open resolve - - open"),
    ],
)
def test_queue_over_5_for_2_minutes(why: str, values: list[float | None], expected: str) -> None:
    assert " ".join(run(QUEUE_5_FOR_2M, values)[0]) == expected, why


def test_the_incident_starts_when_the_condition_began_to_hold_and_keeps_the_peak() -> None:
    _, watch = run(QUEUE_5_FOR_2M, [1, 6, 6, 9, 7])
    assert watch.live is not None
    assert watch.live.started == T0 + timedelta(minutes=1)
    assert (watch.live.value, watch.live.peak) == (7, 9)


def test_no_agent_available_during_business_hours() -> None:
    condition = Condition("available", 1, business_hours=True)
    values = [0, 0, 0, 1, 0, 0]
    hours = [False, True, True, True, True, False]
    assert run(condition, values, hours=hours)[0] == ["-", "open", "update", "resolve", "open", "resolve"]
    assert step(condition, Watch(), Reading(0, in_hours=False), T0).action is None  # nights page nobody


def test_a_reminder_at_most_once_per_cooldown() -> None:
    condition = Condition("wait", 180, remind=180)
    actions, _ = run(condition, [200] * 8)
    assert actions == ["open", "update", "update", "remind", "update", "update", "remind", "update"]


def test_muted_opens_nothing_but_the_breach_is_remembered() -> None:
    assert run(QUEUE_5_FOR_2M, [6, 6, 6, 6], muted=True)[0] == ["-"] * 4
    _, watch = run(QUEUE_5_FOR_2M, [6, 6, 6], muted=True)
    assert step(QUEUE_5_FOR_2M, watch, Reading(6), T0 + timedelta(minutes=3)).action == "open"


def test_evidence_of_an_earlier_start_counts_toward_the_pending_duration() -> None:
    """The bot comes back to a visitor already waiting 10 minutes: `wait > 3m for 2m` opens at once, since 7 min ago."""
    condition = Condition("wait", 180, pending=120)
    decision = step(condition, Watch(), Reading(600, since=T0 - timedelta(minutes=7)), T0)
    assert decision.action == "open"
    assert decision.watch.live is not None and decision.watch.live.started == T0 - timedelta(minutes=7)


@pytest.mark.parametrize(
    ("condition", "level"),
    [
        (Condition("queue", 5), 4),
        (Condition("queue", 1), 0),
        (Condition("abandoned", 10), 8),
        (Condition("wait", 180), 144),
        (Condition("available", 1), 1),
        (Condition("queue", 5, recovery=2), 2),
    ],
)
def test_recovery_levels(condition: Condition, level: float) -> None:
    assert condition.recovery_level == pytest.approx(level)


def test_an_unknown_figure_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown figure 'queues'"):
        Condition("queues", 5)
