"""Deterministic synthetic data for benchmarks: a corpus grown to 10k-100k chunks, questions.

Embedding 100k texts would take longer than the whole benchmark (throughput is measured
separately, on the real corpus), so a synthetic chunk's vector is derived from the real chunk
vectors it borrows its sentences from: a normalised mix of them plus a little noise. That keeps
the vectors on the same clusters as real data, which is what HNSW and the fusion step see.
The same ``seed`` always gives the same chunks, vectors and questions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from corpus.schema import Corpus
from index.chunking import Chunk

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass
class BaseSet:
    """Real chunks and their vectors: what synthetic chunks are made from."""

    chunks: list[Chunk]
    vectors: np.ndarray  # (len(chunks), dim), L2-normalised float32

    def sentences(self) -> list[list[str]]:
        return [[s for s in _SENTENCE.split(c.text.replace("\n", " ")) if len(s) > 20]
                or [c.text] for c in self.chunks]


def synthetic_batches(base: BaseSet, total: int, *, seed: int = 0,
                      batch: int = 1000) -> Iterator[tuple[list[Chunk], np.ndarray]]:
    """``total`` synthetic chunks in batches of ``(chunks, vectors)``.

    Chunk ``i`` takes its metadata (stage, role flags, kind, level...) from one real chunk and
    mixes 3-6 sentences from it and two others, so filters and BM25 behave as on real data.
    """
    rng = np.random.default_rng(seed)
    sents = base.sentences()
    n_base = len(base.chunks)
    dim = base.vectors.shape[1]
    done = 0
    while done < total:
        size = min(batch, total - done)
        picks = rng.integers(0, n_base, size=(size, 3))
        weights = rng.dirichlet((6.0, 2.0, 1.0), size=size).astype(np.float32)
        noise = rng.normal(0.0, 0.04, size=(size, dim)).astype(np.float32)
        vecs = np.einsum("nk,nkd->nd", weights, base.vectors[picks]) + noise
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        chunks = []
        for j in range(size):
            i = done + j
            parts = []
            for src in picks[j]:
                pool = sents[int(src)]
                take = int(rng.integers(1, 3))
                start = int(rng.integers(0, len(pool)))
                parts.extend(pool[start:start + take])
            primary = base.chunks[int(picks[j][0])]
            meta = dict(primary.metadata, synthetic=True)
            text = f"Note {i} on {primary.metadata.get('title', 'AI careers')}: " + " ".join(parts)
            chunks.append(Chunk(f"syn-{i:06d}", text, meta))
        done += size
        yield chunks, vecs.astype(np.float32)


_TEMPLATES_ROLE = (
    "How do I become a {role}?",
    "What should I learn first to work as a {role}?",
    "Which free courses help a beginner {role}?",
    "What does a {role} do day to day?",
    "How do I get a job as a {role} with no experience?",
    "What projects should a {role} put in a portfolio?",
    "Which books are best for an intermediate {role}?",
    "How do I prepare for {role} interviews?",
)
_TEMPLATES_TOPIC = (
    "Where can I learn {topic}?",
    "Is there a good book on {topic}?",
    "How important is {topic} for a career in AI?",
)
_GENERAL = (
    "How do I stay current with AI research?",
    "Should I do a master's degree to get into machine learning?",
    "How many hours a week do I need to switch careers into AI?",
    "How do I write a resume for an AI role?",
    "What maths do I need for deep learning?",
    "How do I network when I don't know anyone in the field?",
    "Which AI career path fits a backend developer?",
    "How do I make my career future-proof as AI changes?",
)


def bench_questions(corpus: Corpus, n: int = 200, *, seed: int = 0) -> list[str]:
    """``n`` distinct, realistic questions built from the corpus's roles, topics and guides."""
    out: list[str] = list(_GENERAL)
    for role in sorted(corpus.roles, key=lambda r: r.id):
        name = role.name.lower()
        out.extend(t.format(role=name) for t in _TEMPLATES_ROLE)
    topics = sorted({t for r in corpus.resources for t in r.topics})
    for i, topic in enumerate(topics):
        out.append(_TEMPLATES_TOPIC[i % len(_TEMPLATES_TOPIC)].format(topic=topic))
    for guide in sorted(corpus.guides, key=lambda g: g.id):
        out.append(f"Tell me about {guide.title[0].lower() + guide.title[1:]}")
    seen: set[str] = set()
    unique = [q for q in out if not (q in seen or seen.add(q))]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(unique))
    picked = [unique[i] for i in order]
    while len(picked) < n:  # a tiny corpus: repeat with a suffix so questions stay distinct
        picked.extend(f"{q} (again {len(picked)})" for q in unique[: n - len(picked)])
    return picked[:n]
