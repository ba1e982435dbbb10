"""Time zone names as people write them: an IANA name, or a specific reason it is not one and a real zone to use.

Pure (no I/O beyond the tz database), shared by the configuration file and chat (`tz=...`), each phrasing the
reason in its own notation.
"""

from __future__ import annotations

import difflib
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = ["UnknownTimeZone", "zone_name"]

# Real zones offered as examples when a region alone was named ("America"), first match wins.
_EXAMPLE_ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Africa/Lagos", "Etc/UTC")
_MAX_ZONE_NAME = 64  # the longest IANA name has 32 characters; past this no lookup or suggestion is tried


class UnknownTimeZone(ValueError):
    """A zone name a person wrote that is not an IANA time zone. `reason` says what is wrong with it and
    `suggestion` is a real zone (a close match when there is one); `explain` phrases both in the caller's own
    notation (`tz=...` in chat, `timezone = "..."` in the config file), and the caller raises its own error type."""

    def __init__(self, given: str, reason: str, suggestion: str) -> None:
        self.given = given
        self.reason = reason
        self.suggestion = suggestion
        super().__init__(self.explain(repr(given), repr(suggestion)))

    def explain(self, given: str, suggestion: str) -> str:
        return f"{given} {self.reason}; use an IANA name like {suggestion}"


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_name(text: str) -> str:
    """The IANA zone a person named (surrounding spaces ignored), or UnknownTimeZone.

    Only names in the zone list are looked up: `ZoneInfo` treats its key as a file path, so a region
    ("America"), an over-long name or a path ("../x") would raise IsADirectoryError, OSError or ValueError
    instead of saying what is wrong.
    """
    name = text.strip()
    if name in _zones():
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass  # listed, yet its file cannot be read: refuse it like any other name
    raise _unknown_zone(text)


def _unknown_zone(text: str) -> UnknownTimeZone:
    name = text.strip()
    if len(name) > _MAX_ZONE_NAME:
        return UnknownTimeZone(text, "is too long to be a time zone", _EXAMPLE_ZONES[0])
    folded = name.casefold()
    zones = sorted(z for z in _zones() if "/" in z or z == "UTC")  # suggest Area/City names, never "localtime"
    same = [z for z in zones if z.casefold() == folded]
    if same:
        return UnknownTimeZone(text, "is not a time zone (names are case-sensitive)", same[0])
    region = [z for z in zones if z.casefold().startswith(folded + "/")] if name else []
    if region:
        return UnknownTimeZone(
            text, "is a region, not a time zone", next((z for z in _EXAMPLE_ZONES if z in region), region[0])
        )
    city = [z for z in zones if z.rsplit("/", 1)[-1].casefold() == folded.replace(" ", "_")]
    close = city or difflib.get_close_matches(name, zones, n=1, cutoff=0.75)
    return UnknownTimeZone(text, "is not a time zone", close[0] if close else _EXAMPLE_ZONES[0])
