"""The state store keeps every user's data the same way in SQLite and in PostgreSQL.

The suite runs once per backend: SQLite in a temp dir and a real PostgreSQL started for the
session (``fakes/pg.py``). Schema checks, the one-line CLI errors, and SQLite's crash safety follow.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fakes.pg import PostgresServer, pg_server, pg_url  # noqa: F401

from bot.settings import Settings
from bot.store.state import (
    HEAD_REVISION,
    OUT_OF_DATE,
    USER_TABLES,
    SchemaOutOfDateError,
    StateStore,
    StateStoreUnavailableError,
    downgrade,
    make_engine,
    schema_revision,
    upgrade,
)

REPO = Path(__file__).resolve().parent.parent


def settings_for(tmp_path: Path, db_url: str | None = None) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", db_url=db_url)  # type: ignore[call-arg]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> StateStore:
    """An upgraded store on each backend, opened the way a worker opens it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/state.db"
    else:
        url = request.getfixturevalue("pg_url")
    state_url = settings_for(tmp_path, url).state_url
    upgrade(make_engine(state_url))
    return StateStore.open(state_url, migrate=False)


def rows_about(store: StateStore, user_id: str) -> int:
    with store.engine.connect() as c:
        return sum(c.execute(sa.select(sa.func.count()).select_from(t)
                             .where(t.c.user_id == user_id)).scalar_one() for t in USER_TABLES)


# -- the store suite, on both backends ---------------------------------------------------
def test_profiles_are_per_user_and_overwritten(store):
    assert store.get_profile("ana") == {}
    store.set_profile("ana", {"target_role": "ml engineer", "hours_per_week": 5})
    store.set_profile("bo", {"background": "Java-Entwickler, 6 Jahre – café ☕"})
    store.set_profile("ana", {"target_role": "data analyst"})
    assert store.get_profile("ana") == {"target_role": "data analyst"}
    assert store.get_profile("bo") == {"background": "Java-Entwickler, 6 Jahre – café ☕"}


def test_history_keeps_the_latest_turns_in_order(store):
    for n in range(12):
        store.add_turn("ana", "user" if n % 2 == 0 else "assistant", f"turn {n}",
                       stage="portfolio", trace_id=f"t{n}")
    store.add_turn("bo", "user", "someone else")
    last = store.history("ana", limit=5)
    assert [t["text"] for t in last] == [f"turn {n}" for n in range(7, 12)]
    assert last[-1]["role"] == "assistant" and last[-1]["stage"] == "portfolio"
    assert [t["text"] for t in store.history("bo")] == ["someone else"]


def test_roadmap_and_plan_round_trip(store):
    assert store.get_roadmap("ana") == {} and store.get_plan("ana") == {}
    store.set_roadmap("ana", {"covered": ["landscape"], "current": "building-blocks"})
    store.set_plan("ana", {"weeks": [{"n": 1, "items": ["res-fastai-course"]}]})
    store.set_roadmap("ana", {"covered": ["landscape", "building-blocks"], "current": "resources"})
    assert store.get_roadmap("ana") == {"covered": ["landscape", "building-blocks"],
                                        "current": "resources"}
    assert store.get_plan("ana")["weeks"][0]["items"] == ["res-fastai-course"]


def test_feedback_rows_keep_every_field_in_order(store):
    store.add_feedback(rating=1, trace_id="t1", user_id="ana", question="q1", answer="a1",
                       stage="resources")
    store.add_feedback(rating=-1, trace_id="t2", user_id="bo", comment="wrong stage")
    rows = store.feedback_rows()
    assert [(r["trace_id"], r["rating"]) for r in rows] == [("t1", 1), ("t2", -1)]
    assert rows[0]["stage"] == "resources" and rows[1]["comment"] == "wrong stage"
    with pytest.raises(ValueError, match="rating"):
        store.add_feedback(rating=5, trace_id="t3")
    assert len(store.feedback_rows()) == 2


def test_traces_are_kept_by_id(store):
    trace_id = store.new_trace_id()
    store.save_trace(trace_id, "ana", {"question": "q", "sources": ["a", "b"]})
    assert store.get_trace(trace_id) == {"question": "q", "sources": ["a", "b"]}
    assert store.get_trace("no-such-trace") is None


def test_an_event_id_is_claimed_once(store):
    assert store.claim_event("Ev01") is True
    assert store.claim_event("Ev01") is False
    assert store.claim_event("Ev02") is True


def test_forget_user_leaves_no_row_and_spares_others(store):
    for user in ("ana", "bo"):
        store.set_profile(user, {"level": "beginner"})
        store.set_roadmap(user, {"current": "resources"})
        store.set_plan(user, {"weeks": []})
        store.add_turn(user, "user", "hello")
        store.add_feedback(rating=1, user_id=user, trace_id=f"{user}-t")
        store.save_trace(f"{user}-t", user, {"question": "hello"})
    exported = store.export_user("ana")
    assert exported["profiles"][0]["data"] == {"level": "beginner"}
    assert all(exported[t.name] for t in USER_TABLES), "export covers every user table"
    assert store.forget_user("ana") == len(USER_TABLES)
    assert rows_about(store, "ana") == 0
    assert all(not rows for key, rows in store.export_user("ana").items() if key != "user_id")
    assert rows_about(store, "bo") == len(USER_TABLES)


# -- schema revisions ----------------------------------------------------------------------
def test_head_revision_is_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(REPO / "bot" / "store" / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_heads() == [HEAD_REVISION]


def test_the_default_sqlite_file_migrates_itself(tmp_path):
    from bot.app import make_store

    s = settings_for(tmp_path)
    make_store(s).set_profile("ana", {"level": "beginner"})
    assert schema_revision(make_engine(s.state_url)) == HEAD_REVISION


def test_the_default_store_is_a_wal_sqlite_file_in_the_data_dir(tmp_path):
    """WAL: readers (other workers on this machine) never wait for a writer."""
    import sqlite3

    from bot.app import make_store

    s = settings_for(tmp_path)
    make_store(s).set_profile("ana", {"level": "beginner"})
    path = Path(s.state_url.removeprefix("sqlite:///"))
    assert path.parent == s.data_dir
    with sqlite3.connect(path) as conn:  # the mode is kept in the file itself
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_postgresql_behind_the_code_names_the_command(pg_url, tmp_path):  # noqa: F811
    from bot.app import make_store

    s = settings_for(tmp_path, pg_url)
    assert s.state_url.startswith("postgresql+psycopg://")
    with pytest.raises(SchemaOutOfDateError) as empty:
        make_store(s)
    assert str(empty.value) == OUT_OF_DATE
    engine = make_engine(s.state_url)
    upgrade(engine)
    make_store(s).set_profile("ana", {"level": "beginner"})
    downgrade(engine, "base")  # an older schema than the code: no tables at all
    assert schema_revision(engine) is None
    with pytest.raises(SchemaOutOfDateError, match="careerbot db upgrade"):
        make_store(s)
    upgrade(engine)
    assert make_store(s).get_profile("ana") == {}, "downgrade to base dropped the old rows"


def test_a_schema_newer_than_the_code_says_so(pg_url, tmp_path):  # noqa: F811
    s = settings_for(tmp_path, pg_url)
    engine = make_engine(s.state_url)
    upgrade(engine)
    with engine.begin() as c:
        c.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    from bot.app import make_store

    with pytest.raises(SchemaOutOfDateError, match="newer than this careerbot"):
        make_store(s)  # a worker's check
    with pytest.raises(SchemaOutOfDateError, match="newer than this careerbot"):
        StateStore.open(s.state_url)  # and a migration does not touch it


def test_a_configured_sqlite_url_is_checked_not_migrated(tmp_path):
    from bot.app import make_store

    s = settings_for(tmp_path, f"sqlite:///{tmp_path}/shared.db")
    with pytest.raises(SchemaOutOfDateError, match="careerbot db upgrade"):
        make_store(s)
    upgrade(make_engine(s.state_url))
    assert make_store(s).get_plan("ana") == {}


def test_an_unreachable_database_is_one_clear_error(tmp_path):
    from fakes.pg import free_port

    url = f"postgresql://careerbot:s3cret@127.0.0.1:{free_port()}/careerbot"
    with pytest.raises(StateStoreUnavailableError) as err:
        StateStore.open(settings_for(tmp_path, url).state_url)
    assert "is not reachable" in str(err.value) and "s3cret" not in str(err.value)


def test_cli_names_the_upgrade_then_applies_it(pg_url, tmp_path, monkeypatch):  # noqa: F811
    import ui.cli.data_cmds  # noqa: F401  (registers the commands)
    from ui.cli import cli

    monkeypatch.setenv("CAREERBOT_DB_URL", pg_url)
    monkeypatch.setenv("CAREERBOT_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    before = runner.invoke(cli, ["data", "show", "--user", "ana"])
    assert before.exit_code == 1
    assert before.stderr.strip() == f"error: {OUT_OF_DATE}"
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "postgresql" in upgraded.output
    after = runner.invoke(cli, ["data", "show", "--user", "ana"])
    assert after.exit_code == 0 and '"user_id": "ana"' in after.stdout


# -- crash safety (SQLite) --------------------------------------------------------------
WRITER = """
import sys
from bot.store.state import StateStore
store = StateStore.open(sys.argv[1])
i = 0
while True:
    store.add_feedback(rating=1 if i % 2 else -1, trace_id=f"t{i}", user_id="crash",
                       comment=f"row {i}", question="q" * 500, answer=f"{i} " * 300)
    print(i, flush=True)
    i += 1
"""


def test_sqlite_killed_mid_write_keeps_every_committed_row(tmp_path):
    url = f"sqlite:///{tmp_path}/state.db"
    StateStore.open(url)
    proc = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    last = -1
    try:
        for line in proc.stdout:
            last = int(line)
            if last >= 400:
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert last >= 400, proc.stderr.read() if proc.stderr else ""
    store = StateStore.open(url)
    with store.engine.connect() as c:
        assert c.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
    rows = store.feedback_rows()
    assert len(rows) > last, "a row the writer reported as committed is missing"
    for i, row in enumerate(rows):
        assert (row["trace_id"], row["comment"]) == (f"t{i}", f"row {i}")
        assert row["answer"] == f"{i} " * 300 and row["question"] == "q" * 500
    store.add_feedback(rating=1, trace_id="after")
    assert store.feedback_rows()[-1]["trace_id"] == "after"


def test_forget_removes_anonymous_feedback_on_the_users_answers(tmp_path):
    store = StateStore.open(f"sqlite:///{tmp_path}/forget.db")
    store.save_trace("t-mine", "ana", {"question": "q"})
    store.save_trace("t-other", "bob", {"question": "q"})
    store.add_feedback(rating=-1, trace_id="t-mine", comment="ana@example.org says wrong")
    store.add_feedback(rating=1, trace_id="t-other")
    store.forget_user("ana")
    assert [r["trace_id"] for r in store.feedback_rows()] == ["t-other"]
    wal = tmp_path / "forget.db-wal"
    assert not wal.exists() or b"ana@example.org" not in wal.read_bytes()
