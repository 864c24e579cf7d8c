"""export files: the tracking list's workbooks too large to make while the user waits, built by
the job queue and kept a few days for their owner

Revision ID: 0027_export_file
Revises: 0026_search_date_index
Create Date: 2026-12-07 13:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_export_file"
down_revision = "0026_search_date_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("sort", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_export_file_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_file")),
    )
    op.create_index("ix_export_file_status", "export_file", ["status", "id"], unique=False)
    op.create_index("ix_export_file_user", "export_file", ["user_id", "id"], unique=False)
    op.create_index(
        op.f("ix_export_file_content_hash"), "export_file", ["content_hash"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_export_file_content_hash"), table_name="export_file")
    op.drop_index("ix_export_file_user", table_name="export_file")
    op.drop_index("ix_export_file_status", table_name="export_file")
    op.drop_table("export_file")
