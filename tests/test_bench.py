"""The benchmark machinery at a tiny size: the JSON has the documented shape and sane values.

Times are never asserted (they depend on the machine); the bench command prints them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import copy_small_corpus

from bot.settings import DEFAULT_CORPUS_DIR
from corpus.loader import load_corpus
from evals.bench import Bench, BenchConfig
from evals.bench.synthetic import BaseSet, bench_questions, synthetic_batches
from index.chunking import chunk_corpus
from ui.cli.bench_cmds import render_table

INTERFACE_KEYS = {
    "machine": {"cpus", "python", "torch"},
    "index": {"chunks", "build_chunks_per_s", "raw_encode_chunks_per_s", "ratio",
              "reindex_one_doc_s"},
    "query": {"n", "retrieval_p50_ms", "retrieval_p95_ms", "answer_p50_ms", "answer_p95_ms",
              "baseline_similarity_search_p95_ms"},
}
SCALE_KEYS = {"chunks", "backend", "retrieval_p95_ms", "peak_rss_mb"}


def tiny_corpus(dest: Path, per_file: int = 3) -> Path:
    """The small real corpus with only a few resources per file (about 40 chunks)."""
    corpus = copy_small_corpus(dest)
    for path in (corpus / "resources").glob("*.yaml"):
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
        path.write_text(yaml.safe_dump(items[:per_file], allow_unicode=True), encoding="utf-8")
    return corpus


def test_synthetic_chunks_are_deterministic_and_look_like_real_ones():
    chunks = chunk_corpus(load_corpus(DEFAULT_CORPUS_DIR))[:50]
    rng = np.random.default_rng(7)
    vecs = rng.normal(size=(len(chunks), 16)).astype(np.float32)
    base = BaseSet(chunks, vecs / np.linalg.norm(vecs, axis=1, keepdims=True))

    def make(seed: int) -> tuple[list, np.ndarray]:
        got = list(synthetic_batches(base, 250, seed=seed, batch=100))
        return [c for cs, _ in got for c in cs], np.concatenate([v for _, v in got])

    a_chunks, a_vecs = make(0)
    b_chunks, b_vecs = make(0)
    c_chunks, _ = make(1)
    assert [c.id for c in a_chunks] == [f"syn-{i:06d}" for i in range(250)]
    assert [c.text for c in a_chunks] == [c.text for c in b_chunks]
    assert np.array_equal(a_vecs, b_vecs)
    assert [c.text for c in a_chunks] != [c.text for c in c_chunks]
    assert np.allclose(np.linalg.norm(a_vecs, axis=1), 1.0, atol=1e-5)
    assert all(c.metadata["stage"] and c.metadata["synthetic"] for c in a_chunks)


def test_bench_questions_are_distinct_and_repeatable():
    corpus = load_corpus(DEFAULT_CORPUS_DIR)
    qs = bench_questions(corpus, 200)
    assert len(qs) == len(set(qs)) == 200
    assert qs == bench_questions(corpus, 200)
    assert all(q.strip() and len(q) < 200 for q in qs)


@pytest.mark.slow
@pytest.mark.server
def test_a_tiny_bench_run_has_the_documented_shape(tmp_path, onnx_export):
    cfg = BenchConfig(corpus_dir=tiny_corpus(tmp_path / "corpus"), questions=12,
                      encoders=("onnx-fp32", "onnx-int8"), cold_runs=1, cold_paths=("onnx",),
                      scale_sizes=(150,), scale_backends=("server",),
                      onnx_export=onnx_export, workdir=tmp_path / "work")
    # (the embedded scale backend runs the same build and probe code, minus the server)
    result = Bench(cfg, web_load=None, say=lambda _: None).run()

    for section, keys in INTERFACE_KEYS.items():
        assert keys <= set(result[section]), section
    ix, q = result["index"], result["query"]
    assert 20 < ix["chunks"] < 100
    assert ix["build_chunks_per_s"] > 0 and ix["raw_encode_chunks_per_s"] > 0
    assert ix["ratio"] == pytest.approx(ix["build_chunks_per_s"] / ix["raw_encode_chunks_per_s"],
                                        rel=0.01)
    assert set(ix["by_encoder"]) == {"onnx-fp32", "onnx-int8"}
    assert ix["reindex_one_doc_s"] > 0 and 1 <= ix["reindex_embedded_chunks"] <= 3
    cli_run = ix["reindex_cli"]
    assert cli_run["no_change_s"] > 0 and cli_run["edited_s"] > 0
    assert cli_run["beyond_start_up_s"] == pytest.approx(
        cli_run["edited_s"] - cli_run["no_change_s"], abs=0.002)
    assert q["n"] == 12
    assert set(q["by_encoder"]) == {"onnx-fp32", "onnx-int8", "sentence-transformers"}
    for name, row in q["by_encoder"].items():
        assert 0 < row["embed_p50_ms"] <= row["embed_p95_ms"], name
        if name != "sentence-transformers":  # no index was built with it in this run
            assert 0 < row["retrieval_p50_ms"] <= row["retrieval_p95_ms"], name
    assert 0 < q["answer_p50_ms"] <= q["answer_p95_ms"]
    assert q["baseline_similarity_search_p95_ms"] > 0
    assert result["cold_start_s"] == result["cold_start"]["onnx"]["median_s"] > 0
    assert [(r["chunks"], r["backend"]) for r in result["scale"]] == [(150, "server")]
    row = result["scale"][0]
    assert SCALE_KEYS <= set(row) and row["peak_rss_mb"] > 50
    assert row["server_peak_rss_mb"] > 0 and 0 < row["retrieval_p50_ms"] <= row["retrieval_p95_ms"]
    assert row["dense_hits"] > 0  # the timed search used the vectors, not only BM25
    assert result["web"] == [] and any("web" in n for n in result["notes"])
    assert json.loads(json.dumps(result)) == result
    targets = {t["what"]: t for t in result["targets"]}
    assert targets["retrieval p95"]["value"] == q["retrieval_p95_ms"]
    assert targets["100k chunks, retrieval p95, server"]["met"] is None  # not run at 100k
    table = render_table(result)
    for heading in ("index (", "query (", "cold start", "scale", "baseline", "targets"):
        assert heading in table


def test_targets_say_met_missed_or_not_measured():
    from evals.bench.targets import check_targets

    result = {"index": {"ratio": 1.2, "reindex_one_doc_s": 1.4,
                        "by_encoder": {"onnx-int8": {"ratio": 1.7}}},
              "query": {"retrieval_p95_ms": 8.0, "answer_p95_ms": 21.0},
              "cold_start": {"onnx": {"median_s": 1.6}},
              "scale": [{"chunks": 100_000, "backend": "embedded", "retrieval_p95_ms": 12.0}],
              "web": [{"errors": 0}, {"errors": 2}]}
    met = {t["what"]: t["met"] for t in check_targets(result)}
    assert met == {
        "index build ratio, default encoder": True,
        "index build ratio, ONNX fp32": None,
        "index build ratio, ONNX int8": False,
        "re-index after one edit, beyond start-up": False,
        "retrieval p95": True,  # the bound itself is met (<=)
        "full answer p95": True,
        "cold start, ONNX path (median)": False,
        "100k chunks, retrieval p95, embedded": True,
        "100k chunks, retrieval p95, server": None,
        "web errors, all loads": False,
    }
