"""export jobs: the daily run a job belongs to (one per report and day), and a runner's heartbeat

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("export_jobs") as batch_op:
        batch_op.add_column(sa.Column("schedule_key", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_export_jobs_schedule_key", ["schedule_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("export_jobs") as batch_op:
        batch_op.drop_index("ix_export_jobs_schedule_key")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("schedule_key")
