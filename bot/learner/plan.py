"""A plan you keep: N weeks of corpus guides and resources that fit the hours a person has.

Built from the profile (target role, level, hours a week, budget, formats), the stage the user
is at (the roadmap, set by the self-assessment or by answers) and the resources' ``hours``.
Every item is a real corpus id with the reason it was chosen. Ticked items survive everything:
re-importing an edited Markdown file (``bot.learner.plan_export``) and regenerating after a
profile or stage change. The plan carries a "review by" date; :func:`due_review_note` lets the
bot say so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.answer import prompts
from bot.learner.plan_pick import (
    GUIDE_HOURS,
    REVIEW_GUIDE,
    Pick,
    focus_picks,
    guide_picks,
    interest,
    interleave,
    queue,
    resource_picks,
)
from bot.learner.profile import LearnerProfile, match_role
from corpus.schema import STAGES, Corpus

DEFAULT_WEEKS = 8
DEFAULT_HOURS_PER_WEEK = 5.0
REVIEW_EVERY_WEEKS = 12  # a quarterly review, as the roadmap-review guide suggests
MIN_PART = 0.5
_EPS = 1e-6


class PlanItem(BaseModel):
    """One checkbox: a guide or resource (or a part of a long one) in one week."""

    key: str  # unique in the plan; what the Markdown checkbox carries
    doc_id: str  # the corpus id
    kind: Literal["guide", "resource"]
    title: str
    url: str | None = None
    stage: str
    week: int  # 1..weeks; 0 = done before this plan (kept from an earlier one)
    hours: float
    total_hours: float
    estimated: bool = False
    part: int = 0  # 0 = the whole item, n = part n of a long resource
    why: str
    done: bool = False


class Plan(BaseModel):
    """A week-by-week plan; stored as JSON by ``StateStore.set_plan``."""

    version: int = 1
    created: dt.date
    start: dt.date
    weeks: int = Field(ge=1, le=52)
    hours_per_week: float = Field(gt=0)
    hours_assumed: bool = False  # the profile had no hours a week
    review_by: dt.date
    stage: str
    target_role: str | None = None
    profile: dict[str, Any] = Field(default_factory=dict)
    focus: list[str] = Field(default_factory=list)  # ids chosen for the assessed gaps
    items: list[PlanItem] = Field(default_factory=list)

    def week_items(self, week: int) -> list[PlanItem]:
        return [i for i in self.items if i.week == week]

    def week_hours(self, week: int) -> float:
        return round(sum(i.hours for i in self.week_items(week)), 2)

    def week_start(self, week: int) -> dt.date:
        return self.start + dt.timedelta(days=7 * (week - 1))

    def progress(self) -> tuple[int, int]:
        """(done, total) items."""
        return sum(i.done for i in self.items), len(self.items)

    def store_form(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# -- scheduling -------------------------------------------------------------------------
class _Calendar:
    """Hours left per week; long items are split over weeks, short ones go where they fit."""

    def __init__(self, weeks: int, cap: float):
        self.cap = cap
        # a long resource takes about two thirds of a week, leaving room for guides
        self.pace = cap if cap <= 1.5 else max(MIN_PART, round(cap * 2 / 3 * 2) / 2)
        self.used = [0.0] * (weeks + 1)  # index 0 unused

    def room(self, week: int) -> float:
        return self.cap - self.used[week]

    def left(self) -> float:
        return sum(max(0.0, self.room(w)) for w in range(1, len(self.used)))

    def place(self, hours: float) -> list[tuple[int, float]]:
        """Weeks and hours for ``hours`` of work; [] when it does not fit."""
        weeks = range(1, len(self.used))
        if hours <= self.cap + _EPS:
            week = next((w for w in weeks if self.room(w) >= hours - _EPS), None)
            if week is None:
                return []
            self.used[week] += hours
            return [(week, hours)]
        slots, todo = [], hours
        smallest = max(MIN_PART, self.pace / 2)  # no slivers of a long resource
        for w in weeks:
            room = self.room(w)
            if todo <= _EPS:
                break
            if room >= min(smallest, todo) - _EPS and room > _EPS:
                put = round(min(room, todo, self.pace), 2)
                self.used[w] += put
                slots.append((w, put))
                todo -= put
        return slots


def build_plan(corpus: Corpus, profile: LearnerProfile | None = None, *,
               weeks: int = DEFAULT_WEEKS, stage: str | None = None,
               start: dt.date | None = None, previous: Plan | None = None,
               focus: dict[str, str] | None = None) -> Plan:
    """A plan for ``weeks`` weeks from ``start`` (today); ``previous`` plan's ticked items are
    kept (as done, week 0) and not planned again; partly done resources continue.

    ``focus`` maps corpus ids to the gap they close (``bot.learner.assess.gap_reading``): they come
    first, ahead of the ranking, because they answer what the self-assessment found (only
    material for other roles is left out).
    """
    profile = profile or LearnerProfile()
    start = start or dt.date.today()
    stage = stage if stage in STAGES else "landscape"
    cap = float(profile.hours_per_week or DEFAULT_HOURS_PER_WEEK)
    role = match_role(profile.target_role, list(corpus.roles)) if profile.target_role else None
    review_week = min(weeks, REVIEW_EVERY_WEEKS)
    kept = [i.model_copy(update={"week": 0}) for i in (previous.items if previous else [])
            if i.done]
    done_hours: dict[str, float] = {}
    for item in kept:
        done_hours[item.doc_id] = done_hours.get(item.doc_id, 0.0) + item.hours
    used_keys = {i.key for i in kept}

    cal = _Calendar(weeks, cap)
    items: list[PlanItem] = []
    review = _review_item(corpus, start, review_week, cap)
    if review is not None and review.key not in used_keys:
        cal.used[review_week] += review.hours
        items.append(review)

    liked = interest(profile, role)
    stages = list(STAGES[STAGES.index(stage):])
    big = max(cap, cap * weeks / 2)  # no single resource takes more than half the plan
    per_stage = {s: interleave(guide_picks(corpus, s, profile, role, liked),
                               resource_picks(corpus, s, profile, role, liked, big))
                 for s in stages}
    focus = focus or {}
    first = focus_picks(corpus, focus, profile, role)
    per_stage[stage] = first + [p for p in per_stage[stage] if p.doc_id not in focus]
    seen: set[str] = set()
    for pick in queue(per_stage, stages):
        if cal.left() < min(MIN_PART, cap) - _EPS:
            break
        if pick.doc_id in seen:
            continue
        seen.add(pick.doc_id)
        todo = pick.hours - done_hours.get(pick.doc_id, 0.0)
        if todo <= _EPS or (pick.kind == "guide" and pick.doc_id in done_hours):
            continue
        items.extend(_items_for(pick, min(todo, big), cal, used_keys))
    items.sort(key=lambda i: (i.week, i.doc_id == REVIEW_GUIDE))
    return Plan(created=dt.date.today(), start=start, weeks=weeks, hours_per_week=cap,
                hours_assumed=profile.hours_per_week is None,
                review_by=start + dt.timedelta(days=7 * review_week), stage=stage,
                target_role=role.id if role else None,
                profile=profile.model_dump(exclude_none=True), focus=list(focus),
                items=kept + items)


def _items_for(pick: Pick, hours: float, cal: _Calendar, used: set[str]) -> list[PlanItem]:
    slots = cal.place(hours)
    if not slots:
        return []
    whole = len(slots) == 1 and abs(slots[0][1] - pick.hours) < _EPS
    out = []
    n = max((int(k.rsplit("#", 1)[1]) for k in used if k.startswith(pick.doc_id + "#")),
            default=0)
    for week, h in slots:
        if whole and pick.doc_id not in used:
            key, part = pick.doc_id, 0
        else:
            n += 1
            key, part = f"{pick.doc_id}#{n}", n
        used.add(key)
        out.append(PlanItem(key=key, doc_id=pick.doc_id, kind=pick.kind, title=pick.title,
                            url=pick.url, stage=pick.stage, week=week, hours=round(h, 2),
                            total_hours=pick.hours, estimated=pick.estimated, part=part,
                            why=pick.why))
    return out


def _review_item(corpus: Corpus, start: dt.date, week: int, cap: float) -> PlanItem | None:
    guide = next((g for g in corpus.guides if g.id == REVIEW_GUIDE), None)
    if guide is None:
        return None
    due = start + dt.timedelta(days=7 * week)
    hours = min(GUIDE_HOURS, cap)
    return PlanItem(key=f"{REVIEW_GUIDE}@{due.isoformat()}", doc_id=REVIEW_GUIDE, kind="guide",
                    title=guide.title, stage=guide.stage, week=week, hours=hours,
                    total_hours=hours, why="review your roadmap by "
                    f"{due.isoformat()}: re-take the self-assessment and regenerate this plan")


# -- keeping it -------------------------------------------------------------------------
def load_plan(data: dict[str, Any] | None) -> Plan | None:
    """A stored plan, or None when there is none."""
    return Plan.model_validate(data) if data else None


def plan_for_user(store: Any, corpus: Corpus, user_id: str, *, weeks: int | None = None,
                  regenerate: bool = False, today: dt.date | None = None) -> tuple[Plan, str]:
    """The user's plan and what happened: "kept", "new" or "regenerated".

    A stored plan is kept unless ``weeks`` differs, ``regenerate`` is set, or the profile or
    stage changed since it was made; regenerating never loses ticked items.
    """
    from bot.learner.assess import gap_reading

    profile = LearnerProfile.model_validate(store.get_profile(user_id))
    roadmap = store.get_roadmap(user_id) or {}
    stage = roadmap.get("current") or "landscape"
    focus = gap_reading(corpus, roadmap)
    previous = load_plan(store.get_plan(user_id))
    changed = previous is None or regenerate or (weeks not in (None, previous.weeks)) or \
        previous.profile != profile.model_dump(exclude_none=True) or \
        previous.stage != stage or previous.focus != list(focus)
    if previous is not None and not changed:
        return previous, "kept"
    plan = build_plan(corpus, profile, weeks=weeks or (previous.weeks if previous else
                                                       DEFAULT_WEEKS),
                      stage=stage, start=today, previous=previous, focus=focus)
    store.set_plan(user_id, plan.store_form())
    return plan, "new" if previous is None else "regenerated"


def review_due(plan: dict[str, Any] | Plan | None, today: dt.date | None = None) -> bool:
    if not plan:
        return False
    p = plan if isinstance(plan, Plan) else load_plan(plan)
    return p is not None and (today or dt.date.today()) > p.review_by


def due_review_note(store: Any, user_id: str | None, today: dt.date | None = None) -> str | None:
    """The line an answer adds when the user's plan is past its review date (once a day)."""
    if store is None or not user_id:
        return None
    data = store.get_plan(user_id)
    today = today or dt.date.today()
    if not data or not review_due(data, today) or data.get("reminded_on") == today.isoformat():
        return None
    plan = load_plan(data)
    assert plan is not None
    store.set_plan(user_id, {**data, "reminded_on": today.isoformat()})
    done, total = plan.progress()
    return prompts.PLAN_REVIEW_DUE.format(date=plan.review_by.isoformat(), done=done,
                                          total=total)


__all__ = ["DEFAULT_WEEKS", "Plan", "PlanItem", "build_plan", "due_review_note",
           "load_plan", "plan_for_user", "review_due"]
