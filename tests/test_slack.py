"""The Slack app, end to end: the real bolt app and a real bot, Slack's cloud faked locally.

Requests are signed exactly as Slack signs them and sent to the app's HTTP endpoint on a free
loopback port; the fake Web API (tests/fakes/fake_slack.py) counts what the app sends back.
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakes.fake_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlackAPI,
    FakeSocketMode,
    action_form,
    command_form,
    event_payload,
    post,
    send_signed,
    signed_headers,
    view_submission_form,
    wait_until,
)

from bot.app import build_bot
from bot.settings import Settings
from bot.store.state import StateStore
from ui import copy
from ui.slack import build_app
from ui.slack.format import ACTION_DOWN, ACTION_SHARE, ACTION_UP
from ui.slack.server import http_server, socket_handler

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "How do I build a portfolio for ML engineer roles?"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def slack_api() -> Iterator[FakeSlackAPI]:
    api = FakeSlackAPI().start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def slack_store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('slack-state') / 'state.db'}"


@pytest.fixture(scope="module")
def slack_bot(full_settings: Settings, slack_store_url: str) -> Any:
    """A real bot over the full index, writing to the Slack tests' own store."""
    return build_bot(full_settings, store=StateStore.open(slack_store_url))


@dataclass
class Worker:
    """One running Slack app (a "worker"): its bolt app, HTTP server and bot."""

    app: Any
    server: Any
    bot: Any

    @property
    def port(self) -> int:
        return self.server.port

    def event(self, event_id: str, event: dict[str, Any], **headers: str) -> tuple[int, str]:
        return send_signed(self.port, json.dumps(event_payload(event_id, event)),
                           extra=headers or None)

    def command(self, text: str, user: str, response_url: str) -> tuple[int, str]:
        return send_signed(self.port, command_form(text, user, response_url), FORM)

    def click(self, action_id: str, value: str, user: str,
              response_url: str | None) -> tuple[int, str]:
        return send_signed(self.port, action_form(action_id, value, user, response_url), FORM)


@pytest.fixture
def make_worker(full_settings: Settings, slack_api: FakeSlackAPI,
                slack_bot: Any) -> Iterator[Callable[..., Worker]]:
    servers = []

    def make(bot: Any = None, **overrides: Any) -> Worker:
        s = full_settings.model_copy(update={
            "slack_api_url": slack_api.url, "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET, "slack_mode": "http", **overrides})
        app = build_app(bot or slack_bot, s)
        server = http_server(app, SIGNING_SECRET, port=0)
        server.start_background()
        servers.append(server)
        return Worker(app, server, bot or slack_bot)
    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def mention(user: str, text: str, ts: str, channel: str = "C0CHAN",
            thread_ts: str | None = None) -> dict[str, Any]:
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}",
             "channel": channel, "ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def dm(user: str, text: str, ts: str, channel: str = "D0DM") -> dict[str, Any]:
    return {"type": "message", "channel_type": "im", "user": user, "text": text,
            "channel": channel, "ts": ts}


def actions_of(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions"
            for e in b["elements"]}


# -- Block Kit ------------------------------------------------------------------------------
def test_answer_markdown_becomes_slack_mrkdwn_and_questions_lose_slack_markup():
    from ui.slack.format import plain_question, split_sections, to_mrkdwn

    md = "## Plan\n**Start** with [fast.ai](https://course.fast.ai) & <b>care</b>\n- one\n* two"
    assert to_mrkdwn(md) == ("*Plan*\n*Start* with <https://course.fast.ai|fast.ai> &amp; "
                             "&lt;b&gt;care&lt;/b&gt;\n• one\n• two")
    pieces = split_sections(("word " * 500 + "\n\n") * 4, limit=3000)
    assert len(pieces) == 4 and all(len(p) <= 3000 for p in pieces)
    assert plain_question("<@UBOT> is <https://x.io|this course> &amp; R &lt;3 ok?") == (
        "is this course & R <3 ok?")


# -- answering -----------------------------------------------------------------------------
def test_mention_is_acked_then_answered_once_in_its_thread_as_block_kit(make_worker, slack_api):
    w = make_worker()
    slack_api.hold("chat.postMessage")  # the reply cannot go out until released...
    status, _ = w.event("EvMention1", mention("UMEN", QUESTION, "1700000001.000100"))
    assert status == 200  # ...yet Slack already has its ack
    assert wait_until(lambda: slack_api.attempts["chat.postMessage"] == 1)
    slack_api.release()
    msg = slack_api.wait_for("chat.postMessage", 1)[0]
    assert msg["channel"] == "C0CHAN" and msg["thread_ts"] == "1700000001.000100"
    sections = [b["text"]["text"] for b in msg["blocks"] if b["type"] == "section"]
    assert sections and all("**" not in t for t in sections)
    assert not sections[0].startswith("*"), "the direct answer comes first, not a heading"
    listed = sections[-1]  # sources, with the month each was last checked
    assert listed.startswith("*Sources*") and re.search(r"checked [A-Z][a-z]{2} 20\d\d", listed)
    context = [e["text"] for b in msg["blocks"] if b["type"] == "context"
               for e in b["elements"]]
    assert context and context[0].startswith("Stage: ") and "Next: " in context[0]
    assert re.search(r"Knowledge base 20\d\d-\d\d · [0-9a-f]{7}", context[0])
    buttons = actions_of(msg["blocks"])
    trace_id = buttons[ACTION_UP]
    assert buttons[ACTION_DOWN] == trace_id
    trace = w.bot.store.get_trace(trace_id)
    linked = [s for s in trace["answer"]["sources"] if s.get("url")]
    assert all(f"<{s['url']}|" in listed for s in linked)  # sources with a link as <url|title>
    assert trace["user_id"] == "slack:UMEN" and trace["question"] == QUESTION
    assert w.bot.store.get_roadmap("slack:UMEN")["current"] == trace["answer"]["stage"]
    assert slack_api.stays("chat.postMessage", 1, settle=0.3)


def test_follow_up_in_a_thread_uses_that_threads_history(make_worker, slack_api):
    w = make_worker()
    parent = slack_api.add_message("C0THR", "UTHR", f"<@{BOT_USER_ID}> Which role suits a "
                              "backend developer with 6 years of Java?")
    w.event("EvThr1", mention("UTHR", "Which role suits a backend developer with 6 years of "
                              "Java?", parent, channel="C0THR"))
    slack_api.wait_for("chat.postMessage", 1)
    follow = slack_api.add_message("C0THR", "UTHR", f"<@{BOT_USER_ID}> and which books for that?",
                              thread_ts=parent)
    w.event("EvThr2", mention("UTHR", "and which books for that?", follow, channel="C0THR",
                              thread_ts=parent))
    reply = slack_api.wait_for("chat.postMessage", 2)[1]
    assert reply["thread_ts"] == parent
    assert slack_api.calls["conversations.replies"][0]["ts"] == parent
    trace = w.bot.store.get_trace(actions_of(reply["blocks"])[ACTION_UP])
    assert trace["follow_up"] is True and "backend developer" in trace["query"]


def test_direct_messages_are_answered_and_one_message_is_answered_once(make_worker, slack_api):
    w = make_worker()
    ts = "1700000002.000100"
    w.event("EvDm1", dm("UDM", "What should I learn first to become a data analyst?", ts))
    # the same message also delivered as app_mention (another event id): still one reply
    w.event("EvDm2", {**mention("UDM", "What should I learn first?", ts, channel="D0DM"),
                      "channel_type": "im"})
    # bot messages, edits and channel messages are not questions
    w.event("EvDm3", {**dm("UDM", "hi", "1700000002.000200"), "bot_id": "BOTHER"})
    w.event("EvDm4", {**dm("UDM", "hi", "1700000002.000300"), "subtype": "message_changed"})
    w.event("EvDm5", {**dm("UDM", "hi", "1700000002.000400"), "channel_type": "channel"})
    msg = slack_api.wait_for("chat.postMessage", 1)[0]
    assert msg["channel"] == "D0DM" and msg["thread_ts"] == ts
    assert slack_api.stays("chat.postMessage", 1, settle=0.5)


def test_empty_and_oversized_messages_get_the_hygiene_reply(make_worker, slack_api):
    w = make_worker()
    w.event("EvEmpty", mention("UHYG", "", "1700000003.000100"))
    w.event("EvLong", dm("UHYG", "x" * 4100, "1700000003.000200"))
    posted = slack_api.wait_for("chat.postMessage", 2)
    texts = sorted(m["blocks"][0]["text"]["text"] for m in posted)
    assert texts[0].startswith("Please type a question")
    assert texts[1].startswith("Your message is 4100 characters long")
    assert w.bot.store.history("slack:UHYG") == []


def test_rate_limit_is_per_slack_user(make_worker, slack_api):
    w = make_worker(rate_limit_per_min=2)
    for n in range(3):
        w.event(f"EvRate{n}", dm("URATE", "Which books teach deep learning?",
                                 f"1700000004.00010{n}"))
        slack_api.wait_for("chat.postMessage", n + 1)
    w.event("EvRateOther", dm("UCALM", "Which books teach deep learning?", "1700000004.000200"))
    posted = slack_api.wait_for("chat.postMessage", 4)
    slowed = [m for m in posted if m["text"] == copy.SLOW_DOWN]
    assert len(slowed) == 1 and slowed[0]["channel"] == "D0DM"
    assert posted[2]["text"] == copy.SLOW_DOWN and posted[3]["text"] != copy.SLOW_DOWN


# -- retries: exactly one reply ------------------------------------------------------------
def test_slack_retries_of_an_event_produce_one_reply(make_worker, slack_api):
    w = make_worker()
    event = dm("URETRY", "How do I prepare for ML interviews?", "1700000005.000100")
    assert w.event("EvRetry", event)[0] == 200
    for n in (1, 2):
        status, _ = w.event("EvRetry", event, **{"X-Slack-Retry-Num": str(n),
                                                  "X-Slack-Retry-Reason": "http_timeout"})
        assert status == 200
    slack_api.wait_for("chat.postMessage", 1)
    assert slack_api.stays("chat.postMessage", 1, settle=0.5)


def _two_workers_post_one_reply(make_worker: Callable[..., Worker], slack_api: FakeSlackAPI,
                                full_settings: Settings, url: str) -> None:
    """The same event reaches two workers at once (the second as Slack's retry)."""
    workers = [make_worker(bot=build_bot(full_settings, store=StateStore.open(url)))
               for _ in range(2)]  # separate bots, apps, servers and connections
    event = mention("UTWO", "What does a data engineer do?", "1700000006.000100")
    results: list[int] = []
    threads = [threading.Thread(target=lambda w=w, n=n: results.append(w.event(
        "EvTwo", event, **({"X-Slack-Retry-Num": "1"} if n else {}))[0]))
        for n, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200, 200]
    slack_api.wait_for("chat.postMessage", 1)
    assert slack_api.stays("chat.postMessage", 1, settle=0.5)


def test_two_workers_sharing_one_sqlite_store_post_one_reply(make_worker, slack_api, full_settings,
                                                             slack_store_url):
    _two_workers_post_one_reply(make_worker, slack_api, full_settings, slack_store_url)


@pytest.mark.server
def test_two_workers_sharing_postgresql_post_one_reply(make_worker, slack_api, full_settings):
    pg = pytest.importorskip("fakes.pg",
                             reason="tests/fakes/pg.py, the PostgreSQL helper of issue 14")
    url = Settings(_env_file=None, db_url=pg.shared_server().create_database()).state_url
    _two_workers_post_one_reply(make_worker, slack_api, full_settings, url)


def test_web_api_429_is_retried_after_retry_after(make_worker, slack_api):
    w = make_worker()
    slack_api.rate_limit_next("chat.postMessage", retry_after=1)
    w.event("Ev429", dm("U429", "Which courses teach machine learning?", "1700000007.000100"))
    slack_api.wait_for("chat.postMessage", 1)
    assert slack_api.attempts["chat.postMessage"] == 2


# -- the slash command and buttons ---------------------------------------------------------
def test_slash_command_answers_ephemerally_and_share_posts_in_channel(make_worker, slack_api):
    w = make_worker()
    slack_api.hold("response_url")
    status, body = w.command(QUESTION, "USLASH", slack_api.response_url("cmd"))
    assert status == 200 and body == ""  # acked while the answer is still held back
    assert slack_api.count("response_url") == 0
    slack_api.release()
    private = slack_api.wait_for("response_url", 1)[0]
    assert private["response_type"] == "ephemeral" and slack_api.count("chat.postMessage") == 0
    trace_id = actions_of(private["blocks"])[ACTION_SHARE]
    assert w.click(ACTION_SHARE, trace_id, "USLASH", slack_api.response_url("share"))[0] == 200
    shared, deleted = slack_api.wait_for("response_url", 3)[1:]
    assert shared["response_type"] == "in_channel" and "<@USLASH>" in json.dumps(shared)
    assert ACTION_SHARE not in actions_of(shared["blocks"])
    assert deleted.get("delete_original") is True
    # someone else's trace id is not theirs to share
    w.click(ACTION_SHARE, trace_id, "UOTHER", slack_api.response_url("steal"))
    refused = slack_api.wait_for("response_url", 4)[3]
    assert refused["text"] == copy.SLACK_SHARE_GONE


def test_slash_forget_deletes_the_users_data_and_help_assess_reply(make_worker, slack_api):
    w = make_worker()
    w.command("I'm a beginner aiming for data scientist, which books?", "UFORGET",
              slack_api.response_url("q"))
    slack_api.wait_for("response_url", 1)
    store = w.bot.store
    assert store.get_profile("slack:UFORGET") and store.history("slack:UFORGET")
    w.command("forget", "UFORGET", slack_api.response_url("forget"))
    gone = slack_api.wait_for("response_url", 2)[1]
    assert gone["text"].startswith("Done: ") and gone["response_type"] == "ephemeral"
    data = store.export_user("slack:UFORGET")
    assert all(data[t] == [] for t in ("profiles", "turns", "roadmaps", "traces"))
    w.command("help", "UFORGET", slack_api.response_url("help"))
    assert slack_api.wait_for("response_url", 3)[2]["text"] == copy.SLACK_HELP


def test_slash_assess_opens_the_checklist_and_stores_the_stage(make_worker, slack_api):
    pytest.importorskip("bot.learner.assess", reason="the self-assessment module (issue 13)")
    w = make_worker()
    w.command("assess", "UASSESS", slack_api.response_url("assess"))
    view = slack_api.wait_for("views.open", 1)[0]["view"]
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert view["callback_id"] == "careerbot_assess" and len(inputs) >= 6
    # a gap in the basics, everything else in place: placed at the first gap
    def choice(block: dict[str, Any], passing: bool) -> str:
        values = [o["value"] for o in block["element"]["options"]]
        return ("yes" if passing else "no") if "yes" in values else values[-1 if passing else 0]
    answers = {b["block_id"]: choice(b, not b["block_id"].startswith("bb-")) for b in inputs}
    status, body = send_signed(w.port, view_submission_form(view, answers, "UASSESS"), FORM)
    assert status == 200
    shown = json.loads(body)
    assert shown["response_action"] == "update"
    roadmap = w.bot.store.get_roadmap("slack:UASSESS")
    assert roadmap["current"] == "building-blocks" and roadmap["assessment"]["answers"]
    assert w.bot.corpus.stage_name("building-blocks") in json.dumps(shown["view"])
    # a missing answer is flagged on its question, nothing stored
    partial = dict(list(answers.items())[1:])
    status, body = send_signed(w.port, view_submission_form(view, partial, "UASSESS2"), FORM)
    assert json.loads(body)["response_action"] == "errors"
    assert w.bot.store.get_roadmap("slack:UASSESS2") == {}


def test_feedback_buttons_store_rows_in_the_shared_feedback_table(make_worker, slack_api):
    w = make_worker()
    w.event("EvFb", mention("UFB", QUESTION, "1700000008.000100"))
    trace_id = actions_of(slack_api.wait_for("chat.postMessage", 1)[0]["blocks"])[ACTION_DOWN]
    before = len(w.bot.store.feedback_rows())
    w.click(ACTION_DOWN, trace_id, "UFB", slack_api.response_url("down"))
    w.click(ACTION_UP, trace_id, "UFB2", None)  # no response_url: thanks via postEphemeral
    slack_api.wait_for("response_url", 1)
    slack_api.wait_for("chat.postEphemeral", 1)
    rows = [r for r in w.bot.store.feedback_rows()[before:] if r["trace_id"] == trace_id]
    assert sorted((r["user_id"], r["rating"]) for r in rows) == [("slack:UFB", -1),
                                                                 ("slack:UFB2", 1)]
    assert all(r["question"] == QUESTION and r["stage"] and r["answer"] for r in rows)


# -- signatures ----------------------------------------------------------------------------
def _bad_requests(body: str) -> dict[str, dict[str, str]]:
    good = signed_headers(body)
    now = int(time.time())
    old = str(now - 301)
    return {
        "missing signature": {k: v for k, v in good.items() if k != "X-Slack-Signature"},
        "missing timestamp": {k: v for k, v in good.items()
                              if k != "X-Slack-Request-Timestamp"},
        "wrong secret": signed_headers(body, secret="not-the-secret"),
        "garbled signature": {**good, "X-Slack-Signature": "v0=" + "0" * 64},
        "stale timestamp": signed_headers(body, timestamp=old),
        "future timestamp": signed_headers(body, timestamp=str(now + 301)),
        "replayed signature, new timestamp": {**good, "X-Slack-Request-Timestamp": str(now + 1)},
        "malformed timestamp": {**good, "X-Slack-Request-Timestamp": "abc"},
        "negative timestamp": {**good, "X-Slack-Request-Timestamp": "-1"},
    }


def test_unsigned_or_tampered_requests_get_401_and_nothing_runs(make_worker, slack_api):
    w = make_worker()
    body = json.dumps(event_payload("EvForged", mention("UEVIL", QUESTION, "1700000009.1")))
    for why, headers in _bad_requests(body).items():
        status, text = post(w.port, body, headers)
        assert status == 401, why
        assert "invalid request" in text
    tampered = body.replace("UEVIL", "UEVI2")
    assert post(w.port, tampered, signed_headers(body))[0] == 401
    challenge = json.dumps({"type": "url_verification", "challenge": "xyz"})
    assert post(w.port, challenge, {"Content-Type": "application/json"})[0] == 401
    assert w.server.rejected == len(_bad_requests(body)) + 2
    assert post(w.port, body, {**signed_headers(body), "Content-Length": "2000000"})[0] == 413
    assert post(w.port, body, signed_headers(body), path="/other")[0] == 404
    # nothing was processed: no Web API call beyond start-up, the event id never claimed
    assert slack_api.stays("chat.postMessage", 0, settle=0.3)
    assert sum(slack_api.attempts.values()) == slack_api.attempts["auth.test"] == 1
    assert w.bot.store.claim_event("EvForged") is True
    # a signed url_verification works, so the 401s above are the signatures' doing
    status, text = send_signed(w.port, challenge)
    assert status == 200 and "xyz" in text


def test_logs_hold_no_tokens_secret_or_rejected_bodies(make_worker, slack_api):
    from slack_bolt.request import BoltRequest

    from bot.logs import install_redaction

    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # the noisiest setting an operator could choose
    install_redaction()
    try:
        w = make_worker()
        canary = "CANARY-rejected-body-7731"
        forged = json.dumps(event_payload("EvLog", mention("ULOG", canary, "1700000010.1")))
        assert post(w.port, forged, signed_headers(forged, secret="wrong"))[0] == 401
        # bolt's own verification behind the front door: rejects and keeps the body out
        resp = w.app.dispatch(BoltRequest(body=forged, headers={
            **signed_headers(forged, secret="wrong"), "content-type": "application/json"}))
        assert resp.status == 401
        w.event("EvLogOk", mention("ULOG", QUESTION, "1700000010.2"))
        slack_api.wait_for("chat.postMessage", 1)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    logged = sink.getvalue()
    assert "rejected a request to /slack/events: bad signature" in logged
    assert "Invalid request signature detected (details withheld)" in logged
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, canary):
        assert secret not in logged


# -- Socket Mode ---------------------------------------------------------------------------
def test_socket_mode_event_gets_one_reply_and_retries_are_acked(full_settings, slack_api,
                                                                slack_bot):
    ws = FakeSocketMode().start()
    slack_api.socket_url = ws.url
    s = full_settings.model_copy(update={"slack_api_url": slack_api.url,
                                         "slack_bot_token": BOT_TOKEN,
                                         "slack_app_token": APP_TOKEN})
    handler = socket_handler(build_app(slack_bot, s), APP_TOKEN)
    try:
        handler.connect()
        assert wait_until(ws.connected, 10)
        payload = event_payload("EvSock", dm("USOCK", QUESTION, "1700000011.000100"))
        ws.send_event(payload, "env-1")
        ws.send_event(payload, "env-2", retry=1)
        msg = slack_api.wait_for("chat.postMessage", 1)[0]
        assert msg["channel"] == "D0DM" and msg["blocks"]
        assert wait_until(lambda: sorted(ws.acks) == ["env-1", "env-2"], 10)
        assert slack_api.stays("chat.postMessage", 1, settle=0.3)
        assert slack_api.count("apps.connections.open") == 1
    finally:
        handler.close()
        ws.stop()


# -- the command and the manifest ----------------------------------------------------------
@pytest.fixture(scope="module")
def cli_data(full_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the full index for `careerbot slack` processes (embedded Chroma is not
    shared between processes); their state store is created in it."""
    data = tmp_path_factory.mktemp("slack-cli") / "data"
    shutil.copytree(full_settings.data_dir, data, symlinks=True,
                    ignore=shutil.ignore_patterns("careerbot.db*"))
    return data


@pytest.mark.parametrize("mode,missing", [
    ("socket", "CAREERBOT_SLACK_BOT_TOKEN, CAREERBOT_SLACK_APP_TOKEN"),
    ("http", "CAREERBOT_SLACK_BOT_TOKEN, CAREERBOT_SLACK_SIGNING_SECRET"),
])
def test_careerbot_slack_without_credentials_exits_2_naming_them(mode, missing, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CAREERBOT_SLACK_MODE": mode,
           "CAREERBOT_DATA_DIR": str(tmp_path / "data")}
    run = subprocess.run([str(ROOT / ".venv/bin/careerbot"), "slack"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and f"missing: {missing}" in lines[0]
    assert not (tmp_path / "data").exists()  # nothing built before the check


@pytest.mark.slow
def test_careerbot_slack_http_mode_serves_signed_events(cli_data: Path, slack_api, tmp_path):
    data = cli_data
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CAREERBOT_SLACK_MODE": "http",
           "CAREERBOT_DATA_DIR": str(data), "CAREERBOT_SLACK_API_URL": slack_api.url,
           "CAREERBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
           "CAREERBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen([str(ROOT / ".venv/bin/careerbot"), "slack", "--port", "0"],
                            env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        for line in proc.stderr:  # type: ignore[union-attr]
            if "/slack/events" in line:
                break
        port = int(line.rsplit(":", 1)[1].split("/")[0])
        event = event_payload("EvCli", mention("UCLI", QUESTION, "1700000012.000100"))
        assert send_signed(port, json.dumps(event))[0] == 200
        assert slack_api.wait_for("chat.postMessage", 1)[0]["thread_ts"] == "1700000012.000100"
        assert post(port, json.dumps(event), {"X-Slack-Request-Timestamp": "abc"})[0] == 401
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0
    assert StateStore.open(f"sqlite:///{data / 'careerbot.db'}").history("slack:UCLI")


@pytest.mark.slow
def test_careerbot_slack_socket_mode_answers_over_the_websocket(cli_data: Path, slack_api,
                                                                tmp_path):
    data = cli_data
    ws = FakeSocketMode().start()
    slack_api.socket_url = ws.url
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CAREERBOT_DATA_DIR": str(data),
           "CAREERBOT_SLACK_API_URL": slack_api.url, "CAREERBOT_SLACK_BOT_TOKEN": BOT_TOKEN,
           "CAREERBOT_SLACK_APP_TOKEN": APP_TOKEN, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([str(ROOT / ".venv/bin/careerbot"), "slack"], env=env,
                            cwd=tmp_path, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(ws.connected, 60), "careerbot slack never connected"
        ws.send_event(event_payload("EvCliSock", dm("UCLIWS", QUESTION, "1700000013.1")), "e1")
        assert slack_api.wait_for("chat.postMessage", 1, timeout=30)[0]["channel"] == "D0DM"
        assert wait_until(lambda: ws.acks == ["e1"], 10)
    finally:
        proc.terminate()
        code = proc.wait(timeout=15)
        ws.stop()
    assert code == 0


def test_manifest_declares_what_the_app_uses():
    manifest = yaml.safe_load((ROOT / "ui" / "slack_manifest.yaml").read_text())
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_mention", "message.im"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/careerbot"
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "im:history",
            "channels:history", "groups:history"} <= scopes
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


# -- the same learner, the same answer, in every channel ------------------------------------
CONVERSATION = ("I have a portfolio with three NLP projects.", "What's my next step then?",
                "and after that?")


@pytest.mark.slow
@pytest.mark.server
def test_cli_web_and_slack_give_the_same_answers_as_the_chain_moves_forward(
        full_settings: Settings, make_worker, slack_api, tmp_path):
    """One conversation through the command line, the web app's /ask endpoint and Slack:
    each channel places the learner at the same link, moves forward the same way and cites
    the same sources with the same answer text (rendering apart)."""
    from fakes.webapp import ask, client, served, web_bot
    from test_cli import run

    cli_turns = []
    for text in CONVERSATION:
        out = run(["ask", "--json", "--user", "same-learner", text], full_settings)
        assert out.returncode == 0, out.stderr
        cli_turns.append(json.loads(out.stdout))
    web_turns = []
    with served(web_bot(full_settings, tmp_path), full_settings) as url:
        session = client(url)
        web_turns = [ask(session, text) for text in CONVERSATION]
    w = make_worker()
    slack_turns = []
    for n, text in enumerate(CONVERSATION, 1):
        # a ts no other test uses in this DM channel: Slack retries are told apart by it
        w.event(f"EvSame{n}", dm("USAME", text, f"1700000{100 + n}.000100"))
        slack_api.wait_for("chat.postMessage", n)
        trace_id = w.bot.store.history("slack:USAME", limit=2)[-1]["trace_id"]
        slack_turns.append(w.bot.store.get_trace(trace_id)["answer"])
    for turns in (cli_turns, web_turns, slack_turns):
        assert [t["stage"] for t in turns] == ["network-and-job", "network-and-job",
                                               "future-proof"], "the chain moves forward"
    for a, b, c in zip(cli_turns, web_turns, slack_turns, strict=True):
        assert a["stage"] == b["stage"] == c["stage"]
        assert [s["id"] for s in a["sources"]] == [s["id"] for s in b["sources"]] == [
            s["id"] for s in c["sources"]]
        assert a["answer"] == b["answer"] == c["answer"]
