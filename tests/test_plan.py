"""A plan you keep: it fits the hours, cites the corpus, and never loses a ticked item."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.learner.plan import Plan, build_plan, due_review_note, load_plan, plan_for_user
from bot.learner.plan_export import apply_ticks, parse_ticks, to_ics, to_markdown
from bot.learner.plan_pick import REVIEW_GUIDE
from bot.learner.profile import LearnerProfile
from bot.settings import DEFAULT_CORPUS_DIR
from bot.store.state import StateStore
from corpus.loader import load_corpus
from corpus.schema import LEVELS
from ui.cli import COMMAND_MODULES, cli

for _name in COMMAND_MODULES:
    importlib.import_module(_name)

START = dt.date(2026, 1, 5)
ML_BEGINNER = dict(target_role="machine learning engineer", level="beginner", budget="free")


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(DEFAULT_CORPUS_DIR)


def plan_for(corpus, hours: float, stage: str = "building-blocks", **profile) -> Plan:
    return build_plan(corpus, LearnerProfile(hours_per_week=hours, **(ML_BEGINNER | profile)),
                      weeks=8, stage=stage, start=START)


def planned_hours(plan: Plan) -> float:
    return sum(plan.week_hours(w) for w in range(1, plan.weeks + 1))


@pytest.mark.parametrize("hours", [3, 10])
def test_every_week_fits_the_hours_and_every_item_is_cited(corpus, corpus_ids, hours):
    plan = plan_for(corpus, hours)
    for week in range(1, 9):
        assert 0 < plan.week_hours(week) <= hours + 1e-9, (week, plan.week_items(week))
    assert planned_hours(plan) >= 0.8 * hours * 8, "the hours a person has are used"
    for item in plan.items:
        assert item.doc_id in corpus_ids and item.why.strip()
        assert item.stage in {"building-blocks", "resources", "portfolio", "network-and-job",
                              "future-proof"}
    assert len({i.key for i in plan.items}) == len(plan.items)


def test_more_hours_mean_more_material_not_fuller_weeks(corpus):
    small, large = plan_for(corpus, 3), plan_for(corpus, 10)
    assert planned_hours(large) > 3 * planned_hours(small) * 0.9
    assert len({i.doc_id for i in large.items}) > len({i.doc_id for i in small.items})


def test_the_profile_filters_what_is_chosen(corpus):
    by_id = {r.id: r for r in corpus.resources}
    plan = plan_for(corpus, 10, formats=["course", "book"])
    resources = [by_id[i.doc_id] for i in plan.items if i.kind == "resource"]
    assert resources
    assert all(r.cost != "paid" for r in resources), "budget: free"
    assert all(r.kind in ("course", "book") for r in resources), "formats"
    assert all(abs(LEVELS.index(r.level) - 0) <= 1 for r in resources), "level: beginner"
    assert all(not r.roles or "ml-engineer" in r.roles for r in resources), "target role"


def test_long_resources_are_split_over_weeks_using_the_corpus_hours(corpus):
    plan = plan_for(corpus, 3)
    parts = [i for i in plan.items if i.part]
    assert parts, "a long course or book is spread over several weeks"
    for doc in {i.doc_id for i in parts}:
        mine = [i for i in parts if i.doc_id == doc]
        assert sum(i.hours for i in mine) <= mine[0].total_hours + 1e-9
        assert [i.part for i in mine] == list(range(1, len(mine) + 1))
    with_hours = {r.id: r.hours for r in corpus.resources if r.hours}
    known = [i for i in plan.items if i.doc_id in with_hours]
    assert all(i.total_hours == with_hours[i.doc_id] and not i.estimated for i in known)


def test_the_plan_ends_with_a_review(corpus):
    plan = plan_for(corpus, 3)
    assert plan.review_by == START + dt.timedelta(weeks=8)
    review = plan.week_items(8)[-1]
    assert review.doc_id == REVIEW_GUIDE and "review your roadmap" in review.why


def tick(markdown: str, keys: list[str]) -> str:
    lines = []
    for line in markdown.splitlines():
        if any(f"`{k}`" in line for k in keys):
            line = line.replace("- [ ]", "- [x]", 1)
        lines.append(line)
    return "\n".join(lines)


def test_an_edited_markdown_plan_round_trips_its_ticks(corpus):
    plan = plan_for(corpus, 3)
    md = to_markdown(plan, "ana")
    assert md.count("- [ ] `") == len(plan.items)
    keys = [plan.items[0].key, plan.items[3].key, plan.items[-1].key]
    edited = tick(md, keys)
    # what people do to a Markdown file: reword, add notes, drop sections, use [X]
    edited = edited.replace("**", "").replace("## Week 8", "## Week 8 (holiday!)")
    edited = edited.replace(f"- [x] `{keys[1]}`", f"* [X] `{keys[1]}`")
    edited += "\n\nMy notes: remember to ask Sam about referrals.\n- [x] `not-in-the-plan`\n"
    ticks = parse_ticks(edited)
    assert {k for k, v in ticks.items() if v} == set(keys) | {"not-in-the-plan"}
    restored, changed, unknown = apply_ticks(plan, ticks)
    assert changed == 3 and unknown == ["not-in-the-plan"]
    assert {i.key for i in restored.items if i.done} == set(keys)
    again = to_markdown(restored)
    assert all(f"- [x] `{k}`" in again for k in keys)
    untick = parse_ticks(again.replace(f"- [x] `{keys[0]}`", f"- [ ] `{keys[0]}`"))
    assert not next(i for i in apply_ticks(restored, untick)[0].items if i.key == keys[0]).done


def test_regenerating_after_a_profile_change_keeps_ticked_items(corpus):
    plan = plan_for(corpus, 3)
    part = next(i for i in plan.items if i.part == 1)
    guide = next(i for i in plan.items if i.kind == "guide" and not i.part)
    ticked, _, _ = apply_ticks(plan, {part.key: True, guide.key: True})
    new = build_plan(corpus, LearnerProfile(hours_per_week=10, formats=["course"],
                                            **ML_BEGINNER),
                     weeks=6, stage="building-blocks", start=START, previous=ticked)
    kept = {i.key: i for i in new.items if i.done}
    assert set(kept) == {part.key, guide.key} and all(i.week == 0 for i in kept.values())
    assert "Done before this plan" in to_markdown(new)
    assert [i for i in new.items if i.doc_id == guide.doc_id] == [kept[guide.key]], \
        "a finished guide is not planned again"
    rest = [i for i in new.items if i.doc_id == part.doc_id and not i.done]
    if rest:  # the long resource continues where the ticked part ended
        assert min(i.part for i in rest) > part.part
        assert sum(i.hours for i in rest) <= part.total_hours - part.hours + 1e-9
    for week in range(1, 7):
        assert new.week_hours(week) <= 10 + 1e-9


def test_the_calendar_export_follows_rfc_5545(corpus):
    plan = plan_for(corpus, 3)
    raw = to_ics(plan, "ana").encode("utf-8")
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    text = re.sub(r"\r\n ", "", raw.decode("utf-8"))  # unfold
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.count("BEGIN:VEVENT") == text.count("END:VEVENT") == 8 + 1
    assert f"DTSTART;VALUE=DATE:{START:%Y%m%d}" in text
    assert f"DTSTART;VALUE=DATE:{plan.review_by:%Y%m%d}" in text
    for item in plan.items:
        assert item.key in text
    assert text.count("UID:") == 9 and "DTSTAMP:" in text
    assert "\\," in text or "," not in "".join(i.title for i in plan.items)


def test_the_bot_suggests_a_review_once_the_date_has_passed(corpus, tmp_path):
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    store.set_plan("ana", plan_for(corpus, 3).store_form())
    assert due_review_note(store, "ana", today=START + dt.timedelta(days=20)) is None
    late = START + dt.timedelta(weeks=9)
    note = due_review_note(store, "ana", today=late)
    assert note and "2026-03-02" in note and "0 of" in note
    assert due_review_note(store, "ana", today=late) is None, "once a day, not every answer"
    assert due_review_note(store, "ana", today=late + dt.timedelta(days=1))
    assert due_review_note(store, "nobody", today=late) is None


def test_a_stored_plan_is_kept_until_the_profile_or_stage_changes(corpus, tmp_path):
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    store.set_profile("bo", {"hours_per_week": 4, "target_role": "data analyst"})
    first, status = plan_for_user(store, corpus, "bo")
    assert status == "new" and first.stage == "landscape"
    assert plan_for_user(store, corpus, "bo")[1] == "kept"
    store.set_roadmap("bo", {"covered": [], "current": "portfolio"})
    moved, status = plan_for_user(store, corpus, "bo")
    assert status == "regenerated" and moved.stage == "portfolio"
    assert load_plan(store.get_plan("bo")) == moved


def run(args: list[str], data_dir: Path):
    return CliRunner().invoke(cli, args, env={"CAREERBOT_DATA_DIR": str(data_dir)})


def test_plan_command_export_edit_import_regenerate(tmp_path):
    profile = tmp_path / "me.json"
    profile.write_text(json.dumps({"target_role": "data scientist", "hours_per_week": 3,
                                   "level": "beginner", "budget": "free"}))
    md = tmp_path / "plan.md"
    out = run(["plan", "--user", "cy", "--profile", str(profile), "--out", str(md)], tmp_path)
    assert out.exit_code == 0, out.output
    assert "new plan: 8 weeks at 3 h a week" in out.stderr and "careerbot assess" in out.stderr
    text = md.read_text()
    keys = re.findall(r"^- \[ \] `([^`]+)`", text, re.M)[:2]
    md.write_text(tick(text, keys))
    out = run(["plan", "--user", "cy", "--import", str(md)], tmp_path)
    assert out.exit_code == 0 and "2 of" in out.stderr
    profile.write_text(json.dumps({"hours_per_week": 8}))
    out = run(["plan", "--user", "cy", "--profile", str(profile), "--json"], tmp_path)
    assert out.exit_code == 0 and "2 ticked items kept" in out.stderr
    plan = Plan.model_validate_json(out.stdout)
    assert plan.hours_per_week == 8 and {i.key for i in plan.items if i.done} == set(keys)
    ics = tmp_path / "plan.ics"
    assert run(["plan", "--user", "cy", "--export", "ics", "--out", str(ics)],
               tmp_path).exit_code == 0
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")


def test_a_plan_for_a_target_role_the_corpus_lacks_is_refused_and_nothing_stored(tmp_path):
    profile = tmp_path / "me.json"
    profile.write_text(json.dumps({"target_role": "astronaut", "hours_per_week": 3}))
    out = run(["plan", "--user", "ro", "--profile", str(profile)], tmp_path)
    assert out.exit_code == 2 and "unknown target_role 'astronaut'" in out.stderr
    shown = run(["data", "show", "--user", "ro"], tmp_path)
    assert shown.exit_code == 0 and json.loads(shown.stdout)["profiles"] == []


def test_importing_without_a_plan_is_a_usage_error(tmp_path):
    md = tmp_path / "plan.md"
    md.write_text("- [x] `guide-landscape-map-of-ai-roles` roles\n")
    out = run(["plan", "--user", "nobody", "--import", str(md)], tmp_path)
    assert out.exit_code == 2 and "no plan for 'nobody'" in out.stderr


def test_answers_mention_a_due_review(fake_bot, corpus):
    user = "plan-review-due"
    stale = build_plan(corpus, LearnerProfile(hours_per_week=3), start=dt.date(2020, 1, 6))
    fake_bot.store.set_plan(user, stale.store_form())
    first = fake_bot.ask("Which skills should I learn first for data science?", user_id=user)
    assert f"due for review on {stale.review_by.isoformat()}" in first.answer
    assert fake_bot.store.get_trace(first.trace_id)["review_note"] in first.answer
    second = fake_bot.ask("And which maths topics matter most?", user_id=user)
    assert "due for review" not in second.answer
