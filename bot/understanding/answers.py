"""What the asker reads when a question is read: the "I read this as" line, a question back with numbered
choices, or a short answer saying what the bot can answer instead.

Every command shown is the exact text that runs (or would run) with the prefix, and everything echoed —
the question's words, department names from the server — goes through `markup.echo`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.replies.markup import code, echo
from bot.understanding import targets as t
from bot.understanding.parser import Ambiguous, Unanswerable

READ_AS = "I read this as "
EXAMPLES = (
    "how many chats did we have last week?",
    "what was our first response time yesterday?",
    "who handled the most chats this month?",
)


def shown(prefix: str, command: str) -> str:
    """A command as it appears in a reply; never shortened, so what is shown is exactly what runs."""
    text = prefix + command
    return echo(text, limit=len(text) + 1)


def read_as(prefix: str, command: str) -> str:
    return READ_AS + shown(prefix, command)


_PLAIN = re.compile(r"[A-Za-z0-9 .,'()-]{1,60}")


def _label(text: str) -> str:
    """Words that no parser can turn into markup or a mention stay plain; anything else is echoed."""
    return text if _PLAIN.fullmatch(text) else echo(text, limit=60)


def ask_back(question: Ambiguous, prefix: str) -> str:
    """ "Did you mean 1) first response time or 2) average response time?" and the commands behind them."""
    # Labels are the bot's words (shown plain) or names from the server (echoed, as replies echo department names).
    labels = [f"{n}) {_label(c.label)}" for n, c in enumerate(question.choices, start=1)]
    listed = ", ".join(labels[:-1]) + " or " + labels[-1]
    numbers = ", ".join(str(n) for n in range(1, len(labels))) + f" or {len(labels)}"
    lead = f"{question.note}: did you mean" if question.note else "Did you mean"
    lines = [f"{lead} {listed}? Answer {numbers}."]
    lines += [f"{n}) {shown(prefix, c.command)}" for n, c in enumerate(question.choices, start=1)]
    return "\n".join(lines)


def what_i_answer(prefix: str) -> str:
    examples = ", ".join(f"“{e}”" for e in EXAMPLES)
    return f"I answer questions about Omnichannel figures, such as {examples} — or see {code(prefix + 'help')}."


def cannot(answer: Unanswerable, prefix: str) -> str:
    """A short answer for a question the bot will not guess at: why, the closest command, what it can do."""
    lines: list[str] = []
    unclear = " ".join(answer.unclear)
    if answer.topic in t.TOPICS:
        lines.append(f"Sorry, {t.TOPICS[answer.topic][0]}.")
    elif answer.topic == "unknown department":
        listing = _names(answer.options)
        known = f" Departments: {listing}." if listing else ""
        lines.append(f"I don't know a department {echo(unclear, limit=40)}.{known}")
    elif answer.topic == "several departments":
        lines.append(f"I show one department at a time: ask about {_names(answer.options, 'or')}.")
    elif answer.topic == "unsure":
        lines.append(f"I'm not sure what {echo(unclear, limit=60)} means here.")
    elif answer.topic == "digest time":
        lines.append("At what time should I post it? Say it with the time, e.g. “every weekday at 9am”.")
    elif answer.topic == "unknown" and unclear:
        lines.append(f"I can't answer that: I don't know what {echo(unclear, limit=60)} means here.")
    elif answer.topic == "unread date":
        lines.append(
            f"I could not read {echo(unclear, limit=60)} as a period. I understand for example `today`, "
            "`last week`, `last 30 days`, `October`, `since monday`, `1 May – 3 May`."
        )
    elif answer.topic == "too long":
        lines.append("That is too long for me to read as a question: ask in one sentence.")
    elif answer.topic == "greeting":
        lines.append("Hello!")
    elif answer.topic != "empty":
        lines.append("I can't answer that.")
    if answer.suggestion:
        lines.append(f"The closest I can answer: {shown(prefix, answer.suggestion)} (send it to run it).")
    lines.append(what_i_answer(prefix))
    return "\n".join(lines)


def _names(names: Sequence[str], last: str = "") -> str:
    shown = [echo(n, limit=40) for n in names[:20]]
    if last and len(shown) > 1:
        return ", ".join(shown[:-1]) + f" {last} " + shown[-1]
    return ", ".join(shown)
