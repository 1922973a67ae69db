"""The "where am I?" self-assessment: score the backward checklist, place the user, explain.

The checklist is corpus data (``corpus/data/assessment.yaml``), asked from the job backwards;
placement walks forwards and stops at the first stage with a gap, because that gap is what
blocks everything after it. Front ends (CLI, web, Slack) ask :func:`assessment_questions`,
collect answers, call :func:`assess`, and store the result with :func:`apply_assessment`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from bot.answer.stages import next_stage_of
from bot.learner.progress import Progress
from corpus.schema import STAGES, Assessment, AssessQuestion, AssessStage, Corpus

Answer = bool | int

_YES = {"y", "yes", "true", "yep", "yeah", "oui", "ja", "si"}
_NO = {"n", "no", "false", "nope", "non", "nein"}


class StageCheck(BaseModel):
    """How one stage came out: done or not, and the questions that show its gaps."""

    stage: str
    done: bool
    passed: int
    total: int
    gaps: list[str] = Field(default_factory=list)  # ids of questions that did not pass


class AssessmentResult(BaseModel):
    """Where the user is, why, and what to do next; ``milestones`` are the progress events
    (``("done" | "not_yet", slug)``) the answers state, in the chain's own vocabulary."""

    stage: str
    next_stage: str | None
    explanation: str
    next_action: str
    done_stages: list[str]
    checks: list[StageCheck]
    answers: dict[str, Answer]
    milestones: list[tuple[str, str]] = Field(default_factory=list)


def assessment_of(corpus: Corpus) -> Assessment:
    """The corpus's checklist; a clear error when the corpus has no ``assessment.yaml``."""
    if corpus.assessment is None:
        raise ValueError("the corpus has no assessment.yaml: the self-assessment needs it")
    return corpus.assessment


def assessment_questions(corpus: Corpus | Assessment) -> list[dict[str, Any]]:
    """Every question in asking order (from the job backwards), as plain dicts for UIs.

    Each: ``id``, ``stage``, ``text``, ``kind`` ("yes_no" or "scale"), ``scale`` ([1, 5] or
    None) and ``choices`` (the accepted answers to show on buttons).
    """
    checklist = corpus if isinstance(corpus, Assessment) else assessment_of(corpus)
    out = []
    for block in checklist.stages:
        for q in block.questions:
            scale = q.kind == "scale"
            out.append({"id": q.id, "stage": block.stage, "text": q.text, "kind": q.kind,
                        "scale": [1, 5] if scale else None,
                        "choices": ["1", "2", "3", "4", "5"] if scale else ["yes", "no"]})
    return out


def parse_answer(question: AssessQuestion | dict[str, Any], raw: object) -> Answer:
    """One answer from a button, a form, a file or typed text ("yes", "n", "4", True)."""
    kind = question.kind if isinstance(question, AssessQuestion) else question["kind"]
    qid = question.id if isinstance(question, AssessQuestion) else question["id"]
    if kind == "yes_no":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise ValueError(f"answer to '{qid}' must be yes or no, got {raw!r}")
    if isinstance(raw, bool):
        raise ValueError(f"answer to '{qid}' must be a number from 1 to 5, got {raw!r}")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"answer to '{qid}' must be a number from 1 to 5, got {raw!r}") from None
    if not 1 <= value <= 5:
        raise ValueError(f"answer to '{qid}' must be a number from 1 to 5, got {value}")
    return value


def _passes(q: AssessQuestion, value: Answer) -> bool:
    return bool(value) if q.kind == "yes_no" else int(value) >= q.pass_at


def _check(block: AssessStage, answers: dict[str, Answer]) -> StageCheck:
    ok = [q for q in block.questions if _passes(q, answers[q.id])]
    gaps = [q.id for q in block.questions if q not in ok]
    required_ok = all(q in ok for q in block.questions if q.required)
    return StageCheck(stage=block.stage, done=required_ok and len(ok) >= block.need,
                      passed=len(ok), total=len(block.questions), gaps=gaps)


def assess(corpus: Corpus | Assessment, answers: dict[str, object]) -> AssessmentResult:
    """Score every answer and place the user at the first stage (forward order) with a gap.

    Raises ``ValueError`` naming missing, unknown or malformed answers.
    """
    checklist = corpus if isinstance(corpus, Assessment) else assessment_of(corpus)
    questions = {q.id: q for b in checklist.stages for q in b.questions}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise ValueError(f"unknown question id(s): {', '.join(unknown)}")
    missing = [qid for qid in questions if qid not in answers]
    if missing:
        raise ValueError(f"missing answer(s) for: {', '.join(missing)}")
    clean = {qid: parse_answer(questions[qid], raw) for qid, raw in answers.items()}
    blocks = {b.stage: b for b in checklist.stages}
    checks = [_check(blocks[s], clean) for s in STAGES]
    done = [c.stage for c in checks if c.done]
    gap = next((c for c in checks if not c.done), None)
    stage = gap.stage if gap else STAGES[-1]
    if gap is None:
        action = ("Keep your weekly routine and review your roadmap every three months; go "
                  "back to any stage where you find a gap.")
    else:
        action = questions[gap.gaps[0]].action
    return AssessmentResult(
        stage=stage, next_stage=next_stage_of(stage),
        explanation=_explain(checks, blocks, questions, gap), next_action=action,
        done_stages=done, checks=checks, answers=clean,
        milestones=_milestone_events(checks, blocks, corpus))


def _milestone_events(checks: list[StageCheck], blocks: dict[str, AssessStage],
                      corpus: Corpus | Assessment) -> list[tuple[str, str]]:
    """A done stage marks its milestone done; a stage with a gap marks every milestone that
    completes it as not yet done (so no earlier chat statement can outvote the checklist)."""
    completing: dict[str, list[str]] = {}
    if isinstance(corpus, Corpus):
        for m in corpus.milestones:
            if m.completes:
                completing.setdefault(m.stage, []).append(m.slug)
    events: list[tuple[str, str]] = []
    for check in checks:
        block = blocks[check.stage]
        if check.done:
            events.append(("done", block.milestone))
        else:
            events.extend(("not_yet", slug) for slug in
                          completing.get(check.stage, [block.milestone]))
    return events


def _explain(checks: list[StageCheck], blocks: dict[str, AssessStage],
             questions: dict[str, AssessQuestion], gap: StageCheck | None) -> str:
    """"You have a portfolio but no network yet, so: network-and-job." plus what else holds."""
    if gap is None:
        return (f"Every stage is in place: you have {blocks[STAGES[-2]].have} and "
                f"{blocks[STAGES[-1]].have}, so: {STAGES[-1]}. Keep reviewing your roadmap.")
    i = STAGES.index(gap.stage)
    missing = questions[gap.gaps[0]].gap
    if i == 0:
        text = f"You are at the start: {missing}, so: {gap.stage}."
    else:
        text = f"You have {blocks[STAGES[i - 1]].have} but {missing}, so: {gap.stage}."
    ahead = [c.stage for c in checks[i + 1:] if c.done]
    if ahead:
        text += (f" You already have {_joined([blocks[s].have for s in ahead])}: that will "
                 "pay off once this gap is closed.")
    return text


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def roadmap_from(result: AssessmentResult, previous: dict[str, Any] | None = None,
                 now: dt.datetime | None = None) -> dict[str, Any]:
    """The roadmap in the shape the agent writes (``covered``, ``current``, ``next_stage``,
    ``next_action``), keeping what the agent stored before (e.g. ``target_role``)."""
    roadmap = dict(previous or {})
    covered = {s for s in roadmap.get("covered", []) if s in STAGES} | set(result.done_stages)
    when = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    roadmap.update(
        covered=sorted(covered, key=STAGES.index), current=result.stage,
        next_stage=result.next_stage, next_action=result.next_action,
        explanation=result.explanation,
        assessment={"at": when, "done": result.done_stages,
                    "gaps": {c.stage: c.gaps for c in result.checks if c.gaps},
                    "answers": result.answers})
    return roadmap


def gap_reading(corpus: Corpus | Assessment, roadmap: dict[str, Any] | None) -> dict[str, str]:
    """Corpus ids that close the gaps the last assessment found at the current stage, each
    with the gap it closes (the plan starts with them)."""
    if isinstance(corpus, Corpus) and corpus.assessment is None:
        return {}
    checklist = corpus if isinstance(corpus, Assessment) else assessment_of(corpus)
    roadmap = roadmap or {}
    gaps = (roadmap.get("assessment") or {}).get("gaps", {}).get(roadmap.get("current"), [])
    questions = {q.id: q for b in checklist.stages for q in b.questions}
    out: dict[str, str] = {}
    for qid in gaps:
        q = questions.get(qid)
        for doc_id in q.read if q else []:
            out.setdefault(doc_id, q.gap)
    return out


def apply_assessment(store: Any, user_id: str, result: AssessmentResult) -> dict[str, Any]:
    """Store the result as the user's roadmap and progress (``bot.store.state.StateStore``):
    the same milestones a chat reads, so chatting afterwards places the learner where the
    checklist did. Returns the roadmap."""
    roadmap = roadmap_from(result, store.get_roadmap(user_id))
    profile = store.get_profile(user_id)
    progress = Progress(tuple(profile.get("done") or ()), tuple(roadmap.get("not_yet") or ()))
    progress = progress.apply(result.milestones)
    if progress.done:
        profile["done"] = list(progress.done)
    else:
        profile.pop("done", None)
    roadmap["not_yet"] = list(progress.not_yet)
    store.set_profile(user_id, profile)
    store.set_roadmap(user_id, roadmap)
    return roadmap


__all__ = ["AssessmentResult", "StageCheck", "apply_assessment", "assess", "assessment_of",
           "assessment_questions", "gap_reading", "parse_answer", "roadmap_from"]
