"""load_settings: TOML files in tmp_path plus env dicts. Every problem is one ConfigError naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Secret, Settings, load_settings
from bot.errors import ConfigError

TOKEN = "pat-value-that-must-never-show-0123456789"
SECRET_PASSWORD = "password-that-must-never-show"
HEAD = '[rocketchat]\nurl = "https://chat.example.com"\n'
PAT_FILE = HEAD + f'user_id = "aBcD1234"\nauth_token = "{TOKEN}"\n'


@pytest.fixture(autouse=True)
def no_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty directory, so a config.toml of the developer's is never picked up."""
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error(tmp_path: Path, text: str | None, env: dict[str, str] | None = None) -> str:
    path = write(tmp_path, text) if text is not None else None
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env or {})
    message = str(caught.value)
    assert TOKEN not in message and SECRET_PASSWORD not in message
    return message


def test_pat_from_the_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, PAT_FILE), {})
    assert settings.url == "https://chat.example.com"
    assert settings.uses_token
    assert (settings.user_id, settings.auth_token) == ("aBcD1234", Secret(TOKEN))
    assert settings.password is None


def test_password_pair_from_the_environment(tmp_path: Path) -> None:
    env = {"RC_URL": "https://chat.example.com/", "RC_USERNAME": "analytics-bot", "RC_PASSWORD": SECRET_PASSWORD}
    settings = load_settings(None, env)
    assert settings.url == "https://chat.example.com"  # the trailing slash is dropped
    assert not settings.uses_token
    assert (settings.username, settings.password) == ("analytics-bot", Secret(SECRET_PASSWORD))


def test_a_pat_is_preferred_over_a_password(tmp_path: Path) -> None:
    env = {"RC_USERNAME": "analytics-bot", "RC_PASSWORD": SECRET_PASSWORD}
    settings = load_settings(write(tmp_path, PAT_FILE), env)
    assert settings.uses_token
    assert settings.username is None and settings.password is None


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {"RC_URL": "https://other.example.com", "RC_AUTH_TOKEN": "from-the-env"}
    settings = load_settings(write(tmp_path, PAT_FILE), env)
    assert settings.url == "https://other.example.com"
    assert settings.auth_token == Secret("from-the-env")
    assert settings.user_id == "aBcD1234"  # not overridden: kept from the file


def test_config_toml_in_the_working_directory_is_the_default(tmp_path: Path) -> None:
    write(tmp_path, PAT_FILE)
    assert load_settings(None, {}).user_id == "aBcD1234"


def test_every_section_and_its_values(tmp_path: Path) -> None:
    text = PAT_FILE + (
        "timeout = 5\n"
        '[bot]\nprefix = "?"\nrespond_to_bots = true\ncatch_up_max_age = 60\nconcurrency = 2\n'
        'timezone = "Europe/Berlin"\nlog_level = "debug"\n'
        '[access]\nallowed_users = ["@maria", " olivia "]\nallowed_roles = ["livechat-monitor"]\n'
        'rooms = ["#omnichannel-managers"]\nrole_cache_seconds = 30\n'
        "[realtime]\nping_interval = 10\nsilence_timeout = 25\n"
    )
    settings = load_settings(write(tmp_path, text), {})
    assert settings.timeout == 5.0
    assert (settings.prefix, settings.respond_to_bots, settings.concurrency) == ("?", True, 2)
    assert (settings.timezone, settings.log_level) == ("Europe/Berlin", "DEBUG")
    assert settings.allowed_users == {"maria", "olivia"}
    assert settings.rooms == {"omnichannel-managers"}
    assert (settings.ping_interval, settings.silence_timeout) == (10.0, 25.0)


def test_secrets_never_show_in_repr(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, PAT_FILE), {"RC_USERNAME": "bot", "RC_PASSWORD": SECRET_PASSWORD})
    direct = Settings(url="https://x.example.com", username="bot", password=Secret(SECRET_PASSWORD))
    for shown in (repr(settings), str(settings), repr(direct), repr(direct.password), str(direct.password)):
        assert TOKEN not in shown and SECRET_PASSWORD not in shown
    assert "***" in repr(settings)


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    message = error(tmp_path, HEAD + f'user_id = "u"\nauth_tokn = "{TOKEN}"\n')
    assert "unknown key 'auth_tokn' in [rocketchat]" in message
    assert "did you mean 'auth_token'?" in message


def test_unknown_section_lists_the_sections(tmp_path: Path) -> None:
    message = error(tmp_path, PAT_FILE + "[realtim]\nping_interval = 20\n")
    assert "unknown section [realtim]" in message
    assert "[realtime]" in message


def test_a_section_that_is_not_a_table(tmp_path: Path) -> None:
    assert "[rocketchat] must be a table" in error(tmp_path, "rocketchat = 5\n")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("chat.example.com", "http(s) URL"),
        ("ftp://chat.example.com", "http(s) URL"),
        ("https://chat.example.com/api/v1", "without /api"),
        ("https://chat.example.com/api/v1/", "without /api"),
        ("https://chat.example.com/api", "without /api"),
    ],
)
def test_bad_urls(tmp_path: Path, url: str, expected: str) -> None:
    message = error(tmp_path, f'[rocketchat]\nurl = "{url}"\n', {"RC_USER_ID": "u", "RC_AUTH_TOKEN": TOKEN})
    assert "[rocketchat] url" in message
    assert expected in message
    assert 'url = "https://chat.example.com"' in message  # the example


def test_a_bad_url_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    message = error(tmp_path, None, {"RC_URL": "chat.example.com", "RC_USER_ID": "u", "RC_AUTH_TOKEN": TOKEN})
    assert message.startswith("RC_URL must be")


def test_missing_url(tmp_path: Path) -> None:
    message = error(tmp_path, None, {"RC_USER_ID": "u", "RC_AUTH_TOKEN": TOKEN})
    assert "RC_URL" in message and 'url = "https://chat.example.com"' in message


@pytest.mark.parametrize(
    ("lines", "missing"),
    [
        ('user_id = "u"\n', "RC_AUTH_TOKEN (auth_token) is missing"),
        (f'auth_token = "{TOKEN}"\n', "RC_USER_ID (user_id) is missing"),
        ('username = "analytics-bot"\n', "RC_PASSWORD (password) is missing"),
        (f'password = "{SECRET_PASSWORD}"\n', "RC_USERNAME (username) is missing"),
    ],
)
def test_half_a_credential_pair(tmp_path: Path, lines: str, missing: str) -> None:
    assert missing in error(tmp_path, HEAD + lines)


def test_no_credentials_at_all(tmp_path: Path) -> None:
    message = error(tmp_path, HEAD)
    assert "RC_USER_ID + RC_AUTH_TOKEN" in message and "RC_USERNAME + RC_PASSWORD" in message


def test_a_malformed_secret_is_not_echoed(tmp_path: Path) -> None:
    message = error(tmp_path, HEAD + 'user_id = "u"\nauth_token = 1234567890\n')
    assert "[rocketchat] auth_token must be a non-empty string" in message
    assert "1234567890" not in message and "got ***" in message


def test_bad_toml_names_the_line_without_echoing_it(tmp_path: Path) -> None:
    message = error(tmp_path, HEAD + f'user_id = "u"\nauth_token = {TOKEN}\n')  # unquoted
    assert "is not valid TOML" in message
    assert "line 4" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as caught:
        load_settings(tmp_path / "nope.toml", {})
    message = str(caught.value)
    assert "nope.toml" in message and "config.example.toml" in message


def test_bad_zone(tmp_path: Path) -> None:
    message = error(tmp_path, PAT_FILE + '[bot]\ntimezone = "Mars/Olympus_Mons"\n')
    assert message == '[bot] timezone = "Mars/Olympus_Mons" is not a time zone; use an IANA name like "Europe/Berlin"'


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # zoneinfo raises IsADirectoryError, OSError (name too long) or ValueError for these, not ZoneInfoNotFoundError
        ("America", '"America" is a region, not a time zone; use an IANA name like "America/New_York"'),
        ("Etc", '"Etc" is a region, not a time zone; use an IANA name like "Etc/UTC"'),
        ("x" * 300, "is too long to be a time zone; use an IANA name like"),
        ("../etc/passwd", '"../etc/passwd" is not a time zone; use an IANA name like'),
        ("/etc/localtime", '"/etc/localtime" is not a time zone; use an IANA name like'),
        ("Europe/Berlin\\u0000", "is not a time zone"),
        ("zone.tab", '"zone.tab" is not a time zone'),
        ("", "is not a time zone"),
        (
            "europe/berlin",
            '"europe/berlin" is not a time zone (names are case-sensitive); use an IANA name like "Europe/Berlin"',
        ),
        ("Berlin", '"Berlin" is not a time zone; use an IANA name like "Europe/Berlin"'),
    ],
)
def test_a_zone_that_is_not_an_iana_name_is_a_config_error(tmp_path: Path, zone: str, expected: str) -> None:
    message = error(tmp_path, PAT_FILE + f'[bot]\ntimezone = "{zone}"\n')
    assert message.startswith("[bot] timezone = ") and expected in message


def test_a_digest_entry_zone_is_checked_when_the_file_is_read(tmp_path: Path) -> None:
    message = error(tmp_path, PAT_FILE + '[[digest]]\nname = "daily"\nroom = "r"\ntimezone = "America"\n')
    assert message == (
        "[[digest]] #1 ('daily'): timezone = \"America\" is a region, not a time zone; use an IANA name like "
        '"America/New_York"'
    )


def test_zone_names_from_people() -> None:
    from bot.config import UnknownTimeZone, zone_name

    assert zone_name("Europe/Berlin") == "Europe/Berlin"
    assert zone_name(" UTC ") == "UTC"
    with pytest.raises(UnknownTimeZone) as caught:
        zone_name("Etc")
    assert (caught.value.given, caught.value.suggestion) == ("Etc", "Etc/UTC")
    assert str(caught.value) == "'Etc' is a region, not a time zone; use an IANA name like 'Etc/UTC'"


@pytest.mark.parametrize(("ping", "silence"), [(30, 30), (30, 20)])
def test_silence_timeout_must_exceed_ping_interval(tmp_path: Path, ping: int, silence: int) -> None:
    message = error(tmp_path, PAT_FILE + f"[realtime]\nping_interval = {ping}\nsilence_timeout = {silence}\n")
    assert "silence_timeout" in message and "ping_interval" in message
    assert "for example ping_interval = 20 and silence_timeout = 35" in message


@pytest.mark.parametrize(
    ("section", "line", "expected"),
    [
        ("rocketchat", "timeout = 0", "[rocketchat] timeout must be a positive number of seconds"),
        ("rocketchat", 'timeout = "fast"', "[rocketchat] timeout must be a positive number of seconds"),
        ("bot", "concurrency = 1.5", "[bot] concurrency must be a whole number of at least 1"),
        ("bot", "concurrency = true", "[bot] concurrency must be a whole number of at least 1"),
        ("bot", 'respond_to_bots = "yes"', "[bot] respond_to_bots must be true or false"),
        ("bot", 'prefix = "! "', "[bot] prefix must be one to three non-space characters"),
        ("bot", 'log_level = "LOUD"', "[bot] log_level must be one of DEBUG, INFO, WARNING, ERROR"),
        ("access", 'allowed_users = "maria"', "[access] allowed_users must be a list of names"),
        ("access", 'permission = ""', "[access] permission must be a non-empty string"),
    ],
)
def test_malformed_values_name_the_key_with_an_example(tmp_path: Path, section: str, line: str, expected: str) -> None:
    key = line.split(" = ")[0]
    if section == "rocketchat":
        text = PAT_FILE.replace("[rocketchat]\n", f"[rocketchat]\n{line}\n")
    else:
        text = PAT_FILE + f"[{section}]\n{line}\n"
    message = error(tmp_path, text)
    assert message.startswith(expected)
    assert f"for example: {key} = " in message


def test_the_example_config_documents_every_key_and_loads() -> None:
    """config.example.toml is what operators copy: it must load and mention every key the bot reads."""
    import tomllib
    from pathlib import Path

    from bot import config
    from bot.config.loading import _KEYS

    example = Path(__file__).parents[1] / "config.example.toml"
    text = example.read_text(encoding="utf-8")
    for section, key in _KEYS:
        assert f"[{section}]" in text
        assert f"{key} =" in text, f"config.example.toml does not document [{section}] {key}"
    settings = config.load_settings(example, env={"RC_USER_ID": "u1", "RC_AUTH_TOKEN": "t" * 20})
    assert settings.url == tomllib.loads(text)["rocketchat"]["url"]


def test_digest_entries_are_read_and_checked(tmp_path: Path) -> None:
    from bot.config import DigestEntry

    good = tmp_path / "good.toml"
    good.write_text(
        '[rocketchat]\nurl = "https://chat.example.com"\n[digests]\ngrace_minutes = 30\n'
        '[[digest]]\nname = "daily"\nroom = "#omnichannel-managers"\ndepartments = ["Sales"]\n'
    )
    settings = load_settings(good, env={"RC_USER_ID": "u1", "RC_AUTH_TOKEN": "t" * 20})
    assert settings.digests == (DigestEntry(name="daily", room="#omnichannel-managers", departments=("Sales",)),)
    assert settings.digest_grace == 1800.0

    def problem(body: str) -> str:
        bad = tmp_path / "bad.toml"
        bad.write_text('[rocketchat]\nurl = "https://chat.example.com"\n' + body)
        with pytest.raises(ConfigError) as caught:
            load_settings(bad, env={"RC_USER_ID": "u1", "RC_AUTH_TOKEN": "t" * 20})
        return str(caught.value)

    assert "'room' is required" in problem('[[digest]]\nname = "x"\n')
    assert "unknown key 'tme' (did you mean 'time'?)" in problem('[[digest]]\nname = "x"\nroom = "r"\ntme = "9"\n')
    assert "'departments' must be a list of strings" in problem(
        '[[digest]]\nname = "x"\nroom = "r"\ndepartments = "Sales"\n'
    )
    assert "used twice" in problem('[[digest]]\nname = "x"\nroom = "r"\n[[digest]]\nname = "x"\nroom = "s"\n')
    assert "digests are written as [[digest]] tables" in problem('[digest]\nname = "x"\n')


def test_every_problem_in_the_file_is_reported_at_once(tmp_path: Path) -> None:
    """check stopped at the first malformed key, so fixing a config took one run per mistake."""
    path = tmp_path / "config.toml"
    path.write_text('[bot]\nprefix = ""\ntimezone = "America"\ncolour = "red"\n[dates]\nmax_days = 0\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={"RC_URL": "https://chat.example.com"})
    message = str(caught.value)
    assert message.startswith("4 problems in the configuration:\n- ")
    for part in ("[bot] prefix", "America", "colour", "[dates] max_days"):
        assert part in message


def test_answer_ages_and_charts_are_read_and_default_to_rocket_chats_own_caches(tmp_path: Path) -> None:
    from bot.analytics.sharing import Ages

    defaults = load_settings(write(tmp_path, PAT_FILE), {})
    assert Ages.from_settings(defaults) == Ages(analytics=60, realtime=5, closed=600, departments=300)
    assert (defaults.charts_enabled, defaults.charts_warm_at_start) == (True, True)
    text = PAT_FILE + (
        "[analytics]\ncache_seconds = 0\nrealtime_cache_seconds = 2.5\nclosed_cache_seconds = 86400\n"
        "departments_cache_seconds = 30\n[charts]\nenabled = false\nwarm_at_start = false\n"
    )
    settings = load_settings(write(tmp_path, text), {})
    assert Ages.from_settings(settings) == Ages(analytics=0, realtime=2.5, closed=86400, departments=30)
    assert (settings.charts_enabled, settings.charts_warm_at_start) == (False, False)


NOT_A_NUMBER = "must be a number of seconds from 0 to 86400 (0: shared only while in flight)"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "cache_seconds = -1",
            "must be 0 or more seconds (0: shared only while in flight), for example: cache_seconds = 60; got -1",
        ),
        (
            "closed_cache_seconds = 86401",
            "must be at most 86400 seconds (a day), for example: closed_cache_seconds = 600; got 86401",
        ),
        (
            "realtime_cache_seconds = inf",
            "must be at most 86400 seconds (a day), for example: realtime_cache_seconds = 5; got inf",
        ),
        # true is an int to Python (bool subclasses int): refused like any other value that is not a number
        ("cache_seconds = true", f"{NOT_A_NUMBER}, for example: cache_seconds = 60; got True"),
        ("cache_seconds = nan", f"{NOT_A_NUMBER}, for example: cache_seconds = 60; got nan"),
        (
            'departments_cache_seconds = "300"',
            f"{NOT_A_NUMBER}, for example: departments_cache_seconds = 300; got '300'",
        ),
    ],
)
def test_a_bad_answer_age_names_the_key_what_is_wrong_and_an_example(tmp_path: Path, line: str, expected: str) -> None:
    key = line.split(" = ")[0]
    assert error(tmp_path, PAT_FILE + f"[analytics]\n{line}\n") == f"[analytics] {key} {expected}"


@pytest.mark.parametrize(
    ("table", "suggested"),
    [
        (
            "[analytics]\ncache_second = 60\n",
            "unknown key 'cache_second' in [analytics] (did you mean 'cache_seconds'?)",
        ),
        (
            "[charts]\nwarm_on_start = false\n",
            "unknown key 'warm_on_start' in [charts] (did you mean 'warm_at_start'?)",
        ),
    ],
)
def test_an_unknown_key_in_analytics_or_charts_suggests_the_right_one(
    tmp_path: Path, table: str, suggested: str
) -> None:
    assert error(tmp_path, PAT_FILE + table).startswith(suggested + "; known keys: ")


def test_a_charts_switch_must_be_true_or_false(tmp_path: Path) -> None:
    message = error(tmp_path, PAT_FILE + '[charts]\nenabled = "no"\n')
    assert message == "[charts] enabled must be true or false, for example: enabled = true; got 'no'"
