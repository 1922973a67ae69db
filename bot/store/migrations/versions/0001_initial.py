"""The initial state schema.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def _user_doc(name: str) -> None:
    op.create_table(
        name,
        sa.Column("user_id", sa.String(200), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def upgrade() -> None:
    for name in ("profiles", "roadmaps", "plans"):
        _user_doc(name)
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("stage", sa.String(40)),
        sa.Column("trace_id", sa.String(64)),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_turns_user_id", "turns", ["user_id"])
    op.create_table(
        "feedback",
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
    op.create_table(
        "traces",
        sa.Column("trace_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(200)),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "slack_events",
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for name in ("slack_events", "traces", "feedback", "turns", "plans", "roadmaps", "profiles"):
        op.drop_table(name)
