"""a process version's own DOCX templates of the generated papers

Revision ID: 0011_version_templates
Revises: 0009
Create Date: 2026-12-06 07:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_version_templates"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_version_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("doc_kind", sa.String(length=30), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["app_user.id"],
            name=op.f("fk_process_version_template_uploaded_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["process_version.id"],
            name=op.f("fk_process_version_template_version_id_process_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_version_template")),
        sa.UniqueConstraint(
            "version_id", "doc_kind", name=op.f("uq_process_version_template_version_id")
        ),
    )
    with op.batch_alter_table("process_version_template", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_version_template_version_id"), ["version_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("process_version_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_version_template_version_id"))
    op.drop_table("process_version_template")
