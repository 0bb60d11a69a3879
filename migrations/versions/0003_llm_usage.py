"""model calls, tokens and cost per message and per conversation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COST = sa.Numeric(precision=14, scale=6)


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.add_column(sa.Column("llm_calls", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("prompt_tokens", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("completion_tokens", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("llm_cost_usd", COST, server_default="0", nullable=False))
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("llm_model", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("llm_calls", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("prompt_tokens", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("completion_tokens", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("llm_cost_usd", COST, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        for column in ("llm_cost_usd", "completion_tokens", "prompt_tokens", "llm_calls", "llm_model"):
            batch_op.drop_column(column)
    with op.batch_alter_table("conversations") as batch_op:
        for column in ("llm_cost_usd", "completion_tokens", "prompt_tokens", "llm_calls"):
            batch_op.drop_column(column)
