"""Which resources an answer recommends, in which order.

Resources tagged for the learner's stage come first, then the best of the rest; a list leads
with one entry per format (a course and a book rather than two newsletters) unless formats were
asked for. What the learner has finished is never recommended again; after a finished resource
the next level up ranks first. On fast-moving topics (generative AI, LLM tooling,
certifications, the job market) a resource checked or published more recently ranks first when
two fit about as well; the classics keep their place for the fundamentals.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot.answer.retrieval import Filters, Hit, HybridRetriever, Mode

PLACES = ("portal", "community", "dataset")  # what "where can I find ...?" asks for
_PEOPLE = re.compile(r"\b(mentors?|people|peers|community|communities|network|meet|"
                     r"study (group|buddy|buddies)|ask questions?|someone)\b", re.I)


def places_for(request: str) -> tuple[str, ...]:
    """The kinds of place a "where?" question asks for: people gather in communities, data
    sets sit in portals and data set collections."""
    if _PEOPLE.search(request):
        return ("community",)
    if re.search(r"\bdata ?sets?\b|\bdata to\b", request, re.I):
        return ("dataset", "portal")
    return PLACES


LEVEL_ORDER = {"beginner": 0, "any": 0, "intermediate": 1, "advanced": 2}
_STARTING = re.compile(r"\b(where|how) (do|should|can) i (start|begin)\b|\bget(ting)? started\b|"
                       r"\b(first|initial) steps?\b|\bwhat should i learn first\b", re.I)
_FAST_MOVING = re.compile(
    r"\b(generative ai|gen ?ai|llms?|large language models?|gpt\w*|chatgpt|prompt\w*|rag|"
    r"agents?|agentic|langchain|langgraph|fine-?tun\w*|certificat\w*|certs?|exams?|"
    r"job market|hiring|salar(y|ies)|ai engineer\w*|latest|newest|current|this year|"
    r"up to date|2025|2026)\b", re.I)
# scores within this share of each other count as "about as good" for the freshness tie-break
FRESH_WINDOW = 0.12


def starting_out(question: str) -> bool:
    """Where-to-start questions list the easier fitting resources first."""
    return bool(_STARTING.search(question))


def fast_moving(text: str) -> bool:
    return bool(_FAST_MOVING.search(text))


@dataclass
class ResourceQuery:
    """What to look for: the words, the filters, the stage and the learner's history."""

    text: str
    filters: Filters
    stage: str
    k: int
    starting: bool = False
    done: Collection[str] = ()
    next_level: int | None = None  # rank the levels from this one up first
    fresh_first: bool = False
    prefer: tuple[str, ...] = ()  # formats to list first ("where?" wants places, not books)
    qvec: Any = None  # the question's vector, when ``text`` only adds a role name to it


def pick_resources(retriever: HybridRetriever, q: ResourceQuery,
                   mode: Mode = "hybrid") -> list[Hit]:
    """Resources tagged for ``q.stage`` first, then the best of the rest."""
    where = q.filters.where(kinds=["resource"])
    # someone who has picked a role has finished surveying the field: what they use next
    # is that role's first learning resources, not a general overview or a news digest
    staged: dict[str, Any] = {f"stage:{q.stage}": True}
    if q.stage == "landscape" and q.filters.role:
        staged = {"$or": [staged, {"stage:building-blocks": True}]}
    if q.prefer and not q.filters.formats:
        # "where?" asks for places, wherever they sit on the chain
        staged = {"format": {"$in": list(q.prefer)}}
    pool = q.k * 3 + len(q.done)
    first = _fresh(retriever.search(q.text, k=pool, where={"$and": [where, staged]}
                                    if where else staged, mode=mode, qvec=q.qvec), q)
    first = _order(first, q)
    if len(first) >= q.k:
        return first[:q.k]
    seen = {h.source_id for h in first}
    rest = [h for h in _fresh(retriever.search(q.text, k=q.k * 2 + len(q.done), where=where,
                                               mode=mode, qvec=q.qvec), q)
            if h.source_id not in seen]
    return first + rest[: q.k - len(first)]


def _fresh(hits: list[Hit], q: ResourceQuery) -> list[Hit]:
    """Never what the learner finished; on fast-moving topics, recent first among equals."""
    hits = [h for h in hits if h.source_id not in q.done]
    return by_freshness(hits) if q.fresh_first else hits


def by_freshness(hits: list[Hit]) -> list[Hit]:
    """A stable re-rank: a hit moves ahead of a better-scored one only when their scores are
    within :data:`FRESH_WINDOW` of each other and it is newer (year, then ``checked``)."""
    out = list(hits)
    for i in range(1, len(out)):
        j = i
        while j > 0 and _close(out[j - 1], out[j]) and _newer(out[j], out[j - 1]):
            out[j - 1], out[j] = out[j], out[j - 1]
            j -= 1
    return out


def _close(a: Hit, b: Hit) -> bool:
    top = max(a.score, b.score)
    return top > 0 and abs(a.score - b.score) <= FRESH_WINDOW * top


def _newer(a: Hit, b: Hit) -> bool:
    def age(h: Hit) -> tuple[int, str]:
        return int(h.meta.get("year") or 0), str(h.meta.get("checked") or "")
    return age(a) > age(b)


def _order(hits: list[Hit], q: ResourceQuery) -> list[Hit]:
    if q.prefer:  # places of the question's stage first (job boards for a job search)
        hits.sort(key=lambda h: (str(h.meta.get("format")) not in q.prefer,
                                 not h.meta.get(f"stage:{q.stage}")))
    if q.next_level is not None:  # after a finished resource: the next level up first
        hits.sort(key=lambda h: LEVEL_ORDER.get(str(h.meta.get("level")), 1) < q.next_level)
    elif q.starting:  # stable: rank order within each level
        hits.sort(key=lambda h: LEVEL_ORDER.get(str(h.meta.get("level")), 1))
    return hits if q.filters.formats else varied(hits)


def varied(hits: list[Hit]) -> list[Hit]:
    """``hits`` with the best of each resource format first, then the rest, both by rank."""
    seen: set[str] = set()
    lead, rest = [], []
    for hit in hits:
        fmt = str(hit.meta.get("format"))
        (rest if fmt in seen else lead).append(hit)
        seen.add(fmt)
    return lead + rest


__all__ = ["LEVEL_ORDER", "ResourceQuery", "by_freshness", "fast_moving", "pick_resources",
           "starting_out", "varied"]
