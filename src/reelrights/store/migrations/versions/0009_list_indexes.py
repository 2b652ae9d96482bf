"""Indexes for the list pages (docs/web.md): the change log filtered by kind of change,
who or key, the dashboard's licenses starting and ending soon, counts by status, and the
contracts list sorted by a grant's term or titles, each answered from an index instead of
a scan of the whole table.

Revision ID: 0009_list_indexes
Revises: 0008_broker_cursors
"""

from __future__ import annotations

from alembic import op

revision = "0009_list_indexes"
down_revision = "0008_broker_cursors"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_changes_action", "changes", ["action", "id"]),
    ("ix_changes_actor", "changes", ["actor", "id"]),
    ("ix_changes_key", "changes", ["key_id", "id"]),
    # by the bound alone: led by ``kind`` (a grant, most rows) the planner would take it for
    # every question about grants and scan them all instead of asking a title's rights
    ("ix_rights_start", "rights", ["start"]),
    ("ix_rights_end", "rights", ["end"]),
    ("ix_rights_contract_term", "rights", ["contract_id", "kind", "start", "end"]),
    ("ix_contracts_status", "contracts", ["status"]),
    ("ix_titles_name", "titles", ["id", "name"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
