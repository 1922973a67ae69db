"""The web app's "Assess me" and "My plan" tabs, apart from their layout.

Kept free of gradio like ``ui/web/chat.py``: the checklist comes from ``bot.learner.assess``
and the plan from ``bot.learner.plan`` / ``bot.learner.plan_export``; this module turns form
values into their calls, their results into Markdown for people, and the plan into rows of
checkboxes. A browser session is the user ``web-{session}``, as in the chat. Exports are
written to a private temp folder (one sub-folder per session, removed by "Forget me") so the
download buttons can serve them.
Every path returns a line for people: no exception reaches the browser.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.learner.assess import AssessmentResult, apply_assessment, assess, assessment_questions
from bot.learner.plan import DEFAULT_WEEKS, Plan, PlanItem, load_plan, plan_for_user
from bot.learner.plan_export import parse_ticks, save_ticks, to_ics, to_markdown
from corpus.schema import STAGES, Corpus
from ui import copy
from ui.web.chat import WebChat

log = logging.getLogger(__name__)

MAX_WEEKS = 52
MAX_IMPORT_BYTES = 1_000_000  # an exported plan is a few kB; anything near this is not one
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass
class QuestionGroup:
    """One stage's questions, as the form shows them (the checklist's backward order)."""

    stage: str
    name: str
    questions: list[dict[str, Any]]


@dataclass
class PlanRow:
    """One checkbox of the plan: its key, state, a plain label and the details in Markdown."""

    key: str
    done: bool
    label: str
    details: str


@dataclass
class PlanSection:
    """A week (or the items done before this plan) with its heading."""

    heading: str
    rows: list[PlanRow] = field(default_factory=list)
    note: str = ""


@dataclass
class PlanView:
    """What the plan tab shows after an action. ``plan`` is None when it need not redraw."""

    status: str
    plan: dict[str, Any] | None = None
    markdown_file: str | None = None
    ics_file: str | None = None


def _hours(h: float) -> str:
    return f"{h:g} h"


class WebPlan:
    """Self-assessment and plan for web sessions, over a corpus and a state store."""

    def __init__(self, corpus: Corpus, store: Any, files_dir: Path | None = None):
        self.corpus = corpus
        self.store = store
        self._files_dir = files_dir
        self.checklist = corpus.assessment
        self.questions = assessment_questions(corpus) if self.checklist else []

    user_id = staticmethod(WebChat.user_id)

    # -- the self-assessment ---------------------------------------------------------------
    @property
    def intro(self) -> str:
        return self.checklist.intro if self.checklist else copy.WEB_ASSESS_MISSING

    def groups(self) -> list[QuestionGroup]:
        """The questions grouped by stage, from the job backwards (the checklist's order)."""
        out: list[QuestionGroup] = []
        for q in self.questions:
            if not out or out[-1].stage != q["stage"]:
                out.append(QuestionGroup(q["stage"], self.corpus.stage_name(q["stage"]), []))
            out[-1].questions.append(q)
        return out

    def answer_form(self, values: list[Any] | tuple[Any, ...]) -> dict[str, Any]:
        """Question id -> the form's value, in :attr:`questions` order; unanswered left out.

        A slider may send 4.0: whole numbers become ints, as the checklist expects."""
        return {q["id"]: int(v) if isinstance(v, float) and v.is_integer() else v
                for q, v in zip(self.questions, values, strict=True) if v not in (None, "")}

    def assess(self, answers: dict[str, Any], session: str | None) -> tuple[str, bool]:
        """Place the session's user and store the roadmap; (Markdown for people, stored?)."""
        if not self.checklist:
            return copy.WEB_ASSESS_MISSING, False
        missing = [q for q in self.questions if answers.get(q["id"]) in (None, "")]
        if missing:
            names = "\n".join(f"- {self.corpus.stage_name(q['stage'])}: {q['text']}"
                              for q in missing)
            return copy.WEB_ASSESS_UNANSWERED.format(n=len(missing), questions=names), False
        try:
            result = assess(self.corpus, answers)
        except ValueError as exc:
            return str(exc), False
        apply_assessment(self.store, self.user_id(session), result)
        return self.result_md(result), True

    def result_md(self, result: AssessmentResult) -> str:
        """The placed stage, why, the next step, and how each stage came out."""
        checks = {c.stage: c for c in result.checks}
        lines = [copy.WEB_ASSESS_RESULT.format(
            stage=self.corpus.stage_name(result.stage), slug=result.stage,
            explanation=result.explanation, action=result.next_action), ""]
        for n, slug in enumerate(STAGES, 1):
            c = checks[slug]
            mark = "✓" if c.done else "○"
            here = " ← **you are here**" if slug == result.stage else ""
            lines.append(f"{n}. {mark} {self.corpus.stage_name(slug)}: {c.passed} of {c.total}"
                         f"{here}")
        return "\n".join(lines)

    # -- the plan --------------------------------------------------------------------------
    def build(self, session: str | None, weeks: Any = None) -> PlanView:
        """Build the plan, or rebuild it from today: ticked items are kept as done."""
        uid = self.user_id(session)
        try:
            n = min(max(int(weeks or DEFAULT_WEEKS), 1), MAX_WEEKS)
            had = self.store.get_plan(uid) is not None
            plan, status = plan_for_user(self.store, self.corpus, uid, weeks=n,
                                         regenerate=had)
        except Exception:
            log.exception("web plan build failed")
            return PlanView(copy.WEB_PLAN_FAILED)
        kept = sum(i.done for i in plan.items)
        text = copy.WEB_PLAN_BUILT.format(
            status="New plan" if status == "new" else "Plan rebuilt from today",
            weeks=plan.weeks, hours=_hours(plan.hours_per_week),
            stage=self.corpus.stage_name(plan.stage), review=plan.review_by.isoformat())
        if kept:
            text += " " + copy.WEB_PLAN_KEPT.format(n=kept)
        return self._view(uid, plan, text, redraw=True)

    def tick(self, session: str | None, key: str, done: bool) -> PlanView:
        """Save one checkbox; the page already shows it, so nothing redraws."""
        uid = self.user_id(session)
        try:
            plan, _, unknown = save_ticks(self.store, uid, {key: bool(done)})
        except ValueError:
            return PlanView(copy.WEB_PLAN_NONE)
        if unknown:  # a checkbox of a plan rebuilt in another tab
            return PlanView(copy.WEB_PLAN_STALE, plan.store_form(), *self._files(uid, plan))
        n_done, total = plan.progress()
        return self._view(uid, plan, copy.WEB_PLAN_TICKED.format(done=n_done, total=total),
                          redraw=False)

    def import_markdown(self, session: str | None, path: str | Path | None) -> PlanView:
        """Restore ticks from an exported (and edited) Markdown plan."""
        uid = self.user_id(session)
        if not path:
            return PlanView(copy.WEB_PLAN_IMPORT_BAD)
        try:
            data = Path(path).read_bytes()[: MAX_IMPORT_BYTES + 1]
            text = "" if len(data) > MAX_IMPORT_BYTES else data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        ticks = parse_ticks(text)
        if not ticks:
            return PlanView(copy.WEB_PLAN_IMPORT_BAD)
        try:
            plan, changed, unknown = save_ticks(self.store, uid, ticks)
        except ValueError:
            return PlanView(copy.WEB_PLAN_NONE)
        done, total = plan.progress()
        text = copy.WEB_PLAN_IMPORTED.format(done=done, total=total, changed=changed)
        if unknown:
            text += " " + copy.WEB_PLAN_IMPORT_UNKNOWN.format(n=len(unknown))
        return self._view(uid, plan, text, redraw=True)

    def _view(self, uid: str, plan: Plan, status: str, *, redraw: bool) -> PlanView:
        return PlanView(status, plan.store_form() if redraw else None, *self._files(uid, plan))

    # -- showing it ------------------------------------------------------------------------
    def summary_md(self, data: dict[str, Any] | None) -> str:
        """The plan's header: profile, stage, hours, review date and progress."""
        plan = load_plan(data)
        if plan is None:
            return copy.WEB_PLAN_EMPTY
        done, total = plan.progress()
        role = plan.profile.get("target_role") or "not set"
        lines = [f"**{plan.weeks} weeks from {plan.start.isoformat()}** · target role: {role}"
                 f" · stage now: {self.corpus.stage_name(plan.stage)} · "
                 f"{_hours(plan.hours_per_week)} a week · **review by "
                 f"{plan.review_by.isoformat()}** · {done} of {total} done"]
        if plan.hours_assumed:
            lines.append(copy.WEB_PLAN_HOURS_ASSUMED.format(hours=_hours(plan.hours_per_week)))
        return "\n\n".join(lines)

    @staticmethod
    def item_md(item: PlanItem) -> str:
        """Title (linked when there is a url), kind, hours and why it was chosen."""
        title = f"[{item.title}]({item.url})" if item.url else item.title
        size = ("~" if item.estimated else "") + _hours(item.hours)
        if item.part:
            size = (f"part {item.part}: {_hours(item.hours)} of "
                    f"{'~' if item.estimated else ''}{_hours(item.total_hours)}")
        return f"**{title}** · {item.kind} · {size}  \n{item.why}"

    def sections(self, data: dict[str, Any] | None) -> list[PlanSection]:
        """The plan week by week (empty weeks say so), then what was done before it."""
        plan = load_plan(data)
        if plan is None:
            return []
        out = []
        for week in range(1, plan.weeks + 1):
            sec = PlanSection(f"Week {week} · from {plan.week_start(week).isoformat()} · "
                              f"{_hours(plan.week_hours(week))} of "
                              f"{_hours(plan.hours_per_week)}")
            sec.rows = [self._row(i) for i in plan.week_items(week)]
            sec.note = "" if sec.rows else copy.WEB_PLAN_FREE_WEEK
            out.append(sec)
        earlier = plan.week_items(0)
        if earlier:
            out.append(PlanSection("Done before this plan", [self._row(i) for i in earlier]))
        return out

    def _row(self, item: PlanItem) -> PlanRow:
        return PlanRow(item.key, item.done, item.title, self.item_md(item))

    # -- files -----------------------------------------------------------------------------
    def _session_dir(self, uid: str) -> Path:
        if self._files_dir is None:  # made on first use, never at import or construction
            self._files_dir = Path(tempfile.mkdtemp(prefix="careerbot-plans-"))
        return self._files_dir / _UNSAFE.sub("_", uid)

    def _files(self, uid: str, plan: Plan) -> tuple[str, str]:
        """The plan written as Markdown and .ics for the download buttons."""
        folder = self._session_dir(uid)
        folder.mkdir(parents=True, exist_ok=True)
        md, ics = folder / "careerbot-plan.md", folder / "careerbot-plan.ics"
        md.write_text(to_markdown(plan, stage_name=self.corpus.stage_name(plan.stage)),
                      encoding="utf-8")
        ics.write_text(to_ics(plan, uid), encoding="utf-8", newline="")
        return str(md), str(ics)

    def forget_files(self, session: str | None) -> None:
        """Remove the session's exported files ("Forget me")."""
        if self._files_dir is not None:
            shutil.rmtree(self._session_dir(self.user_id(session)), ignore_errors=True)


__all__ = ["MAX_WEEKS", "PlanRow", "PlanSection", "PlanView", "QuestionGroup", "WebPlan"]
