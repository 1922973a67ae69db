"""The web app through its public API, as gradio_client users reach it.

The real app serves a real bot on a free loopback port, over the whole corpus indexed with
the fake encoder (the app's rules do not depend on the vectors; ``careerbot web`` itself runs
over the real model); each gradio_client is its own browser-like session. Hostile input, a
per-session rate limit and a small queue under 60 simultaneous requests must all end in a
clear reply or a clean "queue full", never a server error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.webapp import ask, client, served, web_bot

from bot.answer import prompts
from bot.settings import Settings
from ui import copy

ANSWER_KEYS = {"answer", "stage", "stage_confidence", "next_stage", "declined", "filters",
               "trace_id", "sources"}
STAGE_SLUGS = {"landscape", "building-blocks", "resources", "portfolio", "network-and-job",
               "future-proof"}

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def bot(fake_settings: Settings, fake_encoder: Any,
        tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The web app's rules do not depend on the vectors: a bot over the fake index."""
    return web_bot(fake_settings, tmp_path_factory.mktemp("web-state"), fake_encoder)


@pytest.fixture(scope="module")
def url(bot: Any, fake_settings: Settings) -> Iterator[str]:
    with served(bot, fake_settings) as u:
        yield u


def test_ask_endpoint_returns_the_answer_object_with_real_sources(
        url: str, bot: Any, corpus_ids: set[str]) -> None:
    out = ask(client(url), "How do I start a career in AI?")
    assert ANSWER_KEYS <= set(out)
    assert out["answer"].strip() and not out["declined"]
    assert out["stage"] in STAGE_SLUGS
    assert out["sources"], "an answer cites its sources"
    assert {s["id"] for s in out["sources"]} <= corpus_ids
    assert all(s["title"] and s["kind"] for s in out["sources"])
    assert "[1]" in out["answer"]
    trace = bot.store.get_trace(out["trace_id"])
    assert trace is not None and trace["question"] == "How do I start a career in AI?"


@pytest.mark.parametrize(("question", "problem", "reply"), [
    ("", "empty", prompts.EMPTY_INPUT),
    ("   \n\t ", "empty", prompts.EMPTY_INPUT),
    ("\u202e\u0000\u0007\U000e0041\u200b", "empty", prompts.EMPTY_INPUT),
    ("x" * 10_000, "too_long", "the limit is 4000"),
])
def test_bad_input_gets_a_clear_refusal_not_an_error(
        url: str, question: str, problem: str, reply: str) -> None:
    out = ask(client(url), question)
    assert out["problem"] == problem
    assert reply in out["answer"]
    assert out["declined"] and out["sources"] == [] and out["trace_id"] is None


def test_hidden_characters_are_stripped_before_the_bot_sees_them(url: str, bot: Any) -> None:
    sneaky = "Which skills\u202e does a data\u0000 scientist\U000e0049 need?\u2066"
    out = ask(client(url), sneaky)
    assert not out["declined"] and out["sources"]
    stored = bot.store.get_trace(out["trace_id"])["question"]
    assert stored == "Which skills does a data scientist need?"


def test_sessions_are_isolated(url: str, bot: Any) -> None:
    alice, bob = client(url), client(url)
    ask(alice, "I'm a beginner with 5 hours a week and want to become a data scientist. "
               "What should I learn first?")
    ask(bob, "How do I prepare for interviews?")
    mine = bot.store.export_user(f"web-{alice.session_hash}")
    theirs = bot.store.export_user(f"web-{bob.session_hash}")
    assert mine["profiles"][0]["data"]["hours_per_week"] == 5
    assert theirs["profiles"] == []
    assert [t["text"] for t in theirs["turns"] if t["role"] == "user"] == [
        "How do I prepare for interviews?"]


def test_rate_limit_slows_one_session_and_not_another(bot: Any, fake_settings: Settings) -> None:
    with served(bot, fake_settings, rate_limit_per_min=3) as u:
        busy, calm = client(u), client(u)
        replies = [ask(busy, "Which books teach machine learning?") for _ in range(4)]
        assert [r.get("problem") for r in replies[:3]] == [None, None, None]
        assert replies[3]["problem"] == "rate_limited"
        assert replies[3]["answer"] == copy.SLOW_DOWN
        other = ask(calm, "Which books teach machine learning?")
        assert other.get("problem") is None and other["sources"]


@pytest.mark.slow
def test_overload_is_answered_or_cleanly_refused(
        bot: Any, fake_settings: Settings, capfd: pytest.CaptureFixture[str]) -> None:
    from evals.bench.webload import web_load

    with served(bot, fake_settings, web_concurrency=2, web_queue_size=4) as u:
        got = web_load(u, concurrency=60, n=60)
        after = ask(client(u), "How do I start a career in AI?")
    assert got["errors"] == 0, got["error_samples"]
    assert got["answered"] + got["busy"] == 60
    assert got["answered"] >= 1 and got["busy"] >= 1, got  # the bound was reached and held
    assert after.get("problem") is None  # and the app recovers
    logs = capfd.readouterr()
    assert "Traceback" not in logs.out + logs.err


@pytest.mark.slow
def test_careerbot_web_command_serves_the_api_and_survives_500_at_once(
        full_settings: Settings, tmp_path: Path) -> None:
    from evals.bench.webload import web_load
    from ui.web import free_port

    port = free_port()
    env = {**os.environ, "CAREERBOT_DATA_DIR": str(full_settings.data_dir),
           "CAREERBOT_DB_URL": f"sqlite:///{tmp_path / 'state.db'}",
           "CAREERBOT_WEB_CONCURRENCY": "2", "CAREERBOT_WEB_QUEUE_SIZE": "16"}
    exe = Path(sys.executable).parent / "careerbot"
    subprocess.run([exe, "db", "upgrade"], env=env, check=True, capture_output=True)
    proc = subprocess.Popen([exe, "web", "--port", str(port)], env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 90
        line = ""
        while time.monotonic() < deadline and "web UI on" not in line:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "careerbot web exited early"
        assert f"http://127.0.0.1:{port}/" in line
        out = ask(client(f"http://127.0.0.1:{port}/"), "What does an ML engineer do?")
        assert out["sources"] and not out["declined"]
        rss_before = _rss_mb(proc.pid)
        burst = web_load(f"http://127.0.0.1:{port}/", concurrency=500, n=500)
        assert burst["errors"] == 0, burst["error_samples"]  # no 5xx, no timeouts
        assert burst["answered"] + burst["busy"] == 500 and burst["answered"] >= 1
        assert _rss_mb(proc.pid) - rss_before < 300, "server memory stays bounded"
        again = ask(client(f"http://127.0.0.1:{port}/"), "How do I start a career in AI?")
        assert again["sources"]
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    assert "Traceback" not in stderr


def _rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
