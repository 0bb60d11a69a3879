"""staff accounts, console sessions, internal notes; who owns a waiting or taken conversation

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("staff_sessions") as batch_op:
        batch_op.create_index("ix_staff_sessions_staff_id", ["staff_id"], unique=False)
    op.create_table(
        "staff_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_notes") as batch_op:
        batch_op.create_index("ix_staff_notes_conversation_id", ["conversation_id"], unique=False)
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.add_column(sa.Column("assigned_staff_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("waiting_notice_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_conversations_assigned_staff_id_staff", "staff", ["assigned_staff_id"], ["id"]
        )
        batch_op.create_index(
            "ix_conversations_assigned_staff_id", ["assigned_staff_id"], unique=False
        )
        batch_op.create_index("ix_conversations_owner", ["owner"], unique=False)
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("staff_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_messages_staff_id_staff", "staff", ["staff_id"], ["id"])
    with op.batch_alter_table("handoffs") as batch_op:
        batch_op.add_column(sa.Column("staff_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_handoffs_staff_id_staff", "staff", ["staff_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch_op:
        batch_op.drop_constraint("fk_handoffs_staff_id_staff", type_="foreignkey")
        batch_op.drop_column("staff_id")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_constraint("fk_messages_staff_id_staff", type_="foreignkey")
        batch_op.drop_column("staff_id")
    with op.batch_alter_table("conversations") as batch_op:
        batch_op.drop_index("ix_conversations_owner")
        batch_op.drop_index("ix_conversations_assigned_staff_id")
        batch_op.drop_constraint("fk_conversations_assigned_staff_id_staff", type_="foreignkey")
        for column in ("waiting_notice_at", "waiting_since", "assigned_staff_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("staff_notes") as batch_op:
        batch_op.drop_index("ix_staff_notes_conversation_id")
    op.drop_table("staff_notes")
    with op.batch_alter_table("staff_sessions") as batch_op:
        batch_op.drop_index("ix_staff_sessions_staff_id")
    op.drop_table("staff_sessions")
    op.drop_table("staff")
