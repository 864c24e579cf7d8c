"""the process map summary's generation: a new random value at every rebuild, which the map
keeps the medians it computed from the summary by

Revision ID: 0028_map_summary_generation
Revises: 0027_export_file
Create Date: 2026-12-07 16:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_map_summary_generation"
down_revision = "0027_export_file"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "process_map_refresh", sa.Column("generation", sa.String(length=32), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("process_map_refresh") as batch:
        batch.drop_column("generation")
