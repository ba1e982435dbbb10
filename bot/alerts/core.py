"""The pure core of an alert: what it watches, and one evaluation step of its incident state machine.

No I/O and no clock of its own: the runner hands in a reading and `now`, gets back the new state and at most
one thing to do. Keeping it pure lets every rule below be table-tested, and makes a restart harmless: the
state that goes in is what the state file holds.

The rules, and why:
- **pending**: a condition must hold for its pending duration before anything is posted, so a short spike
  pages nobody; a reading that does not hold restarts the count (a dip resets it);
- **hysteresis**: once open, an incident resolves only when the value is back past the *recovery* level
  (default: the threshold with a 20 % margin), so a value flapping around the threshold edits the one
  message instead of opening and closing incidents;
- **unknown readings change nothing**: a figure the server did not give (a timeout, a refused route) neither
  opens nor resolves anything — an outage of the bot or the server is not an all-clear;
- **business hours**: an alert that says "during business hours" never opens outside them, and an incident
  it has open resolves when they end (nobody is paged at night, and nothing is left dangling);
- **mute**: no incident opens and no reminder goes out while muted; an open incident still updates and
  resolves, so its message never goes stale;
- **reminder** (`every=`): at most once per cooldown while the incident is open and the condition holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

__all__ = [
    "FIGURES",
    "MARGIN",
    "Condition",
    "Decision",
    "Figure",
    "Live",
    "Reading",
    "Watch",
    "step",
]

MARGIN = 0.2  # default recovery margin: an alert on `> 5` resolves at 4 or less


@dataclass(frozen=True)
class Figure:
    """A live figure an alert can watch (all come from `!now`'s snapshot)."""

    name: str
    label: str  # as shown: "Queue", "Longest wait"
    unit: str  # "count" | "seconds" | "percent"
    above: bool  # True: the alert fires when the value is above the threshold; False: below


FIGURES = {
    f.name: f
    for f in (
        Figure("queue", "Queue", "count", True),
        Figure("wait", "Longest wait in the queue", "seconds", True),
        Figure("available", "Agents available", "count", False),
        Figure("first_response", "First response today (average)", "seconds", True),
        Figure("abandoned", "Abandoned today", "percent", True),
    )
}


@dataclass(frozen=True)
class Condition:
    """What an alert watches: `figure` beyond `threshold` for `pending` seconds (see the module docstring)."""

    figure: str
    threshold: float
    pending: float = 0.0  # seconds the condition must hold before an incident opens
    recovery: float | None = None  # None: the threshold with MARGIN (above) or the threshold itself (below)
    business_hours: bool = False
    department: str | None = None  # Rocket.Chat's spelling of the department name; None: all
    remind: float | None = None  # seconds between reminders while open; None: never

    def __post_init__(self) -> None:
        if self.figure not in FIGURES:
            raise ValueError(f"unknown figure {self.figure!r}; known: {', '.join(FIGURES)}")

    @property
    def spec(self) -> Figure:
        return FIGURES[self.figure]

    @property
    def recovery_level(self) -> float:
        if self.recovery is not None:
            return self.recovery
        if not self.spec.above:
            return self.threshold
        level = self.threshold * (1 - MARGIN)
        return float(int(level)) if self.spec.unit == "count" else level

    def breached(self, value: float) -> bool:
        return value > self.threshold if self.spec.above else value < self.threshold

    def recovered(self, value: float) -> bool:
        level = self.recovery_level
        return value <= level if self.spec.above else value >= level


@dataclass(frozen=True)
class Reading:
    """One observation of the figure at `now`: `value` None when the server did not give it."""

    value: float | None
    in_hours: bool = True  # inside business hours (always True for alerts that do not care)
    since: datetime | None = None  # evidence that the breach began earlier (the longest wait tells)


@dataclass(frozen=True)
class Live:
    """The open incident, as the core needs it."""

    started: datetime  # when the condition began to hold
    notified: datetime  # the last time people were told (the opening, or a reminder)
    value: float
    peak: float


@dataclass(frozen=True)
class Watch:
    """An alert's evaluation state: a pending breach, or an open incident (never both)."""

    breach_since: datetime | None = None
    live: Live | None = None


@dataclass(frozen=True)
class Decision:
    watch: Watch
    action: str | None = None  # None | "open" | "update" | "remind" | "resolve"
    reason: str = ""  # for "resolve": "recovered" | "hours ended"


def _worse(figure: Figure, a: float, b: float) -> float:
    return max(a, b) if figure.above else min(a, b)


def step(condition: Condition, watch: Watch, reading: Reading, now: datetime, *, muted: bool = False) -> Decision:
    """One evaluation: the new state and at most one action (rules in the module docstring)."""
    value = reading.value
    if value is None:
        return Decision(watch)
    in_hours = reading.in_hours or not condition.business_hours
    holds = in_hours and condition.breached(value)
    live = watch.live
    if live is None:
        if not holds:
            return Decision(Watch())
        since = watch.breach_since or now
        if reading.since is not None and reading.since < since:
            since = reading.since
        if muted or now - since < timedelta(seconds=condition.pending):
            return Decision(Watch(breach_since=since))
        return Decision(Watch(live=Live(since, now, value, value)), "open")
    if not in_hours:
        return Decision(Watch(), "resolve", "hours ended")
    if condition.recovered(value):
        return Decision(Watch(), "resolve", "recovered")
    updated = replace(live, value=value, peak=_worse(condition.spec, live.peak, value))
    remind = condition.remind
    if remind is not None and holds and not muted and now - live.notified >= timedelta(seconds=remind):
        return Decision(Watch(live=replace(updated, notified=now)), "remind")
    return Decision(Watch(live=updated), "update")
