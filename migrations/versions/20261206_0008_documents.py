"""generated documents and where they came from

Revision ID: 0008_documents
Revises: 0004
Create Date: 2026-12-06 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_documents"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "generated_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("doc_kind", sa.String(length=30), nullable=False),
        sa.Column("part", sa.String(length=80), nullable=False),
        sa.Column("file_format", sa.String(length=10), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("template_hash", sa.String(length=64), nullable=False),
        sa.Column("generator_version", sa.String(length=20), nullable=False),
        sa.Column("process_version_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("generated_by_id", sa.Integer(), nullable=True),
        sa.Column("generated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["generated_by_id"],
            ["app_user.id"],
            name=op.f("fk_generated_document_generated_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["process_version_id"],
            ["process_version.id"],
            name=op.f("fk_generated_document_process_version_id_process_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generated_document")),
    )
    with op.batch_alter_table("generated_document", schema=None) as batch_op:
        batch_op.create_index(
            "ix_generated_document_subject",
            ["subject_kind", "subject_id", "doc_kind"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("generated_document", schema=None) as batch_op:
        batch_op.drop_index("ix_generated_document_subject")
    op.drop_table("generated_document")
