"""API keys, and the key and party behind each change.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("party_id", sa.String(200)),
        sa.Column("note", sa.Text),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.DateTime(timezone=True)),
    )
    with op.batch_alter_table("changes") as batch:
        batch.add_column(sa.Column("key_id", sa.String(32)))
        batch.add_column(sa.Column("party_id", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("changes") as batch:
        batch.drop_column("party_id")
        batch.drop_column("key_id")
    op.drop_table("api_keys")
