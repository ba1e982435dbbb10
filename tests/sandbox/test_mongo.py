"""MongoDB's and Rocket.Chat's list semantics as the sandbox reproduces them: BSON sort order, pagination,
`parseJsonQuery` sorts, `Date.parse`, and Ajv query validation."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.model import MeteorError
from bot.sandbox.mongo import js_date, mongo_sort, page, pagination, parse_sort
from bot.sandbox.schema import Schema, SchemaError, parse_query

BERLIN = ZoneInfo("Europe/Berlin")


def test_missing_fields_sort_first_then_numbers_strings_booleans_dates() -> None:
    docs = [
        {"_id": "date", "v": datetime(2024, 1, 1, tzinfo=UTC)},
        {"_id": "true", "v": True},
        {"_id": "str", "v": "a"},
        {"_id": "missing"},
        {"_id": "num", "v": 3},
        {"_id": "null", "v": None},
    ]
    assert [d["_id"] for d in mongo_sort(docs, {"v": 1})] == ["missing", "null", "num", "str", "true", "date"]
    assert [d["_id"] for d in mongo_sort(docs, {"v": -1})][:2] == ["date", "true"]


def test_sort_keys_apply_in_order_and_ties_keep_storage_order() -> None:
    docs = [{"_id": 1, "a": 1, "b": 2}, {"_id": 2, "a": 0, "b": 2}, {"_id": 3, "a": 1, "b": 1}, {"_id": 4, "a": 1}]
    assert [d["_id"] for d in mongo_sort(docs, {"a": -1, "b": 1})] == [4, 3, 1, 2]
    assert [d["_id"] for d in mongo_sort(docs, {"x": 1})] == [1, 2, 3, 4]


def test_pagination_defaults_caps_and_infinite_count() -> None:
    settings = {"API_Default_Count": 50, "API_Upper_Count_Limit": 100, "API_Allow_Infinite_Count": True}
    assert pagination(settings, None, None) == (0, 50)
    assert pagination(settings, 500, 10) == (10, 100)
    assert pagination(settings, 0, 0) == (0, 0)
    assert pagination({**settings, "API_Allow_Infinite_Count": False}, 0, 0) == (0, 50)
    assert page(list(range(5)), 1, 0) == [1, 2, 3, 4]  # type: ignore[arg-type]
    assert page(list(range(5)), 1, 2) == [1, 2]  # type: ignore[arg-type]


def test_sort_must_be_a_json_object_of_one_or_minus_one() -> None:
    assert parse_sort('{"ts": -1, "name": 1}') == {"ts": -1, "name": 1}
    for bad in ('{"ts": 2}', "ts", '{"ts": true}'):
        with pytest.raises(MeteorError) as caught:
            parse_sort(bad)
        assert caught.value.error == "error-invalid-sort"
        assert caught.value.reason == f'Invalid sort parameter provided: "{bad}"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),  # date-only: UTC midnight
        ("2024-03-05T10:00:00Z", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("2024-03-05T10:00:00.250+02:00", datetime(2024, 3, 5, 8, 0, 0, 250000, tzinfo=UTC)),
        ("2024-03-05T10:00", datetime(2024, 3, 5, 9, tzinfo=UTC)),  # no offset: the server's local time
        ("March 5, 2024", datetime(2024, 3, 4, 23, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 10:00:00 GMT", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("2024-02-30", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_js_date_parse(text: str, expected: datetime | None) -> None:
    assert js_date(text, BERLIN) == expected


def test_query_strings_parse_like_qs_and_validate_like_ajv() -> None:
    query = parse_query([("agents[]", "u1"), ("agents[]", "u2"), ("count", "10"), ("d", "a"), ("d", "b")])
    assert query == {"agents": ["u1", "u2"], "count": "10", "d": ["a", "b"]}
    schema = Schema({"agents": "array", "count": "number", "d": "string|array", "open": "boolean"}, required=())
    assert schema.validate(query) == {"agents": ["u1", "u2"], "count": 10.0, "d": ["a", "b"]}
    for bad, message in (
        ({"agents": "u1"}, "must be array"),
        ({"count": "ten"}, "must be number"),
        ({"open": "yes"}, "must be boolean"),
        ({"other": "x"}, "must NOT have additional properties"),
    ):
        with pytest.raises(SchemaError, match=message):
            schema.validate(bad)
    with pytest.raises(SchemaError, match="must have required property 'start'"):
        Schema({"start": "string", "end": "string"}, required=("start", "end")).validate({})
