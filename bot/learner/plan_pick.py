"""Choosing what goes into a plan: corpus guides and resources ranked for one learner.

Filters follow the profile (role, level within one step, budget, formats); ranking prefers
material made for the role, at the learner's level, of the kinds that carry the stage, and
whose words overlap the role's skills and the learner's background.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.answer.text import terms
from bot.learner.profile import LearnerProfile
from corpus.schema import LEVELS, Corpus, Guide, Resource, Role

GUIDE_HOURS = 1.0  # read a guide and do its first step
REVIEW_GUIDE = "guide-future-proof-quarterly-roadmap-review"
# typical effort when the corpus gives no ``hours`` (shown as estimated)
KIND_HOURS: dict[str, float] = {
    "book": 20, "course": 15, "blog": 2, "newsletter": 1, "portal": 2, "community": 2,
    "dataset": 4, "podcast": 2, "tool": 3, "interview-bank": 4,
}
KIND_LABELS = {"interview-bank": "interview question bank"}
# per stage, the kinds of resource that carry it, most useful first (others come after)
STAGE_KINDS: dict[str, tuple[str, ...]] = {
    "landscape": ("book", "course", "podcast", "portal"),
    "building-blocks": ("course", "book", "tool", "blog"),
    "resources": ("course", "book", "community", "newsletter", "dataset"),
    "portfolio": ("dataset", "tool", "portal", "community"),
    "network-and-job": ("interview-bank", "community", "book", "course"),
    "future-proof": ("newsletter", "podcast", "book", "blog", "community"),
}


@dataclass
class Pick:
    """A candidate before scheduling."""

    doc_id: str
    kind: Literal["guide", "resource"]
    title: str
    url: str | None
    stage: str
    hours: float
    estimated: bool
    why: str


def level_gap(level: str | None, wanted: str | None) -> int:
    """Distance between levels; with no stated level, beginner material ranks first."""
    if level is None:
        return 0
    return abs(LEVELS.index(level) - LEVELS.index(wanted or "beginner"))


def role_rank(roles: list[str], role: Role | None) -> int | None:
    """0 made for the role, 1 for every role, None for other roles only (left out)."""
    if role is None or not roles:
        return 1 if role is not None else 0
    return 0 if role.id in roles else None


def interest(profile: LearnerProfile, role: Role | None) -> set[str]:
    text = " ".join(filter(None, [profile.target_role, profile.background]))
    if role is not None:
        text += " " + role.name + " " + " ".join(
            f"{s.name} {' '.join(s.keywords)}" for s in role.skills)
    return terms(text)


def resource_picks(corpus: Corpus, stage: str, profile: LearnerProfile, role: Role | None,
                    interest: set[str], big: float) -> list[Pick]:
    ranked = []
    finished = set(profile.done or ())  # never plan again what the learner has finished
    for r in corpus.resources:
        if r.id in finished:
            continue
        rank = role_rank(r.roles, role)
        gap = level_gap(r.level, profile.level)
        if stage not in r.stages or rank is None or (gap > 1 and profile.level):
            continue
        if profile.budget == "free" and r.cost == "paid":
            continue
        if profile.formats and r.kind not in profile.formats:
            continue
        hours = r.hours or KIND_HOURS.get(r.kind, 5)
        overlap = len(interest & terms(f"{r.title} {r.summary} {' '.join(r.topics)}"))
        kinds = STAGE_KINDS.get(stage, ())
        kind = kinds.index(r.kind) if r.kind in kinds else len(kinds)
        ranked.append(((rank, gap, kind, hours > big, -overlap, r.id), r))
    ranked.sort(key=lambda x: x[0])
    return [pick_resource(r, stage, profile, role) for _, r in ranked]


def pick_resource(r: Resource, stage: str, profile: LearnerProfile,
                   role: Role | None) -> Pick:
    hours = r.hours or float(KIND_HOURS.get(r.kind, 5))
    label = KIND_LABELS.get(r.kind, r.kind)
    why = [f"{'an' if label[0] in 'aeiou' else 'a'} {label} for the {stage} stage"]
    if role is not None and role.id in r.roles:
        why.append(f"made for the {role.name} role")
    elif not r.roles:
        why.append("useful for every role")
    why.append(f"{r.level} level" + (" like you" if r.level == profile.level else ""))
    why.append(r.cost)
    if profile.formats and r.kind in profile.formats:
        why.append("a format you prefer")
    why.append(f"about {hours:g} h" + ("" if r.hours else f" (typical for this kind of {label})"))
    return Pick(r.id, "resource", r.title, str(r.url) if r.url else None, stage, hours,
                 r.hours is None, ", ".join(why))


def guide_picks(corpus: Corpus, stage: str, profile: LearnerProfile, role: Role | None,
                 interest: set[str]) -> list[Pick]:
    ranked = []
    for g in corpus.guides:
        rank = role_rank(g.roles, role)
        gap = level_gap(g.level, profile.level)
        if g.stage != stage or g.id == REVIEW_GUIDE or rank is None or (gap > 1 and
                                                                          profile.level):
            continue
        overlap = len(interest & terms(f"{g.title} {g.summary}"))
        ranked.append(((rank, gap, -overlap, g.id), g))
    ranked.sort(key=lambda x: x[0])
    return [pick_guide(g, role) for _, g in ranked]


def pick_guide(g: Guide, role: Role | None) -> Pick:
    why = f"careerbot's guide for the {g.stage} stage"
    if role is not None and role.id in g.roles:
        why += f", written with the {role.name} role in mind"
    return Pick(g.id, "guide", g.title, None, g.stage, GUIDE_HOURS, False,
                 why + f": read it and do its first step (about {GUIDE_HOURS:g} h)")


def queue(per_stage: dict[str, list[Pick]], stages: list[str]) -> list[Pick]:
    """Mostly the current stage; each later stage joins one round after the one before."""
    lists = {s: list(per_stage[s]) for s in stages}
    out: list[Pick] = []
    for rnd in range(max((len(v) for v in lists.values()), default=0) + len(stages)):
        for i, stage in enumerate(stages):
            if rnd >= i:
                for _ in range(2 if i == 0 else 1):
                    if lists[stage]:
                        out.append(lists[stage].pop(0))
    return out


def interleave(a: list[Pick], b: list[Pick]) -> list[Pick]:
    out = []
    for i in range(max(len(a), len(b))):
        out.extend(x[i] for x in (a, b) if i < len(x))
    return out


def focus_picks(corpus: Corpus, focus: dict[str, str], profile: LearnerProfile,
                 role: Role | None) -> list[Pick]:
    guides = {g.id: g for g in corpus.guides}
    resources = {r.id: r for r in corpus.resources}
    out = []
    for doc_id, gap in focus.items():
        if doc_id in guides and role_rank(guides[doc_id].roles, role) is not None:
            pick = pick_guide(guides[doc_id], role)
        elif doc_id in resources and role_rank(resources[doc_id].roles, role) is not None \
                and doc_id not in (profile.done or ()):
            r = resources[doc_id]
            pick = pick_resource(r, r.stages[0], profile, role)
        else:
            continue
        pick.why = f"closes a gap you reported ({gap}); {pick.why}"
        out.append(pick)
    return out


