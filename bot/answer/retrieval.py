"""Hybrid retrieval: dense (Chroma) + BM25, fused with reciprocal-rank fusion.

Metadata filters (role, level, format, cost) are Chroma ``where`` clauses for the dense side
and the same test applied in Python to BM25 hits, so both halves see the same candidates.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from index.reader import OpenIndex
from index.store import RECORD_FIELDS, stored_records

Mode = Literal["hybrid", "dense", "bm25"]
T = TypeVar("T")
RRF_K = 60
EMBED_CACHE = 64  # query vectors kept (texts repeat within an answer and across users)


@dataclass
class Hit:
    """One retrieved chunk with how each retriever ranked it."""

    chunk_id: str
    text: str
    meta: dict[str, Any]
    score: float = 0.0
    dense_sim: float | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None
    bm25_rank: int | None = None

    @property
    def source_id(self) -> str:
        return str(self.meta.get("source_id", self.chunk_id))

    @property
    def stage(self) -> str:
        return str(self.meta.get("stage", ""))

    def to_trace(self) -> dict[str, Any]:
        return {"id": self.chunk_id, "source_id": self.source_id, "score": round(self.score, 5),
                "dense_sim": None if self.dense_sim is None else round(self.dense_sim, 4),
                "bm25": None if self.bm25_score is None else round(self.bm25_score, 3)}


@dataclass
class Filters:
    """Metadata filters for resources; ``describe`` is what the answer tells the user."""

    role: str | None = None
    level: str | None = None
    formats: list[str] = field(default_factory=list)
    free_only: bool = False

    def is_empty(self) -> bool:
        return not (self.role or self.level or self.formats or self.free_only)

    def public(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.role:
            out["role"] = self.role
        if self.level:
            out["level"] = self.level
        if self.formats:
            out["formats"] = list(self.formats)
        if self.free_only:
            out["cost"] = "free"
        return out

    def where(self, kinds: list[str] | None = None) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if kinds:
            clauses.append({"kind": {"$in": kinds}})
        if self.role:
            clauses.append({"$or": [{f"role:{self.role}": True}, {"all_roles": True}]})
        if self.level:
            clauses.append({"level": {"$in": [self.level, "any"]}})
        if self.formats:
            clauses.append({"format": {"$in": list(self.formats)}})
        if self.free_only:
            clauses.append({"cost": {"$in": ["free", "freemium"]}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def matches(meta: dict[str, Any], where: dict[str, Any] | None) -> bool:
    """Evaluate the subset of Chroma's ``where`` language that :class:`Filters` produces."""
    if not where:
        return True
    for key, cond in where.items():
        if key == "$and":
            if not all(matches(meta, c) for c in cond):
                return False
        elif key == "$or":
            if not any(matches(meta, c) for c in cond):
                return False
        elif isinstance(cond, dict):
            if "$in" in cond and meta.get(key) not in cond["$in"]:
                return False
            if "$eq" in cond and meta.get(key) != cond["$eq"]:
                return False
        elif meta.get(key) != cond:
            return False
    return True


class HybridRetriever(BaseRetriever):
    """Dense + BM25 retrieval over an open index, usable as any LangChain retriever.

    careerbot calls :meth:`search` (hits with their scores and filters); other LangChain code
    can ``invoke("question")`` it for ``k`` Documents (``where`` and ``mode`` as configured),
    or put it in a chain like any other retriever.

    ``refresh(current_collection)`` returns a newer :class:`OpenIndex` when the manifest has
    moved on (another process re-indexed), else None. It is consulted every
    ``check_every_s`` seconds and at once when the open collection has disappeared, so long
    running workers follow re-indexing without a restart.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any  # OpenIndex
    encoder: Any  # Encoder
    refresh: Callable[[str], OpenIndex | None] | None = None
    check_every_s: float = 30.0
    k: int = 6  # what ``invoke`` returns
    where: dict[str, Any] | None = None
    mode: Mode = "hybrid"
    _checked: float = PrivateAttr(default_factory=time.monotonic)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _vectors: dict[str, np.ndarray] = PrivateAttr(default_factory=dict)

    def _get_relevant_documents(self, query: str, *,
                                run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        """LangChain's entry point: the best ``k`` chunks as Documents (text, metadata with
        ``id`` and fused ``score``)."""
        return [Document(page_content=h.text, id=h.chunk_id,
                         metadata={**h.meta, "id": h.chunk_id, "score": h.score})
                for h in self.search(query, k=self.k, where=self.where, mode=self.mode)]

    def follow_manifest(self, force: bool = False) -> bool:
        """Switch to the current index if it changed; True when it did."""
        if self.refresh is None:
            return False
        now = time.monotonic()
        if not force and now - self._checked < self.check_every_s:
            return False
        with self._lock:
            self._checked = now
            newer = self.refresh(self.index.manifest.collection)
            if newer is None:
                return False
            self.index = newer
            return True

    def _call(self, fn: Callable[[OpenIndex], T]) -> T:
        """Run ``fn`` on the open index; once more on the current one if it vanished."""
        self.follow_manifest()
        try:
            return fn(self.index)
        except Exception:
            if not self.follow_manifest(force=True):
                raise
            return fn(self.index)

    def embed(self, text: str) -> np.ndarray:
        """The query vector of ``text``; the last few are kept, since one answer searches
        with the same words more than once (passages, the learner's audience, cards)."""
        vec = self._vectors.get(text)
        if vec is None:
            vec = self.encoder.encode([text])[0]
            with self._lock:
                self._vectors[text] = vec
                while len(self._vectors) > EMBED_CACHE:
                    self._vectors.pop(next(iter(self._vectors)))
        return vec

    def dense(self, qvec: np.ndarray, k: int, where: dict[str, Any] | None) -> list[Hit]:
        def query(index: OpenIndex) -> list[Hit]:
            n = len(index.manifest.chunk_hashes)  # checked at build: no count() round trip
            if n == 0:
                return []
            # While few texts are kept (a big or fresh index), one query that returns them
            # beats a light query plus a read of the missing ones (a second round trip).
            cold = len(index.cache) < n // 2
            res = index.collection.query(
                query_embeddings=[qvec.tolist()], n_results=min(k, n), where=where,
                include=["distances", *RECORD_FIELDS] if cold else ["distances"])
            ids, dists = res["ids"][0], res["distances"][0]
            if cold:
                index.keep(ids, stored_records(res["documents"][0], res["metadatas"][0]))
            records = index.records(ids)
            return [Hit(cid, records[cid][0], dict(records[cid][1]), dense_sim=1.0 - float(d),
                        dense_rank=rank)
                    for rank, (cid, d) in enumerate(zip(ids, dists, strict=False))
                    if cid in records]

        return self._call(query)

    def keyword(self, query: str, k: int, where: dict[str, Any] | None) -> list[Hit]:
        def lookup(index: OpenIndex) -> list[Hit]:
            ranked = index.bm25.search(query, k=k * 4 if where else k)
            records = index.records([cid for cid, _ in ranked])
            hits: list[Hit] = []
            for cid, score in ranked:
                if cid not in records or not matches(records[cid][1], where):
                    continue
                doc, meta = records[cid]
                hits.append(Hit(cid, doc, dict(meta), bm25_score=score, bm25_rank=len(hits)))
                if len(hits) >= k:
                    break
            return hits

        return self._call(lookup)

    def fetch(self, ids: list[str]) -> list[Hit]:
        """Chunks by id (e.g. a role's profile), from the current index."""
        records = self._call(lambda index: index.records(ids))
        return [Hit(cid, records[cid][0], dict(records[cid][1])) for cid in ids if cid in records]

    def search(self, query: str, *, k: int = 8, where: dict[str, Any] | None = None,
               mode: Mode = "hybrid", qvec: np.ndarray | None = None) -> list[Hit]:
        """The best ``k`` chunks for ``query``; scores are RRF sums (higher is better)."""
        pool = max(k * 3, 20)
        dense = self.dense(qvec if qvec is not None else self.embed(query), pool, where) \
            if mode in ("hybrid", "dense") else []
        keyword = self.keyword(query, pool, where) if mode in ("hybrid", "bm25") else []
        fused: dict[str, Hit] = {}
        for hit in dense:
            hit.score = 1.0 / (RRF_K + hit.dense_rank + 1)
            fused[hit.chunk_id] = hit
        for hit in keyword:
            contribution = 1.0 / (RRF_K + hit.bm25_rank + 1)
            if hit.chunk_id in fused:
                fused[hit.chunk_id].bm25_score = hit.bm25_score
                fused[hit.chunk_id].bm25_rank = hit.bm25_rank
                fused[hit.chunk_id].score += contribution
            else:
                hit.score = contribution
                fused[hit.chunk_id] = hit
        return sorted(fused.values(), key=lambda h: h.score, reverse=True)[:k]
