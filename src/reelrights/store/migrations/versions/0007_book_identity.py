"""A book's identity and the history of its versions, so that a saved index can tell
whether it belongs to this database and to this database's past.

``book_state.book_id`` is a random id drawn once, when the database is created (or first
upgraded to this revision); a copy of the database (a backup) keeps it. ``book_versions``
has one row per write transaction: its version and a random token. An index saved at
version V with token T fits a database only if that database's version V carries the
token T: a database restored from an older backup has no version V yet, or, once written
to again, a version V with another token.

Revision ID: 0007_book_identity
Revises: 0006_events
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0007_book_identity"
down_revision = "0006_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("book_state") as batch:
        batch.add_column(sa.Column("book_id", sa.String(32)))
    op.create_table(
        "book_versions",
        sa.Column("version", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("token", sa.String(32), nullable=False),
    )
    state = sa.table("book_state", sa.column("id", sa.Integer), sa.column("book_id", sa.String))
    op.execute(state.update().where(state.c.id == 1).values(book_id=uuid.uuid4().hex))
    op.execute(
        sa.text(
            "INSERT INTO book_versions (version, token) SELECT version, :token FROM book_state"
        ).bindparams(token=uuid.uuid4().hex)
    )


def downgrade() -> None:
    op.drop_table("book_versions")
    with op.batch_alter_table("book_state") as batch:
        batch.drop_column("book_id")
