"""Answers kept for a while, and concurrent misses of one key sharing one call (single flight).

A burst of commands asks Rocket.Chat the same few questions at once: without this, every one of them
misses an empty cache and makes its own request (issue 10 measured 2,602 GETs for 20 distinct questions).
Here the first miss starts the call and every later asker of the same key awaits that call; the answer
is then kept for the age the caller gives (0: shared while in flight, kept for nobody after). Failures
are never kept: the next asker tries again.

Each answer is stamped with the instant it arrived (an injected clock), so what is shown from it can say
when it was read, and expiry is measured from there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

T = TypeVar("T")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Read(Generic[T]):
    """An answer and the instant it was read."""

    value: T
    at: datetime


@dataclass
class _Entry(Generic[T]):
    future: asyncio.Future[Read[T]]
    expires: datetime | None = field(default=None)  # set once the answer is in; None while in flight


class SharedCache(Generic[T]):
    """`await cache.get(key, load, age=seconds)`: a kept answer, the call in flight, or a new call.

    At most `max_entries` answers are kept; expired ones go first, then the oldest.
    """

    def __init__(self, *, clock: Clock = utc_now, max_entries: int = 4096) -> None:
        self.clock = clock
        self.max_entries = max_entries
        self.calls = 0  # how many times `load` was called
        self._entries: dict[Hashable, _Entry[T]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: Hashable, load: Callable[[], Awaitable[T]], *, age: float) -> Read[T]:
        entry = self._entries.get(key)
        if entry is not None:
            if entry.expires is None:  # in flight (or just settled): join it
                return await asyncio.shield(entry.future)
            if entry.expires > self.clock():
                return entry.future.result()
            del self._entries[key]
        entry = _Entry(asyncio.ensure_future(self._load(load)))
        self._make_room()
        self._entries[key] = entry
        entry.future.add_done_callback(lambda future: self._settled(key, entry, age))
        # Shielded: one asker being cancelled (its command timed out) must not cancel the others' answer.
        return await asyncio.shield(entry.future)

    def forget(self, key: Hashable | None = None) -> None:
        """Drop the kept answer for `key` (all kept answers without one); calls in flight stay shared."""
        if key is not None:
            entry = self._entries.get(key)
            if entry is not None and entry.expires is not None:
                del self._entries[key]
            return
        self._entries = {k: e for k, e in self._entries.items() if e.expires is None}

    async def _load(self, load: Callable[[], Awaitable[T]]) -> Read[T]:
        self.calls += 1
        value = await load()
        return Read(value, self.clock())

    def _settled(self, key: Hashable, entry: _Entry[T], age: float) -> None:
        future = entry.future
        failed = future.cancelled() or future.exception() is not None  # also marks the exception as seen
        if failed or age <= 0:
            if self._entries.get(key) is entry:
                del self._entries[key]
            return
        entry.expires = future.result().at + timedelta(seconds=age)

    def _make_room(self) -> None:
        """At `max_entries`: drop what has expired, then the oldest tenth of what is kept (never a call in
        flight: its askers await it), so a full cache is cleaned once per many insertions, not at each."""
        if len(self._entries) < self.max_entries:
            return
        now = self.clock()
        self._entries = {k: e for k, e in self._entries.items() if e.expires is None or e.expires > now}
        if len(self._entries) >= self.max_entries:
            kept = [k for k, e in self._entries.items() if e.expires is not None]
            for key in kept[: max(1, self.max_entries // 10)]:
                del self._entries[key]
