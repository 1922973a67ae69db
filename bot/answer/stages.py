"""Stage detection: which of the six stages a question is about, with a confidence.

Three signals are blended: (1) embedding similarity of the question to each stage's labelled
example questions and description (from ``corpus/data/stages.yaml``), (2) votes of the
retrieved evidence (each retrieved chunk votes for its stage, weighted by its rank), and
(3) a light lexical prior for words that are strong stage cues ("interview", "portfolio").
The conversation's previous stage nudges short follow-ups.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.schema import STAGES, StageInfo
from index.embedder import Encoder

STAGE_CUES: dict[str, tuple[str, ...]] = {
    "landscape": (r"\bdifference between\b", r"\bwhat (is|are|does) (an? )?(ai|ml|data|machine"
                  r"|deep|generative|mlops|llm)", r"\bwhich (ai |data )?(role|job|career|path)",
                  r"\broles?\b", r"\bwhere (do|should) i (even )?(start|begin)",
                  r"\b(career path|career change|switch(ing)? (careers?|into)|get into)\b",
                  r"\bsuit(s|ed)? me\b", r"\bfit for me\b", r"\bright for me\b",
                  r"\bhow (do|can|should) i (even )?(start|begin|get started)\b",
                  r"\bfirst steps?\b", r"\b(complete|total) beginner\b"),
    "building-blocks": (r"\b(learn first|skills?|math(s|ematics)?|linear algebra|statistics|"
                        r"probability|calculus|programming|python|sql|algorithms?|concepts?|"
                        r"fundamentals|pytorch|tensorflow|tools?|framework|deploy(ment)?|"
                        r"workflow|pipeline|theory|understand)\b",
                        r"\b(what|which) should i (learn|study)\b", r"\bin what order\b",
                        r"\blearn next\b",
                        # the concepts themselves: "supervised vs unsupervised" is not a role
                        r"\b((un|semi-?|self-?)?supervised|reinforcement learning|"
                        r"over-?fit\w*|under-?fit\w*|regulari[sz]\w*|classification|"
                        r"regression|clustering|bias[- ]variance|gradient descent|"
                        r"backprop\w*|feature engineering|cross[- ]validation|"
                        r"hyper-?parameters?|bagging|boosting|ensembles?|random forests?|"
                        r"decision trees?|gradient[- ]boost\w*|k-means|naive bayes|"
                        r"support vector\w*|nearest neighbou?rs?)\b"),
    "resources": (r"\b(books?|courses?|mooc|blogs?|newsletters?|podcasts?|data ?sets?|"
                  r"tutorials?|reading list|resources?|youtube|textbooks?|certificat\w*|"
                  r"lectures?|communit(y|ies)|forums?)\b", r"\brecommend\b",
                  r"\bwhat (should|can|could) i (read|watch|listen to)\b"),
    "portfolio": (r"\b(portfolio|projects?|github|kaggle|showcase|side project|open[- ]source|"
                  r"write[- ]?ups?|blog posts?|readme|demo)\b",),
    "network-and-job": (r"\b(interviews?|resume|résumé|\bcv\b|referrals?|network(ing)?|"
                        r"linkedin|recruiters?|job (search|hunt|offers?|openings?|"
                        r"applications?)|apply(ing)?|hired|hiring|offers?|negotiat\w*|"
                        r"take[- ]home|salary|cover letter|meetups?|land (a|the|my) (job|role)|"
                        r"job)\b",),
    "future-proof": (r"\b(keep up|stay(ing)? (current|relevant|up to date|updated)|future|"
                     r"replace[ds]?|obsolete|trends?|latest|adapt\w*|long[- ]term|"
                     r"senior|promotion|grow(th)? (in|my)|burn ?out|revis\w+ (my )?roadmap|"
                     r"next (ten|10|five|5) years|lifelong|up to date)\b",
                     r"\b(years from now|still (matter|relevant|safe|worth it|needed|be "
                     r"around)|automat\w+ (away|the routine|my job|jobs)|research papers|"
                     r"read(ing)? (ml |ai |research )?papers|arxiv)\b"),
}
_CUES = {s: [re.compile(p, re.I) for p in ps] for s, ps in STAGE_CUES.items()}


@dataclass
class StageResult:
    stage: str
    confidence: float
    next_stage: str | None
    scores: dict[str, float]


def next_stage_of(stage: str | None) -> str | None:
    if stage not in STAGES:
        return None
    i = STAGES.index(stage)
    return STAGES[i + 1] if i + 1 < len(STAGES) else None


def anchor_vectors(encoder: Encoder, texts: list[str], cache_dir: Path | None) -> np.ndarray:
    """Encode anchor sentences once, cached on disk by text and encoder (keeps start-up fast)."""
    key = hashlib.sha256(json.dumps([encoder.name, texts]).encode()).hexdigest()[:16]
    path = cache_dir / f"anchors-{key}.npy" if cache_dir else None
    if path and path.exists():
        try:
            vecs = np.load(path)
            if vecs.shape == (len(texts), encoder.dim):
                return vecs
        except (OSError, ValueError):
            pass
    vecs = encoder.encode(texts, batch_size=64)
    if path:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vecs)
            tmp.replace(path)
        except OSError:
            pass
    return vecs


class StageDetector:
    """Blends example similarity, retrieval votes and cue words into stage probabilities."""

    def __init__(self, stages: Sequence[StageInfo], vectors: np.ndarray, labels: list[str],
                 weights: tuple[float, float, float] = (0.5, 0.3, 0.2)):
        self.stages = list(stages)
        self.vectors = vectors
        self.labels = np.array(labels)
        self.weights = weights

    @staticmethod
    def anchor_texts(stages: Sequence[StageInfo]) -> tuple[list[str], list[str]]:
        texts, labels = [], []
        for s in stages:
            for t in [s.description, *s.examples]:
                texts.append(t)
                labels.append(s.slug)
        return texts, labels

    def similarity_scores(self, qvec: np.ndarray) -> dict[str, float]:
        sims = self.vectors @ qvec
        out = {}
        for slug in STAGES:
            s = np.sort(sims[self.labels == slug])[::-1][:3]
            out[slug] = float(s.mean()) if len(s) else 0.0
        return out

    def detect(self, text: str, qvec: np.ndarray, evidence: Sequence[tuple[str, float]] = (),
               previous: str | None = None, follow_up: bool = False) -> StageResult:
        """``evidence`` is ``(stage, weight)`` per retrieved chunk, best first."""
        sim = self.similarity_scores(qvec)
        sim_p = _softmax(np.array([sim[s] for s in STAGES]), temperature=0.04)
        votes = np.zeros(len(STAGES))
        for rank, (stage, weight) in enumerate(evidence):
            if stage in STAGES:
                votes[STAGES.index(stage)] += weight / (1 + rank * 0.5)
        vote_p = votes / votes.sum() if votes.sum() > 0 else np.full(len(STAGES), 1 / 6)
        cues = np.array([sum(1 for p in _CUES[s] if p.search(text)) for s in STAGES], float)
        cue_p = cues / cues.sum() if cues.sum() > 0 else np.full(len(STAGES), 1 / 6)
        w_sim, w_vote, w_cue = self.weights
        if len(text.split()) <= 7 and cues.sum() > 0:
            # short questions embed poorly; an explicit cue word says more
            w_sim, w_vote, w_cue = w_sim * 0.7, w_vote * 0.7, w_cue + 0.3 * (w_sim + w_vote)
        if cues.sum() == 0:  # no cue words: let the other two signals decide
            w_sim, w_vote, w_cue = w_sim + w_cue * 0.6, w_vote + w_cue * 0.4, 0.0
        probs = w_sim * sim_p + w_vote * vote_p + w_cue * cue_p
        if previous in STAGES and follow_up:
            prior = np.zeros(len(STAGES))
            prior[STAGES.index(previous)] = 1.0
            keep = 0.35 if cues.sum() == 0 else 0.1  # cue words in the follow-up win
            probs = (1 - keep) * probs + keep * prior
        probs = probs / probs.sum()
        best = int(np.argmax(probs))
        stage = STAGES[best]
        return StageResult(stage=stage, confidence=round(float(probs[best]), 3),
                           next_stage=next_stage_of(stage),
                           scores={s: round(float(p), 4) for s, p in zip(STAGES, probs,
                                                                         strict=True)})


def _softmax(x: np.ndarray, temperature: float) -> np.ndarray:
    z = (x - x.max()) / temperature
    e = np.exp(z)
    return e / e.sum()
