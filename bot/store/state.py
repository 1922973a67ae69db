"""Per-user state: profiles, history, roadmaps, plans, feedback, traces, Slack event ids.

SQLite in the data dir by default, PostgreSQL for several workers (``CAREERBOT_DB_URL``).
Every write is one transaction, so a crash mid-write loses at most that write and never
corrupts earlier rows. The schema is owned by Alembic migrations (``bot/store/migrations``);
the default SQLite file migrates itself when opened; a configured database (PostgreSQL) is
upgraded once with ``careerbot db upgrade`` and workers only check its revision at start-up.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

MIGRATIONS = Path(__file__).parent / "migrations"
# what a thumbs-down may say was wrong; stored as the comment's prefix ("wrong level: ...")
FEEDBACK_REASONS: tuple[str, ...] = ("wrong", "outdated", "broken link", "wrong level",
                                     "off-topic")

metadata = sa.MetaData()
profiles = sa.Table(
    "profiles", metadata,
    sa.Column("user_id", sa.String(200), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
turns = sa.Table(
    "turns", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.String(200), nullable=False, index=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("stage", sa.String(40)),
    sa.Column("trace_id", sa.String(64)),
    sa.Column("created_at", sa.Float, nullable=False),
)
roadmaps = sa.Table(
    "roadmaps", metadata,
    sa.Column("user_id", sa.String(200), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
plans = sa.Table(
    "plans", metadata,
    sa.Column("user_id", sa.String(200), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
feedback = sa.Table(
    "feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("trace_id", sa.String(64)),
    sa.Column("user_id", sa.String(200)),
    sa.Column("rating", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("question", sa.Text),
    sa.Column("answer", sa.Text),
    sa.Column("stage", sa.String(40)),
    sa.Column("created_at", sa.Float, nullable=False),
)
traces = sa.Table(
    "traces", metadata,
    sa.Column("trace_id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(200)),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)
slack_events = sa.Table(
    "slack_events", metadata,
    sa.Column("event_id", sa.String(200), primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
)
USER_TABLES = (profiles, turns, roadmaps, plans, feedback, traces)


HEAD_REVISION = "0001"  # the newest migration in bot/store/migrations/versions (a test checks it)
OUT_OF_DATE = "state store schema is out of date: run `careerbot db upgrade`"
# any constant works: one key so concurrent `db upgrade` runs on PostgreSQL take turns
_PG_MIGRATION_LOCK = 7_214_001


class SchemaOutOfDateError(RuntimeError):
    """The database is behind (or ahead of) the migrations this careerbot knows."""


class StateStoreUnavailableError(RuntimeError):
    """The state store database cannot be reached; the message names it without password."""


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at; None for an empty database."""
    with engine.connect() as c:
        if not sa.inspect(c).has_table("alembic_version"):
            return None
        return c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaOutOfDateError` unless the database is at :data:`HEAD_REVISION`."""
    rev = schema_revision(engine)
    if rev == HEAD_REVISION:
        return
    _refuse_unknown(rev)
    raise SchemaOutOfDateError(OUT_OF_DATE)


def _refuse_unknown(rev: str | None) -> None:
    """A revision no migration here knows was written by a newer careerbot."""
    if rev is not None and rev not in _known_revisions():
        raise SchemaOutOfDateError(
            f"state store schema revision {rev} is newer than this careerbot: upgrade careerbot")


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply Alembic migrations up to head on ``engine``; safe to run from several processes."""
    rev = schema_revision(engine)
    if rev == HEAD_REVISION:
        return
    _refuse_unknown(rev)
    with _sqlite_file_lock(engine):
        _run_alembic(engine, "upgrade", "head")


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back to ``revision`` ("base" drops every table); for tests and rollbacks."""
    with _sqlite_file_lock(engine):
        _run_alembic(engine, "downgrade", revision)


def _run_alembic(engine: Engine, action: str, revision: str) -> None:
    from alembic import command

    cfg = _alembic_config()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # released at commit; DDL is transactional
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """pysqlite commits each DDL statement alone, so migrating processes take a file lock."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    from filelock import FileLock

    with FileLock(f"{path}.migrate.lock", timeout=60):
        yield


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


class StateStore:
    """All per-user state behind small typed methods."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str, migrate: bool = True) -> StateStore:
        """Open the store at ``url``.

        ``migrate=True`` applies pending migrations; ``False`` only checks the schema and
        raises :class:`SchemaOutOfDateError` naming the command to run. Workers open a
        configured database (PostgreSQL) with ``False`` (``factory.make_store``): an operator
        upgrades it once with ``careerbot db upgrade``, not every worker at start-up.
        """
        engine = make_engine(url)
        try:
            if migrate:
                upgrade(engine)
            else:
                check_schema(engine)
        except OperationalError as exc:
            where = engine.url.render_as_string(hide_password=True)
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise StateStoreUnavailableError(
                f"state store {where} is not reachable: {reason}") from None
        return cls(engine)

    # -- profiles ------------------------------------------------------------------------
    def get_profile(self, user_id: str) -> dict[str, Any]:
        with self.engine.connect() as c:
            row = c.execute(sa.select(profiles.c.data).where(
                profiles.c.user_id == user_id)).first()
        return json.loads(row[0]) if row else {}

    def set_profile(self, user_id: str, data: dict[str, Any]) -> None:
        self._upsert(profiles, user_id, data)

    # -- history -------------------------------------------------------------------------
    def add_turn(self, user_id: str, role: str, text: str, stage: str | None = None,
                 trace_id: str | None = None) -> None:
        with self.engine.begin() as c:
            c.execute(turns.insert().values(user_id=user_id, role=role, text=text, stage=stage,
                                            trace_id=trace_id, created_at=time.time()))

    def history(self, user_id: str, limit: int = 20) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(turns).where(turns.c.user_id == user_id)
                             .order_by(turns.c.id.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in reversed(rows)]

    # -- roadmap and plan ----------------------------------------------------------------
    def get_roadmap(self, user_id: str) -> dict[str, Any]:
        return self._get(roadmaps, user_id)

    def set_roadmap(self, user_id: str, data: dict[str, Any]) -> None:
        self._upsert(roadmaps, user_id, data)

    def get_plan(self, user_id: str) -> dict[str, Any]:
        return self._get(plans, user_id)

    def set_plan(self, user_id: str, data: dict[str, Any]) -> None:
        self._upsert(plans, user_id, data)

    # -- traces and feedback -------------------------------------------------------------
    def new_trace_id(self) -> str:
        return uuid.uuid4().hex

    def save_trace(self, trace_id: str, user_id: str | None, data: dict[str, Any]) -> None:
        with self.engine.begin() as c:
            c.execute(traces.insert().values(trace_id=trace_id, user_id=user_id,
                                             data=json.dumps(data), created_at=time.time()))

    def get_trace(self, trace_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(traces.c.data).where(
                traces.c.trace_id == trace_id)).first()
        return json.loads(row[0]) if row else None

    def add_feedback(self, *, rating: int, trace_id: str | None = None,
                     user_id: str | None = None, comment: str | None = None,
                     question: str | None = None, answer: str | None = None,
                     stage: str | None = None) -> None:
        if rating not in (-1, 1):
            raise ValueError("rating must be 1 (helpful) or -1 (not helpful)")
        with self.engine.begin() as c:
            c.execute(feedback.insert().values(
                trace_id=trace_id, user_id=user_id, rating=rating, comment=comment,
                question=question, answer=answer, stage=stage, created_at=time.time()))

    def feedback_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(feedback).order_by(feedback.c.id)).mappings().all()
        return [dict(r) for r in rows]

    # -- Slack ---------------------------------------------------------------------------
    def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is seen, across processes (retries run once).

        Slack retries within minutes, so ids older than a day are pruned now and then.
        """
        values = {"event_id": event_id, "created_at": time.time()}
        if random.random() < 0.01:
            with self.engine.begin() as c:
                c.execute(slack_events.delete().where(
                    slack_events.c.created_at < values["created_at"] - 86_400))
        insert = _dialect_insert(self.engine, slack_events)
        if insert is not None:  # no error raised (or logged by PostgreSQL) for a repeat
            with self.engine.begin() as c:
                stmt = insert.values(**values).on_conflict_do_nothing()
                return c.execute(stmt.returning(slack_events.c.event_id)).first() is not None
        try:
            with self.engine.begin() as c:
                c.execute(slack_events.insert().values(**values))
            return True
        except IntegrityError:
            return False

    # -- a user's data -------------------------------------------------------------------
    def export_user(self, user_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"user_id": user_id}
        with self.engine.connect() as c:
            for table in USER_TABLES:
                rows = c.execute(sa.select(table).where(
                    table.c.user_id == user_id)).mappings().all()
                out[table.name] = [_decoded(dict(r)) for r in rows]
        return out

    def forget_user(self, user_id: str) -> int:
        """Delete every row held about ``user_id``; returns how many rows went.

        Feedback given without a user id but on one of the user's answers goes too, and on
        SQLite the write-ahead log is checkpointed so the deleted text leaves the disk.
        """
        n = 0
        with self.engine.begin() as c:
            their_traces = sa.select(traces.c.trace_id).where(traces.c.user_id == user_id)
            n += c.execute(feedback.delete().where(
                feedback.c.trace_id.in_(their_traces))).rowcount or 0
            for table in USER_TABLES:
                n += c.execute(table.delete().where(table.c.user_id == user_id)).rowcount or 0
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as c:
                c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return n

    # -- helpers -------------------------------------------------------------------------
    def _get(self, table: sa.Table, user_id: str) -> dict[str, Any]:
        with self.engine.connect() as c:
            row = c.execute(sa.select(table.c.data).where(table.c.user_id == user_id)).first()
        return json.loads(row[0]) if row else {}

    def _upsert(self, table: sa.Table, user_id: str, data: dict[str, Any]) -> None:
        payload = {"data": json.dumps(data), "updated_at": time.time()}
        insert = _dialect_insert(self.engine, table)
        if insert is not None:  # one atomic statement, whichever worker writes first
            stmt = insert.values(user_id=user_id, **payload)
            with self.engine.begin() as c:
                c.execute(stmt.on_conflict_do_update(index_elements=[table.c.user_id],
                                                     set_=payload))
            return
        with self.engine.begin() as c:
            done = c.execute(table.update().where(table.c.user_id == user_id)
                             .values(**payload)).rowcount
            if not done:
                try:
                    with c.begin_nested():
                        c.execute(table.insert().values(user_id=user_id, **payload))
                except IntegrityError:  # another worker inserted first
                    c.execute(table.update().where(table.c.user_id == user_id)
                              .values(**payload))


def _dialect_insert(engine: Engine, table: sa.Table) -> Any:
    """The dialect's INSERT with ON CONFLICT support (SQLite, PostgreSQL), else None."""
    match engine.dialect.name:
        case "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        case "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        case _:
            return None
    return insert(table)


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row.get("data"), str):
        try:
            row["data"] = json.loads(row["data"])
        except ValueError:
            pass
    return row
