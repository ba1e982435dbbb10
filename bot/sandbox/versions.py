"""The Rocket.Chat versions the sandbox can stand for, and what differs between them.

`Sandbox_Version` names the version `/api/info` reports; its major version picks the behaviour profile.
Where Rocket.Chat's behaviour changed between the newest 7.x and 8.x, each profile follows that line's
source (rocketchat-live-ops.md §6 and the files cited per flag):

- `dashboard_dates_as_text`: 8.x routes (`apps/meteor/server/api/v1/omnichannel/dashboards.ts`) hand the raw
  `start`/`end` strings to the overview-derived totalizers, which moment parses as `YYYY-MM-DD` (the leading
  date text); 7.x routes (`apps/meteor/app/livechat/imports/server/rest/dashboards.ts`) pass `new Date(...)`,
  so the day is the one containing the instant in the reporting time zone.
- `inquiry_sort_queued_at`: the queue order gained `queuedAt` (`apps/meteor/app/livechat/lib/inquiries.ts`,
  `getOmniChatSortQuery`); older builds sort by `{ts: 1, _updatedAt: -1}` only.
- `charts_data_empty_on_invalid`: 8.x `charts-data` answers an unknown chart name or bad dates with
  `{chartLabel, dataLabels: [], dataPoints: []}`; the 7.11 draft answered 400 `No data available`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_VERSION", "LEGACY_VERSION", "PROFILE_7", "PROFILE_8", "Profile", "profile"]

DEFAULT_VERSION = "8.8.0"  # the newest 8.x named in rocketchat-live-ops.md §6 (bounded message sync, 8.8.0)
LEGACY_VERSION = "7.12.2"


@dataclass(frozen=True)
class Profile:
    major: int
    dashboard_dates_as_text: bool
    inquiry_sort_queued_at: bool
    charts_data_empty_on_invalid: bool


PROFILE_7 = Profile(7, dashboard_dates_as_text=False, inquiry_sort_queued_at=False, charts_data_empty_on_invalid=False)
PROFILE_8 = Profile(8, dashboard_dates_as_text=True, inquiry_sort_queued_at=True, charts_data_empty_on_invalid=True)


def profile(settings: dict[str, Any]) -> Profile:
    """The profile of the configured `Sandbox_Version` (8.x and later behave as 8.x; anything older as 7.x)."""
    version = str(settings.get("Sandbox_Version", DEFAULT_VERSION))
    head = version.split(".", 1)[0]
    major = int(head) if head.isdigit() else 8
    return PROFILE_8 if major >= 8 else PROFILE_7
