"""council ballot boxes (secret votes) and council sessions (attendance, minutes' data)

Revision ID: 0005_ballots
Revises: 0004
Create Date: 2026-12-06 04:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_ballots"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ballot_box",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_box")),
    )
    with op.batch_alter_table("ballot_box", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ballot_box_subject", ["subject_kind", "subject_id", "step"], unique=False
        )
    op.create_table(
        "ballot_count",
        sa.Column("box_id", sa.Integer(), nullable=False),
        sa.Column("nominee_key", sa.String(length=40), nullable=False),
        sa.Column("choice", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["box_id"], ["ballot_box.id"], name=op.f("fk_ballot_count_box_id_ballot_box")
        ),
        sa.PrimaryKeyConstraint("box_id", "nominee_key", "choice", name=op.f("pk_ballot_count")),
    )
    op.create_table(
        "council_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("attendance", sa.JSON(), nullable=True),
        sa.Column("participation", sa.JSON(), nullable=True),
        sa.Column("minutes", sa.JSON(), nullable=True),
        sa.Column("secretary_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["secretary_id"],
            ["app_user.id"],
            name=op.f("fk_council_session_secretary_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_session")),
    )
    with op.batch_alter_table("council_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_council_session_subject", ["subject_kind", "subject_id", "step"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("council_session", schema=None) as batch_op:
        batch_op.drop_index("ix_council_session_subject")
    op.drop_table("council_session")
    op.drop_table("ballot_count")
    with op.batch_alter_table("ballot_box", schema=None) as batch_op:
        batch_op.drop_index("ix_ballot_box_subject")
    op.drop_table("ballot_box")
