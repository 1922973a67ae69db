"""Input hygiene shared by every front end: one place decides what text reaches the bot."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.answer import prompts

# C0/C1 controls except tab and newline, bidi embeddings/overrides/isolates, zero-width
# characters, and the Unicode tag block (used to smuggle invisible instructions).
_STRIP = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class InputProblem(ValueError):
    """Input the bot will not process; ``reply`` is what to tell the user."""

    def __init__(self, kind: str, reply: str):
        self.kind = kind
        self.reply = reply
        super().__init__(reply)


@dataclass(frozen=True)
class CleanInput:
    text: str
    removed_chars: int


def clean_text(text: str) -> str:
    """NFKC-normalise and strip invisible or direction-changing characters."""
    text = unicodedata.normalize("NFKC", text)
    text = _STRIP.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def check_input(raw: object, max_chars: int) -> CleanInput:
    """Clean ``raw`` or raise :class:`InputProblem` (empty, not text, or over the limit).

    The limit is checked on the raw length first so a huge paste is refused before any work.
    """
    if raw is None:
        raise InputProblem("empty", prompts.EMPTY_INPUT)
    if not isinstance(raw, str):
        raise InputProblem("malformed", "Please send your question as plain text.")
    if len(raw) > max_chars:
        raise InputProblem("too_long", prompts.TOO_LONG.format(length=len(raw), limit=max_chars))
    text = clean_text(raw)
    if not text or not any(ch.isalnum() for ch in text):
        raise InputProblem("empty", prompts.EMPTY_INPUT)
    return CleanInput(text=text, removed_chars=len(raw) - len(text))
