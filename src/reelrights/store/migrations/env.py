"""Alembic environment: runs on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from reelrights.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes its connection
    raise RuntimeError("reelrights migrations run through reelrights.store.Store")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
