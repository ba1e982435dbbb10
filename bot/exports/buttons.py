"""Follow-up buttons for `!overview`, `!chart` and `!agents` replies: "By agent", "Previous period", "As chart",
"Export CSV", each one click away instead of a command to type.

A button is a legacy message-attachment action (core-typings `MessageAttachmentAction`, marked deprecated there
but still rendered by the web and mobile clients' `ActionAttachment`): `{type: "button", text, msg,
msg_in_chat_window: true, msg_processing_type: "sendMessage"}` inside an attachment's `actions`. The client
shows it when `type` is "button", it has a text and `msg_in_chat_window` is set, and a click makes the clicking
user's client send `msg` into the room (`ActionAttachmentButton`, `sendMessage`). So a click is that user
typing the command: the bot answers it by their own permissions, like anything they type, and a reply to
someone who may not see analytics is the usual refusal. The server stores actions as given once they pass
`validateAttachmentsActions` (`apps/meteor/app/lib/server/functions/sendMessage.ts`: `type`, `text`, `msg`
strings, `msg_in_chat_window` a boolean).

A button's command names the range in absolute dates (`2026-11-09..2026-11-15`), never the words typed
("last week"): clicked next month it must still show the period the reply showed. A department with a space is
quoted. A command that could mention someone when sent (a department named `@all` after a space: Rocket.Chat
finds mentions with `(^|\\s|>)@name` in the raw text, `MentionsParser.ts`) gets no button: the click would
be the user's own message, notifying people they never meant to.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from bot.analytics.metrics import Metric
from bot.analytics.service import Department
from bot.dates.grammar import DateRange, DateRangeError, previous_period
from bot.replies.markup import MAX_MESSAGE

__all__ = ["BUTTON_LABELS", "button", "follow_up_attachments", "range_words"]

Kind = Literal["overview", "chart", "agents"]
Json = dict[str, Any]
BUTTON_LABELS = {"by_agent": "By agent", "previous": "Previous period", "chart": "As chart", "export": "Export CSV"}
_MENTION = re.compile(r"(^|[\s>\ufeff])[@#]")


def range_words(rng: DateRange) -> str:
    """The range as the date grammar reads it back exactly: `2026-11-09` or `2026-11-09..2026-11-15`."""
    start, end = rng.start.isoformat(), rng.end.isoformat()
    return start if start == end else f"{start}..{end}"


def _department_option(department: Department | None) -> str | None:
    """`dept=Sales`, `dept="Customer Success"`; "" when there is none; None when no quoting can carry the name."""
    if department is None:
        return ""
    name = department.name
    if name and not any(ch.isspace() or ch in "\"'“”„‘’«»" for ch in name):
        return f"dept={name}"
    for quote in ('"', "'"):
        if quote not in name and "\n" not in name:
            return f"dept={quote}{name}{quote}"
    return None


def button(text: str, command: str) -> Json:
    """One action of core-typings' `MessageAttachmentAction`: a button that sends `command` as the clicker."""
    return {
        "type": "button",
        "text": text,
        "msg": command,
        "msg_in_chat_window": True,
        "msg_processing_type": "sendMessage",
    }


def follow_up_attachments(
    kind: Kind,
    *,
    prefix: str,
    rng: DateRange,
    department: Department | None,
    metric: Metric | None = None,
    sections: tuple[str, ...] = ("Conversations", "Productivity"),
) -> list[Json]:
    """The `attachments` of a reply: one attachment holding the buttons, or [] when none can be offered.

    `metric` is the chart or agents reply's metric; an overview's buttons use Total_conversations, or the
    average first response time when it showed Productivity alone."""
    dept = _department_option(department)
    if dept is None:
        return []
    if metric is None:
        name = "Avg_first_response_time" if sections == ("Productivity",) else "Total_conversations"
    else:
        name = metric.name
    here = range_words(rng)
    try:
        before: str | None = range_words(previous_period(rng))
    except DateRangeError:
        before = None
    section = f" {sections[0].lower()}" if len(sections) == 1 else ""

    def command(*words: str) -> str:
        return " ".join(w for w in (prefix + words[0], *words[1:], dept) if w)

    wanted: list[tuple[str, str | None]] = []
    if kind == "overview":
        wanted = [
            ("by_agent", command("agents", name, here)),
            ("previous", command("overview" + section, before) if before else None),
            ("chart", command("chart", name, here)),
            ("export", command("export conversations", here)),
        ]
    elif kind == "chart":
        wanted = [
            ("by_agent", command("agents", name, here)),
            ("previous", command("chart", name, before) if before else None),
            ("export", command("export chart", name, here)),
        ]
    else:
        wanted = [
            ("chart", command("chart", name, here)),
            ("previous", command("agents", name, before) if before else None),
            ("export", command("export agents", name, here)),
        ]
    actions = [
        button(BUTTON_LABELS[key], text)
        for key, text in wanted
        if text is not None and not _MENTION.search(text) and len(text) <= MAX_MESSAGE
    ]
    return [{"button_alignment": "horizontal", "actions": actions}] if actions else []
