"""The answer object: what ``ask --json``, the web API, Slack and evals get (INTERFACES.md).

``answer`` is the reply rendered as Markdown; ``reply`` holds the same reply as parts (direct
answer, why, steps, resources) for front ends that render it their own way. ``stage`` is the
stage the learner should work on now: the first link of the chain still missing given what
they said they have done, or, for a question with no progress in it, the stage it is about.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.answer.reply import Reply


class Source(BaseModel):
    """A cited corpus entry; ``checked`` is the month it was last verified."""

    id: str
    title: str
    url: str | None = None
    stage: str | None = None
    kind: str
    checked: str | None = None
    year: int | None = None


class Answer(BaseModel):
    """The answer object of ``ask --json``, the web API and evals."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    answer: str
    stage: str | None = None
    stage_confidence: float = 0.0
    next_stage: str | None = None
    declined: bool = False
    filters: dict[str, Any] = Field(default_factory=dict)
    trace_id: str | None = None
    done: list[str] = Field(default_factory=list)
    corpus_version: str | None = None
    sources: list[Source] = Field(default_factory=list)
    reply: Reply | None = Field(default=None, exclude=True)

    def public(self) -> dict[str, Any]:
        return self.model_dump()


__all__ = ["Answer", "Source"]
