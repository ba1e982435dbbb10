"""Analytics commands end to end: a manager types, the bot queries the sandbox, the reply is exact."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.commands import analytics as analytics_commands
from bot.replies import pictures
from bot.sandbox import Sandbox
from tests.analytics.counting import Requests
from tests.analytics_data import analytics_workspace
from tests.harness import Poster, Replies, running_bot
from tests.mentions import mentions

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]
MANAGERS = "r-managers"
AS_OF = re.compile(r" Figures as of (\d\d):(\d\d)\.$")


async def ask_raw(
    sb: Sandbox, *texts: str, user: str = "maria", clock: Callable[[], datetime] | None = None, **settings: Any
) -> list[str]:
    """Post each text as `user` in #omnichannel-managers and return the bot's reply texts as posted."""
    replies = Replies(sb)
    answers = []
    async with httpx.AsyncClient(base_url=sb.url) as http:
        poster = await Poster.login(http, user)
        async with running_bot(sb, clock=clock, **settings):
            for text in texts:
                command = await poster.post(MANAGERS, text)
                answers.append((await replies.answer_to(command))["msg"])
    return answers


def without_as_of(reply: str, since: datetime) -> str:
    """The reply without its "Figures as of HH:MM." (checked: a UTC time from `since` to now), if it has one."""
    match = AS_OF.search(reply)
    if match is None:
        return reply
    shown = (int(match[1]), int(match[2]))
    minutes = range(int((datetime.now(UTC) - since).total_seconds() // 60) + 2)
    assert shown in {((since + timedelta(minutes=m)).hour, (since + timedelta(minutes=m)).minute) for m in minutes}
    return reply[: match.start()]


async def ask(sb: Sandbox, *texts: str, user: str = "maria") -> list[str]:
    """`ask_raw`, with the read time checked and taken off (the other tests pin it)."""
    since = datetime.now(UTC).replace(second=0, microsecond=0)
    return [without_as_of(reply, since) for reply in await ask_raw(sb, *texts, user=user)]


async def test_overview_both_sections_against_the_same_weekday_a_week_earlier(sb: Sandbox) -> None:
    """No conversations on Tue 27 Feb: counts are "new", and times have nothing to change from."""
    [reply] = await ask(sb, "!overview 2024-03-05")
    assert reply == "\n".join(
        [
            "*Omnichannel overview* · 5 Mar 2024: Tue 5 Mar 2024, UTC",
            "Changes against Tue 27 Feb 2024 (the same weekday a week earlier).",
            "*Conversations*",
            "• Total Conversations: 2  new",
            "• Open Conversations: 1",
            "• On hold conversations: 0",
            "• Total Messages: 8  new",
            "• Busiest Day: Tuesday",
            "• Conversations per Day: 2.00  new",
            "• Busiest Time: 2PM - 3PM",
            "*Productivity*",
            "• Average of Response Time: 1m 05s",
            "• Average of First Response Time: 1m 00s",
            "• Average of Reaction Time: 8s",
            "*Real-time Monitoring*",
            "• Abandoned (visitor silent past the inactivity timeout): 0 of 2 (0%)",
            "• Visitors active: 0",
            "• Chat duration, closed chats: avg 10m 00s, longest 10m 00s",
            "• Longest first response: 1m 30s",
            "Based on 2 conversations.",
        ]
    )


async def test_overview_one_section_with_a_department(sb: Sandbox) -> None:
    conversations, productivity = await ask(
        sb,
        "!overview conversations 2024-03-05 dept=sales",
        '@analytics-bot overview productivity 2024-03-04 dept="SUPPORT"',
    )
    assert (
        conversations.splitlines()[0] == "*Omnichannel overview* · 5 Mar 2024: Tue 5 Mar 2024, UTC · department `Sales`"
    )
    assert "• Total Conversations: 1  new" in conversations
    assert "• Total Messages: 6  new" in conversations
    assert "*Productivity*" not in conversations
    assert conversations.endswith("Based on 1 conversation.")
    assert productivity.splitlines()[2:] == [
        "*Productivity*",
        "• Average of Response Time: no data",
        "• Average of First Response Time: no data",
        "• Average of Reaction Time: no data",
        "No conversations in this period.",
    ]


async def test_multi_day_chart_with_a_picture(sb: Sandbox) -> None:
    [reply] = await ask(sb, "!chart Avg_first_response_time 2024-03-04..2024-03-06")
    assert reply == "\n".join(
        [
            "*Average of First Response Time* · 4 – 6 Mar 2024: Mon 4 – Wed 6 Mar 2024, UTC",
            "`█▁ `  avg 1m 20s · max 2m 00s (Mon 4 Mar) · min 1m 00s (Tue 5 Mar) · no data on 1 of 3 days",
            "Based on 3 conversations.",
        ]
    )
    pictures = [u for u in sb.store.uploads.values() if u["userId"] == "u-bot"]
    assert len(pictures) == 1
    assert pictures[0]["rid"] == MANAGERS and pictures[0]["type"] == "image/png"
    assert sb.store.upload_data[pictures[0]["_id"]].startswith(b"\x89PNG\r\n\x1a\n")
    posted = [m for m in sb.store.messages.values() if m.get("file", {}).get("_id") == pictures[0]["_id"]]
    assert posted and posted[0]["u"]["username"] == "analytics-bot"


async def test_agents_are_ranked_numerically(sb: Sandbox) -> None:
    frt, share = await ask(sb, "!agents frt 2024-03-04..2024-03-05", "!agents conversations 2024-03-04..2024-03-05")
    assert frt == "\n".join(
        [
            "*Average of First Response Time by agent* · 4 – 5 Mar 2024: Mon 4 – Tue 5 Mar 2024, UTC",
            "Ranked fastest first.",
            "```",
            "#  Agent  Average of First Response Time",
            "-  -----  ------------------------------",
            "1  jane                           1m 15s",
            "2  john                           1m 30s",
            "```",
            "Based on 3 conversations.",
        ]
    )
    assert "\nRanked by share of conversations, largest first.\n```" in share
    assert "1  jane               66.67%" in share and "2  john               33.33%" in share


async def test_agents_by_chat_duration_say_the_order_is_no_verdict() -> None:
    document = analytics_workspace()
    document["rooms"].append(
        {
            "_id": "room-d",
            "t": "l",
            "ts": "2024-03-04T09:00:00Z",
            "open": False,
            "servedBy": {"_id": "u-agent2", "username": "john"},
            "v": {"_id": "v-d", "username": "guest-d", "token": "tok-d"},
            "metrics": {"chatDuration": 900},
        }
    )
    async with Sandbox(document) as sandbox:
        [reply] = await ask(sandbox, "!agents chat duration 2024-03-04..2024-03-05")
    assert reply.splitlines()[1:7] == [
        "Ranked by average chat duration, longest first: a longer chat is neither better nor worse.",
        "```",
        "#  Agent  Average of Chat Duration",
        "-  -----  ------------------------",
        "1  john                    15m 00s",
        "2  jane                     7m 30s",
    ]


async def test_departments_list(sb: Sandbox) -> None:
    [reply] = await ask(sb, "!departments")
    assert "Customer Success  yes" in reply and "Sales             yes" in reply
    assert reply.endswith('quote names with spaces: `dept="Customer Success"`.')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!chart respons time", "I don't know the chart `respons time`. Did you mean `Avg_response_time`?"),
        ("!chart", "Which chart?"),
        ("!overview last week dept=Marketing", "There is no department `Marketing`."),
        ("!overview last week dept=sup", "Did you mean `dept=Support`?"),
        ("!overview fortnight-ish", "understand"),
        ("!overview tomorrow", "future"),
        ("!agents frt next week", "future"),
        ("!overview last week colour=red", "Unknown option `colour=`."),
        ('!overview dept="Customer Success', "A quote is not closed"),
    ],
)
async def test_bad_input_gets_a_specific_message_and_the_usage(sb: Sandbox, text: str, expected: str) -> None:
    [reply] = await ask(sb, text)
    assert expected in reply
    assert "\nUsage: `!" in reply


async def test_an_unknown_department_lists_the_real_ones(sb: Sandbox) -> None:
    [reply] = await ask(sb, "!agents frt dept=Marketing")
    assert "Departments: `Customer Success`, `Sales`, `Support`." in reply


async def test_names_from_the_server_are_echoed_as_typed_and_mention_nobody() -> None:
    """Department names are free text: in prose they are code spans (markup shows as typed), in tables a leading
    `@` is the full-width sign, and no reply notifies anyone."""
    document = analytics_workspace()
    names = {"dep-sales": "*Sales* _EMEA_", "dep-cs": "@here team"}
    for department in document["departments"]:
        department["name"] = names.get(department["_id"], department["name"])
    async with Sandbox(document) as sandbox:
        overview, listing, unknown = await ask(
            sandbox,
            '!overview conversations 2024-03-05 dept="*sales* _emea_"',
            "!departments",
            "!agents frt dept=Nowhere",
        )
    assert overview.splitlines()[0] == (
        "*Omnichannel overview* · 5 Mar 2024: Tue 5 Mar 2024, UTC · department `*Sales* _EMEA_`"
    )
    assert "*Sales* _EMEA_  yes" in listing and "＠here team     yes" in listing
    assert "There is no department `Nowhere`. Departments: `*Sales* _EMEA_`, `@here team`, `Support`." in unknown
    assert mentions(overview) == mentions(listing) == mentions(unknown) == []


async def test_askers_are_judged_by_their_own_roles() -> None:
    """With roles readable (view-full-other-user-info granted to the bot), an admin gets figures and an
    ordinary user is refused; the service account's own roles never decide."""
    grants = {"view-full-other-user-info": ["admin", "bot"]}
    async with Sandbox(analytics_workspace(Sandbox_Permissions=grants)) as sandbox:
        [admin] = await ask(sandbox, "!overview 2024-03-05", user="admin")
        replies = Replies(sandbox)
        async with httpx.AsyncClient(base_url=sandbox.url) as http:
            olivia = await Poster.login(http, "olivia")
            async with running_bot(sandbox):
                command = await olivia.post("GENERAL", "!overview 2024-03-05")
                refused = (await replies.answer_to(command))["msg"]
    assert "• Total Conversations: 2" in admin
    assert "Total Conversations" not in refused and "only for people who may see them" in refused


async def test_rate_limited_server_gets_a_human_message(sb: Sandbox) -> None:
    sb.fault("livechat/analytics/overview", status=429, retry_after_ms=30000)
    [reply] = await ask(sb, "!overview 2024-03-05")
    assert reply == "Rocket.Chat is rate-limiting me right now; please try again in 30 s."


async def test_server_error_gets_a_human_message(sb: Sandbox) -> None:
    sb.fault("livechat/analytics/agent-overview", status=503)
    [reply] = await ask(sb, "!agents frt 2024-03-05")
    assert reply == "Rocket.Chat isn't answering properly right now; please try again in a minute."


async def test_replies_with_figures_say_when_they_were_read(sb: Sandbox) -> None:
    read = datetime.now(UTC).replace(second=0, microsecond=0)  # the bot's clock stands still here
    overview, chart, agents, departments = await ask_raw(
        sb,
        "!overview 2024-03-05",
        "!chart conversations 2024-03-05",
        "!agents frt 2024-03-05",
        "!departments",
        clock=lambda: read,
        timezone="Europe/Berlin",
    )
    shown = f"Figures as of {read.astimezone(ZoneInfo('Europe/Berlin')):%H:%M}."  # in the bot's time zone
    assert overview.endswith(f"\nBased on 2 conversations. {shown}")
    assert chart.endswith(f"\nBased on 2 conversations. {shown}")
    assert agents.endswith(f"\nBased on 2 conversations. {shown}")
    assert "as of" not in departments  # no figures, nothing to date


async def test_a_burst_of_identical_commands_asks_rocket_chat_once_per_question(sb: Sandbox) -> None:
    requests = Requests(sb)
    replies = Replies(sb)
    async with httpx.AsyncClient(base_url=sb.url) as http:
        posters = [await Poster.login(http, user) for user in ("maria", "admin")]
        async with running_bot(sb):
            commands = await asyncio.gather(*(posters[n % 2].post(MANAGERS, "!overview 2024-03-05") for n in range(40)))
            answers = [(await replies.answer_to(command, within=20))["msg"] for command in commands]
    assert all("• Total Conversations: 2  new" in answer for answer in answers[0::2])  # maria's
    assert all("only for people who may see them" in answer for answer in answers[1::2])  # admin: no manager
    assert requests["livechat/analytics/overview"] == 4  # 2 sections x (the day, a week earlier), shared by 20
    assert requests["users.info"] == 2  # one per asker
    # Their roles are hidden: one look at the manager list; and one probe of the agent list (live figures).
    assert requests["livechat/users/:type"] == 2


async def test_a_slow_chart_render_does_not_delay_another_command(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    drawing, release = threading.Event(), threading.Event()

    def slow_render(*args: object, **kwargs: object) -> bytes:  # runs on a chart thread, blocked until released
        drawing.set()
        release.wait(timeout=30)
        return b"\x89PNG\r\n\x1a\n(a picture)"

    monkeypatch.setattr(pictures, "render_chart", slow_render)
    monkeypatch.setattr(analytics_commands, "charts_available", lambda: True)
    replies = Replies(sb)
    async with httpx.AsyncClient(base_url=sb.url) as http:
        maria = await Poster.login(http, "maria")
        async with running_bot(sb):
            try:
                chart = await maria.post(MANAGERS, "!chart conversations 2024-03-05")
                assert await asyncio.to_thread(drawing.wait, 10)
                overview = await maria.post(MANAGERS, "!overview 2024-03-05")
                answered = await replies.answer_to(overview)
                assert "• Total Conversations: 2" in answered["msg"]
                assert replies.to(chart) == []  # still drawing
            finally:
                release.set()
            assert "Based on 2 conversations." in (await replies.answer_to(chart))["msg"]


async def test_help_says_what_overview_changes_are_against(sb: Sandbox) -> None:
    [reply] = await ask(sb, "!help overview")
    assert "conversations and productivity, each with its change against a like period" in reply
