"""Load on a running web app through its public API, the way many users would hit it.

``web_load(url, concurrency, n)`` opens ``concurrency`` gradio_client sessions (one per
simulated user), releases them together and sends ``n`` questions to ``/ask`` in total. Each
request ends as answered, refused because the queue is full (``QueueError``), slowed down by
the per-session rate limit, or an error; a healthy app has zero errors. Used by the tests and
by ``careerbot bench``; it measures, it does not judge.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

QUESTIONS = (
    "How do I start a career in AI?",
    "Which skills does a data scientist need?",
    "What are good free courses for machine learning?",
    "Which portfolio projects should I build as an ML engineer?",
    "How do I prepare for a machine learning interview?",
    "How do I keep my AI skills current?",
    "What does an AI engineer do day to day?",
    "Which maths do I need for deep learning?",
)


def _client(url: str, timeout_s: float) -> Any:
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=False,
                  httpx_kwargs={"timeout": timeout_s})


def _one(client: Any, question: str) -> tuple[str, float, str]:
    """Outcome of one request (answered, busy, rate_limited, error), latency, error text."""
    from gradio_client.utils import QueueError

    t0 = time.perf_counter()
    try:
        out = client.predict(question, api_name="/ask")
    except QueueError:
        return "busy", time.perf_counter() - t0, ""
    except Exception as exc:  # anything else counts against the app
        return "error", time.perf_counter() - t0, f"{type(exc).__name__}: {exc}"[:200]
    took = time.perf_counter() - t0
    if not isinstance(out, dict) or "answer" not in out:
        return "error", took, f"not an answer object: {str(out)[:100]}"
    if out.get("problem") == "rate_limited":
        return "rate_limited", took, ""
    if out.get("problem"):
        return "error", took, f"refused: {out['problem']}"
    return "answered", took, ""


def web_load(url: str, concurrency: int, n: int, questions: tuple[str, ...] = QUESTIONS,
             timeout_s: float = 60.0) -> dict[str, Any]:
    """Send ``n`` questions over ``concurrency`` concurrent sessions; return counts and rates.

    ``timeout_s`` bounds each HTTP call (gradio_client's own default is 5 s, shorter than a
    person waits in a busy queue); a call that still times out counts as an error.

    Keys: concurrency, n, answered, busy, rate_limited, errors, seconds, answers_per_s,
    p50_ms and p95_ms (latency of answered requests), error_samples (up to 3 messages).
    """
    if concurrency < 1 or n < 1:
        raise ValueError("concurrency and n must be at least 1")
    with ThreadPoolExecutor(max_workers=min(concurrency, 16)) as pool:
        clients = list(pool.map(lambda _: _client(url, timeout_s), range(concurrency)))
    start = threading.Barrier(concurrency)
    shares = [list(range(i, n, concurrency)) for i in range(concurrency)]

    def worker(i: int) -> list[tuple[str, float, str]]:
        start.wait()
        return [_one(clients[i], questions[j % len(questions)]) for j in shares[i]]

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = [r for rs in pool.map(worker, range(concurrency)) for r in rs]
        seconds = time.perf_counter() - t0
        list(pool.map(lambda c: c.close(), clients))  # each close waits up to 1 s
    counts = Counter(outcome for outcome, _, _ in results)
    lat = sorted(s * 1000 for outcome, s, _ in results if outcome == "answered")
    return {
        "concurrency": concurrency, "n": n, "answered": counts["answered"],
        "busy": counts["busy"], "rate_limited": counts["rate_limited"],
        "errors": counts["error"], "seconds": round(seconds, 3),
        "answers_per_s": round(counts["answered"] / seconds, 2) if seconds else 0.0,
        "p50_ms": round(statistics.median(lat), 1) if lat else None,
        "p95_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.95))], 1) if lat else None,
        "error_samples": list(dict.fromkeys(e for _, _, e in results if e))[:3],
    }
