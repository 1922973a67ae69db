"""The embedded default generator: a grounded answer composed from retrieved passages.

No LLM runs here that gives usable advice, so the default answer is assembled from the corpus
itself: the stage the user is at, the most relevant guide sentences (cited), the target role's
skills in learning order, the resources to use (each a real corpus entry, cited), and what comes
after. Every sentence that names something comes from a retrieved passage, so nothing is
invented. Retrieved text is data: sentences that read like instructions to an assistant are
never copied into an answer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot import prompts
from bot.retrieval import Hit
from bot.scope import looks_like_injection

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_WORD = re.compile(r"[a-z0-9+#]+")
_STOP = frozenset(
    "a an the and or of to in on for with is are be i me my we you your it this that what which "
    "how do does should can could would will as at by from into about than then so if but not "
    "have has had am was were get want need next now there their them they any some more most "
    "best good way ways start starting".split())
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
_ACTION = re.compile(
    r"^(start|pick|choose|build|write|read|learn|practise|practice|use|try|focus|spend|keep|"
    r"make|ask|join|apply|contribute|publish|share|prepare|review|set|plan|add|aim|begin|"
    r"follow|treat|reach|talk|schedule|track|list|study|revisit|put|work|look|prefer|avoid)\b",
    re.I)


# a second section of a guide earns a step only when it scores this close to the best passage
SECOND_SECTION = 0.8
_ROLE_ORDER = re.compile(r"\blearn in this order\b|\bskills are missing\b", re.I)


def terms(text: str) -> set[str]:
    """Content words, crudely stemmed, for overlap scoring."""
    out = set()
    for w in _WORD.findall(text.lower()):
        if w in _STOP or len(w) < 2:
            continue
        out.add(w[:-1] if len(w) > 4 and w.endswith("s") else w)
    return out


def sentence_split(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def is_action(sentence: str) -> bool:
    """Whether a sentence tells the learner to do something (the roadmap's next action)."""
    return bool(_ACTION.search(sentence) or _ROLE_ORDER.search(sentence))


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


def best_sentences(text: str, query_terms: set[str], n: int) -> list[str]:
    """The run of ``n`` consecutive sentences that shares most with the question.

    Consecutive sentences keep the passage's own line of thought, so the quote reads as
    advice rather than as scattered fragments.
    """
    sents = safe_sentences(text)
    if not sents:
        return []
    n = min(n, len(sents))
    scores = [len(query_terms & terms(s)) + (0.6 if _ACTION.search(s) else 0.0) for s in sents]
    best = max(range(len(sents) - n + 1),
               key=lambda i: sum(scores[i:i + n]) - i * 0.05)
    return sents[best:best + n]


@dataclass
class Context:
    """Everything a generator needs to answer one turn."""

    question: str
    stage: str | None
    next_stage: str | None
    passages: list[Hit]
    resources: list[Hit]
    role: Any = None  # corpus.schema.Role of the target role, if known
    role_hit: Hit | None = None
    filters_note: str = ""
    profile_note: str = ""
    weak: bool = False
    missing_skills: list[str] = field(default_factory=list)
    history: Sequence[tuple[str, str]] = ()
    max_steps: int = 4


@dataclass
class Composed:
    text: str
    sources: list[Hit]
    declined: bool = False  # the generator refused on the way out (e.g. a prompt leak)


class Citations:
    """Numbers sources in the order they are first cited, one number per corpus entry."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self._num: dict[str, int] = {}

    def cite(self, hit: Hit) -> str:
        sid = hit.source_id
        if sid not in self._num:
            self.hits.append(hit)
            self._num[sid] = len(self.hits)
        return f"[{self._num[sid]}]"


def describe_resource(hit: Hit) -> str:
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


def compose(ctx: Context, max_resources: int = 4) -> Composed:
    """The grounded default answer for one turn."""
    cites = Citations()
    q_terms = terms(ctx.question)
    lines: list[str] = []
    stage = ctx.stage
    if stage:
        intro = prompts.STAGE_INTROS[stage]
        lines.append(f"**Where you are: {prompts.STAGE_NAMES[stage]}.** {intro}")
    if ctx.profile_note:
        lines.append(ctx.profile_note)
    if ctx.weak:
        lines.append(prompts.WEAK_EVIDENCE)

    steps: list[str] = []
    used: set[str] = set()
    if ctx.role is not None and ctx.role_hit is not None:
        if ctx.missing_skills:
            steps.append(f"Against the {ctx.role.name} role, these skills are missing from "
                         f"what you described, in learning order: "
                         f"{', '.join(ctx.missing_skills)} {cites.cite(ctx.role_hit)}.")
            used.add(ctx.role_hit.source_id)
        elif stage in (None, "landscape", "building-blocks"):
            order = ", ".join(s.name for s in ctx.role.skills[:5])
            steps.append(f"For the {ctx.role.name} role, learn in this order: {order} "
                         f"{cites.cite(ctx.role_hit)}.")
            used.add(ctx.role_hit.source_id)
    # one step per guide, unless a second section of it is nearly as strong a match as the
    # best passage: then it beats a weaker guide that merely shares the stage
    best = max((h.score for h in ctx.passages), default=0.0)
    per_source = Counter({sid: 2 for sid in used})  # the role profile is cited once
    for hit in ctx.passages:
        if len(steps) >= ctx.max_steps:
            break
        seen = per_source[hit.source_id]
        if hit.meta.get("kind") == "resource" or seen >= 2 \
                or (seen == 1 and hit.score < SECOND_SECTION * best):
            continue
        sents = best_sentences(hit.text, q_terms, 3 if not steps else 2)
        if not sents:
            continue
        per_source[hit.source_id] += 1
        steps.append(f"{' '.join(sents)} {cites.cite(hit)}")
    if steps:
        lines.append("\n**What to do next**")
        lines.extend(f"- {s}" for s in steps)

    res_lines = []
    for hit in ctx.resources[:max_resources]:
        res_lines.append(f"- {describe_resource(hit)} {cites.cite(hit)}")
    if res_lines:
        header = "\n**Resources to use**"
        if ctx.filters_note:
            header += f" ({ctx.filters_note})"
        lines.append(header)
        lines.extend(res_lines)
    elif ctx.filters_note:
        lines.append(f"\nNo curated resource matches {ctx.filters_note}; "
                     "try loosening the filter.")

    if stage:
        after = prompts.NEXT_STAGE_HINTS[stage]
        nxt = f" (next stage: {prompts.STAGE_NAMES[ctx.next_stage]})" if ctx.next_stage else ""
        lines.append(f"\n**After that{nxt}:** {after}")
    return Composed(text="\n".join(lines).strip(), sources=cites.hits)
