"""The contracts list's sort keys kept on the contract row (docs/web.md): the first title
name, the first media and territories, the earliest start and the latest end of its
grants, each written with the contract and indexed, so that a page of the list sorted by
one of them reads one page of an index instead of working the key out for every contract.

Revision ID: 0010_contract_sort_keys
Revises: 0009_list_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_contract_sort_keys"
down_revision = "0009_list_indexes"
branch_labels = None
depends_on = None

KEYS = (
    ("sort_titles", sa.Text),
    ("sort_media", sa.Text),
    ("sort_territories", sa.Text),
    ("sort_start", sa.String(40)),
    ("sort_end", sa.String(40)),
)

# each key as the list worked it out before this revision, from the contract's grants
GRANTS = "FROM rights r WHERE r.contract_id = contracts.id AND r.kind = 'grant'"
BACKFILL = {
    "sort_titles": (
        "SELECT min(t.name) FROM titles t JOIN right_titles rt ON rt.title_id = t.id "
        "JOIN rights r ON r.id = rt.right_id "
        "WHERE r.contract_id = contracts.id AND r.kind = 'grant'"
    ),
    "sort_media": f"SELECT min(r.media) {GRANTS}",
    "sort_territories": f"SELECT min(r.territories) {GRANTS}",
    "sort_start": f"SELECT min(r.start) {GRANTS}",
    "sort_end": f"SELECT max(coalesce(r.\"end\", '9999-12-31')) {GRANTS}",
}


def upgrade() -> None:
    # plain ALTER TABLE (SQLite and PostgreSQL alike), never a batch copy of the table:
    # dropping the old copy would cascade to the contracts' rights
    for name, kind in KEYS:
        op.add_column("contracts", sa.Column(name, kind))
    op.execute(
        "UPDATE contracts SET "
        + ", ".join(f"{name} = ({query})" for name, query in BACKFILL.items())
    )
    for name, _ in KEYS:
        op.create_index(f"ix_contracts_{name}", "contracts", [name, "id"])


def downgrade() -> None:
    for name, _ in reversed(KEYS):
        op.drop_index(f"ix_contracts_{name}", table_name="contracts")
    for name, _ in reversed(KEYS):
        op.execute(f"ALTER TABLE contracts DROP COLUMN {name}")
