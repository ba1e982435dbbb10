"""`analytics-bot ask` with a plain question, as a script runs it: the reading on top, `understood` in JSON,
and a question the bot would ask back is exit 2 with its choices."""

from __future__ import annotations

import json

import pytest

from bot.sandbox import Sandbox
from tests.cli.test_ask_and_demo import env_for, run

pytestmark = [pytest.mark.anyio, pytest.mark.workspace("analytics")]
QUESTION = "how many chats did Sales have on 5 March 2024?"


async def test_a_question_prints_its_reading_on_top_of_the_reply(sb: Sandbox) -> None:
    code, out, err = await run(["ask", QUESTION], env_for(sb))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "I read this as `!overview conversations 5 Mar 2024 dept=Sales`"
    assert lines[1].startswith("*Omnichannel overview* · 5 Mar 2024: ")


async def test_json_says_what_was_understood_and_the_result_is_that_commands(sb: Sandbox) -> None:
    code, out, _ = await run(["ask", QUESTION, "--json"], env_for(sb))
    assert code == 0
    result = json.loads(out)
    assert result["understood"] == "!overview conversations 5 Mar 2024 dept=Sales"
    assert result["command"] == "overview"
    assert result["result"]["department"]["name"] == "Sales"
    assert result["result"]["sections"]["Conversations"]["values"]["Total_conversations"] == 1
    code, out, _ = await run(["ask", "overview conversations 2024-03-05", "--json"], env_for(sb))
    assert (code, json.loads(out)["understood"]) == (0, "!overview conversations 2024-03-05")


async def test_an_ambiguous_question_is_exit_2_with_its_choices(sb: Sandbox) -> None:
    code, out, err = await run(["ask", "who was the fastest agent on 5 March 2024?", "--json"], env_for(sb))
    assert code == 2
    assert err.startswith("Did you mean 1) first response time or 2) average response time? Answer 1 or 2.")
    assert json.loads(out)["choices"] == [
        "!agents Avg_first_response_time 5 Mar 2024",
        "!agents Avg_response_time 5 Mar 2024",
    ]


async def test_a_question_it_cannot_answer_is_exit_2_and_says_why(sb: Sandbox) -> None:
    code, out, err = await run(["ask", "what was our CSAT on 5 March 2024?"], env_for(sb))
    assert (code, out) == (2, "")
    assert err.startswith("Sorry, satisfaction ratings (CSAT) are not in the analytics I read.")
