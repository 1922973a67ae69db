"""Answer cards: curated direct answers that lead a reply when a question matches closely.

Each card is matched by its question and the other ways people ask it (``variants``), all
embedded once (cached on disk beside the index). Embeddings alone confuse neighbours ("What is
an MLOps engineer?" for "What does an ML engineer do?"), so a card leads only when the question
is close to one of its phrasings *and* the two share their telling words: both ways (the
rare words of the question appear in the card, and those of the card's phrasing in the
question), or, for a longer and more specific question, nearly every telling word of the
card's phrasing is in it ("is Kaggle still worth it for a portfolio in 2025?"). The card must
also not be meant for another audience or role, nor send the learner back to something they
finished; otherwise the composer answers from passages.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from bot.answer.text import sentence_split, terms
from bot.learner.person import Person
from bot.learner.profile import formats_in_text
from corpus.schema import Card

# cosine similarity between a question and one of a card's phrasings at which the card may
# lead, if the telling words agree at least to COVER both ways; a question this much closer
# (CLOSE) needs its words covered to LOOSE only
MATCH = 0.72
CLOSE = 0.85
COVER = 0.5
LOOSE = 0.3
# a sentence that tells the learner to take something up
_TO_LEARN = re.compile(r"\b(learn|study|add|pick up|master|start with|get comfortable with|"
                       r"brush up|take a course)\b", re.I)


@dataclass(frozen=True)
class CardMatch:
    card: Card
    similarity: float


class CardMatcher:
    """Finds the card that answers a question, if one does closely enough."""

    def __init__(self, cards: Sequence[Card], vectors: np.ndarray, owners: Sequence[int]):
        self.cards = list(cards)
        self.vectors = vectors
        self.owners = np.asarray(owners, dtype=int)
        texts, _ = self.texts(self.cards)
        self._phrasing = [_words(t) for t in texts]  # one per row of ``vectors``
        self._said = [_words(" ".join([c.question, *c.variants, c.answer, c.conditions]))
                      for c in self.cards]
        self._formats = [set(formats_in_text(" ".join([c.question, *c.variants])))
                         for c in self.cards]
        df = Counter(t for words in self._said for t in words)
        n = max(1, len(self.cards))
        self._idf = {t: math.log(n / (1 + k)) for t, k in df.items()}
        self._rare = math.log(n)  # a word no card uses tells the most

    def _cover(self, words: set[str], by: set[str]) -> float:
        """The share of the telling weight of ``words`` that ``by`` contains (1 when none of
        ``words`` tells anything)."""
        weight = {t: max(self._idf.get(t, self._rare), 0.0) for t in words}
        total = sum(weight.values())
        return 1.0 if total <= 0 else sum(w for t, w in weight.items() if t in by) / total

    @staticmethod
    def texts(cards: Sequence[Card]) -> tuple[list[str], list[int]]:
        """Every way each card is asked, and which card it belongs to."""
        texts, owners = [], []
        for i, card in enumerate(cards):
            for text in (card.question, *card.variants):
                texts.append(text)
                owners.append(i)
        return texts, owners

    def match(self, qvec: np.ndarray, question: str, *, role: str | None = None,
              person: Person | None = None, done: Collection[str] = (),
              stage: str | None = None, formats: Collection[str] = (),
              roles_named: Collection[str] = ()) -> CardMatch | None:
        """The best card for ``question`` that suits this learner, or None. ``formats``:
        the resource kinds the question asks for (a card about courses does not answer a
        question about books); ``roles_named``: role slugs the question itself names (a
        card about one of them answers it, whatever role the learner aims at)."""
        if not self.cards:
            return None
        sims = self.vectors @ qvec
        best: dict[int, tuple[float, int]] = {}  # card -> (similarity, closest phrasing)
        for row in np.flatnonzero(sims >= MATCH).tolist():  # few rows pass: loop over those
            owner, sim = int(self.owners[row]), float(sims[row])
            if sim > best.get(owner, (-1.0, 0))[0]:
                best[owner] = (sim, row)
        q_words = _words(question)
        for owner, (sim, _) in sorted(best.items(), key=lambda p: -p[1][0]):
            card = self.cards[owner]
            asked = self._cover(q_words, self._said[owner])
            told = max(self._cover(self._phrasing[r], q_words)
                       for r in np.flatnonzero(self.owners == owner))
            if not _agree(sim, asked, told):
                continue
            if formats and self._formats[owner] and not set(formats) & self._formats[owner]:
                continue
            named = set(card.roles) & set(roles_named)  # the question names the card's role
            if self._suits(card, None if named else role, person, done, stage):
                return CardMatch(card, round(sim, 4))
        return None

    @staticmethod
    def _suits(card: Card, role: str | None, person: Person | None, done: Collection[str],
               stage: str | None) -> bool:
        """Not for another role or audience than the learner's (an unknown audience is
        suited: the card's words already agree with the question), not back to what they
        finished, and a "what next?" card only at its own stage."""
        if card.roles and role and role not in card.roles:
            return False
        audience = person.audience if person is not None else frozenset()
        if card.applies_to and audience and not audience & set(card.applies_to):
            return False  # written for another audience (unknown: the words decide)
        if any(s in done for s in card.supports):
            return False  # it would send them back to what they finished
        if person is not None and any(_TO_LEARN.search(s) and person.knows_about(s)
                                      for s in sentence_split(card.answer)):
            return False  # it tells them to learn what they already use
        return not (stage and card.shape == "what_next" and card.stage != stage)


def _agree(sim: float, asked: float, told: float) -> bool:
    """Whether a card's wording agrees with a question: ``asked`` is how much of the
    question's telling words the card contains, ``told`` how much of one of the card's
    phrasings the question contains."""
    if sim >= CLOSE and min(asked, told) >= LOOSE:
        return True
    if told >= 0.8 or (told >= COVER + 0.1 and sim >= 0.8):
        return True  # the card's own words are all in a longer, more specific question
    return min(asked, told) >= COVER or (asked >= 0.9 and told >= 0.4)


def _words(text: str) -> set[str]:
    """Content words with common endings cut, so "applying" meets "apply"."""
    out = set()
    for t in terms(text):
        for end in ("ing", "ed", "es", "s"):
            if len(t) > len(end) + 3 and t.endswith(end):
                t = t[: -len(end)]
                break
        out.add(t)
    return out


__all__ = ["CLOSE", "COVER", "LOOSE", "MATCH", "CardMatch", "CardMatcher"]
