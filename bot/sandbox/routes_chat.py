"""REST routes for rooms and messages: rooms.info, DMs, chat.*, history, uploads.

See rocketchat-realtime-rest.md §2.4–2.7. Message attachments (buttons included) are checked as Rocket.Chat's
`validateMessage` checks them (attachments.py) and stored and returned as given.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile

from .api import Api, Ctx, failure, invalid_params, require_fields
from .attachments import AttachmentError, validate_attachments
from .routes_users import date_param
from .store import Doc, Store

SEND_MESSAGE_KEYS = {
    "_id",
    "rid",
    "tmid",
    "msg",
    "alias",
    "emoji",
    "tshow",
    "avatar",
    "attachments",
    "blocks",
    "customFields",
}
POST_MESSAGE_KEYS = ("alias", "emoji", "avatar", "attachments", "tmid", "customFields")


def _room_for(ctx: Ctx, rid: str | None, *, error: str = "error-room-not-found") -> Doc:
    if not rid:
        raise invalid_params("must have required property 'roomId'")
    room = ctx.store.rooms.get(rid)
    if room is None or not ctx.store.can_access_room(ctx.me, room):
        raise failure(
            "not-allowed"
            if room is not None
            else 'The required "roomId" param provided does not match any channel [error-room-not-found]',
            error_type=None if room is not None else error,
        )
    return room


def _own_or_permitted(ctx: Ctx, body: Doc, permission: str) -> Doc:
    """The message a chat.update/chat.delete names: it must be in that room, and be the caller's own unless the
    caller holds `permission`."""
    message = ctx.store.messages.get(str(body["msgId"]))
    if message is None or message["rid"] != body["roomId"]:
        raise failure(
            "The room id provided does not match where the message is from.", error_type="error-invalid-params"
        )
    if message["u"]["_id"] != ctx.me["_id"] and not ctx.store.has_permission(ctx.me, permission):
        raise failure("Not allowed [error-action-not-allowed]", error_type="error-action-not-allowed")
    return message


def register(api: Api) -> None:
    store = api.store

    @api.route("GET", "rooms.info")
    async def rooms_info(ctx: Ctx) -> Any:
        rid, name = ctx.q("roomId"), ctx.q("roomName")
        room = store.rooms.get(rid) if rid else store.room_by_name(name or "")
        if room is None or not store.can_access_room(ctx.me, room):
            raise failure("not-allowed", error_type="error-not-allowed")
        return {"room": room}

    async def dm_create(ctx: Ctx) -> Any:
        body = require_fields(ctx.body, *(() if "usernames" in (ctx.body or {}) else ("username",)))
        names = (
            [body["username"]]
            if "username" in body
            else [n.strip() for n in str(body["usernames"]).split(",") if n.strip()]
        )
        users = []
        for name in names:
            other = store.user_by_username(name)
            if other is None:
                raise failure("Failed to create direct message [error-invalid-user]", error_type="error-invalid-user")
            users.append(other)
        if not store.has_permission(ctx.me, "create-d"):
            raise failure("Not allowed [error-not-allowed]", error_type="error-not-allowed")
        if not body.get("excludeSelf"):
            users.append(ctx.me)
        room = store.dm_between(users)
        return {"room": {**room, "rid": room["_id"]}}

    api.route("POST", "im.create")(dm_create)
    api.route("POST", "dm.create")(dm_create)

    @api.route("POST", "chat.sendMessage")
    async def chat_send_message(ctx: Ctx) -> Any:
        body = require_fields(ctx.body, "message")
        if set(body) - {"message", "previewUrls"}:
            raise invalid_params("must NOT have additional properties")
        message = body["message"]
        if not isinstance(message, dict):
            raise invalid_params("must be object (body.message)")
        extra = set(message) - SEND_MESSAGE_KEYS
        if extra:
            raise invalid_params(f"must NOT have additional properties (message.{sorted(extra)[0]})")
        if not message.get("rid"):
            raise invalid_params("must have required property 'rid'")
        room = _postable_room(ctx, str(message["rid"]))
        _check_attachments(message.get("attachments"))
        sent = store.send_message(ctx.me, room, dict(message))
        # A client `_id` that already exists is silently not inserted: no message comes back.
        return {"message": sent} if sent is not None else {}

    @api.route("POST", "chat.postMessage")
    async def chat_post_message(ctx: Ctx) -> Any:
        body = require_fields(ctx.body)
        target = body.get("roomId") or body.get("channel")
        if not target:
            raise failure(
                "The 'roomId' or 'channel' property must be provided [error-invalid-params]",
                error_type="error-invalid-params",
            )
        room = _resolve_target(ctx, str(target))
        fields: Doc = {
            k: body[k] for k in ("alias", "emoji", "avatar", "attachments", "tmid", "customFields") if k in body
        }
        fields["msg"] = body.get("text", "")
        _check_attachments(fields.get("attachments"))
        sent = store.send_message(ctx.me, room, fields)
        assert sent is not None
        return {"ts": sent["ts"].timestamp() * 1000, "channel": str(target), "message": sent}

    @api.route("GET", "chat.getMessage")
    async def chat_get_message(ctx: Ctx) -> Any:
        mid = ctx.q("msgId")
        if not mid:
            raise failure(
                'The "msgId" query parameter must be provided. [error-invalid-params]',
                error_type="error-invalid-params",
            )
        message = store.messages.get(mid)
        if message is None or not store.can_access_room(ctx.me, store.rooms[message["rid"]]):
            raise failure("Message not found [error-message-not-found]", error_type="error-message-not-found")
        return {"message": message}

    @api.route("POST", "chat.update")
    async def chat_update(ctx: Ctx) -> Any:
        body = require_fields(ctx.body, "roomId", "msgId", "text")
        message = _own_or_permitted(ctx, body, "edit-message")
        updated = store.update_message(message, {"msg": str(body["text"])}, editor=ctx.me)
        return {"message": updated}

    @api.route("POST", "chat.delete")
    async def chat_delete(ctx: Ctx) -> Any:
        body = require_fields(ctx.body, "roomId", "msgId")
        message = _own_or_permitted(ctx, body, "delete-message")
        store.delete_message(message)
        return {
            "_id": message["_id"],
            "ts": store.now().timestamp() * 1000,
            "message": {"_id": message["_id"], "rid": message["rid"], "u": message["u"]},
        }

    @api.route("POST", "chat.react")
    async def chat_react(ctx: Ctx) -> Any:
        body = require_fields(ctx.body, "emoji")
        mid = body.get("messageId") or body.get("msgId")
        message = store.messages.get(str(mid)) if mid else None
        if message is None:
            raise failure(
                'The required "messageId" param is missing. [error-message-not-found]',
                error_type="error-message-not-found",
            )
        _room_for(ctx, message["rid"])
        emoji = str(body["emoji"])
        emoji = emoji if emoji.startswith(":") else f":{emoji}:"
        should = body.get("shouldReact")
        store.react(message, ctx.me, emoji, should if isinstance(should, bool) else None)
        return {}

    @api.route("GET", "chat.syncMessages")
    async def chat_sync_messages(ctx: Ctx) -> Any:
        rid = ctx.q("roomId")
        last_update = ctx.q("lastUpdate")
        if not rid:
            raise failure(
                'The required "roomId" query param is missing. [error-param-not-provided]',
                error_type="error-param-not-provided",
            )
        if not last_update:
            raise failure(
                'The required "lastUpdate" query param is missing. [error-param-not-provided]',
                error_type="error-param-not-provided",
            )
        since = date_param(last_update, "lastUpdate")
        assert since is not None
        room = _room_for(ctx, rid)
        updated = [
            store.messages[m] for m in store.room_message_ids(room["_id"]) if store.messages[m]["_updatedAt"] > since
        ]
        updated.sort(key=lambda m: m["_updatedAt"], reverse=True)
        deleted = [t for t in store.trash.values() if t["rid"] == room["_id"] and t["_deletedAt"] > since]
        return {"result": {"updated": updated, "deleted": deleted}}

    for prefix, kinds in (("channels", ("c",)), ("groups", ("p",)), ("im", ("d",)), ("dm", ("d",))):
        _register_history(api, prefix, kinds)

    @api.route("POST", "rooms.media/:rid", body="multipart")
    async def rooms_media(ctx: Ctx) -> Any:
        room = _postable_room(ctx, ctx.path_params["rid"])
        upload = ctx.body.get("file") if ctx.body is not None else None
        if not isinstance(upload, UploadFile):
            raise failure("[No file uploaded]", error_type="error-no-file")
        data = await upload.read()
        if too_large(len(data), store.settings.get("FileUpload_MaxFileSize", 104857600)):
            # busboy truncates the file at `fileSize` and getUploadFormData rejects it with
            # MeteorError('error-file-too-large'): no reason, so the message is the bracketed code alone.
            raise failure("[error-file-too-large]", error_type="error-file-too-large")
        file_id = store.new_id()
        name = upload.filename or "file"
        doc = {
            "_id": file_id,
            "name": name,
            "type": upload.content_type or "application/octet-stream",
            "size": len(data),
            "rid": room["_id"],
            "userId": ctx.me["_id"],
            "uploadedAt": store.now(),
            "url": f"/file-upload/{file_id}/{name}",
            "_updatedAt": store.now(),
            "temporary": True,
        }
        store.uploads[file_id] = doc
        store.upload_data[file_id] = data
        return {"file": {"_id": file_id, "url": doc["url"]}}

    @api.route("POST", "rooms.mediaConfirm/:rid/:fileId")
    async def rooms_media_confirm(ctx: Ctx) -> Any:
        room = _postable_room(ctx, ctx.path_params["rid"])
        upload = store.uploads.get(ctx.path_params["fileId"])
        if upload is None or upload["rid"] != room["_id"] or upload["userId"] != ctx.me["_id"]:
            raise failure("Upload not found [error-file-not-found]", error_type="error-file-not-found")
        body = ctx.body if isinstance(ctx.body, dict) else {}
        upload["temporary"] = False
        if body.get("description"):
            upload["description"] = body["description"]
        is_image = str(upload["type"]).startswith("image/")
        attachment: Doc = {
            "title": upload["name"],
            "type": "file",
            "title_link": upload["url"],
            "title_link_download": True,
            "description": body.get("description", ""),
        }
        if is_image:
            attachment.update({"image_url": upload["url"], "image_type": upload["type"], "image_size": upload["size"]})
        file_ref = {"_id": upload["_id"], "name": upload["name"], "type": upload["type"], "size": upload["size"]}
        fields: Doc = {
            "msg": str(body.get("msg", "")),
            "file": file_ref,
            "files": [file_ref],
            "attachments": [attachment],
        }
        if body.get("tmid"):
            fields["tmid"] = str(body["tmid"])
        sent = store.send_message(ctx.me, room, fields)
        return {"message": sent}


def _check_attachments(attachments: Any) -> None:
    try:
        validate_attachments(attachments)
    except AttachmentError as exc:
        raise failure(str(exc)) from None


def too_large(size: int, limit: Any) -> bool:
    """Whether `rooms.media` refuses a file of `size` bytes under `FileUpload_MaxFileSize` = `limit`.

    `getUploadFormData` sets busboy's `fileSize` only when `sizeLimit && sizeLimit > -1`, so 0 and -1 mean no
    limit; busboy truncates (and the upload fails) only past the limit, so a file of exactly `limit` bytes passes
    (apps/meteor/app/api/server/lib/getUploadFormData.ts)."""
    return isinstance(limit, int) and limit > 0 and size > limit


def _register_history(api: Api, prefix: str, kinds: tuple[str, ...]) -> None:
    store = api.store

    @api.route("GET", f"{prefix}.history")
    async def history(ctx: Ctx) -> Any:
        rid = ctx.q("roomId")
        if not rid and prefix in ("channels", "groups"):
            name = ctx.q("roomName")
            room = store.room_by_name(name) if name else None
            rid = room["_id"] if room else None
        if not rid:
            raise failure(
                'The parameter "roomId" or "roomName" is required [error-room-param-not-provided]',
                error_type="error-room-param-not-provided",
            )
        room = store.rooms.get(rid)
        if room is None or room.get("t") not in kinds:
            raise failure(
                'The required "roomId" or "roomName" param provided does not match any channel [error-room-not-found]',
                error_type="error-room-not-found",
            )
        if not store.can_access_room(ctx.me, room):
            raise failure("not-allowed", error_type="error-not-allowed")
        latest = date_param(ctx.q("latest"), "latest")
        oldest = date_param(ctx.q("oldest"), "oldest")
        inclusive = ctx.q("inclusive") == "true"
        count = _int_param(ctx.q("count"), 20)
        offset = _int_param(ctx.q("offset"), 0)
        show_threads = ctx.q("showThreadMessages") != "false"
        picked = []
        for mid in reversed(store.room_message_ids(room["_id"])):
            message = store.messages[mid]
            ts = message["ts"]
            if latest is not None and (ts > latest or (ts == latest and not inclusive)):
                continue
            if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
                continue
            if not show_threads and message.get("tmid") and not message.get("tshow"):
                continue
            picked.append(message)
        picked.sort(key=lambda m: m["ts"], reverse=True)
        page = picked[offset : offset + count] if count > 0 else picked[offset:]
        return {"messages": page, "count": len(page), "offset": offset, "total": len(picked)}


def _int_param(value: str | None, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise invalid_params(f"must be integer ({value!r})") from None


def _postable_room(ctx: Ctx, rid: str) -> Doc:
    room = ctx.store.rooms.get(rid)
    if room is None or not ctx.store.can_access_room(ctx.me, room):
        raise failure("error-not-allowed", error_type="error-not-allowed")
    return room


def _resolve_target(ctx: Ctx, target: str) -> Doc:
    store: Store = ctx.store
    if target.startswith("#"):
        room = store.room_by_name(target[1:])
        if room is None:
            raise failure("The channel could not be found [error-invalid-channel]", error_type="error-invalid-channel")
        return _postable_room(ctx, room["_id"])
    if target.startswith("@"):
        other = store.user_by_username(target[1:])
        if other is None:
            raise failure("The user could not be found [error-invalid-user]", error_type="error-invalid-user")
        return store.dm_between([ctx.me, other])
    return _postable_room(ctx, target)
