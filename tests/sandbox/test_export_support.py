"""What exports need of the sandbox, over HTTP: buttons (attachment actions) stored and returned as sent and
checked as Rocket.Chat's validateMessage checks them, the upload limit enforced on rooms.media as busboy
enforces it, and the limit readable without a login from settings.public."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.sandbox import Sandbox

from .workspace import PASSWORD, small_workspace

pytestmark = pytest.mark.anyio

BUTTONS = {
    "button_alignment": "horizontal",
    "actions": [
        {
            "type": "button",
            "text": "By agent",
            "msg": "!agents Total_conversations 2026-11-09..2026-11-15",
            "msg_in_chat_window": True,
            "msg_processing_type": "sendMessage",
        }
    ],
}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(small_workspace(API_Enable_Rate_Limiter=False)) as sb:
        yield sb


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        yield client


async def login(http: httpx.AsyncClient, username: str = "maria") -> dict[str, str]:
    data = (await http.post("/api/v1/login", json={"user": username, "password": PASSWORD})).json()["data"]
    return {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}


async def send(http: httpx.AsyncClient, headers: dict[str, str], attachments: Any) -> httpx.Response:
    message = {"rid": "r-managers", "msg": "figures", "attachments": attachments}
    return await http.post("/api/v1/chat.sendMessage", json={"message": message}, headers=headers)


async def test_buttons_are_stored_and_returned_as_sent(http: httpx.AsyncClient) -> None:
    headers = await login(http)
    response = await send(http, headers, [BUTTONS])
    assert response.status_code == 200, response.text
    sent = response.json()["message"]
    assert sent["attachments"] == [BUTTONS]
    again = await http.get("/api/v1/chat.getMessage", params={"msgId": sent["_id"]}, headers=headers)
    assert again.json()["message"]["attachments"] == [BUTTONS]
    posted = await http.post(
        "/api/v1/chat.postMessage",
        json={"roomId": "r-managers", "text": "x", "attachments": [BUTTONS]},
        headers=headers,
    )
    assert posted.json()["message"]["attachments"] == [BUTTONS]


@pytest.mark.parametrize(
    ("attachments", "error"),
    [
        (
            [{"actions": [{"type": "button", "text": "x", "msg": 5, "msg_in_chat_window": True}]}],
            "Match error: Match error: Expected string, got number in field msg",
        ),
        (
            [{"actions": [{"type": "button", "text": "x", "msg_in_chat_window": "yes"}]}],
            "Match error: Match error: Expected boolean, got string in field msg_in_chat_window",
        ),
        ([{"actions": [{"type": "button", "text": "x", "url": "javascript:alert(1)"}]}], "Invalid href value provided"),
        ([{"title_link": "not a link"}], "Invalid href value provided"),
        ([{"actions": "buttons"}], "Match error: Match error: Expected array, got string in field actions"),
        ([{"fields": [{"title": "Total"}]}], "Invalid attachment field, title and value is required"),
        ("buttons", "Match error: Match error: Expected array, got string in field attachments"),
    ],
)
async def test_malformed_attachments_are_refused_as_rocket_chat_refuses_them(
    http: httpx.AsyncClient, sandbox: Sandbox, attachments: Any, error: str
) -> None:
    headers = await login(http)
    before = len(sandbox.store.messages)
    response = await send(http, headers, attachments)
    assert response.status_code == 400
    assert response.json() == {"success": False, "error": error}
    assert len(sandbox.store.messages) == before


async def test_keys_validateMessage_does_not_list_pass_untouched(http: httpx.AsyncClient) -> None:
    headers = await login(http)
    extra = [{"type": "file", "actions": [{"type": "button", "text": "go", "url": "https://example.com/a", "x": 1}]}]
    response = await send(http, headers, extra)
    assert response.status_code == 200
    assert response.json()["message"]["attachments"] == extra


async def upload(http: httpx.AsyncClient, headers: dict[str, str], size: int) -> httpx.Response:
    files = {"file": ("export.csv", b"x" * size, "text/csv")}
    return await http.post("/api/v1/rooms.media/r-managers", files=files, headers=headers)


async def test_uploads_over_FileUpload_MaxFileSize_are_refused_and_not_kept(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    headers = await login(http)
    sandbox.store.settings["FileUpload_MaxFileSize"] = 1000
    assert (await upload(http, headers, 1000)).status_code == 200  # busboy truncates only past the limit
    uploads = len(sandbox.store.uploads)
    response = await upload(http, headers, 1001)
    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "[error-file-too-large]", "errorType": "error-file-too-large"}
    assert len(sandbox.store.uploads) == uploads


@pytest.mark.parametrize("limit", [0, -1])
async def test_a_limit_of_0_or_minus_1_means_no_limit(http: httpx.AsyncClient, sandbox: Sandbox, limit: int) -> None:
    headers = await login(http)
    sandbox.store.settings["FileUpload_MaxFileSize"] = limit
    response = await upload(http, headers, 50_000)
    assert response.status_code == 200, response.text


async def test_settings_public_serves_the_upload_limit_without_a_login(
    http: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.store.settings["FileUpload_MaxFileSize"] = 2048
    response = await http.get("/api/v1/settings.public", params={"_id": "FileUpload_MaxFileSize"})
    assert response.status_code == 200
    assert response.json() == {
        "settings": [{"_id": "FileUpload_MaxFileSize", "value": 2048}],
        "count": 1,
        "offset": 0,
        "total": 1,
        "success": True,
    }


async def test_settings_public_lists_public_settings_only_sorted_and_paged(http: httpx.AsyncClient) -> None:
    everything = (await http.get("/api/v1/settings.public")).json()
    ids = [item["_id"] for item in everything["settings"]]
    assert ids == sorted(ids)
    assert "Message_MaxAllowedSize" in ids
    assert "API_Enable_Rate_Limiter" not in ids and not any(i.startswith("Sandbox_") for i in ids)
    paged = (await http.get("/api/v1/settings.public", params={"count": 2, "offset": 1})).json()
    assert [item["_id"] for item in paged["settings"]] == ids[1:3]
    assert paged["total"] == len(ids)
    several = (await http.get("/api/v1/settings.public", params={"_id": "Language, Threads_enabled,Nope"})).json()
    assert [item["_id"] for item in several["settings"]] == ["Language", "Threads_enabled"]


async def test_settings_public_refuses_unknown_parameters(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/settings.public", params={"name": "x"})
    assert response.status_code == 400
    assert response.json()["error"] == "must NOT have additional properties [invalid-params]"
