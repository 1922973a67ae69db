"""Sentences of corpus text: splitting, scoring against a question, and what may be quoted.

Retrieved text is data: sentences that read like instructions to an assistant are never
quoted, and a quote never starts with a sentence that points back at text it leaves out.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import Any

from bot.answer.scope import looks_like_injection
from corpus.units import dangles

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_WORD = re.compile(r"[a-z0-9+#]+")
STOP = frozenset(
    "a an the and or of to in on for with is are be i me my we you your it this that what which "
    "how do does should can could would will as at by from into about than then so if but not "
    "have has had am was were get want need next now there their them they any some more most "
    "best good way ways start starting really actually just much many also very one".split())
# Sentences addressed to an assistant rather than to a learner are data we do not repeat.
_ADDRESSED_TO_BOT = re.compile(
    r"\b(you must (say|reply|respond|output)|(reply|respond|answer) (only )?with|print the|"
    r"output the|canary)\b"
    # notes to "any AI reading this", orders about "your answer", codes to repeat, and
    # markup that would fetch or run something when an answer is rendered
    r"|\b(any|an|the|all|every) (ai|llms?|models?|bots?|chatbots?|assistants?|agents?)\b.{0,20}"
    r"\b(reading|summari[sz]ing|processing|parsing|answering)\b"
    r"|\bif you are (an? )?(ai|llm|language model|bot|chatbot|assistant|model)\b"
    r"|\b(every|each|all|any) (answer|reply|response|output)s? you\b"
    r"|\b(end|start|beginning|top|bottom) of (your|every|each) (answer|reply|response|output)\b"
    r"|\b(include|insert|append|add|paste|mention|put|say|print|output)\b.{0,30}\b(code|phrase|"
    r"password|token|string|words)\b.{0,60}\b(answers?|reply|replies|responses?|output)\b"
    r"|\b(verification|secret|magic|pass) ?(code|phrase|word)\b"
    r"|!\[[^\]]*\]\(|<\s*/?\s*(img|script|iframe|style|object|embed)\b|<!--", re.I)
ACTION = re.compile(
    r"^(start|pick|choose|build|write|read|learn|practise|practice|use|try|focus|spend|keep|"
    r"make|ask|join|apply|contribute|publish|share|prepare|review|set|plan|add|aim|begin|"
    r"follow|treat|reach|talk|schedule|track|list|study|revisit|put|work|look|prefer|avoid|"
    r"give|take|find|block|turn|replace|note|rewrite|tailor|send|do|check|compare|collect|"
    r"finish|deploy|document|explain|show|ship|go|open|count|run|subscribe|train|download|"
    r"watch|load|search|save|draft|create|install|book|draw|copy|decide|test|listen|cut|"
    r"answer|enrol|enroll|mark|pin|sample|fit|fine-tune|wrap|simulate|embed|split|call|map|"
    r"bookmark|offer|agree|update|rebuild|shortlist|sketch|email|solve|rate|score|reply|click|"
    r"widen|design|move|outline|photograph|get|clone|revoke|name|post|log|close|estimate|"
    r"message|sign up|register|fork|record|measure|pair|attend|enter|rehearse|reproduce|swap|"
    r"label|summari[sz]e|skim|visit|browse|fill|upload|forget|print|compute|present)\b"
    r"|^(before|for|in|on|once|this|tonight|if|within|next|after|over|by|each|every)\b"
    r"[^.]{0,80}?,\s*(start|pick|choose|build|write|read|learn|make|ask|join|apply|open|"
    r"count|run|list|try|"
    r"find|take|spend|set|add|draft|send|book|watch|search|create|post|update|review|compare|"
    r"check|note|mark|do|get|go|put|pin|schedule|record|print|compute|fine-tune|give|split|"
    r"decide|look|finish|reproduce|test)\b", re.I)
_ROLE_ORDER = re.compile(r"\blearn in this order\b|\bskills are missing\b", re.I)


def terms(text: str) -> set[str]:
    """Content words, crudely stemmed, for overlap scoring."""
    out = set()
    for w in _WORD.findall(text.lower()):
        if w in STOP or len(w) < 2:
            continue
        out.add(w[:-1] if len(w) > 4 and w.endswith("s") else w)
    return out


def sentence_split(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def in_sentence(name: str) -> str:
    """A name as it reads mid-sentence: "Data analyst" -> "data analyst", "ML engineer" and
    "AI product manager" keep their capitals."""
    first = name.split(" ", 1)[0]
    return name if len(first) > 1 and first[:2].isupper() else name[:1].lower() + name[1:]


def is_action(sentence: str) -> bool:
    """Whether a sentence tells the learner to do something (the roadmap's next action)."""
    return bool(ACTION.search(sentence) or _ROLE_ORDER.search(sentence))


def safe_sentences(text: str) -> list[str]:
    """The sentences of a passage body that may be quoted: no headings, no instructions."""
    body = text.split("\n", 1)[1] if "\n" in text else text
    body = re.sub(r"\s+", " ", body.replace("\n- ", ". ").replace("\n", " ")).strip()
    out = []
    for s in _SENTENCE.split(body):
        s = s.strip(" -*")
        if len(s) < 25 or len(s) > 400:
            continue
        if looks_like_injection(s) or _ADDRESSED_TO_BOT.search(s):
            continue
        out.append(s if s[-1] in ".!?" else s + ".")
    return out


def overlap(a: set[str], b: set[str]) -> float:
    """How much two term sets say the same thing (0..1, over the smaller set)."""
    return len(a & b) / max(1, min(len(a), len(b)))


def best_sentences(text: str, query_terms: set[str], n: int,
                   keep: Callable[[str], bool] | None = None) -> list[str]:
    """The run of ``n`` consecutive sentences that shares most with the question.

    Consecutive sentences keep the passage's own line of thought, so the quote reads as
    advice rather than as scattered fragments; a run that would open with a sentence pointing
    back ("Their weakness is...") starts earlier, at what it points to. ``keep`` (a callable
    on a sentence) drops sentences the learner should not be told.
    """
    sents = [s for s in safe_sentences(text) if keep is None or keep(s)]
    if not sents:
        return []
    n = min(n, len(sents))
    scores = [len(query_terms & terms(s)) + (0.6 if ACTION.search(s) else 0.0) for s in sents]
    best = max(range(len(sents) - n + 1),
               key=lambda i: sum(scores[i:i + n]) - i * 0.05)
    start = best
    while start > 0 and dangles(sents[start]):
        start -= 1
    if dangles(sents[start]):  # the passage itself opens mid-thought: nothing to stand on
        return []
    return sents[start:best + n]


def describe_resource(hit: Any) -> str:
    """A resource hit as one line: bold title, (format, level, cost, hours), its gist."""
    meta = hit.meta
    bits = [str(meta.get("format", "resource"))]
    if meta.get("level") and meta.get("level") != "any":
        bits.append(str(meta["level"]))
    if meta.get("cost"):
        bits.append(str(meta["cost"]))
    hours = meta.get("hours") or 0
    if hours:
        bits.append(f"about {int(hours)} h")
    summary = safe_sentences(hit.text)
    gist = summary[0] if summary else ""
    return f"**{meta.get('title', hit.source_id)}** ({', '.join(bits)}): {gist}"


def month_name(month: str) -> str:
    """``2025-01`` as people write it: ``Jan 2025``."""
    year, mon = month.split("-")
    return f"{calendar.month_abbr[int(mon)]} {year}"


__all__ = ["ACTION", "STOP", "best_sentences", "describe_resource", "is_action", "month_name",
           "overlap", "safe_sentences", "sentence_split", "terms"]
