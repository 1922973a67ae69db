"""Thumbs-down answers as candidate eval cases, for a person to review before they count.

A thumbs-down says an answer fell short; its question, the stage it got, its sources, the
reason given ("wrong level", "outdated") and the conversation around it make a starting point
for an eval case. Each case carries ``needs_review: true`` and the dataset loader refuses it
until someone has checked the expected stage and topics.
"""

from __future__ import annotations

import re
from typing import Any

from bot.answer.text import terms
from bot.store.state import FEEDBACK_REASONS
from corpus.schema import STAGES

# words too general to tell whether an answer is on topic
_GENERIC = frozenset("learn learning become job jobs career careers ai know make use really much "
                     "many also like would think find help work working getting go going please "
                     "tell give where when who why right first".split())


def split_reason(comment: str | None) -> tuple[str | None, str | None]:
    """A thumbs-down reason stored as the comment's prefix ("wrong level: ...") and the rest."""
    if not comment:
        return None, None
    head, _, rest = comment.partition(":")
    if head.strip().lower() in FEEDBACK_REASONS:
        return head.strip().lower(), rest.strip() or None
    return None, comment


def topics_of(question: str, limit: int = 4) -> list[str]:
    """Candidate ``expected_topics``: the question's content words, in order (a reviewer edits)."""
    keep = terms(question)
    out: list[str] = []
    for word in re.findall(r"[a-z0-9+#]+", question.lower()):
        stem = word[:-1] if len(word) > 4 and word.endswith("s") else word
        if stem in keep and stem not in _GENERIC and len(stem) >= 3 and stem not in out:
            out.append(stem)
    return sorted(out, key=len, reverse=True)[:limit]


def eval_case(row: dict[str, Any], trace: dict[str, Any] | None) -> dict[str, Any]:
    """One thumbs-down row as a candidate case in the eval dataset format (needs review)."""
    trace = trace or {}
    answer = trace.get("answer") or {}
    reason, note = split_reason(row.get("comment"))
    stage = row.get("stage") or answer.get("stage")
    cited = [s["id"] for s in answer.get("sources", [])]
    review = [f"thumbs-down{f' ({reason})' if reason else ''} on an answer at stage "
              f"{stage or 'none'}" + (f" citing {', '.join(cited)}" if cited else "")]
    if answer.get("declined"):
        review.append("careerbot declined it: if the question is in scope, keep "
                      "should_decline false and set expected_stage")
    if reason in ("outdated", "broken link"):
        review.append("check the cited resources' facts and links in the corpus")
    if reason == "wrong level":
        review.append("check the profile's level and the level of the cited resources")
    case: dict[str, Any] = {
        "id": f"feedback-{row['id']}", "question": row["question"],
        "expected_stage": stage if stage in STAGES and not answer.get("declined") else None,
        "expected_topics": topics_of(row["question"]), "should_decline": False,
        "tags": ["feedback"] + ([reason.replace(" ", "-")] if reason else []),
        "source": "feedback", "note": "; ".join(review), "needs_review": True}
    history = [{"role": r, "content": t} for r, t, *_ in trace.get("history") or []
               if r in ("user", "assistant") and str(t).strip()]
    if history:
        case["history"] = history
    if trace.get("profile"):
        case["profile"] = trace["profile"]
    if note:
        case["comment"] = note
    return case


__all__ = ["eval_case", "split_reason", "topics_of"]
