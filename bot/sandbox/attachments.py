"""Message attachments checked as Rocket.Chat's `validateMessage` checks them, then stored as given.

Source: `apps/meteor/app/lib/server/functions/sendMessage.ts` (`validateAttachment`,
`validateAttachmentsFields`, `validateAttachmentsActions`, `objectMaybeIncluding`). Only the keys listed there
are checked, and only when present and not null; every other key (an action's `msg_processing_type`, an
attachment's `type`) passes untouched, and the message keeps the attachments exactly as sent, actions
(buttons) included, so `chat.getMessage`, `chat.syncMessages` and the realtime stream return them as given.

The failures and their texts:
- a value of the wrong type: Meteor's `check` inside `objectMaybeIncluding`'s `Match.Where`, which nests the
  message once: `Match error: Match error: Expected string, got number in field msg`;
- a URL field (`url`, `image_url`, `title_link`, ...) that is not an absolute URL or a `/file-upload/` path, or
  is `javascript:`: a plain `Error('Invalid href value provided')`;
- a `fields` item without a title or a value: `Error('Invalid attachment field, title and value is required')`.
REST answers each with 400 `{"success": false, "error": <message>}` (no `errorType`: neither is a Meteor.Error).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["AttachmentError", "validate_attachments"]

FILE_UPLOAD_PATH = "/file-upload/"  # FileUpload.getPath()
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s]+$", re.IGNORECASE)  # lib/utils/isURL: a scheme and a host


class AttachmentError(ValueError):
    """The message Rocket.Chat's REST API answers with (400, no errorType)."""


Check = Callable[[Any], str | None]  # None when the value passes, else Meteor's "Expected ..., got ..."


def _js_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _of(kind: str) -> Check:
    def check(value: Any) -> str | None:
        return None if _js_type(value) == kind else f"Expected {kind}, got {_js_type(value)}"

    return check


def _one_of(*kinds: str) -> Check:
    def check(value: Any) -> str | None:
        return None if _js_type(value) in kinds else "Failed Match.OneOf, Match.Maybe or Match.Optional validation"

    return check


def _array(value: Any) -> str | None:
    return None if isinstance(value, list) else f"Expected array, got {_js_type(value)}"


def _object(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"Expected object, got {_js_type(value)}"


def _full_url(value: Any) -> str | None:
    """`validFullURLParam`: a string that is a URL or a file-upload path, and never `javascript:`."""
    if not isinstance(value, str):
        return f"Expected string, got {_js_type(value)}"
    if not (_URL.match(value) or value.startswith(FILE_UPLOAD_PATH)) or value.lower().startswith("javascript:"):
        raise AttachmentError("Invalid href value provided")
    return None


_STRING, _NUMBER, _BOOLEAN = _of("string"), _of("number"), _of("boolean")

ACTION_KEYS: dict[str, Check] = {
    "type": _STRING,
    "text": _STRING,
    "url": _full_url,
    "image_url": _full_url,
    "is_webview": _BOOLEAN,
    "webview_height_ratio": _STRING,
    "msg": _STRING,
    "msg_in_chat_window": _BOOLEAN,
}
FIELD_KEYS: dict[str, Check] = {"short": _BOOLEAN, "title": _STRING, "value": _one_of("string", "number", "boolean")}
ATTACHMENT_KEYS: dict[str, Check] = {
    "color": _STRING,
    "text": _STRING,
    "ts": _one_of("string", "number"),
    "thumb_url": _full_url,
    "button_alignment": _STRING,
    "actions": _array,
    "message_link": _full_url,
    "collapsed": _BOOLEAN,
    "author_name": _STRING,
    "author_link": _full_url,
    "author_icon": _full_url,
    "title": _STRING,
    "title_link": _full_url,
    "title_link_download": _BOOLEAN,
    "image_dimensions": _object,
    "image_url": _full_url,
    "image_preview": _STRING,
    "image_type": _STRING,
    "image_size": _NUMBER,
    "audio_url": _full_url,
    "audio_type": _STRING,
    "audio_size": _NUMBER,
    "video_url": _full_url,
    "video_type": _STRING,
    "video_size": _NUMBER,
    "fields": _array,
}


def _maybe_including(value: Any, keys: dict[str, Check]) -> None:
    """`check(value, objectMaybeIncluding(keys))`: each listed key that is present and not null must match."""
    if not isinstance(value, dict):
        return  # `value[field]` of a non-object is undefined in JavaScript: nothing to check
    for name, check in keys.items():
        if value.get(name) is not None:
            problem = check(value[name])
            if problem is not None:
                raise AttachmentError(f"Match error: Match error: {problem} in field {name}")


def validate_attachments(attachments: Any) -> None:
    """Raise AttachmentError as `validateMessage` would for `message.attachments`; return when they pass."""
    if attachments is None:
        return
    if not isinstance(attachments, list):
        raise AttachmentError(
            f"Match error: Match error: Expected array, got {_js_type(attachments)} in field attachments"
        )
    for attachment in attachments:
        _maybe_including(attachment, ATTACHMENT_KEYS)
        if not isinstance(attachment, dict):
            continue
        for field in attachment.get("fields") or []:
            _maybe_including(field, FIELD_KEYS)
            if not isinstance(field, dict) or not field.get("value") or not field.get("title"):
                raise AttachmentError("Invalid attachment field, title and value is required")
        for action in attachment.get("actions") or []:
            _maybe_including(action, ACTION_KEYS)
