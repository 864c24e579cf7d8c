"""a round's own process keeps its next due timer, so the job queue fires it

Revision ID: 0015_round_timers
Revises: 0009
Create Date: 2026-12-06 08:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_round_timers"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("round_instance") as batch:
        batch.add_column(sa.Column("next_timer_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_round_instance_next_timer_at", ["next_timer_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("round_instance") as batch:
        batch.drop_index("ix_round_instance_next_timer_at")
        batch.drop_column("next_timer_at")
