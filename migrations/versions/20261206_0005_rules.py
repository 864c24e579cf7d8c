"""rule lists (simplified cases, required documents, repeat periods) and nominee report data

Revision ID: 0005_rules
Revises: 0004
Create Date: 2026-12-06 04:50:00
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0005_rules"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "simplified_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("legal_basis", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simplified_case")),
        sa.UniqueConstraint("code", name=op.f("uq_simplified_case_code")),
    )
    op.create_table(
        "document_requirement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure", sa.String(length=20), nullable=False),
        sa.Column("award_form", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("per_nominee", sa.Boolean(), nullable=False),
        sa.Column("enforced", sa.Boolean(), nullable=False),
        sa.Column("legal_basis", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_requirement")),
        sa.UniqueConstraint(
            "procedure",
            "award_form",
            "kind",
            name=op.f("uq_document_requirement_procedure"),
        ),
    )
    op.create_table(
        "repeat_award_period",
        sa.Column("award_form", sa.String(length=20), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("legal_basis", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("award_form", name=op.f("pk_repeat_award_period")),
    )
    op.create_table(
        "rule_set_basis",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("legal_basis", sa.String(length=500), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rule_set_basis")),
    )
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("simplified_case", sa.String(length=40), nullable=True))
    with op.batch_alter_table("nominee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("work_unit", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("death_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("next_of_kin", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("org_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("folded_name", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_nominee_folded_name"), ["folded_name"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_nominee_org_unit_id_org_unit"), "org_unit", ["org_unit_id"], ["id"]
        )
    _fold_existing_names()


def _fold(text: str) -> str:
    # As webapp.services.text_search.fold, copied so that the migration never changes with it.
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def _fold_existing_names() -> None:
    connection = op.get_bind()
    nominee = sa.table(
        "nominee", sa.column("id", sa.Integer), sa.column("name"), sa.column("folded_name")
    )
    rows = connection.execute(sa.select(nominee.c.id, nominee.c.name)).all()
    for row in rows:
        connection.execute(
            nominee.update().where(nominee.c.id == row.id).values(folded_name=_fold(row.name or ""))
        )


def downgrade() -> None:
    with op.batch_alter_table("nominee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nominee_folded_name"))
        batch_op.drop_column("folded_name")
        batch_op.drop_constraint(batch_op.f("fk_nominee_org_unit_id_org_unit"), type_="foreignkey")
        batch_op.drop_column("org_unit_id")
        batch_op.drop_column("next_of_kin")
        batch_op.drop_column("death_date")
        batch_op.drop_column("work_unit")
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_column("simplified_case")
    op.drop_table("rule_set_basis")
    op.drop_table("repeat_award_period")
    op.drop_table("document_requirement")
    op.drop_table("simplified_case")
