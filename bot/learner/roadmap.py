"""One learner's state around a question: profile, conversation, progress and roadmap.

:meth:`LearnerStore.load` gathers what careerbot knows before answering (stored profile and
history, what this message says about the learner and their progress) and
:meth:`LearnerStore.record` keeps what the answer adds (the turn, the trace, progress, the
roadmap). Without a user id nothing is kept; without a store, nothing is either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.answer.model import Answer
from bot.answer.prompts import PROMPTS_VERSION
from bot.learner.person import Person, PersonReader
from bot.learner.plan import due_review_note
from bot.learner.profile import LearnerProfile, profile_from_text
from bot.learner.progress import Placement, Progress, ProgressReader, Statement, place
from corpus.schema import STAGES, Corpus


@dataclass(frozen=True)
class Learner:
    """The question as asked, and by whom."""

    question: str
    user_id: str | None = None
    given: LearnerProfile | None = None  # --profile, the web form
    history: list[tuple[str, str]] | None = None  # a Slack thread; None: the stored history


@dataclass
class LearnerState:
    """What careerbot knows about the learner when it answers."""

    profile: LearnerProfile
    history: list[tuple[str, str]]
    previous_stage: str | None
    statement: Statement  # what this message says about progress
    progress: Progress  # everything known, this message included
    placement: Placement | None
    person: Person
    roadmap: dict[str, Any] = field(default_factory=dict)


class LearnerStore:
    """Reads and writes learners' state in the :class:`~bot.store.state.StateStore`."""

    def __init__(self, store: Any, corpus: Corpus):
        self.store = store
        self.corpus = corpus
        self.progress = ProgressReader(corpus)
        self.people = PersonReader(corpus)

    def load(self, learner: Learner) -> LearnerState:
        stored, rows, roadmap = LearnerProfile(), [], {}
        uid = learner.user_id
        if self.store is not None and uid:
            stored = LearnerProfile.model_validate(self.store.get_profile(uid))
            rows = self.store.history(uid, limit=8)
            roadmap = self.store.get_roadmap(uid) or {}
        history = list(learner.history) if learner.history is not None else \
            [(r["role"], r["text"]) for r in rows]
        said = profile_from_text(learner.question, list(self.corpus.roles))
        profile = stored.merged(learner.given or LearnerProfile()).merged(said)
        progress = Progress(tuple(profile.done or ()), tuple(roadmap.get("not_yet", ())))
        if learner.history is not None:  # a thread we have not read yet: its statements count
            for role, text in learner.history:
                if role == "user":
                    progress = progress.apply(self.progress.read(text).events)
        statement = self.progress.read(learner.question)
        progress = progress.apply(statement.events)
        # a profile field can stand for a milestone (a target role set is a role picked)
        placed = progress.apply([
            ("done", m.slug) for m in self.corpus.milestones
            if m.by_profile and getattr(profile, m.by_profile, None)
            and m.slug not in {*progress.done, *progress.not_yet}])
        user_texts = [t for r, t in history if r == "user"] + [learner.question]
        state = LearnerState(
            profile=profile.model_copy(update={"done": list(progress.done) or None}),
            history=history,
            previous_stage=next((r["stage"] for r in reversed(rows) if r["stage"]), None),
            statement=statement, progress=progress, placement=place(placed, self.progress),
            person=self.people.read(profile, user_texts), roadmap=roadmap)
        if self.store is not None and uid and (not said.is_empty() or statement.said):
            self.store.set_profile(uid, state.profile.model_dump(exclude_none=True))
        return state

    def review_note(self, learner: Learner) -> str | None:
        """The plan's review date passed: the answer says so (once a day)."""
        return due_review_note(self.store, learner.user_id)

    def record(self, prepared: Any, answer: Answer, trace: dict[str, Any]) -> Answer:
        """Keep the turn, its trace, progress and the roadmap; returns ``answer`` with its
        trace id."""
        if self.store is None:
            return answer
        learner, state = prepared.learner, prepared.state
        answer.trace_id = self.store.new_trace_id()
        self.store.save_trace(answer.trace_id, learner.user_id, {
            **trace, "question": learner.question, "user_id": learner.user_id,
            "profile": state.profile.model_dump(exclude_none=True),
            "prompts_version": PROMPTS_VERSION, "history": [list(t) for t in state.history],
            "previous_stage": state.previous_stage, "answer": answer.public()})
        if learner.user_id:
            uid = learner.user_id
            self.store.add_turn(uid, "user", learner.question, answer.stage, answer.trace_id)
            self.store.add_turn(uid, "assistant", answer.answer, answer.stage, answer.trace_id)
            if answer.stage and not answer.declined:
                self._update_roadmap(uid, answer, state, trace.get("role"))
        return answer

    def _update_roadmap(self, uid: str, answer: Answer, state: LearnerState,
                        role: str | None) -> None:
        roadmap = self.store.get_roadmap(uid) or {"covered": [], "current": None}
        covered = [s for s in roadmap.get("covered", []) if s in STAGES]
        if answer.stage not in covered:
            covered.append(answer.stage)
        step = answer.reply.next_action() if answer.reply is not None else ""
        info = next((s for s in self.corpus.stages if s.slug == answer.stage), None)
        roadmap.update(covered=sorted(covered, key=STAGES.index), current=answer.stage,
                       next_stage=answer.next_stage,
                       next_action=step or (info.after if info else ""),
                       not_yet=list(state.progress.not_yet))
        if role:
            roadmap["target_role"] = role
        self.store.set_roadmap(uid, roadmap)


__all__ = ["Learner", "LearnerState", "LearnerStore"]
