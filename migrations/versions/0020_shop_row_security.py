"""shops: PostgreSQL row-level security, the second wall between shops

Every shop-owned table lets a transaction see and write only the rows of the shop it named
(`salesagent.shop_id`, set at each transaction's start by agent/db.py), or every shop's when it
said it works across shops (`salesagent.all_shops` = on). A child row (a cart line, a chunk...) is
visible when its parent is. FORCE makes the tables' owner subject too; superusers and roles with
BYPASSRLS are not (migrations, backups). SQLite has no row-level security: nothing changes there.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 16:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
CHILDREN = {
    "sale_lines": ("sale_id", "sales", False),
    "order_lines": ("order_id", "orders", False),
    "send_attempts": ("outbox_id", "outbox", False),
    "deliveries": ("outbox_id", "outbox", True),
    "staff_sessions": ("staff_id", "staff", False),
    "kb_chunks": ("document_id", "kb_documents", False),
    "proposal_audits": ("proposal_id", "proposals", False),
}
"""Table: (its parent's key, the parent, whether a row may have no parent yet)."""

THIS_SHOP = "shop_id = nullif(current_setting('salesagent.shop_id', true), '')::int"
EVERY_SHOP = "current_setting('salesagent.all_shops', true) = 'on'"


def _parent_visible(key: str, parent: str, orphans: bool) -> str:
    # The parent table's own policy decides: the subquery sees only rows the transaction may.
    visible = f"EXISTS (SELECT 1 FROM {parent} WHERE {parent}.id = {key})"
    return f"({key} IS NULL OR {visible})" if orphans else visible


def _protect(table: str, condition: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY shop_rows ON {table} USING ({condition}) WITH CHECK ({condition})")
    op.execute(
        f"CREATE POLICY every_shop ON {table} USING ({EVERY_SHOP}) WITH CHECK ({EVERY_SHOP})"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SHOP_OWNED:
        _protect(table, THIS_SHOP)
    for table, (key, parent, orphans) in CHILDREN.items():
        _protect(table, _parent_visible(key, parent, orphans))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in (*SHOP_OWNED, *CHILDREN):
        op.execute(f"DROP POLICY every_shop ON {table}")
        op.execute(f"DROP POLICY shop_rows ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
