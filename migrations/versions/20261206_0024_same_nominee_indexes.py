"""the Office's check reads other dossiers' same person newest first and bounded: nominees by
(folded name, dossier) and by (collective's unit, dossier)

The check grouped every live nominee of the movement with the name or the unit (the unit had no
index: every nominee was read); with 50,000 dossiers nominating one unit that was 165 ms a
check on PostgreSQL. ix_nominee_folded_dossier replaces ix_nominee_folded_name, a prefix of it.

Revision ID: 0024_same_nominee_indexes
Revises: 0023_inbox_scope_index
Create Date: 2026-12-06 17:20:00
"""

from alembic import op

revision = "0024_same_nominee_indexes"
down_revision = "0023_inbox_scope_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_nominee_folded_dossier", "nominee", ["folded_name", "dossier_id"], unique=False
    )
    op.create_index(
        "ix_nominee_unit_dossier", "nominee", ["org_unit_id", "dossier_id"], unique=False
    )
    op.drop_index("ix_nominee_folded_name", table_name="nominee")


def downgrade() -> None:
    op.create_index("ix_nominee_folded_name", "nominee", ["folded_name"], unique=False)
    op.drop_index("ix_nominee_unit_dossier", table_name="nominee")
    op.drop_index("ix_nominee_folded_dossier", table_name="nominee")
