"""A composed answer as data, and its Markdown rendering.

Generators fill a :class:`Reply` (direct answer first, then where the learner stands, steps,
resources, notes, what comes after) and number their sources with :class:`Citations`. Front
ends and the roadmap read these parts; Markdown (web, CLI), Slack mrkdwn and plain text are
renderings of it, made last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.answer import prompts
from bot.answer.retrieval import Hit
from bot.answer.text import is_action, sentence_split

_CITE = re.compile(r"\[(\d{1,2})\]")


class Citations:
    """Numbers sources in the order they are first cited, one number per corpus entry."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self._num: dict[str, int] = {}

    def cite(self, hit: Hit) -> str:
        sid = hit.source_id
        if sid not in self._num:
            self.hits.append(hit)
            self._num[sid] = len(self.hits)
        return f"[{self._num[sid]}]"


@dataclass
class Reply:
    """The parts of one answer, in reading order."""

    lead: str = ""  # the direct answer: a verdict, a pick, a number, a place, the next step
    fit: str = ""  # what the learner's background brings, said to them
    why: str = ""  # where the learner stands on the chain, and why
    next_step: str = ""  # the one concrete thing to do now, when the answer has one
    steps_title: str = ""
    steps: list[str] = field(default_factory=list)
    resources_title: str = ""
    resources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    after: str = ""  # what comes after this stage

    def markdown(self) -> str:
        """The answer as Markdown: the direct answer first, so it streams first."""
        blocks = [b for b in (self.lead, self.fit, self.why) if b]
        if self.next_step:
            blocks.append(f"**{prompts.NEXT_STEP_LABEL}** {self.next_step}")
        if self.steps:
            numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(self.steps, 1))
            blocks.append(f"**{self.steps_title}**\n{numbered}" if self.steps_title
                          else numbered)
        if self.resources:
            listed = "\n".join(f"- {r}" for r in self.resources)
            blocks.append(f"**{self.resources_title}**\n{listed}")
        blocks.extend(self.notes)
        if self.after:
            blocks.append(f"*{self.after}*")
        return "\n\n".join(blocks).strip()

    def in_reading_order(self, hits: list[Hit]) -> list[Hit]:
        """Renumber citations so they count up as the reply is read ([1] first); returns
        the sources in that order. (A lead taken from a later step keeps its source.)"""
        order: dict[int, int] = {}
        for m in _CITE.finditer(self.markdown()):
            n = int(m.group(1))
            if 1 <= n <= len(hits) and n not in order:
                order[n] = len(order) + 1

        def sub(m: re.Match[str]) -> str:
            return f"[{order.get(int(m.group(1)), int(m.group(1)))}]"

        self.lead, self.why, self.next_step, self.after = (
            _CITE.sub(sub, t) for t in (self.lead, self.why, self.next_step, self.after))
        self.steps = [_CITE.sub(sub, t) for t in self.steps]
        self.resources = [_CITE.sub(sub, t) for t in self.resources]
        self.notes = [_CITE.sub(sub, t) for t in self.notes]
        ranked = sorted(order, key=order.__getitem__)
        return [hits[n - 1] for n in ranked]

    def next_action(self) -> str:
        """The first thing to *do* among the steps (a sentence that reads as an action, not a
        description), as the roadmap keeps it: plain text, no citation markers."""
        if self.next_step:  # said as the one thing to do now
            plain = re.sub(r"\s*\[\d+\]", "", self.next_step).replace("**", "").strip()
            return next(iter(sentence_split(plain)), plain)
        for text in self.steps:
            plain = re.sub(r"\s*\[\d+\]", "", text).replace("**", "").strip()
            for sentence in sentence_split(plain):
                if is_action(sentence):
                    return sentence
        return ""


@dataclass
class Composed:
    """What a generator returns: the rendered text, the sources it cites, and its parts."""

    text: str
    sources: list[Hit]
    declined: bool = False  # the generator refused on the way out (e.g. a prompt leak)
    reply: Reply | None = None
    note: str = ""  # e.g. why an LLM's draft was replaced by the composed answer


__all__ = ["Citations", "Composed", "Reply"]
