"""Runs eval cases through the real bot, one configuration at a time.

Each case gets a fresh user id; the user turns of its ``history`` are asked first under that
id (the bot makes its own replies, so the follow-up sees a real conversation), then the
question is asked and timed. State goes to a throw-away SQLite store, never the user's own.
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.answer.hygiene import InputProblem
from bot.answer.retrieval import Mode
from bot.settings import Settings
from evals.dataset import EvalCase
from evals.grounding import Grounder, SourceLookup
from evals.metrics import (
    CaseResult,
    adherence,
    aggregate,
    citation_counts,
    ranking,
    retrieval_scores,
    topic_hit,
)


@dataclass(frozen=True)
class EvalConfig:
    """One way to run the bot; configurations are compared side by side on the same cases."""

    name: str
    description: str
    retrieval_mode: Mode = "hybrid"
    use_filters: bool = True
    use_profile: bool = True
    quantization: str | None = None  # None: the configured one; else a side index is built


CONFIGS: dict[str, EvalConfig] = {c.name: c for c in (
    EvalConfig("hybrid", "dense + BM25 fused by RRF, profile and text filters (the default)"),
    EvalConfig("dense", "dense retrieval only (Chroma)", retrieval_mode="dense"),
    EvalConfig("bm25", "BM25 keyword retrieval only", retrieval_mode="bm25"),
    EvalConfig("hybrid-no-filters", "hybrid, resources not filtered by role, level, format "
               "or budget", use_filters=False),
    EvalConfig("hybrid-no-profile", "hybrid, the cases' learner profiles withheld",
               use_profile=False),
    EvalConfig("hybrid-fp32", "hybrid over an index and queries encoded with ONNX fp32",
               quantization="fp32"),
    EvalConfig("hybrid-int8", "hybrid over an index and queries encoded with ONNX int8 "
               "(per-channel dynamic quantization)", quantization="int8"),
)}
DEFAULT_CONFIG = "hybrid"


@dataclass
class RunResult:
    config: EvalConfig
    cases: list[CaseResult]
    metrics: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"description": self.config.description, "metrics": self.metrics,
                "cases": [c.to_json() for c in self.cases]}


Judge = Callable[[str, str, list[str]], float | None]


def config_by_name(name: str) -> EvalConfig:
    if name not in CONFIGS:
        raise ValueError(f"unknown eval config {name!r}; use any of {', '.join(CONFIGS)}")
    return CONFIGS[name]


def _retrieved(bot: Any, trace_id: str | None) -> list[str]:
    trace = bot.store.get_trace(trace_id) if bot.store is not None and trace_id else None
    if not trace:
        return []
    return [h["source_id"] for h in [*trace.get("passages", []), *trace.get("resources", [])]]


def run_case(bot: Any, case: EvalCase, config: EvalConfig, *, known_ids: set[str],
             grounder: Grounder, judge: Judge | None = None, run_id: str = "") -> CaseResult:
    """Ask one case (after replaying its history) and score the answer."""
    user = f"eval-{run_id or uuid.uuid4().hex[:8]}-{config.name}-{case.id}"
    profile = case.profile if config.use_profile else None
    base = dict(id=case.id, question=case.question, expected_stage=case.expected_stage,
                should_decline=case.should_decline, expected_sources=case.expected_sources,
                done_sources=case.done_sources,
                tags=case.tags, turns=1 + len(case.prior_user_turns()),
                history=case.prior_user_turns(),
                profile=profile.model_dump(exclude_none=True) if profile else {})
    try:
        for prior in case.prior_user_turns():
            bot.ask(prior, user_id=user, profile=profile)
        start = time.perf_counter()
        answer = bot.ask(case.question, user_id=user, profile=profile)
        latency = (time.perf_counter() - start) * 1000
    except InputProblem as exc:  # refused input is a decline, as a user would see it
        return CaseResult(**base, stage=None, stage_confidence=0.0, declined=True,
                          answer=exc.reply, sources=[])
    except Exception as exc:  # one broken case must not hide the other results
        return CaseResult(**base, stage=None, stage_confidence=0.0, declined=False, answer="",
                          sources=[], error=f"{exc.__class__.__name__}: {exc}")
    cited = [s.id for s in answer.sources]
    result = CaseResult(**base, stage=answer.stage, stage_confidence=answer.stage_confidence,
                        declined=answer.declined, answer=answer.answer, sources=cited,
                        retrieved=_retrieved(bot, answer.trace_id), filters=answer.filters,
                        latency_ms=round(latency, 2))
    docs = [d for d in (grounder.sources.get(i) for i in cited) if d is not None]
    result.topic_hit = topic_hit(case.expected_topics,
                                 [answer.answer, *(f"{d.title} {' '.join(d.texts)}" for d in docs)])
    if case.expected_sources:
        result.hit_at_5, result.reciprocal_rank, result.ndcg_at_5 = retrieval_scores(
            ranking(with_supports(cited, bot.corpus), result.retrieved), case.expected_sources)
    result.citations, result.valid_citations = citation_counts(answer.answer, cited, known_ids)
    if not answer.declined:
        g = grounder.score(answer.answer, cited)
        result.groundedness, result.unsupported = g.score, g.unsupported
        result.stage_adherence = adherence(answer.stage, [d.stages for d in docs])
        if judge is not None and docs:
            result.faithfulness_llm = judge(case.question, answer.answer,
                                            [" ".join(d.texts) for d in docs])
    return result


def with_supports(cited: list[str], corpus: Any) -> list[str]:
    """Cited ids with each answer card replaced by the entries it rests on: a card is a
    curated summary of its supports, so citing it surfaces them at that place, the guides it
    summarises first, then the roles and resources it names."""
    order = {"guide": 0, "role": 1}
    supports = {c.id: sorted(c.supports, key=lambda s: order.get(s.split("-", 1)[0], 2))
                for c in corpus.cards}
    return [x for sid in cited for x in supports.get(sid, (sid,))]


def stage_copy(corpus: Any) -> tuple[str, ...]:
    """The corpus texts the composer frames its answers with (stage names, links, what comes
    after; what a background brings; a role's first steps): corpus copy, not claims to check
    against the cited sources."""
    return (*(t for s in corpus.stages
              for t in (s.name, s.intro, s.gap, s.after, s.first_step)),
            *(b.strengths for b in corpus.backgrounds if b.strengths),
            *(t for r in corpus.roles for t in r.first_steps.values()))


def corpus_ids(bot: Any) -> set[str]:
    return bot.corpus.ids()


def run_eval(settings: Settings, cases: Sequence[EvalCase], configs: Sequence[EvalConfig], *,
             progress: bool = True, judge: Judge | None = None,
             state_dir: Path | None = None) -> dict[str, RunResult]:
    """Every case through a bot per configuration, with a progress bar on stderr."""
    from tqdm import tqdm

    from bot.app import build_bot, index_exists, make_encoder
    from bot.store.state import StateStore
    from index.reader import MISSING
    from index.store import IndexMissingError

    if not index_exists(settings):  # fail before loading the encoder
        raise IndexMissingError(MISSING)
    encoder = make_encoder(settings)
    results: dict[str, RunResult] = {}
    run_id = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="careerbot-eval-", dir=state_dir) as tmp:
        store = StateStore.open(f"sqlite:///{Path(tmp) / 'eval-state.db'}", migrate=True)
        bar = tqdm(total=len(cases) * len(configs), unit="case", disable=not progress,
                   file=sys.stderr, leave=False)
        try:
            grounder: Grounder | None = None
            for config in configs:
                bar.set_description(config.name)
                run_settings, run_encoder = settings, encoder
                if config.quantization and config.quantization != settings.quantization:
                    run_settings, run_encoder = side_index(settings, config.quantization,
                                                           Path(tmp))
                bot = build_bot(run_settings, encoder=run_encoder, store=store,
                                retrieval_mode=config.retrieval_mode,
                                use_filters=config.use_filters)
                if grounder is None:
                    grounder = Grounder(encoder, SourceLookup(bot.retriever.index.collection),
                                        corpus_copy=stage_copy(bot.corpus))
                known = corpus_ids(bot)
                out = []
                for case in cases:
                    out.append(run_case(bot, case, config, known_ids=known, grounder=grounder,
                                        judge=judge, run_id=run_id))
                    bar.update(1)
                results[config.name] = RunResult(config, out, aggregate(out))
        finally:
            bar.close()
            store.engine.dispose()
    return results


def side_index(settings: Settings, quantization: str, root: Path) -> tuple[Settings, Any]:
    """An embedded index of the same corpus at another precision, under ``root``.

    It reuses the ONNX export of ``settings.data_dir``, so comparing fp32 and int8 side by
    side costs one extra build (a few seconds), never the user's own index.
    """
    from bot.app import make_encoder, run_index
    from index.embedder import onnx_export_dir, onnx_ready

    if settings.encoder == "sentence-transformers":
        raise ValueError("fp32/int8 configs compare ONNX encoders: set CAREERBOT_ENCODER=auto")
    data = root / f"index-{quantization}"
    data.mkdir(parents=True, exist_ok=True)
    if onnx_ready(settings.data_dir, model_path=settings.embedding_model) \
            and not (data / "onnx").exists():
        (data / "onnx").symlink_to(onnx_export_dir(settings.data_dir).resolve(),
                                   target_is_directory=True)
    side = settings.model_copy(update={"data_dir": data, "quantization": quantization,
                                       "chroma_url": None, "encoder": "onnx"})
    run_index(side)
    return side, make_encoder(side)
