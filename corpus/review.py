"""What a curator reviews: the corpus's counts, and the entries due for a fresh check.

Every entry carries ``checked: YYYY-MM``, the month someone last verified it. Advice about AI
goes stale within months, so ``careerbot corpus check --stale-after MONTHS`` lists the entries
checked longer ago than that, oldest first; ``careerbot corpus links`` checks their links.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from corpus.schema import STAGES, Corpus

DEFAULT_STALE_AFTER = 12  # months


def month_before(today: dt.date, months: int) -> str:
    """The month ``months`` before ``today``'s, as YYYY-MM."""
    n = today.year * 12 + today.month - 1 - months
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def months_between(earlier: str, today: dt.date) -> int:
    year, month = (int(p) for p in earlier.split("-"))
    return (today.year - year) * 12 + today.month - month


def dated_entries(corpus: Corpus) -> list[tuple[str, str, str | None]]:
    """``(kind, id, checked)`` of every entry that must carry a date."""
    return ([("role", r.doc_id, r.checked) for r in corpus.roles]
            + [("guide", g.id, g.checked) for g in corpus.guides]
            + [("resource", r.id, r.checked) for r in corpus.resources]
            + [("card", c.id, c.checked) for c in corpus.cards])


def stale_entries(corpus: Corpus, months: int = DEFAULT_STALE_AFTER,
                  today: dt.date | None = None) -> list[dict[str, Any]]:
    """Entries last checked more than ``months`` months ago, oldest first."""
    today = today or dt.date.today()
    limit = month_before(today, months)
    rows = [{"id": i, "kind": k, "checked": c, "months": months_between(c, today)}
            for k, i, c in dated_entries(corpus) if c and c < limit]
    return sorted(rows, key=lambda r: (r["checked"], r["kind"], r["id"]))


def corpus_report(corpus: Corpus, stale_after: int = DEFAULT_STALE_AFTER,
                  today: dt.date | None = None) -> dict[str, Any]:
    """The counts ``careerbot corpus check`` prints (INTERFACES.md), dates included."""
    by_stage = {s: {"guides": sum(g.stage == s for g in corpus.guides),
                    "resources": sum(s in r.stages for r in corpus.resources),
                    "cards": sum(c.stage == s for c in corpus.cards)} for s in STAGES}
    by_role: Counter[str] = Counter(role for r in corpus.resources for role in r.roles)
    entries = dated_entries(corpus)
    dated = [c for _, _, c in entries if c]
    return {"ok": True, "errors": [], "guides": len(corpus.guides), "roles": len(corpus.roles),
            "resources": len(corpus.resources), "cards": len(corpus.cards),
            "milestones": len(corpus.milestones), "backgrounds": len(corpus.backgrounds),
            "by_stage": by_stage,
            "by_kind": dict(Counter(r.kind for r in corpus.resources)),
            "by_level": dict(Counter(r.level for r in corpus.resources)),
            "by_cost": dict(Counter(r.cost for r in corpus.resources)),
            "by_role": dict(sorted(by_role.items())),
            "checked_coverage": round(len(dated) / len(entries), 4) if entries else 1.0,
            "newest_check": max(dated, default=None), "oldest_check": min(dated, default=None),
            "stale_after_months": stale_after,
            "stale": stale_entries(corpus, stale_after, today)}


__all__ = ["DEFAULT_STALE_AFTER", "corpus_report", "month_before", "stale_entries"]
