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

`server_info` is the body of `GET /api/info`, the same on both lines (see its docstring).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_VERSION", "LEGACY_VERSION", "PROFILE_7", "PROFILE_8", "Profile", "profile", "server_info"]

DEFAULT_VERSION = "8.8.0"  # the newest 8.x named in rocketchat-live-ops.md §6 (bounded message sync, 8.8.0)
LEGACY_VERSION = "7.12.2"

# `minimumClientVersions` of rocketchat.info, generated from apps/meteor/package.json (an 8.0.0 build's file).
MINIMUM_CLIENT_VERSIONS = {"desktop": "3.9.6", "mobile": "4.39.0"}
MARKETPLACE_API_VERSION = "1.59.0"  # the apps-engine version that 8.0.0 build reports
_TRIMMED = re.compile(r"(\d+\.\d+).*")


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


def server_info(settings: dict[str, Any], *, full: bool) -> dict[str, Any]:
    """The body of `GET /api/info` (without `success`), as `getServerInfo` builds it
    (apps/meteor/server/api/lib/getServerInfo.ts @50f0ec2, lines 10-34; on 7.x the same function in
    apps/meteor/app/api/server/lib/getServerInfo.ts):

    - `version` is `getTrimmedServerVersion()`, `Info.version.replace(/(\\d+\\.\\d+).*/, '$1')` (`8.8`), unless
      the caller holds `view-statistics` (admin by default): then `info` (the build's `Info`: version, build,
      marketplaceApiVersion, commit) and the full `version` (`full=True`);
    - `minimumClientVersions` always; `cloudWorkspaceId` is the `Cloud_Workspace_Id` setting, `''` on a
      workspace never registered with Rocket.Chat Cloud, which also has no `supportedVersions` token to add.

    Left out: `workspaceUrl`/`hashedWorkspaceUrl` (lines 16-17, PR #40685 of June 2026), whose release
    line is not established here and whose URL normalisation lives in the license package.
    """
    version = str(settings.get("Sandbox_Version", DEFAULT_VERSION))
    body: dict[str, Any] = {"version": _TRIMMED.sub(r"\1", version, count=1)}
    if full:
        body["info"] = _build_info(version)
        body["version"] = version
    body["minimumClientVersions"] = dict(MINIMUM_CLIENT_VERSIONS)
    body["cloudWorkspaceId"] = settings.get("Cloud_Workspace_Id", "")
    return body


def _build_info(version: str) -> dict[str, Any]:
    """`Info` with the keys a build writes into apps/meteor/app/utils/rocketchat.info (version; build: date,
    nodeVersion, arch, platform, osRelease, totalMemory, freeMemory, cpus; marketplaceApiVersion; commit: hash,
    date, author, subject, tag, branch), which apps/meteor/tests/end-to-end/api/miscellaneous.ts expects of a
    logged-in admin's `/api/info`. The values describe no real build: this is the sandbox."""
    return {
        "version": version,
        "build": {
            "date": "2026-01-01T00:00:00.000Z",
            "nodeVersion": "v22.16.0",
            "arch": "x64",
            "platform": "linux",
            "osRelease": "sandbox",
            "totalMemory": 0,
            "freeMemory": 0,
            "cpus": 1,
        },
        "marketplaceApiVersion": MARKETPLACE_API_VERSION,
        "commit": {
            "hash": "0" * 40,
            "date": "Thu Jan 1 00:00:00 2026 +0000",
            "author": "sandbox",
            "subject": "Rocket.Chat sandbox",
            "tag": version,
            "branch": "sandbox",
        },
    }
