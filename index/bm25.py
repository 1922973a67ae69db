"""The keyword half of hybrid retrieval: a bm25s index kept beside each Chroma collection."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np


def _bm25s() -> Any:
    """bm25s, with the DEBUG level it sets on its own logger undone (it printed every build)."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str], stemmer: Any = None) -> Any:
    bm25s = _bm25s()

    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer or _stemmer(),
                          show_progress=False, return_ids=True)


class BM25Index:
    """BM25 over chunk texts; ``search`` returns ``(chunk_id, score)`` best first."""

    def __init__(self, retriever: Any, ids: list[str]):
        self.retriever = retriever
        self.ids = ids
        self.stemmer = _stemmer()

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> BM25Index:
        bm25s = _bm25s()

        retriever = bm25s.BM25()
        retriever.index(tokenize(texts), show_progress=False)
        return cls(retriever, list(ids))

    def save(self, path: Path) -> None:
        """Write to ``path`` via a temp folder, so a reader never sees half an index."""
        tmp = path.with_name(path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        self.retriever.save(str(tmp))
        (tmp / "ids.json").write_text(json.dumps(self.ids))
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)

    @classmethod
    def load(cls, path: Path) -> BM25Index:
        bm25s = _bm25s()

        ids = json.loads((path / "ids.json").read_text())
        return cls(bm25s.BM25.load(str(path)), ids)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        import bm25s  # already quieted by load/build

        if not self.ids:
            return []
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=self.stemmer,
                                return_ids=False, show_progress=False)
        if not tokens[0]:
            return []
        k = min(k, len(self.ids))
        docs, scores = self.retriever.retrieve(tokens, k=k, show_progress=False)
        out = []
        for doc, score in zip(np.asarray(docs)[0], np.asarray(scores)[0], strict=False):
            if score > 0:
                out.append((self.ids[int(doc)], float(score)))
        return out
