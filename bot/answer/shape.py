"""What kind of answer a question wants: a verdict, a pick, a number, a place, steps...

The shape decides how an answer opens and how long it is: a yes/no question gets a verdict and
a short reply, "which first?" one pick with its reason, "how many?" a number, "where?" named
places, a pasted CV the gap between it and the target role. The shapes are the corpus's
vocabulary (``corpus.schema.SHAPES``), shared with the answer cards.
"""

from __future__ import annotations

import re

from bot.answer.text import terms

# words of a pasted CV, for the shape of a long message (bot/answer/gaps.py reads the CV)
_CV_HINT = re.compile(r"\b(experience|skills|worked|resume|résumé|cv|education|projects?|"
                      r"proficient|years)\b", re.I)
_GAP = re.compile(r"\b(what (skills )?am i missing|what('s| is) missing|gaps? (between|in my)|"
                  r"skill gaps?|review my (cv|resume|résumé|profile|skills)|here('s| is) my "
                  r"(cv|resume|résumé)|am i ready (for|to apply)|do i have (the|enough) skills|"
                  r"what do i lack|what else do i need)\b", re.I)
_NEXT = re.compile(r"\b(what(?:'s| is)? (?:my |the )?(?:next|now)\b|what next|what now|now what|"
                   r"(?:my|the) next (?:step|move)|what should i do (?:now|next)|after that|"
                   r"where (?:do|should) i go from here|what comes next)", re.I)
_START = re.compile(r"\b(where|how) (do|should|can|could) i (even )?(start|begin|get started)\b|"
                    r"\bwhere to (start|begin)\b|\bfirst steps?\b", re.I)
_CHOOSE = re.compile(r"\b(\w[\w+#.-]*) (or|vs\.?|versus) (an? |the )?(\w[\w+#.-]*)", re.I)
_CHOOSE_CUE = re.compile(r"^\W*(should i|is it better|would it be better|which|what'?s better|"
                         r"do i (go|need)|is|are|do|can)\b|\b(better|choose|pick|go for|vs\.?|"
                         r"versus|instead of|rather than)\b", re.I)
_HOW_MANY = re.compile(r"\bhow (many|much|long)\b|\bhow much time\b|\bnumber of\b", re.I)
_WHERE = re.compile(
    r"\bwhere (can|could|do|should|would|will) (i|you|we|one|people|someone) (even )?"
    r"(find|get|look|search|meet|post|publish|host|ask|learn|practi[cs]e|download|apply|see|"
    r"go to|connect|network|discuss)\b|\bwhere (are|is) .{0,40}\b(posted|listed|advertised|"
    r"published|hosted|found|shared)\b|\bwhere to (find|look|get|post|learn|practi[cs]e|ask|"
    r"meet|host|apply|publish|share)\b|\bwhich (sites?|websites?|job boards?|boards?|"
    r"platforms?|places?|communities|forums?)\b|\b(good|best) (places?|sites?|websites?) "
    r"(to|for)\b", re.I)
_DEFINE = re.compile(r"^\W*(what (is|are|does|do)( an?| the)?\b(?! (the )?(best|most|right|"
                     r"next|first|good))|what'?s (an? |the )?(?!the best|best|next|my)\w|"
                     r"explain|define|difference between|what'?s the difference|"
                     r"is .{1,40} the same (thing )?as|how (is|are|does) .{1,40} differ)", re.I)
_BEST = re.compile(r"\b(best|top|which (\w+ ){0,2}(one|course|book|language|framework|role|job|"
                   r"path|certification|cert|podcast|newsletter|resource|project)s?|what should i "
                   r"(learn|read|study|take) first|(learn|start|begin|read|take) first|"
                   r"most (important|useful|valuable)|(one|single) thing|recommend (me )?"
                   r"(a|one|the)|what (should|can|could) i (read|watch|listen to))\b", re.I)
_YES_NO = re.compile(r"^\W*(do|does|did|is|are|can|could|should|will|would|am|have|has|was|"
                     r"were|shall|must|isn'?t|aren'?t|don'?t|doesn'?t)\b", re.I)
_HOW_TO = re.compile(r"^\W*how (do|can|should|would|to|did)\b|\bhow (do|can|should) i\b|"
                     r"\bhow to\b|\b(tips|advice|ways) (for|to|on)\b", re.I)


def question_shape(text: str) -> str:
    """The shape of the answer ``text`` asks for: one of :data:`corpus.schema.SHAPES`, or
    ``"open"`` when none fits (a statement, a broad request)."""
    t = text.strip()
    if (len(t) >= 250 and len(_CV_HINT.findall(t)) >= 2) or _GAP.search(t):
        return "gap_review"
    # a long message ends with its question: "...I have 5 hours a week. Where do I start?"
    ask = _last_question(t)
    if _NEXT.search(ask) or _START.search(ask):
        return "what_next"
    if _CHOOSE.search(ask) and _CHOOSE_CUE.search(ask) and not _HOW_MANY.search(ask):
        return "choose"
    if _HOW_MANY.search(ask):
        return "how_many"
    if _WHERE.search(ask):
        return "where"
    if _DEFINE.search(ask):
        return "define"
    if _BEST.search(ask):
        return "best"
    if _YES_NO.search(ask):
        return "yes_no"
    if _HOW_TO.search(ask):
        return "how_to"
    return "open"


def _last_question(text: str) -> str:
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n+", text) if p.strip()]
    asked = [p for p in parts if p.endswith("?")]
    return (asked[-1] if asked else parts[-1] if parts else text)


_ASKS = re.compile(r"(what|which|how|where|when|why|should|can|could|do|does|is|are)\b", re.I)


def _asking(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<=[.!?])[,;]?\s+|\n+|,\s*(?=(what|which|how|"
                                         r"where|when|why|should|can|could|do|is|are)\b)",
                                         text) if p and p.strip()]
    return [p for p in parts if p.endswith("?") or _ASKS.match(p)]


def question_of(text: str) -> str:
    """The sentence that asks, in a message that also tells ("I'm a nurse. Which role?")."""
    asked = _asking(text)
    return asked[-1] if asked else text


def asked_parts(text: str) -> list[str]:
    """The message, then each sentence in it that asks (when there is more than the one)."""
    asked = [p for p in _asking(text) if p != text.strip() and len(terms(p)) >= 2]
    return list(dict.fromkeys([text, *asked]))


__all__ = ["asked_parts", "question_of", "question_shape"]
