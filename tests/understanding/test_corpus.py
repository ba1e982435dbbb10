"""The corpus: plain questions, each with the command it is read as, the choices it is asked back with, or why
it is not answered (corpus.txt, which says how it is written). A phrasing that stops reading as expected is a
change people will notice, so each line is its own test case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.understanding.names import Agent
from bot.understanding.parser import Ambiguous, Context, Outcome, Unanswerable, Understood, understand
from bot.understanding.when import DateOptions

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
CONTEXT = Context(
    DateOptions(NOW, "Europe/Berlin"),
    departments=("Sales", "Support", "Billing", "Customer Success"),
    agents=(Agent("jane", "Jane Doe"), Agent("john", "John Smith"), Agent("ahmed.k", "Ahmed Khan")),
)
MINIMUM = 150


@dataclass(frozen=True)
class Case:
    question: str
    expected: str
    line: int


def cases() -> list[Case]:
    found = []
    lines = (Path(__file__).parent / "corpus.txt").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        question, _, expected = line.partition("  =>  ")
        assert expected, f"corpus.txt:{number} needs `QUESTION  =>  EXPECTED`"
        found.append(Case(question.strip(), expected.strip(), number))
    return found


def described(outcome: Outcome) -> str:
    """An outcome written the way corpus.txt writes expectations."""
    if isinstance(outcome, Understood):
        return "!" + outcome.command
    if isinstance(outcome, Ambiguous):
        return "? " + " | ".join("!" + c.command for c in outcome.choices)
    assert isinstance(outcome, Unanswerable)
    return f"- {outcome.topic}" + (f" !{outcome.suggestion}" if outcome.suggestion else "")


def test_the_corpus_is_large_enough_and_has_no_repeats() -> None:
    questions = [c.question.lower() for c in cases()]
    assert len(questions) >= MINIMUM
    assert len(set(questions)) == len(questions)


@pytest.mark.parametrize("case", cases(), ids=lambda c: f"{c.line}:{c.question[:50]}")
def test_each_question_reads_as_expected(case: Case) -> None:
    assert described(understand(case.question, CONTEXT)) == case.expected


def test_the_reading_of_the_same_question_does_not_change() -> None:
    for case in cases()[:20]:
        assert understand(case.question, CONTEXT) == understand(case.question, CONTEXT)
