"""A deterministic stand-in for all-MiniLM-L6-v2: the :class:`index.embedder.Encoder` protocol
over a hashed bag of words and character trigrams (no model, no torch, no ONNX export).

Texts that share words share dimensions, so retrieval, stage detection, the scope guard and
card matching behave sensibly on the real corpus, only less cleverly than the real model:
fast tests check what careerbot does with vectors, the slow ones how good the real ones are.
Each feature lands in one of ``dim`` buckets with a sign, both from a stable hash (never
Python's per-process ``hash()``), so unrelated texts sit near cosine 0 and a text gets the
same vector in every process, batch and order.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter
from functools import lru_cache

import numpy as np

from index.embedder import DIM

_WORD = re.compile(r"[a-z0-9]+")
# words that carry no topic; everything else counts
STOPWORDS = frozenset("""
a about above after again all also am an and any are as at be because been before being
below between both but by can could did do does doing don down during each even few for from
further get got had has have having he her here hers him his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours out over own
same she should so some such than that the their theirs them then there these they this those
through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself im ive id youre dont
""".split())
WORD_WEIGHT = 1.0
TRIGRAM_WEIGHT = 0.35  # per-character overlap: "engineer"/"engineering", "resume"/"resumes"


def _stem(word: str) -> str:
    """A crude plural/verb-ending fold, enough for "projects" ~ "project"."""
    for suffix in ("ing", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=1 << 16)
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    h = zlib.crc32(feature.encode("utf-8"))
    return h % dim, (1.0 if (h >> 31) & 1 else -1.0)


def features(text: str) -> dict[str, float]:
    """The weighted features of ``text``: stemmed content words and their character
    trigrams, each ``weight * (1 + log(occurrences))`` so a long text is not all repeats."""
    seen: Counter[str] = Counter()
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS:
            continue
        stem = _stem(word)
        seen["w:" + stem] += 1
        padded = f"<{stem}>"
        seen.update("t:" + padded[i:i + 3] for i in range(len(padded) - 2))
    return {f: (WORD_WEIGHT if f[0] == "w" else TRIGRAM_WEIGHT) * (1.0 + math.log(n))
            for f, n in seen.items()}


class HashingEncoder:
    """Hashed bag of words plus character trigrams, L2-normalised float32, ``dim`` 384."""

    def __init__(self, dim: int = DIM, name: str = "fake-hashing-encoder/v1"):
        self.dim = dim
        self.name = name
        self._seen: dict[str, np.ndarray] = {}  # a text's vector never changes: kept

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if text not in self._seen:
                self._seen[text] = self._vector(text)
            out[row] = self._seen[text]
        return out

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for feature, weight in features(text).items():
            col, sign = _bucket(feature, self.dim)
            vec[col] += sign * weight
        norm = float(np.linalg.norm(vec))
        if norm == 0:  # no content words at all: a fixed unit vector, never NaN
            vec[0] = 1.0
            return vec
        return vec / norm
