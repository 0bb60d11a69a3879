"""the name a customer goes by on the channel: kept with each received message and on the chat

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch_op:
        batch_op.add_column(sa.Column("sender_name", sa.String(length=200), nullable=True))
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.add_column(sa.Column("contact_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_column("contact_name")
    with op.batch_alter_table("inbox") as batch_op:
        batch_op.drop_column("sender_name")
