"""A plan as Markdown with checkboxes (and back), and as an iCalendar file (RFC 5545).

The Markdown is for people: tick ``- [x]`` in any editor, then import the file to keep the
progress. Only the checkbox and the item key in backticks right after it are read back, so
notes and reworded titles survive. The .ics is written by hand (no extra dependency): one
all-day event per week listing its items, and the review date with a reminder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from bot.learner.plan import Plan, PlanItem, load_plan

_TICK = re.compile(r"^\s*[-*+]\s+\[([ xX])\]\s+`([^`\s]+)`")


def _hours(h: float) -> str:
    return f"{h:g} h"


def _item_line(item: PlanItem) -> str:
    box = "x" if item.done else " "
    size = _hours(item.hours)
    approx = "~" if item.estimated else ""
    if item.part:
        size = f"part {item.part}: {size} of {approx}{_hours(item.total_hours)}"
    elif item.estimated:
        size = f"~{size}"
    link = f" <{item.url}>" if item.url else ""
    return f"- [{box}] `{item.key}` **{item.title}** ({item.kind}, {size}){link}: {item.why}"


def _profile_line(plan: Plan) -> str:
    p = plan.profile
    bits = [f"target role: {p['target_role']}" if p.get("target_role") else
            "target role: not set"]
    if p.get("level"):
        bits.append(f"level: {p['level']}")
    hours = f"{plan.hours_per_week:g} h a week"
    bits.append(hours + (" (assumed: tell careerbot your hours)" if plan.hours_assumed else ""))
    if p.get("budget"):
        bits.append(f"budget: {p['budget']}")
    if p.get("formats"):
        bits.append("formats: " + ", ".join(p["formats"]))
    return " · ".join(bits)


def to_markdown(plan: Plan, user_id: str | None = None, stage_name: str | None = None) -> str:
    """The plan as Markdown: one section per week, one checkbox per item, ids in backticks."""
    done, total = plan.progress()
    who = f" for {user_id}" if user_id else ""
    lines = [
        f"# careerbot plan{who}: {plan.weeks} weeks from {plan.start.isoformat()}", "",
        _profile_line(plan),
        f"Stage now: {plan.stage} ({stage_name or plan.stage})",
        f"**Review by: {plan.review_by.isoformat()}**. Progress: {done} of {total} done.", "",
        "Tick items as you finish them (`- [x]`), then run "
        "`careerbot plan --import THIS_FILE` to keep your progress.", "",
    ]
    planned = sum(plan.week_hours(w) for w in range(1, plan.weeks + 1))
    if planned < 0.8 * plan.hours_per_week * plan.weeks:
        lines[-1:-1] = [f"Only {planned:g} of your {plan.hours_per_week * plan.weeks:g} hours "
                        "are planned: little curated material matches your role, level, budget "
                        "and formats at these stages. Widen a filter for more.", ""]
    for week in range(1, plan.weeks + 1):
        items = plan.week_items(week)
        lines.append(f"## Week {week} (from {plan.week_start(week).isoformat()}), "
                     f"{_hours(plan.week_hours(week))} of {_hours(plan.hours_per_week)}")
        lines.extend(_item_line(i) for i in items)
        if not items:
            lines.append("- free week: catch up, or practise what you learnt")
        lines.append("")
    earlier = plan.week_items(0)
    if earlier:
        lines.append("## Done before this plan")
        lines.extend(_item_line(i) for i in earlier)
        lines.append("")
    return "\n".join(lines)


def parse_ticks(markdown: str) -> dict[str, bool]:
    """Item key -> ticked, for every checkbox line with a key in a (possibly edited) file."""
    out: dict[str, bool] = {}
    for line in markdown.splitlines():
        m = _TICK.match(line)
        if m:
            out[m.group(2)] = m.group(1) in "xX"
    return out


def apply_ticks(plan: Plan, ticks: dict[str, bool]) -> tuple[Plan, int, list[str]]:
    """The plan with the file's ticks applied; (plan, items changed, keys not in the plan).

    An item missing from the file keeps its state, so a file cut down to a few weeks is safe.
    """
    changed = 0
    known = {i.key for i in plan.items}
    items = []
    for item in plan.items:
        state = ticks.get(item.key, item.done)
        changed += state != item.done
        items.append(item.model_copy(update={"done": state}))
    return plan.model_copy(update={"items": items}), changed, sorted(set(ticks) - known)


def save_ticks(store: Any, user_id: str, ticks: dict[str, bool]) -> tuple[Plan, int, list[str]]:
    """Apply ticks (from a file, a web checkbox, a Slack button) to the user's stored plan."""
    plan = load_plan(store.get_plan(user_id))
    if plan is None:
        raise ValueError(f"no plan for '{user_id}' yet: run `careerbot plan --user {user_id}` "
                         "first")
    plan, changed, unknown = apply_ticks(plan, ticks)
    store.set_plan(user_id, plan.store_form())
    return plan, changed, unknown


# -- iCalendar --------------------------------------------------------------------------
def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """RFC 5545 3.1: lines of at most 75 octets, continued with a leading space."""
    out, cur, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > (75 if not out else 74):
            out.append(cur)
            cur, size = "", 0
        cur += ch
        size += n
    out.append(cur)
    return [out[0]] + [" " + part for part in out[1:]]


def _date(d: dt.date) -> str:
    return d.strftime("%Y%m%d")


def to_ics(plan: Plan, user_id: str | None = None) -> str:
    """The plan as an iCalendar file: a week-long all-day event per week, plus the review."""
    stamp = plan.created.strftime("%Y%m%dT000000Z")
    seed = hashlib.sha256(f"{user_id}|{plan.start}".encode()).hexdigest()[:12]
    props = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//careerbot//learning plan//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:careerbot plan"]
    for week in range(1, plan.weeks + 1):
        items = plan.week_items(week)
        if not items:
            continue
        desc = "\n".join(f"[{'x' if i.done else ' '}] {i.key}: {i.title} ({_hours(i.hours)})"
                         + (f" {i.url}" if i.url else "") for i in items)
        start = plan.week_start(week)
        props += ["BEGIN:VEVENT", f"UID:careerbot-{seed}-week-{week}@careerbot.local",
                  f"DTSTAMP:{stamp}", f"DTSTART;VALUE=DATE:{_date(start)}",
                  f"DTEND;VALUE=DATE:{_date(start + dt.timedelta(days=7))}",
                  f"SUMMARY:{_escape(f'careerbot week {week}: {plan.week_hours(week):g} h')}",
                  f"DESCRIPTION:{_escape(desc)}", "TRANSP:TRANSPARENT", "END:VEVENT"]
    review = "Review your careerbot roadmap: re-take the self-assessment, regenerate the plan"
    props += ["BEGIN:VEVENT", f"UID:careerbot-{seed}-review@careerbot.local",
              f"DTSTAMP:{stamp}", f"DTSTART;VALUE=DATE:{_date(plan.review_by)}",
              f"DTEND;VALUE=DATE:{_date(plan.review_by + dt.timedelta(days=1))}",
              f"SUMMARY:{_escape(review)}", "BEGIN:VALARM", "ACTION:DISPLAY",
              f"DESCRIPTION:{_escape(review)}", "TRIGGER;RELATED=START:PT9H", "END:VALARM",
              "END:VEVENT", "END:VCALENDAR"]
    return "".join(part + "\r\n" for line in props for part in _fold(line))


__all__ = ["apply_ticks", "parse_ticks", "save_ticks", "to_ics", "to_markdown"]
