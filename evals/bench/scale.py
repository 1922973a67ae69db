"""Benchmark parts that run in other processes: scale builds and probes, servers, cold starts.

Each synthetic build and each probe runs in its own fresh process
(``python -m evals.bench.scale``), so peak RSS is that of one careerbot reader at that size and
no two processes write one embedded Chroma directory; the probe answers with one JSON line on
stdout. Cold starts and the web app are real ``careerbot`` processes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from bot.settings import Settings
from index.chunking import Chunk

PREFIX = "bench"
ADD_BATCH = 1000


def bench_settings(data_dir: Path, corpus_dir: Path, chroma_url: str | None = None,
                   **extra: Any) -> Settings:
    """Settings for a bench run: explicit, so a developer's CAREERBOT_* values cannot leak in."""
    values: dict[str, Any] = {"data_dir": data_dir, "corpus_dir": corpus_dir,
                              "chroma_url": chroma_url, "db_url": None, "llm": "none",
                              "collection_prefix": PREFIX}
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def percentiles(seconds: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    arr = np.asarray(seconds) * 1000.0
    return round(float(np.percentile(arr, 50)), 2), round(float(np.percentile(arr, 95)), 2)


def peak_rss_mb() -> float:
    """This process's peak RSS; VmHWM (unlike ru_maxrss) is not inherited from a big parent."""
    hwm = process_peak_rss_mb(os.getpid())
    if hwm is not None:
        return hwm
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)  # KB on Linux


# -- base set on disk (real chunks + vectors) ------------------------------------------------
def save_base(path: Path, chunks: list[Chunk], vectors: np.ndarray) -> None:
    path.mkdir(parents=True, exist_ok=True)
    np.save(path / "vectors.npy", vectors.astype(np.float32))
    (path / "chunks.json").write_text(json.dumps(
        [{"id": c.id, "text": c.text, "meta": c.metadata} for c in chunks]))


def load_base(path: Path) -> Any:
    from evals.bench.synthetic import BaseSet

    rows = json.loads((path / "chunks.json").read_text())
    chunks = [Chunk(r["id"], r["text"], r["meta"]) for r in rows]
    return BaseSet(chunks, np.load(path / "vectors.npy"))


# -- build ----------------------------------------------------------------------------------
def build_synthetic_index(settings: Settings, base_dir: Path, total: int,
                          seed: int = 0) -> dict[str, Any]:
    """Write real + synthetic chunks (``total`` in all) as a normal careerbot index."""
    from itertools import chain

    from bot.app import make_chroma
    from evals.bench.synthetic import synthetic_batches
    from index.build import new_collection_name, switch_manifest, write_records

    started = time.perf_counter()
    base = load_base(base_dir)
    client, manifests = make_chroma(settings)
    name = new_collection_name(PREFIX)
    real = base.chunks[:total]
    parts = chain([(real, base.vectors[:len(real)])],
                  synthetic_batches(base, max(0, total - len(real)), seed=seed))
    hashes = write_records(client, settings.data_dir, name, parts, batch=ADD_BATCH)
    # The hashes size the bot's dense queries: without them dense search returns nothing.
    switch_manifest(manifests, name, corpus_hash=f"synthetic-{total}-{seed}",
                    quantization=settings.quantization, chunk_hashes=hashes)
    return {"chunks": len(hashes), "build_s": round(time.perf_counter() - started, 2)}


# -- probe ----------------------------------------------------------------------------------
def probe(settings: Settings, questions: list[str], k: int = 8) -> dict[str, Any]:
    """Open the index like the bot does and time hybrid retrieval (embed+dense+BM25+fusion)."""
    from bot.answer.retrieval import HybridRetriever
    from bot.app import make_chroma, make_encoder, offline_env
    from index.reader import open_index

    offline_env()
    t0 = time.perf_counter()
    client, manifests = make_chroma(settings)
    retriever = HybridRetriever(index=open_index(client, manifests, settings.data_dir),
                                encoder=make_encoder(settings))
    open_s = time.perf_counter() - t0
    for q in questions[:5]:
        retriever.search(q, k=k)
    times = []
    for q in questions:
        t = time.perf_counter()
        retriever.search(q, k=k)
        times.append(time.perf_counter() - t)
    p50, p95 = percentiles(times)
    # Proof the timed path ran both retrievers (an index without chunk hashes skips dense).
    dense_hits = sum(h.dense_rank is not None for h in retriever.search(questions[0], k=k))
    return {"chunks": retriever.index.collection.count(), "n": len(times),
            "dense_hits": dense_hits,
            "retrieval_p50_ms": p50, "retrieval_p95_ms": p95,
            "open_s": round(open_s, 2), "peak_rss_mb": peak_rss_mb()}


# -- Chroma server ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chroma_executable() -> str:
    exe = Path(sys.executable).parent / "chroma"
    return str(exe) if exe.exists() else "chroma"


@contextmanager
def chroma_server(path: Path, log_file: Path, timeout: float = 60.0) -> Iterator[Any]:
    """``chroma run`` on loopback; yields ``(url, process)``; stopped on exit."""
    port = free_port()
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
    with log_file.open("wb") as log:
        proc = subprocess.Popen(
            [chroma_executable(), "run", "--path", str(path), "--host", "127.0.0.1",
             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"chroma server exited early; see {log_file}")
                try:
                    with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"chroma server did not start; see {log_file}") from None
                    time.sleep(0.2)
            yield url, proc
        finally:
            stop(proc, 10)


def stop(proc: subprocess.Popen[Any], timeout: float) -> None:
    """Terminate a child, killing it if it has not exited within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def process_peak_rss_mb(pid: int) -> float | None:
    """Peak RSS (VmHWM) of a running process, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        return None
    return None


# -- careerbot processes -----------------------------------------------------------------------
def careerbot_cmd() -> list[str]:
    script = Path(sys.executable).parent / "careerbot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ui.cli"]


def child_env(settings: Settings, encoder: str | None = None) -> dict[str, str]:
    """The environment of a ``careerbot`` child over ``settings``' index (its data dir,
    corpus and precision: a child at another precision would rebuild or re-encode)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERBOT_")}
    env.update(CAREERBOT_DATA_DIR=str(settings.data_dir),
               CAREERBOT_CORPUS_DIR=str(settings.corpus_dir),
               CAREERBOT_ENCODER=encoder or settings.encoder,
               CAREERBOT_QUANTIZATION=settings.quantization, CAREERBOT_COLLECTION_PREFIX=PREFIX,
               CAREERBOT_LLM="none", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               ANONYMIZED_TELEMETRY="False", GRADIO_ANALYTICS_ENABLED="False")
    return env


def cold_start(settings: Settings, encoder: str, question: str) -> float:
    """Seconds from process start to the first ``careerbot ask --json`` answer on stdout."""
    env = child_env(settings, encoder)
    t0 = time.perf_counter()
    proc = subprocess.Popen([*careerbot_cmd(), "ask", "--json", question], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    took = time.perf_counter() - t0
    _, err = proc.communicate(timeout=120)
    if proc.returncode != 0 or "answer" not in json.loads(line or "{}"):
        raise RuntimeError(f"cold start run failed: {err.strip()[-300:]}")
    return took


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the web app exited before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the web app did not answer at {url} within {timeout:.0f} s")


# -- subprocess entry points --------------------------------------------------------------------
def run_child(args: list[str], timeout: float = 3600) -> dict[str, Any]:
    """Run ``python -m evals.bench.scale ARGS`` and return its JSON line."""
    root = Path(__file__).resolve().parents[2]  # the checkout: evals/bench/scale.py
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "evals.bench.scale", *args], cwd=root,
                          env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"bench child {args[0]} failed: {tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m evals.bench.scale")
    parser.add_argument("action", choices=["build", "probe"])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--corpus-dir", type=Path, required=True)
    parser.add_argument("--chroma-url", default=None)
    parser.add_argument("--base", type=Path, help="build: folder written by save_base")
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--questions", type=Path, help="probe: JSON list of questions")
    args = parser.parse_args(argv)
    settings = bench_settings(args.data_dir, args.corpus_dir, args.chroma_url)
    if args.action == "build":
        out = build_synthetic_index(settings, args.base, args.chunks)
    else:
        out = probe(settings, json.loads(args.questions.read_text()))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
