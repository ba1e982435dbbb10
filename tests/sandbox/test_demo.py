"""The demo workspace is what demos and end-to-end tests build on: it must be reproducible, load as it
is, contain the accounts and rooms the docs promise, and hold conversations whose metrics agree with
their messages the way Rocket.Chat's would."""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.data import load_document
from bot.sandbox.demo import (
    ADMIN_USERNAME,
    AGENTS,
    BOT_PASSWORD,
    BOT_TOKEN,
    BOT_USER_ID,
    BOT_USERNAME,
    DEMO_PASSWORD,
    DEMO_TIMEZONE,
    MANAGER_USERNAME,
    USER_USERNAME,
    demo_document,
)
from bot.sandbox.store import Doc, Store

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # Wed 10:00 in Berlin, the conventions' fixed clock
ZONE = ZoneInfo(DEMO_TIMEZONE)
AGENT_NAMES = [agent[0] for agent in AGENTS]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return demo_document(now=NOW)


@pytest.fixture(scope="module")
def store() -> Store:
    # A fresh document: load_document converts dates inside nested objects of what it is given.
    return load_document(demo_document(now=NOW), clock=lambda: NOW, seed=1)


def livechat(store: Store) -> list[Doc]:
    return sorted(store.livechat_rooms(), key=lambda room: room["ts"])


def messages_of(store: Store, rid: str) -> list[Doc]:
    return [store.messages[mid] for mid in store.room_message_ids(rid)]


def usernames(store: Store, rid: str) -> set[str]:
    return {store.users[uid]["username"] for uid in store.members(rid)}


def test_same_seed_and_now_give_an_equal_json_document(document: dict[str, Any]) -> None:
    assert demo_document(now=NOW) == document
    assert demo_document(seed=42, now=NOW.astimezone(ZONE)) == document
    assert json.loads(json.dumps(document)) == document


def test_another_seed_or_now_gives_another_document(document: dict[str, Any]) -> None:
    assert demo_document(seed=7, now=NOW)["rooms"] != document["rooms"]
    assert demo_document(now=NOW + timedelta(days=1))["rooms"] != document["rooms"]


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        demo_document(now=NOW.replace(tzinfo=None))


def test_the_document_stays_small_enough_to_load_fast(document: dict[str, Any]) -> None:
    rooms = [room for room in document["rooms"] if room["t"] == "l"]
    assert 1000 < len(rooms) < 4000
    assert len(document["messages"]) < 40000
    assert len({message["_id"] for message in document["messages"]}) == len(document["messages"])


def test_accounts_have_their_roles_and_passwords(store: Store) -> None:
    expected = {
        ADMIN_USERNAME: {"admin", "user"},
        MANAGER_USERNAME: {"livechat-manager", "user"},
        USER_USERNAME: {"user"},
        BOT_USERNAME: {"bot", "livechat-manager"},
    } | {name: {"livechat-agent", "user"} for name in AGENT_NAMES}
    assert len(AGENT_NAMES) == 8
    for username, roles in expected.items():
        user = store.user_by_username(username)
        assert user is not None, username
        assert set(user["roles"]) == roles, username
        password = BOT_PASSWORD if username == BOT_USERNAME else DEMO_PASSWORD
        assert store.password_matches(user, plain=password), username


def test_the_bot_token_resolves_to_the_bot_and_only_managers_see_analytics(store: Store) -> None:
    bot, token = store.resolve_token(BOT_TOKEN)
    assert (bot["_id"], bot["username"], bot["type"]) == (BOT_USER_ID, BOT_USERNAME, "bot")
    assert token.kind == "personalAccessToken"
    allowed = {u["username"] for u in store.users.values() if store.has_permission(u, "view-livechat-manager")}
    assert allowed == {BOT_USERNAME, MANAGER_USERNAME, ADMIN_USERNAME}


def test_departments_and_their_agents(store: Store) -> None:
    names = {dep["_id"]: dep["name"] for dep in store.departments.values()}
    assert set(names.values()) >= {"Sales", "Support", "Billing", "Customer Success"}
    served: defaultdict[str, set[str]] = defaultdict(set)
    volume: Counter[str] = Counter()
    for room in livechat(store):
        volume[names[room["departmentId"]]] += 1
        if "servedBy" in room:
            served[room["servedBy"]["username"]].add(room["departmentId"])
    for username, _, departments, _ in AGENTS:
        assert served[username] == set(departments), username
        assert 1 <= len(departments) <= 2
    assert set(served) == set(AGENT_NAMES)
    assert volume.most_common(1)[0][0] == "Support"
    assert min(volume.values()) > 0


def test_channels_and_their_members(store: Store) -> None:
    general = store.room_by_name("general")
    assert general is not None
    assert (general["_id"], general["t"]) == ("GENERAL", "c")
    assert usernames(store, "GENERAL") == {u["username"] for u in store.users.values()}
    managers = store.room_by_name("omnichannel-managers")
    assert managers is not None
    assert usernames(store, managers["_id"]) == {MANAGER_USERNAME, ADMIN_USERNAME, BOT_USERNAME, USER_USERNAME}
    team = store.room_by_name("support-team")
    assert team is not None
    assert (team["t"], usernames(store, team["_id"])) == ("p", {*AGENT_NAMES, MANAGER_USERNAME})


def test_the_manager_and_the_bot_already_share_a_dm(store: Store) -> None:
    manager, bot = store.user_by_username(MANAGER_USERNAME), store.user_by_username(BOT_USERNAME)
    assert manager is not None and bot is not None
    rooms_before = len(store.rooms)
    dm = store.dm_between([manager, bot])
    assert len(store.rooms) == rooms_before
    assert dm["t"] == "d" and usernames(store, dm["_id"]) == {MANAGER_USERNAME, BOT_USERNAME}


def test_general_has_human_chatter_and_no_bot_commands(store: Store) -> None:
    chatter = messages_of(store, "GENERAL")
    assert len(chatter) > 50
    assert all(m["u"]["username"] != BOT_USERNAME and not m["msg"].startswith(("!", "@")) for m in chatter)


def test_conversations_span_the_days_up_to_now(store: Store) -> None:
    rooms = livechat(store)
    assert NOW - timedelta(days=90) <= rooms[0]["ts"] < NOW - timedelta(days=89)
    assert NOW - timedelta(hours=12) < rooms[-1]["ts"] <= NOW
    assert all(message["ts"] <= NOW for message in store.messages.values())


def test_weekdays_and_office_hours_are_busier(store: Store) -> None:
    local = [room["ts"].astimezone(ZONE) for room in livechat(store)]
    per_day = Counter(ts.date() for ts in local)
    whole_days = sorted(per_day)[1:-1]  # the first and the last day are partial
    weekdays = [per_day[day] for day in whole_days if day.weekday() < 5]
    weekends = [per_day[day] for day in whole_days if day.weekday() >= 5]
    assert 20 <= statistics.median(weekdays) <= 60
    assert statistics.mean(weekdays) > 3 * statistics.mean(weekends)
    office = sum(1 for ts in local if ts.weekday() < 5 and 8 <= ts.hour < 18)
    assert office > 0.6 * len(local)


def test_some_rooms_are_open_some_on_hold_and_some_unanswered(store: Store) -> None:
    rooms = livechat(store)
    open_rooms = [room for room in rooms if room.get("open")]
    assert 3 <= len(open_rooms) < 0.05 * len(rooms)
    assert all(room.get("open") for room in rooms if room.get("onHold"))
    assert any(room.get("onHold") for room in rooms)
    assert any("responseBy" not in room for room in open_rooms)
    assert all(room.get("open") for room in rooms[-3:])


def test_closed_rooms_carry_no_open_field(store: Store) -> None:
    """Rocket.Chat `$unset`s `open` when it closes a room (LivechatRooms.closeRoomById)."""
    assert all(room.get("open") is True or "open" not in room for room in livechat(store))
    assert all("open" not in room for room in livechat(store) if "closedAt" in room)


def test_closed_rooms_have_a_duration_and_open_rooms_none(store: Store) -> None:
    for room in livechat(store):
        if room.get("open"):
            assert "closedAt" not in room and "chatDuration" not in room["metrics"], room["_id"]
        else:
            duration = room["metrics"]["chatDuration"]
            assert duration > 0
            assert duration == pytest.approx((room["closedAt"] - room["ts"]).total_seconds(), abs=0.002)


def test_response_metrics_agree_with_the_messages(store: Store) -> None:
    for room in livechat(store):
        messages = [m for m in messages_of(store, room["_id"]) if not m.get("t")]
        agent_messages = [i for i, m in enumerate(messages) if "token" not in m]
        metrics = room["metrics"]
        if "responseBy" not in room:
            assert not agent_messages and "response" not in metrics and "reaction" not in metrics
            continue
        first = messages[agent_messages[0]]
        query = max(m["ts"] for m in messages[: agent_messages[0]] if "token" in m)
        assert room["responseBy"]["firstResponseTs"] == first["ts"]
        assert room["responseBy"]["lastMessageTs"] == messages[agent_messages[-1]]["ts"]
        assert metrics["response"]["ft"] == pytest.approx((first["ts"] - query).total_seconds(), abs=0.002)
        assert metrics["reaction"]["ft"] == pytest.approx((first["ts"] - room["servedBy"]["ts"]).total_seconds())
        assert metrics["response"]["ft"] > 0 and metrics["reaction"]["ft"] > 0
        response = metrics["response"]
        assert response["avg"] == pytest.approx(response["tt"] / response["total"], abs=0.002)


def test_messages_belong_to_the_visitor_or_the_agent(store: Store) -> None:
    for room in livechat(store):
        messages = messages_of(store, room["_id"])
        assert (messages[0]["ts"], messages[0]["t"]) == (room["ts"], "livechat-started")
        assert messages == sorted(messages, key=lambda m: m["ts"])
        if not room.get("open"):
            assert messages[-1]["t"] == "livechat-close"
        for message in messages:
            if message.get("t"):
                continue
            if "token" in message:
                assert message["token"] == room["v"]["token"]
                assert message["u"] == {"_id": room["v"]["_id"], "username": room["v"]["username"]}
            else:
                assert message["u"]["username"] == room["servedBy"]["username"]


def test_room_message_counts_match_the_store(document: dict[str, Any], store: Store) -> None:
    counts: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for message in document["messages"]:
        if not message.get("t"):
            counts[message["rid"]][0] += 1
            counts[message["rid"]][1] += "token" not in message
    for room in livechat(store):
        total, agent = counts[room["_id"]]
        assert store.message_counts(room["_id"]) == (total, agent)
        assert room["msgs"] == total


def test_agents_differ_in_speed(store: Store) -> None:
    first_response: defaultdict[str, list[float]] = defaultdict(list)
    for room in livechat(store):
        if "responseBy" in room:
            first_response[room["responseBy"]["username"]].append(room["metrics"]["response"]["ft"])
    means = {name: statistics.mean(values) for name, values in first_response.items()}
    fastest, slowest = min(means, key=means.__getitem__), max(means, key=means.__getitem__)
    assert fastest == min(AGENTS, key=lambda agent: agent[3])[0]
    assert slowest == max(AGENTS, key=lambda agent: agent[3])[0]
    assert means[fastest] < 0.6 * means[slowest]


def test_the_past_does_not_change_with_the_time_of_day_the_demo_starts() -> None:
    """Same seed, 10:54 and 11:10: "last week" showed 205 and 220 conversations when history was drawn
    from one generator over hours counted back from `now`. Now each calendar day is drawn on its own."""
    morning = demo_document(now=NOW.replace(hour=9, minute=54))
    later = demo_document(now=NOW.replace(hour=10, minute=10))
    today = NOW.astimezone(ZONE).date()

    def closed_days(document: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Every conversation that started on a day before yesterday: id, start, department."""
        return [
            (room["_id"], room["ts"], room["departmentId"])
            for room in document["rooms"]
            if room["t"] == "l"
            and datetime.fromisoformat(room["ts"].replace("Z", "+00:00")).astimezone(ZONE).date()
            < today - timedelta(days=1)
            and datetime.fromisoformat(room["ts"].replace("Z", "+00:00")) > NOW - timedelta(days=80)
        ]

    assert closed_days(morning) == closed_days(later)
    assert len(closed_days(morning)) > 1000
