"""rounds (đợt xét), their engine state, entries, compiled lists and history; message routing;
movement details

Revision ID: 0005_rounds
Revises: 0004
Create Date: 2026-12-06 05:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_rounds"
down_revision = "0004"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_number", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("plan_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("issuing_level", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("period_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("period_end", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("criteria", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("award_forms", sa.JSON(), nullable=True))

    op.create_table(
        "award_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("movement_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("award_forms", sa.JSON(), nullable=False),
        sa.Column("intake_deadline", sa.DateTime(), nullable=False),
        sa.Column("quota", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=True),
        sa.Column("step_title", sa.String(length=300), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("intake_closed_at", sa.DateTime(), nullable=True),
        _fk("award_round", "movement_id", "movement"),
        _fk("award_round", "unit_id", "org_unit"),
        _fk("award_round", "created_by_id", "app_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_round")),
    )
    op.create_index(
        "ix_award_round_movement_status", "award_round", ["movement_id", "status"], unique=False
    )

    op.create_table(
        "round_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("serializer_version", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        _fk("round_instance", "round_id", "award_round"),
        _fk("round_instance", "version_id", "process_version"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_instance")),
        sa.UniqueConstraint("round_id", name=op.f("uq_round_instance_round_id")),
    )
    op.create_index(
        op.f("ix_round_instance_version_id"), "round_instance", ["version_id"], unique=False
    )

    op.create_table(
        "round_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _fk("round_entry", "round_id", "award_round"),
        _fk("round_entry", "dossier_id", "dossier"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_entry")),
        sa.UniqueConstraint("dossier_id", name=op.f("uq_round_entry_dossier_id")),
    )
    op.create_index(
        "ix_round_entry_round_status", "round_entry", ["round_id", "status"], unique=False
    )

    op.create_table(
        "round_list_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("award_form", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("nominee_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("agree", sa.Integer(), nullable=True),
        sa.Column("disagree", sa.Integer(), nullable=True),
        sa.Column("members", sa.Integer(), nullable=True),
        _fk("round_list_item", "round_id", "award_round"),
        _fk("round_list_item", "nominee_id", "nominee"),
        _fk("round_list_item", "dossier_id", "dossier"),
        _fk("round_list_item", "unit_id", "org_unit"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_list_item")),
    )
    op.create_index(
        "ix_round_list_item_round_form",
        "round_list_item",
        ["round_id", "award_form", "position"],
        unique=False,
    )

    op.create_table(
        "round_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        _fk("round_event", "round_id", "award_round"),
        _fk("round_event", "actor_id", "app_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_event")),
    )
    op.create_index("ix_round_event_round_id", "round_event", ["round_id", "id"], unique=False)

    op.create_table(
        "message_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_kind", sa.String(length=10), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("message_name", sa.String(length=100), nullable=False),
        sa.Column("correlation_key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("correlations", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_subscription")),
    )
    op.create_index(
        "ix_message_subscription_route",
        "message_subscription",
        ["message_name", "correlation_key", "value"],
        unique=False,
    )
    op.create_index(
        "ix_message_subscription_instance",
        "message_subscription",
        ["instance_kind", "instance_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_message_subscription_instance", table_name="message_subscription")
    op.drop_index("ix_message_subscription_route", table_name="message_subscription")
    op.drop_table("message_subscription")
    op.drop_index("ix_round_event_round_id", table_name="round_event")
    op.drop_table("round_event")
    op.drop_index("ix_round_list_item_round_form", table_name="round_list_item")
    op.drop_table("round_list_item")
    op.drop_index("ix_round_entry_round_status", table_name="round_entry")
    op.drop_table("round_entry")
    op.drop_index(op.f("ix_round_instance_version_id"), table_name="round_instance")
    op.drop_table("round_instance")
    op.drop_index("ix_award_round_movement_status", table_name="award_round")
    op.drop_table("award_round")
    with op.batch_alter_table("movement", schema=None) as batch_op:
        for column in (
            "award_forms",
            "criteria",
            "period_end",
            "period_start",
            "issuing_level",
            "plan_date",
            "plan_number",
        ):
            batch_op.drop_column(column)
