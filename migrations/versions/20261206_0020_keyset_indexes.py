"""indexes that serve the lists' keyset orders: a page after a cursor is a range read

The tracking list by creation date reads dossier (created_at, id) from the cursor on; the inbox
reads the open items newest first from work_item (status, created_at, id) and by due date from
work_item (status, due_at, id). The code sort has the unique index on dossier.code already.
The same indexes on SQLite and PostgreSQL.

Revision ID: 0020_keyset_indexes
Revises: 0019_round_event_chain
Create Date: 2026-12-06 11:00:00
"""

from alembic import op

revision = "0020_keyset_indexes"
down_revision = "0019_round_event_chain"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_dossier_created_id", "dossier", ["created_at", "id"]),
    ("ix_work_item_open_created", "work_item", ["status", "created_at", "id"]),
    ("ix_work_item_open_due", "work_item", ["status", "due_at", "id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
