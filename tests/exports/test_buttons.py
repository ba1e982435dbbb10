"""Follow-up buttons: Rocket.Chat's attachment action shape, commands that reproduce the period shown, and a
click being the clicker's own message, answered by their own permissions."""

from __future__ import annotations

from typing import Any

import pytest

from bot.analytics.metrics import BY_NAME
from bot.analytics.service import Department
from bot.commands.args import tokenize
from bot.commands.export import REFUSAL as EXPORT_REFUSAL
from bot.dates.grammar import parse_range
from bot.exports.buttons import follow_up_attachments, range_words
from bot.runtime.dispatch import REFUSAL
from tests.exports.harness import NOW, ROOM, TZ, demo_workspace, exporting

pytestmark = pytest.mark.anyio

LAST_WEEK = parse_range("last week", now=NOW, tz=TZ)  # Mon 9 – Sun 15 Nov 2026
# core-typings MessageAttachmentAction: the action's keys and the values msg_processing_type may take.
ACTION_KEYS = {
    "msgId",
    "type",
    "text",
    "msg",
    "url",
    "image_url",
    "is_webview",
    "msg_in_chat_window",
    "msg_processing_type",
}
PROCESSING = {"sendMessage", "respondWithMessage", "respondWithQuotedMessage"}


def actions(attachments: list[dict[str, Any]]) -> dict[str, str]:
    (attachment,) = attachments
    return {action["text"]: action["msg"] for action in attachment["actions"]}


def test_buttons_have_rocket_chats_attachment_action_shape() -> None:
    attachments = follow_up_attachments("overview", prefix="!", rng=LAST_WEEK, department=None)
    (attachment,) = attachments
    assert set(attachment) == {"button_alignment", "actions"} and attachment["button_alignment"] == "horizontal"
    for action in attachment["actions"]:
        assert set(action) <= ACTION_KEYS
        assert action["type"] == "button" and action["msg_in_chat_window"] is True
        assert action["msg_processing_type"] in PROCESSING
        assert isinstance(action["text"], str) and action["text"] and isinstance(action["msg"], str)
        # The web client's ActionAttachment shows a button only when all of this holds.
        assert action["type"] == "button" and (action.get("image_url") or action["text"])
        assert action.get("url") or action["msg_in_chat_window"]


def test_each_reply_gets_its_follow_ups_with_absolute_dates() -> None:
    frt = BY_NAME["Avg_first_response_time"]
    overview = actions(follow_up_attachments("overview", prefix="!", rng=LAST_WEEK, department=None))
    chart = actions(follow_up_attachments("chart", prefix="!", rng=LAST_WEEK, department=None, metric=frt))
    agents = actions(follow_up_attachments("agents", prefix="!", rng=LAST_WEEK, department=None, metric=frt))
    assert overview == {
        "By agent": "!agents Total_conversations 2026-11-09..2026-11-15",
        "Previous period": "!overview 2026-11-02..2026-11-08",
        "As chart": "!chart Total_conversations 2026-11-09..2026-11-15",
        "Export CSV": "!export conversations 2026-11-09..2026-11-15",
    }
    assert chart == {
        "By agent": "!agents Avg_first_response_time 2026-11-09..2026-11-15",
        "Previous period": "!chart Avg_first_response_time 2026-11-02..2026-11-08",
        "Export CSV": "!export chart Avg_first_response_time 2026-11-09..2026-11-15",
    }
    assert agents == {
        "As chart": "!chart Avg_first_response_time 2026-11-09..2026-11-15",
        "Previous period": "!agents Avg_first_response_time 2026-11-02..2026-11-08",
        "Export CSV": "!export agents Avg_first_response_time 2026-11-09..2026-11-15",
    }
    productivity = actions(
        follow_up_attachments("overview", prefix="?", rng=LAST_WEEK, department=None, sections=("Productivity",))
    )
    assert productivity["Previous period"] == "?overview productivity 2026-11-02..2026-11-08"
    assert productivity["By agent"] == "?agents Avg_first_response_time 2026-11-09..2026-11-15"


@pytest.mark.parametrize("phrase", ["yesterday", "last week", "this month", "last 30 days", "Q3"])
def test_a_buttons_range_reads_back_as_the_period_shown(phrase: str) -> None:
    shown = parse_range(phrase, now=NOW, tz=TZ)
    later = NOW.replace(month=12, day=24)  # clicked weeks later: still the period of the reply
    again = parse_range(range_words(shown), now=later, tz=TZ)
    assert (again.start, again.end) == (shown.start, shown.end)


def test_departments_are_quoted_so_the_command_reads_them_back() -> None:
    spaced = Department("dep-cs", "Customer Success")
    msg = actions(follow_up_attachments("overview", prefix="!", rng=LAST_WEEK, department=spaced))["Export CSV"]
    assert msg == '!export conversations 2026-11-09..2026-11-15 dept="Customer Success"'
    assert tokenize(msg)[-1] == "dept=Customer Success"
    quoted = Department("d", 'The "A" team')
    assert (
        "dept='The \"A\" team'"
        in actions(follow_up_attachments("overview", prefix="!", rng=LAST_WEEK, department=quoted))["Export CSV"]
    )
    assert follow_up_attachments("overview", prefix="!", rng=LAST_WEEK, department=Department("d", "a\"b'c d")) == []


def test_no_button_whose_click_would_mention_someone() -> None:
    for name in ("Team @all", "Sales #general", "x >@here"):
        assert follow_up_attachments("overview", prefix="!", rng=LAST_WEEK, department=Department("d", name)) == []
    assert follow_up_attachments("overview", prefix="!", rng=LAST_WEEK, department=Department("d", "a@b.com"))


async def test_rocket_chat_keeps_the_buttons_and_a_click_answers_by_the_clickers_own_permissions() -> None:
    document = demo_workspace(
        days=20,
        Sandbox_Permissions={"view-livechat-rooms": ["admin", "bot"], "view-full-other-user-info": ["admin", "bot"]},
    )
    attachments = follow_up_attachments("overview", prefix="!", rng=LAST_WEEK, department=None)
    async with exporting(document) as exporter:
        stored = await exporter.rest.send_message(ROOM, "figures", msg_id="reply-1", attachments=attachments)
        assert stored is not None and stored["attachments"] == attachments
        clicks = actions(stored["attachments"])
        as_olivia = {text: await exporter.say(msg, asker="olivia.user") for text, msg in clicks.items()}
        as_maria = {text: await exporter.say(msg) for text, msg in clicks.items()}
        as_admin = await exporter.say(clicks["Export CSV"], asker="admin")
    assert set(as_olivia.values()) == {REFUSAL}  # no analytics permission: the refusal, whatever the button
    assert as_maria["Export CSV"] == EXPORT_REFUSAL  # analytics yes, listing conversations no
    assert as_maria["Previous period"].startswith("*Omnichannel overview* · 2 – 8 Nov 2026: Mon 2 – Sun 8 Nov 2026")
    assert as_maria["By agent"].startswith("*Total Conversations by agent*")
    assert "one row each" in as_admin
