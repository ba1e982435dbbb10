"""What the bot is configured with: `Settings` (every key's value, defaults included), the `[[digest]]` and
`[[alert]]` entries, and `Secret`, whose repr never shows the value, so settings can be logged or shown in a
traceback safely. Reading and checking them is loading.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_RANGES", "AlertEntry", "DigestEntry", "Secret", "Settings"]

# The range a command uses when none is typed ([dates] overview/chart/agents).
DEFAULT_RANGES: tuple[tuple[str, str], ...] = (
    ("overview", "today"),
    ("chart", "last 7 days"),
    ("agents", "last 7 days"),
)


class Secret:
    """A credential that prints as `***`; call `reveal()` where the value must go on the wire."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class DigestEntry:
    """One `[[digest]]` table as written; app.py turns it into a schedule (time, weekdays, zone checked there)."""

    name: str
    room: str
    time: str = "09:00"
    timezone: str | None = None  # default: [bot] timezone
    weekdays: str = "mon-fri"
    range: str = "yesterday"
    sections: tuple[str, ...] = ("conversations", "productivity", "departments", "agents", "trend")
    departments: tuple[str, ...] = ()
    skip_when_empty: bool = False


@dataclass(frozen=True)
class AlertEntry:
    """One `[[alert]]` table as written; the condition is read (and checked) by bot.alerts.grammar at start and
    by `check`, as `!alert add` reads it, so the file and the chat accept the same sentences."""

    name: str
    room: str
    condition: str = ""
    department: str | None = None
    notify: tuple[str, ...] = ()  # usernames; "@here"/"@all" only here, never from chat
    recover: str | None = None
    every: str | None = None


@dataclass(frozen=True)
class Settings:
    url: str
    user_id: str | None = None
    auth_token: Secret | None = None
    username: str | None = None
    password: Secret | None = None
    timeout: float = 15.0
    prefix: str = "!"
    respond_to_bots: bool = False
    catch_up_max_age: float = 600.0
    answer_deadline: float = 900.0  # seconds after a command was posted within which it is retried until answered
    concurrency: int = 8
    timezone: str = "UTC"
    allowed_users: frozenset[str] = field(default_factory=frozenset)
    allowed_roles: frozenset[str] = field(default_factory=frozenset)
    rooms: frozenset[str] = field(default_factory=frozenset)
    permission: str = "view-livechat-manager"
    role_cache_seconds: float = 60.0
    ping_interval: float = 20.0
    silence_timeout: float = 35.0
    log_level: str = "INFO"
    date_order: str | None = None
    week_start: str = "monday"
    max_days: int = 366
    default_ranges: tuple[tuple[str, str], ...] = DEFAULT_RANGES
    digests: tuple[DigestEntry, ...] = ()
    alerts: tuple[AlertEntry, ...] = ()
    alert_interval: float = 30.0  # seconds between evaluations of the alerts (one read per figure each time)
    state_file: str = "state.sqlite3"
    digest_grace: float = 7200.0  # seconds after the scheduled time a late digest may still be posted
    buttons: bool = True  # follow-up buttons under !overview, !chart and !agents replies
    export_visitor_details: bool = False  # visitor name and phone in conversation exports (personal data)
    export_max_file_bytes: int = 104857600  # upload limit when the server does not publish FileUpload_MaxFileSize
    # How long an answer from Rocket.Chat is reused, per kind of question (`bot.analytics.sharing.Ages`, whose
    # defaults these are); 0: shared only while in flight. No longer than Rocket.Chat's own cache by default.
    analytics_cache_seconds: float = 60.0  # a period that includes today (Rocket.Chat's mem cache: 60 s)
    realtime_cache_seconds: float = 5.0  # the real-time monitoring endpoints (Rocket.Chat: 5 s)
    closed_cache_seconds: float = 600.0  # a period that ended before today: its figures no longer move
    departments_cache_seconds: float = 300.0  # the department list
    charts_enabled: bool = True  # chart pictures when the charts extra (matplotlib) is installed
    charts_warm_at_start: bool = True  # import and warm matplotlib on the chart thread once connected

    @property
    def uses_token(self) -> bool:
        return self.user_id is not None and self.auth_token is not None
