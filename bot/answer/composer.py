"""The embedded default generator: one coherent, cited reply composed from the corpus.

No LLM runs here, so the answer is assembled from curated text, and every sentence that names
something comes from a retrieved passage, an answer card or a corpus entry. It reads like one
reply: the direct answer first (a card's answer when the question matches one closely, else
the passage sentence that answers it), then where the learner stands, at most a few steps that
answer the question (for this learner's audience, never what they already know), resources
only when the question is about them, and what comes next.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.answer import prompts
from bot.answer.reply import Citations, Composed, Reply
from bot.answer.retrieval import Hit
from bot.answer.text import (
    best_sentences,
    overlap,
    safe_sentences,
    sentence_split,
    terms,
)
from bot.learner.person import Person
from corpus.units import dangles

# a second section of a guide earns a step only when it scores this close to the best passage
SECOND_SECTION = 0.8
# a passage far below the best one no longer answers the question
RELEVANT = 0.55
# a sentence that tells someone to learn something
_LEARN = re.compile(r"\b(learn|learning|study|studying|practi[cs]e|master|pick up|brush up|"
                    r"get comfortable|start with|take a course|read up|revise|review)\b", re.I)
# words too common in this domain to show that a sentence is about the question
GENERIC = frozenset(
    "ai data role job career work field learn learning become becoming machine people get "
    "help thing year week time make use know like want way also go going tell someone "
    "something anything right better new first lot person field".split())
# how many steps each shape of question gets: short questions get short answers
MAX_STEPS = {"yes_no": 2, "define": 2, "how_many": 2, "choose": 2, "best": 2, "where": 2,
             "how_to": 4, "what_next": 3, "gap_review": 3, "open": 3}


@dataclass
class Standing:
    """Where the learner stands, for the line that says why this is their next step."""

    finished: list[str] = field(default_factory=list)  # titles of resources they finished
    have: list[str] = field(default_factory=list)  # milestones they have, as they read
    missing: str = ""  # a link they said they lack ("finished projects")
    asked_next: bool = False


@dataclass
class Context:
    """Everything a generator needs to answer one turn."""

    question: str
    stage: str | None
    next_stage: str | None
    passages: list[Hit]
    resources: list[Hit]
    shape: str = "open"
    stages: Mapping[str, Any] = field(default_factory=dict)  # slug -> corpus StageInfo
    role: Any = None  # corpus.schema.Role of the target role, if known
    role_hit: Hit | None = None
    asked_role_hit: Hit | None = None  # the profile of a role the question itself names
    roles: list[Hit] = field(default_factory=list)  # role profiles, for "which roles?"
    card: Any = None  # corpus.schema.Card that matches the question closely
    card_hit: Hit | None = None
    person: Person = field(default_factory=Person)
    standing: Standing | None = None
    show_learning_order: bool = False
    show_resources: bool = False
    filters_note: str = ""
    profile_note: str = ""
    weak: bool = False
    have_skills: list[str] = field(default_factory=list)
    missing_skills: list[str] = field(default_factory=list)
    stale_before: str = ""  # YYYY-MM: sources checked before this month get a warning
    other_roles: re.Pattern[str] | None = None  # names of roles other than the target role
    history: Sequence[tuple[str, str]] = ()
    max_steps: int = 4


def stage_name(ctx: Context, slug: str | None) -> str:
    info = ctx.stages.get(slug or "")
    return info.name if info is not None else (slug or "")


def compose(ctx: Context, max_resources: int = 4) -> Composed:
    """The grounded default answer for one turn."""
    cites = Citations()
    q_terms = terms(ctx.question)
    ctx.resources = [h for h in ctx.resources if not _known_resource(ctx, h)]
    reply = Reply(why=_why(ctx))
    reply.lead = _card_lead(ctx, cites) or _found_lead(ctx, cites)
    steps = _steps(ctx, cites, q_terms)
    if not reply.lead and reply.why:  # "what next?": the why-line answers, steps follow
        reply.lead, reply.why = reply.why, ""
    elif not reply.lead and steps:
        reply.lead, steps = _lead_step(steps, q_terms | _focus(ctx.question), ctx.shape,
                                       _options(ctx.question))
    reply.steps = steps
    reply.steps_title = prompts.STEPS_TITLES.get(ctx.shape, prompts.STEPS_TITLES["open"]) \
        if steps else ""
    _resources(ctx, reply, cites, max_resources)
    _notes(ctx, reply)
    if ctx.stage and ctx.shape in ("what_next", "open", "how_to", "gap_review") \
            and not ctx.weak:
        info = ctx.stages.get(ctx.stage)
        after = info.after if info is not None else ""
        nxt = prompts.AFTER_NEXT.format(name=stage_name(ctx, ctx.next_stage)) \
            if ctx.next_stage else ""
        reply.after = f"{prompts.AFTER_LABEL}{nxt}: {after}" if after else ""
    sources = reply.in_reading_order(cites.hits)
    return Composed(text=reply.markdown(), sources=sources, reply=reply)


def _card_lead(ctx: Context, cites: Citations) -> str:
    if ctx.card is None or ctx.card_hit is None:
        return ""
    lead = f"{ctx.card.answer.strip()} {cites.cite(ctx.card_hit)}"
    if ctx.card.conditions and ctx.shape in ("yes_no", "choose", "best", "how_many", "define"):
        lead += f" {ctx.card.conditions.strip()}"
    return lead


def _why(ctx: Context) -> str:
    """"You have finished X and Y, so the next link on your chain is a portfolio: ..." """
    st, info = ctx.standing, ctx.stages.get(ctx.stage or "")
    if st is None or info is None or not (st.finished or st.have or st.missing):
        return ""
    finished = prompts.WHY_FINISHED.format(titles=_joined([f"*{t}*" for t in st.finished])) \
        if st.finished else ""
    done = prompts.WHY_AND_HAVE.join(p for p in (finished, _joined(st.have)) if p)
    if done and st.missing:
        return prompts.WHY_DONE_BUT.format(done=done, missing=st.missing, gap=info.gap)
    if st.missing:
        return prompts.WHY_MISSING.format(missing=st.missing, gap=info.gap)
    if ctx.next_stage is None:
        return prompts.WHY_LAST.format(done=done, gap=info.gap)
    return prompts.WHY_DONE.format(done=done, gap=info.gap)


def _joined(items: Sequence[str]) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _keep(ctx: Context) -> Callable[[str], bool]:
    """Sentences worth telling this learner: nothing about what they already know, nothing
    addressed to another role than theirs."""
    def keep(sentence: str) -> bool:
        if ctx.other_roles is not None and ctx.other_roles.search(sentence):
            return False  # advice for another role than the one they aim at
        return not (_LEARN.search(sentence) and ctx.person.knows_about(sentence))
    return keep


def _steps(ctx: Context, cites: Citations, q_terms: set[str]) -> list[str]:
    """At most a few steps that answer the question, one idea each, along the chain."""
    limit = min(ctx.max_steps, MAX_STEPS.get(ctx.shape, 3))
    if ctx.roles and _asks_for_roles(ctx):
        limit = 0  # the roles are the answer
    steps: list[tuple[int, str]] = []
    said: list[set[str]] = [terms(ctx.card.answer)] if ctx.card is not None else []
    role_step = _role_step(ctx, cites)
    if role_step:
        steps.append((0, role_step))
        said.append(terms(role_step))
    best = max((h.score for h in ctx.passages), default=0.0)
    focus = set() if ctx.standing is not None else _focus(ctx.question)
    leaders = {h.chunk_id for h in sorted(ctx.passages, key=lambda h: -h.score)[:2]}
    per_source = Counter({ctx.role_hit.source_id: 2} if role_step and ctx.role_hit else {})
    order = list(ctx.stages) or []
    # units written for this learner's audience come first: they fit the person best
    for hit in sorted(ctx.passages, key=lambda h: not _for_them(ctx, h)):
        if len(steps) >= limit:
            break
        if not _usable(ctx, hit, per_source[hit.source_id], best):
            continue
        sents = best_sentences(hit.text, q_terms, 3 if not steps else 2, keep=_keep(ctx))
        text = " ".join(sents)
        if not sents or any(overlap(terms(text), s) > 0.5 for s in said):
            continue
        if focus and hit.chunk_id not in leaders and not terms(text) & focus \
                and not _for_them(ctx, hit):
            continue  # shares no telling word with the question: it answers something else
        per_source[hit.source_id] += 1
        said.append(terms(text))
        rank = order.index(hit.stage) if hit.stage in order else len(order)
        steps.append((rank, f"{text} {cites.cite(hit)}{_stale(ctx, hit)}"))
    # along the chain: earlier links first, the question's own stage in its place
    return [s for _, s in sorted(steps, key=lambda p: p[0])] if ctx.shape == "what_next" \
        else [s for _, s in steps]


def _focus(question: str) -> set[str]:
    """The telling words of what is asked: the question sentence of a longer message."""
    parts = [p for p in sentence_split(question) if p.strip()]
    asked = [p for p in parts if p.rstrip().endswith("?")]
    words = terms(asked[-1]) - GENERIC if asked else set()
    return words or terms(question) - GENERIC


def _for_them(ctx: Context, hit: Hit) -> bool:
    """A unit written for the learner's own audience."""
    audience = {a for a in str(hit.meta.get("audience") or "").split(",") if a}
    return bool(audience & ctx.person.audience)


def _usable(ctx: Context, hit: Hit, seen: int, best: float) -> bool:
    if hit.meta.get("kind") not in ("guide", "role") or seen >= 2:
        return False
    if seen == 1 and hit.score < SECOND_SECTION * best:
        return False
    if hit.score < RELEVANT * best:
        return False
    if hit.meta.get("kind") == "role" and not ctx.show_learning_order:
        return False  # a role's profile is a step only where its learning order is asked for
    audience = [a for a in str(hit.meta.get("audience") or "").split(",") if a]
    levels = [v for v in str(hit.meta.get("levels") or "").split(",") if v]
    if audience and not ctx.person.audience:
        return False  # advice for a particular audience, for someone we know nothing about
    return ctx.person.fits(audience, levels)


def _role_step(ctx: Context, cites: Citations) -> str:
    if ctx.role is None or ctx.role_hit is None:
        return ""
    if ctx.missing_skills or ctx.have_skills:
        return ""  # the gap review says it in the lead
    if not ctx.show_learning_order:
        return ""
    skills = [s for s in ctx.role.skills if not any(
        k.lower() in ctx.person.knows for k in s.keywords)]
    have = [s.name for s in ctx.role.skills if s not in skills]
    order = ", ".join(s.name for s in skills[:5])
    text = prompts.LEARNING_ORDER.format(role=ctx.role.name, order=order,
                                         cite=cites.cite(ctx.role_hit))
    if have:
        text = prompts.YOU_HAVE.format(have=_joined(have[:3])) + " " + text
    return text


def _found_lead(ctx: Context, cites: Citations) -> str:
    """Without a card, a direct answer from what was found: the skills gap for a CV, the
    places for a "where", the pick for a "which", the roles for "which roles are there?"."""
    if ctx.missing_skills or ctx.have_skills:
        return _gap_lead(ctx, cites)
    if ctx.shape == "where" and ctx.resources and ctx.show_resources:
        named = [f"**{h.meta.get('title', h.source_id)}** {cites.cite(h)}"
                 for h in ctx.resources[:3]]
        return prompts.LEAD_WHERE.format(places=_joined(named))
    if ctx.shape == "best" and ctx.resources and ctx.show_resources:
        first = ctx.resources[0]
        return prompts.LEAD_PICK.format(first=f"{describe_resource(first)} {cites.cite(first)}")
    if ctx.roles and _asks_for_roles(ctx):
        names = _joined([str(h.meta.get("title", h.source_id)).lower() for h in ctx.roles[:5]])
        return prompts.LEAD_ROLES.format(roles=names)
    if ctx.shape == "define" and ctx.asked_role_hit is not None:  # "what does an X do?"
        summary = safe_sentences(ctx.asked_role_hit.text)[:2]
        if summary:
            return f"{' '.join(summary)} {cites.cite(ctx.asked_role_hit)}"
    return ""


_NUMBER = re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|"
                     r"a couple|dozen|hundreds?)\b", re.I)
_VERDICT = re.compile(r"\b(not|no|never|rarely|usually|mostly|often|only|worth|helps?|"
                      r"enough|required|requires?|expects?|needs?|can|cannot|matters?)\b", re.I)
_OR = re.compile(r"([^,;:?]+?)\s+(?:or|vs\.?|versus)\s+([^,;:?]+)", re.I)
_CITED = re.compile(r"^(.*?)\s*(\[\d+\])(.*)$", re.S)


def _options(question: str) -> list[set[str]]:
    """The two things a "this or that?" question weighs, as telling words of each side."""
    m = _OR.search(question)
    if not m:
        return []
    return [terms(" ".join(side.split()[-3:] if n == 0 else side.split()[:4])) - GENERIC
            for n, side in enumerate((m.group(1), m.group(2)))]


def _lead_step(steps: list[str], q_terms: set[str], shape: str,
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


def _gap_lead(ctx: Context, cites: Citations) -> str:
    cite = cites.cite(ctx.role_hit) if ctx.role_hit is not None else ""
    have = _joined(ctx.have_skills[:4]) or prompts.GAP_NOTHING_YET
    lead = prompts.GAP_REVIEW.format(role=ctx.role.name if ctx.role else "your target role",
                                     have=have, lack=_joined(ctx.missing_skills[:4]),
                                     first=ctx.missing_skills[0] if ctx.missing_skills else "",
                                     cite=cite)
    return lead


def _asks_for_roles(ctx: Context) -> bool:
    return bool(ctx.roles) and ctx.stage == "landscape"


def _resources(ctx: Context, reply: Reply, cites: Citations, max_resources: int) -> None:
    if ctx.roles and _asks_for_roles(ctx):
        reply.resources_title = prompts.ROLES_TITLE
        reply.resources = [_describe_role(h, cites) for h in ctx.roles[:5]]
        return
    if not ctx.show_resources:
        return
    named = reply.lead.lower()  # a resource the direct answer already names is not listed again
    picked = [h for h in ctx.resources if not _known_resource(ctx, h)
              and str(h.meta.get("title", "")).lower() not in named][:max_resources]
    if ctx.shape in ("where", "best") and reply.lead and picked:
        lead_ids = {h.source_id for h in cites.hits}
        picked = [h for h in picked if h.source_id not in lead_ids] or picked[:0]
    if picked:
        title = prompts.RESOURCES_TITLE
        reply.resources_title = f"{title} ({ctx.filters_note})" if ctx.filters_note else title
        reply.resources = [f"{describe_resource(h)} {cites.cite(h)}{_stale(ctx, h)}"
                           for h in picked]
    elif ctx.filters_note and not reply.resources and not ctx.resources:
        reply.notes.append(prompts.NOTHING_MATCHES.format(filters=ctx.filters_note))


def _known_resource(ctx: Context, hit: Hit) -> bool:
    """A resource about something the learner already knows (below advanced level)."""
    if not ctx.person.knows or hit.meta.get("level") == "advanced":
        return False
    topics = [t for t in str(hit.meta.get("topics") or "").split(",") if t]
    known = [t for t in topics if t in ctx.person.knows]
    title_known = ctx.person.knows_about(str(hit.meta.get("title", "")))
    return bool(title_known) or (bool(topics) and (topics[0] in known
                                                   or len(known) * 2 >= len(topics)))


def _describe_role(hit: Hit, cites: Citations) -> str:
    body = hit.text.split("\n")[1] if "\n" in hit.text else hit.text
    gist = next(iter(safe_sentences(f"x\n{body}")), "")
    return f"**{hit.meta.get('title', hit.source_id)}**: {gist} {cites.cite(hit)}"


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


def _stale(ctx: Context, hit: Hit) -> str:
    checked = str(hit.meta.get("checked") or "")
    if not ctx.stale_before or not checked or checked >= ctx.stale_before:
        return ""
    return " " + prompts.STALE_NOTE.format(when=month_name(checked))


def month_name(month: str) -> str:
    """``2025-01`` as people write it: ``Jan 2025``."""
    year, mon = month.split("-")
    return f"{calendar.month_abbr[int(mon)]} {year}"


def _notes(ctx: Context, reply: Reply) -> None:
    if ctx.profile_note:
        reply.notes.insert(0, ctx.profile_note)
    if ctx.weak and not reply.lead.startswith(("Yes", "No")):
        reply.notes.insert(0, prompts.WEAK_EVIDENCE)


__all__ = ["Composed", "Context", "Standing", "compose", "describe_resource", "month_name"]
