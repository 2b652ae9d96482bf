"""The first schema: parties, titles, groups, contracts, rights and the change log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parties",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
    )
    op.create_table(
        "titles",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("release", sa.Date),
        sa.Column("releases", sa.JSON, nullable=False),
        sa.Column("parent_id", sa.String(200)),
        sa.Column("external_ids", sa.JSON, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
    )
    op.create_index("ix_titles_parent_id", "titles", ["parent_id"])
    op.create_table(
        "collection_members",
        sa.Column("collection_id", sa.String(200), sa.ForeignKey("titles.id"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("member_id", sa.String(200), nullable=False),
    )
    op.create_index("ix_collection_members_member_id", "collection_members", ["member_id"])
    op.create_table(
        "custom_groups",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("members", sa.JSON, nullable=False),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("licensor_id", sa.String(200), sa.ForeignKey("parties.id")),
        sa.Column("licensee_id", sa.String(200), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("signed", sa.Date),
        sa.Column("terminated", sa.Date),
        sa.Column("fee_amount", sa.Numeric(20, 4)),
        sa.Column("fee_currency", sa.String(3)),
        sa.Column("mg_amount", sa.Numeric(20, 4)),
        sa.Column("mg_currency", sa.String(3)),
        sa.Column("revenue_share", sa.Numeric(9, 4)),
        sa.Column("extra", sa.JSON, nullable=False),
    )
    op.create_index("ix_contracts_seq", "contracts", ["seq"])
    op.create_index("ix_contracts_licensor_id", "contracts", ["licensor_id"])
    op.create_index("ix_contracts_licensee_id", "contracts", ["licensee_id"])
    op.create_table(
        "rights",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "contract_id",
            sa.String(200),
            sa.ForeignKey("contracts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("titles", sa.JSON, nullable=False),
        sa.Column("media", sa.Text, nullable=False),
        sa.Column("territories", sa.Text, nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("start", sa.String(40)),
        sa.Column("end", sa.String(40)),
        sa.Column("exclusive", sa.Boolean, nullable=False),
        sa.Column("sublicense", sa.Boolean, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
    )
    op.create_index("ix_rights_contract_id", "rights", ["contract_id"])
    op.create_table(
        "right_titles",
        sa.Column(
            "right_id", sa.Integer, sa.ForeignKey("rights.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("title_id", sa.String(200), primary_key=True),
    )
    op.create_index("ix_right_titles_title", "right_titles", ["title_id"])
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("before", sa.JSON),
        sa.Column("after", sa.JSON),
    )
    op.create_index("ix_changes_at", "changes", ["at"])
    op.create_index("ix_changes_entity", "changes", ["entity", "entity_id"])


def downgrade() -> None:
    for table in (
        "changes",
        "right_titles",
        "rights",
        "contracts",
        "custom_groups",
        "collection_members",
        "titles",
        "parties",
    ):
        op.drop_table(table)
