"""Settings from a TOML file plus environment overrides, checked once at start-up.

Every problem raises ConfigError naming the key and showing a valid example, and every problem of a file is
reported at once, so a bad deployment fails before it connects and one edit can fix it. One table (`_KEYS`)
drives parsing, checking and messages.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.config.settings import DEFAULT_RANGES, AlertEntry, DigestEntry, Secret, Settings
from bot.config.zones import UnknownTimeZone, zone_name
from bot.errors import ConfigError

__all__ = ["DEFAULT_PATH", "MAX_CACHE_SECONDS", "load_settings"]

DEFAULT_PATH = Path("config.toml")
_DIGEST_KEYS = {f.name for f in dataclasses.fields(DigestEntry)}
_ALERT_KEYS = {f.name for f in dataclasses.fields(AlertEntry)}


def _quoted(text: str) -> str:
    """A value as TOML writes it (a basic string; JSON's escapes are TOML's), for messages about the file."""
    return json.dumps(text, ensure_ascii=False)


# (section, key) -> (Settings field, kind, example). One table drives parsing, checking and messages.
_KEYS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("rocketchat", "url"): ("url", "url", 'url = "https://chat.example.com"'),
    ("rocketchat", "user_id"): ("user_id", "str", 'user_id = "aBcD1234eFgH5678"'),
    ("rocketchat", "auth_token"): ("auth_token", "secret", 'auth_token = "..."  (better: RC_AUTH_TOKEN)'),
    ("rocketchat", "username"): ("username", "str", 'username = "analytics-bot"'),
    ("rocketchat", "password"): ("password", "secret", 'password = "..."  (better: RC_PASSWORD)'),
    ("rocketchat", "timeout"): ("timeout", "seconds", "timeout = 15"),
    ("bot", "prefix"): ("prefix", "prefix", 'prefix = "!"'),
    ("bot", "respond_to_bots"): ("respond_to_bots", "bool", "respond_to_bots = false"),
    ("bot", "catch_up_max_age"): ("catch_up_max_age", "seconds", "catch_up_max_age = 600"),
    ("bot", "answer_deadline_minutes"): ("answer_deadline", "minutes", "answer_deadline_minutes = 15"),
    ("bot", "concurrency"): ("concurrency", "count", "concurrency = 8"),
    ("bot", "timezone"): ("timezone", "zone", 'timezone = "Europe/Berlin"'),
    ("bot", "log_level"): ("log_level", "level", 'log_level = "INFO"'),
    ("bot", "buttons"): ("buttons", "bool", "buttons = true"),
    ("access", "allowed_users"): ("allowed_users", "names", 'allowed_users = ["maria.manager"]'),
    ("access", "allowed_roles"): ("allowed_roles", "names", 'allowed_roles = ["livechat-monitor"]'),
    ("access", "rooms"): ("rooms", "names", 'rooms = ["omnichannel-managers"]'),
    ("access", "permission"): ("permission", "str", 'permission = "view-livechat-manager"'),
    ("access", "role_cache_seconds"): ("role_cache_seconds", "seconds", "role_cache_seconds = 60"),
    ("dates", "date_order"): ("date_order", "order", 'date_order = "DMY"'),
    ("dates", "week_start"): ("week_start", "week_start", 'week_start = "monday"'),
    ("dates", "max_days"): ("max_days", "count", "max_days = 366"),
    ("dates", "overview"): ("default_overview", "range", 'overview = "today"'),
    ("dates", "chart"): ("default_chart", "range", 'chart = "last 7 days"'),
    ("dates", "agents"): ("default_agents", "range", 'agents = "last 7 days"'),
    ("digests", "state_file"): ("state_file", "str", 'state_file = "/var/lib/analytics-bot/state.sqlite3"'),
    ("digests", "grace_minutes"): ("digest_grace", "minutes", "grace_minutes = 120"),
    ("alerts", "interval"): ("alert_interval", "seconds", "interval = 30"),
    ("exports", "visitor_details"): ("export_visitor_details", "bool", "visitor_details = false"),
    ("exports", "max_file_bytes"): ("export_max_file_bytes", "count", "max_file_bytes = 104857600"),
    ("realtime", "ping_interval"): ("ping_interval", "seconds", "ping_interval = 20"),
    ("realtime", "silence_timeout"): ("silence_timeout", "seconds", "silence_timeout = 35"),
    ("analytics", "cache_seconds"): ("analytics_cache_seconds", "age", "cache_seconds = 60"),
    ("analytics", "realtime_cache_seconds"): ("realtime_cache_seconds", "age", "realtime_cache_seconds = 5"),
    ("analytics", "closed_cache_seconds"): ("closed_cache_seconds", "age", "closed_cache_seconds = 600"),
    ("analytics", "departments_cache_seconds"): ("departments_cache_seconds", "age", "departments_cache_seconds = 300"),
    ("charts", "enabled"): ("charts_enabled", "bool", "enabled = true"),
    ("charts", "warm_at_start"): ("charts_warm_at_start", "bool", "warm_at_start = true"),
}
_ENV = {
    "RC_URL": ("rocketchat", "url"),
    "RC_USER_ID": ("rocketchat", "user_id"),
    "RC_AUTH_TOKEN": ("rocketchat", "auth_token"),
    "RC_USERNAME": ("rocketchat", "username"),
    "RC_PASSWORD": ("rocketchat", "password"),
}
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_CACHE_SECONDS = 86400  # a day: an older answer's "as of HH:MM" would no longer say which day it was read


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read `path` (default `config.toml` if it exists), apply RC_* environment overrides, check it all."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None or DEFAULT_PATH.exists():
        raw = _read_toml(Path(path) if path is not None else DEFAULT_PATH)
    values: dict[str, Any] = {}
    problems: list[str] = []  # every problem is reported at once, so one edit can fix them all

    def put(field: str, read: Callable[[], Any]) -> None:
        try:
            values[field] = read()
        except ConfigError as exc:
            problems.append(str(exc))

    def convert(section: str, key: str, value: Any, source: str | None = None) -> Callable[[], Any]:
        return lambda: _convert(section, key, value, source=source)

    if "digest" in raw:
        put("digests", lambda: _digest_entries(raw.pop("digest")))
    if "alert" in raw:
        put("alerts", lambda: _alert_entries(raw.pop("alert")))
    for section, table in raw.items():
        if not isinstance(table, dict):
            problems.append(f"[{section}] must be a table of keys, e.g.\n[{section}]\n...; got {section} = {table!r}")
            continue
        for key, value in table.items():
            spec = _KEYS.get((section, key))
            if spec is None:
                problems.append(_unknown_key(section, key))
                continue
            put(spec[0], convert(section, key, value))
    for name, (section, key) in _ENV.items():
        if env.get(name):
            put(_KEYS[(section, key)][0], convert(section, key, env[name], name))
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(f"{len(problems)} problems in the configuration:\n" + "\n".join(f"- {p}" for p in problems))
    return _check(values)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist; copy config.example.toml to start") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None


def _entry_tables(
    raw: Any, kind: str, known: frozenset[str] | set[str], required: tuple[str, ...], example: str
) -> list[tuple[str, dict[str, Any]]]:
    """`[[kind]]` tables checked for what every entry needs (a list of tables, known keys, the required
    strings), each with the words that name it in a message ("[[digest]] #2 ('managers-daily')")."""
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ConfigError(f"{kind}s are written as [[{kind}]] tables, for example:\n{example}")
    tables: list[tuple[str, dict[str, Any]]] = []
    for index, table in enumerate(raw, start=1):
        where = f"[[{kind}]] #{index}" + (f" ({table['name']!r})" if isinstance(table.get("name"), str) else "")
        unknown = sorted(set(table) - set(known))
        if unknown:
            close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}{hint}; known keys: {', '.join(sorted(known))}")
        for key in required:
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise ConfigError(
                    f"{where}: {key!r} is required and must be a non-empty string, for example:\n{example}"
                )
        tables.append((where, table))
    return tables


def _named_once(names: list[str], name: str, where: str, kind: str) -> None:
    if name in names:
        raise ConfigError(f"{where}: the name {name!r} is used twice; each [[{kind}]] needs its own name")
    names.append(name)


def _digest_entries(raw: Any) -> tuple[DigestEntry, ...]:
    example = '[[digest]]\nname = "managers-daily"\nroom = "omnichannel-managers"\ntime = "09:00"'
    entries: list[DigestEntry] = []
    names: list[str] = []
    for where, table in _entry_tables(raw, "digest", _DIGEST_KEYS, ("name", "room"), example):
        fields: dict[str, Any] = {}
        for key, value in table.items():
            default = getattr(DigestEntry, key, None) if key not in ("name", "room") else ""
            if isinstance(default, tuple):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f'{where}: {key!r} must be a list of strings, e.g. {key} = ["Sales"]')
                value = tuple(value)
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ConfigError(f"{where}: {key!r} must be true or false")
            elif not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}: {key!r} must be a non-empty string")
            fields[key] = value.strip() if isinstance(value, str) else value
        if "timezone" in fields:
            fields["timezone"] = _zone(fields["timezone"], f"{where}: timezone")
        entry = DigestEntry(**fields)
        _named_once(names, entry.name, where, "digest")
        entries.append(entry)
    return tuple(entries)


def _alert_entries(raw: Any) -> tuple[AlertEntry, ...]:
    example = '[[alert]]\nname = "sales-queue"\nroom = "omnichannel-managers"\ncondition = "queue > 5 for 2m"'
    entries: list[AlertEntry] = []
    names: list[str] = []
    for where, table in _entry_tables(raw, "alert", _ALERT_KEYS, ("name", "room", "condition"), example):
        fields: dict[str, Any] = {}
        for key, value in table.items():
            if key == "notify":
                if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                    raise ConfigError(
                        f'{where}: \'notify\' must be a list of usernames, e.g. notify = ["@jane", "@here"]'
                    )
                value = tuple(v.strip() for v in value)
            elif not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}: {key!r} must be a non-empty string")
            fields[key] = value.strip() if isinstance(value, str) else value
        entry = AlertEntry(**fields)
        _named_once(names, entry.name, where, "alert")
        entries.append(entry)
    return tuple(entries)


def _zone(value: str, where: str) -> str:
    try:
        return zone_name(value)
    except UnknownTimeZone as exc:
        raise ConfigError(exc.explain(f"{where} = {_quoted(value)}", _quoted(exc.suggestion))) from None


def _unknown_key(section: str, key: str) -> str:
    known = [k for (s, k) in _KEYS if s == section]
    if not known:
        sections = sorted({s for s, _ in _KEYS})
        return f"unknown section [{section}]; the sections are {', '.join(f'[{s}]' for s in sections)}"
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {key!r} in [{section}]{hint}; known keys: {', '.join(known)}"


def _convert(section: str, key: str, value: Any, *, source: str | None = None) -> Any:
    _, kind, example = _KEYS[(section, key)]
    where = source or f"[{section}] {key}"

    def bad(expected: str) -> ConfigError:
        shown = "***" if kind == "secret" else repr(value)
        return ConfigError(f"{where} must be {expected}, for example: {example}; got {shown}")

    from_env = source is not None
    if kind in ("str", "secret"):
        if not isinstance(value, str) or not value.strip():
            raise bad("a non-empty string")
        return Secret(value.strip()) if kind == "secret" else value.strip()
    if kind == "url":
        if not isinstance(value, str):
            raise bad("a URL string")
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad("an http(s) URL of the workspace")
        if parts.username or parts.password:
            raise ConfigError(
                f"{where} must not contain a user name or password; put credentials in RC_USER_ID + "
                f"RC_AUTH_TOKEN instead, for example: {example}"
            )
        if parts.path.rstrip("/").endswith("/api/v1") or parts.path.rstrip("/").endswith("/api"):
            raise bad("the workspace's base URL without /api")
        return value.strip().rstrip("/")
    if kind == "seconds":
        number = _number(value, from_env)
        if number is None or number <= 0:
            raise bad("a positive number of seconds")
        return float(number)
    if kind == "minutes":
        number = _number(value, from_env)
        if number is None or number <= 0:
            raise bad("a positive number of minutes")
        return float(number) * 60
    if kind == "age":
        number = _number(value, from_env)
        if number is None or math.isnan(number):  # TOML writes nan, which no comparison below would refuse
            raise bad(f"a number of seconds from 0 to {MAX_CACHE_SECONDS} (0: shared only while in flight)")
        if number < 0:
            raise bad("0 or more seconds (0: shared only while in flight)")
        if number > MAX_CACHE_SECONDS:
            raise bad(f"at most {MAX_CACHE_SECONDS} seconds (a day)")
        return float(number)
    if kind == "count":
        number = _number(value, from_env)
        if not isinstance(number, int) or number < 1:
            raise bad("a whole number of at least 1")
        return number
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if kind == "prefix":
        if not isinstance(value, str) or not value or any(c.isspace() for c in value) or len(value) > 3:
            raise bad("one to three non-space characters")
        return value
    if kind == "zone":
        if not isinstance(value, str):
            raise bad("an IANA time zone name")
        return _zone(value, where)
    if kind == "order":
        if not isinstance(value, str) or value.upper() not in ("DMY", "MDY", "YMD"):
            raise bad('"DMY", "MDY" or "YMD" (how to read 01/05/2026)')
        return value.upper()
    if kind == "week_start":
        if not isinstance(value, str) or value.lower() not in ("monday", "sunday"):
            raise bad('"monday" (ISO weeks) or "sunday"')
        return value.lower()
    if kind == "range":
        if not isinstance(value, str) or not value.strip():
            raise bad("a date range phrase")
        return value.strip()
    if kind == "level":
        if not isinstance(value, str) or value.upper() not in _LEVELS:
            raise bad(f"one of {', '.join(_LEVELS)}")
        return value.upper()
    if kind == "names":
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise bad("a list of names")
        return frozenset(v.strip().lstrip("@#") for v in value)
    raise AssertionError(kind)


def _number(value: Any, from_env: bool) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if from_env and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def _check(values: dict[str, Any]) -> Settings:
    if "url" not in values:
        raise ConfigError(
            'the workspace URL is missing: set RC_URL or, in config.toml,\n[rocketchat]\nurl = "https://chat.example.com"'
        )
    has_token = "user_id" in values or "auth_token" in values
    has_password = "username" in values or "password" in values
    if has_token and not ("user_id" in values and "auth_token" in values):
        missing = "RC_AUTH_TOKEN (auth_token)" if "user_id" in values else "RC_USER_ID (user_id)"
        raise ConfigError(f"a Personal Access Token needs both the user id and the token; {missing} is missing")
    if not has_token:
        if not has_password:
            raise ConfigError(
                "no credentials: set RC_USER_ID + RC_AUTH_TOKEN (a Personal Access Token, preferred) "
                "or RC_USERNAME + RC_PASSWORD"
            )
        if not ("username" in values and "password" in values):
            missing = "RC_PASSWORD (password)" if "username" in values else "RC_USERNAME (username)"
            raise ConfigError(f"a password login needs both the username and the password; {missing} is missing")
    ranges = dict(DEFAULT_RANGES)
    for command in ("overview", "chart", "agents"):
        if f"default_{command}" in values:
            ranges[command] = values.pop(f"default_{command}")
    values["default_ranges"] = tuple(ranges.items())
    if has_token and has_password:
        # A PAT wins: it never expires and is not subject to 2FA.
        values.pop("username", None)
        values.pop("password", None)
    settings = Settings(**values)
    if settings.silence_timeout <= settings.ping_interval:
        raise ConfigError(
            f"[realtime] silence_timeout ({settings.silence_timeout:g}) must be longer than ping_interval "
            f"({settings.ping_interval:g}), for example ping_interval = 20 and silence_timeout = 35"
        )
    return settings
