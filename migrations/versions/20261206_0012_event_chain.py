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

from webapp.services.history_chain import event_digest

revision = "0012_event_chain"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 5000

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
    c = event.c
    fields = [c[n] for n in ("id", "dossier_id", "at", "actor_id", "action", "step")] + [
        c[n] for n in ("step_title", "work_item_id", "decision", "comment", "data")
    ]
    update = (
        sa.update(event)
        .where(c.id == sa.bindparam("b_id"))
        .values(prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash"))
    )
    after: tuple[int, int] | None = None
    current: int | None = None
    last: str | None = None
    while True:
        query = sa.select(*fields).order_by(c.dossier_id, c.id).limit(BATCH)
        if after is not None:
            query = query.where(
                sa.or_(c.dossier_id > after[0], sa.and_(c.dossier_id == after[0], c.id > after[1]))
            )
        rows = conn.execute(query).all()
        if not rows:
            return
        changes = []
        for row in rows:
            values = row._asdict()
            event_id = values.pop("id")
            if row.dossier_id != current:
                current, last = row.dossier_id, None
            digest = event_digest(**values, prev_hash=last)
            changes.append({"b_id": event_id, "b_prev": last, "b_hash": digest})
            last = digest
        conn.execute(update, changes)
        after = (rows[-1].dossier_id, rows[-1].id)


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
