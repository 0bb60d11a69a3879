"""shops: the tenants of a deployment, and the shop of every row that belongs to one

Shop 1 is the single-shop install as it was (its name from SHOP_NAME; its other settings empty,
so the deployment's settings still apply). Every shop-owned table gets `shop_id` (default 1), and
what was unique in the deployment becomes unique in the shop: a product's SKU, a customer's
cédula, a chat on a channel, a received message, a document's source, a daily export.

Child rows (sale_lines, order_lines, send_attempts, deliveries, staff_sessions, kb_chunks,
proposal_audits) belong to their parent's shop and carry no copy of it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from agent.settings import get_settings

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
"""Names SQLite's unnamed unique constraints get while a table is rebuilt (as in 0011)."""

SHOP_OWNED = (
    "products",
    "customers",
    "conversations",
    "sales",
    "orders",
    "messages",
    "inbox",
    "outbox",
    "handoffs",
    "api_keys",
    "staff",
    "staff_notes",
    "export_jobs",
    "kb_documents",
    "leads",
    "proposals",
)

PER_SHOP = {
    "products": ("uq_products_shop_sku", ["sku"]),
    "customers": ("uq_customers_shop_national_id", ["national_id"]),
    "conversations": ("uq_conversations_chat", ["channel", "external_chat_id"]),
    "inbox": ("uq_inbox_message", ["channel", "external_chat_id", "external_message_id"]),
    "kb_documents": ("uq_kb_documents_source", ["source"]),
}
"""Unique in the deployment until now, unique in the shop from now: (new name, columns)."""


def _unique_name(table: str, columns: list[str]) -> str:
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints(table):
        if constraint["column_names"] == columns:
            return constraint["name"] or NAMING["uq"] % {
                "table_name": table,
                "column_0_name": columns[0],
            }
    raise LookupError(f"no unique constraint on {table}{tuple(columns)}")


def upgrade() -> None:
    op.create_table(
        "shops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("company_file", sa.String(length=500), nullable=True),
        sa.Column("words_dir", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    shops = sa.table(
        "shops",
        sa.column("id", sa.Integer()),
        sa.column("slug", sa.String()),
        sa.column("name", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        shops.insert().values(
            id=1, slug="default", name=get_settings().shop_name, created_at=sa.func.now()
        )
    )
    if op.get_bind().dialect.name == "postgresql":
        # The row above was given its id: the next shop made takes 2.
        op.execute("SELECT setval('shops_id_seq', (SELECT max(id) FROM shops))")
    op.create_table(
        "shop_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("endpoint", sa.String(length=200), nullable=False),
        sa.Column("origins", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "endpoint", name="uq_shop_channels_endpoint"),
    )
    with op.batch_alter_table("shop_channels") as batch_op:
        batch_op.create_index("ix_shop_channels_shop_id", ["shop_id"], unique=False)

    for table in SHOP_OWNED:
        old = _unique_name(table, PER_SHOP[table][1]) if table in PER_SHOP else None
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            batch_op.add_column(
                sa.Column("shop_id", sa.Integer(), nullable=False, server_default="1")
            )
            batch_op.create_foreign_key(f"fk_{table}_shop_id", "shops", ["shop_id"], ["id"])
            batch_op.create_index(f"ix_{table}_shop_id", ["shop_id"], unique=False)
            if old is not None:
                name, columns = PER_SHOP[table]
                batch_op.drop_constraint(old, type_="unique")
                batch_op.create_unique_constraint(name, ["shop_id", *columns])
    with op.batch_alter_table("export_jobs") as batch_op:
        batch_op.drop_index("ix_export_jobs_schedule_key")
        batch_op.create_index("ix_export_jobs_schedule_key", ["schedule_key"], unique=False)
        batch_op.create_unique_constraint(
            "uq_export_jobs_schedule_key", ["shop_id", "schedule_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("export_jobs") as batch_op:
        batch_op.drop_constraint("uq_export_jobs_schedule_key", type_="unique")
        batch_op.drop_index("ix_export_jobs_schedule_key")
        batch_op.create_index("ix_export_jobs_schedule_key", ["schedule_key"], unique=True)
    for table in reversed(SHOP_OWNED):
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            if table in PER_SHOP:
                name, columns = PER_SHOP[table]
                batch_op.drop_constraint(name, type_="unique")
                # PostgreSQL's names for the unnamed constraints of before; inbox's was named.
                old = "uq_inbox_message" if table == "inbox" else f"{table}_{columns[0]}_key"
                batch_op.create_unique_constraint(old, columns)
            batch_op.drop_index(f"ix_{table}_shop_id")
            batch_op.drop_constraint(f"fk_{table}_shop_id", type_="foreignkey")
            batch_op.drop_column("shop_id")
    op.drop_table("shop_channels")
    op.drop_table("shops")
