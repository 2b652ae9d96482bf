"""Money: contract money terms, exchange rates, sales lines and payments.

``contracts.money`` holds the terms that are not a single amount (contract currency, the
fee's schedule, revenue-share entries and tiers, reporting frequency) as one JSON
document. Amounts in the new tables are exact decimal text, the same on SQLite and
PostgreSQL. A sales line's id is a hash of its normalised fields and its occurrence
number within its file, so importing the same lines again finds them already there.

Revision ID: 0004_money
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_money"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("money", sa.JSON))
    op.create_table(
        "fx_rates",
        sa.Column("source", sa.String(3), primary_key=True),
        sa.Column("target", sa.String(3), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("rate", sa.String(60), nullable=False),
    )
    op.create_table(
        "sales_lines",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("licensee", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("medium", sa.String(60), nullable=False),
        sa.Column("territory", sa.String(60), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("units", sa.String(60)),
        sa.Column("gross", sa.String(60), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("contract_hint", sa.String(200)),
        sa.Column("contract_id", sa.String(200)),
        sa.Column("reason", sa.String(40)),
        sa.Column("candidates", sa.Text),
        sa.Column("gross_converted", sa.String(60)),
        sa.Column("fx_rate", sa.String(60)),
        sa.Column("fx_date", sa.Date),
        sa.Column("fx_inverse", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_sales_lines_contract", "sales_lines", ["contract_id", "period_end"])
    op.create_index("ix_sales_lines_reason", "sales_lines", ["reason"])
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("contract_id", sa.String(200), nullable=False, index=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("amount", sa.String(60), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("payments")
    op.drop_index("ix_sales_lines_reason", "sales_lines")
    op.drop_index("ix_sales_lines_contract", "sales_lines")
    op.drop_table("sales_lines")
    op.drop_table("fx_rates")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("money")
