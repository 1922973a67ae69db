"""The values that flow through the pipeline, and the step that fills a generator's Context.

:class:`ContextBuilder` turns a question placed on the chain into what a generator needs: the
passages for that stage, the resources (never what the learner finished), the answer card that
matches, the roles for "which roles are there?", the target role's skills gap for a pasted CV,
and the line that says why this is the learner's next step.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import numpy as np

from bot.answer.cards import CardMatch, CardMatcher
from bot.answer.gaps import gap_order, skill_gap
from bot.answer.notes import filters_note, profile_note
from bot.answer.resources import (
    LEVEL_ORDER,
    ResourceQuery,
    fast_moving,
    pick_resources,
    places_for,
)
from bot.answer.resources import starting_out as _starting
from bot.answer.retrieval import Filters, Hit, HybridRetriever, Mode
from bot.answer.shape import asked_parts, question_of, question_shape
from bot.answer.stages import StageDetector, StageResult
from bot.answer.text import in_sentence, terms
from bot.answer.turn import Context, Found, Placed, Prepared, Standing
from bot.learner.person import PersonReader
from bot.learner.profile import (
    LearnerProfile,
    asks_for_free,
    asks_for_material,
    formats_in_text,
    match_role,
    target_role,
)
from bot.learner.progress import (
    ProgressReader,
    asks_after_that,
    asks_next,
    label_of,
    leaning_role,
)
from bot.learner.roadmap import LearnerState
from corpus.schema import Background, Corpus, Role

GUIDES_AND_ROLES = {"kind": {"$in": ["guide", "role"]}}
TOLD_TERMS = 4  # content words in a message that tell enough to steer a "what next?" search
PASSAGES = 6  # guide units the composer may quote from
AUDIENCE_BOOST = 0.98  # units for the learner's audience rank just below the best passage
_FOLLOW_UP = re.compile(
    r"^(and|but|so|ok(ay)?|what about|how about|then|also|what else|any|which one|"
    r"and then|after that|what next|more)\b|\b(that|this|those|these|it|them|there|"
    r"the same|above)\b", re.I)
_CHOICE = re.compile(r"\b(or|vs\.?|versus|which (one|first|should)|better)\b", re.I)
_LEARNING = re.compile(r"\b(learn\w*|skills?|study|studying|start|begin|path|roadmap|become|"
                       r"becoming|order|prepare|get into|curriculum|what next|next step)\b",
                       re.I)
_ROLES_ASKED = re.compile(
    r"\b(what|which|other|list|kinds? of|types? of|different|main|all the)\b[^.?!]{0,25}\b"
    r"(roles|jobs|careers|positions|job titles|career paths)\b(?![^.?!]{0,40}\bproject)|"
    r"\b(roles|jobs|careers|positions) (are there|exist|do (ai|data) teams)\b", re.I)
_PROCESS = re.compile(r"\b(project|process|lifecycle|life cycle|workflow|pipeline)\b", re.I)
_EXCEPT = re.compile(r"\b(besides|other than|apart from|except|instead of|beyond|not)\b", re.I)


class ContextBuilder:
    """Builds the generator's :class:`Context` for a question placed on the chain."""

    def __init__(self, corpus: Corpus, retriever: HybridRetriever, detector: StageDetector,
                 cards: CardMatcher, stale_months: int = 12, today: dt.date | None = None):
        self.corpus = corpus
        self.retriever = retriever
        self.detector = detector
        self.cards = cards
        self.roles = list(corpus.roles)
        self.roles_by_id = {r.id: r for r in self.roles}
        self.stages = {s.slug: s for s in corpus.stages}
        self.reader = ProgressReader(corpus)
        self.person_reader = PersonReader(corpus)
        self.backgrounds = {b.id: b for b in corpus.backgrounds}
        self.role_names = {r.id: in_sentence(r.name) for r in corpus.roles}
        self.stale_months = stale_months
        self.today = today

    # -- deciding ------------------------------------------------------------------------
    @staticmethod
    def is_follow_up(question: str) -> bool:
        return len(question.split()) <= 14 and bool(_FOLLOW_UP.search(question))

    @staticmethod
    def has_topic(request: str) -> bool:
        """Whether a message asks about something, beyond "what next?" or a statement: its
        question sentence (not a line about the asker: "accountant here") has a subject."""
        asked = question_of(request)
        return len(terms(asked)) >= 2 and not asks_next(asked) \
            and not asks_after_that(request)

    def topic_stage(self, f: Found) -> StageResult:
        """The stage the question is about, judged on its own words (a follow-up's words say
        where it goes; the conversation only breaks ties)."""
        p = f.prepared
        question = p.learner.question
        vec = self.retriever.embed(question) if p.follow_up else f.qvec
        voters = self.retriever.search(question, k=6, where=GUIDES_AND_ROLES, qvec=vec,
                                       mode="hybrid") if p.follow_up else f.passages
        evidence = [(h.stage, h.score * 60) for h in voters[:6]]
        return self.detector.detect(question, vec, evidence, previous=p.state.previous_stage,
                                    follow_up=p.follow_up)

    # -- building ------------------------------------------------------------------------
    def build(self, f: Found, stage: StageResult, why: str, *, mode: Mode, use_filters: bool,
              top_k: int, has_topic: bool = True) -> Placed:
        """``has_topic``: the message asks about something specific; without one ("what
        now?") the passages are those of the stage the chain places the learner at."""
        p, st = f.prepared, f.prepared.state
        question = p.learner.question
        request = st.statement.request or question
        role = self._role(p)
        # the role what they finished leans to, for someone who names none (fast.ai -> ML)
        leaning = None if role else leaning_role(st.progress.done, self.reader.resources,
                                                 self.roles_by_id)
        filters = self._filters(p, role, stage.stage) if use_filters else Filters()
        have, missing = skill_gap(question, role) if role else ([], [])
        missing, firm_up = gap_order(role, have, missing) if missing else (missing, [])
        if missing and stage.stage != "building-blocks" and why == "topic":
            # a pasted CV is a skills question, whatever its words about jobs suggest
            stage = StageResult("building-blocks", max(stage.scores.get("building-blocks", 0),
                                                       0.5), "resources", stage.scores)
        shape = "gap_review" if missing else question_shape(request)
        passages = self._passages(f, stage.stage, why if not has_topic else "topic", role,
                                  mode, leaning=leaning)
        card = None if missing else self._card(f, request, question, role, st, stage.stage,
                                               with_role=has_topic and why == "topic")
        resources, relaxed = self._resources(p, request, stage.stage, shape, filters, role,
                                             missing, mode, leaning=leaning)
        compared = [] if card or missing else self._compared(question)
        ctx = Context(
            question=request, stage=stage.stage, next_stage=stage.next_stage,
            passages=passages, resources=resources, shape=shape, stages=self.stages,
            role=role, role_hit=self._fetch(role.doc_id) if role else None,
            asked_role_hit=self._asked_role(question),
            roles=self._roles_asked(request, stage.stage, mode),
            card=card.card if card else None,
            card_hit=self._fetch(card.card.id) if card else None, person=st.person,
            standing=self._standing(st, why),
            filters_note=filters_note(filters, role, relaxed),
            show_learning_order=self._learning_order(role, stage.stage, shape, request, why),
            show_resources=self._show_resources(stage.stage, shape, request, why)
            and not compared,
            profile_note=profile_note(st), weak=f.top_sim < 0.3 and card is None
            and not compared and why == "topic", have_skills=have if missing else [],
            missing_skills=missing, firm_up_skills=firm_up, stale_before=self._stale_before(),
            other_roles=self._other_roles(role, question),
            history=st.history, max_steps=max(1, top_k - 2),
            background=self._background(question, st), role_names=self.role_names,
            chain_placed=why in ("progress", "after-that", "next") and not has_topic,
            compared=compared,
            free_only=filters.free_only, asks_material=asks_for_material(question_of(request)),
            leaning_role=leaning)
        return Placed(found=f, stage=stage, why=why, ctx=ctx, filters=filters, role=role,
                      card=card)

    def _other_roles(self, role: Role | None, question: str) -> re.Pattern[str] | None:
        """Names of the roles the learner does not aim at (nor names in the question)."""
        if role is None:
            return None
        names = {n.lower() for r in self.roles if r.id != role.id
                 and match_role(question, [r]) is None
                 for n in (r.name, *r.aliases) if len(n) > 4}
        mine = {n.lower() for n in (role.name, *role.aliases)}
        names = {n for n in names if not any(n in m for m in mine)}
        return re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(
            names, key=len, reverse=True)) + r")s?\b", re.I) if names else None

    def _asked_role(self, question: str) -> Hit | None:
        """The profile of the one role a question names, if it names exactly one."""
        named = [r for r in self.roles if match_role(question, [r]) is not None]
        return self._fetch(named[0].doc_id) if len(named) == 1 else None

    def _card(self, f: Found, request: str, question: str, role: Role | None,
              st: LearnerState, stage: str, with_role: bool = False) -> CardMatch | None:
        """The card that answers the message, tried whole and then sentence by sentence: a
        line about the asker ("I'm 34 and a nurse") dilutes the words of what they ask, and
        one that is part of the question ("I'm bad at maths, can I ...?") belongs to it."""
        texts = [*asked_parts(request), *asked_parts(question)]
        named = [r.id for r in self.roles if match_role(question, [r]) is not None]
        if with_role and role is not None and role.id not in named:
            # "which projects should I build?" from someone aiming at data engineering is
            # the data engineer's question: role-specific cards answer it (the role is
            # context from the profile, not a role the question names)
            texts.append(f"{question_of(request)} ({role.name})")
        found = []
        for text in dict.fromkeys(texts):
            got = self.cards.match(self._vec(f, text), text, role=role.id if role else None,
                                   person=st.person, done=st.progress.done, stage=stage,
                                   formats=formats_in_text(request), roles_named=named)
            if got is not None:
                found.append(got)
        return max(found, key=lambda m: m.similarity, default=None)

    def _compared(self, question: str) -> list[Hit]:
        """The two courses or books a "this or that?" question names, if it names two."""
        asked = question_of(question)
        if not _CHOICE.search(asked):
            return []
        named = self.reader.names.find(asked)[:2]
        hits = [h for rid in named if (h := self._fetch(rid)) is not None]
        return hits if len(hits) == 2 else []

    def _background(self, request: str, st: LearnerState) -> Background | None:
        """The background to speak to: one this message tells about, or, in the first
        answer of a conversation, one the profile gives (not again on every turn)."""
        told = self.person_reader.read(LearnerProfile(), [request]).backgrounds
        known = told or (st.person.backgrounds if not st.history else ())
        return next((self.backgrounds[b] for b in known
                     if b in self.backgrounds and self.backgrounds[b].strengths), None)

    def _vec(self, f: Found, request: str) -> np.ndarray:
        return f.qvec if request == f.prepared.query else self.retriever.embed(request)

    def _fetch(self, doc_id: str) -> Hit | None:
        hits = self.retriever.fetch([doc_id])
        return hits[0] if hits else None

    def _role(self, p: Prepared) -> Role | None:
        role = target_role(p.learner.question, self.roles) or (
            match_role(p.state.profile.target_role, self.roles)
            if p.state.profile.target_role else None)
        if role is None and p.follow_up:
            role = match_role(p.query, self.roles)
        return role

    def _filters(self, p: Prepared, role: Role | None, stage: str) -> Filters:
        # formats come from what is asked, not from what is told ("I've done a course, what
        # now?" asks for no course); a follow-up keeps the formats of the turn before only
        # while it is still about resources ("and which of those are free?")
        inherit = p.follow_up and stage == "resources"
        asked = p.state.statement.request or p.learner.question
        formats = formats_in_text(asked) or (
            formats_in_text(p.query) if inherit else []) or list(
            p.state.profile.formats or [])
        return Filters(role=role.id if role else None, level=p.state.profile.level,
                       formats=formats, free_only=p.state.profile.budget == "free"
                       or asks_for_free(p.learner.question))

    def _passages(self, f: Found, stage: str, why: str, role: Role | None,
                  mode: Mode, leaning: Role | None = None) -> list[Hit]:
        """Guide units for the stage; a question placed by progress searches its stage."""
        hits = f.passages
        if why in ("progress", "after-that", "next"):
            # the stage's link, for their role, and what they told about it ("five interviews,
            # all rejections after the technical round" searches the interviews of that stage)
            told = f.prepared.learner.question
            query = self.stage_query(stage, role or leaning,
                                     told=told if len(terms(told)) >= TOLD_TERMS else "")
            hits = self.retriever.search(query, k=12, where={"$and": [
                GUIDES_AND_ROLES, {"stage": stage}]}, mode=mode)
        hits = self._for_audience(f, hits, mode)
        if role is not None:  # another role's profile is noise unless the user named it
            named = {r.doc_id for r in self.roles
                     if match_role(f.prepared.learner.question, [r]) is not None}
            hits = [h for h in hits if h.meta.get("kind") != "role"
                    or h.source_id == role.doc_id or h.source_id in named]
        ranked = sorted(hits, key=lambda h: (h.stage != stage, -h.score))
        # the question's own stage first, a few more after it: a step from far down the
        # list rarely answers the question
        return ranked[:PASSAGES]

    def stage_query(self, stage: str, role: Role | None, told: str = "") -> str:
        """What to search for when the learner asks "what next?" and the chain says where:
        the stage's link itself, for their role, with what they told of where they are."""
        info = self.stages[stage]
        return f"{info.gap}. {info.needs}" + (f" ({role.name})" if role else "") + (
            f" {told}" if told else "")

    def _for_audience(self, f: Found, hits: list[Hit], mode: Mode) -> list[Hit]:
        """Units written for the learner's audience ("From non-technical jobs" for a nurse)
        join the passages near the top: they fit this person better than general advice."""
        audience = sorted(f.prepared.state.person.audience)
        if not audience or not hits:
            return hits
        marks = [{f"aud:{a}": True} for a in audience]
        where = {"$and": [{"kind": "guide"}, marks[0] if len(marks) == 1 else {"$or": marks}]}
        top = max(h.score for h in hits)
        have = {h.chunk_id: h for h in hits}
        for hit in self.retriever.search(f.prepared.query, k=3, where=where, mode=mode):
            hit.score = max(have[hit.chunk_id].score if hit.chunk_id in have else 0.0,
                            AUDIENCE_BOOST * top)
            have[hit.chunk_id] = hit
        return list(have.values())

    def _resources(self, p: Prepared, request: str, stage: str, shape: str, filters: Filters,
                   role: Role | None, missing: list[str], mode: Mode,
                   leaning: Role | None = None) -> tuple[list[Hit], bool]:
        done = [d for d in p.state.progress.done if d.startswith("res-")]
        k = 4 if stage == "resources" or shape == "where" else 3
        qvec = None
        if missing:
            text = " ".join(missing[:3])
        elif role is not None and stage == "building-blocks" and why_placed(p, request):
            text = " ".join(s.name for s in role.skills[:3])
        elif why_placed(p, request):
            text = self.stage_query(stage, None)
        else:
            text = p.query if request == p.learner.question else request
            qvec = self.retriever.embed(text)  # the words are the question's: so is its vector
        # the role they aim at, else (for a "what now?") the one their finished work leans to
        aim = role or (leaning if why_placed(p, request) else None)
        text += f" {aim.name}" if aim else ""
        if role is None and aim is not None:  # resources for the role they lean to, or all
            filters = dataclasses.replace(filters, role=aim.id)
        levels = [LEVEL_ORDER.get(self._level(d), 0) for d in done]
        q = ResourceQuery(text=text, filters=filters, stage=stage, k=k, done=set(done),
                          starting=not filters.level and (_starting(p.learner.question)
                                                          or shape == "best"),
                          next_level=max(levels) + 1 if levels and stage == "resources"
                          else None, fresh_first=fast_moving(text),
                          prefer=places_for(request) if shape == "where" else (), qvec=qvec)
        found = pick_resources(self.retriever, q, mode)
        if shape == "where":  # places answer "where?": other kinds only when places are few
            places = [h for h in found if h.meta.get("format") in places_for(request)]
            found = places if len(places) >= 2 else found
        if not found and filters.level:  # nothing curated at that level: say so, show any
            q.filters = Filters(role=filters.role, formats=filters.formats,
                                free_only=filters.free_only)
            return pick_resources(self.retriever, q, mode), True
        return found, False

    def _level(self, resource_id: str) -> str:
        return r.level if (r := self.reader.resources.get(resource_id)) else "beginner"

    def _roles_asked(self, request: str, stage: str, mode: Mode) -> list[Hit]:
        """Role profiles for "which roles are there?", minus the ones it names to exclude."""
        if stage != "landscape" or not _ROLES_ASKED.search(request) \
                or _PROCESS.search(request):  # "who does what in a project" is not a list
            return []
        hits = self.retriever.search(request, k=8, where={"kind": "role"}, mode=mode)
        if _EXCEPT.search(request):
            named = {r.doc_id for r in self.roles if match_role(request, [r]) is not None}
            hits = [h for h in hits if h.source_id not in named]
        return hits[:5]

    @staticmethod
    def _learning_order(role: Role | None, stage: str, shape: str, request: str,
                        why: str) -> bool:
        if role is None or stage not in ("landscape", "building-blocks"):
            return False
        if why == "progress" and stage == "building-blocks":
            return True
        return shape in ("what_next", "open", "best", "how_to") and bool(
            _LEARNING.search(request))

    @staticmethod
    def _show_resources(stage: str, shape: str, request: str, why: str) -> bool:
        if formats_in_text(request) or shape in ("where", "gap_review", "what_next"):
            return True
        if shape in ("yes_no", "define", "how_many", "choose"):
            return False
        if stage == "resources" or why in ("progress", "after-that", "next"):
            return True
        return stage == "building-blocks" and bool(_LEARNING.search(request))

    def _standing(self, st: LearnerState, why: str) -> Standing | None:
        placement = st.placement
        if placement is None or why not in ("progress", "topic") or (
                why == "topic" and not st.statement.said):
            return None
        reader = self.reader
        finished = [i for i in placement.because if i in reader.resources]
        kinds = {reader.resources[i].kind for i in finished}
        implied = {m.slug for m in reader.milestones if kinds & set(m.by_resources)}
        have = [label_of(i, reader) for i in placement.because
                if i in reader.by_slug and i not in implied]
        missing = ""
        if placement.gap and placement.gap in st.progress.not_yet:
            missing = label_of(placement.gap, reader)
        return Standing(finished=[label_of(i, reader) for i in finished[:3]], have=have[:2],
                        missing=missing, asked_next=why == "progress")

    def _stale_before(self) -> str:
        today = self.today or dt.date.today()
        months = today.year * 12 + today.month - 1 - self.stale_months
        return f"{months // 12:04d}-{months % 12 + 1:02d}"


def why_placed(p: Prepared, request: str) -> bool:
    """The message asks only "what next?" (or states progress and asks nothing else)."""
    return (p.state.statement.said or asks_next(p.learner.question)) \
        and not ContextBuilder.has_topic(request)


__all__ = ["ContextBuilder", "Found", "Placed", "Prepared"]
