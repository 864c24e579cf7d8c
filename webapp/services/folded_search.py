"""A search word found in the dossiers' folded text through a trigram index, not a scan.

The migration 0014_search_index builds the index: on SQLite an FTS5 table `dossier_fts` with
the trigram tokenizer over `dossier.search_text` (kept in step by triggers), on PostgreSQL a
GIN `gin_trgm_ops` index on the column itself. Both answer `LIKE '%word%'` from the index when
the word has at least three characters; a shorter word (or one holding a LIKE wildcard, which
SQLite's FTS5 cannot take with an ESCAPE) is matched on the column, which reads every row the
other conditions leave.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from webapp.models import Dossier

# A trigram index needs at least one whole trigram to narrow a search.
MIN_INDEXED_LENGTH = 3
_LIKE_SPECIAL = ("%", "_", "/", "\\")


def indexed(term: str) -> bool:
    """Whether the index can answer this folded word."""
    return len(term) >= MIN_INDEXED_LENGTH and not any(c in term for c in _LIKE_SPECIAL)


class FoldedTextContains(ColumnElement[bool]):
    """`dossier.search_text` holds the folded word `term` (already folded by the caller)."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, term: str) -> None:
        self.term = term


def folded_text_contains(term: str) -> Any:
    """A WHERE clause: the dossier's folded text holds `term`, read from the index if it can."""
    if not indexed(term):
        return Dossier.search_text.contains(term, autoescape=True)
    return FoldedTextContains(term)


@compiles(FoldedTextContains)
def _generic(element: FoldedTextContains, compiler: SQLCompiler, **kw: Any) -> str:
    # PostgreSQL (pg_trgm's GIN index answers LIKE '%…%' on the column itself).
    clause = Dossier.search_text.like(bindparam(None, f"%{element.term}%", unique=True))
    return compiler.process(clause, **kw)


@compiles(FoldedTextContains, "sqlite")
def _sqlite(element: FoldedTextContains, compiler: SQLCompiler, **kw: Any) -> str:
    # FTS5's trigram tokenizer answers a two-argument LIKE (no ESCAPE) from its index.
    pattern = compiler.process(bindparam(None, f"%{element.term}%", unique=True), **kw)
    identifier = compiler.process(Dossier.id.expression, **kw)
    # Both pieces are compiled SQL (a column and a bound parameter's placeholder), never input.
    subquery = "SELECT dossier_fts.rowid FROM dossier_fts WHERE dossier_fts.search_text LIKE "
    return f"{identifier} IN ({subquery}{pattern})"
