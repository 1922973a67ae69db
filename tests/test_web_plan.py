"""The web app's "Assess me" and "My plan" tabs.

The rules (``ui/web/plan.py``) over the real corpus and a real state store: form answers place
that session's user and store the roadmap, the plan fits the hours in the profile, a ticked
checkbox is saved, and an exported Markdown file, ticked in an editor and uploaded, restores
the ticks. Then the whole flow once in a real browser (Debian chromium, Playwright), which
also leaves a screenshot of the plan tab in test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fakes.webapp import ARTIFACTS, served, web_bot

from bot.learner.plan import load_plan
from bot.settings import DEFAULT_CORPUS_DIR, Settings
from bot.store.state import StateStore
from corpus.loader import load_corpus
from corpus.schema import STAGES
from ui import copy
from ui.web.plan import WebPlan

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def corpus() -> Any:
    return load_corpus(DEFAULT_CORPUS_DIR)


@pytest.fixture
def web(corpus: Any, tmp_path: Path) -> WebPlan:
    return WebPlan(corpus, StateStore.open(f"sqlite:///{tmp_path / 'state.db'}"),
                   tmp_path / "files")


def form_values(web: WebPlan, gap_at: str | None) -> list[Any]:
    """What the form sends: every stage done except ``gap_at`` (radios "yes"/"no", sliders
    as floats)."""
    out: list[Any] = []
    for q in web.questions:
        ok = q["stage"] != gap_at
        out.append(("yes" if ok else "no") if q["kind"] == "yes_no" else (5.0 if ok else 1.0))
    return out


def place(web: WebPlan, session: str, stage: str) -> str:
    text, stored = web.assess(web.answer_form(form_values(web, stage)), session)
    assert stored, text
    return text


def ticked(markdown: str, keys: list[str]) -> str:
    for key in keys:
        assert f"- [ ] `{key}`" in markdown
        markdown = markdown.replace(f"- [ ] `{key}`", f"- [x] `{key}`")
    return markdown


def test_the_checklist_is_asked_stage_by_stage_from_the_job_backwards(web: WebPlan,
                                                                     corpus: Any) -> None:
    groups = web.groups()
    assert [g.stage for g in groups] == list(reversed(STAGES))
    assert [g.name for g in groups] == [corpus.stage_name(s) for s in reversed(STAGES)]
    asked = [q["id"] for g in groups for q in g.questions]
    assert asked == [q["id"] for q in web.questions] and len(set(asked)) == len(asked)
    assert web.intro == web.checklist.intro


@pytest.mark.parametrize("stage", ["landscape", "portfolio", "network-and-job"])
def test_answers_place_that_sessions_user_and_store_the_roadmap(web: WebPlan, corpus: Any,
                                                                stage: str) -> None:
    text = place(web, "s1", stage)
    assert f"Your stage: {corpus.stage_name(stage)} (`{stage}`)" in text
    assert f", so: {stage}." in text  # the explanation
    road = web.store.get_roadmap("web-s1")
    assert road["current"] == stage
    assert road["covered"] == [s for s in STAGES if s != stage]
    assert road["next_action"] in text
    assert not web.store.get_roadmap("web-s2"), "another session is another user"


def test_unanswered_questions_are_named_and_nothing_is_stored(web: WebPlan) -> None:
    values = form_values(web, None)
    values[0] = values[4] = None
    text, stored = web.assess(web.answer_form(values), "s1")
    assert not stored and text.startswith("Please answer 2 more question(s)")
    assert web.questions[0]["text"] in text and web.questions[4]["text"] in text
    assert not web.store.get_roadmap("web-s1")


@pytest.mark.parametrize("hours", [3, 10])
def test_the_plan_fits_the_hours_in_the_profile(web: WebPlan, corpus: Any, hours: int) -> None:
    web.store.set_profile("web-s1", {"target_role": "Data scientist", "hours_per_week": hours})
    place(web, "s1", "building-blocks")
    view = web.build("s1", 6)
    assert view.status.startswith("New plan: 6 weeks at") and view.plan is not None
    sections = web.sections(view.plan)
    assert len(sections) == 6
    plan = load_plan(web.store.get_plan("web-s1"))
    assert plan is not None and plan.stage == "building-blocks"
    assert f"{hours} h a week" in web.summary_md(view.plan)
    urls = {r.id: r.url for r in corpus.resources}
    for week, section in enumerate(sections, 1):
        assert 0 < plan.week_hours(week) <= hours
        assert section.heading.endswith(f"{plan.week_hours(week):g} h of {hours} h")
        items = plan.week_items(week)
        assert [r.key for r in section.rows] == [i.key for i in items]
        for row, item in zip(section.rows, items, strict=True):
            assert row.label == item.title and item.why in row.details
            assert f" · {item.kind} · " in row.details
            if urls.get(item.doc_id):  # resources with a url are linked
                assert f"[{item.title}]({urls[item.doc_id]})" in row.details
    assert any("](" in r.details for s in sections for r in s.rows)
    assert sum(plan.week_hours(w) for w in range(1, 7)) >= 0.8 * hours * 6


def test_ticking_saves_and_a_rebuild_keeps_the_ticks(web: WebPlan) -> None:
    web.store.set_profile("web-s1", {"hours_per_week": 4})
    first = web.build("s1", 4)
    keys = [r.key for r in web.sections(first.plan)[0].rows[:2]]
    for key in keys:
        view = web.tick("s1", key, True)
        assert view.plan is None, "the page already shows the tick: no redraw"
    total = len(first.plan["items"])
    assert view.status == copy.WEB_PLAN_TICKED.format(done=2, total=total)
    assert f"- [x] `{keys[1]}`" in Path(view.markdown_file).read_text(encoding="utf-8")
    plan = load_plan(web.store.get_plan("web-s1"))
    assert {i.key for i in plan.items if i.done} == set(keys)

    again = web.build("s1", 4)
    assert again.status.startswith("Plan rebuilt from today") and "2 ticked item(s) kept" in \
        again.status
    done = web.sections(again.plan)[-1]
    assert done.heading == "Done before this plan"
    assert [(r.key, r.done) for r in done.rows] == [(k, True) for k in keys]
    assert web.tick("other", keys[0], True).status == copy.WEB_PLAN_NONE


def test_an_edited_markdown_export_restores_the_ticks(web: WebPlan, tmp_path: Path) -> None:
    web.store.set_profile("web-s1", {"hours_per_week": 5})
    view = web.build("s1", 3)
    assert Path(view.ics_file).read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    keys = [item["key"] for item in view.plan["items"][1:4]]
    edited = ticked(Path(view.markdown_file).read_text(encoding="utf-8"), keys)
    edited = edited.replace("## Week 2", "## Week 2 (busy week!)") + "\nMy notes.\n"
    upload = tmp_path / "my-plan.md"
    upload.write_text(edited, encoding="utf-8")

    out = web.import_markdown("s1", str(upload))
    assert out.status.startswith(copy.WEB_PLAN_IMPORTED.format(
        done=3, total=len(view.plan["items"]), changed=3))
    assert {i["key"] for i in out.plan["items"] if i["done"]} == set(keys)
    assert {r.key for s in web.sections(out.plan) for r in s.rows if r.done} == set(keys)
    stored = load_plan(web.store.get_plan("web-s1"))
    assert {i.key for i in stored.items if i.done} == set(keys)

    junk = tmp_path / "junk.md"
    junk.write_bytes(b"\xff\xfe not a plan")
    assert web.import_markdown("s1", str(junk)).status == copy.WEB_PLAN_IMPORT_BAD
    assert web.import_markdown("nobody", str(upload)).status == copy.WEB_PLAN_NONE
    web.forget_files("s1")
    assert not Path(view.markdown_file).exists()


# -- the same in a real browser ------------------------------------------------------------
@pytest.fixture(scope="module")
def browser_app(full_settings: Settings,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, Any]]:
    """(bot, url, browser), set up like tests/test_browser.py."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (careerbot[test])")
    bot = web_bot(full_settings, tmp_path_factory.mktemp("plan-browser-state"))
    with served(bot, full_settings) as url, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield bot, url, browser
        finally:
            browser.close()


def wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function("([s, t]) => (document.querySelector(s)?.innerText || '')"
                           ".includes(t)", arg=[selector, text], timeout=20_000)


def eventually(page: Any, check: Any, seconds: float = 10.0) -> bool:
    """Poll ``check`` while the page keeps running (saves reach the server in their time)."""
    for _ in range(int(seconds * 10)):
        if check():
            return True
        page.wait_for_timeout(100)
    return bool(check())


@pytest.mark.server
@pytest.mark.slow
def test_assess_then_build_tick_download_and_import_in_a_browser(
        browser_app: tuple[Any, str, Any], tmp_path: Path) -> None:
    bot, url, browser = browser_app
    context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                  accept_downloads=True)
    page = context.new_page()
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    try:
        page.goto(url)
        page.wait_for_selector("#question textarea")
        page.get_by_role("tab", name="Your data").click()
        page.click("#show-data")
        wait_text(page, "#data-json", "web-")
        uid = re.search(r"web-[A-Za-z0-9]+", page.inner_text("#data-json")).group(0)

        # the profile on the Chat tab: a role and 6 hours a week
        page.get_by_role("tab", name="Chat").click()
        page.get_by_label("Target role").click()
        page.get_by_role("option", name="Machine learning engineer", exact=True).click()
        hours = page.locator("input[type=number][aria-label*='Hours per week']")
        hours.fill("6")
        hours.blur()
        profile = {"target_role": "Machine learning engineer", "hours_per_week": 6}
        assert eventually(page, lambda: bot.store.get_profile(uid) == profile), \
            bot.store.get_profile(uid)

        # Assess me: every stage done up to the portfolio, which has the gap
        page.get_by_role("tab", name="Assess me").click()
        for q in bot.corpus.assessment.stages:
            for question in q.questions:
                field = page.locator(f"#q-{question.id}")
                ok = STAGES.index(q.stage) < STAGES.index("portfolio")
                if question.kind == "yes_no":
                    field.get_by_label("yes" if ok else "no", exact=True).check()
                else:
                    field.locator("input[type=number]").fill("5" if ok else "2")
                    field.locator("input[type=number]").press("Enter")
        page.click("#assess-submit")
        wait_text(page, "#assess-result", "Your stage")
        assert "Your stage: Build your portfolio" in page.inner_text("#assess-result")
        assert re.search(r"Build your portfolio ← you are here", page.inner_text("#roadmap"))
        assert bot.store.get_roadmap(uid)["current"] == "portfolio"

        # My plan: build it; every week fits the 6 hours; tick the first item
        page.get_by_role("tab", name="My plan").click()
        page.click("#plan-build")
        wait_text(page, "#plan-status", "New plan")
        page.wait_for_selector(".plan-item")
        plan = load_plan(bot.store.get_plan(uid))
        assert plan is not None and plan.stage == "portfolio" and plan.hours_per_week == 6
        assert "6 h a week" in page.inner_text("#plan-summary")
        headings = page.locator(".plan-week h4").all_inner_texts()
        assert len(headings) == plan.weeks
        for week, heading in enumerate(headings, 1):
            assert 0 < plan.week_hours(week) <= 6
            assert heading.strip().endswith(f"{plan.week_hours(week):g} h of 6 h")
        rows = page.locator(".plan-item")
        assert rows.count() == len(plan.items)
        assert plan.items[0].title in rows.first.inner_text()
        rows.first.locator("input[type=checkbox]").check()
        wait_text(page, "#plan-status", "Saved: 1 of")
        assert load_plan(bot.store.get_plan(uid)).items[0].done

        # download both files, tick two more items in the Markdown, upload it
        with page.expect_download() as got:
            page.click("#plan-ics")
        assert got.value.suggested_filename == "careerbot-plan.ics"
        with page.expect_download() as got:
            page.click("#plan-md")
        assert got.value.suggested_filename == "careerbot-plan.md"
        markdown = Path(got.value.path()).read_text(encoding="utf-8")
        assert f"- [x] `{plan.items[0].key}`" in markdown
        keys = [plan.items[1].key, plan.items[2].key]
        edited = tmp_path / "edited-plan.md"
        edited.write_text(ticked(markdown, keys), encoding="utf-8")
        with page.expect_file_chooser() as chooser:
            page.click("#plan-import")
        chooser.value.set_files(str(edited))
        wait_text(page, "#plan-status", "Imported: 3 of")
        stored = load_plan(bot.store.get_plan(uid))
        assert {i.key for i in stored.items if i.done} == {plan.items[0].key, *keys}
        page.wait_for_function("document.querySelectorAll('.plan-item input:checked')"
                               ".length === 3")

        ARTIFACTS.mkdir(exist_ok=True)  # the top of the plan: docs/plan-screenshot.png
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / "web-plan.png"))
        assert hosts == {urlsplit(url).netloc}, "everything comes from the app itself"
    finally:
        context.close()
