"""Several workers share one state store and one index and keep nothing of their own.

Real processes against a real PostgreSQL (``fakes/pg.py``) and SQLite: concurrent writes lose
nothing, an event id is claimed by exactly one racer, and a profile set through one worker is
seen through another that shares only the database and a Chroma server with it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from fakes.pg import PostgresServer, free_port, pg_server, pg_url  # noqa: F401

from bot.settings import DEFAULT_CORPUS_DIR, Settings
from bot.store.state import StateStore, make_engine, profiles, upgrade

REPO = Path(__file__).resolve().parent.parent
CAREERBOT = str(Path(sys.executable).parent / "careerbot")
CHROMA = str(Path(sys.executable).parent / "chroma")


def state_url(url: str) -> str:
    return Settings(_env_file=None, db_url=url).state_url  # type: ignore[call-arg]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An upgraded, empty store on each backend (the SQLAlchemy URL workers are given)."""
    url = f"sqlite:///{tmp_path}/state.db" if request.param == "sqlite" \
        else state_url(request.getfixturevalue("pg_url"))
    upgrade(make_engine(url))
    return url


def run_racers(code: str, args_per_proc: list[list[str]], go: Path) -> list[str]:
    """Start one process per args list; release them together once all are ready."""
    procs = [subprocess.Popen([sys.executable, "-c", code, str(go), *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
             for args in args_per_proc]
    for p in procs:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "ready", p.communicate(timeout=60)[1]
    go.touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and "Traceback" not in err, err
        outs.append(out)
    return outs


WAIT_FOR_GO = """
import os, sys, time
go = sys.argv[1]
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.002)
"""

WRITER = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
from bot.store.state import StateStore
store = StateStore.open(sys.argv[3], migrate=False)
worker, n = sys.argv[2], int(sys.argv[4])
""" + WAIT_FOR_GO + """
def write(i):
    if i % 2 == 0:
        store.add_feedback(rating=1 if i % 4 == 0 else -1, trace_id=f"{worker}-{i}",
                           user_id=f"{worker}-u{i}", comment=f"c{i}", question="q", answer="a")
    elif i % 4 == 1:
        store.set_profile(f"{worker}-u{i}", {"hours_per_week": i, "worker": worker})
    else:  # both workers keep rewriting the same few users
        store.set_profile(f"shared-{i % 3}", {"hours_per_week": i, "worker": worker})
with ThreadPoolExecutor(8) as pool:
    list(pool.map(write, range(n)))
print("done", flush=True)
"""


@pytest.mark.server
def test_two_workers_writing_at_once_lose_nothing(shared_url, tmp_path):
    per_worker = 200  # 100 feedback rows and 100 profile writes each: 400 writes in all
    outs = run_racers(WRITER, [[w, shared_url, str(per_worker)] for w in ("w1", "w2")],
                      tmp_path / "go")
    assert all(o.strip().endswith("done") for o in outs)
    store = StateStore.open(shared_url, migrate=False)
    rows = store.feedback_rows()
    assert len(rows) == 200
    assert {r["trace_id"] for r in rows} == {f"{w}-{i}" for w in ("w1", "w2")
                                             for i in range(0, per_worker, 2)}
    with store.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(profiles)).scalar_one() == 103
    for w in ("w1", "w2"):
        for i in range(1, per_worker, 4):
            assert store.get_profile(f"{w}-u{i}") == {"hours_per_week": i, "worker": w}
    for k in range(3):
        last = store.get_profile(f"shared-{k}")
        assert last["worker"] in ("w1", "w2") and last["hours_per_week"] % 3 == k


CLAIMER = """
import json, sys
from bot.store.state import StateStore
store = StateStore.open(sys.argv[2], migrate=False)
ids = [f"Ev{n:03d}" for n in range(int(sys.argv[3]))]
""" + WAIT_FOR_GO + """
print(json.dumps([e for e in ids if store.claim_event(e)]), flush=True)
"""


@pytest.mark.server
def test_racing_workers_claim_each_event_exactly_once(shared_url, tmp_path):
    events = 40
    outs = run_racers(CLAIMER, [[shared_url, str(events)] for _ in range(4)], tmp_path / "go")
    won = Counter(e for out in outs for e in json.loads(out))
    assert won == Counter({f"Ev{n:03d}": 1 for n in range(events)})


# -- stateless workers: one PostgreSQL, one Chroma server, nothing local -------------------
def small_corpus_copy(dest: Path) -> Path:
    """Every role, one guide per stage and the books: a valid corpus that embeds in seconds."""
    src = DEFAULT_CORPUS_DIR
    dest.mkdir(parents=True)
    shutil.copy2(src / "stages.yaml", dest / "stages.yaml")
    shutil.copytree(src / "roles", dest / "roles")
    for stage_dir in sorted(p for p in (src / "guides").iterdir() if p.is_dir()):
        first = sorted(stage_dir.glob("*.md"))[0]
        (dest / "guides" / stage_dir.name).mkdir(parents=True)
        shutil.copy2(first, dest / "guides" / stage_dir.name / first.name)
    (dest / "resources").mkdir()
    shutil.copy2(src / "resources" / "books.yaml", dest / "resources" / "books.yaml")
    return dest


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """`chroma run` on a free loopback port; its URL."""
    port = free_port()
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen([CHROMA, "run", "--path", str(tmp_path / "chroma"), "--port",
                             str(port), "--host", "127.0.0.1"], stdout=log,
                            stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"chroma server did not start: {(tmp_path / 'chroma.log').read_text()}")
            time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def careerbot(env: dict[str, str], *args: str) -> str:
    got = subprocess.run([CAREERBOT, *args], env=env, capture_output=True, text=True,
                         timeout=300, cwd=REPO)
    assert got.returncode == 0, f"careerbot {' '.join(args)}: {got.stderr}"
    return got.stdout


@contextmanager
def web_workers(envs: list[dict[str, str]], logs: Path) -> Iterator[list[str]]:
    """One `careerbot web` process per env, on its own free port; yields their URLs."""
    ports = [free_port() for _ in envs]
    procs = []
    for n, (env, port) in enumerate(zip(envs, ports, strict=True)):
        log = (logs / f"web{n}.log").open("w")
        procs.append((subprocess.Popen([CAREERBOT, "web", "--port", str(port)], env=env,
                                       stdout=log, stderr=subprocess.STDOUT, cwd=REPO), log))
    urls = [f"http://127.0.0.1:{p}/" for p in ports]
    try:
        for n, (url, (proc, _)) in enumerate(zip(urls, procs, strict=True)):
            wait_for_http(url, proc, logs / f"web{n}.log")
        yield urls
    finally:
        for proc, _ in procs:
            proc.terminate()
        for proc, log in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def wait_for_http(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 240
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"web worker at {url} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)


@pytest.mark.slow
@pytest.mark.server
def test_a_profile_set_through_one_web_worker_is_seen_through_another(
        pg_url, chroma_server, onnx_export, tmp_path):  # noqa: F811
    from gradio_client import Client

    base = {k: v for k, v in os.environ.items() if not k.startswith("CAREERBOT_")}
    shared = {**base, "CAREERBOT_DB_URL": pg_url, "CAREERBOT_CHROMA_URL": chroma_server,
              "CAREERBOT_CORPUS_DIR": str(small_corpus_copy(tmp_path / "corpus"))}

    def data_dir(name: str) -> dict[str, str]:  # each process: its own, otherwise empty dir
        d = tmp_path / name
        d.mkdir()
        (d / "onnx").symlink_to(onnx_export, target_is_directory=True)
        return {**shared, "CAREERBOT_DATA_DIR": str(d)}

    builder = data_dir("builder")
    careerbot(builder, "db", "upgrade")
    assert "added" in careerbot(builder, "index")
    store = StateStore.open(state_url(pg_url), migrate=False)

    with web_workers([data_dir("worker1"), data_dir("worker2")], tmp_path) as (url1, url2):
        one = Client(url1, verbose=False, analytics_enabled=False, download_files=False)
        first = one.predict("I'm a backend developer with 5 hours a week. How do I start?",
                            api_name="/ask")
        assert first["sources"] and first["trace_id"], first
        two = Client(url2, verbose=False, analytics_enabled=False, download_files=False)
        two.session_hash = one.session_hash  # the same browser session, routed to worker 2
        second = two.predict("Which book should I read first?", api_name="/ask")

    assert second["sources"], "worker 2 answers from the shared Chroma server"
    assert "backend developer" in second["answer"] and "5 hours a week" in second["answer"], \
        "worker 2's answer takes the profile given to worker 1 into account"
    user = f"web-{one.session_hash}"
    assert store.get_profile(user) == {"hours_per_week": 5.0, "background": "backend developer"}
    assert [t["trace_id"] for t in store.history(user)] == [first["trace_id"]] * 2 + \
        [second["trace_id"]] * 2
    for worker in (tmp_path / "worker1", tmp_path / "worker2"):
        assert not list(worker.glob("*.db")) and not (worker / "chroma").exists(), \
            "a worker keeps no state of its own"
