"""The embedded default generator: one coherent, cited reply composed from the corpus.

No LLM runs here, so the answer is assembled from curated text, and every sentence that names
something comes from a retrieved passage, an answer card or a corpus entry. It reads like one
reply: the direct answer first (a card's answer when the question matches one closely, else
the passage sentence that answers it), then where the learner stands, at most a few steps that
answer the question (for this learner's audience, never what they already know), resources
only when the question is about them, and what comes next.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from bot.answer import lead, prompts
from bot.answer.reply import Citations, Composed, Reply
from bot.answer.retrieval import Hit
from bot.answer.text import (
    best_sentences,
    describe_resource,
    in_sentence,
    month_name,
    overlap,
    safe_sentences,
    terms,
)
from bot.answer.turn import Context

# a second section of a guide earns a step only when it scores this close to the best passage
SECOND_SECTION = 0.8
# a passage far below the best one no longer answers the question
RELEVANT = 0.55
# questions that want a verdict, a pick or a number
VERDICT_SHAPES = ("yes_no", "choose", "best", "how_many")
# passage steps beside a card that has its own next step
CARD_STEPS = {"how_to": 1, "open": 1, "what_next": 1, "gap_review": 1}
# a sentence that tells someone to learn something
_LEARN = re.compile(r"\b(learn|learning|study|studying|practi[cs]e|master|pick up|brush up|"
                    r"get comfortable|start with|take a course|read up|revise|review)\b", re.I)
# questions that get the stage's own first step when nothing more specific says what to do
STAGE_STEP_SHAPES = ("what_next", "open", "gap_review")
# how many steps each shape of question gets: short questions get short answers
MAX_STEPS = {"yes_no": 2, "define": 2, "how_many": 2, "choose": 2, "best": 2, "where": 2,
             "how_to": 3, "what_next": 2, "gap_review": 3, "open": 2}


def stage_name(ctx: Context, slug: str | None) -> str:
    info = ctx.stages.get(slug or "")
    return info.name if info is not None else (slug or "")


def compose(ctx: Context, max_resources: int = 4) -> Composed:
    """The grounded default answer for one turn."""
    cites = Citations()
    q_terms = terms(ctx.question)
    ctx.resources = [h for h in ctx.resources if not _known_resource(ctx, h)]
    reply = Reply(why=lead.why_line(ctx), fit=_fit(ctx))
    reply.lead = lead.card_lead(ctx, cites) or lead.found_lead(ctx, cites)
    steps = _steps(ctx, cites, q_terms)
    if not reply.lead and reply.why:  # "what next?": the why-line answers, steps follow
        reply.lead, reply.why = reply.why, ""
    elif not reply.lead and ctx.chain_placed and ctx.stage in ctx.stages:
        reply.lead = prompts.NEXT_LINK.format(gap=ctx.stages[ctx.stage].gap)
    elif not reply.lead and steps:
        focus = lead.focus(ctx.question)
        reply.lead, steps = lead.lead_step(steps, q_terms | focus, ctx.shape,
                                          lead.options(ctx.question))
        if ctx.shape in VERDICT_SHAPES and focus and not terms(reply.lead) & focus:
            # nothing curated answers this question itself: say so before the nearest advice
            reply.lead = f"{prompts.WEAK_EVIDENCE} {reply.lead}"
    if ctx.missing_skills and not steps:
        steps = _gap_steps(ctx, cites)
    if ctx.missing_skills:
        reply.next_step = prompts.GAP_NEXT_STEP.format(first=ctx.missing_skills[0])
    elif len(ctx.compared) == 2 and ctx.card is None:
        first, second, _ = lead.compare_order(ctx)
        reply.next_step = prompts.COMPARE_NEXT.format(first=first.meta.get("title"),
                                                      second=second.meta.get("title"))
    elif ctx.card is not None and ctx.card.next_step and reply.lead.startswith(
            ctx.card.answer.strip()[:40]):
        reply.next_step = ctx.card.next_step.strip()
    if not reply.next_step and not ctx.weak:
        reply.next_step = _next_step(ctx)
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
    if not (reply.lead or reply.steps or reply.resources):
        reply.lead = prompts.NOTHING_FOUND  # never an empty reply
    sources = reply.in_reading_order(cites.hits)
    return Composed(text=reply.markdown(), sources=sources, reply=reply)


def _next_step(ctx: Context) -> str:
    """Without a card's or a gap's own step: start the resource the answer picks, else the
    first step of the stage the learner is at (never "pick a role" to someone who has one)."""
    picked = lead.pick(ctx)
    if picked is not None:
        kind = str(picked.meta.get("format", ""))
        text = prompts.PICK_NEXT.get(kind, prompts.PICK_NEXT["default"])
        return text.format(title=f"*{picked.meta.get('title', picked.source_id)}*")
    info = ctx.stages.get(ctx.stage or "")
    # a "how do I ...?" is answered by its steps; the stage's step fits "what now?" questions
    if info is None or not (ctx.chain_placed or ctx.shape in STAGE_STEP_SHAPES):
        return ""
    role = ctx.role or ctx.leaning_role
    own = role.first_steps.get(ctx.stage, "") if role is not None else ""
    if own and ctx.role is not None:
        return own
    if own:
        return prompts.LEANING_STEP.format(role=in_sentence(role.name), step=own)
    return "" if ctx.stage == "landscape" and ctx.role is not None else info.first_step.strip()


def _fit(ctx: Context) -> str:
    """What the learner's background brings; the roles one step from it when they are still
    choosing one."""
    bg = ctx.background
    if bg is None or not bg.strengths:
        return ""
    text = prompts.FIT.format(strengths=bg.strengths.strip())
    names = [ctx.role_names.get(r, r.replace("-", " ")) for r in bg.bridge_roles[:3]]
    if names and ctx.role is None and ctx.stage == "landscape":
        text += " " + prompts.BRIDGE_ROLES.format(roles=lead.joined(names))
    return text


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
    if ctx.card is not None and ctx.card_hit is not None and ctx.card.next_step:
        # the card answers and says what to do: passages only add detail to a "how?"
        limit = min(limit, CARD_STEPS.get(ctx.shape, 0))
    if ctx.roles and lead.asks_for_roles(ctx) or ctx.missing_skills or ctx.compared:
        limit = 0  # the roles, a CV's gaps or the pick between two resources answer it
    elif ctx.card is None and lead.pick(ctx) is not None:
        limit = min(limit, 1)  # the pick, how to start it and the list answer a "which course?"
    steps: list[tuple[int, str]] = []
    said: list[set[str]] = [terms(ctx.card.answer)] if ctx.card is not None else []
    role_step = _role_step(ctx, cites)
    if role_step:
        steps.append((0, role_step))
        said.append(terms(role_step))
    best = max((h.score for h in ctx.passages), default=0.0)
    focus = set() if ctx.standing is not None or ctx.chain_placed \
        else lead.focus(ctx.question)
    # beside a card, every step must share the question's telling words: no leader's pass
    card_led = ctx.card is not None and ctx.card_hit is not None
    leaders = set() if card_led else {
        h.chunk_id for h in sorted(ctx.passages, key=lambda h: -h.score)[:2]}
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
        shared = len(terms(text) & focus)
        if focus and hit.chunk_id not in leaders and not shared and not _for_them(ctx, hit):
            continue  # shares no telling word with the question: it answers something else
        if card_led and focus and shared < min(2, len(focus)):
            continue  # beside a card, a step must be about the same thing, not one word of it
        per_source[hit.source_id] += 1
        said.append(terms(text))
        rank = order.index(hit.stage) if hit.stage in order else len(order)
        steps.append((rank, f"{text} {cites.cite(hit)}{_stale(ctx, hit)}"))
    # along the chain: earlier links first, the question's own stage in its place
    return [s for _, s in sorted(steps, key=lambda p: p[0])] if ctx.shape == "what_next" \
        else [s for _, s in steps]


def _gap_steps(ctx: Context, cites: Citations) -> list[str]:
    """For a pasted CV: the first gaps to close, each with why the role needs it."""
    if ctx.role is None or ctx.role_hit is None:
        return []
    why = {s.name: s.why for s in ctx.role.skills}
    cite = cites.cite(ctx.role_hit)
    return [prompts.GAP_SKILL.format(name=name, why=why[name][:1].upper() + why[name][1:],
                                     cite=cite)
            for name in ctx.missing_skills[:3] if why.get(name)]


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
    roles = [r for r in str(hit.meta.get("roles") or "").split(",") if r]
    aim = ctx.role or ctx.leaning_role
    if hit.meta.get("kind") == "guide" and roles and aim is not None and aim.id not in roles:
        return False  # a guide written for other roles than the one they aim (or lean) at
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
        text = prompts.YOU_HAVE.format(have=lead.joined(have[:3])) + " " + text
    return text


def _resources(ctx: Context, reply: Reply, cites: Citations, max_resources: int) -> None:
    if ctx.roles and lead.asks_for_roles(ctx):
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


def _stale(ctx: Context, hit: Hit) -> str:
    checked = str(hit.meta.get("checked") or "")
    if not ctx.stale_before or not checked or checked >= ctx.stale_before:
        return ""
    return " " + prompts.STALE_NOTE.format(when=month_name(checked))


def _notes(ctx: Context, reply: Reply) -> None:
    if ctx.profile_note:
        reply.notes.insert(0, ctx.profile_note)
    if ctx.weak and not reply.lead.startswith(("Yes", "No", prompts.WEAK_EVIDENCE)):
        reply.notes.insert(0, prompts.WEAK_EVIDENCE)


__all__ = ["Composed", "compose"]
