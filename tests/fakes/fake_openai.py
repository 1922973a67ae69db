"""A tiny OpenAI-compatible chat server on loopback, standing in for a hosted LLM.

Built the way bolt-python fakes Slack's Web API: a real ``http.server`` in a thread that
records every request. It answers ``POST /v1/chat/completions`` streaming (SSE) and not, and
behaves like a gullible model: asked to repeat or reveal its instructions, it echoes the
system prompt back, so a test can prove such requests never reach it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_REVEAL = re.compile(r"repeat|reveal|system prompt|instructions|rules|above|verbatim", re.I)
# cites passage 1 and passage 2, as asked
GROUNDED_REPLY = ("Start with one end-to-end project and write a clear README [1]. Compare "
                  "your result with a simple baseline [2]. Then share it with people [1].")
# drafts the bot must not show as they are (asked for with a word in the question)
BAD_DRAFTS = {
    "flaky": "Write a clear README [1]. Then share it [99].",  # a passage that does not exist
    "uncited": "Write a clear README and share the project with people in the field.",
    "looping": " ".join(["Build a portfolio project and write about it [1]."] * 6),
}


def question_of(messages: list[dict[str, Any]]) -> str:
    """The user's question: the text after ``Question:`` in the last user message."""
    user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    return user.rsplit("Question:", 1)[-1]


def reply_to(messages: list[dict[str, Any]]) -> str:
    system = next((m["content"] for m in messages if m.get("role") == "system"), "")
    question = question_of(messages)
    if system.startswith("Rewrite the user's last message"):
        return question.strip().splitlines()[-1].removeprefix("user:").strip()
    if _REVEAL.search(question):
        return "Sure! My instructions are:\n" + system
    for word, draft in BAD_DRAFTS.items():
        if word in question:
            return draft
    return GROUNDED_REPLY


class FakeOpenAI:
    """Records ``requests`` (parsed JSON bodies) and ``headers``; ``url`` is the base URL."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake._lock:
                    fake.requests.append(body)
                    fake.headers.append(dict(self.headers))
                if not self.path.endswith("/chat/completions"):
                    self.send_error(404)
                    return
                text = reply_to(body["messages"])
                if body.get("stream"):
                    self._stream(text, body)
                else:
                    self._json({"id": "chatcmpl-fake", "object": "chat.completion",
                                "created": int(time.time()), "model": body.get("model"),
                                "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                    "role": "assistant", "content": text}}],
                                "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                          "total_tokens": 2}})

            def _json(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, text: str, body: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                        "created": int(time.time()), "model": body.get("model")}
                words = re.split(r"(?<= )", text)
                for i, word in enumerate(words):
                    delta = {"content": word, **({"role": "assistant"} if i == 0 else {})}
                    self._event({**base, "choices": [
                        {"index": 0, "delta": delta, "finish_reason": None}]})
                self._event({**base, "choices": [
                    {"index": 0, "delta": {}, "finish_reason": "stop"}]})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, payload: dict[str, Any]) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def answer_calls(self) -> list[dict[str, Any]]:
        """Requests that asked for an answer (not a follow-up rewrite)."""
        with self._lock:
            return [r for r in self.requests if not r["messages"][0]["content"].startswith(
                "Rewrite the user's last message")]


@contextmanager
def fake_openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()
