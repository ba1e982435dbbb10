"""A question as tokens: contractions spelled out, possessives dropped, `dept=` options lifted out.

People type "what's", "last month's", curly apostrophes and question marks; the vocabularies and the date
grammar want plain lowercase words. Each token keeps what was typed (`raw`) beside its lowercase form, so a
capitalised word ("did Marketing have") can be told apart from an ordinary one, and what is echoed back is
what the person wrote.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_CONTRACTIONS = {
    "what's": "what is",
    "whats": "what is",
    "who's": "who is",
    "how's": "how is",
    "where's": "where is",
    "there's": "there is",
    "it's": "it is",
    "that's": "that is",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "weren't": "were not",
    "didn't": "did not",
    "don't": "do not",
    "doesn't": "does not",
    "can't": "cannot",
    "won't": "will not",
    "i'm": "i am",
    "we're": "we are",
    "they're": "they are",
    "let's": "let us",
    "i'd": "i would",
    "we've": "we have",
    "o'clock": "oclock",
}
# `dept=Sales`, `department="Customer Success"`: the command syntax, used inside a question.
_OPTION = re.compile(r"""\b(?:dept|department)=(?:"([^"]*)"|'([^']*)'|“([^”]*)”|(\S+))""", re.IGNORECASE)
# A word: letters and digits, with the joiners dates and times use inside one word (9:30, mon-fri,
# 2026-11-01..2026-11-10, 1.11.2026, 01/05/2026).
_WORD = re.compile(r"[^\W\d_]+(?:_[^\W\d_]+)+|[^\W_]+(?:(?:\.\.|[:./\-–])[^\W_]+)*")


@dataclass(frozen=True)
class Token:
    raw: str  # as typed
    low: str  # lowercase, possessive dropped

    @property
    def capitalised(self) -> bool:
        return self.raw[:1].isupper()


@dataclass(frozen=True)
class Sentence:
    """The tokens of a question, and the departments it named with `dept=` (as typed)."""

    tokens: tuple[Token, ...]
    options: tuple[str, ...]

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(t.low for t in self.tokens)


def _expand(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        word = match.group(0)
        return _CONTRACTIONS.get(word.lower(), word)

    text = re.sub(r"[^\W_]+'[^\W_]+", one, text)
    text = re.sub(r"\b(whats)\b", one, text, flags=re.IGNORECASE)
    # Possessives: "last month's" → "last month", "Sales'" → "Sales" (the date grammar and names want the word).
    text = re.sub(r"(?<=[^\W_])'s\b", "", text, flags=re.IGNORECASE)
    return re.sub(r"(?<=s)'(?=\s|$)", "", text)


def sentence(text: str) -> Sentence:
    """Split a question into tokens (NFKC first, so full-width letters and digits read as plain ones)."""
    flat = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    options: list[str] = []

    def lift(match: re.Match[str]) -> str:
        options.append(next(g for g in match.groups() if g is not None).strip())
        return " "

    flat = _OPTION.sub(lift, flat)
    tokens = [Token(word, word.lower()) for word in _WORD.findall(_expand(flat))]
    return Sentence(tuple(tokens), tuple(o for o in options if o))


def squash(text: str) -> str:
    """A name compared loosely: lowercase letters and digits only ("Customer-Success" = "customer success")."""
    return " ".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).lower()))
