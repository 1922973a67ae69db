"""The scale path (issue 4): the index built into a real ``chroma run`` server and answered
through it, status against it, incremental re-indexing, and an atomic switch on the server.

One server per module; the corpus is the small real corpus with a dozen entries per resource
file, so each build stays quick.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import copy_small_corpus, link_onnx, make_settings
from fakes.chroma_server import ChromaServer, chroma_server, start_chroma

from bot.settings import Settings
from index.embedder import MODEL_NAME
from ui import copy

pytestmark = [pytest.mark.slow, pytest.mark.server]

CAREERBOT = str(Path(sys.executable).parent / "careerbot")
QUESTIONS = [
    "I'm an accountant. Which AI role suits me best?",
    "Which maths do I need for machine learning?",
    "What kind of projects should I publish on GitHub to show my skills?",
    "How do I write a resume for a data scientist job?",
    "Can you recommend a good free book on machine learning?",
]
EDITED = "portfolio/what-makes-a-project-stand-out.md"
EDITED_ID = "guide-portfolio-what-makes-a-project-stand-out"
KILLER = """
import os, signal, sys
from bot.app import run_index
from bot.settings import Settings
from index.embedder import MODEL_NAME

def on_phase(name, total):
    if name == sys.argv[1]:
        os.kill(os.getpid(), signal.SIGKILL)

run_index(Settings(_env_file=None), on_phase=on_phase)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "db") as srv:
        yield srv


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, onnx_export: Path,
          server: ChromaServer) -> dict[str, Any]:
    """The same corpus indexed into the server and into an embedded store."""
    from bot.app import make_encoder, run_index

    root = tmp_path_factory.mktemp("server-index")
    corpus = copy_small_corpus(root / "corpus")
    for res in (corpus / "resources").glob("*.yaml"):
        entries = yaml.safe_load(res.read_text())
        res.write_text(yaml.safe_dump(entries[:12], allow_unicode=True, sort_keys=False))
    made = {}
    for name, url in (("server", server.url), ("embedded", None), ("worker", server.url)):
        link_onnx(root / name, onnx_export)
        made[name] = make_settings(root / name, corpus_dir=corpus, chroma_url=url)
    encoder = make_encoder(made["server"])
    reports = {name: run_index(made[name], encoder=encoder) for name in ("server", "embedded")}
    return {**made, "encoder": encoder, "reports": reports, "root": root, "corpus": corpus}


def bot_for(s: Settings, encoder: Any) -> Any:
    from bot.app import build_bot

    return build_bot(s, encoder=encoder, keep_state=False)


def collections_on(server: ChromaServer) -> set[str]:
    import chromadb

    from index.store import chroma_settings

    client = chromadb.HttpClient(host="127.0.0.1", port=server.port, settings=chroma_settings())
    return {c if isinstance(c, str) else c.name for c in client.list_collections()}


def careerbot(s: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAREERBOT_DATA_DIR": str(s.data_dir),
           "CAREERBOT_CORPUS_DIR": str(s.corpus_dir), "CAREERBOT_CHROMA_URL": s.chroma_url or ""}
    return subprocess.run([CAREERBOT, *args], env=env, text=True, capture_output=True,
                          timeout=180)


def test_server_index_answers_like_the_embedded_one(setup, server):
    srv, emb = setup["reports"]["server"], setup["reports"]["embedded"]
    assert srv.embedded == emb.embedded > 0 and srv.collection in collections_on(server)
    assert not (setup["server"].data_dir / "chroma").exists(), "nothing embedded was written"
    on_server = bot_for(setup["server"], setup["encoder"])
    embedded = bot_for(setup["embedded"], setup["encoder"])
    # a worker with an empty data dir reads the same server (BM25 rebuilt from the collection)
    worker = bot_for(setup["worker"], setup["encoder"])
    for question in QUESTIONS:
        a, b, c = (bot.ask(question) for bot in (on_server, embedded, worker))
        assert (a.stage, a.next_stage) == (b.stage, b.next_stage) == (c.stage, c.next_stage)
        assert [s.id for s in a.sources] == [s.id for s in b.sources] == [s.id for s in c.sources]
        assert a.answer == b.answer == c.answer and a.sources


def test_status_reports_the_server_index(setup):
    s = setup["server"]
    result = careerbot(s, "index", "--status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["built"] and status["backend"] == "server" and status["stale"] is False
    assert status["collection"] == setup["reports"]["server"].collection
    assert status["chunks"] == sum(status["counts"].values()) > 0
    assert status["model"] == MODEL_NAME
    text = careerbot(s, "index", "--status")
    assert f"collection: {status['collection']} (server)" in text.stdout
    assert "stale: no" in text.stdout


def test_editing_one_guide_re_embeds_only_its_changed_chunks(setup):
    from bot.app import make_chroma, run_index

    s = setup["server"]
    guide = setup["corpus"] / "guides" / EDITED
    guide.write_text(guide.read_text().replace(
        "Write it for a", "Write it for a busy reader and for a"))
    assert json.loads(careerbot(s, "index", "--status", "--json").stdout)["stale"] is True
    report = run_index(s, encoder=setup["encoder"])
    assert report.updated and not report.added and not report.removed
    assert all(cid.startswith(EDITED_ID) for cid in report.updated)
    assert report.embedded == len(report.updated) < report.unchanged
    collection = make_chroma(s)[0].get_collection(report.collection, embedding_function=None)
    metas = collection.get(ids=report.updated, include=["metadatas"])["metadatas"]
    assert any("busy reader" in m["text"] for m in metas)
    again = careerbot(s, "index")
    assert again.returncode == 0 and again.stdout.startswith("unchanged"), again.stdout


def test_killed_builds_never_move_the_server_manifest_and_leftovers_go(setup, server, tmp_path):
    from bot.app import make_chroma

    s = setup["server"]
    before = make_chroma(s)[1].read()
    assert before is not None
    answers = [bot_for(s, setup["encoder"]).ask(q).answer for q in QUESTIONS[:2]]
    guide = setup["corpus"] / "guides" / EDITED
    guide.write_text(guide.read_text().replace("busy reader", "busy, curious reader"))
    killer = tmp_path / "killer.py"
    killer.write_text(KILLER)
    env = {**os.environ, "CAREERBOT_DATA_DIR": str(s.data_dir),
           "CAREERBOT_CORPUS_DIR": str(s.corpus_dir), "CAREERBOT_CHROMA_URL": server.url}
    for phase in ("writing", "bm25", "switching"):
        proc = subprocess.run([sys.executable, str(killer), phase], env=env, timeout=180,
                              capture_output=True)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        now = make_chroma(s)[1].read()
        assert now is not None and now.collection == before.collection, phase
        assert [bot_for(s, setup["encoder"]).ask(q).answer for q in QUESTIONS[:2]] == answers
    assert len(collections_on(server)) > 2, "killed builds left collections behind"
    proc = subprocess.run([sys.executable, str(killer), "cleaning"], env=env, timeout=180,
                          capture_output=True)
    assert proc.returncode == -signal.SIGKILL
    switched = make_chroma(s)[1].read()
    assert switched is not None and switched.collection != before.collection
    col = make_chroma(s)[0].get_collection(switched.collection, embedding_function=None)
    assert col.count() == len(switched.chunk_hashes), "the switch only ever shows a whole index"
    done = careerbot(s, "index")
    assert done.returncode == 0 and done.stdout.startswith("unchanged"), done.stderr
    assert collections_on(server) == {switched.collection, f"{s.collection_prefix}-manifest"}


@pytest.mark.slow
def test_web_ui_stays_up_when_the_chroma_server_goes_down(setup, tmp_path):
    """Issue 10: the server dies under a running web app; users get a clear reply, no 5xx."""
    from fakes.webapp import ask, client, served

    from bot.app import build_bot
    from bot.store.state import StateStore

    own = start_chroma(tmp_path / "own-server")
    s = setup["server"].model_copy(update={"chroma_url": own.url,
                                           "data_dir": tmp_path / "own-data"})
    from bot.app import run_index

    link_onnx(s.data_dir, Path(setup["server"].data_dir / "onnx").resolve())
    run_index(s, encoder=setup["encoder"])
    bot = build_bot(s, encoder=setup["encoder"],
                    store=StateStore.open(f"sqlite:///{tmp_path / 'state.db'}"))
    with served(bot, s) as url:
        assert ask(client(url), "How do I write a resume for an AI job?")["sources"]
        own.stop()
        down = ask(client(url), "How do I write a resume for an AI job?")
        assert down["declined"] and down.get("problem") == "error"
        assert down["answer"] == copy.ANSWER_FAILED
        again = ask(client(url), "What is an MLOps engineer?")  # the app itself is still up
        assert again.get("problem") == "error"
