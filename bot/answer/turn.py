"""The values one question becomes on its way through the pipeline, and what a generator
reads.

``Prepared`` (who asks, with what history and progress) -> ``Found`` (passages, scope) ->
``Placed`` (the stage, and the :class:`Context` a generator answers from).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.answer.cards import CardMatch
from bot.answer.retrieval import Filters, Hit
from bot.answer.scope import ScopeDecision
from bot.answer.stages import StageResult
from bot.learner.person import Person
from bot.learner.roadmap import Learner, LearnerState
from corpus.schema import Role


@dataclass
class Standing:
    """Where the learner stands, for the line that says why this is their next step."""

    finished: list[str] = field(default_factory=list)  # titles of resources they finished
    have: list[str] = field(default_factory=list)  # milestones they have, as they read
    missing: str = ""  # a link they said they lack ("finished projects")
    asked_next: bool = False


@dataclass
class Context:
    """Everything a generator needs to answer one turn."""

    question: str
    stage: str | None
    next_stage: str | None
    passages: list[Hit]
    resources: list[Hit]
    shape: str = "open"
    stages: Mapping[str, Any] = field(default_factory=dict)  # slug -> corpus StageInfo
    role: Any = None  # corpus.schema.Role of the target role, if known
    role_hit: Hit | None = None
    asked_role_hit: Hit | None = None  # the profile of a role the question itself names
    roles: list[Hit] = field(default_factory=list)  # role profiles, for "which roles?"
    card: Any = None  # corpus.schema.Card that matches the question closely
    card_hit: Hit | None = None
    person: Person = field(default_factory=Person)
    standing: Standing | None = None
    show_learning_order: bool = False
    show_resources: bool = False
    filters_note: str = ""
    profile_note: str = ""
    weak: bool = False
    have_skills: list[str] = field(default_factory=list)
    missing_skills: list[str] = field(default_factory=list)  # in the order to learn them
    firm_up_skills: list[str] = field(default_factory=list)  # gaps below what they already do
    stale_before: str = ""  # YYYY-MM: sources checked before this month get a warning
    other_roles: re.Pattern[str] | None = None  # names of roles other than the target role
    history: Sequence[tuple[str, str]] = ()
    max_steps: int = 4
    background: Any = None  # corpus.schema.Background to speak to ("From your background")
    chain_placed: bool = False  # the passages are the stage's own ("what next?"), not a topic's
    compared: list[Hit] = field(default_factory=list)  # two resources a "this or that?" names
    free_only: bool = False  # the learner wants free resources only
    asks_material: bool = False  # the question asks for something to learn from (a course...)
    # the role what they finished points to, when they have not named one ("fast.ai" -> ML
    # engineer): it only shapes the next step, said as a lean, never as their choice
    leaning_role: Any = None
    role_names: Mapping[str, str] = field(default_factory=dict)  # role slug -> its name


@dataclass(frozen=True)
class Prepared:
    learner: Learner
    state: LearnerState
    query: str  # what retrieval searches for (a follow-up rewritten with the conversation)
    follow_up: bool


@dataclass(frozen=True)
class Found:
    prepared: Prepared
    qvec: np.ndarray
    passages: list[Hit]
    top_sim: float
    scope: ScopeDecision
    early: Any = None  # an Answer when the question is declined


@dataclass
class Placed:
    found: Found
    stage: StageResult | None
    why: str  # how the stage was chosen: progress, after-that, next, topic (or declined)
    ctx: Context | None
    filters: Filters = field(default_factory=Filters)
    role: Role | None = None
    card: CardMatch | None = None

    def trace(self) -> dict[str, Any]:
        """What ``careerbot replay`` shows of how this answer was made."""
        f, p = self.found, self.found.prepared
        out: dict[str, Any] = {
            "query": p.query, "follow_up": p.follow_up,
            "scope": {"in": round(f.scope.in_score, 4), "off": round(f.scope.off_score, 4),
                      "reason": f.scope.reason},
            "passages": [h.to_trace() for h in f.passages]}
        if self.stage is not None and self.ctx is not None:
            out.update(stage_scores=self.stage.scores, placed_by=self.why,
                       filters=self.filters.public(), role=self.role.id if self.role else None,
                       shape=self.ctx.shape, card=self.card.card.id if self.card else None,
                       card_similarity=self.card.similarity if self.card else None,
                       progress={"done": list(p.state.progress.done),
                                 "not_yet": list(p.state.progress.not_yet)},
                       stage_passages=[h.to_trace() for h in self.ctx.passages],
                       resources=[h.to_trace() for h in self.ctx.resources])
        return out


__all__ = ["Context", "Found", "Placed", "Prepared", "Standing"]
