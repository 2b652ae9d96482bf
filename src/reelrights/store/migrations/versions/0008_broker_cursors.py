"""Publishing change events to a message broker (docs/semantics.md rule 22): how far each
configured broker has confirmed the outbox.

Revision ID: 0008_broker_cursors
Revises: 0007_book_identity
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_broker_cursors"
down_revision = "0007_book_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broker_cursors",
        sa.Column("name", sa.String(400), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("broker_cursors")
