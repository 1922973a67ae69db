"""Groundedness without an LLM judge: is each answer sentence backed by a cited passage?

A *claim* is a sentence of the answer that is not the bot's fixed copy (the texts in
``bot/answer/prompts.py``, wrapped around the corpus's stage texts or the user's own words,
and section headings).
A claim is *supported* when it appears verbatim in a chunk of a source the answer cites, or
when its embedding (the project encoder, ``bot.app.make_encoder``) has cosine similarity
of at least :data:`SUPPORT_THRESHOLD` with one of those chunks' stored embeddings. The source
chunks, their embeddings and metadata come from the index collection, so what is checked is
exactly what the bot could have read. Groundedness of an answer = supported / claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.answer import prompts
from index.embedder import Encoder
from index.store import RECORD_FIELDS, stored_records

# Calibrated on composer answers: resource and role lines score 0.77-0.98 against their own
# entry's chunk; the same answers' sentences against eight unrelated entries score median
# 0.36, p95 0.54, max 0.59. Verbatim quotes are checked by text, not by this threshold.
SUPPORT_THRESHOLD = 0.6
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(*])")
_CITE = re.compile(r"\s*\[\d{1,3}\]")
_LABEL = re.compile(r"^\*\*([^*]+?)\*\*\s*")
_HEADING = re.compile(r"^\*\*[^*]+\*\*\s*(\([^)]*\))?\s*:?\s*$")
# frames the composer and agent wrap around the user's own input: not claims about the world
_ECHO = (re.compile(r"^taking your situation into account\b", re.I),
         re.compile(r"^no curated resource matches\b", re.I))


def _norm(text: str) -> str:
    """Lower case, single spaces, no Markdown emphasis: for verbatim comparison."""
    return re.sub(r"\s+", " ", re.sub(r"[*_`]+", "", text)).strip().lower()


def _split(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def _fixed_copy() -> list[re.Pattern[str]]:
    """Every sentence of the bot's fixed copy, with ``{placeholders}`` as wildcards."""
    texts: list[str] = []
    for value in vars(prompts).values():
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            texts.extend(v for v in value.values() if isinstance(v, str))
    out = []
    for text in texts:
        for sent in _split(re.sub(r"\s+", " ", text)):
            norm = _norm(sent)
            if len(re.sub(r"\{[^}]*\}", "", norm).strip()) < 15:
                continue  # mostly placeholder: would match any sentence
            out.append(re.compile(re.sub(r"\\\{[^}]*\\\}", ".+?", re.escape(norm))))
    return out


_FIXED: list[re.Pattern[str]] = []


def is_fixed_copy(sentence: str, corpus_copy: tuple[str, ...] = ()) -> bool:
    """Fixed copy, possibly wrapped around the corpus's own stage texts (``corpus_copy``:
    "After that (next: {name}): {after}" is copy, not a claim)."""
    if not _FIXED:
        _FIXED.extend(_fixed_copy())
    low = _norm(sentence)
    for text in corpus_copy:
        low = low.replace(text, "{x}")
    if corpus_copy and len(re.sub(r"\{x\}|\W", "", low)) < 15:
        return True
    low = low.replace("{x}", "x")
    return any(p.fullmatch(low) for p in _FIXED) or any(p.search(sentence) for p in _ECHO)


def claim_sentences(answer: str, corpus_copy: tuple[str, ...] = ()) -> list[str]:
    """The sentences of ``answer`` that state something, without markup or citations;
    ``corpus_copy`` are the corpus's stage texts the composer frames (lower case)."""
    claims = []
    for raw in answer.splitlines():
        line = raw.strip()
        if line.startswith(("- ", "* ")):
            line = line[2:].strip()
        line = re.sub(r"^\d{1,2}\.\s+", "", line)  # a numbered step
        if len(line) > 2 and line[0] == "*" and line[-1] == "*" and line[1] != "*":
            line = line[1:-1]  # an italic line ("*After that: ...*")
        if not line or _HEADING.match(line):
            continue
        label = _LABEL.match(line)
        if label and label.group(1).rstrip().endswith((":", ".")):
            line = line[label.end():]  # "**Where you are: X.** intro" -> "intro"
        line = _CITE.sub("", line).replace("**", "").strip()
        for sent in _split(line):
            if len(sent) >= 20 and not is_fixed_copy(sent, corpus_copy):
                claims.append(sent)
    return claims


@dataclass
class SourceDoc:
    """One corpus entry as indexed: chunk texts, their vectors, and its stages."""

    id: str
    texts: list[str]
    vectors: np.ndarray
    stages: set[str] = field(default_factory=set)
    title: str = ""

    @property
    def flat(self) -> str:
        return _norm(" ".join(self.texts))


class SourceLookup:
    """Reads cited entries from the index collection, once per id."""

    def __init__(self, collection: Any):
        self.collection = collection
        self._cache: dict[str, SourceDoc | None] = {}

    def get(self, source_id: str) -> SourceDoc | None:
        if source_id not in self._cache:
            got = self.collection.get(where={"source_id": source_id},
                                      include=[*RECORD_FIELDS, "embeddings"])
            if not got["ids"]:
                self._cache[source_id] = None
            else:
                records = stored_records(got["documents"], got["metadatas"])
                metas = [m for _, m in records]
                stages = {k.split(":", 1)[1] for m in metas for k, v in m.items()
                          if k.startswith("stage:") and v is True}
                stages |= {str(m["stage"]) for m in metas if m.get("stage")}
                self._cache[source_id] = SourceDoc(
                    id=source_id, texts=[t for t, _ in records],
                    vectors=np.asarray(got["embeddings"], dtype=np.float32),
                    stages=stages, title=str(metas[0].get("title", "")))
        return self._cache[source_id]


@dataclass
class Grounding:
    claims: int
    supported: int
    unsupported: list[str]

    @property
    def score(self) -> float | None:
        return self.supported / self.claims if self.claims else None


class Grounder:
    """Scores answers against their cited sources; caches sentence vectors by text."""

    def __init__(self, encoder: Encoder, sources: SourceLookup,
                 threshold: float = SUPPORT_THRESHOLD, corpus_copy: tuple[str, ...] = ()):
        self.encoder = encoder
        self.sources = sources
        self.threshold = threshold
        # sentence by sentence: an answer's claims are split the same way
        self.corpus_copy = tuple(sorted({_norm(s) for t in corpus_copy if t
                                         for s in _split(t)}, key=len, reverse=True))
        self._vecs: dict[str, np.ndarray] = {}

    def _encode(self, sentences: list[str]) -> None:
        todo = list(dict.fromkeys(s for s in sentences if s not in self._vecs))
        if todo:
            for s, v in zip(todo, self.encoder.encode(todo), strict=True):
                self._vecs[s] = np.asarray(v, dtype=np.float32)

    def score(self, answer: str, cited_ids: list[str]) -> Grounding:
        claims = claim_sentences(answer, self.corpus_copy)
        docs = [d for d in (self.sources.get(i) for i in cited_ids) if d is not None]
        if not claims:
            return Grounding(0, 0, [])
        if not docs:
            return Grounding(len(claims), 0, claims)
        flat = " ".join(d.flat for d in docs)
        matrix = np.vstack([d.vectors for d in docs])
        rest = [c for c in claims if _norm(c).rstrip(".!?") not in flat]
        self._encode(rest)
        unsupported = [c for c in rest
                       if float((matrix @ self._vecs[c]).max()) < self.threshold]
        return Grounding(len(claims), len(claims) - len(unsupported), unsupported)
