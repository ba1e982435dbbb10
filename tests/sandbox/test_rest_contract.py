"""Contract tests: the third-party client `rocketchat_API` (requests-based) drives a running sandbox.

If a widely used client can log in, post, sync, upload and read analytics through its own code
paths, the sandbox speaks Rocket.Chat's REST dialect rather than just our bot's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from rocketchat_API.APIExceptions.RocketExceptions import RocketApiException, RocketAuthenticationException
from rocketchat_API.rocketchat import RocketChat

from bot.sandbox import Sandbox, sandbox_in_thread

from .workspace import BOT_PAT, PASSWORD, worked_example


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with sandbox_in_thread(worked_example()) as sb:
        yield sb


_clients: dict[tuple[str, str], RocketChat] = {}


def client(sb: Sandbox, username: str = "admin") -> RocketChat:
    """One login per user: like Rocket.Chat, the sandbox rate-limits `login` to 10 calls a minute per IP."""
    key = (sb.url, username)
    if key not in _clients:
        _clients[key] = RocketChat(username, PASSWORD, server_url=sb.url)
    return _clients[key]


def test_login_and_me_return_the_user_with_roles(sandbox: Sandbox) -> None:
    rc = client(sandbox, "maria")
    me = rc.me()
    assert me["success"] is True
    assert me["username"] == "maria"
    assert me["_id"] == "u-manager"
    assert me["roles"] == ["livechat-manager", "user"]
    assert rc.headers["X-User-Id"] == "u-manager"


def test_wrong_password_is_an_authentication_error(sandbox: Sandbox) -> None:
    with pytest.raises(RocketAuthenticationException):
        RocketChat("maria", "not-the-password", server_url=sandbox.url)


def test_personal_access_token_authenticates(sandbox: Sandbox) -> None:
    rc = RocketChat(auth_token=BOT_PAT, user_id="u-bot", server_url=sandbox.url)
    assert rc.me()["username"] == "analytics-bot"


def test_info_reports_the_server_version(sandbox: Sandbox) -> None:
    """The client sends its login headers to /api/info too: the admin holds view-statistics, maria does not."""
    admin = client(sandbox).info()
    assert (admin["version"], admin["info"]["version"], admin["success"]) == ("7.12.2", "7.12.2", True)
    assert client(sandbox, "maria").info() == {
        "version": "7.12",
        "minimumClientVersions": {"desktop": "3.9.6", "mobile": "4.39.0"},
        "cloudWorkspaceId": "",
        "success": True,
    }


def test_post_send_and_sync_messages(sandbox: Sandbox) -> None:
    rc = client(sandbox)
    before = datetime.now(UTC) - timedelta(seconds=1)
    posted = rc.chat_post_message("posted text", room_id="GENERAL")
    assert posted["success"] is True
    assert posted["channel"] == "GENERAL"
    assert posted["message"]["msg"] == "posted text"
    assert posted["message"]["u"]["username"] == "admin"

    sent = rc.chat_send_message({"_id": "client-chosen-id-1", "rid": "GENERAL", "msg": "sent text"})
    assert sent["message"]["_id"] == "client-chosen-id-1"
    assert sent["message"]["rid"] == "GENERAL"
    # Retrying with the same client _id inserts nothing.
    again = rc.chat_send_message({"_id": "client-chosen-id-1", "rid": "GENERAL", "msg": "sent text"})
    assert again == {"success": True}

    synced = rc.chat_sync_messages("GENERAL", before.isoformat().replace("+00:00", "Z"))
    ids = [m["_id"] for m in synced["result"]["updated"]]
    assert ids == ["client-chosen-id-1", posted["message"]["_id"]]  # newest first, the retry not duplicated
    assert synced["result"]["deleted"] == []


def test_update_and_delete_show_up_in_sync(sandbox: Sandbox) -> None:
    rc = client(sandbox)
    sent = rc.chat_send_message({"rid": "GENERAL", "msg": "to be edited"})["message"]
    checkpoint = sent["_updatedAt"]
    edited = rc.chat_update("GENERAL", sent["_id"], "edited text")["message"]
    assert edited["msg"] == "edited text"
    assert edited["editedBy"]["username"] == "admin"
    synced = rc.chat_sync_messages("GENERAL", checkpoint)["result"]
    assert [m["msg"] for m in synced["updated"]] == ["edited text"]
    rc.chat_delete("GENERAL", sent["_id"])
    synced = rc.chat_sync_messages("GENERAL", checkpoint)["result"]
    assert synced["updated"] == []
    assert [d["_id"] for d in synced["deleted"]] == [sent["_id"]]


def test_dm_create_returns_the_direct_room(sandbox: Sandbox) -> None:
    rc = client(sandbox, "maria")
    room = rc.dm_create("analytics-bot")["room"]
    assert room["t"] == "d"
    assert room["rid"] == "u-botu-manager"  # the two user ids, sorted and concatenated
    assert room["usernames"] == ["analytics-bot", "maria"]
    assert rc.dm_create("analytics-bot")["room"]["rid"] == room["rid"]  # an existing DM comes back unchanged


def test_media_upload_then_confirm_posts_the_file(sandbox: Sandbox) -> None:
    rc = client(sandbox)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    uploaded = rc.rooms_media("GENERAL", ("chart.png", png, "image/png"))
    file_id = uploaded["file"]["_id"]
    assert uploaded["file"]["url"] == f"/file-upload/{file_id}/chart.png"
    confirmed = rc.rooms_media_confirm("GENERAL", file_id, msg="the chart", description="a line chart")
    message = confirmed["message"]
    assert message["msg"] == "the chart"
    assert message["file"] == {"_id": file_id, "name": "chart.png", "type": "image/png", "size": len(png)}
    assert message["attachments"][0]["image_url"] == uploaded["file"]["url"]
    assert message["attachments"][0]["description"] == "a line chart"


def test_users_info_shows_roles_only_to_privileged_callers(sandbox: Sandbox) -> None:
    as_admin = client(sandbox, "admin").users_info(username="jane")["user"]
    assert as_admin["roles"] == ["livechat-agent", "user"]
    as_user = client(sandbox, "maria").users_info(username="jane")["user"]
    assert as_user["username"] == "jane"
    assert "roles" not in as_user
    assert client(sandbox, "maria").users_info(username="maria")["user"]["roles"] == ["livechat-manager", "user"]


def test_permissions_list_all_maps_permissions_to_roles(sandbox: Sandbox) -> None:
    listing = client(sandbox).permissions_list_all()
    by_id = {p["_id"]: p["roles"] for p in listing["update"]}
    assert by_id["view-livechat-manager"] == ["livechat-manager", "livechat-monitor", "admin"]
    assert by_id["api-bypass-rate-limit"] == ["admin", "bot", "app"]
    assert listing["remove"] == []


def test_analytics_overview_through_the_generic_getter(sandbox: Sandbox) -> None:
    rc = client(sandbox, "admin")
    conversations = rc.call_api_get(
        "livechat/analytics/overview", kwargs={"name": "Conversations", "from": "2024-03-05", "to": "2024-03-05"}
    )
    assert conversations == [
        {"title": "Total_conversations", "value": 2},
        {"title": "Open_conversations", "value": 1},
        {"title": "On_Hold_conversations", "value": 0},
        {"title": "Total_messages", "value": 8},
        {"title": "Busiest_day", "value": "Tuesday"},
        {"title": "Conversations_per_day", "value": "2.00"},
        {"title": "Busiest_time", "value": "2PM - 3PM"},
    ]
    productivity = rc.call_api_get(
        "livechat/analytics/overview", kwargs={"name": "Productivity", "from": "2024-03-05", "to": "2024-03-05"}
    )
    assert productivity == [
        {"title": "Avg_response_time", "value": "00:01:05"},
        {"title": "Avg_first_response_time", "value": "00:01:00"},
        {"title": "Avg_reaction_time", "value": "00:00:08"},
    ]


def test_agent_overview_and_chart_data_through_the_generic_getter(sandbox: Sandbox) -> None:
    rc = client(sandbox, "admin")
    agents = rc.call_api_get(
        "livechat/analytics/agent-overview", kwargs={"name": "Total_messages", "from": "2024-03-05", "to": "2024-03-05"}
    )
    assert agents == {
        "head": [{"name": "Agent"}, {"name": "Total_messages"}],
        "data": [{"name": "jane", "value": 4}, {"name": "john", "value": 1}],
        "success": True,
    }
    chart = rc.call_api_get(
        "livechat/analytics/dashboards/charts-data",
        kwargs={"chartName": "Total_conversations", "start": "2024-03-04", "end": "2024-03-06"},
    )
    assert chart == {
        "chartLabel": "Total_conversations",
        "dataLabels": ["3/4", "3/5", "3/6"],
        "dataPoints": [0, 2, 0],
        "success": True,
    }


def test_analytics_refuse_users_without_the_permission(sandbox: Sandbox) -> None:
    rc = client(sandbox, "olivia")
    with pytest.raises(RocketApiException) as caught:
        rc.call_api_get(
            "livechat/analytics/overview", kwargs={"name": "Conversations", "from": "2024-03-05", "to": "2024-03-05"}
        )
    assert caught.value.status_code == 403
    assert caught.value.error == "User does not have the permissions required for this action [error-unauthorized]"


def test_livechat_rooms_and_the_queue_through_the_clients_own_methods(sandbox: Sandbox) -> None:
    """rocketchat_API's `livechat_*` methods page with offset/count and send lists as `key[]=`."""
    rc = client(sandbox, "admin")
    rooms = list(rc.livechat_rooms())
    assert sorted(room["_id"] for room in rooms) == ["r-live-1", "r-live-2", "room-a", "room-b"]
    assert {room["department"]["name"] for room in rooms} == {"Sales", "Support"}
    served_by_jane = list(rc.livechat_rooms(agents=["u-agent"], count=1))
    assert sorted(room["_id"] for room in served_by_jane) == ["r-live-1", "room-a"]
    rid = sandbox.enqueue(department="Sales", text="Is anyone there?")
    inquiries = list(rc.livechat_inquiries_list())
    assert [(i["rid"], i["status"], i["department"]) for i in inquiries] == [(rid, "queued", "dep-sales")]
    assert rc.livechat_inquiries_get_one(rid)["inquiry"]["message"] == "Is anyone there?"
    sandbox.take(rid, "jane")
    assert list(rc.livechat_inquiries_list()) == []
    agents = list(rc.livechat_get_users("agent"))
    assert [(a["username"], a["departments"]) for a in agents] == [("jane", []), ("john", [])]
    assert rc.livechat_get_user("agent", "u-agent")["user"]["username"] == "jane"
