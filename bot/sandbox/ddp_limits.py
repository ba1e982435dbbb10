"""The DDP rate limiter: Meteor's `ddp-rate-limiter` with Rocket.Chat's rules (rocketchat-realtime-rest.md §1.13).

Facts reproduced (Meteor `packages/rate-limit`, RC `app/lib/server/startup/rateLimiter.ts`):

- Every method call *and* every subscription is counted, keyed by type + name + connection (or user) id,
  so a method and a publication of the same name have separate counters.
- "Connection by method" (default 10 / 10 s) and "User by method" (20 / 10 s, only once logged in) apply
  to every name that has no rule of its own; names starting with `stream-` get both numbers times 4.
- A method with its own rule is left out of those generic rules: here `sendMessage`, limited to 5 per
  second per user unless the user holds `send-many-messages` (RC `methods/sendMessage.ts`).
- Each rule has one fixed window shared by all its keys, starting when the rule is created (server
  start, or a change of its settings); at the end of the window every counter of the rule is reset.
- The call is counted first and then checked: the 11th call of a window is refused, and the error's
  `timeToReset` is the longest remaining window among the exceeded rules, in milliseconds.

The clock is `store.now()`, so tests drive the windows with an injected clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from .defaults import DEFAULT_SETTINGS
from .ejson import to_ms
from .store import MeteorError, Store

# Names registered with a rule of their own, which the generic per-method rules skip.
OWN_RULES = frozenset({"sendMessage"})
GENERIC_RULES = ("Connection_By_Method", "User_By_Method")
STREAM_FACTOR = 4


@dataclass(frozen=True)
class Invocation:
    """What the limiter sees of one call: `type` is "method" or "subscription"."""

    connection_id: str
    user_id: str | None
    type: str
    name: str


@dataclass
class _Rule:
    matches: Callable[[Invocation], bool]
    key: Callable[[Invocation], tuple[str, str, str | None]]
    allowed: int
    interval_ms: int
    last_reset_ms: int
    counters: dict[tuple[str, str, str | None], int] = field(default_factory=dict)

    def reset(self, now_ms: int) -> None:
        self.counters = {}
        self.last_reset_ms = now_ms


def too_many_requests(time_to_reset_ms: int) -> MeteorError:
    """The error of a refused call, as `DDPRateLimiter.getErrorMessage` words it."""
    seconds = math.ceil(time_to_reset_ms / 1000)
    reason = f"Error, too many requests. Please slow down. You must wait {seconds} seconds before trying again."
    return MeteorError("too-many-requests", reason, {"timeToReset": time_to_reset_ms})


class DdpRateLimiter:
    """Counts calls per rule and tells whether a call is over a limit."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._rules: list[_Rule] = []
        self._config: tuple[object, ...] | None = None
        self._started_ms = to_ms(store.now())

    def reset(self) -> None:
        """A server restart: counters are gone and the windows start again now."""
        self._config = None
        self._started_ms = to_ms(self.store.now())

    def hit(self, invocation: Invocation) -> int | None:
        """Count one call; return the milliseconds until it would be allowed, or None when it is."""
        now_ms = to_ms(self.store.now())
        rules = [rule for rule in self._current_rules(now_ms) if rule.matches(invocation)]
        for rule in rules:
            if now_ms - rule.last_reset_ms > rule.interval_ms:
                rule.reset(now_ms)
            key = rule.key(invocation)
            rule.counters[key] = rule.counters.get(key, 0) + 1
        refused: int | None = None
        for rule in rules:
            time_to_reset = rule.interval_ms - (now_ms - rule.last_reset_ms)
            count = rule.counters.get(rule.key(invocation), 0)
            if time_to_reset < 0:
                rule.reset(now_ms)
                time_to_reset, count = rule.interval_ms, 0
            if count > rule.allowed:
                refused = max(refused or 0, time_to_reset)
        return refused

    def _setting(self, name: str) -> object:
        return self.store.settings.get(name, DEFAULT_SETTINGS.get(name))

    def _current_rules(self, now_ms: int) -> list[_Rule]:
        """Rebuild the rules when their settings changed, as RC's settings watchers re-add them."""
        config = tuple(
            self._setting(f"DDP_Rate_Limit_{name}_{part}")
            for name in GENERIC_RULES
            for part in ("Enabled", "Requests_Allowed", "Interval_Time")
        )
        if config != self._config:  # first use: windows run from the server's start; later: from the change
            anchor_ms = self._started_ms if self._config is None else now_ms
            self._config = config
            self._rules = self._build(anchor_ms)
        return self._rules

    def _build(self, now_ms: int) -> list[_Rule]:
        rules: list[_Rule] = []
        for name in GENERIC_RULES:
            if not self._setting(f"DDP_Rate_Limit_{name}_Enabled"):
                continue
            allowed = int(str(self._setting(f"DDP_Rate_Limit_{name}_Requests_Allowed")))
            interval = int(str(self._setting(f"DDP_Rate_Limit_{name}_Interval_Time")))
            per_user = name == "User_By_Method"
            for factor, streams in ((1, False), (STREAM_FACTOR, True)):
                matches = _generic_matcher(streams=streams, per_user=per_user)
                key = _by_user if per_user else _by_connection
                rules.append(_Rule(matches, key, allowed * factor, interval * factor, now_ms))
        rules.append(_Rule(self._send_message_limited, _by_user, 5, 1000, now_ms))
        return rules

    def _send_message_limited(self, invocation: Invocation) -> bool:
        if invocation.type != "method" or invocation.name != "sendMessage":
            return False
        user = self.store.users.get(invocation.user_id) if invocation.user_id else None
        return user is None or not self.store.has_permission(user, "send-many-messages")


def _generic_matcher(*, streams: bool, per_user: bool) -> Callable[[Invocation], bool]:
    def matches(invocation: Invocation) -> bool:
        name = invocation.name
        if not name or name in OWN_RULES or name.startswith("stream-") != streams:
            return False
        return not per_user or invocation.user_id is not None

    return matches


def _by_connection(invocation: Invocation) -> tuple[str, str, str | None]:
    return (invocation.type, invocation.name, invocation.connection_id)


def _by_user(invocation: Invocation) -> tuple[str, str, str | None]:
    return (invocation.type, invocation.name, invocation.user_id)
