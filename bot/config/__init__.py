"""The bot's configuration: `load_settings()` reads a TOML file plus RC_* environment overrides and checks it
once at start-up; `Settings` holds the result. At the bottom of the package layers (only bot.errors below).

- settings.py: what is configured (`Settings`, digest and alert entries, `Secret`);
- loading.py: reading and checking it, every problem named with its key and a valid example;
- zones.py: IANA time zone names, and what to say when a name is not one.
"""

from bot.config.loading import DEFAULT_PATH, MAX_CACHE_SECONDS, load_settings
from bot.config.settings import DEFAULT_RANGES, AlertEntry, DigestEntry, Secret, Settings
from bot.config.zones import UnknownTimeZone, zone_name

__all__ = [
    "DEFAULT_PATH",
    "DEFAULT_RANGES",
    "MAX_CACHE_SECONDS",
    "AlertEntry",
    "DigestEntry",
    "Secret",
    "Settings",
    "UnknownTimeZone",
    "load_settings",
    "zone_name",
]
