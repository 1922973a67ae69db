"""The corpus schema: what a guide, a role and a resource must say.

The corpus is data; these models are its contract. Every file under ``corpus/data`` is
validated against them by :func:`corpus.loader.load_corpus` and ``careerbot corpus check``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

Stage = Literal[
    "landscape", "building-blocks", "resources", "portfolio", "network-and-job", "future-proof"
]
STAGES: tuple[str, ...] = (
    "landscape",
    "building-blocks",
    "resources",
    "portfolio",
    "network-and-job",
    "future-proof",
)
Level = Literal["beginner", "intermediate", "advanced"]
LEVELS: tuple[str, ...] = ("beginner", "intermediate", "advanced")
Cost = Literal["free", "paid", "freemium"]
COSTS: tuple[str, ...] = ("free", "paid", "freemium")
ResourceKind = Literal[
    "book",
    "course",
    "blog",
    "newsletter",
    "portal",
    "community",
    "dataset",
    "podcast",
    "tool",
    "interview-bank",
]
RESOURCE_KINDS: tuple[str, ...] = (
    "book",
    "course",
    "blog",
    "newsletter",
    "portal",
    "community",
    "dataset",
    "podcast",
    "tool",
    "interview-bank",
)
DocKind = Literal["guide", "role", "resource"]

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _check_id(value: str, prefix: str) -> str:
    if not value.startswith(prefix) or not _ID.match(value):
        raise ValueError(f"must be lower-case words joined by '-' and start with '{prefix}'")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Skill(_Strict):
    """One skill of a role; ``keywords`` are how a CV shows it (lower-case)."""

    name: str = Field(min_length=2)
    keywords: list[str] = Field(min_length=1)
    why: str = ""


class Role(_Strict):
    """An AI role: what it does and the skills to learn for it, in learning order."""

    id: str
    name: str
    aliases: list[str] = []
    summary: str = Field(min_length=80)
    day_to_day: list[str] = Field(min_length=2)
    skills: list[Skill] = Field(min_length=4)
    tools: list[str] = Field(min_length=2)
    path_in: str = Field(min_length=60)
    fits_you_if: str = ""

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "")

    @property
    def doc_id(self) -> str:
        return f"role-{self.id}"


class Resource(_Strict):
    """A book, course, data set, ... that exists, with facts that are true."""

    id: str
    title: str = Field(min_length=2)
    kind: ResourceKind
    stages: list[Stage] = Field(min_length=1)
    roles: list[str] = []  # role slugs; empty means useful for every role
    level: Level
    cost: Cost
    url: HttpUrl | None = None
    summary: str = Field(min_length=40)
    authors: list[str] = []
    provider: str | None = None
    hours: float | None = Field(default=None, gt=0)
    year: int | None = Field(default=None, ge=1950, le=2030)
    topics: list[str] = []

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "res-")


class Guide(_Strict):
    """A focused guidance document for one stage; ``body`` is Markdown with ``##`` sections."""

    id: str
    title: str = Field(min_length=4)
    stage: Stage
    roles: list[str] = []
    level: Level | None = None
    summary: str = ""
    body: str = Field(min_length=200)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "guide-")


class StageInfo(_Strict):
    """One of the six stages: what it is, what a user there needs, and example questions."""

    slug: Stage
    name: str
    order: int
    description: str
    needs: str
    examples: list[str] = Field(min_length=3)


AnswerKind = Literal["yes_no", "scale"]


class AssessQuestion(_Strict):
    """One checklist question. ``gap`` and ``action`` are what the user hears when the
    answer shows a gap ("no network yet"; what to do about it)."""

    id: str
    text: str = Field(min_length=10)
    kind: AnswerKind = "yes_no"
    pass_at: int = Field(4, ge=2, le=5)  # a scale answer at or above this counts as done
    required: bool = False  # the stage is not done without this one, whatever the count
    gap: str = Field(min_length=4)
    action: str = Field(min_length=10)
    read: list[str] = []  # guide or resource ids that help close the gap

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "")


class AssessStage(_Strict):
    """The questions of one stage; it is done when ``need`` of them pass (and the required)."""

    stage: Stage
    have: str = Field(min_length=4)  # "a portfolio": said when the stage is done
    need: int = Field(ge=1)
    questions: list[AssessQuestion] = Field(min_length=2, max_length=5)

    @model_validator(mode="after")
    def _need(self) -> AssessStage:
        if self.need > len(self.questions):
            raise ValueError(f"need is {self.need} but the stage has only "
                             f"{len(self.questions)} questions")
        return self


class Assessment(_Strict):
    """The backward self-assessment checklist: the six stages from the job back to the start."""

    intro: str = Field(min_length=20)
    stages: list[AssessStage]

    @model_validator(mode="after")
    def _backward(self) -> Assessment:
        order = [s.stage for s in self.stages]
        if order != list(reversed(STAGES)):
            raise ValueError("stages must be the six stages once each, walked backwards: "
                             + ", ".join(reversed(STAGES)))
        seen: set[str] = set()
        for q in (q for s in self.stages for q in s.questions):
            if q.id in seen:
                raise ValueError(f"question id '{q.id}' is used twice")
            seen.add(q.id)
        return self


class Corpus(BaseModel):
    """The whole knowledge base, validated and cross-checked."""

    stages: list[StageInfo]
    roles: list[Role]
    guides: list[Guide]
    resources: list[Resource]
    assessment: Assessment | None = None  # assessment.yaml; optional in small test corpora
