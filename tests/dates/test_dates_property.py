"""Properties of the date grammar for any text and any clock (conventions.md §5): a range within today and the
limit or a DateRangeError, never anything else; previous periods lie before and keep the length; labels of
dates read back to the same range. Kept fast for CI: a few hundred examples each, no deadline."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dates.calendar import CALENDAR_GRAINS, GRAINS, fmt_range, period_end
from bot.dates.grammar import DateRange, DateRangeError, parse_range, previous_period

ZONES = [ZoneInfo(z) for z in ("Europe/Berlin", "UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Kolkata")]
WORDS = [
    "today",
    "yesterday",
    "day",
    "before",
    "tomorrow",
    "this",
    "last",
    "past",
    "previous",
    "next",
    "week",
    "weekend",
    "month",
    "quarter",
    "year",
    "days",
    "weeks",
    "months",
    "years",
    "ago",
    "since",
    "from",
    "to",
    "until",
    "between",
    "and",
    "-",
    "–",
    "—",
    "..",
    "/",
    ".",
    "the",
    "in",
    "for",
    "during",
    "of",
    "so",
    "far",
    "ytd",
    "mtd",
    "qtd",
    "wtd",
    "q1",
    "q3",
    "q4",
    "q5",
    "w46",
    "w53",
    "week",
    "monday",
    "wednesday",
    "sun",
    "sat",
    "jan",
    "may",
    "nov",
    "november",
    "december",
    "feb",
    "1st",
    "2nd",
    "3rd",
    "hours",
    "h",
    "d",
    "w",
    "m",
    "y",
    "2024",
    "2025",
    "2026",
    "2027",
    "0",
    "1",
    "3",
    "7",
    "12",
    "13",
    "29",
    "30",
    "31",
    "46",
    "53",
    "500",
    "2026-11-01",
    "2026-w46",
    "2025-w01",
    "01/05/2026",
    "5.11.2026",
]

# hypothesis takes naive bounds and attaches the zones itself
NEAR = (datetime(1990, 1, 1), datetime(2100, 12, 31))  # noqa: DTZ001
WIDE = (datetime(2, 1, 1), datetime(9998, 12, 31))  # noqa: DTZ001
nows = st.one_of(*(st.datetimes(*bounds, timezones=st.sampled_from(ZONES)) for bounds in (NEAR, WIDE)))
phrases = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(WORDS), st.integers(0, 100_000).map(str)),
        st.sampled_from([" ", " ", " ", "", "-", " - ", "/", "."]),
    ),
    max_size=6,
).map(lambda parts: "".join(word + sep for word, sep in parts).strip())
# Phrases shaped like the grammar, filled with random values, so the resolvers see odd numbers and dates.
numbers = st.one_of(st.integers(0, 400).map(str), st.sampled_from(["a", "two", "twelve", "999999"]))
units = st.sampled_from(["day", "days", "week", "weeks", "month", "months", "quarter", "year", "d", "w", "m", "y"])
years = st.one_of(st.integers(1985, 2105), st.integers(1, 9999)).map(lambda y: f"{y:04d}")
maybe_year = st.one_of(st.just(""), years)
months = st.sampled_from(["jan", "feb", "may", "june", "sept", "november", "dec"])
days = st.integers(0, 32).map(str)
dates_near = st.dates(date(1985, 1, 1), date(2105, 12, 31)) | st.dates()
single = st.one_of(
    st.builds("{} {} {}".format, st.sampled_from(["last", "past", ""]), numbers, units),
    st.builds("{} {} ago".format, numbers, units),
    st.builds("q{} {}".format, st.integers(0, 5), maybe_year),
    st.builds("{} {}".format, months, maybe_year),
    st.builds("{} {} {}".format, days, months, maybe_year),
    st.builds("{} {} {}".format, months, days, maybe_year),
    st.builds("week {} {}".format, st.integers(0, 54), maybe_year),
    st.builds("{}-w{}".format, years, st.integers(0, 54)),
    st.builds("{}/{}/{}".format, days, days, years),
    st.builds("{}.{}.{}".format, days, days, years),
    st.builds("{}/{}".format, days, days),
    dates_near.map(date.isoformat),
    dates_near.map(lambda x: fmt_range(x, x)),
    years,
    st.sampled_from(WORDS),
)
grammar = st.one_of(
    single,
    st.builds("since {}".format, single),
    st.builds("from {} to {}".format, single, single),
    st.builds("{} - {}".format, single, single),
    st.builds("{}..{}".format, single, single),
    st.builds("between {} and {}".format, single, single),
)
texts = st.one_of(grammar, phrases, st.text(max_size=40))
options = st.fixed_dictionaries(
    {
        "tz": st.sampled_from(ZONES),
        "week_start": st.sampled_from(["monday", "sunday"]),
        "date_order": st.sampled_from([None, "DMY", "MDY", "YMD"]),
        "max_days": st.sampled_from([1, 7, 31, 366]),
    }
)
FAST = settings(max_examples=300, deadline=None)


def parse_or_none(text: str, now: datetime, opts: dict[str, object]) -> DateRange | None:
    """The range, or None for a DateRangeError; any other exception fails the property."""
    try:
        return parse_range(text, now=now, **opts)  # type: ignore[arg-type]
    except DateRangeError as exc:
        assert str(exc).strip()
        return None


def today_in(now: datetime, opts: dict[str, object]) -> date:
    tz = opts["tz"]
    assert isinstance(tz, ZoneInfo)
    return now.astimezone(tz).date()


@FAST
@given(texts, nows, options)
def test_any_text_gives_a_range_up_to_today_or_a_date_range_error(
    text: str, now: datetime, opts: dict[str, object]
) -> None:
    r = parse_or_none(text, now, opts)
    if r is None:
        return
    today = today_in(now, opts)
    assert r.start <= r.end <= today
    assert 1 <= r.days <= opts["max_days"]  # type: ignore[operator]
    assert r.partial == (r.end == today)
    assert r.grain in GRAINS and r.label.strip()


@FAST
@given(texts, nows, options)
def test_previous_period_lies_before_and_keeps_the_length(text: str, now: datetime, opts: dict[str, object]) -> None:
    r = parse_or_none(text, now, opts)
    if r is None:
        return
    try:
        p = previous_period(r)
    except DateRangeError:
        assert r.start.year == 1  # nothing before the start of the calendar
        return
    assert p.start <= p.end < r.start
    assert p.label.strip()
    if r.grain in CALENDAR_GRAINS and not r.partial:
        assert p.grain == r.grain and p.end == period_end(r.grain, p.start)
    elif r.grain in CALENDAR_GRAINS:  # a period cut at today: as many days, but never past the previous period
        assert p.days == r.days or (p.days < r.days and p.end == r.start - timedelta(days=1))
    else:
        assert p.days == r.days
        assert p.rolling == r.rolling


@FAST
@given(texts, nows, options)
def test_a_date_label_reads_back_as_the_same_range(text: str, now: datetime, opts: dict[str, object]) -> None:
    r = parse_or_none(text, now, opts)
    if r is None:
        return
    again = parse_range(fmt_range(r.start, r.end), now=now, **opts)  # type: ignore[arg-type]
    assert (again.start, again.end) == (r.start, r.end)


@FAST
@given(st.one_of(grammar, phrases), nows, options)
def test_case_and_spacing_do_not_matter(text: str, now: datetime, opts: dict[str, object]) -> None:
    a, b = parse_or_none(text, now, opts), parse_or_none(f"  {text.upper()}  ".replace(" ", "   "), now, opts)
    assert (a.start, a.end) == (b.start, b.end) if a and b else a is b is None
