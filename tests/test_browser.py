"""The web app in a real browser: Debian's chromium driven by Playwright.

A person types a question, watches the answer stream in with its sources and their stage on
the roadmap, rates it, sees their data and then forgets it. Nothing is fetched from outside
the app (no CDN, no analytics). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fakes.webapp import ARTIFACTS, served, web_bot

from bot.answer import prompts
from bot.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def app(full_settings: Settings,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, Any]]:
    """(bot, url, browser): one served app and one chromium for the module."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium "
                    "(apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (careerbot[test])")
    bot = web_bot(full_settings, tmp_path_factory.mktemp("browser-state"))
    with served(bot, full_settings) as url, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield bot, url, browser
        finally:
            browser.close()


@pytest.fixture
def page(app: tuple[Any, str, Any]) -> Iterator[Any]:
    """A fresh browser context: a new visitor with their own session."""
    bot, url, browser = app
    context = browser.new_context(viewport={"width": 1300, "height": 1300})
    pg = context.new_page()
    pg.hosts = set()
    pg.on("request", lambda r: pg.hosts.add(urlsplit(r.url).netloc))
    pg.goto(url)
    pg.wait_for_selector("#question textarea")
    try:
        yield pg
    finally:
        context.close()


def bot_messages(page: Any) -> list[str]:
    return page.locator("#chat [data-testid='bot']").all_inner_texts()


def ask_and_wait(page: Any, text: str) -> None:
    """Type a question, press Enter, wait until the answer (and the roadmap) are complete."""
    before = page.inner_text("#roadmap")
    page.fill("#question textarea", text)
    page.press("#question textarea", "Enter")
    page.wait_for_function(
        "([before]) => { const r = document.querySelector('#roadmap').innerText;"
        " return r !== before && r.includes('you are here') && !r.includes('processing'); }",
        arg=[before], timeout=30_000)


def feedback_for(bot: Any, question: str) -> list[dict[str, Any]]:
    return [r for r in bot.store.feedback_rows() if r["question"] == question]


def test_answer_streams_with_sources_and_thumbs_up_is_stored(
        app: tuple[Any, str, Any], page: Any) -> None:
    bot, url, _ = app
    question = "I'm a backend developer. Which portfolio projects should I build?"
    page.evaluate("""() => {
        window.__lengths = [];
        const chat = document.querySelector('#chat');
        new MutationObserver(() => {
            const bots = chat.querySelectorAll("[data-testid='bot']");
            if (bots.length) window.__lengths.push(bots[0].innerText.length);
        }).observe(chat, {childList: true, subtree: true, characterData: true});
    }""")
    ask_and_wait(page, question)
    assert len(set(page.evaluate("window.__lengths"))) > 3, "the answer arrives in pieces"

    page.click("#fb-up")
    page.wait_for_function("document.querySelector('#fb-status').innerText.includes('Thanks')")
    [row] = feedback_for(bot, question)
    assert row["rating"] == 1 and row["user_id"].startswith("web-")
    trace = bot.store.get_trace(row["trace_id"])
    assert trace is not None
    answer = trace["answer"]
    assert row["answer"] == answer["answer"] and row["stage"] == answer["stage"]

    assert "[1]" in bot_messages(page)[0]
    sources = page.inner_text("#sources")
    assert answer["sources"]
    lines = [line for line in sources.splitlines() if line.strip()]
    *listed, version = lines
    assert len(listed) == len(answer["sources"])
    for line, source in zip(listed, answer["sources"], strict=True):  # in citation order
        assert line.startswith(f"{source['title']} · {source['kind']} · ")
        assert re.search(r" · checked [A-Z][a-z]{2} 20\d\d$", line), "each source says when"
    assert version == f"Knowledge base {answer['corpus_version']}", "the corpus version, once"
    stage = bot.corpus.stage_name(answer["stage"])
    assert re.search(rf"{re.escape(stage)} ← you are here", page.inner_text("#roadmap"))

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-chat.png"), full_page=True)
    assert page.hosts == {urlsplit(url).netloc}, "everything comes from the app itself"


def test_thumbs_down_keeps_the_reason_and_empty_input_gets_a_prompt(
        app: tuple[Any, str, Any], page: Any) -> None:
    bot = app[0]
    question = "Which books should I read to learn deep learning?"
    ask_and_wait(page, question)
    page.get_by_label("What was wrong? (optional)").click()
    page.get_by_role("option", name="wrong level").click()
    page.get_by_label("Comment (optional)").fill("too advanced for me")
    page.click("#fb-down")
    page.wait_for_function("document.querySelector('#fb-status').innerText.includes('noted')")
    [row] = feedback_for(bot, question)
    assert row["rating"] == -1 and row["comment"] == "wrong level: too advanced for me"

    page.fill("#question textarea", "   ")
    page.click("#send")
    page.wait_for_function(
        "document.querySelectorAll(\"#chat [data-testid='bot']\").length > 2", timeout=15_000)
    assert prompts.EMPTY_INPUT.split(",")[0] in bot_messages(page)[-1]


def test_profile_and_examples_are_used_then_show_my_data_and_forget_me(
        app: tuple[Any, str, Any], page: Any) -> None:
    bot = app[0]
    shortest = min((q for st in bot.corpus.stages for q in st.examples[:4]), key=len)
    page.get_by_text("Example questions for each stage").click()
    page.get_by_text(shortest, exact=True).first.click()
    page.wait_for_function("q => document.querySelector('#question textarea').value === q",
                           arg=shortest, timeout=10_000)

    page.get_by_label("Target role").click()
    page.get_by_role("option", name="Data scientist", exact=True).click()
    page.wait_for_function("document.body.innerText.includes('Profile saved')")
    ask_and_wait(page, "I have 4 hours a week. Which courses should I take first?")

    page.get_by_role("tab", name="Your data").click()
    page.click("#show-data")
    page.wait_for_function("document.querySelector('#data-json').innerText.includes('web-')")
    uid = re.search(r"web-[A-Za-z0-9]+", page.inner_text("#data-json")).group(0)
    held = bot.store.export_user(uid)
    assert held["profiles"][0]["data"] == {"target_role": "Data scientist", "hours_per_week": 4}
    [trace] = held["traces"]
    assert trace["data"]["filters"]["role"] == "data-scientist"  # the profile was used

    page.click("#forget-me")
    page.wait_for_function(
        "document.querySelector('#data-status').innerText.includes('deleted')")
    left = bot.store.export_user(uid)
    assert all(rows == [] for key, rows in left.items() if key != "user_id"), left
    page.get_by_role("tab", name="Chat").click()
    assert bot_messages(page) == []
    assert page.inner_text("#sources").startswith("Sources appear here")
