"""quoted lines: a price a manager approved on a cart line, and units on backorder

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sale_lines") as batch_op:
        batch_op.add_column(
            sa.Column("quoted_price", sa.Numeric(precision=14, scale=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("backorder", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            "ck_sale_lines_backorder", "backorder >= 0 AND backorder <= quantity"
        )
        batch_op.create_check_constraint(
            "ck_sale_lines_quoted_price", "quoted_price IS NULL OR unit_price >= quoted_price"
        )
    with op.batch_alter_table("order_lines") as batch_op:
        batch_op.add_column(
            sa.Column("backorder", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            "ck_order_lines_backorder", "backorder >= 0 AND backorder <= quantity"
        )


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch_op:
        batch_op.drop_constraint("ck_order_lines_backorder", type_="check")
        batch_op.drop_column("backorder")
    with op.batch_alter_table("sale_lines") as batch_op:
        batch_op.drop_constraint("ck_sale_lines_quoted_price", type_="check")
        batch_op.drop_constraint("ck_sale_lines_backorder", type_="check")
        batch_op.drop_column("backorder")
        batch_op.drop_column("quoted_price")
