"""Options and first rights (docs/semantics.md rule 21): rows of ``rights`` of kind
``option``, with the option's kind, its holder and its exercise deadline.

Revision ID: 0005_options
Revises: 0004_money
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_options"
down_revision = "0004_money"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rights") as batch:
        batch.add_column(sa.Column("option_kind", sa.String(20)))
        batch.add_column(sa.Column("holder_id", sa.String(200)))
        batch.add_column(sa.Column("exercise_by", sa.Date))
        batch.create_index("ix_rights_exercise_by", ["exercise_by"])


def downgrade() -> None:
    with op.batch_alter_table("rights") as batch:
        batch.drop_index("ix_rights_exercise_by")
        batch.drop_column("exercise_by")
        batch.drop_column("holder_id")
        batch.drop_column("option_kind")
