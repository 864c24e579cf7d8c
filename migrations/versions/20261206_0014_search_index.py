"""dossier search answers from a trigram index of the folded text, not a scan

SQLite: an FTS5 table with the trigram tokenizer over dossier.search_text (external content,
kept in step by triggers); LIKE '%…%' on it reads the index. PostgreSQL: pg_trgm and a GIN
trigram index on dossier.search_text, which LIKE '%…%' uses directly.

Revision ID: 0014_search_index
Revises: 0009
Create Date: 2026-12-06 08:50:00
"""

from alembic import op

revision = "0014_search_index"
down_revision = "0009"
branch_labels = None
depends_on = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE dossier_fts USING fts5("
    "search_text, content='dossier', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER dossier_fts_insert AFTER INSERT ON dossier BEGIN "
    "INSERT INTO dossier_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER dossier_fts_delete AFTER DELETE ON dossier BEGIN "
    "INSERT INTO dossier_fts(dossier_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER dossier_fts_update AFTER UPDATE OF search_text ON dossier BEGIN "
    "INSERT INTO dossier_fts(dossier_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO dossier_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    # Backfill: index every existing dossier.
    "INSERT INTO dossier_fts(dossier_fts) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS dossier_fts_update",
    "DROP TRIGGER IF EXISTS dossier_fts_delete",
    "DROP TRIGGER IF EXISTS dossier_fts_insert",
    "DROP TABLE IF EXISTS dossier_fts",
)
POSTGRES_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Building the index reads every existing row: the backfill.
    "CREATE INDEX ix_dossier_search_trgm ON dossier USING gin (search_text gin_trgm_ops)",
)
POSTGRES_DOWN = ("DROP INDEX IF EXISTS ix_dossier_search_trgm",)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
