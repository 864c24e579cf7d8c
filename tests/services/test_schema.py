"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.db import Base
from webapp.request_db import database

# The search index lives outside the models (migration 0014_search_index): SQLite's FTS5 table
# with its shadow tables, PostgreSQL's trigram GIN index.
SEARCH_INDEX = ("dossier_fts", "ix_dossier_search_trgm")


def _modelled(name: str | None, type_: str, parent_names: object) -> bool:
    return not (name or "").startswith(SEARCH_INDEX)


def test_migrations_match_the_models(app):
    with database(app).engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": _modelled})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
