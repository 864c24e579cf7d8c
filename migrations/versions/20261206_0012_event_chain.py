"""the dossier history's hash chain: event.prev_hash and event.hash

Existing events are chained here, per dossier in id order (keyset batches), exactly as the
application chains new ones: a database migrated from an earlier version verifies whole. Their
content is taken as it stands at the migration (nothing earlier can be proven).

`hash` stays nullable (SQLite would have to rebuild the table, which attachments reference);
the check reports an event without a hash as altered.

Revision ID: 0012_event_chain
Revises: 0009
Create Date: 2026-12-06 08:45:00
"""

import sqlalchemy as sa
from alembic import op

from webapp.services.history_chain import CHAINED, chain_existing_rows, event_digest

revision = "0012_event_chain"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 5000
FIELDS = CHAINED

event = sa.table(
    "event",
    sa.column("id", sa.Integer()),
    sa.column("dossier_id", sa.Integer()),
    sa.column("at", sa.DateTime()),
    sa.column("actor_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("step", sa.String()),
    sa.column("step_title", sa.String()),
    sa.column("work_item_id", sa.Integer()),
    sa.column("decision", sa.String()),
    sa.column("comment", sa.Text()),
    sa.column("data", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing(op.get_bind())


def _chain_existing(conn: sa.Connection) -> None:
    chain_existing_rows(conn, event, "dossier_id", FIELDS, event_digest, batch=BATCH)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
