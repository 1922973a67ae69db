"""Per-case scores and the run's metrics.

Definitions (the keys of ``--json``'s ``metrics``):

- ``stage_accuracy``: over cases with an ``expected_stage``, the share whose answer names it.
  ``per_stage_accuracy`` breaks it down by expected stage.
- ``decline_accuracy``: over all cases, ``declined == should_decline``;
  ``false_decline_rate`` (answerable cases declined) and ``missed_decline_rate`` (cases that
  should be declined but were answered) say which way it fails.
- ``topic_hit_rate``: over cases with ``expected_topics``, the share where any phrase appears
  (case-insensitively) in the answer or the text or title of a cited source.
- ``hit_at_5``, ``mrr``, ``ndcg_at_5``: over cases with ``expected_sources`` (doc-level corpus
  ids). The ranking is the answer's cited sources in citation order, then the sources the bot
  retrieved but did not cite (guide and role passages by fused score, then resources), each id
  once. Relevance is binary; nDCG's ideal puts every expected id first.
- ``citation_validity``: cited ids that exist in the corpus, over all citations (an ``[n]``
  marker beyond the source list counts as an invalid citation). Must be 1.0.
- ``groundedness``: mean over answered cases of supported claims / claims (evals/grounding.py).
- ``stage_adherence``: mean over answered cases with a stage and citations of the share of
  cited sources tagged with that stage (a guide's stage; a resource's stages; a role profile
  counts for landscape and building-blocks). An answer that names "portfolio" but cites
  interview guides has low adherence.
- ``next_step_accuracy``: stage accuracy over the cases tagged ``progression`` ("what next
  from where I stand"): the stage must be the first missing link of the chain.
- ``repeat_rate``: over cases with ``done_sources`` (ids the learner said they finished), the
  share whose answer cites one of them. Lower is better; the dev set must keep it at 0.
- ``latency_p50_ms``, ``latency_p95_ms``: wall time of the case's question (not of replayed
  history turns).
- ``faithfulness_llm``: only when an LLM judge ran (``settings.llm`` is not ``none``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from corpus.schema import STAGES

GATED = ("stage_accuracy", "decline_accuracy", "topic_hit_rate", "hit_at_5", "mrr",
         "ndcg_at_5", "citation_validity", "groundedness", "stage_adherence",
         "next_step_accuracy", "repeat_rate")
LOWER_IS_BETTER = frozenset({"repeat_rate"})
# absolute targets of the dev set, whatever the baseline says
FLOORS = {"next_step_accuracy": 0.90, "citation_validity": 1.0}
CEILINGS = {"repeat_rate": 0.0}
_MARKER = re.compile(r"\[(\d{1,3})\]")


@dataclass
class CaseResult:
    """One case's answer and scores (the ``cases`` entries of ``--json``)."""

    id: str
    question: str
    expected_stage: str | None
    should_decline: bool
    stage: str | None
    stage_confidence: float
    declined: bool
    answer: str
    sources: list[str]
    retrieved: list[str] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    expected_sources: list[str] = field(default_factory=list)
    done_sources: list[str] = field(default_factory=list)
    topic_hit: bool | None = None
    hit_at_5: float | None = None
    reciprocal_rank: float | None = None
    ndcg_at_5: float | None = None
    citations: int = 0
    valid_citations: int = 0
    groundedness: float | None = None
    unsupported: list[str] = field(default_factory=list)
    stage_adherence: float | None = None
    latency_ms: float = 0.0
    turns: int = 1
    faithfulness_llm: float | None = None
    tags: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def stage_ok(self) -> bool | None:
        return None if self.expected_stage is None else self.stage == self.expected_stage

    @property
    def decline_ok(self) -> bool:
        return self.declined == self.should_decline

    @property
    def repeated(self) -> bool | None:
        """Whether the answer cites something the learner said they finished."""
        return bool(set(self.sources) & set(self.done_sources)) if self.done_sources else None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["stage_ok"] = self.stage_ok
        out["decline_ok"] = self.decline_ok
        out["repeated"] = self.repeated
        return out


def ranking(cited: Sequence[str], retrieved: Sequence[str]) -> list[str]:
    """Cited ids first, then retrieved ones, each once."""
    return list(dict.fromkeys([*cited, *retrieved]))


def retrieval_scores(ranked: Sequence[str], expected: Sequence[str],
                     k: int = 5) -> tuple[float, float, float]:
    """(hit@k, reciprocal rank, nDCG@k) of ``ranked`` against the ``expected`` ids."""
    want = set(expected)
    hit = 1.0 if any(r in want for r in ranked[:k]) else 0.0
    rr = next((1.0 / (i + 1) for i, r in enumerate(ranked) if r in want), 0.0)
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(ranked[:k]) if r in want)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(want), k)))
    return hit, rr, (dcg / ideal if ideal else 0.0)


def topic_hit(topics: Sequence[str], texts: Sequence[str]) -> bool | None:
    """Whether any expected phrase appears in any of ``texts`` (None without topics)."""
    if not topics:
        return None
    hay = " ".join(texts).lower()
    return any(t.lower() in hay for t in topics)


def citation_counts(answer: str, cited: Sequence[str], known_ids: set[str]) -> tuple[int, int]:
    """(citations, valid citations): every cited id, plus markers with no source behind them."""
    dangling = {int(n) for n in _MARKER.findall(answer) if not 1 <= int(n) <= len(cited)}
    valid = sum(1 for c in cited if c in known_ids)
    return len(cited) + len(dangling), valid


def adherence(stage: str | None, cited_stages: Sequence[set[str]]) -> float | None:
    """Share of cited sources tagged with ``stage``."""
    if not stage or not cited_stages:
        return None
    return sum(1 for s in cited_stages if stage in s) / len(cited_stages)


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else None


def _mean(values: Sequence[float | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _rate(flags: Sequence[bool | None]) -> float | None:
    return _mean([1.0 if f else 0.0 for f in flags if f is not None])


def _r(value: float | None, nd: int = 4) -> float | None:
    return None if value is None else round(value, nd)


def aggregate(results: Sequence[CaseResult]) -> dict[str, Any]:
    """The run's metrics (module docstring); None where no case measures a metric."""
    answered = [r for r in results if not r.declined]
    should_answer = [r for r in results if not r.should_decline]
    should_decline = [r for r in results if r.should_decline]
    citations = sum(r.citations for r in results)
    valid = sum(r.valid_citations for r in results)
    per_stage = {s: _r(_rate([r.stage_ok for r in results if r.expected_stage == s]))
                 for s in STAGES if any(r.expected_stage == s for r in results)}
    latencies = [r.latency_ms for r in results]
    metrics: dict[str, Any] = {
        "stage_accuracy": _r(_rate([r.stage_ok for r in results])),
        "decline_accuracy": _r(_rate([r.decline_ok for r in results])),
        "topic_hit_rate": _r(_rate([r.topic_hit for r in results])),
        "hit_at_5": _r(_mean([r.hit_at_5 for r in results])),
        "mrr": _r(_mean([r.reciprocal_rank for r in results])),
        "ndcg_at_5": _r(_mean([r.ndcg_at_5 for r in results])),
        "citation_validity": _r(valid / citations) if citations else None,
        "groundedness": _r(_mean([r.groundedness for r in answered])),
        "stage_adherence": _r(_mean([r.stage_adherence for r in answered])),
        "next_step_accuracy": _r(_rate([r.stage_ok for r in results
                                        if "progression" in r.tags])),
        "repeat_rate": _r(_rate([r.repeated for r in results])),
        "latency_p50_ms": _r(percentile(latencies, 50), 1),
        "latency_p95_ms": _r(percentile(latencies, 95), 1),
        "n_cases": len(results),
        "per_stage_accuracy": per_stage,
        "false_decline_rate": _r(_rate([r.declined for r in should_answer])),
        "missed_decline_rate": _r(_rate([not r.declined for r in should_decline])),
        "n_errors": sum(1 for r in results if r.error),
    }
    judged = [r.faithfulness_llm for r in results if r.faithfulness_llm is not None]
    if judged:
        metrics["faithfulness_llm"] = _r(_mean(judged))
    return metrics


def badness(r: CaseResult) -> float:
    """How bad a case went, for the report's worst cases (decline errors weigh most)."""
    score = 0.0
    if not r.decline_ok:
        score += 3
    if r.stage_ok is False:
        score += 2 + (r.stage_confidence if r.stage else 0)
    if r.topic_hit is False:
        score += 1
    if r.hit_at_5 == 0.0:
        score += 1
    if r.groundedness is not None:
        score += 1 - r.groundedness
    if r.error:
        score += 5
    return score


def worst(results: Sequence[CaseResult], n: int = 10) -> list[CaseResult]:
    bad = [r for r in results if badness(r) >= 1]
    return sorted(bad, key=badness, reverse=True)[:n]


def confusion(results: Sequence[CaseResult]) -> tuple[list[str], list[str], list[list[int]]]:
    """Expected stage (rows) x answered stage (columns, plus 'declined')."""
    rows = list(STAGES)
    cols = [*STAGES, "declined"]
    m = [[0] * len(cols) for _ in rows]
    for r in results:
        if r.expected_stage is None:
            continue
        got = "declined" if r.declined or r.stage is None else r.stage
        m[rows.index(r.expected_stage)][cols.index(got)] += 1
    return rows, cols, m
