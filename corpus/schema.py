"""The corpus schema: what a guide, a role and a resource must say.

The corpus is data; these models are its contract. Every file under ``corpus/data`` is
validated against them by :func:`corpus.loader.load_corpus` and ``careerbot corpus check``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

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
DocKind = Literal["guide", "role", "resource", "card"]
# Whom an advice unit or an answer card is meant for (a learner's background, not a role).
Audience = Literal["career-changer", "student", "academic", "software-engineer", "analyst",
                   "manager"]
AUDIENCES: tuple[str, ...] = ("career-changer", "student", "academic", "software-engineer",
                              "analyst", "manager")
# What kind of answer a question wants; an answer card says which one it gives.
Shape = Literal["yes_no", "choose", "best", "how_many", "how_to", "where", "what_next",
                "define", "gap_review"]
SHAPES: tuple[str, ...] = ("yes_no", "choose", "best", "how_many", "how_to", "where",
                           "what_next", "define", "gap_review")

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# ``checked``: the month someone last verified an entry (YYYY-MM)
_MONTH = r"^(19|20)\d\d-(0[1-9]|1[0-2])$"
Checked = Annotated[str, Field(pattern=_MONTH)]


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
    # one concrete, role-specific thing to start this week at each stage of the chain
    first_steps: dict[Stage, str] = {}
    checked: Checked

    @field_validator("first_steps")
    @classmethod
    def _first_steps(cls, v: dict[str, str]) -> dict[str, str]:
        short = [k for k, text in v.items() if len(text.split()) < 8]
        if short:
            raise ValueError(f"first_steps too short to act on: {', '.join(short)}")
        return {k: " ".join(text.split()) for k, text in v.items()}

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
    aliases: list[str] = []  # what learners call it ("ISLR", "Andrew Ng's course"), lower-case
    checked: Checked

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, v: list[str]) -> list[str]:
        if any(a != a.lower() or len(a.strip()) < 3 for a in v):
            raise ValueError("aliases must be lower-case and at least 3 characters")
        return v

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
    checked: Checked

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "guide-")


class Card(_Strict):
    """A curated direct answer to a question people really ask.

    It leads an answer only when the question matches it closely; ``supports`` are the guides,
    roles and resources it rests on, so it is never the only ground for what it says.
    """

    id: str
    stage: Stage
    shape: Shape
    question: str = Field(min_length=10)
    variants: list[str] = []  # other ways people ask the same thing
    answer: str = Field(min_length=30, max_length=420)  # one or two sentences, direct
    conditions: str = ""  # when the answer changes ("Not if ...")
    # one concrete action that moves the asker forward from here (imperative, one sentence)
    next_step: str = Field(default="", max_length=300)
    applies_to: list[Audience] = []  # empty: anyone
    roles: list[str] = []  # role slugs; empty: every role
    supports: list[str] = Field(min_length=1)
    checked: Checked

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "card-")


class Milestone(_Strict):
    """Something a learner can have done, and the stage of the chain it completes.

    ``says`` and ``not_yet`` are regular expressions (case-insensitive) for how people state
    that they have, or have not, done it. A milestone with ``completes: false`` is progress
    inside its stage (interviews had) that does not finish the stage by itself.
    """

    slug: str
    stage: Stage
    label: str = Field(min_length=4)  # "a target role": "You have {label} ..."
    completes: bool = True
    says: list[str] = Field(min_length=1)
    not_yet: list[str] = []
    by_resources: list[ResourceKind] = []  # finishing a resource of these kinds counts too
    by_profile: str | None = None  # a profile field that, once set, counts as this milestone

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        return _check_id(v, "")

    @field_validator("says", "not_yet")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression {p!r}: {exc}") from None
        return v


class Background(_Strict):
    """A background learners come from: how they say it, the audience it puts them in and
    the topics it already gives them (answers never send them back to learn those)."""

    id: str
    says: list[str] = Field(min_length=1)
    audience: list[Audience] = []
    knows: list[str] = []
    # what this background brings to data and AI work, said to the learner ("Your ...")
    strengths: str = Field(default="", max_length=400)
    bridge_roles: list[str] = []  # role slugs one step from this background

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "")

    @field_validator("says")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        return Milestone._patterns(v)

    @field_validator("knows")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        if any(k != k.lower() for k in v):
            raise ValueError("topics must be lower-case")
        return v


class StageInfo(_Strict):
    """One of the six stages: what it is, what a user there needs, and example questions."""

    slug: Stage
    name: str
    order: int
    description: str
    needs: str
    intro: str = Field(min_length=20)  # "You are building your portfolio: ..."
    gap: str = Field(min_length=10)  # the link itself: "the next link is {gap}"
    after: str = Field(min_length=20)  # what to move on to once this stage is done
    first_step: str = Field(min_length=20)  # one concrete thing to do this week at this stage
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
    milestone: str  # milestones.yaml slug this stage marks when it is done
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
    cards: list[Card] = []
    milestones: list[Milestone] = []
    backgrounds: list[Background] = []
    assessment: Assessment | None = None  # assessment.yaml; optional in small test corpora

    def stage_name(self, slug: str | None) -> str:
        """A stage's name as people read it ("Build your portfolio"), from stages.yaml."""
        return next((s.name for s in self.stages if s.slug == slug), slug or "")

    def ids(self) -> set[str]:
        """Every id an answer may cite: roles (``role-<slug>``), guides, resources, cards."""
        return ({r.doc_id for r in self.roles} | {g.id for g in self.guides}
                | {r.id for r in self.resources} | {c.id for c in self.cards})
