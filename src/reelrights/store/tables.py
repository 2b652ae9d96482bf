"""The relational schema, shared by SQLite and PostgreSQL (one set of migrations).

Grants and holdbacks are rows of ``rights``; ``right_titles`` indexes them by the title ids
they name (collections and series as written, expanded only when a question is asked), so
a question reads only the rights of the titles it concerns. ``changes`` is append-only.
``book_state.version`` counts write transactions; each stamps its number on the rows it
writes, so an in-memory index can reload just what changed since it last looked.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

metadata = MetaData()

parties = Table(
    "parties",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("name", Text, nullable=False),
    Column("extra", JSON, nullable=False, default=dict),
    Column("version", BigInteger, nullable=False, default=1),
)

titles = Table(
    "titles",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("year", Integer),
    Column("release", Date),
    Column("releases", JSON, nullable=False, default=dict),
    Column("parent_id", String(200), index=True),
    Column("external_ids", JSON, nullable=False, default=dict),
    Column("extra", JSON, nullable=False, default=dict),
    Column("version", BigInteger, nullable=False, default=1, index=True),
)

collection_members = Table(
    "collection_members",
    metadata,
    Column("collection_id", String(200), ForeignKey("titles.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("member_id", String(200), nullable=False, index=True),
)

custom_groups = Table(
    "custom_groups",
    metadata,
    Column("kind", String(20), primary_key=True),  # territory | media
    Column("name", String(200), primary_key=True),
    Column("members", JSON, nullable=False),
    Column("version", BigInteger, nullable=False, default=1),
)

contracts = Table(
    "contracts",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("seq", Integer, nullable=False, index=True),
    Column("licensor_id", String(200), ForeignKey("parties.id"), index=True),
    Column("licensee_id", String(200), ForeignKey("parties.id"), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("signed", Date),
    Column("terminated", Date),
    Column("fee_amount", Numeric(20, 4)),
    Column("fee_currency", String(3)),
    Column("mg_amount", Numeric(20, 4)),
    Column("mg_currency", String(3)),
    Column("revenue_share", Numeric(9, 4)),  # before 0004_money; now inside ``money``
    Column("extra", JSON, nullable=False, default=dict),
    Column("version", BigInteger, nullable=False, default=1, index=True),
    Column("money", JSON),  # currency, payments, revenue_share entries, reporting
    # The contracts list's sort keys over its grants (0010_contract_sort_keys), written with
    # the contract: the first title name, media and territories, the earliest start, the
    # latest end (an open end as 9999-12-31); none without grants.
    Column("sort_titles", Text),
    Column("sort_media", Text),
    Column("sort_territories", Text),
    Column("sort_start", String(40)),
    Column("sort_end", String(40)),
)
for _key in ("sort_titles", "sort_media", "sort_territories", "sort_start", "sort_end"):
    Index(f"ix_contracts_{_key}", contracts.c[_key], contracts.c.id)

rights = Table(
    "rights",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "contract_id",
        String(200),
        ForeignKey("contracts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kind", String(10), nullable=False),  # grant | holdback | option
    Column("position", Integer, nullable=False),
    Column("titles", JSON, nullable=False),
    Column("media", Text, nullable=False),  # comma-separated leaf codes
    Column("territories", Text, nullable=False),  # comma-separated alpha-2 codes
    Column("languages", JSON, nullable=False),
    Column("start", String(40)),
    Column("end", String(40)),
    Column("exclusive", Boolean, nullable=False, default=False),
    Column("sublicense", Boolean, nullable=False, default=False),
    Column("extra", JSON, nullable=False, default=dict),
    # Options only (rule 21): first-negotiation | first-refusal | renewal, holder, deadline.
    Column("option_kind", String(20)),
    Column("holder_id", String(200)),
    Column("exercise_by", Date, index=True),
)

right_titles = Table(
    "right_titles",
    metadata,
    Column("right_id", Integer, ForeignKey("rights.id", ondelete="CASCADE"), primary_key=True),
    Column("title_id", String(200), primary_key=True),
    Index("ix_right_titles_title", "title_id"),
)

book_state = Table(
    "book_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("book_id", String(32)),  # random, drawn when the database is created
)

# One row per write transaction: a saved index names the version and token it reflects.
book_versions = Table(
    "book_versions",
    metadata,
    Column("version", BigInteger, primary_key=True, autoincrement=False),
    Column("token", String(32), nullable=False),
)

changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("entity", String(20), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
    Column("key_id", String(32)),
    Column("party_id", String(200)),
    Index("ix_changes_entity", "entity", "entity_id"),
    # the change log's filters (0009_list_indexes)
    Index("ix_changes_action", "action", "id"),
    Index("ix_changes_actor", "actor", "id"),
    Index("ix_changes_key", "key_id", "id"),
)
# The list pages (0009_list_indexes): grants starting or ending soon, the contracts list
# sorted by term or titles, counts by status.
Index("ix_rights_start", rights.c.start)
Index("ix_rights_end", rights.c.end)
Index("ix_rights_contract_term", rights.c.contract_id, rights.c.kind, rights.c.start, rights.c.end)
Index("ix_contracts_status", contracts.c.status)
Index("ix_titles_name", titles.c.id, titles.c.name)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("party_id", String(200)),
    Column("note", Text),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("revoked", DateTime(timezone=True)),
)

# -- money (0004_money): amounts are exact decimal text ------------------------------------

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("source", String(3), primary_key=True),
    Column("target", String(3), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("rate", String(60), nullable=False),
)

sales_lines = Table(
    "sales_lines",
    metadata,
    Column("id", String(64), primary_key=True),  # hash of the normalised line + occurrence
    Column("seq", BigInteger, nullable=False),  # the order lines were reported in
    Column("file", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("licensee", String(200), nullable=False),
    Column("title", String(200), nullable=False),
    Column("medium", String(60), nullable=False),
    Column("territory", String(60), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("units", String(60)),
    Column("gross", String(60), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("contract_hint", String(200)),
    Column("contract_id", String(200)),  # None: unmatched, see reason
    Column("reason", String(40)),
    Column("candidates", Text),
    Column("gross_converted", String(60)),
    Column("fx_rate", String(60)),
    Column("fx_date", Date),
    Column("fx_inverse", Boolean, nullable=False, default=False),
    Index("ix_sales_lines_contract", "contract_id", "period_end"),
    Index("ix_sales_lines_reason", "reason"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("contract_id", String(200), nullable=False, index=True),
    Column("day", Date, nullable=False),
    Column("amount", String(60), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("note", Text),
    Column("created", DateTime(timezone=True), nullable=False),
)

# -- change events (docs/semantics.md rule 22) ---------------------------------------------

# The outbox: one row per change, written in the transaction that makes the change, after
# the book version is taken, so on PostgreSQL ``seq`` grows in commit order as versions do.
events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("type", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("subject", String(200), nullable=False),  # deliveries keep order per subject
    Column("data", JSON, nullable=False),
    Column("version", BigInteger),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", JSON),  # the event types it wants; null: all
    Column("secret", Text, nullable=False),  # encrypted with a key from the server secret
    Column("created", DateTime(timezone=True), nullable=False),
    Column("removed", DateTime(timezone=True)),
    Column("scanned", Integer, nullable=False, default=0),  # the last event seq fanned out
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("webhook_id", String(32), ForeignKey("webhooks.id"), primary_key=True),
    Column("event_seq", Integer, ForeignKey("events.seq"), primary_key=True),
    Column("subject", String(200), nullable=False),
    Column("status", String(12), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text),
    Column("delivered_at", DateTime(timezone=True)),
    Index("ix_deliveries_due", "status", "next_at"),
)

# A lease a background job holds while it runs (the deliverer on SQLite; PostgreSQL uses a
# session advisory lock instead).
leases = Table(
    "leases",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(120), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
)

# How far each configured message broker has confirmed the outbox: every event with a
# ``seq`` up to ``seq`` was published and confirmed (docs/semantics.md rule 22).
broker_cursors = Table(
    "broker_cursors",
    metadata,
    Column("name", String(400), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("updated", DateTime(timezone=True), nullable=False),
)

# Alerts already raised: one row per calendar event and alert distance, so each is sent once.
alerts_sent = Table(
    "alerts_sent",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("event_id", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
