"""letterheads of the issuing units (place, bodies, abbreviation, signer's title)

Revision ID: 0010_letterheads
Revises: 0009
Create Date: 2026-12-06 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_letterheads"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "letterhead",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("parent_body", sa.String(length=200), nullable=False),
        sa.Column("issuing_body", sa.String(length=200), nullable=False),
        sa.Column("body_name", sa.String(length=200), nullable=False),
        sa.Column("abbreviation", sa.String(length=20), nullable=False),
        sa.Column("signer_title", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_letterhead_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["app_user.id"], name=op.f("fk_letterhead_updated_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_letterhead")),
    )


def downgrade() -> None:
    op.drop_table("letterhead")
