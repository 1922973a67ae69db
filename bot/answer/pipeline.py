"""The career guide: one turn = hygiene -> scope -> retrieval -> stage -> generation.

The turn is a LangChain LCEL pipeline (``prepare | retrieve | generate``) so the generator is
pluggable and streaming comes for free: :meth:`CareerBot.stream` yields text pieces and ends
with the :class:`Answer`. State (history, profile, roadmap, traces) is per ``user_id``; a turn
without a user id keeps nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableGenerator, RunnableLambda
from pydantic import BaseModel, Field

from bot import prompts
from bot.composer import Composed, Context, is_action, sentence_split, terms
from bot.generators import ChatGenerator, Generator, pieces_of
from bot.hygiene import InputProblem, check_input
from bot.plan import due_review_note
from bot.profile import (
    LearnerProfile,
    asks_for_free,
    formats_in_text,
    match_role,
    profile_from_text,
    require_known,
)
from bot.retrieval import Filters, Hit, HybridRetriever, Mode
from bot.scope import ScopeGuard
from bot.stages import StageDetector, StageResult, next_stage_of
from bot.state import StateStore
from corpus.schema import STAGES, Corpus, Role

_FOLLOW_UP = re.compile(
    r"^(and|but|so|ok(ay)?|what about|how about|then|also|what else|any|which one|"
    r"and then|after that|what next|more)\b|\b(that|this|those|these|it|them|there|"
    r"the same|above)\b", re.I)
_CV_HINT = re.compile(r"\b(experience|skills|worked|resume|résumé|cv|education|projects?|"
                      r"proficient|years)\b", re.I)


_GUIDES_AND_ROLES = {"kind": {"$in": ["guide", "role"]}}
_STARTING = re.compile(r"\b(where|how) (do|should|can) i (start|begin)\b|\bget(ting)? started\b|"
                       r"\b(first|initial) steps?\b|\bwhat should i learn first\b", re.I)
_LEVEL_ORDER = {"beginner": 0, "any": 0, "intermediate": 1, "advanced": 2}


class Source(BaseModel):
    id: str
    title: str
    url: str | None = None
    stage: str | None = None
    kind: str


class Answer(BaseModel):
    """The answer object of ``ask --json``, the web API and evals (INTERFACES.md)."""

    answer: str
    stage: str | None = None
    stage_confidence: float = 0.0
    next_stage: str | None = None
    declined: bool = False
    filters: dict[str, Any] = Field(default_factory=dict)
    trace_id: str | None = None
    sources: list[Source] = Field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return self.model_dump()


@dataclass
class Turn:
    """What flows through the pipeline for one question."""

    question: str
    user_id: str | None
    profile: LearnerProfile
    history: list[tuple[str, str]] = field(default_factory=list)
    history_given: bool = False
    previous_stage: str | None = None
    query: str = ""
    follow_up: bool = False
    early: Answer | None = None
    ctx: Context | None = None
    stage: StageResult | None = None
    filters: Filters = field(default_factory=Filters)
    trace: dict[str, Any] = field(default_factory=dict)


class CareerBot:
    """Answers career questions from the index; components are passed in (see factory)."""

    def __init__(self, *, corpus: Corpus, retriever: HybridRetriever, detector: StageDetector,
                 guard: ScopeGuard, generator: Generator, store: StateStore | None,
                 max_input_chars: int = 4000, top_k: int = 6,
                 retrieval_mode: Mode = "hybrid", use_filters: bool = True):
        # retrieval_mode / use_filters exist so evals can compare configurations side by side
        self.corpus = corpus
        self.retrieval_mode: Mode = retrieval_mode
        self.use_filters = use_filters
        self.retriever = retriever
        self.detector = detector
        self.guard = guard
        self.generator = generator
        self.store = store
        self.max_input_chars = max_input_chars
        self.top_k = top_k
        self.roles: list[Role] = list(corpus.roles)
        self.chain = (RunnableLambda(self._prepare) | RunnableLambda(self._retrieve)
                      | RunnableGenerator(self._generate))

    # -- public API ----------------------------------------------------------------------
    def ask(self, question: object, *, user_id: str | None = None,
            profile: LearnerProfile | None = None,
            history: list[tuple[str, str]] | None = None) -> Answer:
        """One answer; raises :class:`InputProblem` for empty or oversized input."""
        answer = None
        for piece in self.stream(question, user_id=user_id, profile=profile, history=history):
            if isinstance(piece, Answer):
                answer = piece
        assert answer is not None
        return answer

    def stream(self, question: object, *, user_id: str | None = None,
               profile: LearnerProfile | None = None,
               history: list[tuple[str, str]] | None = None) -> Iterator[str | Answer]:
        """Text pieces of the answer, then the final :class:`Answer`.

        ``history`` ((role, text) pairs, oldest first) replaces the stored history of
        ``user_id`` as the conversation context, e.g. one Slack thread of a user; profile and
        roadmap still come from the store.
        """
        clean = check_input(question, self.max_input_chars)
        if profile is not None:
            require_known(profile, self.corpus)
        turn = Turn(question=clean.text, user_id=user_id, profile=profile or LearnerProfile(),
                    history=list(history or []), history_given=history is not None)
        yield from self.chain.stream(turn)

    def roadmap(self, user_id: str) -> dict[str, Any]:
        return self.store.get_roadmap(user_id) if self.store else {}

    def role_by_text(self, text: str | None) -> Role | None:
        return match_role(text, self.roles) if text else None

    # -- pipeline steps ------------------------------------------------------------------
    def _prepare(self, turn: Turn) -> Turn:
        stored = LearnerProfile()
        if self.store and turn.user_id:
            stored = LearnerProfile.model_validate(self.store.get_profile(turn.user_id))
            rows = self.store.history(turn.user_id, limit=8)
            if not turn.history_given:
                turn.history = [(r["role"], r["text"]) for r in rows]
            turn.previous_stage = next((r["stage"] for r in reversed(rows) if r["stage"]), None)
        said = profile_from_text(turn.question, self.roles)
        turn.profile = stored.merged(turn.profile).merged(said)
        if self.store and turn.user_id and not said.is_empty():
            self.store.set_profile(turn.user_id, turn.profile.model_dump(exclude_none=True))
        turn.query = turn.question
        last_user = next((t for r, t in reversed(turn.history) if r == "user"), None)
        if last_user and len(turn.question.split()) <= 14 and _FOLLOW_UP.search(turn.question):
            turn.follow_up = True
            if isinstance(self.generator, ChatGenerator):
                turn.query = self.generator.rewrite(turn.history, turn.question)
            else:
                turn.query = f"{turn.question} ({last_user[:300]})"
        return turn

    def _filters(self, turn: Turn) -> tuple[Filters, Role | None]:
        role = self.role_by_text(turn.question) or self.role_by_text(turn.profile.target_role)
        if role is None and turn.follow_up:
            role = self.role_by_text(turn.query)
        # a follow-up keeps the formats of the turn before only while it is still about
        # resources ("and which of those are free?"), not once it moves on ("and projects?")
        inherit = turn.follow_up and turn.stage is not None and turn.stage.stage == "resources"
        formats = formats_in_text(turn.question) or (
            formats_in_text(turn.query) if inherit else []) or list(
            turn.profile.formats or [])
        return Filters(role=role.id if role else None, level=turn.profile.level,
                       formats=formats, free_only=turn.profile.budget == "free"
                       or asks_for_free(turn.question)), role

    def _retrieve(self, turn: Turn) -> Turn:
        qvec = self.retriever.embed(turn.query)
        passages = self.retriever.search(turn.query, k=8, where=_GUIDES_AND_ROLES, qvec=qvec,
                                         mode=self.retrieval_mode)
        top_sim = max((h.dense_sim or 0.0 for h in passages), default=0.0)
        if self.retrieval_mode == "bm25":  # the scope guard still needs a dense signal
            top_sim = max((h.dense_sim or 0.0 for h in self.retriever.dense(
                qvec, 1, _GUIDES_AND_ROLES)), default=0.0)
        decision = self.guard.decide(turn.question, qvec, top_sim,
                                     in_conversation=bool(turn.history)
                                     or not turn.profile.is_empty())
        turn.trace.update(scope={"in": round(decision.in_score, 4),
                                 "off": round(decision.off_score, 4),
                                 "reason": decision.reason})
        if decision.declined:
            turn.early = Answer(answer=decision.reply, declined=True)
            return turn
        # a follow-up's own words say where it goes; the conversation only breaks ties
        stage_vec = self.retriever.embed(turn.question) if turn.follow_up else qvec
        voters = self.retriever.search(turn.question, k=6, where=_GUIDES_AND_ROLES,
                                       qvec=stage_vec, mode=self.retrieval_mode) \
            if turn.follow_up else passages
        evidence = [(h.stage, h.score * 60) for h in voters[:6]]
        turn.stage = self.detector.detect(turn.question, stage_vec, evidence,
                                          previous=turn.previous_stage,
                                          follow_up=turn.follow_up)
        filters, role = self._filters(turn)
        if not self.use_filters:
            filters = Filters()
        turn.filters = filters
        missing = self._skill_gap(turn.question, role) if role else []
        if missing and turn.stage.stage != "building-blocks":
            # a pasted CV is a skills question, whatever its words about jobs suggest
            turn.stage = StageResult(
                stage="building-blocks", next_stage=next_stage_of("building-blocks"),
                confidence=max(turn.stage.scores.get("building-blocks", 0.0), 0.5),
                scores=turn.stage.scores)
        stage = turn.stage.stage
        n_res = 4 if stage == "resources" else (3 if filters.formats or missing else 2)
        res_query = (" ".join(missing[:3]) if missing else turn.query) + (
            f" {role.name}" if role else "")
        starting = not filters.level and bool(_STARTING.search(turn.question))
        resources = self._resources(res_query, n_res, filters, stage, starting)
        relaxed = ""
        if not resources and filters.level:
            loose = Filters(role=filters.role, formats=filters.formats,
                            free_only=filters.free_only)
            resources = self._resources(res_query, n_res, loose, stage, starting)
            relaxed = f"nothing curated at {filters.level} level, so any level"
        role_hit = self._role_hit(role) if role else None
        usable = passages
        if role is not None:  # another role's profile is noise unless the user named it
            named = self._roles_named(turn.question)
            usable = [h for h in passages if h.meta.get("kind") != "role"
                      or h.source_id == role.doc_id or h.source_id in named]
        stage_passages = sorted(usable, key=lambda h: (h.stage != stage, -h.score))
        max_steps = max(1, self.top_k - len(resources) - (1 if role_hit else 0))
        turn.ctx = Context(
            question=turn.query, stage=stage, next_stage=turn.stage.next_stage,
            passages=stage_passages[: max_steps + 2], resources=resources, role=role,
            role_hit=role_hit, filters_note=_filters_note(filters, role, relaxed),
            profile_note=_profile_note(turn.profile), weak=top_sim < 0.3,
            missing_skills=missing, history=turn.history, max_steps=max_steps)
        turn.trace.update(
            query=turn.query, follow_up=turn.follow_up, stage_scores=turn.stage.scores,
            filters=filters.public(), passages=[h.to_trace() for h in passages],
            resources=[h.to_trace() for h in resources])
        return turn

    def _generate(self, turns: Iterator[Turn]) -> Iterator[str | Answer]:
        for turn in turns:
            if turn.early is not None:
                yield from pieces_of(turn.early.answer)
                yield self._finish(turn, turn.early)
                continue
            assert turn.ctx is not None and turn.stage is not None
            composed: Composed | None = None
            for piece in self.generator.stream(turn.ctx):
                if isinstance(piece, Composed):
                    composed = piece
                else:
                    yield piece
            assert composed is not None
            if composed.declined:
                yield self._finish(turn, Answer(answer=composed.text, declined=True))
                continue
            note = due_review_note(self.store, turn.user_id)  # the plan's review date passed
            if note:
                yield f"\n\n{note}"
                turn.trace["review_note"] = note
            answer = Answer(
                answer=composed.text + (f"\n\n{note}" if note else ""), stage=turn.stage.stage,
                stage_confidence=turn.stage.confidence, next_stage=turn.stage.next_stage,
                filters=turn.filters.public(),
                sources=[_source(h) for h in composed.sources])
            yield self._finish(turn, answer)

    # -- helpers -------------------------------------------------------------------------
    def _finish(self, turn: Turn, answer: Answer) -> Answer:
        if self.store is None:
            return answer
        answer.trace_id = self.store.new_trace_id()
        self.store.save_trace(answer.trace_id, turn.user_id, {
            **turn.trace, "question": turn.question, "user_id": turn.user_id,
            "profile": turn.profile.model_dump(exclude_none=True),
            "generator": self.generator.name, "prompts_version": prompts.PROMPTS_VERSION,
            "history": [list(t) for t in turn.history], "previous_stage": turn.previous_stage,
            "settings": self.settings_snapshot(), "answer": answer.public()})
        if turn.user_id:
            self.store.add_turn(turn.user_id, "user", turn.question, answer.stage,
                                answer.trace_id)
            self.store.add_turn(turn.user_id, "assistant", answer.answer, answer.stage,
                                answer.trace_id)
            if answer.stage and not answer.declined:
                self._update_roadmap(turn.user_id, answer, turn.ctx)
        return answer

    def settings_snapshot(self) -> dict[str, Any]:
        """What ``careerbot replay`` needs to tell whether an answer can still be the same."""
        manifest = getattr(self.retriever.index, "manifest", None)
        return {"top_k": self.top_k, "max_input_chars": self.max_input_chars,
                "retrieval_mode": self.retrieval_mode, "use_filters": self.use_filters,
                "index": {k: getattr(manifest, k, None) for k in
                          ("collection", "corpus_hash", "model", "quantization")}}

    def _update_roadmap(self, user_id: str, answer: Answer, ctx: Context | None) -> None:
        assert self.store is not None
        roadmap = self.store.get_roadmap(user_id) or {"covered": [], "current": None}
        covered = [s for s in roadmap.get("covered", []) if s in STAGES]
        if answer.stage not in covered:
            covered.append(answer.stage)
        step = _next_action(answer.answer)
        roadmap.update(covered=sorted(covered, key=STAGES.index), current=answer.stage,
                       next_stage=answer.next_stage, next_action=step or
                       prompts.NEXT_STAGE_HINTS[answer.stage or "landscape"])
        if ctx is not None and ctx.role is not None:
            roadmap["target_role"] = ctx.role.id
        self.store.set_roadmap(user_id, roadmap)

    def _resources(self, query: str, k: int, filters: Filters, stage: str,
                   starting: bool = False) -> list[Hit]:
        """Resources tagged for the user's stage first, then the best of the rest.

        ``starting``: the question is about where to begin, so among equally fitting
        resources the easier ones come first (a preference, not a level filter).
        """
        where = filters.where(kinds=["resource"])
        # someone who has picked a role has finished surveying the field: what they use next
        # is that role's first learning resources, not a general overview or a news digest
        staged: dict[str, Any] = {f"stage:{stage}": True}
        if stage == "landscape" and filters.role:
            staged = {"$or": [staged, {"stage:building-blocks": True}]}
        first = self.retriever.search(query, k=k * 3, where={"$and": [where, staged]}
                                      if where else staged, mode=self.retrieval_mode)
        if starting:  # stable: rank order within each level
            first.sort(key=lambda h: _LEVEL_ORDER.get(str(h.meta.get("level")), 1))
        if not filters.formats:  # two newsletters are a worse list than a course and a book
            first = _varied(first)
        first = first[:k]
        if len(first) >= k:
            return first
        seen = {h.source_id for h in first}
        rest = [h for h in self.retriever.search(query, k=k * 2, where=where,
                                                 mode=self.retrieval_mode)
                if h.source_id not in seen]
        return first + rest[: k - len(first)]

    def _roles_named(self, text: str) -> set[str]:
        """Doc ids of every role whose name, slug or alias appears in ``text``."""
        return {r.doc_id for r in self.roles if match_role(text, [r]) is not None}

    def _role_hit(self, role: Role) -> Hit | None:
        hits = self.retriever.fetch([role.doc_id])
        return hits[0] if hits else None

    def _skill_gap(self, text: str, role: Role) -> list[str]:
        """Skills of ``role`` a pasted CV does not mention, in the role's learning order."""
        if len(text) < 250 or len(_CV_HINT.findall(text)) < 2:
            return []
        have = terms(text)
        low = text.lower()
        missing = []
        for skill in role.skills:
            words = [k.lower() for k in skill.keywords]
            if not any((k in low) if " " in k else (terms(k) & have) for k in words):
                missing.append(skill.name)
        return missing


def _next_action(answer: str) -> str:
    """The first thing to *do* among the answer's next steps (a sentence that reads as an
    action, not a description), without citation markers; empty when there is none."""
    block = answer.split("**What to do next**", 1)
    if len(block) < 2:
        return ""
    for line in block[1].split("\n\n", 1)[0].splitlines():
        if not line.startswith("- "):
            continue
        text = re.sub(r"\s*\[\d+\]", "", line[2:]).strip()
        for sentence in sentence_split(text):
            if is_action(sentence):
                return sentence
    return ""


def _varied(hits: list[Hit]) -> list[Hit]:
    """``hits`` with the best of each resource format first, then the rest, both by rank."""
    seen: set[str] = set()
    lead, rest = [], []
    for hit in hits:
        fmt = str(hit.meta.get("format"))
        (rest if fmt in seen else lead).append(hit)
        seen.add(fmt)
    return lead + rest


def _source(hit: Hit) -> Source:
    meta = hit.meta
    return Source(id=hit.source_id, title=str(meta.get("title", hit.source_id)),
                  url=str(meta["url"]) if meta.get("url") else None,
                  stage=str(meta.get("stage")) or None, kind=str(meta.get("kind", "guide")))


def _filters_note(filters: Filters, role: Role | None, relaxed: str) -> str:
    parts = []
    if filters.free_only:
        parts.append("free or freemium only")
    if filters.formats:
        parts.append("format: " + ", ".join(filters.formats))
    if role is not None:
        parts.append(f"for the {role.name} role")
    if filters.level:
        parts.append(f"level: {filters.level}")
    if relaxed:
        parts.append(relaxed)
    return "filtered: " + "; ".join(parts) if parts else ""


def _profile_note(profile: LearnerProfile) -> str:
    bits = []
    if profile.background:
        bits.append(f"background: {profile.background}")
    if profile.hours_per_week:
        hours = profile.hours_per_week
        bits.append(f"with about {hours:g} hours a week")
        if hours <= 6:
            bits.append("so favour one resource at a time")
    if not bits:
        return ""
    return "Taking your situation into account (" + ", ".join(bits) + ")."


__all__ = ["Answer", "CareerBot", "InputProblem", "Source"]
