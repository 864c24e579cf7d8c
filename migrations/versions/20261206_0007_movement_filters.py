"""index dossiers by movement, for the lists, the inbox and the process map filtered by movement

Revision ID: 0007_movement_filters
Revises: 0005_rounds
Create Date: 2026-12-06 05:45:00
"""

from alembic import op

revision = "0007_movement_filters"
down_revision = "0005_rounds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_dossier_movement_status", "dossier", ["movement_id", "status"], unique=False
    )
    op.create_index(
        "ix_award_round_status_unit", "award_round", ["status", "unit_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_award_round_status_unit", table_name="award_round")
    op.drop_index("ix_dossier_movement_status", table_name="dossier")
