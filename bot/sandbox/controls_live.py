"""The live-operations part of the fault API: set an agent's status, enqueue, take, message and close chats.

Python: `sb.set_agent_status(...)`, `sb.enqueue(...)`, `sb.take(...)`, `sb.message(...)`, `sb.close(...)`.
HTTP (sandbox-only, under `/_sandbox/`): `POST agent-status {"username", "status"?, "statusLivechat"?}`,
`POST enqueue {"department"?, "text"?, "visitor"?}` -> `{"rid", "inquiry"}`, `POST take {"rid", "username"}`,
`POST message {"rid", "text", "username"?}` (no username: the visitor writes), `POST close {"rid", "username"?}`
(no username: the visitor closes). Each writes what Rocket.Chat would write (omnichannel.py), at the store's
clock, so tests put the workspace in an exact situation and read it back through the real routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from . import omnichannel
from .api import failure
from .model import MeteorError
from .store import Doc, Store

__all__ = ["GREETING", "LiveControls", "live_control_routes"]

GREETING = "Hello, I need help"


class LiveControls:
    """The operations, by username and department id or name; raises ApiError with a readable message."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def user(self, username: Any) -> Doc:
        user = self.store.user_by_username(str(username)) if username is not None else None
        if user is None:
            raise failure(f"no user {username!r}")
        return user

    def department(self, wanted: Any) -> str | None:
        if wanted is None:
            return None
        for department in self.store.departments.values():
            if wanted in (department["_id"], department.get("name")):
                return str(department["_id"])
        raise failure(f"no department {wanted!r} (give its _id or name)")

    def set_agent_status(self, username: str, *, status: str | None = None, livechat: str | None = None) -> Doc:
        agent = self.user(username)
        with _as_api_error():
            if status is not None:
                omnichannel.set_presence(self.store, agent, status)
            if livechat is not None:
                omnichannel.set_agent_status(self.store, agent, livechat)
        return {"status": agent.get("status"), "statusLivechat": agent.get("statusLivechat")}

    def enqueue(
        self, *, department: str | None = None, text: str = "Hello, I need help", visitor: Doc | None = None
    ) -> Doc:
        with _as_api_error():
            room = omnichannel.enqueue(
                self.store, department_id=self.department(department), text=text, visitor=visitor
            )
        inquiry = next(i for i in self.store.inquiries.values() if i["rid"] == room["_id"])
        return {"rid": room["_id"], "inquiry": inquiry["_id"]}

    def take(self, rid: str, username: str) -> Doc:
        with _as_api_error():
            inquiry = omnichannel.take(self.store, rid, self.user(username))
        return {"inquiry": inquiry["_id"]}

    def message(self, rid: str, text: str, username: str | None = None) -> Doc:
        with _as_api_error():
            if username is None:
                message = omnichannel.visitor_message(self.store, rid, text)
            else:
                message = omnichannel.agent_message(self.store, rid, self.user(username), text)
        return {"message": message["_id"]}

    def close(self, rid: str, username: str | None = None) -> Doc:
        with _as_api_error():
            omnichannel.close(self.store, rid, by=self.user(username) if username is not None else None)
        return {}


@contextmanager
def _as_api_error() -> Iterator[None]:
    """Rocket.Chat's refusals (a taken chat, a closed room, an unknown status) as a 400 naming them."""
    try:
        yield
    except MeteorError as exc:
        raise failure(f"{exc.reason} [{exc.error}]") from None


def live_control_routes(controls: LiveControls) -> dict[tuple[str, str], Callable[[Doc], Awaitable[Doc]]]:
    def text(body: Doc, key: str) -> str:
        value = body.get(key)
        if not isinstance(value, str) or not value:
            raise failure(f'"{key}" must be a non-empty string')
        return value

    async def agent_status(body: Doc) -> Doc:
        return controls.set_agent_status(
            text(body, "username"), status=body.get("status"), livechat=body.get("statusLivechat")
        )

    async def enqueue(body: Doc) -> Doc:
        visitor = body.get("visitor")
        if visitor is not None and not (isinstance(visitor, dict) and {"_id", "token", "username"} <= set(visitor)):
            raise failure('"visitor" must be like {"_id": "v-1", "token": "t-1", "username": "guest-1"}')
        return controls.enqueue(department=body.get("department"), text=str(body.get("text", "Hello")), visitor=visitor)

    async def take(body: Doc) -> Doc:
        return controls.take(text(body, "rid"), text(body, "username"))

    async def message(body: Doc) -> Doc:
        return controls.message(text(body, "rid"), text(body, "text"), body.get("username"))

    async def close(body: Doc) -> Doc:
        return controls.close(text(body, "rid"), body.get("username"))

    return {
        ("POST", "agent-status"): agent_status,
        ("POST", "enqueue"): enqueue,
        ("POST", "take"): take,
        ("POST", "message"): message,
        ("POST", "close"): close,
    }
