"""Change events (docs/semantics.md rule 22): the outbox, webhook subscriptions, their
deliveries, the deliverer's lease and the alerts already raised.

Revision ID: 0006_events
Revises: 0005_options
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_events"
down_revision = "0005_options"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("version", sa.BigInteger),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", sa.JSON),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed", sa.DateTime(timezone=True)),
        sa.Column("scanned", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "deliveries",
        sa.Column("webhook_id", sa.String(32), sa.ForeignKey("webhooks.id"), primary_key=True),
        sa.Column("event_seq", sa.Integer, sa.ForeignKey("events.seq"), primary_key=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(120), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "alerts_sent",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("alerts_sent")
    op.drop_table("leases")
    op.drop_index("ix_deliveries_due", "deliveries")
    op.drop_table("deliveries")
    op.drop_table("webhooks")
    op.drop_table("events")
