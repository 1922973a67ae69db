"""Faults (issues 4 and 10): builds killed with SIGKILL at every phase, a second writer, a
corrupt or missing index, and a Chroma server that is down.

The promise under test: the index users read is always a complete one. A killed build leaves
the previous index answering exactly as before, the next ``careerbot index`` completes and
clears what the killed builds left behind, and a damaged index produces one line telling the
user which command repairs it, never a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import copy_small_corpus, link_onnx, make_settings

from bot.settings import DEFAULT_CORPUS_DIR, Settings

pytestmark = pytest.mark.slow

CAREERBOT = str(Path(sys.executable).parent / "careerbot")
QUESTIONS = [
    "How do I make my portfolio project stand out?",
    "Which maths do I need for machine learning?",
    "How do I write a resume for a data scientist job?",
]
EDITED_GUIDE = "portfolio/what-makes-a-project-stand-out.md"

# run_index in a child process that SIGKILLs itself when the build reaches a phase
DRIVER = """
import os, signal, sys, threading
from bot.app import run_index
from bot.settings import Settings

target, delay = sys.argv[1], float(sys.argv[2])

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def on_phase(name, total):
    print(f"phase {name}", flush=True)
    if name != target:
        return
    if sys.argv[3:] == ["wait"]:  # hold the write lock until the test says go
        sys.stdin.readline()
    if delay:
        threading.Timer(delay, die).start()  # lands inside the phase's work
    else:
        die()

print(run_index(Settings(_env_file=None), on_phase=on_phase).summary(), flush=True)
"""


def small_fault_corpus(dest: Path) -> Path:
    """The small corpus with a dozen entries per resource file: a quick real build."""
    copy_small_corpus(dest)
    for res in (dest / "resources").glob("*.yaml"):
        entries = yaml.safe_load(res.read_text())
        res.write_text(yaml.safe_dump(entries[:12], allow_unicode=True, sort_keys=False))
    return dest


def env_for(s: Settings, **extra: str) -> dict[str, str]:
    return {**os.environ, "CAREERBOT_DATA_DIR": str(s.data_dir),
            "CAREERBOT_CORPUS_DIR": str(s.corpus_dir), **extra}


def careerbot(s: Settings, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CAREERBOT, *args], env=env_for(s, **extra), text=True,
                          capture_output=True, timeout=180)


def current_collection(s: Settings) -> str:
    from bot.app import make_chroma

    forget_client(s)
    manifest = make_chroma(s)[1].read()
    assert manifest is not None
    return manifest.collection


def forget_client(s: Settings) -> None:
    """Drop chromadb's in-process client for this data dir: another process has written it,
    so the next read opens it afresh (only this path; other tests' clients stay)."""
    from chromadb.api.shared_system_client import SharedSystemClient as Shared

    key = str(s.data_dir / "chroma")
    Shared._identifier_to_system.pop(key, None)
    Shared._identifier_to_refcount.pop(key, None)


def answers(s: Settings, encoder: Any) -> list[tuple[str, list[str]]]:
    """What the index answers now, read through a fresh client."""
    from bot.app import build_bot

    forget_client(s)
    bot = build_bot(s, encoder=encoder, keep_state=False)
    return [(a.answer, [x.id for x in a.sources]) for a in map(bot.ask, QUESTIONS)]


def leftovers(s: Settings) -> tuple[set[str], set[str]]:
    """Collections in the store and BM25 folders on disk."""
    from bot.app import make_chroma

    forget_client(s)
    client = make_chroma(s)[0]
    names = {c if isinstance(c, str) else c.name for c in client.list_collections()}
    return names, {d.name for d in (s.data_dir / "bm25").iterdir()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, onnx_export: Path) -> dict[str, Any]:
    """An index of the small corpus, a pristine copy of it, and what it answers."""
    from bot.app import make_encoder, run_index

    root = tmp_path_factory.mktemp("faults")
    corpus = small_fault_corpus(root / "corpus")
    link_onnx(root / "data", onnx_export)
    s = make_settings(root / "data", corpus_dir=corpus)
    run_index(s)
    shutil.copytree(s.data_dir, root / "pristine", symlinks=True)
    encoder = make_encoder(s)
    (root / "driver.py").write_text(DRIVER)
    state = {"settings": s, "root": root, "encoder": encoder, "driver": root / "driver.py",
             "collection": current_collection(s), "answers": answers(s, encoder)}
    # the corpus changes, so every build below has real work to do before it is killed
    guide = corpus / "guides" / EDITED_GUIDE
    guide.write_text(guide.read_text().replace("Reviewers of junior", "Reviewers of most junior"))
    return state


def kill_at(built: dict[str, Any], phase: str, delay: float = 0.0,
            wait: bool = False) -> subprocess.Popen[str]:
    s = built["settings"]
    return subprocess.Popen(
        [sys.executable, str(built["driver"]), phase, str(delay), *(["wait"] if wait else [])],
        env=env_for(s), text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL)


def assert_previous_index_intact(built: dict[str, Any]) -> None:
    s = built["settings"]
    assert current_collection(s) == built["collection"], "the manifest must not have moved"
    assert answers(s, built["encoder"]) == built["answers"], "answers changed"


@pytest.mark.parametrize(("phase", "delay"), [
    ("loading", 0.0), ("embedding", 0.0), ("writing", 0.0), ("writing", 0.005), ("bm25", 0.0),
    ("switching", 0.0)], ids=["loading", "embedding", "writing-start", "writing-mid", "bm25",
                              "switching"])
def test_killed_build_leaves_the_previous_index_answering_the_same(built, phase, delay):
    proc = kill_at(built, phase, delay)
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == -signal.SIGKILL, out
    assert f"phase {phase}" in out
    assert_previous_index_intact(built)


def test_a_second_writer_is_refused_while_readers_keep_answering(built):
    s = built["settings"]
    first = kill_at(built, "embedding", wait=True)
    assert first.stdout is not None and first.stdin is not None
    while "phase embedding" not in first.stdout.readline():
        pass
    second = careerbot(s, "index")
    assert second.returncode == 1, second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "another careerbot process is writing the index" in lines[0]
    assert_previous_index_intact(built)  # reading needs no lock
    first.stdin.write("go\n")
    first.stdin.flush()
    first.wait(timeout=60)
    assert first.returncode == -signal.SIGKILL
    assert_previous_index_intact(built)


def test_cli_rebuild_killed_while_writing_leaves_the_previous_index(built):
    proc = subprocess.Popen([CAREERBOT, "index", "--rebuild"], env=env_for(built["settings"]),
                            text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line.strip())
        if "writing..." in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, seen
    assert any(line.endswith("loading...") for line in seen)
    assert_previous_index_intact(built)


def test_kill_after_the_switch_then_next_index_completes_and_clears_leftovers(built):
    s = built["settings"]
    proc = kill_at(built, "cleaning")
    proc.communicate(timeout=180)
    assert proc.returncode == -signal.SIGKILL
    switched = current_collection(s)
    assert switched != built["collection"], "the switch happened before the kill"
    collections, bm25 = leftovers(s)
    assert built["collection"] in collections and len(collections) > 2, "killed builds left some"
    after_switch = answers(s, built["encoder"])
    assert [src for _, src in after_switch]  # the new index answers

    nxt = careerbot(s, "index")
    assert nxt.returncode == 0, nxt.stderr
    assert nxt.stdout.startswith("unchanged"), nxt.stdout
    assert current_collection(s) == switched
    collections, bm25 = leftovers(s)
    assert collections == {switched} and bm25 == {switched}
    assert answers(s, built["encoder"]) == after_switch


# -- damaged or missing index: one line naming the command that repairs it -----------------
def damage(data_dir: Path, how: str) -> None:
    match how:
        case "no-index":
            shutil.rmtree(data_dir / "chroma")
            (data_dir / "careerbot-manifest.json").unlink()
        case "manifest-corrupt":
            (data_dir / "careerbot-manifest.json").write_text('{"collection": "careerbot-2')
        case "manifest-not-an-object":
            (data_dir / "careerbot-manifest.json").write_text("[1, 2, 3]")
        case "collection-deleted":
            shutil.rmtree(data_dir / "chroma")
        case "store-corrupt":
            (data_dir / "chroma" / "chroma.sqlite3").write_bytes(b"not a database" * 100)


# the repair is run where the advice differs from a plain first build (each costs a build)
@pytest.mark.parametrize(("how", "repair"), [
    ("no-index", False), ("manifest-corrupt", True), ("manifest-not-an-object", False),
    ("collection-deleted", False), ("store-corrupt", True)])
def test_damaged_index_gives_one_line_naming_the_repair(built, tmp_path, how, repair):
    from bot.app import run_index

    data = tmp_path / "data"
    shutil.copytree(built["root"] / "pristine", data, symlinks=True)
    pristine = built["settings"]
    s = make_settings(data, corpus_dir=pristine.corpus_dir)
    damage(data, how)
    result = careerbot(s, "ask", QUESTIONS[0])
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "`careerbot index" in lines[0] and "Traceback" not in result.stderr
    assert not result.stdout.strip()
    if not repair:
        return
    # the advice works: delete what it says, run what it says, and the bot answers again
    if "delete that folder" in lines[0]:
        shutil.rmtree(data / "chroma")
    run_index(s, rebuild="--rebuild" in lines[0], encoder=built["encoder"])
    assert [src for _, src in answers(s, built["encoder"])]


@pytest.mark.parametrize("how", ["deleted", "garbage"])
def test_lost_bm25_files_are_rebuilt_from_the_collection(built, tmp_path, how):
    data = tmp_path / "data"
    shutil.copytree(built["root"] / "pristine", data, symlinks=True)
    s = make_settings(data, corpus_dir=built["settings"].corpus_dir)
    folder = data / "bm25" / built["collection"]
    if how == "deleted":
        shutil.rmtree(data / "bm25")
    else:
        for f in folder.iterdir():
            f.write_bytes(b"\x00garbage")
    assert answers(s, built["encoder"]) == built["answers"]
    assert (folder / "ids.json").exists(), "the rebuilt BM25 index is saved again"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("args", [("ask", QUESTIONS[0]), ("index",), ("index", "--status")])
def test_chroma_server_down_gives_one_clear_line(built, args):
    url = f"http://127.0.0.1:{closed_port()}"
    result = careerbot(built["settings"], *args, CAREERBOT_CHROMA_URL=url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1] == (
        f"error: Chroma server at {url} is not reachable (ValueError); start it with "
        "`chroma run` or unset CAREERBOT_CHROMA_URL"), result.stderr
    assert "Traceback" not in result.stderr


def test_status_json_of_a_fresh_data_dir_says_not_built(tmp_path):
    s = make_settings(tmp_path / "empty", corpus_dir=DEFAULT_CORPUS_DIR)
    result = careerbot(s, "index", "--status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["built"] is False and status["stale"] is True
