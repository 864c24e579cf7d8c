"""indexes on the tracking list's ranked sorts: by status and by award form, keyset-paged

The list sorts by status as open first, then the outcomes from best to worst, and by award form
in the catalogue's order: a CASE of the code, then the creation time, then the id. An index on
that same expression (SQLite matches an index on an expression only when the query writes it the
same way, constants included: webapp.services.dossiers._rank writes them so) lets a page, from
the top or after a cursor, read the index in order instead of sorting every visible dossier.
The same SQL on SQLite and PostgreSQL. The codes are the ones of this release: should the lists
change, the query's expression no longer matches and the index goes unused (never wrong) until
a migration rebuilds it.

Revision ID: 0021_rank_indexes
Revises: 0020_keyset_indexes
Create Date: 2026-12-06 11:15:00
"""

from alembic import op

revision = "0021_rank_indexes"
down_revision = "0020_keyset_indexes"
branch_labels = None
depends_on = None

STATUS_RANK = (
    "CASE status WHEN 'in_progress' THEN 0 WHEN 'returned' THEN 1 WHEN 'awarded' THEN 2 "
    "WHEN 'partly_awarded' THEN 3 WHEN 'refused' THEN 4 WHEN 'withdrawn' THEN 5 ELSE 6 END"
)
AWARD_FORM_RANK = (
    "CASE award_form WHEN 'bk_btc' THEN 0 WHEN 'bk_ttg' THEN 1 WHEN 'hcld_1' THEN 2 "
    "WHEN 'hcld_2' THEN 3 WHEN 'hcld_3' THEN 4 ELSE 5 END"
)
INDEXES = {
    "ix_dossier_status_rank": STATUS_RANK,
    "ix_dossier_award_form_rank": AWARD_FORM_RANK,
}


def upgrade() -> None:
    for name, expression in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON dossier (({expression}), created_at, id)")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
