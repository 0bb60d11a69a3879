"""a received message is unique per (channel, chat, message id), not per (channel, message id)

A web client chooses its own message ids: keyed by channel alone, a chat reusing another
chat's id was given that chat's stored result.

Revision ID: 0011
Revises: 0010_send_attempts
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010_send_attempts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = "uq_inbox_message"
OLD = "uq_inbox_channel"
"""The name the old, unnamed constraint gets while SQLite's table is rebuilt."""
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_name(columns: list[str]) -> str | None:
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints("inbox"):
        if constraint["column_names"] == columns:
            return constraint["name"] or OLD
    return None


def upgrade() -> None:
    old = _unique_name(["channel", "external_message_id"])
    with op.batch_alter_table("inbox", naming_convention=NAMING) as batch_op:
        if old is not None:
            batch_op.drop_constraint(old, type_="unique")
        batch_op.create_unique_constraint(
            NEW, ["channel", "external_chat_id", "external_message_id"]
        )


def downgrade() -> None:
    # Ids two chats share cannot go back under the narrower key: the later copies go.
    op.execute(
        "DELETE FROM inbox WHERE id NOT IN "
        "(SELECT MIN(id) FROM inbox GROUP BY channel, external_message_id)"
    )
    with op.batch_alter_table("inbox", naming_convention=NAMING) as batch_op:
        batch_op.drop_constraint(NEW, type_="unique")
        batch_op.create_unique_constraint(OLD, ["channel", "external_message_id"])
