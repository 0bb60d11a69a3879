"""orders: the amount refunded, never above the order's total

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(
            sa.Column(
                "refunded", sa.Numeric(precision=14, scale=2), server_default="0", nullable=False
            )
        )
        batch_op.create_check_constraint(
            "ck_orders_refunded_within_total", "refunded >= 0 AND refunded <= total"
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_constraint("ck_orders_refunded_within_total", type_="check")
        batch_op.drop_column("refunded")
