"""Echoes notify nobody, render as typed and copy back as typed: checked against Rocket.Chat's server
mention rule (ported below) and its client message parser (verdicts recorded by
scripts/message-parser-oracle/record.py, so no node is needed here)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.replies.markup import cell, code_block, echo
from tests.mentions import SERVER_MENTION

VERDICTS = json.loads((Path(__file__).parent / "data" / "parser_verdicts.json").read_text())

RENDERED_AS_SOMETHING = {
    "MENTION_USER", "MENTION_CHANNEL", "LINK", "EMOJI", "BOLD", "ITALIC", "STRIKE", "SPOILER",
    "INLINE_KATEX", "KATEX", "COLOR", "TIMESTAMP", "IMAGE",
}  # fmt: skip


def node_types(ast: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(ast, dict):
        if "type" in ast:
            found.add(ast["type"])
        for value in ast.values():
            found |= node_types(value)
    elif isinstance(ast, list):
        for item in ast:
            found |= node_types(item)
    return found


def shown_text(ast: Any) -> str:
    """What a reader sees (and copies) of a paragraph: plain text and code spans, in order."""
    if isinstance(ast, list):
        return "".join(shown_text(item) for item in ast)
    if isinstance(ast, dict):
        if ast.get("type") == "PLAIN_TEXT":
            return str(ast["value"])
        return shown_text(ast.get("value"))
    return ""


def as_typed(text: str) -> str:
    return " ".join(text.replace("\ufeff", " ").split()).replace("`", "'")


@pytest.mark.parametrize("case", VERDICTS["cases"][: len(VERDICTS["cases"]) // 2], ids=lambda c: repr(c["typed"])[:40])
def test_each_recorded_echo_is_what_the_code_makes_today(case: dict[str, Any]) -> None:
    assert echo(case["typed"]) == case["text"], "echo() changed: run scripts/message-parser-oracle/record.py"


@pytest.mark.parametrize("case", VERDICTS["cases"], ids=lambda c: repr(c["text"])[:50])
def test_the_parser_renders_no_mention_link_emoji_or_markup_from_an_echo(case: dict[str, Any]) -> None:
    found = node_types(case["ast"]) & RENDERED_AS_SOMETHING
    if case["text"].startswith("*Overview*"):
        found -= {"BOLD"}  # the reply's own title
    assert not found, f"{VERDICTS['parser']} rendered {found} from {case['text']!r}"
    assert SERVER_MENTION.search(case["text"]) is None


@pytest.mark.parametrize("case", VERDICTS["cases"][: len(VERDICTS["cases"]) // 2], ids=lambda c: repr(c["typed"])[:40])
def test_an_echo_reads_and_copies_back_as_typed(case: dict[str, Any]) -> None:
    typed = as_typed(case["typed"])
    shown = shown_text(case["ast"])
    if len(typed) <= 80:
        # Only a `>` right before `@` or `#` gains a space (the sign must start a code span).
        assert shown == typed or shown.replace("> @", ">@").replace("> #", ">#") == typed
    else:
        assert shown == typed[:79] + "…"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("@#>` \t\n\u00a0\ufeff\u3000ab.-_*[]():"), max_size=40) | st.text(max_size=40))
def test_no_echo_or_table_cell_matches_the_servers_mention_rule(text: str) -> None:
    assert SERVER_MENTION.search(echo(text)) is None
    assert SERVER_MENTION.search(code_block(cell(text))) is None


def test_a_table_cell_keeps_a_name_usable_when_copied() -> None:
    shown = cell("@all team")
    assert shown == "＠all team"
    assert unicodedata.normalize("NFKC", shown) == "@all team"  # how names are matched
    assert cell("Sales #2 a@b") == "Sales ＃2 a@b"
