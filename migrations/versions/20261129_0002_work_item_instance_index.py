"""Index work items by instance: syncing after each step looks them up that way.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_work_item_instance_status", "work_item", ["instance_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_work_item_instance_status", table_name="work_item")
