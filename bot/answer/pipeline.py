"""The career guide: one question in, one structured, cited answer out.

The route is a LangChain chain of named steps, each one small function over a typed value:

    prepare   who is asking: profile, conversation, progress along the chain (Prepared)
    retrieve  passages for the question, and whether to answer at all (Found)
    place     the stage to answer at, resources, answer card, the generator's Context (Placed)
    generate  the generator streams the reply (text pieces, then a Composed)
    finish    the Answer object; history, progress, roadmap and trace are stored

:meth:`CareerBot.stream` yields the text pieces and ends with the :class:`Answer`. State is per
``user_id``; a turn without a user id keeps nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.runnables import RunnableGenerator, RunnableLambda

from bot.answer.chain import ChainInput, place_on_chain
from bot.answer.context import ContextBuilder
from bot.answer.generators import Generator, pieces_of
from bot.answer.hygiene import InputProblem, check_input
from bot.answer.model import Answer, Source
from bot.answer.reply import Composed
from bot.answer.retrieval import Hit, HybridRetriever, Mode
from bot.answer.scope import ScopeGuard
from bot.answer.shape import question_of
from bot.answer.stages import StageDetector
from bot.answer.text import terms
from bot.answer.turn import Found, Placed, Prepared
from bot.learner.profile import LearnerProfile, asks_for_material, match_role, require_known
from bot.learner.progress import asks_after_that, asks_next
from bot.learner.roadmap import Learner, LearnerStore
from bot.store.state import StateStore
from corpus.schema import Corpus, Role

# content words the statements beside a "what next?" may hold and still say nothing of where
# the learner is ("I'm new here. What should I learn next?")
SAYS_LITTLE = 3


def says_little(message: str) -> bool:
    """Whether a message tells little beyond its question: the words around the question
    sentence ("my portfolio has six half-finished projects") say where the learner is."""
    told = message.replace(question_of(message), " ")
    return len(terms(told)) <= SAYS_LITTLE

GUIDES_AND_ROLES = {"kind": {"$in": ["guide", "role"]}}


class CareerBot:
    """Answers career questions from the index; components are passed in (see bot.app)."""

    def __init__(self, *, corpus: Corpus, retriever: HybridRetriever, detector: StageDetector,
                 guard: ScopeGuard, generator: Generator, store: StateStore | None,
                 builder: ContextBuilder, max_input_chars: int = 4000, top_k: int = 6,
                 retrieval_mode: Mode = "hybrid", use_filters: bool = True,
                 corpus_version: str | None = None):
        # retrieval_mode / use_filters exist so evals can compare configurations side by side
        self.corpus = corpus
        self.retrieval_mode: Mode = retrieval_mode
        self.use_filters = use_filters
        self.retriever = retriever
        self.detector = detector
        self.guard = guard
        self.generator = generator
        self.store = store
        self.builder = builder
        self.learners = LearnerStore(store, corpus)
        self.max_input_chars = max_input_chars
        self.top_k = top_k
        self.corpus_version = corpus_version
        self.roles: list[Role] = list(corpus.roles)
        self.chain = (RunnableLambda(self.prepare, name="prepare")
                      | RunnableLambda(self.retrieve, name="retrieve")
                      | RunnableLambda(self.place, name="place")
                      | RunnableGenerator(self.generate, name="generate")
                      | RunnableGenerator(self.finish, name="finish"))

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
        ``user_id`` as the conversation context, e.g. one Slack thread of a user; profile,
        progress and roadmap still come from the store.
        """
        clean = check_input(question, self.max_input_chars)
        if profile is not None:
            require_known(profile, self.corpus)
        learner = Learner(question=clean.text, user_id=user_id, given=profile,
                          history=history)
        yield from self.chain.stream(learner, config={"run_name": "careerbot"})

    def roadmap(self, user_id: str) -> dict[str, Any]:
        return self.store.get_roadmap(user_id) if self.store else {}

    def role_by_text(self, text: str | None) -> Role | None:
        return match_role(text, self.roles) if text else None

    # -- the steps -----------------------------------------------------------------------
    def prepare(self, learner: Learner) -> Prepared:
        """Who is asking: stored and stated profile, the conversation, progress so far."""
        state = self.learners.load(learner)
        query, follow_up = learner.question, False
        last_user = next((t for r, t in reversed(state.history) if r == "user"), None)
        if last_user and self.builder.is_follow_up(learner.question):
            follow_up = True
            query = self.generator.rewrite(state.history, learner.question)
        return Prepared(learner=learner, state=state, query=query, follow_up=follow_up)

    def retrieve(self, p: Prepared) -> Found:
        """Passages for the question, and the scope decision: answer, or decline politely."""
        qvec = self.retriever.embed(p.query)
        passages = self.retriever.search(p.query, k=12, where=GUIDES_AND_ROLES, qvec=qvec,
                                         mode=self.retrieval_mode)
        top_sim = max((h.dense_sim or 0.0 for h in passages), default=0.0)
        if self.retrieval_mode == "bm25":  # the scope guard still needs a dense signal
            top_sim = max((h.dense_sim or 0.0 for h in self.retriever.dense(
                qvec, 1, GUIDES_AND_ROLES)), default=0.0)
        talking = bool(p.state.history) or not p.state.profile.is_empty() \
            or p.state.statement.said
        decision = self.guard.decide(p.learner.question, qvec, top_sim,
                                     in_conversation=talking)
        early = Answer(answer=decision.reply, declined=True) if decision.declined else None
        return Found(prepared=p, qvec=qvec, passages=passages, top_sim=top_sim,
                     scope=decision, early=early)

    def place(self, f: Found) -> Placed:
        """The stage to answer at, then everything the generator needs (a Context)."""
        if f.early is not None:
            return Placed(found=f, stage=None, why="declined", ctx=None)
        p = f.prepared
        # what the message asks besides what it tells: nothing, when it only tells
        statement = p.state.statement
        request = statement.request if statement.said else p.learner.question
        topic = self.builder.topic_stage(f)
        has_topic = self.builder.has_topic(request)
        stage, why = place_on_chain(ChainInput(
            topic=topic, placement=p.state.placement, said_now=p.state.statement.said,
            asks_next=asks_next(p.learner.question),
            after_that=asks_after_that(p.learner.question),
            has_topic=has_topic, previous=p.state.previous_stage,
            asks_material=asks_for_material(request),
            says_little=says_little(p.learner.question)))
        bare_next = not has_topic and (asks_next(p.learner.question)
                                        or asks_after_that(p.learner.question)
                                        or not request.strip())
        return self.builder.build(f, stage, why, mode=self.retrieval_mode,
                                  use_filters=self.use_filters, top_k=self.top_k,
                                  has_topic=not bare_next)

    def generate(self, placed: Iterator[Placed]) -> Iterator[str | tuple[Placed, Composed]]:
        """The generator's text pieces as they come, then the finished composition."""
        for pl in placed:
            if pl.ctx is None:
                early = pl.found.early
                assert early is not None
                yield from pieces_of(early.answer)
                yield pl, Composed(text=early.answer, sources=[], declined=True)
                continue
            composed: Composed | None = None
            for piece in self.generator.stream(pl.ctx):
                if isinstance(piece, Composed):
                    composed = piece
                else:
                    yield piece
            assert composed is not None
            yield pl, composed

    def finish(self, parts: Iterator[str | tuple[Placed, Composed]]) -> Iterator[str | Answer]:
        """Text pieces pass through; the composition becomes the stored :class:`Answer`."""
        for part in parts:
            if isinstance(part, str):
                yield part
                continue
            pl, composed = part
            note = self.learners.review_note(pl.found.prepared.learner)
            if note:
                yield f"\n\n{note}"
            yield self._answer(pl, composed, note)

    # -- helpers -------------------------------------------------------------------------
    def _answer(self, pl: Placed, composed: Composed, note: str | None) -> Answer:
        p = pl.found.prepared
        if composed.declined or pl.stage is None:
            answer = Answer(answer=composed.text, declined=True)
        else:
            answer = Answer(
                answer=composed.text + (f"\n\n{note}" if note else ""), stage=pl.stage.stage,
                stage_confidence=pl.stage.confidence, next_stage=pl.stage.next_stage,
                filters=pl.filters.public(), done=list(p.state.progress.done),
                corpus_version=self.corpus_version, reply=composed.reply,
                sources=[source_of(h) for h in composed.sources])
        trace = {**pl.trace(), "generator": self.generator.name,
                 "settings": self.settings_snapshot(), "review_note": note,
                 "corpus_version": self.corpus_version, "generator_note": composed.note}
        return self.learners.record(p, answer, trace)

    def settings_snapshot(self) -> dict[str, Any]:
        """What ``careerbot replay`` needs to tell whether an answer can still be the same."""
        manifest = getattr(self.retriever.index, "manifest", None)
        return {"top_k": self.top_k, "max_input_chars": self.max_input_chars,
                "retrieval_mode": self.retrieval_mode, "use_filters": self.use_filters,
                "index": {k: getattr(manifest, k, None) for k in
                          ("collection", "corpus_hash", "model", "quantization")}}


def source_of(hit: Hit) -> Source:
    meta = hit.meta
    return Source(id=hit.source_id, title=str(meta.get("title", hit.source_id)),
                  url=str(meta["url"]) if meta.get("url") else None,
                  stage=str(meta.get("stage")) or None, kind=str(meta.get("kind", "guide")),
                  checked=str(meta["checked"]) if meta.get("checked") else None,
                  year=int(meta["year"]) if meta.get("year") else None)


__all__ = ["Answer", "CareerBot", "InputProblem", "Source"]
