"""`mem(fn, {maxAge, cacheKey: JSON.stringify})` as Rocket.Chat wraps its analytics computations.

The same arguments within `maxAge` give the same (possibly stale) answer, per server process: 60 s for the
overview and agent overview (`apps/meteor/app/livechat/server/lib/AnalyticsTyped.ts`), 5 s for every
Real-time Monitoring figure (`apps/meteor/app/livechat/server/lib/analytics/dashboards.ts`). The window is a
setting so tests can switch caching off (0) or move the clock past it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .ejson import to_ms
from .store import Store

__all__ = ["Memo"]


class Memo:
    """A cache keyed on the JSON of the arguments, expiring `setting` milliseconds after it was filled."""

    def __init__(self, setting: str, default_ms: int) -> None:
        self.setting = setting
        self.default_ms = default_ms
        self.entries: dict[str, tuple[int, Any]] = {}

    def get_or_compute(self, store: Store, key: Any, compute: Callable[[], Any]) -> Any:
        max_age = int(store.settings.get(self.setting, self.default_ms))
        if max_age <= 0:
            return compute()
        now = to_ms(store.now())
        cache_key = json.dumps(key, sort_keys=True, default=str)
        hit = self.entries.get(cache_key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = compute()
        self.entries[cache_key] = (now + max_age, value)
        return value
