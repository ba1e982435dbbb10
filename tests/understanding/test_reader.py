"""The reader between a message and the command that runs: what passes exact, what is read, what is asked
back, and how a number answers — as the asker reads it."""

from __future__ import annotations

import pytest

from bot.understanding.reader import Addressed, choice_number
from tests.understanding.reading import Bench

pytestmark = pytest.mark.anyio


async def test_a_plain_question_runs_its_reading_under_one_line_saying_so() -> None:
    bench = Bench()
    said = await bench.say("how many chats did Sales have last week?")
    assert said == (
        "I read this as `!overview conversations last week dept=Sales`\nran overview conversations last week dept=Sales"
    )
    assert bench.ran == ["overview conversations last week dept=Sales"]


async def test_the_prefix_form_is_exact_and_never_read() -> None:
    bench = Bench()
    said = await bench.say("how many chats last week", Addressed.PREFIX)
    assert said.startswith("I don't know the command `how`.")
    assert await bench.say("overview last week", Addressed.PREFIX) == "ran overview last week"
    assert bench.lookups == 0


async def test_commands_typed_without_prefix_stay_exact() -> None:
    bench = Bench()
    for text in ("overview last week", "agents frt", "digest subscribe 09:00 mon-fri", "help overview", "now"):
        assert await bench.say(text) == f"ran {text}"
    assert bench.lookups == 0


async def test_a_command_word_starting_a_question_is_read_when_the_reading_is_sure() -> None:
    bench = Bench()
    said = await bench.say("agents who handled the most chats last week?")
    assert said.startswith("I read this as `!agents Total_conversations last week`\n")
    assert await bench.say("overview the day after tomorrow") == "ran overview the day after tomorrow"


async def test_an_ambiguous_question_is_asked_back_and_answered_by_number() -> None:
    bench = Bench()
    asked = await bench.say("who was the fastest agent this month")
    assert asked == (
        "Did you mean 1) first response time or 2) average response time? Answer 1 or 2.\n"
        "1) `!agents Avg_first_response_time this month`\n"
        "2) `!agents Avg_response_time this month`"
    )
    assert bench.ran == []
    assert bench.reader.answers_choice("r-1", "maria", "2")
    assert not bench.reader.answers_choice("r-1", "maria", "3")
    assert not bench.reader.answers_choice("r-1", "olivia", "2")
    assert not bench.reader.answers_choice("r-2", "maria", "2")
    said = await bench.say("2", Addressed.CHOICE)
    assert said == "I read this as `!agents Avg_response_time this month`\nran agents Avg_response_time this month"
    assert not bench.reader.answers_choice("r-1", "maria", "1")  # answered: closed


async def test_a_number_out_of_range_asks_again_and_keeps_the_question_open() -> None:
    bench = Bench()
    await bench.say("who was the fastest agent this month")
    assert await bench.say("5") == "Please answer 1 or 2, or ask again in other words."
    assert (await bench.say("option 1")).startswith("I read this as `!agents Avg_first_response_time this month`")


async def test_an_open_question_expires_after_a_few_minutes() -> None:
    bench = Bench()
    await bench.say("who was the fastest agent this month")
    bench.clock.move(minutes=4)
    assert bench.reader.answers_choice("r-1", "maria", "1")
    bench.clock.move(minutes=2)
    assert not bench.reader.answers_choice("r-1", "maria", "1")
    assert await bench.say("1") == (
        "I have no open question for you to answer with a number (they expire after a few minutes)."
    )
    assert await bench.say("1", Addressed.CHOICE) == "That question of mine has expired; please ask again."
    assert bench.ran == []


async def test_asking_something_else_closes_the_open_question() -> None:
    bench = Bench()
    await bench.say("who was the fastest agent this month")
    await bench.say("how many chats today")
    assert not bench.reader.answers_choice("r-1", "maria", "1")


async def test_a_retried_answer_runs_the_same_command_and_takes_a_choice_once() -> None:
    bench = Bench()
    await bench.say("who was the fastest agent this month")
    first = await bench.say("1", message_id="m-answer")
    again = await bench.say("1", message_id="m-answer")  # the dispatcher retrying after a 429
    assert first == again
    assert bench.ran == ["agents Avg_first_response_time this month"] * 2


async def test_someone_who_may_not_see_analytics_is_refused_before_any_name_is_looked_up() -> None:
    bench = Bench(allowed=False)
    assert await bench.say("how many chats did Sales have last week?") == "REFUSED"
    assert await bench.say("chats in Marketing") == "REFUSED"
    assert bench.lookups == 0
    assert (await bench.say("what can you do?")).startswith("I read this as `!help`")


async def test_a_command_the_bot_does_not_have_yet_is_said_not_run() -> None:
    bench = Bench(commands=("overview", "chart", "agents", "departments", "digest", "help"))
    said = await bench.say("is anyone waiting?")
    assert said.startswith("That needs the `!now` command, which this bot does not have yet.")
    assert bench.ran == []


async def test_an_unanswerable_question_says_what_the_bot_can_answer_and_runs_nothing() -> None:
    bench = Bench()
    said = await bench.say("abandoned chats yesterday in Billing")
    assert said.splitlines() == [
        "Sorry, abandoned chats are not in the analytics I read.",
        "The closest I can answer: `!overview conversations yesterday dept=Billing` (send it to run it).",
        "I answer questions about Omnichannel figures, such as “how many chats did we have last week?”, "
        "“what was our first response time yesterday?”, “who handled the most chats this month?” — or see `!help`.",
    ]
    assert bench.ran == []


async def test_an_unknown_department_is_named_with_the_ones_there_are() -> None:
    bench = Bench()
    said = await bench.say("how many chats did Marketing have last week")
    assert said.splitlines()[0] == (
        "I don't know a department `Marketing`. Departments: `Sales`, `Support`, `Billing`, `Customer Success`."
    )


async def test_echoed_words_mention_nobody() -> None:
    bench = Bench()
    said = await bench.say("how many chats did @all have in #general last week")
    assert "`@all`" in said or "@all" not in said
    assert " @" not in said.replace("`@", "") and " #" not in said.replace("`#", "")


@pytest.mark.parametrize(
    ("text", "number"),
    [("1", 1), (" 2 ", 2), ("2)", 2), ("#3", 3), ("option 2", 2), ("the second one", 2), ("two", 2), ("12", None)],
)
def test_what_counts_as_a_number(text: str, number: int | None) -> None:
    assert choice_number(text) == number


async def test_a_long_text_is_not_read_as_a_question() -> None:
    bench = Bench()
    said = await bench.say("how many chats last week " * 30)
    assert said.startswith("That is too long for me to read as a question: ask in one sentence.")
    assert bench.ran == []


async def test_several_departments_where_one_reading_cannot_choose_say_so() -> None:
    said = await Bench().say("fastest agent in Sales and Support")
    assert said.splitlines()[0] == "I show one department at a time: ask about `Sales` or `Support`."


async def test_an_alert_asked_for_in_words_gets_the_alert_commands_usage() -> None:
    bench = Bench(commands=("overview", "help", "alert"))
    said = await bench.say("notify me when the queue is over 5")
    assert said.splitlines() == [
        "Sorry, I cannot set alerts from a question; the command can:",
        "Usage: `!alert ARGS`",
    ]
    assert bench.ran == []
    # Starting with the command's own name, it is the command's to answer (with its usage, if it cannot).
    assert await bench.say("alert me when the queue is over 5") == "ran alert me when the queue is over 5"
