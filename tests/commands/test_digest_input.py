"""`!digest` with every argument typed wrong: each gets what was wrong and what would be right, never the apology.

Each case runs in a room that already has digest 1, so the id and preview paths are really taken (`"²".isdigit()`
is true, and `int("²")` raised only once there was a digest to compare with).
"""

from __future__ import annotations

import pytest

from bot.sandbox import Sandbox
from tests.commands.answering import APOLOGY, answering
from tests.mentions import mentions

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]

CASES = [
    # tz=: zoneinfo raised IsADirectoryError, OSError or ValueError for these
    (
        "!digest subscribe 09:00 tz=America",
        "`tz=America` is a region, not a time zone; use an IANA name like `tz=America/New_York`.",
    ),
    ("!digest subscribe 09:00 tz=Etc", "`tz=Etc` is a region, not a time zone; use an IANA name like `tz=Etc/UTC`."),
    (
        "!digest subscribe 09:00 tz=" + "x" * 300,
        "is too long to be a time zone; use an IANA name like `tz=Europe/Berlin`",
    ),
    ("!digest subscribe 09:00 tz=Europe/../Asia/Tokyo", "`tz=Europe/../Asia/Tokyo` is not a time zone"),
    ("!digest subscribe 09:00 tz=../../etc/passwd", "`tz=../../etc/passwd` is not a time zone"),
    ("!digest subscribe 09:00 tz=/etc/localtime", "`tz=/etc/localtime` is not a time zone"),
    ("!digest subscribe 09:00 tz=__pycache__", "is not a time zone"),
    (
        "!digest subscribe 09:00 tz=europe/berlin",
        "(names are case-sensitive); use an IANA name like `tz=Europe/Berlin`",
    ),
    ("!digest subscribe 09:00 tz=Berlin", "`tz=Berlin` is not a time zone; use an IANA name like `tz=Europe/Berlin`"),
    ("!digest subscribe 09:00 tz=@all", "is not a time zone"),
    ("!digest subscribe 09:00 tz=", "`tz=` needs a value"),
    # ids: digits that are not ASCII, and numbers past int()'s 4300-digit limit
    ("!digest pause ²", "`²` is not a digest number"),
    ("!digest resume ١", "`١` is not a digest number"),  # int("١") is 1: not what anyone typing it meant
    ("!digest unsubscribe ５", "`５` is not a digest number"),
    ("!digest now ²", "`²` is not a digest number"),
    ("!digest pause " + "9" * 5000, "There is no digest `999"),
    ("!digest pause 99999999999999999999", "There is no digest `99999999999999999999` in this room"),
    ("!digest pause -1", "`-1` is not a digest number"),
    # preview: a day that is not a date, or outside the calendar the schedule can represent
    ("!digest preview ²", "`²` is not a date; write it as YYYY-MM-DD."),
    ("!digest preview 1 ２０２４-03-06", "is not a date; write it as YYYY-MM-DD."),
    ("!digest preview 1 0001-01-01", "0001-01-01 is too long ago; preview a day from 2000-01-01 to today."),
    ("!digest preview 0001-01-01", "0001-01-01 is too long ago"),
    ("!digest preview 1 9999-12-31", "not due yet"),
    # times and days: what was typed is echoed as typed, in code spans that mention nobody
    ("!digest subscribe ０９:００", "cannot read `０９:００` as a time"),
    ("!digest subscribe 9", "is ambiguous without minutes or am/pm"),
    ("!digest subscribe 99999999999999999999:00", "as a time"),
    ("!digest subscribe @all", "cannot read `@all` as a time"),
    ("!digest subscribe 09:00 @all", "unknown day `@all`"),
    ("!digest subscribe 09:00 mon-mon", "starts and ends on the same day"),
    ("!digest subscribe 09:00 *mon*", "unknown day `*mon*`"),
    ("!digest subscribe 09:00 range=" + "9" * 5000, "too long for a date range"),
    ("!digest subscribe 09:00 dept=@here", "There is no department"),
    ("!digest @all", "is not a digest action"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[text[:50] for text, _ in CASES])
async def test_a_wrong_digest_argument_says_what_would_be_right(sb: Sandbox, text: str, expected: str) -> None:
    async with answering(sb) as answer:
        assert (await answer("!digest subscribe 09:00")).startswith("Digest `1` subscribed")
        reply = await answer(text)
    assert APOLOGY not in reply
    assert expected in reply
    assert "\nUsage: `!digest subscribe HH:MM" in reply  # the asker's mistake: the usage follows
    assert mentions(reply) == []  # echoed text never mentions anyone


async def test_a_valid_zone_is_stored_as_its_iana_name(sb: Sandbox) -> None:
    async with answering(sb) as answer:
        subscribed = await answer('!digest subscribe 07:30 daily tz=" Asia/Tokyo "')
        listing = await answer("!digest list")
    assert subscribed.startswith("Digest `1` subscribed: daily at 07:30 Asia/Tokyo")
    assert "daily at 07:30 Asia/Tokyo" in listing
