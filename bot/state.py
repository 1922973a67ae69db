"""Per-user state: profiles, history, roadmaps, plans, feedback, traces, Slack event ids.

SQLite in the data dir by default, PostgreSQL for several workers (``CAREERBOT_DB_URL``).
Every write is one transaction, so a crash mid-write loses at most that write and never
corrupts earlier rows. The schema is owned by Alembic migrations (``bot/migrations``);
``StateStore.open`` applies them, ``careerbot db upgrade`` does it explicitly.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

MIGRATIONS = Path(__file__).parent / "migrations"

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


def upgrade(engine: Engine) -> None:
    """Apply Alembic migrations up to head on ``engine``."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


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
        engine = make_engine(url)
        if migrate:
            upgrade(engine)
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
        """True the first time an event id is seen, across processes (retries run once)."""
        try:
            with self.engine.begin() as c:
                c.execute(slack_events.insert().values(event_id=event_id,
                                                       created_at=time.time()))
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
        """Delete every row held about ``user_id``; returns how many rows went."""
        n = 0
        with self.engine.begin() as c:
            for table in USER_TABLES:
                n += c.execute(table.delete().where(table.c.user_id == user_id)).rowcount or 0
        return n

    # -- helpers -------------------------------------------------------------------------
    def _get(self, table: sa.Table, user_id: str) -> dict[str, Any]:
        with self.engine.connect() as c:
            row = c.execute(sa.select(table.c.data).where(table.c.user_id == user_id)).first()
        return json.loads(row[0]) if row else {}

    def _upsert(self, table: sa.Table, user_id: str, data: dict[str, Any]) -> None:
        payload = {"data": json.dumps(data), "updated_at": time.time()}
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


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row.get("data"), str):
        try:
            row["data"] = json.loads(row["data"])
        except ValueError:
            pass
    return row
