"""A pasted CV against the target role: the skills it shows, those it lacks, and the order
to close the gaps in."""

from __future__ import annotations

import re

from bot.answer.shape import question_of
from bot.answer.text import terms
from corpus.schema import Role

# words that mark a pasted CV (two or more of them, in a long enough message)
CV_HINT = re.compile(r"\b(experience|skills|worked|resume|résumé|cv|education|projects?|"
                     r"proficient|years|yrs|certs?|certifications?|certificates?|tools|"
                     r"languages|built|led|summary|degree|bsc|msc|phd)\b", re.I)
# a message that asks what it lacks ("what gaps do I have?", "what do I need to add?")
_GAP_ASK = re.compile(r"\b(missing|miss|gaps?|lack\w*|need to (add|learn|improve)|"
                      r"what else|ready|enough|review|assess|compare|what do i need|"
                      r"what should i (add|learn|improve))\b", re.I)


def skill_gap(text: str, role: Role) -> tuple[list[str], list[str]]:
    """Skills of ``role`` a pasted CV shows, and those it lacks (in learning order)."""
    hints = len(CV_HINT.findall(text))
    if hints < 2 or len(text) < (200 if _GAP_ASK.search(question_of(text)) else 250):
        return [], []
    have_terms, low = terms(text), text.lower()
    have, missing = [], []
    for skill in role.skills:
        words = [k.lower() for k in skill.keywords]
        shown = any((k in low) if " " in k else (terms(k) & have_terms) for k in words)
        (have if shown else missing).append(skill.name)
    return have, missing


_THEORY = re.compile(r"\b(math\w*|statistic\w*|probability)\b", re.I)
# skills whose daily practice teaches the theory under them (modelling, analysis)
_USES_THEORY = re.compile(r"\b(learning|analysis|experiment\w*)\b", re.I)


def gap_order(role: Role | None, have: list[str], missing: list[str]
              ) -> tuple[list[str], list[str]]:
    """The missing skills in the order to learn them, and those to firm up alongside: someone
    who already trains models or analyses data learns the maths and statistics under that
    work alongside the next skill, as most practitioners do; every other gap keeps the
    role's learning order."""
    if role is None:
        return list(missing), []
    order = [s.name for s in role.skills]
    last = max((order.index(n) for n in have if n in order and _USES_THEORY.search(n)),
               default=-1)
    earlier = [n for n in missing if n in order and order.index(n) < last
               and _THEORY.search(n)]
    later = [n for n in missing if n not in earlier]
    return (later + earlier, earlier) if later else (earlier, [])


__all__ = ["CV_HINT", "gap_order", "skill_gap"]
