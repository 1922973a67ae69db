"""How an answer's sources and knowledge-base version read, the same in every front end.

Each source shows when it was last checked (and its year where it has one); the answer shows
once which version of the corpus produced it, so a reader can judge how fresh the advice is.
"""

from __future__ import annotations

from typing import Any

from bot.answer.text import month_name
from ui import copy


def _get(src: Any, key: str) -> Any:
    return src.get(key) if isinstance(src, dict) else getattr(src, key, None)


def source_dates(src: Any) -> str:
    """"2021 · checked Dec 2026" for a source (a Source or its dict), or ""."""
    bits = []
    if _get(src, "year"):
        bits.append(str(_get(src, "year")))
    if _get(src, "checked"):
        bits.append(copy.SOURCE_CHECKED.format(when=month_name(str(_get(src, "checked")))))
    return " · ".join(bits)


def corpus_line(answer: Any) -> str:
    """"Knowledge base 2026-12 · 3f9c2a1", or "" when the answer has no version."""
    version = _get(answer, "corpus_version")
    return copy.CORPUS_VERSION.format(version=version) if version else ""


__all__ = ["corpus_line", "source_dates"]
