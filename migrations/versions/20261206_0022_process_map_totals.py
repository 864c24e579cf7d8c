"""the process map's totals: an index of open work items in dossier order, so the distinct
dossiers waiting (and overdue) are counted from the index alone without sorting them

Revision ID: 0022_process_map_totals
Revises: 0021_rank_indexes
Create Date: 2026-12-06 11:25:00
"""

from alembic import op

revision = "0022_process_map_totals"
down_revision = "0021_rank_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_work_item_open_dossier",
        "work_item",
        ["status", "dossier_id", "unit_id", "version_id", "due_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_work_item_open_dossier", table_name="work_item")
