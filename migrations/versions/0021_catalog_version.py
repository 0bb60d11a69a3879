"""catalog version: one row that every change to the products' text, price or state bumps

The catalog's index asked "did the catalog change?" with a scan of the products table (count,
max id, max updated_at); now it reads this one row by its key. Triggers bump it, so no writer
(imports, Odoo sync, price changes, proposals, a hand-made UPDATE) can forget. Stock moves do
not bump it: the index holds no stock, and a sale must not rebuild it. On SQLite a batch
migration of `products` recreates the table and drops its triggers: such a migration must
create them again (`_sqlite_triggers`).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column of products but stock and updated_at (which stock moves keep as it was).
_WATCHED = "sku, name, description, category, family, price, currency, synonyms, attributes, active"
_BUMP = "UPDATE catalog_version SET version = version + 1 WHERE id = 1"


def _sqlite_triggers() -> list[str]:
    return [
        f"CREATE TRIGGER products_bump_version_{name} AFTER {event} ON products BEGIN {_BUMP}; END"
        for name, event in (
            ("insert", "INSERT"),
            ("delete", "DELETE"),
            ("update", f"UPDATE OF {_WATCHED}"),
        )
    ]


# PostgreSQL: bumped at COMMIT (a deferred trigger), once per transaction. Bumped at the first
# write instead, two transactions writing products would take the version row's lock early
# and could deadlock on each other's products.
_POSTGRES_TRIGGERS = [
    "CREATE FUNCTION bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF current_setting('salesagent.catalog_bumped', true) IS DISTINCT FROM 'on' THEN "
    f"{_BUMP}; PERFORM set_config('salesagent.catalog_bumped', 'on', true); "
    "END IF; RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER products_bump_version "
    f"AFTER INSERT OR DELETE OR UPDATE OF {_WATCHED} ON products "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_catalog_version()",
]


def upgrade() -> None:
    version = op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(version, [{"id": 1, "version": 1}])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _sqlite_triggers() if sqlite else _POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER products_bump_version_{name}")
    else:
        op.execute("DROP TRIGGER products_bump_version ON products")
        op.execute("DROP FUNCTION bump_catalog_version()")
    op.drop_table("catalog_version")
