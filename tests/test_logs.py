"""Logs never hold tokens, secrets, e-mail addresses or phone numbers (issue 10).

The redaction filter is checked on its own and on the real command: ``careerbot --debug ask``
over the openai backend (a fake OpenAI-compatible server on loopback), with an e-mail and a
phone number in the question and an API key in the settings, every library at DEBUG.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.fake_openai import fake_openai

from bot.logs import RedactingFilter, install_redaction, redact

SECRETS = {
    "slack bot token": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "slack user token": "xoxp-123456789012-1234567890123-abcdef",
    "slack app token": "xapp-1-A0123456789-1234567890123-0123abcd",
    "openai key": "sk-proj-AbCdEf0123456789GhIjKl",
    "bearer header": "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
    "api key setting": "CAREERBOT_LLM_API_KEY=abcdef0123456789",
    "password": "password: hunter2-but-longer",
    "signing secret": "signing secret=8f742231b10e8888abcd99yyyzzz85a5",
    "e-mail": "jane.doe+jobs@example.co.uk",
    "international phone": "+44 20 7946 0958",
    "us phone": "(555) 123-4567",
    "dotted phone": "555.123.4567",
}
SECRET_PARTS = {  # what must not survive of each
    "slack bot token": "AbCdEfGhIjKl", "slack user token": "1234567890123-abcdef",
    "slack app token": "A0123456789", "openai key": "AbCdEf0123456789",
    "bearer header": "eyJhbGciOiJIUzI1NiJ9", "api key setting": "abcdef0123456789",
    "password": "hunter2", "signing secret": "8f742231b10e", "e-mail": "jane.doe",
    "international phone": "7946 0958", "us phone": "123-4567", "dotted phone": "123.4567",
}
KEPT = ["built at 2026-11-25T09:41:15+0000", "listening on 127.0.0.1:8000",
        "stage 3 of 6, 5 hours a week", "trace 02fbeb08b4854d42bf46869ceb854a1b",
        "python 3.11.7", "collection careerbot-20261125094115-e62977"]


@pytest.mark.parametrize("kind", SECRETS)
def test_redact_removes_each_kind_of_secret(kind):
    line = f"user said: {SECRETS[kind]} (end)"
    out = redact(line)
    assert SECRET_PARTS[kind] not in out, out
    assert out.startswith("user said: ") and out.endswith("(end)")


@pytest.mark.parametrize("text", KEPT)
def test_redact_keeps_dates_addresses_and_ids(text):
    assert redact(text) == text


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing to a buffer through a handler with the redaction filter installed."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("careerbot-test-redaction")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    install_redaction(log)
    install_redaction(log)  # idempotent
    yield log, buf
    log.removeHandler(handler)


def test_filter_redacts_arguments_and_is_installed_once(captured):
    log, buf = captured
    assert sum(isinstance(f, RedactingFilter) for f in log.handlers[0].filters) == 1
    log.debug("question from %s: %s", SECRETS["e-mail"], SECRETS["slack bot token"])
    log.info({"token": SECRETS["openai key"]})
    out = buf.getvalue()
    assert SECRET_PARTS["e-mail"] not in out and "AbCdEf" not in out
    assert "[email]" in out and "[slack-token]" in out and "[api-key]" in out


def test_tracebacks_are_redacted_too(captured):
    log, buf = captured
    try:
        raise RuntimeError(f"Slack refused {SECRETS['slack bot token']} for {SECRETS['e-mail']}")
    except RuntimeError:
        log.exception("call failed")
    out = buf.getvalue()
    assert "Traceback" in out and "RuntimeError: Slack refused [slack-token]" in out
    assert SECRET_PARTS["slack bot token"] not in out and SECRET_PARTS["e-mail"] not in out


@pytest.mark.slow
def test_debug_run_never_logs_the_users_email_phone_or_api_key(full_settings, tmp_path):
    email, phone, key = "jane.doe@example.com", "+44 20 7946 0958", "sk-live-0123456789abcdefXYZ"
    question = (f"I'm Jane ({email}, {phone}), a backend developer. How do I become a machine "
                "learning engineer?")
    with fake_openai() as fake:
        env = {**os.environ, "CAREERBOT_DATA_DIR": str(full_settings.data_dir),
               "CAREERBOT_LLM": "openai", "CAREERBOT_LLM_BASE_URL": fake.url,
               "CAREERBOT_LLM_MODEL": "fake-model", "CAREERBOT_LLM_API_KEY": key}
        careerbot = Path(sys.executable).parent / "careerbot"
        result = subprocess.run([str(careerbot), "--debug", "ask", question, "--user", "jane"],
                                env=env, text=True, capture_output=True, timeout=180)
        sent = [m["content"] for r in fake.answer_calls() for m in r["messages"]]
    assert result.returncode == 0, result.stderr[-2000:]
    assert any(email in text for text in sent), "the question went through the HTTP client"
    logs = result.stderr
    assert "DEBUG openai" in logs and "DEBUG chromadb" in logs, "libraries logged at DEBUG"
    for secret in (email, "jane.doe", "7946 0958", key, "0123456789abcdef"):
        assert secret not in logs, f"{secret!r} leaked into the logs"
