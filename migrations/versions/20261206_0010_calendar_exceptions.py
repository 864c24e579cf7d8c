"""the working-day calendar's announced exceptions: extra days off and swapped working days

Revision ID: 0010_calendar_exceptions
Revises: 0009
Create Date: 2026-12-06 07:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_calendar_exceptions"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_calendar_exception_created_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_exception")),
        sa.UniqueConstraint("day", name=op.f("uq_calendar_exception_day")),
    )


def downgrade() -> None:
    op.drop_table("calendar_exception")
