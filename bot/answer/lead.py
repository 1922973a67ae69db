"""How an answer opens: the direct answer first.

A card's answer when the question matches one; else what was found, shaped by the question:
the places for a "where", the pick for a "which", the skills gap for a pasted CV, the roles
for "which roles are there?", or the passage sentence that answers best (a number for "how
many", a verdict for a yes/no, a sentence weighing both options for "this or that?"). The line
that says why this is the learner's next step ("You have finished X, so ...") is here too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answer import prompts
from bot.answer.reply import Citations
from bot.answer.retrieval import Hit
from bot.answer.text import describe_resource, safe_sentences, sentence_split, terms
from bot.answer.turn import Context
from corpus.units import dangles

GENERIC = frozenset(
    "ai data role job career work field learn learning become becoming machine people get "
    "help thing year week time make use know like want way also go going tell someone "
    "something anything right better new first lot person field".split())


def card_lead(ctx: Context, cites: Citations) -> str:
    if ctx.card is None or ctx.card_hit is None:
        return ""
    lead = f"{ctx.card.answer.strip()} {cites.cite(ctx.card_hit)}"
    if ctx.card.conditions and ctx.shape in ("yes_no", "choose", "best", "how_many", "define"):
        lead += f" {ctx.card.conditions.strip()}"
    return lead


def why_line(ctx: Context) -> str:
    """"You have finished X and Y, so the next link on your chain is a portfolio: ..." """
    st, info = ctx.standing, ctx.stages.get(ctx.stage or "")
    if st is None or info is None or not (st.finished or st.have or st.missing):
        return ""
    finished = prompts.WHY_FINISHED.format(titles=joined([f"*{t}*" for t in st.finished])) \
        if st.finished else ""
    done = prompts.WHY_AND_HAVE.join(p for p in (finished, joined(st.have)) if p)
    if done and st.missing:
        return prompts.WHY_DONE_BUT.format(done=done, missing=st.missing, gap=info.gap)
    if st.missing:
        return prompts.WHY_MISSING.format(missing=st.missing, gap=info.gap)
    if ctx.next_stage is None:
        return prompts.WHY_LAST.format(done=done, gap=info.gap)
    return prompts.WHY_DONE.format(done=done, gap=info.gap)


def joined(items: Sequence[str]) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def found_lead(ctx: Context, cites: Citations) -> str:
    """Without a card, a direct answer from what was found: the skills gap for a CV, the
    pick between two named resources, the places for a "where", the pick for a "which", the
    roles for "which roles are there?"."""
    if ctx.missing_skills or ctx.have_skills:
        return gap_lead(ctx, cites)
    if len(ctx.compared) == 2:
        return compare_lead(ctx, cites)
    if ctx.shape == "where" and ctx.resources and ctx.show_resources:
        named = [f"**{h.meta.get('title', h.source_id)}** {cites.cite(h)}"
                 for h in ctx.resources[:3]]
        return prompts.LEAD_WHERE.format(places=joined(named))
    first = pick(ctx)
    if first is not None:
        return prompts.LEAD_PICK.format(first=f"{describe_resource(first)} {cites.cite(first)}")
    if ctx.roles and asks_for_roles(ctx):
        names = joined([str(h.meta.get("title", h.source_id)).lower() for h in ctx.roles[:5]])
        return prompts.LEAD_ROLES.format(roles=names)
    if ctx.shape == "define" and ctx.asked_role_hit is not None:  # "what does an X do?"
        summary = safe_sentences(ctx.asked_role_hit.text)[:2]
        if summary:
            return f"{' '.join(summary)} {cites.cite(ctx.asked_role_hit)}"
    return ""


# shapes of question in which a request for material wants one pick ("a good SQL course?")
PICK_SHAPES = ("best", "open", "what_next")
PICK_FROM = 3  # a pick comes from the closest few resources, not from far down the list

_NUMBER = re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|"
                     r"a couple|dozen|hundreds?)\b", re.I)
_VERDICT = re.compile(r"\b(not|no|never|rarely|usually|mostly|often|only|worth|helps?|"
                      r"enough|required|requires?|expects?|needs?|can|cannot|matters?)\b", re.I)
_OR = re.compile(r"([^,;:?]+?)\s+(?:or|vs\.?|versus)\s+([^,;:?]+)", re.I)
_CITED = re.compile(r"^(.*?)\s*(\[\d+\])(.*)$", re.S)


def options(question: str) -> list[set[str]]:
    """The two things a "this or that?" question weighs, as telling words of each side."""
    m = _OR.search(question)
    if not m:
        return []
    return [terms(" ".join(side.split()[-3:] if n == 0 else side.split()[:4])) - GENERIC
            for n, side in enumerate((m.group(1), m.group(2)))]


def lead_step(steps: list[str], q_terms: set[str], shape: str,
               sides: list[set[str]] | None = None) -> tuple[str, list[str]]:
    """The sentence that answers the question best becomes the direct answer, with its
    citation; the step it came from makes way for it. For "this or that?" a sentence that
    weighs the options beats one that shares more words with the question."""
    def score(sentence: str) -> float:
        bonus = 0.0
        if sides:
            said = terms(sentence)
            bonus += 1.5 * sum(bool(side & said) for side in sides)
        if shape == "how_many" and _NUMBER.search(sentence):
            bonus = 2.0
        elif shape == "yes_no" and _VERDICT.search(sentence):
            bonus = 1.0
        elif shape in ("best", "choose") and "**" in sentence:
            bonus = 2.0  # the guides put a pick in bold ("aim for **data analyst**")
        return len(terms(sentence) & q_terms) + bonus

    options = []
    for i, step in enumerate(steps):
        m = _CITED.match(step)
        body, cite = (m.group(1), m.group(2)) if m else (step, "")
        for n, sentence in enumerate(sentence_split(body)):
            if not dangles(sentence):  # a lead must stand alone ("Their weakness is...")
                # retrieval's order counts: a later step must answer clearly better to lead
                options.append((score(sentence) - 1.5 * i - 0.05 * n, i, sentence, cite))
    if not options:
        return steps[0], steps[1:]
    _, i, sentence, cite = max(options)
    return f"{sentence} {cite}".strip(), steps[:i] + steps[i + 1:]


_LEVELS = {"beginner": 0, "intermediate": 1, "advanced": 2}


def pick(ctx: Context) -> Hit | None:
    """The one resource to start with, for a "which is best?" or a request for something to
    learn from ("a good free SQL course?"): among the closest few, the one at the learner's
    level, then a free one for a learner without a budget; else the closest."""
    if not (ctx.resources and ctx.show_resources) or not (
            ctx.shape == "best" or ctx.asks_material and ctx.shape in PICK_SHAPES):
        return None
    level = _LEVELS.get(ctx.person.level or "")
    def rank(h: Hit) -> tuple[int, int]:
        return (abs(_LEVELS.get(str(h.meta.get("level")), 1) - level) if level is not None
                else 0, 1 if ctx.free_only and h.meta.get("cost") != "free" else 0)
    return min(ctx.resources[:PICK_FROM], key=rank)


def compare_order(ctx: Context) -> tuple[Hit, Hit, str]:
    """Which of two named resources to start with, and why: the one for the learner's level
    (else the gentler one), then a free one for a learner without a budget, then the
    shorter one. ``why`` is "" when nothing tells them apart."""
    a, b = ctx.compared
    level = _LEVELS.get(ctx.person.level or "")
    for key, rank in (
            ("your_level" if level is not None else "level",
             lambda h: abs(_LEVELS.get(str(h.meta.get("level")), 1) - (level or 0))),
            ("cost", lambda h: 0 if h.meta.get("cost") == "free" or not ctx.free_only else 1),
            ("hours", lambda h: float(h.meta.get("hours") or 0) or 1e9)):
        if rank(a) != rank(b) and not (key == "hours" and 1e9 in (rank(a), rank(b))):
            first, second = (a, b) if rank(a) < rank(b) else (b, a)
            return first, second, key
    return a, b, ""


def compare_lead(ctx: Context, cites: Citations) -> str:
    first, second, key = compare_order(ctx)
    def gist(h: Hit) -> str:
        said = safe_sentences(h.text)
        return said[0] if said else ""
    facts = {f"{n}_{k}": (int(h.meta.get(k) or 0) if k == "hours" else h.meta.get(k))
             for n, h in (("first", first), ("second", second))
             for k in ("level", "cost", "hours")}
    names = {"first": f"**{first.meta.get('title')}**",
             "second": f"**{second.meta.get('title')}**",
             "cite_first": cites.cite(first), "cite_second": cites.cite(second),
             "gist_first": gist(first), "gist_second": gist(second)}
    if not key:
        return prompts.COMPARE_EITHER.format(level=facts["first_level"],
                                             cost=facts["first_cost"], **names)
    why = prompts.COMPARE_WHY[key].format(**facts)
    return " ".join((prompts.COMPARE_LEAD.format(why=why, **names),
                     prompts.COMPARE_SECOND.format(**names)))


def gap_lead(ctx: Context, cites: Citations) -> str:
    cite = cites.cite(ctx.role_hit) if ctx.role_hit is not None else ""
    have = joined(ctx.have_skills[:4]) or prompts.GAP_NOTHING_YET
    earlier = ctx.firm_up_skills
    template = prompts.GAP_REVIEW_FRONTIER if earlier else prompts.GAP_REVIEW
    return template.format(role=ctx.role.name if ctx.role else "your target role",
                           have=have, lack=joined(ctx.missing_skills[:4]),
                           first=ctx.missing_skills[0] if ctx.missing_skills else "",
                           earlier=joined(earlier[:2]), cite=cite)


def asks_for_roles(ctx: Context) -> bool:
    return bool(ctx.roles) and ctx.stage == "landscape"


def focus(question: str) -> set[str]:
    """The telling words of what is asked: the question sentence of a longer message."""
    parts = [p for p in sentence_split(question) if p.strip()]
    asked = [p for p in parts if p.rstrip().endswith("?")]
    words = terms(asked[-1]) - GENERIC if asked else set()
    return words or terms(question) - GENERIC


__all__ = ["asks_for_roles", "card_lead", "compare_lead", "compare_order", "focus",
           "found_lead", "gap_lead", "joined", "lead_step", "options", "why_line"]
