"""Alembic environment: runs on the connection ``bot.store.state.upgrade`` hands in."""

from alembic import context

from bot.store.state import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
