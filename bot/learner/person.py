"""Who is asking: the audience a learner belongs to and what they already know.

Backgrounds (``corpus/data/backgrounds.yaml``) say how people describe where they come from,
which audience that puts them in and which topics it already gives them. Explicit statements
("I use Kubernetes every day", "I'm fluent in SQL") add known topics. Answers leave out advice
units meant for another audience and never send someone back to learn what they know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.learner.profile import LearnerProfile
from bot.learner.progress import clauses, is_question
from corpus.schema import Corpus

# a clause in which someone describes themselves (not what they want to become)
_SELF = re.compile(
    r"\b(i'?m|i am|i work|i worked|i'?ve (been|worked|spent)|i have (been|worked|spent)|"
    r"my background|i studied|i graduated|i teach|i taught|i served|i run|i manage|"
    r"i have an? (\w+ )?(degree|phd|master'?s|bachelor'?s|msc|bsc)|coming from|i come from|"
    r"(years?|yrs) (as|in)|for \d+ (years|yrs)|i used to be|i was an?|currently an?)\b", re.I)
_WANT = re.compile(r"\b(want|wanna|hope|hoping|aim|aiming|plan|planning|become|becoming|"
                   r"switch(ing)? to|move into|transition(ing)? (in)?to|get into|break into|"
                   r"land|dream)\b", re.I)
# a clause saying someone already uses or knows a skill
_USES = re.compile(
    r"\b(i (already )?(know|use|used|work with|worked with|write|wrote|build|built|run|ran|"
    r"manage|maintain|deploy|deployed|automate|do)|i'?m (fluent|comfortable|proficient|"
    r"experienced|good|strong|confident|familiar|an expert)|i am (fluent|comfortable|"
    r"proficient|experienced|good|strong|confident|familiar|an expert)|years? of|"
    r"experience (in|with)|daily|every day|at work|expert (in|at)|background in|"
    r"know .{0,20} (well|inside out)|solid .{0,10}skills)\b", re.I)
_DENY = re.compile(r"\b(don'?t|do not|never|can'?t|cannot|not|no|haven'?t|weak|rusty|"
                   r"struggle|struggling)\b", re.I)


@dataclass(frozen=True)
class Person:
    """What the composer needs to fit an answer to the learner."""

    audience: frozenset[str] = frozenset()
    knows: frozenset[str] = frozenset()
    level: str | None = None
    backgrounds: tuple[str, ...] = ()

    def fits(self, audience: Iterable[str], levels: Iterable[str] = ()) -> bool:
        """Whether a unit meant for ``audience``/``levels`` (empty: anyone) suits this
        learner; a learner we know nothing about is suited by everything."""
        aud, lev = set(audience), set(levels)
        if aud and self.audience and not aud & self.audience:
            return False
        return not (lev and self.level and self.level not in lev)

    def knows_about(self, text: str) -> list[str]:
        """The known topics ``text`` mentions (whole words)."""
        if not self.knows:
            return []
        return list(dict.fromkeys(m.group(1) for m in _topics(self.knows).finditer(
            text.lower())))


@lru_cache(maxsize=256)
def _topics(knows: frozenset[str]) -> re.Pattern[str]:
    words = sorted(knows, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(k) for k in words) + r")(?![\w-])")


class PersonReader:
    """Reads a :class:`Person` from a profile and what the learner wrote."""

    def __init__(self, corpus: Corpus):
        self.backgrounds = [(b, [re.compile(p, re.I) for p in b.says])
                            for b in corpus.backgrounds]
        vocab = {k.lower() for r in corpus.roles for s in r.skills for k in s.keywords}
        vocab |= {t.lower() for r in corpus.roles for t in r.tools}
        vocab |= {t.lower() for r in corpus.resources for t in r.topics}
        self.vocab = sorted((v for v in vocab if len(v) >= 2), key=len, reverse=True)
        self._vocab = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(v) for v in self.vocab) + r")(?![\w-])")

    def read(self, profile: LearnerProfile, texts: Sequence[str]) -> Person:
        about = [profile.background or ""]
        uses: list[str] = []
        for text in texts:
            for clause in clauses(text):
                if is_question(clause):
                    continue
                told, want = _SELF.search(clause), _WANT.search(clause)
                if told and (want is None or told.start() < want.start()):
                    # "I'm a nurse and want to get into data": the part before the wish
                    about.append(clause[:want.start()] if want else clause)
                if _USES.search(clause) and not _DENY.search(clause):
                    uses.append(clause)
        matched = [b for b, pats in self.backgrounds
                   if any(p.search(t) for t in about if t for p in pats)]
        knows = {k for b in matched for k in b.knows}
        for clause in uses:
            knows.update(m.group(1) for m in self._vocab.finditer(clause.lower()))
        return Person(audience=frozenset(a for b in matched for a in b.audience),
                      knows=frozenset(knows), level=profile.level,
                      backgrounds=tuple(b.id for b in matched))


__all__ = ["Person", "PersonReader"]
