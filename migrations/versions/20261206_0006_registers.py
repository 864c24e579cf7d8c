"""document registers, the numbers they issued, and signed PDFs' validation results

Revision ID: 0006_registers
Revises: 0004
Create Date: 2026-12-06 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_registers"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_register",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doc_type", sa.String(length=20), nullable=False),
        sa.Column("body", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_register")),
        sa.UniqueConstraint("doc_type", "body", "year", name="uq_document_register"),
    )
    op.create_table(
        "issued_number",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=80), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=300), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["document_register.id"],
            name=op.f("fk_issued_number_register_id_document_register"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["app_user.id"], name=op.f("fk_issued_number_issued_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_number")),
        sa.UniqueConstraint("register_id", "number", name="uq_issued_number"),
    )
    with op.batch_alter_table("issued_number", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issued_number_register_id"), ["register_id"], unique=False
        )
    op.create_table(
        "signature_check",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("signatures", sa.JSON(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_signature_check_attachment_id_attachment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_signature_check")),
    )


def downgrade() -> None:
    op.drop_table("signature_check")
    with op.batch_alter_table("issued_number", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_number_register_id"))
    op.drop_table("issued_number")
    op.drop_table("document_register")
