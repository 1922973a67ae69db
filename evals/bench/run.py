"""``careerbot bench``: speed and scale figures, measured against the raw limits in one run.

Everything runs on a copy of the corpus in a temp work dir: one index per encoder
(sentence-transformers, ONNX fp32, ONNX int8), the raw sentence-transformers encode of the same
chunks, query latency over generated questions, a plain LangChain ``Chroma.similarity_search``
baseline, cold starts of fresh ``careerbot ask --json`` processes, synthetic indexes at 10k
and 100k chunks (embedded and on a Chroma server), and web throughput when a load function is
passed in. It prints figures; nothing here asserts a time.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.settings import Settings
from evals.bench.machine import machine_info
from evals.bench.scale import (
    bench_settings,
    careerbot_cmd,
    child_env,
    chroma_server,
    cold_start,
    free_port,
    percentiles,
    process_peak_rss_mb,
    run_child,
    save_base,
    stop,
    wait_http,
)
from evals.bench.targets import check_targets

ENCODERS: dict[str, dict[str, str]] = {
    "sentence-transformers": {"encoder": "sentence-transformers", "quantization": "fp32"},
    "onnx-fp32": {"encoder": "onnx", "quantization": "fp32"},
    "onnx-int8": {"encoder": "onnx", "quantization": "int8"},
}
# the default configuration: its figures fill the INTERFACES keys
MAIN = f"onnx-{Settings.model_fields['quantization'].default}"
WebLoad = Callable[[str, int, int], dict[str, Any]]


@dataclass
class BenchConfig:
    """What to measure and how much; ``quick()`` and ``full()`` are the two CLI presets."""

    corpus_dir: Path
    questions: int = 200
    encoders: tuple[str, ...] = tuple(ENCODERS)
    cold_runs: int = 5
    cold_paths: tuple[str, ...] = ("onnx", "sentence-transformers")
    scale_sizes: tuple[int, ...] = (10_000, 100_000)
    scale_backends: tuple[str, ...] = ("embedded", "server")
    web_concurrency: tuple[int, ...] = (10, 50)
    web_per_session: int = 4
    onnx_export: Path | None = None  # reuse an export instead of timing a fresh one
    workdir: Path | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def full(cls, corpus_dir: Path) -> BenchConfig:
        return cls(corpus_dir=corpus_dir)

    @classmethod
    def quick(cls, corpus_dir: Path, onnx_export: Path | None = None) -> BenchConfig:
        """Under 5 minutes on 2 cores: 10k scale only, fewer repetitions, no index built with
        sentence-transformers (its raw encode is still measured), an existing ONNX export."""
        return cls(corpus_dir=corpus_dir, encoders=("onnx-fp32", "onnx-int8"), cold_runs=3,
                   scale_sizes=(10_000,), web_per_session=2, onnx_export=onnx_export)


class Bench:
    """One benchmark run in a temp work dir; ``run()`` returns the Bench JSON."""

    def __init__(self, cfg: BenchConfig, web_load: WebLoad | None = None,
                 say: Callable[[str], None] = print):
        self.cfg = cfg
        self.web_load = web_load
        self.say = say
        self.work = cfg.workdir or Path(tempfile.mkdtemp(prefix="careerbot-bench-"))
        self.corpus = self.work / "corpus"
        self.extra: dict[str, Any] = {}

    # -- setup ------------------------------------------------------------------------------
    def settings(self, name: str, **extra: Any) -> Any:
        data = self.work / f"idx-{name}"
        data.mkdir(parents=True, exist_ok=True)
        if not (data / "onnx").exists():
            (data / "onnx").symlink_to(self.export, target_is_directory=True)
        opts = ENCODERS.get(name, ENCODERS[MAIN])
        return bench_settings(data, self.corpus, **{**opts, **extra})

    def prepare(self) -> None:
        from bot.app import offline_env
        from corpus.loader import load_corpus
        from evals.bench.synthetic import bench_questions
        from index.embedder import export_onnx

        offline_env()
        shutil.copytree(self.cfg.corpus_dir, self.corpus)
        self.questions = bench_questions(load_corpus(self.corpus), self.cfg.questions)
        (self.work / "questions.json").write_text(json.dumps(self.questions))
        if self.cfg.onnx_export:
            self.export = self.cfg.onnx_export
        else:
            self.say("exporting the model to ONNX...")
            t = time.perf_counter()
            self.export = export_onnx(self.work / "export")
            self.extra["onnx_export_s"] = round(time.perf_counter() - t, 2)

    # -- index ------------------------------------------------------------------------------
    def index_section(self) -> dict[str, Any]:
        """Build throughput per encoder, each right after a raw encode of the same chunks.

        The pairs run back to back, so each ratio compares runs under the same machine load
        (other processes on a 2-core box move single figures by 2x or more).
        """
        from bot.app import make_encoder, run_index
        from corpus.loader import load_corpus
        from index.chunking import chunk_corpus
        from index.embedder import SentenceTransformerEncoder

        chunks = chunk_corpus(load_corpus(self.corpus))
        texts = [c.text for c in chunks]
        st = SentenceTransformerEncoder()
        st.encode(texts[:8])
        self.st_embed = _timed(lambda q: st.encode([q]), self.questions)
        self.chunks = chunks
        by_encoder: dict[str, dict[str, float]] = {}
        for name in self.cfg.encoders:
            self.say(f"raw sentence-transformers encode, then the index with {name}...")
            t = time.perf_counter()
            self.st_vectors = st.encode(texts, batch_size=32)
            raw = len(texts) / (time.perf_counter() - t)
            t = time.perf_counter()
            run_index(self.settings(name))
            build = len(texts) / (time.perf_counter() - t)
            by_encoder[name] = {"build_chunks_per_s": round(build, 2),
                                "raw_encode_chunks_per_s": round(raw, 2),
                                "ratio": round(build / raw, 3)}
        self.say("re-indexing after one edited guide...")
        main_name = MAIN if MAIN in by_encoder else next(iter(by_encoder))
        main_settings = self.settings(main_name)
        # beyond start-up: the model is loaded already, as in any process that has started
        encoder = make_encoder(main_settings)
        _edit_one_guide(self.corpus)
        t = time.perf_counter()
        report = run_index(main_settings, encoder=encoder)
        reindex = time.perf_counter() - t
        main = by_encoder[main_name]
        return {"chunks": len(texts), "build_chunks_per_s": main["build_chunks_per_s"],
                "raw_encode_chunks_per_s": main["raw_encode_chunks_per_s"],
                "ratio": main["ratio"], "reindex_one_doc_s": round(reindex, 3),
                "reindex_embedded_chunks": report.embedded, "encoder": main_name,
                "reindex_cli": self.reindex_cli(main_settings), "by_encoder": by_encoder}

    def reindex_cli(self, s: Any) -> dict[str, float]:
        """The same edit as a user makes it: fresh ``careerbot index`` processes, one with
        nothing to do (its time is start-up: imports, store, corpus) and one after the edit."""
        env = child_env(s)

        def one_run(expect: str) -> float:
            t = time.perf_counter()
            done = subprocess.run([*careerbot_cmd(), "index"], env=env, check=True,
                                  capture_output=True, text=True, timeout=600)
            took = time.perf_counter() - t
            if expect not in done.stdout + done.stderr:
                raise RuntimeError(f"careerbot index did not say '{expect}': "
                                   f"{(done.stdout + done.stderr).strip()[-200:]}")
            return took

        idle = one_run("unchanged")
        _edit_one_guide(self.corpus)
        edited = one_run("updated 1")
        return {"no_change_s": round(idle, 3), "edited_s": round(edited, 3),
                "beyond_start_up_s": round(edited - idle, 3)}

    # -- query ------------------------------------------------------------------------------
    def query_section(self) -> dict[str, Any]:
        from bot.app import build_bot

        qs = self.questions
        by_encoder: dict[str, Any] = {}
        out: dict[str, Any] = {"n": len(qs)}
        for name in self.cfg.encoders:
            self.say(f"query latency with {name} ({len(qs)} questions)...")
            bot = build_bot(self.settings(name))
            enc, retr = bot.retriever.encoder, bot.retriever
            for q in qs[:5]:
                retr.search(q, k=8)
            embed = _timed(lambda q, e=enc: e.encode([q]), qs)
            search = _timed(lambda q, r=retr: r.search(q, k=8), qs)
            row = {"embed_p50_ms": embed[0], "embed_p95_ms": embed[1],
                   "retrieval_p50_ms": search[0], "retrieval_p95_ms": search[1]}
            if name == MAIN:
                answer = _timed(lambda q, b=bot: b.ask(q), qs)
                out.update(retrieval_p50_ms=search[0], retrieval_p95_ms=search[1],
                           answer_p50_ms=answer[0], answer_p95_ms=answer[1])
            by_encoder[name] = row
        if "sentence-transformers" not in by_encoder:  # no index built with it: embed only
            by_encoder["sentence-transformers"] = {"embed_p50_ms": self.st_embed[0],
                                                   "embed_p95_ms": self.st_embed[1]}
        if MAIN not in by_encoder:
            first = next(iter(by_encoder.values()))
            out.update(retrieval_p50_ms=first["retrieval_p50_ms"],
                       retrieval_p95_ms=first["retrieval_p95_ms"],
                       answer_p50_ms=None, answer_p95_ms=None)
        self.say("baseline: LangChain Chroma.similarity_search...")
        base = self.baseline()
        out["baseline_similarity_search_p50_ms"] = base[0]
        out["baseline_similarity_search_p95_ms"] = base[1]
        out["by_encoder"] = by_encoder
        return out

    def baseline(self) -> tuple[float, float]:
        """A plain LangChain pipeline over the same chunks (vectors from the raw encode)."""
        import chromadb
        from langchain_chroma import Chroma
        from langchain_huggingface import HuggingFaceEmbeddings

        from index.build import new_collection
        from index.embedder import model_dir
        from index.store import chroma_settings

        client = chromadb.PersistentClient(path=str(self.work / "baseline"),
                                           settings=chroma_settings())
        col = new_collection(client, "baseline")  # the space our indexes use
        for s in range(0, len(self.chunks), 256):
            part = self.chunks[s:s + 256]
            col.add(ids=[c.id for c in part], embeddings=self.st_vectors[s:s + 256],
                    documents=[c.text for c in part])
        emb = HuggingFaceEmbeddings(model_name=str(model_dir()),
                                    model_kwargs={"device": "cpu"},
                                    encode_kwargs={"normalize_embeddings": True})
        store = Chroma(client=client, collection_name="baseline", embedding_function=emb)
        for q in self.questions[:5]:
            store.similarity_search(q, k=5)
        return _timed(lambda q: store.similarity_search(q, k=5), self.questions)

    # -- cold start -------------------------------------------------------------------------
    def cold_section(self) -> dict[str, Any]:
        s = self.settings(MAIN)
        out: dict[str, Any] = {}
        for path in self.cfg.cold_paths:
            encoder = "onnx" if path == "onnx" else "sentence-transformers"
            self.say(f"cold start, {path} path ({self.cfg.cold_runs} fresh processes)...")
            runs = [cold_start(s, encoder, self.questions[i])
                    for i in range(self.cfg.cold_runs)]
            out[path] = {"median_s": round(statistics.median(runs), 3),
                         "runs_s": [round(r, 3) for r in runs]}
        return out

    # -- scale ------------------------------------------------------------------------------
    def scale_section(self) -> list[dict[str, Any]]:
        s = self.settings(MAIN)
        from bot.app import make_chroma
        from index.reader import open_index

        client, manifests = make_chroma(s)
        opened = open_index(client, manifests, s.data_dir)
        got = opened.collection.get(include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        chunks = [c for c in self.chunks if c.id in by_id]
        save_base(self.work / "base", chunks, np.stack([by_id[c.id] for c in chunks]))
        rows = []
        for size in self.cfg.scale_sizes:
            for backend in self.cfg.scale_backends:
                self.say(f"scale: {size} chunks, {backend}...")
                rows.append(self.scale_one(size, backend))
        return rows

    def scale_one(self, size: int, backend: str) -> dict[str, Any]:
        data = self.work / f"scale-{size}-{backend}"
        data.mkdir()
        (data / "onnx").symlink_to(self.export, target_is_directory=True)
        args = ["--data-dir", str(data), "--corpus-dir", str(self.corpus)]
        build = ["build", *args, "--base", str(self.work / "base"), "--chunks", str(size)]
        probe = ["probe", *args, "--questions", str(self.work / "questions.json")]
        if backend == "embedded":
            built = run_child(build)
            got = run_child(probe)
            server_rss = None
        else:
            with chroma_server(data / "server", data / "server.log") as (url, proc):
                built = run_child([*build, "--chroma-url", url])
                got = run_child([*probe, "--chroma-url", url])
                server_rss = process_peak_rss_mb(proc.pid)
        row = {"chunks": got["chunks"], "backend": backend,
               "retrieval_p50_ms": got["retrieval_p50_ms"],
               "retrieval_p95_ms": got["retrieval_p95_ms"], "peak_rss_mb": got["peak_rss_mb"],
               "open_s": got["open_s"], "build_s": built["build_s"],
               "dense_hits": got["dense_hits"]}
        if backend == "server":
            row["server_peak_rss_mb"] = server_rss
        shutil.rmtree(data, ignore_errors=True)
        return row

    # -- web --------------------------------------------------------------------------------
    def web_section(self) -> list[dict[str, Any]]:
        if self.web_load is None or not self.cfg.web_concurrency:
            self.cfg.notes.append("web: no load function given; web throughput not measured")
            return []
        s = self.settings(MAIN)
        port = free_port()
        env = child_env(s, "auto")
        env["CAREERBOT_WEB_QUEUE_SIZE"] = str(max(64, 2 * max(self.cfg.web_concurrency)))
        log = (self.work / "web.log").open("wb")
        proc = subprocess.Popen([*careerbot_cmd(), "web", "--port", str(port)], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
        rows = []
        try:
            wait_http(url, proc, 120)
            for c in self.cfg.web_concurrency:
                self.say(f"web: {c} concurrent sessions...")
                got = self.web_load(url, c, c * self.cfg.web_per_session)
                rows.append({"concurrency": c, "answers_per_s": got["answers_per_s"],
                             "errors": got["errors"], "n": got["n"],
                             "answered": got["answered"], "busy": got.get("busy", 0),
                             "rate_limited": got.get("rate_limited", 0),
                             "p50_ms": got.get("p50_ms"), "p95_ms": got.get("p95_ms")})
        finally:
            stop(proc, 15)
            log.close()
        return rows

    # -- all ----------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        result: dict[str, Any] = {"machine": machine_info()}
        try:
            self.prepare()
            result["index"] = self.index_section()
            result["query"] = self.query_section()
            cold = self.cold_section()
            result["cold_start_s"] = cold.get("onnx", next(iter(cold.values()), {})).get(
                "median_s")
            result["cold_start"] = cold
            result["scale"] = self.scale_section() if self.cfg.scale_sizes else []
            result["web"] = self.web_section()
        finally:
            if self.cfg.workdir is None:
                shutil.rmtree(self.work, ignore_errors=True)
        result.update(self.extra)
        result["machine"]["loadavg_end"] = round(os.getloadavg()[0], 2)
        result["bench_s"] = round(time.perf_counter() - started, 1)
        result["notes"] = self.cfg.notes
        result["targets"] = check_targets(result)
        return result


def _timed(fn: Callable[[str], Any], questions: list[str]) -> tuple[float, float]:
    times = []
    for q in questions:
        t = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - t)
    return percentiles(times)


def _edit_one_guide(corpus: Path) -> None:
    """Append a sentence to one guide (the first by path), as an author's small edit."""
    guide = sorted((corpus / "guides").rglob("*.md"))[0]
    guide.write_text(guide.read_text(encoding="utf-8").rstrip() + "\n\nOne more practical "
                     "tip: write down what you learned each week.\n", encoding="utf-8")
