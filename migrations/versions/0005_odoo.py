"""orders pushed to Odoo as quotations: status, reference, id and time of the push

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("odoo_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("odoo_ref", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("odoo_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("odoo_pushed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_orders_odoo_status", ["odoo_status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_index("ix_orders_odoo_status")
        for column in ("odoo_pushed_at", "odoo_id", "odoo_ref", "odoo_status"):
            batch_op.drop_column(column)
