"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import SAWarning

from webapp.db import Base
from webapp.request_db import database

# The search indexes live outside the models: SQLite's FTS5 table with its shadow tables and
# PostgreSQL's trigram GIN index (migration 0014_search_index), SQLite's date index holding the
# folded text (0026_search_date_index). So do the indexes on the ranked sorts' CASE expressions
# (0021_rank_indexes), which SQLite's reflection does not read.
SEARCH_INDEX = (
    "dossier_fts",
    "ix_dossier_search_trgm",
    "ix_dossier_search_created",
    "ix_dossier_status_rank",
    "ix_dossier_award_form_rank",
)


def _modelled(name: str | None, type_: str, parent_names: object) -> bool:
    return not (name or "").startswith(SEARCH_INDEX)


def test_migrations_match_the_models(app):
    with database(app).engine.connect() as connection, warnings.catch_warnings():
        # SQLite's reflection skips the indexes on expressions, saying so: they are not modelled.
        warnings.filterwarnings(
            "ignore", message=r".*expression-based index ix_dossier_\w+_rank", category=SAWarning
        )
        context = MigrationContext.configure(connection, opts={"include_name": _modelled})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
