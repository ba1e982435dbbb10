"""Reconnect policy: how long to wait between attempts, and whether to try again at all.

Two small policies, injected into the reconnect loop so tests can replace them (style-by-example.md §2
and §7.3, after websockets' `backoff()` generator and `process_exception` classifier):

- `backoff()` yields delays with *full jitter*: each is uniform in [0, min(cap, base * 2**n)]. Many bots
  dropped by one server restart then spread their reconnects instead of returning together
  (rocketchat-realtime-rest.md §1.14 step 1; peers that retried in a fixed or endless loop are §3.5, §3.7).
  The generator never ends; the caller starts a fresh one after a connection stayed up, which is the reset.
- `is_retryable(exc)` says whether an attempt's failure may be transient. Only errors that the same
  credentials and configuration cannot fix are fatal: AuthFailed (revoked, expired or unknown token, §1.5,
  §1.14) and ConfigError. Network errors, timeouts, refused subscriptions, rate limits and garbled frames
  are retried. Anything else is a bug and is not retried, so it surfaces instead of looping.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from bot.errors import AuthFailed, ConfigError, TransportError

__all__ = ["BASE_DELAY", "MAX_DELAY", "backoff", "is_retryable"]

BASE_DELAY = 0.5
MAX_DELAY = 30.0


def backoff(
    *, base: float = BASE_DELAY, cap: float = MAX_DELAY, factor: float = 2.0, rng: random.Random | None = None
) -> Iterator[float]:
    """Yield endless delays in seconds: uniform in [0, min(cap, base * factor**attempt)] ("full jitter").

    Args:
        base: the bound of the first delay.
        cap: the largest bound; reached after about log2(cap / base) attempts (6 with the defaults).
        factor: growth of the bound per attempt.
        rng: the random source; pass a seeded `random.Random` for reproducible delays.
    """
    if base <= 0 or cap < base or factor < 1:
        raise ValueError("backoff needs 0 < base <= cap and factor >= 1")
    pick = rng or random.Random()
    bound = base
    while True:
        yield pick.uniform(0.0, bound)
        bound = min(cap, bound * factor)


def is_retryable(exc: BaseException) -> bool:
    """True when trying again later, with the same credentials and settings, may succeed.

    Fatal: AuthFailed (including TwoFactorRequired) and ConfigError. Retryable: every other
    TransportError (ConnectionLost, RequestTimeout, RateLimited, ServerError, a refused subscription's
    BadRequest, InvalidResponse), OSError and TimeoutError. Anything else (a bug) is fatal.
    """
    if isinstance(exc, (AuthFailed, ConfigError)):
        return False
    return isinstance(exc, (TransportError, OSError, TimeoutError))
