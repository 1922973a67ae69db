"""Optional LLM-judge faithfulness: used only when an LLM backend is configured.

The default metrics need no LLM (evals/grounding.py); this adds ``faithfulness_llm`` when
``settings.llm`` is not ``none``, using the same chat model the bot answers with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.answer import prompts

# a number in [0, 1], not part of a larger number or a citation marker such as [1]
_NUMBER = re.compile(r"(?<![\d.\[])(0(?:\.\d+)?|1(?:\.0+)?)(?![\d.\]])")
PASSAGE_CHARS = 6000


def parse_score(text: str) -> float | None:
    """The first number in [0, 1] of a judge reply; None if there is none."""
    m = _NUMBER.search(text)
    return float(m.group(1)) if m else None


def make_judge(model: Any) -> Callable[[str, str, list[str]], float | None]:
    """A judge function over any LangChain chat model (``invoke(messages)``)."""

    def judge(question: str, answer: str, passages: list[str]) -> float | None:
        body = "\n\n".join(f"[{i}] {p}" for i, p in enumerate(passages, 1))[:PASSAGE_CHARS]
        msg = prompts.JUDGE_FAITHFULNESS_PROMPT.format(passages=body, answer=answer)
        try:
            reply = model.invoke([("human", msg)])
        except Exception:  # a judge outage leaves the metric out, not the run
            return None
        return parse_score(reply.content if isinstance(reply.content, str) else "")
    return judge


def judge_for(settings: Any) -> Callable[[str, str, list[str]], float | None] | None:
    """The judge when ``settings.llm`` names an LLM backend, else None (metric skipped)."""
    if settings.llm == "none":
        return None
    from bot.answer.generators import build_generator

    model = getattr(build_generator(settings), "model", None)
    return make_judge(model) if model is not None else None
