"""Version numbers, so that every process sees every write at its next question.

Each write transaction takes the next book version (``book_state``) and stamps it on the
rows it writes; a process that keeps an avails index in memory reloads just the rows
stamped after the version it last saw.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VERSIONED = ("parties", "titles", "contracts", "custom_groups")


def upgrade() -> None:
    op.create_table(
        "book_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO book_state (id, version) VALUES (1, 1)")
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("version", sa.BigInteger, nullable=False, server_default="1")
            )
    op.create_index("ix_contracts_version", "contracts", ["version"])
    op.create_index("ix_titles_version", "titles", ["version"])


def downgrade() -> None:
    op.drop_index("ix_titles_version", "titles")
    op.drop_index("ix_contracts_version", "contracts")
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
    op.drop_table("book_state")
