"""The fast query path (issue 13): ONNX Runtime at query time, the same vectors as the reference.

The query path (``ask``, ``chat``, ``web``, ``slack``, ``eval``) must never import torch,
transformers or sentence-transformers; ``ask`` not even gradio. A missing or stale ONNX export
falls back to sentence-transformers with a one-line notice rather than a wrong vector.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.settings import Settings
from index.embedder import (
    OnnxEncoder,
    SentenceTransformerEncoder,
    build_encoder,
    onnx_export_dir,
)

ROOT = Path(__file__).resolve().parent.parent
HEAVY = {"torch", "transformers", "sentence_transformers"}
QUESTION = "How do I become a machine learning engineer?"
_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)\s*$")


def top_level_imports(importtime_stderr: str) -> set[str]:
    """Top-level package names from ``python -X importtime`` output."""
    names = set()
    for line in importtime_stderr.splitlines():
        m = _IMPORT_LINE.match(line)
        if m:
            names.add(m.group(1).split(".")[0])
    return names


def child_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERBOT_")}
    env.update(CAREERBOT_DATA_DIR=str(settings.data_dir),
               CAREERBOT_CORPUS_DIR=str(settings.corpus_dir), PYTHONPATH=str(ROOT))
    return env


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder()


def test_ask_imports_no_torch_transformers_sentence_transformers_or_gradio(full_settings):
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ui.cli", "ask", "--json", QUESTION],
        env=child_env(full_settings), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert answer["sources"] and not answer["declined"]
    imported = top_level_imports(done.stderr)
    assert "onnxruntime" in imported and "chromadb" in imported  # the parser sees imports
    assert imported & (HEAVY | {"gradio"}) == set()


@pytest.mark.slow
def test_chat_web_slack_and_eval_paths_import_no_torch(full_settings, tmp_path):
    """Every ui/ and evals/ module, a chat turn, the web app, and an eval run: no torch."""
    script = f"""
import importlib, json, pkgutil, sys
from click.testing import CliRunner
import ui.cli, ui, evals
from ui.cli import COMMAND_MODULES, cli
for name in COMMAND_MODULES:
    importlib.import_module(name)
for pkg in (ui, evals):
    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{{pkg.__name__}}.{{mod.name}}")
runner = CliRunner()
chat = runner.invoke(cli, ["chat", "--user", "t"], input="How do I start in AI?\\n/quit\\n")
from bot.app import build_bot
from bot.settings import Settings
from ui.web import build_app
settings = Settings()
build_app(build_bot(settings), settings)
ran_eval = "eval" in cli.commands
if ran_eval:
    ev = runner.invoke(cli, ["eval", "--dataset", "evals/smoke.jsonl", "--json",
                             {str(tmp_path / "eval.json")!r}])
    assert ev.exit_code == 0, ev.output
print(json.dumps({{"chat_ok": chat.exit_code == 0 and "Sources" in chat.output,
                  "eval": ran_eval, "heavy": sorted(m for m in sys.modules
                  if m.split(".")[0] in {sorted(HEAVY)!r})}}))
"""
    done = subprocess.run([sys.executable, "-c", script], env=child_env(full_settings),
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["chat_ok"]
    assert report["heavy"] == []


@pytest.mark.slow
def test_fp32_onnx_matches_sentence_transformers_on_every_corpus_chunk(
        full_settings, onnx_export, reference):
    texts = open_docs(full_settings)
    fp32 = OnnxEncoder(onnx_export, "fp32").encode(texts)  # batched as an fp32 index build is
    cosine = (fp32 * reference.encode(texts)).sum(axis=1)
    assert len(cosine) > 500
    assert cosine.min() >= 0.9999


@pytest.mark.slow
@pytest.mark.parametrize("quantization", ["fp32", "int8"])
def test_an_index_holds_each_chunks_own_vector_at_its_precision(
        full_settings, settings_factory, reference, quantization):
    """The stored vectors of every real chunk: what the encoder gives the text alone."""
    from bot.app import make_chroma, run_index
    from index.reader import open_index

    settings = full_settings if quantization == full_settings.quantization \
        else settings_factory(quantization=quantization)
    run_index(settings)
    client, manifests = make_chroma(settings)
    got = open_index(client, manifests, settings.data_dir).collection.get(
        include=["metadatas", "embeddings"])
    stored = np.asarray(got["embeddings"], dtype=np.float32)
    texts = [m["text"] for m in got["metadatas"]]
    assert len(texts) == len(manifests.read().chunk_hashes) > 500
    assert manifests.read().quantization == quantization
    encoder = OnnxEncoder(onnx_export_dir(settings.data_dir), quantization)
    alone = np.stack([encoder.encode([t])[0] for t in texts])
    assert np.abs(stored - alone).max() < 1e-5
    cosine = (stored * reference.encode(texts)).sum(axis=1)
    assert cosine.min() >= (0.9999 if quantization == "fp32" else 0.98)
    assert cosine.mean() >= (0.9999 if quantization == "fp32" else 0.99)


def open_docs(settings: Settings) -> list[str]:
    from bot.app import make_chroma
    from index.reader import open_index

    client, manifests = make_chroma(settings)
    metas = open_index(client, manifests, settings.data_dir).collection.get(
        include=["metadatas"])["metadatas"]
    return [m["text"] for m in metas]


def test_the_export_runs_on_onnx_runtimes_fused_attention_kernel(onnx_export):
    import onnx

    for name, fused in (("model.onnx", "Attention"), ("model-int8.onnx", "QAttention")):
        ops = {node.op_type for node in onnx.load(str(onnx_export / name)).graph.node}
        assert fused in ops, name  # not MatMul/Softmax chains: 1.2x (fp32) to 1.5x faster
        assert "Softmax" not in ops, name


def test_a_text_gets_the_same_fp32_vector_whatever_it_is_batched_with(onnx_export):
    """Each batch is padded only to its longest text; the padding must not leak in."""
    encoder = OnnxEncoder(onnx_export, "fp32")
    short = "Which course teaches linear algebra for machine learning?"
    longer = [("How do I prepare for a data science interview loop? " * n).strip()
              for n in (3, 9, 40)]  # the last one is past the 256-token cut
    alone = encoder.encode([short])[0]
    mixed = encoder.encode([longer[2], short, *longer[:2]], batch_size=4)
    assert np.abs(mixed[1] - alone).max() < 1e-5
    assert np.allclose(np.linalg.norm(mixed, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.dim)


def test_int8_gives_a_text_the_same_vector_whatever_it_is_batched_with(onnx_export):
    """int8 activations are scaled per batch: a text's neighbours must not move its vector."""
    encoder = OnnxEncoder(onnx_export, "int8")
    texts = ["Which course teaches linear algebra for machine learning?",
             "Kaggle competitions for a portfolio", "How do I negotiate an offer? " * 30]
    alone = np.stack([encoder.encode([t])[0] for t in texts])
    together = encoder.encode(texts[::-1], batch_size=8)[::-1]
    assert np.abs(together - alone).max() < 1e-6


def stale_export(src: Path, dest_data: Path, *, fingerprint: str | None = None,
                 break_model: bool = False, version: int | None = None) -> None:
    """A copy of an export in ``dest_data/onnx`` made stale or unreadable."""
    dest = dest_data / "onnx"
    shutil.copytree(src, dest)
    meta = json.loads((dest / "meta.json").read_text())
    if fingerprint is not None:
        meta["fingerprint"] = fingerprint
    if version is not None:
        meta["export"] = version
    (dest / "meta.json").write_text(json.dumps(meta))
    if break_model:
        (dest / "model.onnx").write_bytes(b"not an onnx model")


@pytest.mark.parametrize("case", ["missing", "other model", "older recipe", "unreadable"])
def test_bad_export_falls_back_to_the_reference_with_one_notice(
        case, tmp_path, onnx_export, reference):
    if case == "other model":
        stale_export(onnx_export, tmp_path, fingerprint="0123456789abcdef")
    elif case == "older recipe":  # e.g. an unfused export from an earlier careerbot
        stale_export(onnx_export, tmp_path, version=1)
    elif case == "unreadable":
        stale_export(onnx_export, tmp_path, break_model=True)
    notices: list[str] = []
    encoder = build_encoder(tmp_path, "auto", "fp32", on_notice=notices.append)
    assert isinstance(encoder, SentenceTransformerEncoder)
    assert len(notices) == 1 and "\n" not in notices[0]
    assert "sentence-transformers" in notices[0] and "careerbot index" in notices[0]
    texts = ["How do I become a data scientist?", "Best free course on linear algebra"]
    onnx = OnnxEncoder(onnx_export, "fp32").encode(texts)
    assert (encoder.encode(texts) * onnx).sum(axis=1).min() >= 0.9999  # the right vectors


def test_a_bot_over_an_index_without_its_export_answers_the_same(
        full_settings, career_bot, tmp_path, caplog, reference):
    """An index copied elsewhere without ``onnx/``: one warning, then the same answer."""
    from bot.app import build_bot

    data = tmp_path / "copied"
    shutil.copytree(full_settings.data_dir, data, ignore=shutil.ignore_patterns("onnx"))
    settings = full_settings.model_copy(update={"data_dir": data})
    with caplog.at_level(logging.WARNING):
        bot = build_bot(settings, store=None, keep_state=False)
    notices = [r.getMessage() for r in caplog.records if "ONNX encoder" in r.getMessage()]
    assert len(notices) == 1 and "\n" not in notices[0]
    assert isinstance(bot.retriever.encoder, SentenceTransformerEncoder)
    fallback: Any = bot.ask(QUESTION)
    expected = career_bot.ask(QUESTION)
    assert full_settings.quantization == "fp32"  # the reference's own precision
    assert [s.id for s in fallback.sources] == [s.id for s in expected.sources]
    assert fallback.stage == expected.stage


def test_queries_follow_the_precision_the_index_was_built_at(settings_factory, small_corpus,
                                                              caplog):
    """CAREERBOT_QUANTIZATION changed after a build: one notice until `careerbot index`."""
    from bot.app import build_bot, run_index

    fp32 = settings_factory(corpus_dir=small_corpus, quantization="fp32")
    run_index(fp32)
    int8 = fp32.model_copy(update={"quantization": "int8"})

    def notices() -> list[str]:
        return [r.getMessage() for r in caplog.records if "was built at" in r.getMessage()]

    with caplog.at_level(logging.WARNING):
        bot = build_bot(int8, store=None, keep_state=False)
    assert bot.retriever.encoder.quantization == "fp32"
    assert len(notices()) == 1 and "careerbot index" in notices()[0]
    assert run_index(int8).embedded > 0  # the rebuild at the new precision
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        bot = build_bot(int8, store=None, keep_state=False)
    assert bot.retriever.encoder.quantization == "int8" and notices() == []


def test_a_process_that_answers_keeps_numpys_blas_to_one_thread(fake_bot):
    """Spinning BLAS threads slowed the query embedding inside an answer from 3 to 8 ms."""
    from threadpoolctl import threadpool_info

    fake_bot.ask("Which books teach statistics?")
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert blas and all(lib["num_threads"] == 1 for lib in blas)
