"""a round's history as a hash chain: round_event.prev_hash and round_event.hash

Existing round events are chained here, per round in id order (keyset batches), exactly as the
application chains new ones, so a database migrated from an earlier version verifies whole.
`hash` stays nullable, as the dossier events' (migration 0012): the check reports a round event
without a hash as altered.

Revision ID: 0019_round_event_chain
Revises: 0017_process_map_summary
Create Date: 2026-12-06 11:20:00
"""

import sqlalchemy as sa
from alembic import op

from webapp.services.history_chain import ROUND_CHAINED, chain_existing_rows, round_event_digest

revision = "0019_round_event_chain"
down_revision = "0017_process_map_summary"
branch_labels = None
depends_on = None

BATCH = 5000
FIELDS = ROUND_CHAINED

round_event = sa.table(
    "round_event",
    sa.column("id", sa.Integer()),
    sa.column("round_id", sa.Integer()),
    sa.column("at", sa.DateTime()),
    sa.column("actor_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("step", sa.String()),
    sa.column("data", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("round_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing(op.get_bind())


def _chain_existing(conn: sa.Connection) -> None:
    chain_existing_rows(conn, round_event, "round_id", FIELDS, round_event_digest, batch=BATCH)


def downgrade() -> None:
    with op.batch_alter_table("round_event", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
