"""Digest schedules (conventions.md §3): exact instants in UTC around DST changes in both hemispheres, weekday
filters judged on the local date, month and year ends, zones far from UTC, catching up after downtime, the chat
vocabulary for times and days, and a property that a schedule never fires a local date twice nor skips one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.digests.next_run import (
    WEEKDAYS,
    WORKDAYS,
    describe,
    last_run,
    next_run,
    occurrence,
    parse_time,
    parse_weekdays,
    runs_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")
NEW_YORK = ZoneInfo("America/New_York")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KIRITIMATI = ZoneInfo("Pacific/Kiritimati")  # UTC+14: the first place to reach a new date
PAGO_PAGO = ZoneInfo("Pacific/Pago_Pago")  # UTC−11: one of the last
WEEKEND = frozenset({5, 6})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def local(tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


# --- occurrence: one local date, one instant -------------------------------------------------------------------------

OCCURRENCES = [
    # Europe/Berlin springs forward 2026-03-29 02:00 CET → 03:00 CEST and falls back 2026-10-25 03:00 CEST → 02:00 CET.
    ("Europe/Berlin", date(2026, 3, 28), time(8), utc(2026, 3, 28, 7)),
    ("Europe/Berlin", date(2026, 3, 29), time(8), utc(2026, 3, 29, 6)),
    ("Europe/Berlin", date(2026, 3, 30), time(8), utc(2026, 3, 30, 6)),
    ("Europe/Berlin", date(2026, 10, 24), time(8), utc(2026, 10, 24, 6)),
    ("Europe/Berlin", date(2026, 10, 25), time(8), utc(2026, 10, 25, 7)),
    ("Europe/Berlin", date(2026, 10, 26), time(8), utc(2026, 10, 26, 7)),
    ("Europe/Berlin", date(2026, 3, 28), time(2, 30), utc(2026, 3, 28, 1, 30)),
    ("Europe/Berlin", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1)),  # no 02:30: fires at 03:00 CEST
    ("Europe/Berlin", date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1)),  # the gap's first minute
    ("Europe/Berlin", date(2026, 3, 29), time(2, 59, 59, 999999), utc(2026, 3, 29, 1)),  # and its last moment
    ("Europe/Berlin", date(2026, 3, 29), time(3, 0), utc(2026, 3, 29, 1)),  # shares the instant, on its own date
    ("Europe/Berlin", date(2026, 3, 29), time(1, 59), utc(2026, 3, 29, 0, 59)),
    ("Europe/Berlin", date(2026, 3, 30), time(2, 30), utc(2026, 3, 30, 0, 30)),
    ("Europe/Berlin", date(2026, 10, 24), time(2, 30), utc(2026, 10, 24, 0, 30)),
    ("Europe/Berlin", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),  # 02:30 twice: the first, CEST
    ("Europe/Berlin", date(2026, 10, 25), time(3, 0), utc(2026, 10, 25, 2)),
    ("Europe/Berlin", date(2026, 10, 26), time(2, 30), utc(2026, 10, 26, 1, 30)),
    # Australia/Sydney, the other hemisphere: DST ends 2026-04-05 03:00 AEDT → 02:00 AEST, starts 2026-10-04
    # 02:00 AEST → 03:00 AEDT. Local mornings are the previous UTC day.
    ("Australia/Sydney", date(2026, 4, 4), time(8), utc(2026, 4, 3, 21)),
    ("Australia/Sydney", date(2026, 4, 5), time(8), utc(2026, 4, 4, 22)),
    ("Australia/Sydney", date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30)),  # twice: the first, AEDT
    ("Australia/Sydney", date(2026, 4, 6), time(2, 30), utc(2026, 4, 5, 16, 30)),
    ("Australia/Sydney", date(2026, 10, 3), time(8), utc(2026, 10, 2, 22)),
    ("Australia/Sydney", date(2026, 10, 4), time(8), utc(2026, 10, 3, 21)),
    ("Australia/Sydney", date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16)),  # no 02:30: 03:00 AEDT
    ("Australia/Sydney", date(2026, 10, 5), time(2, 30), utc(2026, 10, 4, 15, 30)),
    # Australia/Lord_Howe shifts by half an hour: 02:00 → 02:30 on 2026-10-04, 02:00 → 01:30 on 2026-04-05.
    ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 30)),
    ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),
    # America/New_York: 2026-03-08 02:00 EST → 03:00 EDT, 2026-11-01 02:00 EDT → 01:00 EST.
    ("America/New_York", date(2026, 3, 7), time(8), utc(2026, 3, 7, 13)),
    ("America/New_York", date(2026, 3, 8), time(8), utc(2026, 3, 8, 12)),
    ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7)),  # no 02:30: 03:00 EDT
    ("America/New_York", date(2026, 10, 31), time(8), utc(2026, 10, 31, 12)),
    ("America/New_York", date(2026, 11, 1), time(8), utc(2026, 11, 1, 13)),
    ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),  # twice: the first, EDT
    ("America/New_York", date(2026, 11, 2), time(1, 30), utc(2026, 11, 2, 6, 30)),
    # America/Sao_Paulo has had no DST since 2019 (abolished by decree): 2026 is plain −03 all year. Its DST era
    # changed clocks at midnight: 2018-11-04 00:00 → 01:00 (00:30 does not exist) and 2019-02-17 00:00 → 23:00 on
    # the 16th (23:30 on 2019-02-16 happens twice).
    ("America/Sao_Paulo", date(2018, 11, 4), time(0, 30), utc(2018, 11, 4, 3)),  # 01:00 −02
    ("America/Sao_Paulo", date(2018, 11, 4), time(8), utc(2018, 11, 4, 10)),
    ("America/Sao_Paulo", date(2018, 11, 3), time(0, 30), utc(2018, 11, 3, 3, 30)),
    ("America/Sao_Paulo", date(2019, 2, 16), time(23, 30), utc(2019, 2, 17, 1, 30)),  # twice: the first, −02
    ("America/Sao_Paulo", date(2019, 2, 17), time(0, 30), utc(2019, 2, 17, 3, 30)),
    ("America/Sao_Paulo", date(2026, 11, 1), time(8), utc(2026, 11, 1, 11)),
    ("America/Sao_Paulo", date(2026, 2, 15), time(8), utc(2026, 2, 15, 11)),
    # Pacific/Apia skipped 2011-12-30 entirely (−10 → +14): that date's run fires when the clocks jump.
    ("Pacific/Apia", date(2011, 12, 30), time(10), utc(2011, 12, 30, 10)),
]


@pytest.mark.parametrize(("zone", "day", "at", "expected"), OCCURRENCES)
def test_occurrence_is_the_exact_instant(zone: str, day: date, at: time, expected: datetime) -> None:
    tz = ZoneInfo(zone)
    run = occurrence(day, at=at, tz=tz)
    assert run == expected
    assert run.tzinfo is UTC  # exact comparisons: see test_results_are_utc_so_equality_is_exact


def test_results_are_utc_so_equality_is_exact() -> None:
    """Why UTC: Python never treats an ambiguous local time as equal to an instant in another zone (PEP 495), and
    compares two times of the same zone by wall clock, ignoring fold."""
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
    assert first != utc(2026, 10, 25, 0, 30)  # the pitfall a zone-local result would carry
    assert first == first.replace(fold=1)  # although they are an hour apart
    assert occurrence(date(2026, 10, 25), at=time(2, 30), tz=BERLIN) == utc(2026, 10, 25, 0, 30)
    after = datetime(2026, 10, 25, 2, 15, fold=1, tzinfo=BERLIN)  # 01:15Z, after the first 02:30
    assert next_run(after, at=time(2, 30), tz=BERLIN) == utc(2026, 10, 26, 1, 30)
    assert last_run(after, at=time(2, 30), tz=BERLIN) == utc(2026, 10, 25, 0, 30)


def test_occurrence_ignores_fold_and_never_picks_the_second_reading() -> None:
    assert occurrence(date(2026, 10, 25), at=time(2, 30, fold=1), tz=BERLIN) == utc(2026, 10, 25, 0, 30)


def test_occurrence_in_a_gap_is_not_the_old_offset_reading() -> None:
    """The APScheduler 3 reading (02:30+01:00 = 03:30 CEST) would be half an hour after the clocks jumped."""
    run = occurrence(date(2026, 3, 29), at=time(2, 30), tz=BERLIN)
    assert run == local(BERLIN, 2026, 3, 29, 3, 0)
    assert run < datetime.combine(date(2026, 3, 29), time(2, 30), tzinfo=BERLIN)


# --- next_run --------------------------------------------------------------------------------------------------------

NEXT_RUNS = [
    # Daily 08:00 Berlin across both DST changes: 23 h and 25 h apart, same wall clock.
    (utc(2026, 3, 28, 7), time(8), BERLIN, WEEKDAYS, utc(2026, 3, 29, 6)),
    (utc(2026, 3, 29, 6), time(8), BERLIN, WEEKDAYS, utc(2026, 3, 30, 6)),
    (utc(2026, 10, 24, 6), time(8), BERLIN, WEEKDAYS, utc(2026, 10, 25, 7)),
    (utc(2026, 10, 25, 7), time(8), BERLIN, WEEKDAYS, utc(2026, 10, 26, 7)),
    # 02:30 Berlin: the gap day fires once at 03:00 CEST, the doubled day once at the first 02:30.
    (utc(2026, 3, 28, 1, 30), time(2, 30), BERLIN, WEEKDAYS, utc(2026, 3, 29, 1)),
    (utc(2026, 3, 29, 0, 59, 59), time(2, 30), BERLIN, WEEKDAYS, utc(2026, 3, 29, 1)),
    (utc(2026, 3, 29, 1), time(2, 30), BERLIN, WEEKDAYS, utc(2026, 3, 30, 0, 30)),
    (utc(2026, 10, 24, 0, 30), time(2, 30), BERLIN, WEEKDAYS, utc(2026, 10, 25, 0, 30)),
    (utc(2026, 10, 25, 0, 30), time(2, 30), BERLIN, WEEKDAYS, utc(2026, 10, 26, 1, 30)),  # not the 2nd 02:30
    (utc(2026, 10, 25, 1), time(2, 30), BERLIN, WEEKDAYS, utc(2026, 10, 26, 1, 30)),  # 02:00 CET, between the two
    # Strictly after: the instant of a run gives the following one; a microsecond before gives the run itself.
    (utc(2026, 11, 18, 8), time(9), BERLIN, WEEKDAYS, utc(2026, 11, 19, 8)),
    (utc(2026, 11, 18, 7, 59, 59, 999999), time(9), BERLIN, WEEKDAYS, utc(2026, 11, 18, 8)),
    # Weekdays only across a weekend: Fri 2026-11-20 08:00 → Mon 2026-11-23 08:00.
    (utc(2026, 11, 20, 7), time(8), BERLIN, WORKDAYS, utc(2026, 11, 23, 7)),
    (utc(2026, 11, 21, 12), time(8), BERLIN, WORKDAYS, utc(2026, 11, 23, 7)),
    (utc(2026, 11, 20, 6, 59), time(8), BERLIN, WORKDAYS, utc(2026, 11, 20, 7)),
    (utc(2026, 11, 20, 7), time(8), BERLIN, WEEKEND, utc(2026, 11, 21, 7)),
    (utc(2026, 11, 22, 7), time(8), BERLIN, WEEKEND, utc(2026, 11, 28, 7)),
    (utc(2026, 11, 23, 7), time(8), BERLIN, frozenset({0}), utc(2026, 11, 30, 7)),  # weekly: a full week on
    # Ends of month and year, and a leap day.
    (utc(2026, 12, 31, 7), time(8), BERLIN, WEEKDAYS, utc(2027, 1, 1, 7)),
    (utc(2026, 1, 31, 7), time(8), BERLIN, WEEKDAYS, utc(2026, 2, 1, 7)),
    (utc(2028, 2, 28, 7), time(8), BERLIN, WEEKDAYS, utc(2028, 2, 29, 7)),
    (utc(2028, 2, 29, 7), time(8), BERLIN, WEEKDAYS, utc(2028, 3, 1, 7)),
    (utc(2027, 2, 28, 7), time(8), BERLIN, WEEKDAYS, utc(2027, 3, 1, 7)),
    (utc(2026, 12, 31, 22, 59), time(23, 59), BERLIN, WEEKDAYS, utc(2027, 1, 1, 22, 59)),
    (utc(2026, 12, 31, 23), time(0, 0), BERLIN, WEEKDAYS, utc(2027, 1, 1, 23)),  # local midnight of 2027-01-02
    # The other hemisphere and New York around their changes.
    (utc(2026, 4, 4, 15, 30), time(2, 30), SYDNEY, WEEKDAYS, utc(2026, 4, 5, 16, 30)),  # no second 02:30
    (utc(2026, 10, 3, 15), time(2, 30), SYDNEY, WEEKDAYS, utc(2026, 10, 3, 16)),
    (utc(2026, 3, 7, 13), time(8), NEW_YORK, WEEKDAYS, utc(2026, 3, 8, 12)),
    (utc(2026, 11, 1, 5, 30), time(1, 30), NEW_YORK, WEEKDAYS, utc(2026, 11, 2, 6, 30)),
    (utc(2019, 2, 17, 1, 30), time(23, 30), SAO_PAULO, WEEKDAYS, utc(2019, 2, 18, 2, 30)),  # not 02:30Z too
    # Kiritimati (+14): 12:00Z on Sunday 2026-11-22 is already Monday 02:00 there, so a weekday digest at 09:00
    # fires the same UTC Sunday; one at 01:00 has passed for Monday and waits for Tuesday.
    (utc(2026, 11, 22, 12), time(9), KIRITIMATI, WORKDAYS, utc(2026, 11, 22, 19)),
    (utc(2026, 11, 22, 12), time(1), KIRITIMATI, WORKDAYS, utc(2026, 11, 23, 11)),
    # A weekend digest there fires on a UTC Friday (Saturday 09:00 +14 = Friday 19:00Z).
    (utc(2026, 11, 20, 12), time(9), KIRITIMATI, WEEKEND, utc(2026, 11, 20, 19)),
    # Pago Pago (−11): 05:00Z on Monday 2026-11-23 is still Sunday 18:00 there.
    (utc(2026, 11, 23, 5), time(20), PAGO_PAGO, WORKDAYS, utc(2026, 11, 24, 7)),  # Monday 20:00 local
    (utc(2026, 11, 23, 5), time(20), PAGO_PAGO, WEEKEND, utc(2026, 11, 23, 7)),  # Sunday 20:00 local, UTC Monday
    (utc(2026, 11, 23, 5), time(20), PAGO_PAGO, WEEKDAYS, utc(2026, 11, 23, 7)),
    (utc(2026, 12, 31, 23), time(8), PAGO_PAGO, WEEKDAYS, utc(2027, 1, 1, 19)),  # 2027 in UTC, 2026 there
]


@pytest.mark.parametrize(("after", "at", "tz", "weekdays", "expected"), NEXT_RUNS)
def test_next_run(after: datetime, at: time, tz: ZoneInfo, weekdays: frozenset[int], expected: datetime) -> None:
    run = next_run(after, at=at, tz=tz, weekdays=weekdays)
    assert run == expected
    assert run.tzinfo is UTC
    assert run.astimezone(tz).weekday() in weekdays


def test_next_run_does_not_depend_on_the_zone_of_after() -> None:
    instant = utc(2026, 11, 22, 12)
    for zone in (UTC, BERLIN, KIRITIMATI, PAGO_PAGO, NEW_YORK):
        assert next_run(instant.astimezone(zone), at=time(9), tz=KIRITIMATI, weekdays=WORKDAYS) == utc(2026, 11, 22, 19)


def test_next_run_accepts_a_plain_set() -> None:
    assert next_run(utc(2026, 11, 20, 7), at=time(8), tz=BERLIN, weekdays={0, 1, 2, 3, 4}) == utc(2026, 11, 23, 7)


def test_a_fall_back_day_fires_once_and_a_spring_forward_day_is_not_skipped() -> None:
    runs = list(runs_between(utc(2026, 3, 27), utc(2026, 3, 31), at=time(2, 30), tz=BERLIN))
    assert runs == [
        (date(2026, 3, 27), utc(2026, 3, 27, 1, 30)),
        (date(2026, 3, 28), utc(2026, 3, 28, 1, 30)),
        (date(2026, 3, 29), utc(2026, 3, 29, 1)),
        (date(2026, 3, 30), utc(2026, 3, 30, 0, 30)),
    ]
    runs = list(runs_between(utc(2026, 10, 24), utc(2026, 10, 27), at=time(2, 30), tz=BERLIN))
    assert [day for day, _ in runs] == [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
    assert runs[1][1] == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"after": datetime(2026, 11, 18, 9)}, "naive"),  # noqa: DTZ001 - the naive value under test
        ({"at": time(9, tzinfo=UTC)}, "without tzinfo"),
        ({"weekdays": frozenset()}, "at least one weekday"),
        ({"weekdays": {7}}, "0 \\(Monday\\) to 6"),
        ({"weekdays": {-1, 3}}, "got -1"),
        ({"weekdays": {True}}, "got True"),
    ],
)
def test_next_and_last_run_refuse_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"at": time(9), "tz": BERLIN, "weekdays": WORKDAYS}
    instant = kwargs.pop("after", utc(2026, 11, 18, 9))
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        next_run(instant, **args)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        last_run(instant, **args)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        list(runs_between(instant, utc(2026, 12, 1), **args))  # type: ignore[arg-type]


def test_occurrence_and_describe_refuse_an_aware_time() -> None:
    with pytest.raises(ValueError, match="without tzinfo"):
        occurrence(date(2026, 11, 18), at=time(9, tzinfo=UTC), tz=BERLIN)
    with pytest.raises(ValueError, match="without tzinfo"):
        describe(time(9, tzinfo=UTC), BERLIN, WEEKDAYS)


# --- last_run and downtime -------------------------------------------------------------------------------------------

LAST_RUNS = [
    # Wednesday 09:20 Berlin with a 09:00 weekday digest: today's 09:00.
    (local(BERLIN, 2026, 11, 18, 9, 20), time(9), BERLIN, WORKDAYS, utc(2026, 11, 18, 8)),
    # Inclusive: at exactly 09:00 that run is due.
    (local(BERLIN, 2026, 11, 18, 9, 0), time(9), BERLIN, WORKDAYS, utc(2026, 11, 18, 8)),
    (local(BERLIN, 2026, 11, 18, 8, 59), time(9), BERLIN, WORKDAYS, utc(2026, 11, 17, 8)),
    # Saturday and Monday before 09:00: Friday's.
    (local(BERLIN, 2026, 11, 21, 9, 20), time(9), BERLIN, WORKDAYS, utc(2026, 11, 20, 8)),
    (local(BERLIN, 2026, 11, 23, 8, 59), time(9), BERLIN, WORKDAYS, utc(2026, 11, 20, 8)),
    (local(BERLIN, 2026, 11, 21, 9, 20), time(9), BERLIN, WEEKDAYS, utc(2026, 11, 21, 8)),
    # After the second 02:30 of the fall-back day, the run was still the first one.
    (utc(2026, 10, 25, 1, 45), time(2, 30), BERLIN, WEEKDAYS, utc(2026, 10, 25, 0, 30)),
    # During the spring gap, before the clocks jump, the last run was yesterday's.
    (utc(2026, 3, 29, 0, 59), time(2, 30), BERLIN, WEEKDAYS, utc(2026, 3, 28, 1, 30)),
    (utc(2026, 3, 29, 1), time(2, 30), BERLIN, WEEKDAYS, utc(2026, 3, 29, 1)),
    # New year across zones: Kiritimati's Friday 2027-01-01 09:00 was UTC's 2026-12-31 19:00.
    (utc(2026, 12, 31, 20), time(9), KIRITIMATI, WORKDAYS, utc(2026, 12, 31, 19)),
    (utc(2027, 1, 1, 6), time(20), PAGO_PAGO, WORKDAYS, utc(2027, 1, 1, 7) - timedelta(days=1)),
]


@pytest.mark.parametrize(("instant", "at", "tz", "weekdays", "expected"), LAST_RUNS)
def test_last_run(instant: datetime, at: time, tz: ZoneInfo, weekdays: frozenset[int], expected: datetime) -> None:
    run = last_run(instant, at=at, tz=tz, weekdays=weekdays)
    assert run == expected
    assert run is not None
    assert run.tzinfo is UTC


def test_last_run_is_none_only_before_the_calendar_starts() -> None:
    assert last_run(datetime.min.replace(tzinfo=UTC), at=time(9), tz=BERLIN, weekdays=WEEKDAYS) is None
    assert last_run(datetime.min.replace(tzinfo=UTC), at=time(9), tz=PAGO_PAGO, weekdays=WEEKDAYS) is None


def test_downtime_scenarios_from_the_conventions() -> None:
    """The scheduler decides late/skip by grace and stored dates; these are the instants it decides on."""
    at, weekdays = time(8), WEEKDAYS
    # Down 07:50–08:20: exactly one run fell in the outage, 08:00, and it is the last one at 08:20.
    outage = list(
        runs_between(local(BERLIN, 2026, 11, 18, 7, 50), local(BERLIN, 2026, 11, 18, 8, 20), at=at, tz=BERLIN)
    )
    assert outage == [(date(2026, 11, 18), utc(2026, 11, 18, 7))]
    assert last_run(local(BERLIN, 2026, 11, 18, 8, 20), at=at, tz=BERLIN, weekdays=weekdays) == utc(2026, 11, 18, 7)
    # Down until 11:00: the last run is three hours old, beyond a 2 h grace.
    missed = last_run(local(BERLIN, 2026, 11, 18, 11), at=at, tz=BERLIN, weekdays=weekdays)
    assert missed is not None
    assert local(BERLIN, 2026, 11, 18, 11) - missed == timedelta(hours=3)
    # Restart at 08:05 after the 08:00 send: nothing between the send and now, and the next run is tomorrow.
    sent = utc(2026, 11, 18, 7)
    assert list(runs_between(sent, local(BERLIN, 2026, 11, 18, 8, 5), at=at, tz=BERLIN)) == []
    assert next_run(sent, at=at, tz=BERLIN) == utc(2026, 11, 19, 7)


def test_runs_between_a_long_outage_lists_each_allowed_local_date_once() -> None:
    runs = list(runs_between(utc(2026, 11, 19, 12), utc(2026, 11, 24, 12), at=time(9), tz=BERLIN, weekdays=WORKDAYS))
    assert runs == [
        (date(2026, 11, 20), utc(2026, 11, 20, 8)),
        (date(2026, 11, 23), utc(2026, 11, 23, 8)),
        (date(2026, 11, 24), utc(2026, 11, 24, 8)),
    ]
    assert list(runs_between(utc(2026, 11, 24), utc(2026, 11, 20), at=time(9), tz=BERLIN)) == []


def test_runs_between_keeps_the_scheduled_date_of_a_skipped_day() -> None:
    """Samoa skipped 2011-12-30; its run fires as the clocks jump and is recorded under the 30th, once."""
    apia = ZoneInfo("Pacific/Apia")
    runs = list(runs_between(utc(2011, 12, 28), utc(2012, 1, 1), at=time(10), tz=apia))
    days = [date(2011, 12, 28), date(2011, 12, 29), date(2011, 12, 30), date(2011, 12, 31), date(2012, 1, 1)]
    assert [day for day, _ in runs] == days  # UTC 2012-01-01 00:00 is already 14:00 on the 1st there
    assert runs[2][1] == local(apia, 2011, 12, 31, 0, 0)
    assert runs[3][1] == local(apia, 2011, 12, 31, 10, 0)
    # At 00:00 the 30th's run and the 31st's coincide: one send, recorded under the 30th.
    runs = list(runs_between(utc(2011, 12, 29), utc(2011, 12, 31), at=time(0), tz=apia))
    assert runs == [(date(2011, 12, 29), utc(2011, 12, 29, 10)), (date(2011, 12, 30), utc(2011, 12, 30, 10))]
    assert next_run(utc(2011, 12, 30, 10), at=time(0), tz=apia) == local(apia, 2012, 1, 1, 0, 0)


# --- parse_time ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00", time(9)),
        ("9:00", time(9)),
        ("9am", time(9)),
        ("9 am", time(9)),
        ("9AM", time(9)),
        ("9 a.m.", time(9)),
        ("21:30", time(21, 30)),
        ("9.30", time(9, 30)),
        ("9h30", time(9, 30)),
        ("9:30pm", time(21, 30)),
        ("9.30 PM", time(21, 30)),
        ("12am", time(0)),
        ("12:15am", time(0, 15)),
        ("12pm", time(12)),
        ("12:45 pm", time(12, 45)),
        ("00:00", time(0)),
        ("0:05", time(0, 5)),
        ("23:59", time(23, 59)),
        ("  07:45  ", time(7, 45)),
        ("noon", time(12)),
        ("Midnight", time(0)),
    ],
)
def test_parse_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected
    assert parse_time(text).tzinfo is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no time given"),
        ("   ", "no time given"),
        ("9", "ambiguous without minutes or am/pm: write 09:00 or 9am/pm"),
        ("21", "ambiguous"),
        ("24:00", "write midnight as 00:00"),
        ("25:00", "hours must be 00–23"),
        ("9:60", "minutes must be 00–59"),
        ("9:5", "cannot read `9:5` as a time"),
        ("13pm", "with am/pm the hour must be 1–12"),
        ("0am", "with am/pm the hour must be 1–12"),
        ("0930", "cannot read"),
        ("09:00:30", "cannot read"),
        ("nine", "cannot read `nine` as a time: use 24-hour HH:MM like 09:00"),
        ("9m", "cannot read"),
        ("٩:٠٠", "cannot read"),  # Arabic-Indic digits: only ASCII digits are times
    ],
)
def test_parse_time_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_time(text)


def test_parse_time_reads_every_minute_in_both_clocks() -> None:
    for minutes in range(24 * 60):
        expected = time(minutes // 60, minutes % 60)
        assert parse_time(expected.strftime("%H:%M")) == expected
        assert parse_time(expected.strftime("%I:%M%p")) == expected


# --- parse_weekdays --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("Mon - Fri", {0, 1, 2, 3, 4}),
        ("monday to friday", {0, 1, 2, 3, 4}),
        ("Mon–Thu", {0, 1, 2, 3}),
        ("weekdays", {0, 1, 2, 3, 4}),
        ("every weekday", {0, 1, 2, 3, 4}),
        ("workdays", {0, 1, 2, 3, 4}),
        ("daily", set(range(7))),
        ("every day", set(range(7))),
        ("Everyday", set(range(7))),
        ("mon,wed,fri", {0, 2, 4}),
        ("Mon, Wed and Fri", {0, 2, 4}),
        ("tue thu", {1, 3}),
        ("sat-sun", {5, 6}),
        ("weekends", {5, 6}),
        ("weekend", {5, 6}),
        ("fri-mon", {4, 5, 6, 0}),  # wraps round the week
        ("sun-tue", {6, 0, 1}),
        ("every monday", {0}),
        ("Mondays", {0}),
        ("tues, thurs", {1, 3}),
        ("mon-wed, fri", {0, 1, 2, 4}),
        ("weekends, mon", {5, 6, 0}),
        ("mon, mon-tue", {0, 1}),
    ],
)
def test_parse_weekdays(text: str, expected: set[int]) -> None:
    assert parse_weekdays(text) == frozenset(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no days given: use day names like mon"),
        ("  ,  ", "no days given"),
        ("funday", "unknown day `funday` in `funday`: use day names"),
        ("mon,xyz", "unknown day `xyz`"),
        ("mon-mon", "starts and ends on the same day"),
        ("mon-", "cannot read `mon-` .* as a range of days: write it like mon-fri"),
        ("mon-wed-fri", "as a range of days"),
        ("weekdays-sun", "`weekdays` cannot be one end of a range"),
        ("every other day", "unknown day `other`"),
    ],
)
def test_parse_weekdays_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_weekdays(text)


# --- describe --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "tz", "weekdays", "expected"),
    [
        (time(9), BERLIN, WORKDAYS, "every weekday at 09:00 Europe/Berlin"),
        (time(9), BERLIN, WEEKDAYS, "daily at 09:00 Europe/Berlin"),
        (time(7, 30), NEW_YORK, {0, 2, 4}, "Mon, Wed, Fri at 07:30 America/New_York"),
        (time(10), SYDNEY, WEEKEND, "weekends at 10:00 Australia/Sydney"),
        (time(9), BERLIN, {0}, "every Monday at 09:00 Europe/Berlin"),
        (time(9), BERLIN, {0, 1, 2, 3}, "Mon–Thu at 09:00 Europe/Berlin"),
        (time(9), BERLIN, {4, 5, 6, 0}, "Fri–Mon at 09:00 Europe/Berlin"),
        (time(9), BERLIN, {6, 0}, "Sun, Mon at 09:00 Europe/Berlin"),
        (time(9), BERLIN, {0, 1, 3, 4, 5}, "Mon, Tue, Thu–Sat at 09:00 Europe/Berlin"),
        (time(23, 59, 30), ZoneInfo("UTC"), {2}, "every Wednesday at 23:59:30 UTC"),
    ],
)
def test_describe(at: time, tz: ZoneInfo, weekdays: set[int], expected: str) -> None:
    assert describe(at, tz, weekdays) == expected


def _subsets(items: Iterable[int]) -> list[frozenset[int]]:
    pool = list(items)
    return [frozenset(c) for size in range(1, len(pool) + 1) for c in combinations(pool, size)]


@pytest.mark.parametrize("weekdays", _subsets(range(7)), ids=lambda w: "".join(map(str, sorted(w))))
def test_describe_reads_back(weekdays: frozenset[int]) -> None:
    """A listing can be pasted back into a command: the days and the time read back unchanged."""
    text = describe(time(18, 45), BERLIN, weekdays)
    days, _, rest = text.partition(" at ")
    clock, zone = rest.split(" ")
    assert parse_weekdays(days) == weekdays
    assert parse_time(clock) == time(18, 45)
    assert ZoneInfo(zone) is BERLIN


def test_describe_refuses_no_days() -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        describe(time(9), BERLIN, set())


# --- property: never twice, never skipped ----------------------------------------------------------------------------

ZONES = [BERLIN, SYDNEY, NEW_YORK, SAO_PAULO, LORD_HOWE, KIRITIMATI, PAGO_PAGO, ZoneInfo("Asia/Kolkata")]


@settings(max_examples=300, deadline=None)
@given(
    after=st.datetimes(
        min_value=datetime(2000, 1, 2),  # noqa: DTZ001 - hypothesis bounds are naive by design
        max_value=datetime(2100, 12, 30),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, *ZONES]),
    ),
    tz=st.sampled_from(ZONES),
    at=st.times(),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
)
def test_next_run_is_the_first_allowed_occurrence(
    after: datetime, tz: ZoneInfo, at: time, weekdays: frozenset[int]
) -> None:
    run = next_run(after, at=at, tz=tz, weekdays=weekdays)
    assert run > after
    day = run.astimezone(tz).date()
    assert day.weekday() in weekdays
    assert occurrence(day, at=at, tz=tz) == run
    # No allowed local date between `after` and this run has an occurrence in (after, run).
    earliest = after.astimezone(tz).date() - timedelta(days=1)
    previous = day - timedelta(days=1)
    while previous >= earliest:
        if previous.weekday() in weekdays:
            assert occurrence(previous, at=at, tz=tz) <= after
        previous -= timedelta(days=1)
    # The following run is on a later local date: a date never fires twice.
    following = next_run(run, at=at, tz=tz, weekdays=weekdays)
    assert following > run
    assert following.astimezone(tz).date() > day
    # last_run agrees: inclusive at the run, and the run is not yet due just before it.
    assert last_run(run, at=at, tz=tz, weekdays=weekdays) == run
    before = last_run(run - timedelta(microseconds=1), at=at, tz=tz, weekdays=weekdays)
    assert before is not None
    assert before <= after
    assert [r for _, r in runs_between(after, following, at=at, tz=tz, weekdays=weekdays)] == [run, following]
