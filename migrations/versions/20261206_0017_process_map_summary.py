"""the process map's summary: recent completed visits per step, refreshed by the job queue;
an index that serves the map's live counts of open work items without reading the table

Revision ID: 0017_process_map_summary
Revises: 0016
Create Date: 2026-12-06 10:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_process_map_summary"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_map_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("movement_id", sa.Integer(), nullable=True),
        sa.Column("award_form", sa.String(length=50), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("last_item_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_map_visit")),
    )
    op.create_index(
        "ix_process_map_visit_step",
        "process_map_visit",
        ["process_key", "step", "last_item_id"],
        unique=False,
    )
    op.create_table(
        "process_map_refresh",
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("process_key", name=op.f("pk_process_map_refresh")),
    )

    # The window the refresh reads: the newest completed work items.
    op.create_index(
        "ix_work_item_done_completed", "work_item", ["status", "completed_at"], unique=False
    )
    # The map's waiting, overdue and older-version counts per step, from the index alone.
    op.create_index(
        "ix_work_item_open_step",
        "work_item",
        ["status", "step", "unit_id", "dossier_id", "due_at", "version_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_work_item_open_step", table_name="work_item")
    op.drop_index("ix_work_item_done_completed", table_name="work_item")
    op.drop_table("process_map_refresh")
    op.drop_index("ix_process_map_visit_step", table_name="process_map_visit")
    op.drop_table("process_map_visit")
