"""Place a question on the chain: the stage the learner should work on now.

Three things can say where someone is, strongest first:
1. what they have done (:mod:`bot.learner.progress`): the first missing link of the chain;
2. a bare "and after that?": the stage after the one the conversation is at;
3. what the question is about (the stage detector), for a question with no progress in it;
   a bare "what next?" from someone whose progress is unknown starts at the first link.
A learner who states progress *and* asks for learning material (another course, a book) is
placed at the resources link if that comes earlier: asking for the next course after finishing
one says that link is still open. Any other question is answered where the chain places them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answer.stages import StageResult, next_stage_of
from bot.learner.progress import Placement
from corpus.schema import STAGES

# confidence of a placement by what the learner said in this message, and by what they said
# before (history, profile, stored progress)
SAID_NOW = 0.9
SAID_BEFORE = 0.8
AFTER_THAT = 0.75
FIRST_LINK = 0.6  # "what next?" from someone whose progress is unknown
RESOURCES = STAGES[2]  # the link of learning material: books, courses, data sets


@dataclass(frozen=True)
class ChainInput:
    topic: StageResult  # what the question is about
    placement: Placement | None  # the first missing link, when progress is known
    said_now: bool  # this message states progress
    asks_next: bool  # "what next?", "what now?"
    after_that: bool  # "and after that?"
    has_topic: bool  # the message asks about something specific, beyond "what next"
    previous: str | None  # the stage the conversation is at
    asks_material: bool = False  # it asks for a course, a book, a resource to learn from
    says_little: bool = True  # the message holds little beyond the question ("new here")


def _result(stage: str, confidence: float, scores: dict[str, float]) -> StageResult:
    return StageResult(stage=stage, confidence=round(confidence, 3),
                       next_stage=next_stage_of(stage), scores=scores)


def place_on_chain(c: ChainInput) -> tuple[StageResult, str]:
    """The stage to answer at and why (``progress``, ``after-that``, ``next`` or ``topic``)."""
    scores = c.topic.scores
    if c.after_that and c.previous in STAGES:
        stage = next_stage_of(c.previous) or c.previous
        if c.placement and STAGES.index(c.placement.stage) > STAGES.index(stage):
            stage = c.placement.stage
        return _result(stage, AFTER_THAT, scores), "after-that"
    if c.placement is not None and (c.said_now or c.asks_next):
        confidence = SAID_NOW if c.said_now else SAID_BEFORE
        if c.said_now and c.asks_material and \
                STAGES.index(RESOURCES) < STAGES.index(c.placement.stage):
            return _result(RESOURCES, confidence, scores), "topic"
        return _result(c.placement.stage, confidence, scores), "progress"
    if c.asks_next and not c.has_topic and c.previous in STAGES:
        stage = next_stage_of(c.previous) or c.previous
        return _result(stage, AFTER_THAT, scores), "next"
    if c.asks_next and not c.has_topic and c.placement is None and c.says_little:
        # nothing is known of them yet: the chain starts at its first link (a message that
        # tells more, "my portfolio has six half-finished projects", is answered on its topic)
        return _result(STAGES[0], FIRST_LINK, scores), "next"
    return c.topic, "topic"


__all__ = ["ChainInput", "place_on_chain"]
